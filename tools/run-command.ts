/**
 * Runs a command as a child process, without a shell, stdin closed, its output captured (or, with
 * `terminal`, on this process's terminal). With a timeout the command runs in a process group of its
 * own, so that the timeout kills whatever it started too (a wrapper script's child, jest's workers,
 * terraform's providers), and the run ends without waiting for pipes that a survivor might hold open.
 * A Ctrl-C (or SIGTERM) meanwhile kills those groups before this process ends, as it would have
 * reached them in the terminal's own process group.
 */
import { spawn } from "node:child_process";

export interface RunOptions {
  readonly cwd?: string;
  /** The command's whole environment. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Called with the command's process id once it started (to sample its memory, say). */
  readonly onSpawn?: (pid: number) => void;
}

/** Captured output, with a limit on how long the command may run. */
export interface CapturedRunOptions extends RunOptions {
  /** Kill the command, and every process it started, after this many milliseconds. */
  readonly timeoutMs?: number;
  readonly terminal?: false;
}

/** The command reads and writes this terminal (terraform destroy asks before it deletes); no timeout. */
export interface TerminalRunOptions extends RunOptions {
  readonly terminal: true;
}

export type RunResult =
  | {
      readonly kind: "exited";
      /** The exit code; 128 when a signal ended the command. */
      readonly code: number;
      readonly stdout: string;
      readonly stderr: string;
    }
  | {
      readonly kind: "timeout";
      /** What happened, as `did not end within 10 s`. */
      readonly message: string;
      /** What it wrote before it was killed. */
      readonly stdout: string;
      readonly stderr: string;
    }
  /** The command could not start: `missing` when it is not on PATH (ENOENT). */
  | { readonly kind: "not started"; readonly missing: boolean; readonly message: string };

/** The process groups of the commands running with a timeout, killed if this process is interrupted. */
const groups = new Set<number>();

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already.
  }
}

function onInterrupt(signal: NodeJS.Signals): void {
  for (const pid of groups) killGroup(pid, "SIGKILL");
  process.removeListener("SIGINT", onInterrupt);
  process.removeListener("SIGTERM", onInterrupt);
  // End as the signal ends this process when nothing else listens for it.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function track(pid: number): void {
  if (groups.size === 0) {
    process.on("SIGINT", onInterrupt);
    process.on("SIGTERM", onInterrupt);
  }
  groups.add(pid);
}

function untrack(pid: number): void {
  if (!groups.delete(pid) || groups.size > 0) return;
  process.removeListener("SIGINT", onInterrupt);
  process.removeListener("SIGTERM", onInterrupt);
}

export function runCommand(
  command: string,
  args: readonly string[],
  options: CapturedRunOptions | TerminalRunOptions = {},
): Promise<RunResult> {
  const timeoutMs = options.terminal ? undefined : options.timeoutMs;
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: options.terminal ? "inherit" : ["ignore", "pipe", "pipe"],
      // Its own process group, so that a timeout reaches whatever it started.
      detached: timeoutMs !== undefined,
    });
    const group = timeoutMs !== undefined ? child.pid : undefined;
    if (group !== undefined) track(group);
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    let stdout = "";
    let stderr = "";
    let settled = false;
    const settle = (result: RunResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (group !== undefined) untrack(group);
      resolve(result);
    };
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            if (group !== undefined) killGroup(group, "SIGKILL");
            // A process it started may hold the pipes open; do not wait for them to close.
            child.stdout?.destroy();
            child.stderr?.destroy();
            settle({ kind: "timeout", message: `did not end within ${timeoutMs / 1000} s`, stdout, stderr });
          }, timeoutMs);
    child.stdout?.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr?.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", (error: NodeJS.ErrnoException) =>
      settle({ kind: "not started", missing: error.code === "ENOENT", message: error.message }),
    );
    child.on("close", (code, signal) =>
      settle({ kind: "exited", code: code ?? (signal ? 128 : 1), stdout, stderr }),
    );
  });
}
