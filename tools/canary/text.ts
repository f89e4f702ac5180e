/** The canary for people: a line per step as it runs, the final table, the --dry-run plan. */
import { table } from "../traffic/report";
import { formatP } from "../traffic/verdict";
import type { StepVerdict } from "./judge";
import { formatWeights, type Step } from "./plan";
import type { StepSample } from "./sample";
import type { BatchSummary, CanarySummary, StepSummary } from "./summary";

const ms = (value: number | null | undefined) =>
  value === null || value === undefined ? "-" : value >= 100 ? value.toFixed(0) : value.toFixed(1);
const p = (value: number | null | undefined) =>
  value === null || value === undefined ? "-" : formatP(value);
const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;

function split(versions: Record<string, number>): string {
  const entries = Object.entries(versions);
  return entries.length === 0
    ? "no answers"
    : entries.map(([version, count]) => `${version}=${count}`).join(", ");
}

export function introLines(summary: {
  target: string;
  steps: readonly Step[];
  from: string;
  fromSource: string;
  url: string;
  urlSource: string;
  requests: number;
  concurrency: number;
  apply: string;
}): string {
  return [
    `canary: ${summary.target} to 100% in ${plural(summary.steps.length, "step")} (${summary.steps.map((s) => `${s.targetWeight}%`).join(", ")}), from ${summary.from} (from ${summary.fromSource})`,
    `gateway: ${summary.url} (from ${summary.urlSource}); ${summary.requests} requests a step, ${summary.concurrency} at a time`,
    `apply: ${summary.apply}`,
    "",
  ].join("\n");
}

export function beforeLine(before: BatchSummary): string {
  return `before: ${before.requests} requests: ${split(before.versions)}; ${plural(before.errors, "error")} (${before.unattributedErrors} naming no version)\n`;
}

export function applyingLine(step: Step, steps: number, target: string): string {
  return `step ${step.number}/${steps}: ${target} at ${step.targetWeight}%: applying ${formatWeights(step.weights)}\n`;
}

export function liveLine(
  label: string,
  sample: StepSample,
  requests: number,
  verdict: StepVerdict | undefined,
): string {
  const target = sample.target;
  const live = verdict ? `, so far: ${verdict}` : "";
  return `${label}: ${sample.total}/${requests} requests, ${sample.targetVersion} ${plural(target.latencies.length, "answer")}, ${plural(sample.errors, "error")}${live}`;
}

export function stepLine(step: StepSummary, steps: number, target: string): string {
  const head = `step ${step.step}/${steps}: ${target} at ${step.targetWeight}%`;
  const reasons = step.reasons
    .slice(1)
    .map((reason) => `  - ${reason}\n`)
    .join("");
  if (step.verdict === "apply failed") return `${head}: APPLY FAILED: ${step.reason}\n`;
  if (step.verdict === "interrupted") return `${head}: INTERRUPTED: ${step.reason}\n`;
  const t = step.target;
  const b = step.baseline;
  const figures =
    t && b
      ? `; ${target} ${plural(t.answers, "answer")}, ${plural(t.errors, "error")}, p50 ${ms(t.p50)} ms; baseline${step.baselineFrom === "before" ? " (before the canary)" : ""} ${plural(b.answers, "answer")}, ${plural(b.errors, "error")}, p50 ${ms(b.p50)} ms`
      : "";
  const verdict = step.verdict === "pass" ? "PASS" : `${step.verdict.toUpperCase()}: ${step.reason}`;
  return `${head}: ${step.requests} requests${figures}: ${verdict}\n${reasons}`;
}

/** The table after the run, one row per step, and the last line. */
export function finalText(summary: CanarySummary): string {
  const rows = [
    [
      "step",
      summary.target,
      "requests",
      "answers",
      "errors",
      "p50",
      "p95",
      "p99",
      "baseline",
      "errors",
      "p50",
      "p95",
      "p99",
      "p errors",
      "p latency",
      "verdict",
    ],
    ...summary.steps.map((step) => {
      const t = step.target;
      const b = step.baseline;
      const errorP = step.pValues
        ? Math.min(
            ...[step.pValues.errors, step.pValues.errorCeiling, step.pValues.unattributedErrors].map(
              (v) => v ?? 1,
            ),
          )
        : null;
      return [
        String(step.step),
        `${step.targetWeight}%`,
        String(step.requests),
        t ? String(t.answers) : "-",
        t ? String(t.errors) : "-",
        ms(t?.p50),
        ms(t?.p95),
        ms(t?.p99),
        b ? `${b.answers}${step.baselineFrom === "before" ? "*" : ""}` : "-",
        b ? String(b.errors) : "-",
        ms(b?.p50),
        ms(b?.p95),
        ms(b?.p99),
        p(errorP),
        p(step.pValues?.latency),
        step.verdict,
      ];
    }),
  ];
  const fromBefore = summary.steps.some((step) => step.baselineFrom === "before")
    ? ["* the baseline of the batch before the canary (too few baseline answers in the step itself)"]
    : [];
  return [
    "",
    `latency in ms; p errors: the smallest p-value of the error checks; checks at --alpha ${summary.alpha}`,
    table(rows, "lrrrrrrrrrrrrrrl"),
    ...fromBefore,
    "",
    summary.lastLine,
    "",
  ].join("\n");
}

export function dryRunText(plan: {
  target: string;
  from: string;
  fromSource: string;
  gateway: string;
  apply: string;
  steps: readonly Step[];
  skipped: readonly number[];
  requests: number;
  minAnswers: number;
  estimate: { seconds: number; detail: string };
}): string {
  const first = plan.steps[0];
  const rows = [
    ["step", plan.target, "weights", "requests"],
    ["before", "-", `the split deployed now, ${plan.from}`, String(plan.requests)],
    ...plan.steps.map((step) => [
      String(step.number),
      `${step.targetWeight}%`,
      formatWeights(step.weights),
      String(plan.requests),
    ]),
  ];
  const minutes = Math.ceil(plan.estimate.seconds / 60);
  return [
    `canary plan: ${plan.target} to 100%, from ${plan.from} (from ${plan.fromSource})`,
    `gateway: ${plan.gateway}`,
    `apply: ${plan.apply}`,
    ...(plan.skipped.length > 0
      ? [`skipped steps: ${plan.skipped.join(", ")} (${plan.target} is past them already)`]
      : []),
    "",
    table(rows, "lrlr"),
    "",
    `requests: ${plan.requests * (plan.steps.length + 1)} in all; a step needs ${plan.minAnswers} answers from ${plan.target} (the first step expects about ${Math.round((plan.requests * first.targetWeight) / 100)})`,
    `time: about ${minutes} min if every step passes (${plan.estimate.detail})`,
    "nothing applied (--dry-run)",
    "",
  ].join("\n");
}
