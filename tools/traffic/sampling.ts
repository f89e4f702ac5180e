/**
 * What the commands that sample the gateway share: the program's input and output (`Io`), the target
 * resolved, a batch of requests with a progress bar on a terminal, and a summary printed as text or
 * JSON. Here rather than in cli.ts, so that `mirror` (mirror.ts) shares them.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import type { ProcessIo } from "../command-line";
import { HttpClient } from "./engine/client";
import type { Outcome } from "./engine/outcome";
import { type RunResult, runBatch } from "./engine/runs";
import { ProgressLine, progressBar } from "./report";
import { Tally } from "./tally";
import { resolveUrl } from "./targets";
import type { ExitCode } from "./verdict";

export interface Io extends ProcessIo {
  /** Aborted by Ctrl-C: the run stops and reports what it measured, marked interrupted. */
  readonly interrupt?: AbortSignal;
}

/** The gateway: `--url`, else GATEWAY_URL, else the outputs file. */
export function urlOf(flags: { url?: string; outputsFile: string }, io: Io) {
  return resolveUrl({ flag: flags.url, env: io.env, cwd: io.cwd, outputsFile: flags.outputsFile });
}

/** Sends the requests of `count` and `pods`, with a progress bar on a terminal. */
export async function sample(
  url: URL,
  /** `timeout` and `maxTime` in milliseconds. */
  flags: { requests: number; concurrency: number; timeout: number; maxTime: number },
  io: Io,
  options: {
    /** Also told each outcome (the resilience checks' tally). */
    readonly also?: (outcome: Outcome) => void;
    /** Sent with every request (a bearer token's Authorization). */
    readonly headers?: Readonly<Record<string, string>>;
  } = {},
): Promise<{ tally: Tally; run: RunResult }> {
  const { also, headers } = options;
  const tally = new Tally();
  const client = new HttpClient(url, { maxSockets: flags.concurrency, timeoutMs: flags.timeout, headers });
  const progress = io.stderrIsTTY ? new ProgressLine(io.stderr) : undefined;
  const onOutcome = (outcome: Outcome) => {
    tally.record(outcome);
    also?.(outcome);
    progress?.show(progressBar(tally.total, flags.requests, tally.errors));
  };
  try {
    const run = await runBatch(client, {
      requests: flags.requests,
      concurrency: flags.concurrency,
      maxTimeMs: flags.maxTime,
      unreachableAfter: Math.min(flags.requests, flags.concurrency),
      onOutcome,
      interrupt: io.interrupt,
    });
    return { tally, run };
  } finally {
    await client.close();
    progress?.done();
  }
}

/** Prints a summary as JSON or text; an unreachable target's cause goes to stderr in one line. */
export function emit<S extends { exitCode: ExitCode; problems: readonly string[] }>(
  summary: S,
  text: (summary: S) => string,
  json: boolean | undefined,
  io: Io,
  html?: { readonly file: string | undefined; readonly page: (summary: S, at: Date) => string },
): ExitCode {
  if (html?.file !== undefined)
    writeFileSync(path.resolve(io.cwd, html.file), html.page(summary, new Date()));
  if (json) io.stdout(`${JSON.stringify(summary, null, 2)}\n`);
  else if (summary.exitCode !== 2) io.stdout(text(summary));
  if (summary.exitCode === 2) io.stderr(`error: ${summary.problems[0]}\n`);
  return summary.exitCode;
}
