import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runCommand } from "../../tools/run-command";

const root = path.resolve(__dirname, "..", "..");

/** True while `pid` runs; a killed process that nobody reaped yet (state Z) counts as gone. */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Waits until none of `pids` runs, for at most `ms`: SIGKILL is delivered asynchronously, late on a loaded machine. */
async function gone(pids: readonly number[], ms = 10_000): Promise<number[]> {
  const deadline = Date.now() + ms;
  while (pids.some(isRunning) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return pids.filter(isRunning);
}

let work: string;
beforeEach(() => {
  work = mkdtempSync(path.join(tmpdir(), "run-command-test-"));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

describe("runCommand", () => {
  it("captures the output and the exit code, in the folder and environment given", async () => {
    const result = await runCommand("sh", ["-c", 'pwd; echo "$GREETING" >&2; exit 3'], {
      cwd: work,
      env: { PATH: process.env.PATH, GREETING: "hello" },
    });
    expect(result).toEqual({ kind: "exited", code: 3, stdout: `${work}\n`, stderr: "hello\n" });
  });

  it("says a command is missing rather than failing", async () => {
    const result = await runCommand("no-such-command-here", []);
    expect(result).toMatchObject({ kind: "not started", missing: true });
  });

  it("kills the command and what it started at the timeout, without waiting for the pipes they hold", async () => {
    const pids = path.join(work, "pids");
    const started = Date.now();
    // The child holds stdout open after the shell is gone, as a wrapper's workers would.
    const result = await runCommand(
      "sh",
      ["-c", `echo $$ > ${pids}; sleep 60 & echo $! >> ${pids}; echo started; wait`],
      { timeoutMs: 500 },
    );
    expect(result).toEqual({
      kind: "timeout",
      message: "did not end within 0.5 s",
      stdout: "started\n",
      stderr: "",
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    const spawned = readFileSync(pids, "utf8").trim().split("\n").map(Number);
    expect(spawned).toHaveLength(2);
    expect(await gone(spawned)).toEqual([]);
  });

  it("on Ctrl-C, kills what a command with a timeout started (its own process group) before it ends", async () => {
    const pids = path.join(work, "pids");
    const script = `require("./tools/run-command").runCommand("sh", ["-c", "echo $$ > ${pids}; sleep 60 & echo $! >> ${pids}; wait"], { timeoutMs: 60000 })`;
    const parent = spawn(process.execPath, ["--import", "tsx", "-e", script], { cwd: root, stdio: "ignore" });
    const deadline = Date.now() + 20_000;
    const spawned = () => {
      try {
        return readFileSync(pids, "utf8").trim().split("\n").filter(Boolean).map(Number);
      } catch {
        return [];
      }
    };
    while (spawned().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(spawned()).toHaveLength(2);
    const ended = new Promise<NodeJS.Signals | null>((resolve) =>
      parent.on("exit", (_code, signal) => resolve(signal)),
    );
    parent.kill("SIGINT");
    expect(await ended).toBe("SIGINT");
    expect(await gone(spawned())).toEqual([]);
  });
});
