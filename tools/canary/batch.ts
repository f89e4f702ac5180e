/**
 * Sends one batch of requests through the gateway with the traffic tool's engine (its HttpClient
 * and runBatch, as `npm run traffic -- count` sends them) and sorts what comes back into a
 * StepSample.
 */
import { HttpClient } from "../traffic/engine/client";
import { type RunResult, runBatch } from "../traffic/engine/runs";
import { StepSample } from "./sample";

export interface BatchOptions {
  readonly url: URL;
  readonly targetVersion: string;
  readonly requests: number;
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly maxTimeMs: number;
  /** Headers every request carries, such as the bearer token. @default none */
  readonly headers?: Readonly<Record<string, string>>;
  readonly interrupt?: AbortSignal;
  /** Called after each outcome, with the sample so far (for a live line). */
  readonly onProgress?: (sample: StepSample) => void;
}

export interface Batch {
  readonly sample: StepSample;
  readonly run: RunResult;
}

export async function sendBatch(options: BatchOptions): Promise<Batch> {
  const sample = new StepSample(options.targetVersion);
  const client = new HttpClient(options.url, {
    maxSockets: options.concurrency,
    timeoutMs: options.timeoutMs,
    headers: options.headers,
  });
  try {
    const run = await runBatch(client, {
      requests: options.requests,
      concurrency: options.concurrency,
      maxTimeMs: options.maxTimeMs,
      unreachableAfter: Math.min(options.requests, options.concurrency),
      onOutcome: (outcome) => {
        sample.record(outcome);
        options.onProgress?.(sample);
      },
      interrupt: options.interrupt,
    });
    return { sample, run };
  } finally {
    await client.close();
  }
}

/** The most frequent cause of the failures, for "cannot reach" messages. */
export function mainCause(sample: StepSample): string {
  const causes = [...sample.causes].filter(([cause]) => cause !== "cancelled").sort((a, b) => b[1] - a[1]);
  return causes[0]?.[0] ?? "no response";
}
