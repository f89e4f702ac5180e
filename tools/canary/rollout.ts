/**
 * The rollout: a batch of requests before anything changes, then for each step an apply, a wait for
 * the gateways, a batch of requests and the judge's verdict; promotion after the last step, a
 * rollback (the starting weights applied again) after a failed, inconclusive or interrupted one.
 */
import type { Weights } from "../../modules/settings/sections/shopfront";
import { UsageError } from "../command-line";
import { ProgressLine } from "../traffic/report";
import { goodnessOfFit } from "../traffic/stats";
import type { Sourced } from "../traffic/targets";
import { pValueText } from "../traffic/verdict";
import { type ApplyCommand, type ApplyResult, runApply } from "./apply";
import { type Batch, mainCause, sendBatch } from "./batch";
import { judge } from "./judge";
import { formatWeights, type Step } from "./plan";
import { MIN_TARGET_RESPONSES } from "./power";
import { writeWeights } from "./settings-file";
import {
  batchSummary,
  type CanaryExitCode,
  type CanarySummary,
  judgedStep,
  type StepSummary,
  unjudgedStep,
} from "./summary";
import { applyingLine, beforeLine, liveLine, stepLine } from "./text";

export interface RolloutIo {
  /** Step lines and notes: stdout for the text report, stderr beside --json. */
  readonly out: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly stderrIsTTY: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** The first Ctrl-C: stop at the next safe point and roll back. */
  readonly interrupt?: AbortSignal;
  /** A second Ctrl-C: interrupt the apply under way too, and exit. */
  readonly abandon?: AbortSignal;
}

export interface RolloutPlan {
  readonly target: string;
  readonly steps: readonly Step[];
  readonly from: Sourced<Weights>;
  readonly url: Sourced<URL>;
  /** Headers every request carries: the bearer token of --token-file or TRAFFIC_TOKEN_FILE. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly apply: ApplyCommand;
  /** The settings file the promotion writes. */
  readonly settings: { readonly name: string; readonly file: string };
  readonly requests: number;
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly maxTimeMs: number;
  readonly applyTimeoutMs: number;
  readonly settleMs: number;
  readonly alpha: number;
  readonly maxErrorRate: number;
  readonly maxLatencyIncrease: number;
  /** Lines printed just before the last one, whatever the outcome (stale sources, say). */
  readonly notes?: (verdict: CanarySummary["verdict"]) => readonly string[];
}

/** Ctrl-C before the first apply: nothing to roll back. */
export class NothingApplied extends Error {
  readonly exitCode = 130;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done);
  });
}

function applyProblem(
  command: ApplyCommand,
  result: Exclude<ApplyResult, { kind: "applied" }>,
  timeout: number,
) {
  switch (result.kind) {
    case "failed":
      return `the apply command \`${command.text}\` exited ${result.code}`;
    case "not started":
      return `the apply command \`${command.text}\` could not start: ${result.message}`;
    case "timeout":
      return `the apply command \`${command.text}\` did not finish within --apply-timeout (${timeout / 1000} s) and was interrupted`;
    case "abandoned":
      return `the apply command \`${command.text}\` was interrupted by a second Ctrl-C`;
  }
}

/** The gateway's split before the canary must be the weights a rollback would restore. */
function checkStartingSplit(before: Batch, plan: RolloutPlan): void {
  const versions = [...new Set([...Object.keys(plan.from.value), ...before.sample.versions.keys()])];
  const observed = versions.map((v) => before.sample.versions.get(v) ?? 0);
  if (observed.every((count) => count === 0)) {
    throw new UsageError(
      `no shopfront answers from ${plan.url.value.href} in ${before.sample.total} requests before the canary (errors: ${mainCause(before.sample)}); nothing applied`,
    );
  }
  const fit = goodnessOfFit(
    observed,
    versions.map((v) => plan.from.value[v] ?? 0),
  );
  if (fit.pValue < plan.alpha) {
    const seen = versions.map((v, i) => `${v}=${observed[i]}`).join(",");
    throw new UsageError(
      `the gateway's split before the canary (${seen} answers) is not ${formatWeights(plan.from.value)} (from ${plan.from.source}), the weights a rollback would restore: ${pValueText(fit.pValue)} < --alpha ${plan.alpha}; pass --from with the weights deployed now; nothing applied`,
    );
  }
}

