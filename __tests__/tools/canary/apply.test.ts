import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { readSettings } from "../../../modules/settings/file";
import { DEFAULT_APPLY, runApply, shellCommand } from "../../../tools/canary/apply";
import { run } from "../../../tools/canary/cli";
import { startStandIn } from "./stand-in";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * A project folder with the project's package.json (its npm scripts), the check its deploy script runs
 * first, and, first on PATH, a stand-in
 * `cdktf` that logs how it was called and appends SHOPFRONT_WEIGHTS to `applied` (the log a
 * stand-in gateway follows), as a deploy would change the route.
 */
function fakeProject(applied = "/dev/null") {
  const dir = mkdtempSync(path.join(os.tmpdir(), "canary-project-"));
  dirs.push(dir);
  copyFileSync(path.join(ROOT, "package.json"), path.join(dir, "package.json"));
  // The deploy script first checks that the cdktf CLI can start (tools/node-pty.js, on node_modules).
  mkdirSync(path.join(dir, "tools"));
  copyFileSync(path.join(ROOT, "tools", "node-pty.js"), path.join(dir, "tools", "node-pty.js"));
  // Only node-pty: the project's node_modules/.bin would put the real cdktf before the stand-in.
  const nodePty = path.join("node_modules", "@cdktf", "node-pty-prebuilt-multiarch");
  mkdirSync(path.dirname(path.join(dir, nodePty)), { recursive: true });
  symlinkSync(path.join(ROOT, nodePty), path.join(dir, nodePty));
  const bin = path.join(dir, "bin");
  mkdirSync(bin);
  const log = path.join(dir, "cdktf.log");
  writeFileSync(
    path.join(bin, "cdktf"),
    `#!/bin/sh\necho "cdktf $* | cwd=$PWD | SHOPFRONT_WEIGHTS=$SHOPFRONT_WEIGHTS | CHECKPOINT_DISABLE=$CHECKPOINT_DISABLE" >> '${log}'\nprintf '%s\\n' "$SHOPFRONT_WEIGHTS" >> '${applied}'\n`,
  );
  chmodSync(path.join(bin, "cdktf"), 0o755);
  const env = { PATH: `${bin}:${process.env.PATH}`, HOME: dir, TMPDIR: os.tmpdir() };
  return { dir, env, calls: () => readFileSync(log, "utf8").trim().split("\n") };
}

describe("the default apply command", () => {
  it("is the project's deploy of shopfront-stack alone, through npm, without questions, the checkpoint call off", async () => {
    const project = fakeProject();
    const result = await runApply(
      DEFAULT_APPLY,
      { v1: 90, v2: 0, v3: 0, v4: 10 },
      {
        cwd: project.dir,
        env: project.env,
        output: () => {},
        timeoutMs: 60_000,
      },
    );
    expect(result).toEqual({ kind: "applied" });
    expect(project.calls()).toEqual([
      `cdktf deploy shopfront-stack --ignore-missing-stack-dependencies --auto-approve | cwd=${project.dir} | SHOPFRONT_WEIGHTS=v1=90,v2=0,v3=0,v4=10 | CHECKPOINT_DISABLE=1`,
    ]);
  });

  it("drives a whole canary: each step and the promotion through `npm run deploy`", async () => {
    const mesh = await startStandIn({ weights: { v1: 100 } });
    try {
      const project = fakeProject(path.join(mesh.dir, "applied.log"));
      writeFileSync(path.join(project.dir, "settings.env"), "SHOPFRONT_WEIGHTS=v1=100\n");
      let stdout = "";
      const code = await run(
        ["--to", "v2", "--url", mesh.url, "--steps", "50,100", "-n", "200", "--settle", "0s"],
        {
          stdout: (text) => {
            stdout += text;
          },
          stderr: () => {},
          stderrIsTTY: false,
          env: readSettings(project.env, project.dir),
          cwd: project.dir,
        },
      );
      expect(stdout).toContain(`apply: ${DEFAULT_APPLY.text}\n`);
      expect(project.calls().map((call) => call.split(" | ")[2])).toEqual([
        "SHOPFRONT_WEIGHTS=v1=50,v2=50,v3=0,v4=0",
        "SHOPFRONT_WEIGHTS=v1=0,v2=100,v3=0,v4=0",
      ]);
      expect(readFileSync(path.join(project.dir, "settings.env"), "utf8")).toBe(
        "SHOPFRONT_WEIGHTS=v1=0,v2=100,v3=0,v4=0\n",
      );
      expect(code).toBe(0);
    } finally {
      await mesh.close();
    }
  });
});

describe("runApply", () => {
  it("passes the command's output on and reports its exit code", async () => {
    let output = "";
    const result = await runApply(
      shellCommand('echo "applying $SHOPFRONT_WEIGHTS"; exit 7'),
      { v1: 100 },
      {
        cwd: os.tmpdir(),
        env: { PATH: process.env.PATH },
        output: (text) => {
          output += text;
        },
        timeoutMs: 60_000,
      },
    );
    expect(output).toBe("applying v1=100,v2=0,v3=0,v4=0\n");
    expect(result).toEqual({ kind: "failed", code: 7 });
  });

  it("interrupts a command past its timeout, and one that a second Ctrl-C abandons", async () => {
    const options = { cwd: os.tmpdir(), env: { PATH: process.env.PATH }, output: () => {} };
    const started = performance.now();
    expect(await runApply(shellCommand("sleep 30"), { v1: 100 }, { ...options, timeoutMs: 200 })).toEqual({
      kind: "timeout",
    });
    const abandon = new AbortController();
    setTimeout(() => abandon.abort(), 200);
    expect(
      await runApply(
        shellCommand("sleep 30"),
        { v1: 100 },
        { ...options, timeoutMs: 60_000, abandon: abandon.signal },
      ),
    ).toEqual({ kind: "abandoned" });
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});
