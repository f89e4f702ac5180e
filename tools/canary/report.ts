/** The canary's HTML report (--report): the weights over the steps, errors and latency, target against baseline. */
import { SHOPFRONT_VERSIONS } from "../../modules/settings/names";
import type { Weights } from "../../modules/settings/sections/shopfront";
import { lineChart, type Series } from "../html-report/charts";
import { charts, facts, htmlPage, list, section, table } from "../html-report/page";
import { formatP } from "../traffic/verdict";
import { formatWeights } from "./plan";
import type { CanarySummary, StepSummary } from "./summary";

const stepLabel = (step: StepSummary) => `${step.step}: ${step.targetWeight}%`;
const cell = (value: number | null | undefined, unit = "") =>
  value === null || value === undefined ? "-" : `${value}${unit}`;

/** The weights at the start, at each step applied, and after a rollback. */
export function weightPoints(summary: CanarySummary): { label: string; weights: Weights }[] {
  return [
    { label: "start", weights: summary.from },
    ...summary.steps.map((step) => ({ label: stepLabel(step), weights: step.weights })),
    ...(summary.verdict === "rolled back" && summary.steps.length > 0
      ? [{ label: "rolled back", weights: summary.from }]
      : []),
  ];
}

export function canaryCharts(summary: CanarySummary): string[] {
  const points = weightPoints(summary);
  const versions = SHOPFRONT_VERSIONS.filter((v) => points.some((point) => (point.weights[v] ?? 0) > 0));
  const weights = lineChart({
    id: "weights",
    title: "Weights over the steps",
    categories: points.map((point) => point.label),
    series: versions.map((version, index) => ({
      name: version === summary.target ? `${version} (target)` : version,
      values: points.map((point) => point.weights[version] ?? 0),
      colour: index,
    })),
    unit: "%",
    yMin: 100,
  });
  const steps = summary.steps;
  const categories = steps.map(stepLabel);
  const errors = lineChart({
    id: "errors",
    title: "Error rate, target and baseline",
    categories,
    series: [
      {
        name: `${summary.target} (target)`,
        values: steps.map((s) => s.target?.errorRate ?? null),
        colour: 5,
      },
      { name: "baseline", values: steps.map((s) => s.baseline?.errorRate ?? null), dashed: true, colour: 0 },
    ],
    unit: "%",
    yMin: summary.maxErrorRate,
  });
  const percentiles = ["p50", "p95", "p99"] as const;
  const latency = lineChart({
    id: "latency",
    title: "Latency percentiles, target and baseline",
    categories,
    series: [
      ...percentiles.map(
        (name, index): Series => ({
          name: `${summary.target} ${name}`,
          values: steps.map((s) => s.target?.[name] ?? null),
          colour: index,
        }),
      ),
      ...percentiles.map(
        (name, index): Series => ({
          name: `baseline ${name}`,
          values: steps.map((s) => s.baseline?.[name] ?? null),
          dashed: true,
          colour: index,
        }),
      ),
    ],
    unit: "ms",
  });
  return [weights, errors, latency];
}

function stepRows(summary: CanarySummary): string[][] {
  const t = summary.target;
  return [
    [
      "step",
      "weights",
      "requests",
      `${t} answers`,
      `${t} errors`,
      `${t} p50/p95/p99 ms`,
      "baseline answers",
      "baseline errors",
      "baseline p50/p95/p99 ms",
      "p errors",
      "p ceiling",
      "p no version",
      "p latency",
      "verdict",
    ],
    ...summary.steps.map((step) => {
      const trio = (side: StepSummary["target"]) =>
        side ? `${cell(side.p50)} / ${cell(side.p95)} / ${cell(side.p99)}` : "-";
      const pv = (value: number | null | undefined) =>
        value === null || value === undefined ? "-" : formatP(value);
      return [
        stepLabel(step),
        formatWeights(step.weights),
        String(step.requests),
        cell(step.target?.answers),
        step.target
          ? `${step.target.errors} (${cell(step.target.errorRate === null ? null : Math.round(step.target.errorRate * 100) / 100, "%")})`
          : "-",
        trio(step.target),
        `${cell(step.baseline?.answers)}${step.baselineFrom === "before" ? " (before the canary)" : ""}`,
        cell(step.baseline?.errors),
        trio(step.baseline),
        pv(step.pValues?.errors),
        pv(step.pValues?.errorCeiling),
        pv(step.pValues?.unattributedErrors),
        pv(step.pValues?.latency),
        step.verdict,
      ];
    }),
  ];
}

export function canaryReport(summary: CanarySummary, generatedAt: Date): string {
  const reasons = summary.steps.flatMap((step) =>
    step.reasons.map((reason) => `step ${step.step}: ${reason}`),
  );
  return htmlPage({
    title: `Canary of ${summary.target}: ${summary.verdict}`,
    subtitle: `npm run canary, ${generatedAt.toISOString()}, through ${summary.url}`,
    verdict: { text: summary.lastLine, good: summary.exitCode === 0 },
    sections: [
      section("Steps", charts(...canaryCharts(summary)), table(stepRows(summary))),
      ...(reasons.length > 0 ? [section("Why", list(reasons))] : []),
      section(
        "Run",
        facts([
          ["target", summary.target],
          ["started from", `${formatWeights(summary.from)} (from ${summary.fromSource})`],
          [
            "weights now",
            `${formatWeights(summary.weights)}${summary.uncertain ? ` (uncertain: ${summary.uncertain})` : ""}`,
          ],
          ["gateway", `${summary.url} (from ${summary.urlSource})`],
          ["apply command", summary.applyCommand],
          [
            "before the canary",
            `${summary.before.requests} requests, ${summary.before.errors} errors (${summary.before.unattributedErrors} naming no version)`,
          ],
          [
            "checks",
            `one-sided at alpha ${summary.alpha}; error ceiling ${summary.maxErrorRate}%; latency margin ${summary.maxLatencyIncrease}% of the baseline's median; at least ${summary.minAnswers} answers a side`,
          ],
          [
            "time",
            `${(summary.timing.elapsedMs / 1000).toFixed(1)} s: applies ${(summary.timing.applyMs / 1000).toFixed(1)} s, waits ${(summary.timing.settleMs / 1000).toFixed(1)} s, requests ${(summary.timing.requestMs / 1000).toFixed(1)} s`,
          ],
        ]),
      ),
    ],
  });
}
