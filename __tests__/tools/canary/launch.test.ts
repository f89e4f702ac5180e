/**
 * `npm run -s canary` as a user runs it, in a process group of its own, so that a test can press
 * Ctrl-C: a terminal sends SIGINT to the whole foreground group (npm, Node and any apply running in
 * that group).
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type StandIn, startStandIn } from "./stand-in";

const ROOT = path.join(__dirname, "..", "..", "..");

let mesh: StandIn | undefined;
afterAll(() => mesh?.close());

test("Ctrl-C mid-step: the real process rolls back, says so on its last line, and exits 130", async () => {
  let child: ReturnType<typeof spawn> | undefined;
  mesh = await startStandIn({
    weights: { v1: 50, v2: 50 },
    // Pressed once the second step has had 300 of its requests (1000 before the canary, 1000 in step 1).
    onRequest: (count) => {
      if (count === 2300 && child?.pid) process.kill(-child.pid, "SIGINT");
    },
  });
  writeFileSync(path.join(mesh.dir, "settings.env"), "SHOPFRONT_WEIGHTS=v1=50,v2=50\n");
  child = spawn(
    "npm",
    [
      "run",
      "-s",
      "canary",
      "--",
      "--to",
      "v4",
      "--url",
      mesh.url,
      "--apply-command",
      mesh.applyCommand,
      "--settle",
      "0s",
    ],
    {
      cwd: ROOT,
      env: { ...process.env, SETTINGS_FILE: path.join(mesh.dir, "settings.env") },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  const killer = setTimeout(() => child?.pid && process.kill(-child.pid, "SIGKILL"), 60_000);
  const code = await new Promise<number>((resolve) =>
    child?.on("close", (exit, signal) => {
      clearTimeout(killer);
      resolve(exit ?? 128 + os.constants.signals[signal as NodeJS.Signals]);
    }),
  );
  expect(stderr).toContain("Ctrl-C: rolling back");
  expect(mesh.applied()).toEqual([
    "v1=48,v2=47,v3=0,v4=5",
    "v1=38,v2=37,v3=0,v4=25",
    "v1=50,v2=50,v3=0,v4=0",
  ]);
  expect(stdout.trimEnd().split("\n").pop()).toBe(
    "rolled back at step 2/4 (v4 at 25%): interrupted by Ctrl-C; v1=50,v2=50,v3=0,v4=0 re-applied",
  );
  expect(code).toBe(130);
});
