/**
 * What every preflight check is made of: its line (status, subject, message), and the probe that runs
 * a command for it, killed with its children after a timeout, so that preflight never hangs.
 */
import type { Env } from "../modules/settings/load";
import { runCommand } from "./run-command";

export type Status = "ok" | "warning" | "problem" | "cannot check";

export interface CheckLine {
  readonly status: Status;
  readonly subject: string;
  readonly message: string;
}

export type ProbeResult =
  | { readonly kind: "missing" }
  | { readonly kind: "timeout" }
  | { readonly kind: "exited"; readonly code: number; readonly stdout: string; readonly stderr: string };

/** Runs one command for a check; the tests inject stubs through PATH. */
export type Probe = (command: string, args: readonly string[]) => Promise<ProbeResult>;

/** Runs a command without a shell, stdin closed, and kills it (and what it started) after `timeoutMs`. */
export async function probe(
  command: string,
  args: readonly string[],
  timeoutMs: number,
  env: Env = process.env,
): Promise<ProbeResult> {
  const result = await runCommand(command, args, {
    env: { ...env, CHECKPOINT_DISABLE: "1", AWS_PAGER: "" },
    timeoutMs,
  });
  if (result.kind === "not started") {
    return result.missing ? { kind: "missing" } : { kind: "exited", code: 126, stdout: "", stderr: "" };
  }
  return result.kind === "timeout" ? { kind: "timeout" } : result;
}

/** -1, 0 or 1 as version `a` is older than, equal to or newer than `b` (numeric x.y.z). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] || 0) - (pb[i] || 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

export const firstLine = (text: string) =>
  text
    .split("\n")
    .map((line) => line.trim())
    .find((line) => line !== "") ?? "";

/** What the AWS CLI says when it cannot reach AWS at all, as opposed to an answer from AWS. */
export const OFFLINE =
  /Could not connect to the endpoint URL|EndpointConnectionError|Connect timeout|Name or service not known|getaddrinfo|Temporary failure in name resolution|Network is unreachable/i;
