/**
 * From a run's tally to a summary and a verdict. A summary is exactly the object that `--json`
 * prints, and the human report renders it: one source for both.
 */
import type { Weights } from "../../modules/settings/sections/shopfront";
import type { RunResult, StopReason } from "./engine/runs";
import type { ResilienceSummary } from "./resilience-verdict";
import { goodnessOfFit, percentile, pValueText, sampleSizeForMargin } from "./stats";

export { formatP, pValueText } from "./stats";

import type { Tally } from "./tally";

/**
 * 0: as expected; 1: a check failed (split, evenness, errors, rate); 2: bad usage, unreachable, or
 * the run could not measure; 130: interrupted by Ctrl-C (128 + SIGINT, as shells report it).
 */
export type ExitCode = 0 | 1 | 2 | 130;

/** The exit code of a run that Ctrl-C cut short. */
export const INTERRUPTED = 130;

export interface Latency {
  /** Samples behind the percentiles. */
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

export interface FitTest {
  readonly statistic: number;
  readonly dof: number;
  readonly pValue: number;
  /** Some expected count is below 5: the p-value is only a guide. */
  readonly approximate: boolean;
}

/** What every command reports about the requests themselves. */
interface RunSummary {
  readonly url: string;
  readonly urlSource: string;
  /** Requests that ended (answered, failed or timed out). */
  readonly total: number;
  readonly errors: number;
  /** errors / total, in percent. */
  readonly errorRate: number;
  readonly maxErrorRate: number;
  readonly errorCauses: Record<string, number>;
  /** The first 2xx body that was not an answer (its first 60 characters); null when none. */
  readonly badBodyExample: string | null;
  /** Version → answers. */
  readonly versions: Record<string, number>;
  /** Version → latency of its answers, in milliseconds. */
  readonly latencyMs: Record<string, Latency>;
  readonly elapsedMs: number;
  readonly stopped: StopReason | null;
  readonly exitCode: ExitCode;
  /** Why the exit code is not 0, one reason a line; empty when it is. */
  readonly problems: readonly string[];
  /** Where the requests' bearer token came from (never the token); null without one. */
  readonly token?: string | null;
}

export interface CountSummary extends RunSummary {
  readonly command: "count";
  readonly requested: number;
  readonly concurrency: number;
  /** Pod hostname → answers. */
  readonly pods: Record<string, number>;
  /** Pod hostname → its version, for grouping. */
  readonly podVersions: Record<string, string>;
  /** Version → weight in percent. */
  readonly expected: Weights;
  readonly expectedSource: string;
  /** Chi-square goodness of fit of versions against expected; null without answers. */
  readonly test: FitTest | null;
  readonly pValue: number | null;
  readonly alpha: number;
  readonly consistent: boolean;
  /** Requests that pin the smallest non-zero weight to ±1 percentage point at 95% confidence. */
  readonly resolution: { readonly version: string; readonly weight: number; readonly requests: number };
  /** Status codes by who answered, and the configured resilience policies' checks. */
  readonly resilience: ResilienceSummary;
}

export interface PodsSummary extends RunSummary {
  readonly command: "pods";
  readonly requested: number;
  readonly concurrency: number;
  readonly version: string;
  /** Pods of `version` that should answer (`--replicas` or the manifests); null when unknown. */
  readonly replicas: number | null;
  readonly replicasSource: string | null;
  /** Pod hostname of `version` → answers. */
  readonly pods: Record<string, number>;
  /** Pod hostname → its even share in percent (the round-robin expectation). */
  readonly expected: Record<string, number>;
  /** Chi-square test of the pods' counts against an even split; null when it cannot be run. */
  readonly test: FitTest | null;
  readonly pValue: number | null;
  readonly alpha: number;
  readonly even: boolean;
}

export interface LoadSummary extends RunSummary {
  readonly command: "load";
  readonly path: string;
  readonly rate: number;
  readonly durationMs: number;
  /** Requests the schedule called for: rate × duration. */
  readonly planned: number;
  readonly sent: number;
  /** The rate requests went out at. */
  readonly sentRate: number;
  /** HTTP status → responses; 404s from the error path are traffic, not errors, here. */
  readonly statuses: Record<string, number>;
  readonly pods: Record<string, number>;
  /** Latency of every HTTP response, whatever its status. */
  readonly responseLatencyMs: Latency | null;
  /** Status codes by who answered, and the configured resilience policies' checks. */
  readonly resilience: ResilienceSummary;
}

function latencyOf(samples: readonly number[]): Latency | null {
  if (samples.length === 0) return null;
  // A typed array sorts numbers in place without a comparator call per pair: 100000 latencies sort
  // in a few milliseconds.
  const sorted = Float64Array.from(samples).sort();
  const at = (p: number) => Math.round((percentile(sorted, p) ?? 0) * 100) / 100;
  return { n: sorted.length, p50: at(50), p95: at(95), p99: at(99) };
}

function fitTest(observed: readonly number[], weights: readonly number[]): FitTest {
  const { statistic, dof, pValue, approximate } = goodnessOfFit(observed, weights);
  return { statistic, dof, pValue, approximate };
}

const byKey = <T>(entries: Iterable<[string, T]>): Record<string, T> =>
  Object.fromEntries([...entries].sort(([a], [b]) => a.localeCompare(b, "en", { numeric: true })));

const percent = (part: number, whole: number) => (whole === 0 ? 0 : (100 * part) / whole);

/** The most frequent cause of failure, for the one-line "cannot reach" message. */
function mainCause(causes: Map<string, number>): string {
  const own = [...causes].filter(([cause]) => cause !== "cancelled");
  return own.sort((a, b) => b[1] - a[1])[0]?.[0] ?? "no response";
}

export interface RunContext {
  readonly url: URL;
  readonly urlSource: string;
  readonly maxErrorRate: number;
  readonly run: RunResult;
}

/**
 * The part every command shares. `errorCauses` are what counts as an error for the command; the
 * target is unreachable when not one request got an HTTP response.
 */
function runSummary(tally: Tally, context: RunContext, errorCauses: Map<string, number>) {
  const errors = [...errorCauses.values()].reduce((a, b) => a + b, 0);
  const errorRate = percent(errors, tally.total);
  const problems: string[] = [];
  let unreachable: string | undefined;
  if (context.run.stopped === "interrupted") {
    problems.push(`interrupted by Ctrl-C (SIGINT) after ${tally.total} requests`);
    if (errorRate > context.maxErrorRate) {
      problems.push(
        `errors so far: ${errorRate.toFixed(1)}% of requests, over --max-error-rate ${context.maxErrorRate}%`,
      );
    }
  } else if (tally.responses === 0) {
    unreachable = `cannot reach ${context.url.href}: ${mainCause(tally.failures)} (no answer to ${tally.total} requests)`;
  } else {
    if (context.run.stopped === "max-time") {
      problems.push(`stopped by --max-time after ${context.run.sent} requests`);
    }
    if (errorRate > context.maxErrorRate) {
      problems.push(
        `too many errors: ${errorRate.toFixed(1)}% of requests, over --max-error-rate ${context.maxErrorRate}%`,
      );
    }
  }
  const latencyMs: Record<string, Latency> = {};
  for (const [version, samples] of Object.entries(byKey(tally.latencies))) {
    const latency = latencyOf(samples);
    if (latency) latencyMs[version] = latency;
  }
  // Two parts, so that the JSON reads as the report does: the target and the counts first, timings last.
  return {
    head: {
      url: context.url.href,
      urlSource: context.urlSource,
      total: tally.total,
      errors,
      errorRate,
      maxErrorRate: context.maxErrorRate,
      errorCauses: byKey(errorCauses),
      badBodyExample: tally.badBodyExample ?? null,
    },
    tail: { latencyMs, elapsedMs: Math.round(context.run.elapsedMs), stopped: context.run.stopped ?? null },
    problems,
    unreachable,
  };
}

function exitCodeOf(
  unreachable: string | undefined,
  problems: string[],
  run: RunResult,
): { exitCode: ExitCode; problems: string[] } {
  if (run.stopped === "interrupted") return { exitCode: INTERRUPTED, problems };
  if (unreachable) return { exitCode: 2, problems: [unreachable] };
  return { exitCode: problems.length > 0 ? 1 : 0, problems };
}

export interface CountContext extends RunContext {
  readonly requested: number;
  readonly concurrency: number;
  readonly expected: Weights;
  readonly expectedSource: string;
  readonly alpha: number;
  readonly resilience: ResilienceSummary;
}

/** The error causes less the gateway's answers that a configured policy explains (injected aborts, rate limiting). */
function unexplained(causes: Map<string, number>, explained: Readonly<Record<string, number>>) {
  return new Map(
    [...causes]
      .map(([cause, count]): [string, number] => [cause, count - (explained[cause] ?? 0)])
      .filter(([, count]) => count > 0),
  );
}

function noAnswers(tally: Tally): string {
  const example =
    tally.badBodyExample === undefined ? "" : `; bodies such as ${JSON.stringify(tally.badBodyExample)}`;
  return `no shopfront answers (<pod>:<version>, in lower case) to test the split with${example}`;
}

export function summarizeCount(tally: Tally, context: CountContext): CountSummary {
  const causes = unexplained(tally.errorCauses(), context.resilience.explained);
  const { head, tail, problems, unreachable } = runSummary(tally, context, causes);
  // Versions the weights name come first (with 0 when none answered), then any the gateway added.
  const names = [...new Set([...Object.keys(context.expected), ...tally.versions.keys()])];
  const versions = byKey(names.map((v): [string, number] => [v, tally.versions.get(v) ?? 0]));
  const observed = Object.keys(versions).map((v) => versions[v]);
  const weights = Object.keys(versions).map((v) => context.expected[v] ?? 0);
  const test = tally.answers > 0 ? fitTest(observed, weights) : null;
  const consistent = test !== null && test.pValue >= context.alpha;
  if (!unreachable) {
    if (test === null) problems.push(noAnswers(tally));
    else if (!consistent) {
      problems.push(
        `the split is inconsistent with the expected weights: ${pValueText(test.pValue)} < --alpha ${context.alpha}`,
      );
    }
    problems.push(...context.resilience.problems);
  }
  const [smallestVersion, smallestWeight] = Object.entries(context.expected)
    .filter(([, weight]) => weight > 0)
    .sort((a, b) => a[1] - b[1])[0];
  return {
    command: "count",
    requested: context.requested,
    concurrency: context.concurrency,
    ...head,
    versions,
    pods: byKey([...tally.pods].map(([pod, { count }]): [string, number] => [pod, count])),
    podVersions: byKey([...tally.pods].map(([pod, { version }]): [string, string] => [pod, version])),
    expected: context.expected,
    expectedSource: context.expectedSource,
    test,
    pValue: test?.pValue ?? null,
    alpha: context.alpha,
    consistent,
    resolution: {
      version: smallestVersion,
      weight: smallestWeight,
      requests: sampleSizeForMargin(smallestWeight / 100, 0.01),
    },
    resilience: context.resilience,
    ...tail,
    ...exitCodeOf(unreachable, problems, context.run),
  };
}

export interface PodsContext extends RunContext {
  readonly requested: number;
  readonly concurrency: number;
  readonly version: string;
  readonly replicas?: { readonly count: number; readonly source: string };
  readonly alpha: number;
}

export function summarizePods(tally: Tally, context: PodsContext): PodsSummary {
  const { head, tail, problems, unreachable } = runSummary(tally, context, tally.errorCauses());
  const pods = byKey(
    [...tally.pods]
      .filter(([, pod]) => pod.version === context.version)
      .map(([name, { count }]): [string, number] => [name, count]),
  );
  const counts = Object.values(pods);
  const replicas = context.replicas?.count;
  // Pods that should answer and did not are zeros in the test; the ones that did are all we can name.
  const categories = Math.max(counts.length, replicas ?? 0);
  const observed = [...counts, ...Array<number>(categories - counts.length).fill(0)];
  let test: FitTest | null = null;
  if (!unreachable) {
    if (counts.length === 0) {
      const seen = Object.entries(byKey(tally.versions)).map(([v, n]) => `${v}=${n}`);
      problems.push(`no answer came from ${context.version} (answers: ${seen.join(", ") || "none"})`);
    } else if (categories === 1 && replicas === undefined) {
      problems.push(
        `only one pod of ${context.version} answered, so round robin cannot be checked; pass --replicas 1 if ${context.version} runs one pod`,
      );
    } else {
      test = fitTest(observed, Array<number>(categories).fill(1));
    }
  }
  const even = test !== null && test.pValue >= context.alpha;
  if (test && !even) {
    problems.push(
      `the ${categories} pods of ${context.version} are not evenly loaded: ${pValueText(test.pValue)} < --alpha ${context.alpha}`,
    );
  }
  return {
    command: "pods",
    version: context.version,
    requested: context.requested,
    concurrency: context.concurrency,
    ...head,
    replicas: replicas ?? null,
    replicasSource: context.replicas?.source ?? null,
    versions: byKey(tally.versions),
    pods,
    expected: Object.fromEntries(Object.keys(pods).map((pod) => [pod, 100 / categories])),
    test,
    pValue: test?.pValue ?? null,
    alpha: context.alpha,
    even,
    ...tail,
    ...exitCodeOf(unreachable, problems, context.run),
  };
}

export interface LoadContext extends RunContext {
  readonly path: string;
  readonly rate: number;
  readonly durationMs: number;
  readonly planned: number;
  /** The rate requests went out at, measured by the run. */
  readonly sentRate: number;
  readonly resilience: ResilienceSummary;
}

/** Below this share of `--rate`, the load was not what was asked for. */
const RATE_TOLERANCE = 0.9;

export function summarizeLoad(tally: Tally, context: LoadContext): LoadSummary {
  // Under load, any HTTP answer is traffic; only requests that got none are errors.
  const { head, tail, problems, unreachable } = runSummary(tally, context, tally.failures);
  if (!unreachable && context.sentRate < RATE_TOLERANCE * context.rate) {
    problems.push(
      `sent ${context.sentRate.toFixed(2)} requests/s, under ${RATE_TOLERANCE * 100}% of --rate ${context.rate}`,
    );
  }
  if (!unreachable) problems.push(...context.resilience.problems);
  return {
    command: "load",
    path: context.path,
    rate: context.rate,
    durationMs: context.durationMs,
    planned: context.planned,
    sent: context.run.sent,
    sentRate: Math.round(context.sentRate * 100) / 100,
    ...head,
    statuses: byKey([...tally.statuses].map(([status, count]): [string, number] => [String(status), count])),
    versions: byKey(tally.versions),
    pods: byKey([...tally.pods].map(([pod, { count }]): [string, number] => [pod, count])),
    responseLatencyMs: latencyOf(tally.responseLatencies),
    resilience: context.resilience,
    ...tail,
    ...exitCodeOf(unreachable, problems, context.run),
  };
}
