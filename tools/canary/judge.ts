/**
 * Judges one step: the target against the baseline, from the same batch of requests (or, when the
 * baseline got too few of them, as at 100%, from the batch sent before the canary began: then the
 * errors only, since latencies measured minutes apart differ with the load of the moment). A step
 * fails when one check finds the target worse at --alpha, is inconclusive when the target (or the
 * baseline) answered too few requests to judge, and passes otherwise.
 */
import { percentile } from "../traffic/stats";
import { pValueText } from "../traffic/verdict";
import type { Side, StepSample } from "./sample";
import { binomialGreater, fisherGreater, mannWhitneyGreater, median } from "./statistics";

export interface JudgeOptions {
  readonly alpha: number;
  /** --max-error-rate, in percent. */
  readonly maxErrorRate: number;
  /** --max-latency-increase, in percent of the baseline's median. */
  readonly maxLatencyIncrease: number;
  /** Answers each side needs for a conclusive judgement. */
  readonly minAnswers: number;
}

export interface SideFigures {
  /** Responses attributed to the side: answers, and errors naming one of its versions. */
  readonly responses: number;
  readonly errors: number;
  /** errors / responses, in percent; null without responses. */
  readonly errorRate: number | null;
  /** Shopfront answers (2xx), whose latencies these are. */
  readonly answers: number;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
}

/** Each check's one-sided p-value; null when it could not be run. */
export interface StepTests {
  /** Fisher's exact test: the target's error rate above the baseline's. */
  readonly errors: number | null;
  /** Exact binomial test: the target's error rate above --max-error-rate. */
  readonly errorCeiling: number | null;
  /** Fisher's exact test: errors naming no version more frequent than before the canary. */
  readonly unattributedErrors: number | null;
  /** Mann-Whitney U: the target slower than the baseline by more than --max-latency-increase. */
  readonly latency: number | null;
}

export type StepVerdict = "pass" | "fail" | "inconclusive";

export interface Judgement {
  readonly verdict: StepVerdict;
  /** Why it failed or was inconclusive, one reason each; empty on a pass. */
  readonly reasons: readonly string[];
  readonly target: SideFigures;
  readonly baseline: SideFigures;
  /** `step`: the baseline is the other versions in the same requests; `before`: in the batch before the canary. */
  readonly baselineFrom: "step" | "before";
  /** The latency margin the test allows, in milliseconds: --max-latency-increase of the baseline's median. */
  readonly latencyMarginMs: number | null;
  readonly tests: StepTests;
}

const answers = (count: number) => `${count} answer${count === 1 ? "" : "s"}`;
const round = (value: number | undefined) => (value === undefined ? null : Math.round(value * 100) / 100);
const pct = (part: number, whole: number) => (whole === 0 ? null : (100 * part) / whole);
const shown = (errors: number, total: number) =>
  `${((100 * errors) / Math.max(1, total)).toFixed(1)}% (${errors} of ${total})`;

function figures(side: Side, sorted: Float64Array): SideFigures {
  return {
    responses: side.responses,
    errors: side.errors,
    errorRate: pct(side.errors, side.responses),
    answers: sorted.length,
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
  };
}

export function judge(step: StepSample, before: StepSample | undefined, options: JudgeOptions): Judgement {
  const { alpha, minAnswers } = options;
  const targetVersion = step.targetVersion;
  const baselineFrom = step.baseline.latencies.length >= minAnswers || !before ? "step" : "before";
  const baselineSide = baselineFrom === "step" ? step.baseline : (before as StepSample).baseline;
  const targetLatencies = step.target.latencies.copy().sort();
  const baselineLatencies = baselineSide.latencies.copy().sort();
  const target = figures(step.target, targetLatencies);
  const baseline = figures(baselineSide, baselineLatencies);
  const failures: string[] = [];
  const shortfalls: string[] = [];
  const failsAt = (p: number | null) => p !== null && p < alpha;
  const pLine = (p: number) => `${pValueText(p)} < --alpha ${alpha}`;

  const targetRate = { errors: step.target.errors, total: step.target.responses };
  const baselineRate = { errors: baselineSide.errors, total: baselineSide.responses };
  const errors =
    targetRate.total > 0 && baselineRate.total > 0 ? fisherGreater(targetRate, baselineRate) : null;
  if (errors !== null && failsAt(errors)) {
    failures.push(
      `${targetVersion}'s error rate ${shown(targetRate.errors, targetRate.total)} is above the baseline's ${shown(baselineRate.errors, baselineRate.total)}: ${pLine(errors)}`,
    );
  }
  const errorCeiling = targetRate.total > 0 ? binomialGreater(targetRate, options.maxErrorRate / 100) : null;
  if (errorCeiling !== null && failsAt(errorCeiling)) {
    failures.push(
      `${targetVersion}'s error rate ${shown(targetRate.errors, targetRate.total)} is above --max-error-rate ${options.maxErrorRate}%: ${pLine(errorCeiling)}`,
    );
  }
  // Errors no version can be blamed for are compared with the batch sent before the canary: the
  // target's share of them grows with its weight, so a target that causes them shows as a rise.
  const unattributedErrors =
    before && step.unattributed > 0
      ? fisherGreater(
          { errors: step.unattributed, total: step.total },
          { errors: before.unattributed, total: before.total },
        )
      : null;
  if (unattributedErrors !== null && failsAt(unattributedErrors) && before) {
    failures.push(
      `errors that name no version rose to ${shown(step.unattributed, step.total)} from ${shown(before.unattributed, before.total)} before the canary: ${pLine(unattributedErrors)}`,
    );
  }

  const enough = targetLatencies.length >= minAnswers && baselineLatencies.length >= minAnswers;
  if (targetLatencies.length < minAnswers) {
    shortfalls.push(
      `only ${answers(targetLatencies.length)} from ${targetVersion} in ${step.total} requests; a judgement needs ${minAnswers}`,
    );
  }
  if (baselineLatencies.length < minAnswers) {
    shortfalls.push(
      `only ${answers(baselineLatencies.length)} from the baseline, in this step and before the canary; a judgement needs ${minAnswers}`,
    );
  }
  const latencyMarginMs =
    baselineLatencies.length > 0 ? (options.maxLatencyIncrease / 100) * median(baselineLatencies) : null;
  let latency: number | null = null;
  if (enough && latencyMarginMs !== null && baselineFrom === "step") {
    // The test sorts its arrays in place: they are sorted already, and read only for percentiles after.
    latency = mannWhitneyGreater(targetLatencies, baselineLatencies, latencyMarginMs).pValue;
    if (failsAt(latency)) {
      failures.push(
        `${targetVersion} is slower than the baseline by more than --max-latency-increase ${options.maxLatencyIncrease}% (p50 ${target.p50} ms against ${baseline.p50} ms): ${pLine(latency)}`,
      );
    }
  }
  const verdict: StepVerdict = failures.length > 0 ? "fail" : shortfalls.length > 0 ? "inconclusive" : "pass";
  return {
    verdict,
    reasons: verdict === "fail" ? failures : verdict === "inconclusive" ? shortfalls : [],
    target,
    baseline,
    baselineFrom,
    latencyMarginMs: latencyMarginMs === null ? null : Math.round(latencyMarginMs * 1000) / 1000,
    tests: { errors, errorCeiling, unattributedErrors, latency },
  };
}
