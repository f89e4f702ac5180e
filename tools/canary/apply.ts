/**
 * Applies one step's weights: runs the apply command with them as SHOPFRONT_WEIGHTS in its
 * environment, its output passed through. The command runs in a process group of its own, so that
 * the terminal's Ctrl-C reaches the canary and not a `terraform apply` halfway through: the canary
 * lets the apply finish, then rolls back. Only a timeout or a second Ctrl-C interrupts it (SIGINT,
 * which terraform answers by stopping cleanly; SIGKILL if it has not stopped a minute later).
 */
import { spawn } from "node:child_process";
import { constants } from "node:os";
import { STACK_NAMES } from "../../modules/settings/names";
import type { Weights } from "../../modules/settings/sections/shopfront";
import { formatWeights } from "./plan";

export interface ApplyCommand {
  /** As the user reads it in messages. */
  readonly text: string;
  readonly file: string;
  readonly args: readonly string[];
}

/**
 * The project's own deploy of shopfront-stack alone (`npm run deploy`, which turns HashiCorp's
 * checkpoint call off), without questions; the stacks it reads from are deployed already.
 */
export const DEFAULT_APPLY: ApplyCommand = {
  text: `npm run -s deploy -- ${STACK_NAMES.shopfront} --ignore-missing-stack-dependencies --auto-approve`,
  file: "npm",
  args: [
    "run",
    "-s",
    "deploy",
    "--",
    STACK_NAMES.shopfront,
    "--ignore-missing-stack-dependencies",
    "--auto-approve",
  ],
};

/** --apply-command: run by the shell, as the user wrote it. */
export function shellCommand(text: string): ApplyCommand {
  return { text, file: "/bin/sh", args: ["-c", text] };
}

export type ApplyResult =
  | { readonly kind: "applied" }
  /** Exited non-zero: `code`, or 128 + the signal that ended it. */
  | { readonly kind: "failed"; readonly code: number }
  | { readonly kind: "not started"; readonly message: string }
  | { readonly kind: "timeout" }
  /** Interrupted by a second Ctrl-C: what it applied is unknown. */
  | { readonly kind: "abandoned" };

export interface ApplyOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Where the command's output goes (stderr, so that stdout keeps only the report or the JSON). */
  readonly output: (text: string) => void;
  readonly timeoutMs: number;
  /** Aborted by a second Ctrl-C: interrupt the command. */
  readonly abandon?: AbortSignal;
}

/** How long a command interrupted with SIGINT may take to stop before it is killed. */
const STOP_GRACE_MS = 60_000;

export function runApply(
  command: ApplyCommand,
  weights: Weights,
  options: ApplyOptions,
): Promise<ApplyResult> {
  return new Promise((resolve) => {
    const child = spawn(command.file, command.args, {
      cwd: options.cwd,
      env: { ...options.env, SHOPFRONT_WEIGHTS: formatWeights(weights), CHECKPOINT_DISABLE: "1" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let stopped: "timeout" | "abandoned" | undefined;
    let killer: NodeJS.Timeout | undefined;
    const signalGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-(child.pid as number), signal);
      } catch {
        // The group has ended already.
      }
    };
    const stop = (why: "timeout" | "abandoned") => {
      if (stopped || child.pid === undefined) return;
      stopped = why;
      signalGroup("SIGINT");
      killer = setTimeout(() => signalGroup("SIGKILL"), STOP_GRACE_MS);
    };
    const timer = setTimeout(() => stop("timeout"), options.timeoutMs);
    const onAbandon = () => stop("abandoned");
    options.abandon?.addEventListener("abort", onAbandon);
    const finish = (result: ApplyResult) => {
      clearTimeout(timer);
      clearTimeout(killer);
      options.abandon?.removeEventListener("abort", onAbandon);
      resolve(result);
    };
    child.stdout.on("data", (chunk: Buffer) => options.output(chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => options.output(chunk.toString()));
    child.on("error", (error) => finish({ kind: "not started", message: error.message }));
    child.on("close", (code, signal) => {
      if (stopped) finish({ kind: stopped });
      else if (code === 0) finish({ kind: "applied" });
      else finish({ kind: "failed", code: code ?? 128 + constants.signals[signal as NodeJS.Signals] });
    });
  });
}
