import { spawnSync } from "node:child_process";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const root = path.resolve(__dirname, "..", "..");
const NO_BINARY = path.join(root, "__tests__", "fixtures", "node-pty", "no-binary.js");
/** What node-gyp builds with: C and C++ compilers (also as x86_64-linux-gnu-g++-12 and the like), make, python. */
const BUILD_TOOLS = /^(.*-)?(cc|c\+\+|gcc|g\+\+|clang|clang\+\+)(-[\d.]+)?$|^g?make$|^python[\d.]*$/;

let bin: string;
beforeAll(() => {
  // A PATH holding every program of this one except the build tools: a machine with no C++ toolchain.
  bin = mkdtempSync(path.join(tmpdir(), "node-pty-test-"));
  for (const dir of (process.env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names.filter((entry) => !BUILD_TOOLS.test(entry))) {
      try {
        if (statSync(path.join(dir, name)).isFile()) symlinkSync(path.join(dir, name), path.join(bin, name));
      } catch {
        // Listed earlier on PATH (already linked), or a broken link.
      }
    }
  }
});
afterAll(() => rmSync(bin, { recursive: true, force: true }));

/** tools/node-pty.js with `args`, node-pty's binary made unloadable unless `binary`, on the toolchain-free PATH. */
function nodePty(args: string[], { binary = false } = {}) {
  return spawnSync(process.execPath, ["tools/node-pty.js", ...args], {
    cwd: root,
    encoding: "utf8",
    env: { PATH: bin, HOME: process.env.HOME, ...(binary ? {} : { NODE_OPTIONS: `--require ${NO_BINARY}` }) },
  });
}

const WHY = `the cdktf CLI (npm run synth, deploy, destroy, output) needs node-pty's native module, which cdktf-cli 0.21 ships for Node 22 and older only; none loads on Node ${process.version}.`;
const WHAT_TO_INSTALL = [
  "  Install what building it needs (missing: a C++ compiler, make, python3), then run `npm run postinstall`:",
  "    Debian, Ubuntu:  sudo apt-get install -y g++ make python3",
  "    Fedora, RHEL:    sudo dnf install -y gcc-c++ make python3",
  "    macOS:           xcode-select --install",
  "  Or use Node 22, whose node-pty binary ships prebuilt: nothing to build.",
].join("\n");

describe("tools/node-pty.js", () => {
  it("lets `npm ci` finish where there is no binary and no C++ toolchain, saying what to install", () => {
    const run = nodePty([]);
    expect(run.stderr).toBe(`warning: ${WHY}\n${WHAT_TO_INSTALL}\n`);
    expect(run.stdout).toBe("");
    expect(run.status).toBe(0);
  });

  it("fails there under --strict, as CI runs it", () => {
    const run = nodePty(["--strict"]);
    expect(run.stderr).toBe(`error: ${WHY}\n${WHAT_TO_INSTALL}\n`);
    expect(run.status).toBe(1);
  });

  it("stops a cdktf command (--check) with what to install, instead of the CLI's stack trace", () => {
    const run = nodePty(["--check"]);
    expect(run.stderr).toBe(`error: ${WHY}\n${WHAT_TO_INSTALL}\n`);
    expect(run.status).toBe(1);
  });

  it("says nothing and builds nothing where the binary loads", () => {
    for (const args of [[], ["--check"], ["--strict"]]) {
      expect(nodePty(args, { binary: true })).toMatchObject({ status: 0, stdout: "", stderr: "" });
    }
  });

  it("builds with the node-gyp npm bundles when run outside npm (as CI runs it), none being on PATH", () => {
    // A machine with a toolchain, npm installed as npm installs itself (bin/npm a link into
    // lib/node_modules/npm), and no node-gyp on PATH: a stand-in node-gyp in npm's folder says it ran.
    const machine = mkdtempSync(path.join(tmpdir(), "node-pty-npm-"));
    try {
      const npm = path.join(machine, "lib", "node_modules", "npm");
      mkdirSync(path.join(npm, "bin"), { recursive: true });
      mkdirSync(path.join(npm, "node_modules", "node-gyp", "bin"), { recursive: true });
      writeFileSync(path.join(npm, "bin", "npm-cli.js"), "#!/usr/bin/env node\n");
      chmodSync(path.join(npm, "bin", "npm-cli.js"), 0o755);
      writeFileSync(
        path.join(npm, "node_modules", "node-gyp", "bin", "node-gyp.js"),
        "process.stderr.write(`stand-in node-gyp ${process.argv.slice(2, 3)}\\n`); process.exit(1);\n",
      );
      mkdirSync(path.join(machine, "bin"));
      symlinkSync(path.join(npm, "bin", "npm-cli.js"), path.join(machine, "bin", "npm"));
      symlinkSync("/bin/true", path.join(machine, "bin", "make"));
      const run = spawnSync(process.execPath, ["tools/node-pty.js", "--strict"], {
        cwd: root,
        encoding: "utf8",
        env: {
          PATH: path.join(machine, "bin"),
          HOME: process.env.HOME,
          CXX: "/bin/true",
          PYTHON: "/bin/true",
          NODE_OPTIONS: `--require ${NO_BINARY}`,
        },
      });
      expect(run.stdout).toBe(`building node-pty for Node ${process.version} (no binary ships for it)\n`);
      expect(run.stderr).toContain("stand-in node-gyp rebuild\n");
      expect(run.stderr).not.toContain("ENOENT");
      expect(run.status).toBe(1);
    } finally {
      rmSync(machine, { recursive: true, force: true });
    }
  });
});