export async function runRollout(plan: RolloutPlan, io: RolloutIo): Promise<CanarySummary> {
  const started = performance.now();
  const timing = { applyMs: 0, settleMs: 0, requestMs: 0 };
  const interrupted = () => io.interrupt?.aborted === true;
  const judgeOptions = {
    alpha: plan.alpha,
    maxErrorRate: plan.maxErrorRate,
    maxLatencyIncrease: plan.maxLatencyIncrease,
    minAnswers: MIN_TARGET_RESPONSES,
  };
  const progress = io.stderrIsTTY ? new ProgressLine(io.stderr) : undefined;
  let before: Batch | undefined;
  const batch = async (label: string): Promise<Batch> => {
    const startedAt = performance.now();
    let judgedAt = 0;
    try {
      return await sendBatch({
        url: plan.url.value,
        headers: plan.headers,
        targetVersion: plan.target,
        requests: plan.requests,
        concurrency: plan.concurrency,
        timeoutMs: plan.timeoutMs,
        maxTimeMs: plan.maxTimeMs,
        interrupt: io.interrupt,
        onProgress: progress
          ? (sample) => {
              // The live verdict costs a judgement: at most two a second.
              if (performance.now() - judgedAt < 500) return;
              judgedAt = performance.now();
              const live = before ? judge(sample, before.sample, judgeOptions).verdict : undefined;
              progress.show(liveLine(label, sample, plan.requests, live), true);
            }
          : undefined,
      });
    } finally {
      progress?.done();
      timing.requestMs += performance.now() - startedAt;
    }
  };
  const apply = async (weights: Weights, abandon?: AbortSignal): Promise<ApplyResult> => {
    const startedAt = performance.now();
    try {
      return await runApply(plan.apply, weights, {
        cwd: io.cwd,
        env: io.env,
        output: io.stderr,
        timeoutMs: plan.applyTimeoutMs,
        abandon,
      });
    } finally {
      timing.applyMs += performance.now() - startedAt;
    }
  };

  before = await batch("before the canary");
  if (before.run.stopped === "interrupted") {
    throw new NothingApplied(
      `interrupted by Ctrl-C before the first apply: nothing applied, the weights are still ${formatWeights(plan.from.value)}`,
    );
  }
  if (before.sample.httpResponses === 0) {
    throw new UsageError(
      `cannot reach ${plan.url.value.href}: ${mainCause(before.sample)} (no answer to ${before.sample.total} requests); nothing applied`,
    );
  }
  checkStartingSplit(before, plan);
  const beforeSummary = batchSummary(before.sample, before.run.elapsedMs);
  io.out(beforeLine(beforeSummary));

  const steps: StepSummary[] = [];
  let applied: Weights = plan.from.value;
  let changed = false;
  let abandoned: string | undefined;
  for (const step of plan.steps) {
    if (interrupted()) break;
    io.out(applyingLine(step, plan.steps.length, plan.target));
    changed = true;
    const result = await apply(step.weights, io.abandon);
    if (result.kind !== "applied") {
      const problem = applyProblem(plan.apply, result, plan.applyTimeoutMs);
      if (result.kind === "abandoned") abandoned = problem;
      steps.push(unjudgedStep(step, "apply failed", problem));
      io.out(stepLine(steps[steps.length - 1], plan.steps.length, plan.target));
      break;
    }
    applied = step.weights;
    const settleStarted = performance.now();
    await sleep(plan.settleMs, io.interrupt);
    timing.settleMs += performance.now() - settleStarted;
    if (interrupted()) {
      steps.push(unjudgedStep(step, "interrupted", "interrupted by Ctrl-C before the step's requests"));
      break;
    }
    const sent = await batch(`step ${step.number}/${plan.steps.length}`);
    const summary = batchSummary(sent.sample, sent.run.elapsedMs);
    if (sent.run.stopped === "interrupted") {
      steps.push(
        unjudgedStep(
          step,
          "interrupted",
          `interrupted by Ctrl-C after ${sent.sample.total} requests`,
          summary,
        ),
      );
    } else {
      const judgement = judge(sent.sample, before.sample, judgeOptions);
      const unreachable =
        sent.sample.httpResponses === 0
          ? [
              `cannot reach ${plan.url.value.href}: ${mainCause(sent.sample)} (no answer to ${sent.sample.total} requests)`,
            ]
          : [];
      steps.push(judgedStep(step, summary, judgement, [...unreachable, ...judgement.reasons]));
    }
    io.out(stepLine(steps[steps.length - 1], plan.steps.length, plan.target));
    if (steps[steps.length - 1].verdict !== "pass") break;
  }

  const last = steps[steps.length - 1];
  const passedAll = steps.length === plan.steps.length && last?.verdict === "pass" && !interrupted();
  const base = {
    target: plan.target,
    url: plan.url.value.href,
    urlSource: plan.url.source,
    from: plan.from.value,
    fromSource: plan.from.source,
    applyCommand: plan.apply.text,
    alpha: plan.alpha,
    maxErrorRate: plan.maxErrorRate,
    maxLatencyIncrease: plan.maxLatencyIncrease,
    minAnswers: MIN_TARGET_RESPONSES,
    before: beforeSummary,
    steps,
  };
  const finish = (
    fields: Pick<
      CanarySummary,
      "verdict" | "weights" | "uncertain" | "stoppedAt" | "reason" | "settingsFile" | "lastLine"
    >,
    exitCode: CanaryExitCode,
  ): CanarySummary => {
    for (const note of plan.notes?.(fields.verdict) ?? []) io.out(`note: ${note}\n`);
    return {
      ...base,
      ...fields,
      timing: {
        applyMs: Math.round(timing.applyMs),
        settleMs: Math.round(timing.settleMs),
        requestMs: Math.round(timing.requestMs),
        elapsedMs: Math.round(performance.now() - started),
      },
      exitCode,
    };
  };

  if (passedAll) {
    const text = formatWeights(applied);
    try {
      writeWeights(plan.settings.file, text);
    } catch (error) {
      const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      return finish(
        {
          verdict: "promoted",
          weights: applied,
          uncertain: null,
          stoppedAt: null,
          reason: `${plan.settings.name} could not be written (${why})`,
          settingsFile: null,
          lastLine: `promoted: ${plan.target} at 100% (${text}), but ${plan.settings.name} could not be written (${why}): set SHOPFRONT_WEIGHTS=${text} there before the next deploy`,
        },
        1,
      );
    }
    return finish(
      {
        verdict: "promoted",
        weights: applied,
        uncertain: null,
        stoppedAt: null,
        reason: null,
        settingsFile: plan.settings.name,
        lastLine: `promoted: ${plan.target} at 100% (${text}), written to ${plan.settings.name}`,
      },
      0,
    );
  }

  const stoppedAt = last?.step ?? null;
  const reason = last?.reason ?? "interrupted by Ctrl-C";
  const where = last
    ? `step ${last.step}/${plan.steps.length} (${plan.target} at ${last.targetWeight}%)`
    : "the start";
  const fromText = formatWeights(plan.from.value);
  const restore = `SHOPFRONT_WEIGHTS=${fromText} ${plan.apply.text}`;
  if (abandoned) {
    return finish(
      {
        verdict: "rollback failed",
        weights: applied,
        uncertain: abandoned,
        stoppedAt,
        reason,
        settingsFile: null,
        lastLine: `INTERRUPTED at ${where}: ${abandoned}; the deployed weights are unknown (${formatWeights(last?.weights ?? applied)} or ${formatWeights(applied)}): restore with \`${restore}\``,
      },
      130,
    );
  }
  const exitCode = interrupted() ? 130 : 1;
  const why = interrupted() ? "interrupted by Ctrl-C" : reason;
  if (!changed) {
    return finish(
      {
        verdict: "rolled back",
        weights: applied,
        uncertain: null,
        stoppedAt,
        reason: why,
        settingsFile: null,
        lastLine: `stopped before the first apply: ${why}; nothing applied, the weights are still ${fromText}`,
      },
      exitCode,
    );
  }
  io.out(`rolling back to ${fromText}\n`);
  const rollback = await apply(plan.from.value, io.abandon);
  if (rollback.kind === "applied") {
    return finish(
      {
        verdict: "rolled back",
        weights: plan.from.value,
        uncertain: null,
        stoppedAt,
        reason: why,
        settingsFile: null,
        lastLine: `rolled back at ${where}: ${why}; ${fromText} re-applied`,
      },
      exitCode,
    );
  }
  const problem = applyProblem(plan.apply, rollback, plan.applyTimeoutMs);
  return finish(
    {
      verdict: "rollback failed",
      weights: applied,
      uncertain: `the rollback failed: ${problem}`,
      stoppedAt,
      reason: why,
      settingsFile: null,
      lastLine: `ROLLBACK FAILED at ${where}: ${problem}; the mesh may still be at ${formatWeights(applied)}: restore with \`${restore}\``,
    },
    rollback.kind === "abandoned" ? 130 : 3,
  );
}
