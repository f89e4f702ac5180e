// The cdktf CLI (npm run synth, synth:hcl, deploy, destroy, output) loads node-pty's native module
// when it starts, and cdktf-cli 0.21 (the last release: HashiCorp archived CDKTF) ships that module
// for Node 22 and older only. Node 22 needs nothing here. On a newer Node (24):
//   node tools/node-pty.js           npm's postinstall: builds node-pty from its source in
//                                    node_modules, once, when a C++ toolchain is installed; without
//                                    one it says what to install and lets the install finish
//   node tools/node-pty.js --strict  the same, but exits 1 unless the module loads after (CI)
//   node tools/node-pty.js --check   before each cdktf command: exits 1 with what to install when
//                                    the CLI could not start, instead of the CLI's stack trace
// Nothing else needs node-pty: npm test, npm run plan, list, preflight, analyze, traffic and
// destroy:all run without it, except the tests that run the cdktf CLI.
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const pkg = path.dirname(require.resolve("@cdktf/node-pty-prebuilt-multiarch/package.json"));
const built = path.join(pkg, "build", "Release", "pty.node");

/** True when node-pty's native module loads in this Node, as the CLI loads it. */
function loads() {
  const { ptyPath } = require(path.join(pkg, "lib", "prebuild-file-path"));
  return [ptyPath, built].some((file) => {
    if (!file || !fs.existsSync(file)) return false;
    try {
      require(file);
      return true;
    } catch {
      return false;
    }
  });
}

/** The path of an executable named `name` on PATH, or undefined. */
function onPath(name) {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // Not in this folder.
    }
  }
  return undefined;
}

/** What node-gyp needs that is missing here (Linux and macOS: a C++ compiler, make, python3). */
function missingTools() {
  const missing = [];
  if (!(process.env.CXX || ["c++", "g++", "clang++"].some(onPath))) missing.push("a C++ compiler");
  if (!onPath("make")) missing.push("make");
  if (!(process.env.npm_config_python || process.env.PYTHON || onPath("python3"))) missing.push("python3");
  return missing;
}

/** What to do about it: install what is missing, or build; or use Node 22. */
function howToFix(missing) {
  const steps =
    missing.length > 0
      ? [
          `  Install what building it needs (missing: ${missing.join(", ")}), then run \`npm run postinstall\`:`,
          "    Debian, Ubuntu:  sudo apt-get install -y g++ make python3",
          "    Fedora, RHEL:    sudo dnf install -y gcc-c++ make python3",
          "    macOS:           xcode-select --install",
        ]
      : ["  Build it for this Node: `npm run postinstall`."];
  return [...steps, "  Or use Node 22, whose node-pty binary ships prebuilt: nothing to build."].join("\n");
}

const why = () =>
  `the cdktf CLI (npm run synth, deploy, destroy, output) needs node-pty's native module, which ` +
  `cdktf-cli 0.21 ships for Node 22 and older only; none loads on Node ${process.version}`;

/**
 * node-gyp's script: the one npm names when it runs a script (npm_config_node_gyp), else the one
 * npm bundles beside the npm on PATH (run directly, as CI does, no node-gyp is on PATH); undefined
 * to try `node-gyp` on PATH.
 */
function nodeGyp() {
  if (process.env.npm_config_node_gyp) return process.env.npm_config_node_gyp;
  const npm = onPath("npm");
  if (!npm) return undefined;
  const bundled = path.join(
    path.dirname(fs.realpathSync(npm)),
    "..",
    "node_modules",
    "node-gyp",
    "bin",
    "node-gyp.js",
  );
  return fs.existsSync(bundled) ? bundled : undefined;
}

/** Builds node-pty for this Node with node-gyp; true when it then loads. */
function build() {
  // Headers of this Node: beside its binary (official tarballs), or in the platform package that
  // the npm registry's `node` package installs; else node-gyp downloads them.
  const prefix = path.dirname(path.dirname(process.execPath));
  const nodedir = [
    prefix,
    path.join(prefix, "node_modules", `node-${process.platform}-${process.arch}`),
  ].find((dir) => fs.existsSync(path.join(dir, "include", "node", "node.h")));
  const gyp = nodeGyp();
  const [command, args] = gyp ? [process.execPath, [gyp]] : ["node-gyp", []];
  process.stdout.write(`building node-pty for Node ${process.version} (no binary ships for it)\n`);
  const result = spawnSync(command, [...args, "rebuild", ...(nodedir ? [`--nodedir=${nodedir}`] : [])], {
    cwd: pkg,
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
    env: { ...process.env, npm_config_nodedir: nodedir ?? process.env.npm_config_nodedir },
  });
  if (result.status === 0 && loads()) return true;
  process.stderr.write(`${result.stdout ?? ""}${result.stderr ?? ""}${result.error ?? ""}\n`);
  return false;
}

function main(argv) {
  if (loads()) return 0;
  const missing = missingTools();
  if (argv.includes("--check")) {
    process.stderr.write(`error: ${why()}.\n${howToFix(missing)}\n`);
    return 1;
  }
  const level = argv.includes("--strict") ? "error" : "warning";
  if (missing.length > 0) {
    process.stderr.write(`${level}: ${why()}.\n${howToFix(missing)}\n`);
  } else if (build()) {
    return 0;
  } else {
    process.stderr.write(
      `${level}: building node-pty for Node ${process.version} failed (above), and ${why()}.\n` +
        "  Fix the cause, then run `npm run postinstall`; or use Node 22, whose binary ships prebuilt.\n",
    );
  }
  // Without --strict the install goes on: everything but the cdktf CLI works without node-pty.
  return level === "error" ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
