/**
 * The canary's result: exactly the object `--json` prints, from which the text report and the HTML
 * report are rendered too.
 */
import type { Weights } from "../../modules/settings/sections/shopfront";
import type { Judgement, SideFigures, StepTests } from "./judge";
import type { StepSample } from "./sample";

/**
 * 0 promoted; 1 rolled back (a step failed or was inconclusive, or an apply failed); 2 bad input,
 * or the gateway unusable before the first apply (nothing applied); 3 the rollback failed: the mesh
 * may be left at a step's weights, as the last line says; 130 Ctrl-C (rolled back, or nothing
 * applied yet).
 */
export type CanaryExitCode = 0 | 1 | 2 | 3 | 130;

export type Verdict = "promoted" | "rolled back" | "rollback failed";

/** What one batch of requests came to. */
export interface BatchSummary {
  /** Requests that ended. */
  readonly requests: number;
  /** Answers per version: the split the gateway gave. */
  readonly versions: Record<string, number>;
  readonly errors: number;
  /** Errors that name no version (a gateway's 503, a timeout). */
  readonly unattributedErrors: number;
  /** Errors by cause: `status 500`, `timeout`, ... */
  readonly errorCauses: Record<string, number>;
  readonly elapsedMs: number;
}

export interface StepSummary extends BatchSummary {
  readonly step: number;
  readonly targetWeight: number;
  readonly weights: Weights;
  readonly target: SideFigures | null;
  readonly baseline: SideFigures | null;
  readonly baselineFrom: "step" | "before" | null;
  /** The latency the target may add, in ms: --max-latency-increase of the baseline's median. */
  readonly latencyMarginMs: number | null;
  /** Each check's one-sided p-value (null when not run). */
  readonly pValues: StepTests | null;
  /** `apply failed` and `interrupted` steps were never judged. */
  readonly verdict: "pass" | "fail" | "inconclusive" | "apply failed" | "interrupted";
  /** Why the step did not pass, in one line; null when it passed. */
  readonly reason: string | null;
  /** Every reason, one a line. */
  readonly reasons: readonly string[];
}

/** Time spent, for `npm run bench`'s overhead figure: what is not applies, waits or requests is the canary's own. */
export interface Timing {
  readonly applyMs: number;
  readonly settleMs: number;
  readonly requestMs: number;
  readonly elapsedMs: number;
}

export interface CanarySummary {
  readonly target: string;
  readonly url: string;
  readonly urlSource: string;
  /** The weights the canary started from, which a rollback re-applies, and where they came from. */
  readonly from: Weights;
  readonly fromSource: string;
  readonly applyCommand: string;
  readonly alpha: number;
  readonly maxErrorRate: number;
  readonly maxLatencyIncrease: number;
  readonly minAnswers: number;
  /** The batch sent before the first apply: the baseline at 100%, the reference for errors naming no version. */
  readonly before: BatchSummary;
  readonly verdict: Verdict;
  /** The weights applied when the canary exits (as far as it knows: see `uncertain`). */
  readonly weights: Weights;
  /** Why the deployed weights may differ from `weights`; null when they are known. */
  readonly uncertain: string | null;
  readonly steps: readonly StepSummary[];
  /** The step that failed, was inconclusive, or was interrupted; null when promoted. */
  readonly stoppedAt: number | null;
  readonly reason: string | null;
  /** The settings file the promoted weights were written to; null when not promoted. */
  readonly settingsFile: string | null;
  readonly timing: Timing;
  readonly exitCode: CanaryExitCode;
  /** The last line of the text report: what is deployed now. */
  readonly lastLine: string;
}

const sorted = <T>(map: Map<string, T>): Record<string, T> =>
  Object.fromEntries([...map].sort(([a], [b]) => a.localeCompare(b, "en", { numeric: true })));

export function batchSummary(sample: StepSample, elapsedMs: number): BatchSummary {
  return {
    requests: sample.total,
    versions: sorted(sample.versions),
    errors: sample.errors,
    unattributedErrors: sample.unattributed,
    errorCauses: sorted(sample.causes),
    elapsedMs: Math.round(elapsedMs),
  };
}

export function judgedStep(
  step: { number: number; targetWeight: number; weights: Weights },
  batch: BatchSummary,
  judgement: Judgement,
  reasons: readonly string[] = judgement.reasons,
): StepSummary {
  return {
    step: step.number,
    targetWeight: step.targetWeight,
    weights: step.weights,
    ...batch,
    target: judgement.target,
    baseline: judgement.baseline,
    baselineFrom: judgement.baselineFrom,
    latencyMarginMs: judgement.latencyMarginMs,
    pValues: judgement.tests,
    verdict: judgement.verdict,
    reason: reasons[0] ?? null,
    reasons,
  };
}

export function unjudgedStep(
  step: { number: number; targetWeight: number; weights: Weights },
  verdict: "apply failed" | "interrupted",
  reason: string,
  batch?: BatchSummary,
): StepSummary {
  return {
    step: step.number,
    targetWeight: step.targetWeight,
    weights: step.weights,
    requests: batch?.requests ?? 0,
    versions: batch?.versions ?? {},
    errors: batch?.errors ?? 0,
    unattributedErrors: batch?.unattributedErrors ?? 0,
    errorCauses: batch?.errorCauses ?? {},
    elapsedMs: batch?.elapsedMs ?? 0,
    target: null,
    baseline: null,
    baselineFrom: null,
    latencyMarginMs: null,
    pValues: null,
    verdict,
    reason,
    reasons: [reason],
  };
}
