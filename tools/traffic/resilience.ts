/**
 * Who answered each request, as the resilience checks need it (docs/resilience.md): a version (its
 * `<pod>:<version>` body), or the gateway itself, told apart by the bodies Envoy writes for its own
 * answers; and the counts the checks test, kept as the run goes. Beside the Tally, which counts the
 * split: the two read the same outcomes.
 */
import type { Outcome } from "./engine/outcome";
import { parseAnswer } from "./tally";

/** The answers Envoy makes itself, by the body it writes for each (its local replies). */
export const GATEWAY_ANSWERS = {
  "rate limited": "local_rate_limited",
  "injected abort": "fault filter abort",
  timeout: "upstream request timeout",
  "connection failure": "upstream connect error or disconnect/reset before headers",
  "no healthy upstream": "no healthy upstream",
} as const;

export type GatewayAnswer = keyof typeof GATEWAY_ANSWERS;

/** `gateway: <what>` for an answer of the gateway's own, else the version of a 2xx answer, else `the app` (its error pages name none). */
export function answeredBy(status: number, body: string): string {
  for (const [what, text] of Object.entries(GATEWAY_ANSWERS)) {
    if (body.startsWith(text)) return `gateway: ${what}`;
  }
  if (status >= 200 && status < 300) return parseAnswer(body)?.version ?? "unknown";
  // The app's own error page names no version.
  return "the app";
}

/**
 * An answer this share of the configured delay or slower counts as delayed: a timer may fire a
 * millisecond early, and the answers without the delay are far faster (the check requires it).
 */
const DELAYED_SHARE = 0.99;

/** What the checks need to know before the run: the configured delay, to count the answers slower than it. */
export interface TallyPolicies {
  readonly delayMs?: number;
}

/** The counts of a run that the resilience checks test. */
export class ResilienceTally {
  /** HTTP status → who answered → responses. */
  readonly statuses = new Map<number, Map<string, number>>();
  /** HTTP responses of any status. */
  responses = 0;
  /** 429s of the gateway's local rate limit. */
  rateLimited = 0;
  /** The gateway's injected aborts, by status. */
  readonly aborts = new Map<number, number>();
  /** 504s of a route or per-try timeout, and the earliest of them, in ms. */
  timeouts = 0;
  earliestTimeoutMs = Number.POSITIVE_INFINITY;
  /** The slowest version answer (2xx), in ms. */
  slowestAnswerMs = 0;
  /** Responses past the rate limit (so past the fault filter's delay) that took the configured delay or longer. */
  delayed = 0;
  /** Latencies of the responses past the rate limit that were faster than the configured delay. */
  readonly undelayedMs: number[] = [];

  constructor(private readonly policies: TallyPolicies = {}) {}

  record(outcome: Outcome): void {
    if (outcome.kind !== "response") return;
    this.responses++;
    const who = answeredBy(outcome.status, outcome.oversized ? "" : outcome.body);
    const byStatus = this.statuses.get(outcome.status) ?? new Map<string, number>();
    byStatus.set(who, (byStatus.get(who) ?? 0) + 1);
    this.statuses.set(outcome.status, byStatus);
    if (who === "gateway: rate limited") {
      this.rateLimited++;
      return;
    }
    if (who === "gateway: injected abort")
      this.aborts.set(outcome.status, (this.aborts.get(outcome.status) ?? 0) + 1);
    if (who === "gateway: timeout") {
      this.timeouts++;
      this.earliestTimeoutMs = Math.min(this.earliestTimeoutMs, outcome.latencyMs);
    }
    if (outcome.status >= 200 && outcome.status < 300) {
      this.slowestAnswerMs = Math.max(this.slowestAnswerMs, outcome.latencyMs);
    }
    const { delayMs } = this.policies;
    if (delayMs === undefined) return;
    if (outcome.latencyMs >= DELAYED_SHARE * delayMs) this.delayed++;
    else this.undelayedMs.push(outcome.latencyMs);
  }

  /** Responses that passed the rate limit: the requests the fault filter saw. */
  get pastRateLimit(): number {
    return this.responses - this.rateLimited;
  }

  /** Injected aborts, of any status. */
  get injectedAborts(): number {
    return [...this.aborts.values()].reduce((a, b) => a + b, 0);
  }
}
