/**
 * The resilience checks of a run (docs/resilience.md), from its ResilienceTally and the configured
 * policies: the share of injected aborts and of delayed answers, each an exact binomial test against
 * the configured percentage (two-sided, the smaller tail doubled: false alarms at most alpha on a
 * correct mesh); the timeouts hit against the route's timeout; the requests admitted against the
 * rate limit's most. What the gateway answered itself because a policy says so is not an error.
 */
import { goDurationMs } from "../../modules/manifests/rules/route-policies";
import type { Mirror, Retries } from "../../modules/settings/sections/resilience";
import { binomialUpperTail } from "../canary/statistics";
import type { Policies } from "./policies";
import type { ResilienceTally } from "./resilience";
import { pValueText } from "./stats";

/** A share of requests tested against the configured percentage. */
export interface ShareCheck {
  /** The configured share, in percent. */
  readonly configured: number;
  /** Requests that showed it, out of `of`. */
  readonly observed: number;
  readonly of: number;
  /** observed / of, in percent. */
  readonly share: number;
  /** Null when nothing could be tested. */
  readonly pValue: number | null;
  readonly consistent: boolean;
}

export interface ResilienceSummary {
  readonly source: string;
  /** HTTP status → who answered (a version, or the gateway and why) → responses. */
  readonly statuses: Record<string, Record<string, number>>;
  /** Error causes (as the error line counts them, `status 503`) of answers the policies explain. */
  readonly explained: Record<string, number>;
  readonly abort: (ShareCheck & { readonly status: number }) | null;
  readonly delay:
    | (ShareCheck & {
        readonly delay: string;
        /** The answers without the delay are fast enough to tell from delayed ones (their p99 under half of it). */
        readonly separable: boolean;
        readonly undelayedP99Ms: number | null;
      })
    | null;
  readonly timeout: {
    readonly configured: string | null;
    /** The earliest a 504 may come: the route's timeout, or all tries' per-try timeouts when shorter. */
    readonly earliestMs: number | null;
    readonly hit: number;
    readonly earliestHitMs: number | null;
    readonly slowestAnswerMs: number | null;
  };
  readonly retries: Retries | null;
  readonly rateLimit: {
    readonly configured: string;
    readonly pods: number;
    readonly limited: number;
    readonly admitted: number;
    readonly elapsedMs: number;
    /** The most the buckets admit in the run: each pod's full bucket, and a refill per interval begun. */
    readonly most: number;
    /** Admitted requests per the limit's unit (second or minute). */
    readonly rate: number;
  } | null;
  readonly mirror: Mirror | null;
  readonly problems: readonly string[];
}

/** The two-sided exact binomial test of `k` in `n` against probability `p`: the smaller tail, doubled. */
export function binomialTwoSided(k: number, n: number, p: number): number {
  const upper = binomialUpperTail(k, n, p);
  const lower = 1 - binomialUpperTail(k + 1, n, p);
  return Math.min(1, 2 * Math.min(upper, lower));
}

const percentOf = (part: number, whole: number) => (whole === 0 ? 0 : (100 * part) / whole);

function shareCheck(observed: number, of: number, configured: number, alpha: number): ShareCheck {
  const pValue = of === 0 ? null : binomialTwoSided(observed, of, configured / 100);
  return {
    configured,
    observed,
    of,
    share: percentOf(observed, of),
    pValue,
    consistent: pValue === null || pValue >= alpha,
  };
}

/** An answer slower than the route's timeout by more than this has not been cut by it (the network's time, the client's). */
function timeoutSlackMs(timeoutMs: number): number {
  return Math.max(1000, timeoutMs / 4);
}

/** A 504 this much before the earliest the policies allow says the gateway's timeout is shorter. */
const EARLY_TIMEOUT = 0.9;

export interface ResilienceContext {
  readonly alpha: number;
  /** The run's length, which the rate limit's buckets are measured over. */
  readonly elapsedMs: number;
}

export function summarizeResilience(
  tally: ResilienceTally,
  policies: Policies,
  context: ResilienceContext,
): ResilienceSummary {
  const problems: string[] = [];
  const { alpha } = context;
  const statuses = Object.fromEntries(
    [...tally.statuses]
      .sort(([a], [b]) => a - b)
      .map(([status, byWho]) => [
        String(status),
        Object.fromEntries([...byWho].sort(([a], [b]) => a.localeCompare(b))),
      ]),
  );
  const explained: Record<string, number> = {};
  const explain = (status: number, count: number) => {
    if (count > 0) explained[`status ${status}`] = (explained[`status ${status}`] ?? 0) + count;
  };

  let abort: ResilienceSummary["abort"] = null;
  const configuredAbort = policies.faultAbort;
  if (configuredAbort !== undefined) {
    const injected = tally.aborts.get(configuredAbort.status) ?? 0;
    abort = {
      status: configuredAbort.status,
      ...shareCheck(injected, tally.pastRateLimit, configuredAbort.percent, alpha),
    };
    explain(configuredAbort.status, injected);
    if (!abort.consistent && abort.pValue !== null) {
      problems.push(
        `injected aborts are inconsistent with ${configuredAbort.status} on ${configuredAbort.percent}% of requests: ${injected} of ${abort.of} (${abort.share.toFixed(1)}%), ${pValueText(abort.pValue)} < --alpha ${alpha}`,
      );
    }
  }
  const strayAborts = tally.injectedAborts - (abort === null ? 0 : (tally.aborts.get(abort.status) ?? 0));
  if (strayAborts > 0) {
    const statusesOf = [...tally.aborts.keys()]
      .filter((status) => status !== configuredAbort?.status)
      .join(", ");
    problems.push(
      `the gateway injected ${strayAborts} aborts with ${statusesOf} ("fault filter abort"), but the route ${configuredAbort === undefined ? "has no fault abort" : `aborts with ${configuredAbort.status}`}`,
    );
  }

  let delay: ResilienceSummary["delay"] = null;
  const configuredDelay = policies.faultDelay;
  if (configuredDelay !== undefined) {
    const fast = Float64Array.from(tally.undelayedMs).sort();
    const undelayedP99Ms =
      fast.length === 0 ? null : fast[Math.min(fast.length - 1, Math.ceil(0.99 * fast.length) - 1)];
    const separable = undelayedP99Ms === null || undelayedP99Ms < configuredDelay.ms / 2;
    const check = shareCheck(tally.delayed, tally.pastRateLimit, configuredDelay.percent, alpha);
    delay = {
      delay: configuredDelay.text,
      separable,
      undelayedP99Ms: undelayedP99Ms === null ? null : Math.round(undelayedP99Ms * 100) / 100,
      ...(separable ? check : { ...check, pValue: null, consistent: true }),
    };
    if (separable && !check.consistent && check.pValue !== null) {
      problems.push(
        `delayed answers are inconsistent with ${configuredDelay.text} on ${configuredDelay.percent}% of requests: ${tally.delayed} of ${check.of} (${check.share.toFixed(1)}%) took ${configuredDelay.text} or more, ${pValueText(check.pValue)} < --alpha ${alpha}`,
      );
    }
  }

  const timeout = timeoutCheck(tally, policies, problems);
  const rateLimit = rateLimitCheck(tally, policies, context.elapsedMs, problems);
  if (rateLimit !== null) explain(429, tally.rateLimited);
  return {
    source: policies.source,
    statuses,
    explained,
    abort,
    delay,
    timeout,
    retries: policies.retries ?? null,
    rateLimit,
    mirror: policies.mirror ?? null,
    problems,
  };
}

function timeoutCheck(
  tally: ResilienceTally,
  policies: Policies,
  problems: string[],
): ResilienceSummary["timeout"] {
  const { timeout, retries } = policies;
  const perTry = retries?.perTryTimeout === undefined ? Number.NaN : goDurationMs(retries.perTryTimeout);
  const allTries =
    retries !== undefined && retries.attempts > 0 && perTry > 0
      ? (retries.attempts + 1) * perTry
      : Number.POSITIVE_INFINITY;
  const earliest = Math.min(timeout?.ms ?? Number.POSITIVE_INFINITY, allTries);
  const earliestHitMs = tally.timeouts > 0 ? tally.earliestTimeoutMs : null;
  if (tally.timeouts > 0 && !Number.isFinite(earliest)) {
    problems.push(
      `the gateway answered ${tally.timeouts} times 504 "upstream request timeout", but the route has neither a timeout nor a per-try timeout`,
    );
  } else if (earliestHitMs !== null && earliestHitMs < EARLY_TIMEOUT * earliest) {
    problems.push(
      `a 504 "upstream request timeout" came after ${(earliestHitMs / 1000).toFixed(2)} s, before the ${(earliest / 1000).toFixed(2)} s the route's timeout and retries allow: the gateway's timeout is shorter than configured`,
    );
  }
  if (timeout !== undefined && tally.slowestAnswerMs > timeout.ms + timeoutSlackMs(timeout.ms)) {
    problems.push(
      `an answer took ${(tally.slowestAnswerMs / 1000).toFixed(2)} s, past the route's timeout ${timeout.text}: the gateway did not apply it`,
    );
  }
  return {
    configured: timeout?.text ?? null,
    earliestMs: Number.isFinite(earliest) ? earliest : null,
    hit: tally.timeouts,
    earliestHitMs: earliestHitMs === null ? null : Math.round(earliestHitMs),
    slowestAnswerMs: tally.slowestAnswerMs > 0 ? Math.round(tally.slowestAnswerMs) : null,
  };
}

function rateLimitCheck(
  tally: ResilienceTally,
  policies: Policies,
  elapsedMs: number,
  problems: string[],
): ResilienceSummary["rateLimit"] {
  const limit = policies.rateLimit;
  if (limit === undefined) {
    if (tally.rateLimited > 0) {
      problems.push(
        `the gateway answered ${tally.rateLimited} times 429 "local_rate_limited", but INGRESS_RATE_LIMIT is unset: a rate limit is applied that the settings do not configure`,
      );
    }
    return null;
  }
  const intervalMs = limit.per === "s" ? 1000 : 60_000;
  // Each pod's bucket starts at most full and is refilled once per interval begun in the run.
  const most = limit.pods * limit.requests * (1 + Math.ceil(elapsedMs / intervalMs));
  const admitted = tally.pastRateLimit;
  const rate = elapsedMs === 0 ? 0 : (admitted * intervalMs) / elapsedMs;
  const configured = `${limit.requests}/${limit.per}`;
  if (admitted > most) {
    problems.push(
      `the gateway admitted ${admitted} requests in ${(elapsedMs / 1000).toFixed(2)} s, over the ${most} that INGRESS_RATE_LIMIT=${configured} allows (${limit.pods} gateway pod${limit.pods > 1 ? "s" : ""}, each a full bucket and a refill per ${limit.per === "s" ? "second" : "minute"} begun): the limit is not applied`,
    );
  }
  return {
    configured,
    pods: limit.pods,
    limited: tally.rateLimited,
    admitted,
    elapsedMs: Math.round(elapsedMs),
    most,
    rate,
  };
}
