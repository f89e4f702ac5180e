/** `npm run traffic -- count|load --report FILE.html`: one run as a self-contained HTML page. */
import { barChart } from "../html-report/charts";
import { charts, facts, htmlPage, list, section, table } from "../html-report/page";
import { resilienceLines } from "./resilience-report";
import { type CountSummary, formatP, type Latency, type LoadSummary } from "./verdict";

const PERCENTILES = ["p50", "p95", "p99"] as const;
const round = (value: number) => Math.round(value * 100) / 100;

function verdictOf(summary: { exitCode: number; problems: readonly string[] }, pass: string) {
  return summary.exitCode === 0
    ? { text: `OK: ${pass}`, good: true }
    : {
        text: `${summary.exitCode === 130 ? "INTERRUPTED" : "FAIL"}: ${summary.problems.join("; ")}`,
        good: false,
      };
}

function errorLines(summary: { errors: number; errorCauses: Record<string, number> }): string[] {
  const causes = Object.entries(summary.errorCauses).map(([cause, count]) => `${cause}: ${count}`);
  return causes.length > 0 ? causes : ["none"];
}

/** Per version: observed and expected shares, and the latency percentiles of its answers. */
export function countCharts(summary: CountSummary): string[] {
  const versions = Object.keys(summary.versions);
  const answers = Object.values(summary.versions).reduce((a, b) => a + b, 0);
  const split = barChart({
    id: "split",
    title: "Split across versions: observed against expected",
    categories: versions,
    series: [
      {
        name: "observed",
        values: versions.map((v) => round((100 * summary.versions[v]) / Math.max(1, answers))),
      },
      { name: "expected", values: versions.map((v) => summary.expected[v] ?? 0), dashed: true, colour: 1 },
    ],
    unit: "%",
  });
  const latency = barChart({
    id: "latency",
    title: "Latency percentiles per version",
    categories: versions,
    series: PERCENTILES.map((p, index) => ({
      name: p,
      values: versions.map((v) => summary.latencyMs[v]?.[p] ?? null),
      colour: index,
    })),
    unit: "ms",
  });
  return [split, latency];
}

export function countReport(summary: CountSummary, generatedAt: Date): string {
  const answers = Object.values(summary.versions).reduce((a, b) => a + b, 0);
  return htmlPage({
    title: "Traffic split through the gateway",
    subtitle: `npm run traffic -- count, ${generatedAt.toISOString()}, ${summary.total} of ${summary.requested} requests to ${summary.url}`,
    verdict: verdictOf(summary, `consistent with the expected split, errors within ${summary.maxErrorRate}%`),
    sections: [
      section(
        "Versions",
        charts(...countCharts(summary)),
        table([
          ["version", "answers", "observed", "expected", "p50 ms", "p95 ms", "p99 ms"],
          ...Object.entries(summary.versions).map(([version, count]) => {
            const latency: Latency | undefined = summary.latencyMs[version];
            return [
              version,
              String(count),
              `${round((100 * count) / Math.max(1, answers))}%`,
              `${summary.expected[version] ?? 0}%`,
              ...PERCENTILES.map((p) => (latency ? String(latency[p]) : "-")),
            ];
          }),
        ]),
      ),
      section(
        "Pods",
        table([
          ["pod", "version", "answers"],
          ...Object.entries(summary.pods).map(([pod, count]) => [
            pod,
            summary.podVersions[pod],
            String(count),
          ]),
        ]),
      ),
      section("Errors", list(errorLines(summary))),
      section("Resilience", list(resilienceLines(summary.resilience).map((line) => line.trim()))),
      section(
        "Run",
        facts([
          ["gateway", `${summary.url} (from ${summary.urlSource})`],
          ["expected split", `from ${summary.expectedSource}`],
          [
            "split test",
            summary.test
              ? `chi-square ${round(summary.test.statistic)}, ${summary.test.dof} dof, p = ${formatP(summary.test.pValue)} (alpha ${summary.alpha})`
              : "not run: no answers",
          ],
          ["concurrency", String(summary.concurrency)],
          [
            "time",
            `${(summary.elapsedMs / 1000).toFixed(2)} s${summary.stopped ? `, stopped (${summary.stopped})` : ""}`,
          ],
        ]),
      ),
    ],
  });
}

/** Responses by status, and the latency percentiles of all of them. */
export function loadCharts(summary: LoadSummary): string[] {
  const statuses = Object.keys(summary.statuses);
  const latency = summary.responseLatencyMs;
  return [
    barChart({
      id: "statuses",
      title: "Responses by status",
      categories: statuses,
      series: [{ name: "responses", values: statuses.map((status) => summary.statuses[status]) }],
      unit: "responses",
    }),
    barChart({
      id: "latency",
      title: "Latency percentiles of the responses",
      categories: [...PERCENTILES],
      series: [{ name: "all responses", values: PERCENTILES.map((p) => latency?.[p] ?? null), colour: 2 }],
      unit: "ms",
    }),
  ];
}

export function loadReport(summary: LoadSummary, generatedAt: Date): string {
  return htmlPage({
    title: "Steady load through the gateway",
    subtitle: `npm run traffic -- load, ${generatedAt.toISOString()}, ${summary.sent} of ${summary.planned} requests to ${new URL(summary.path, summary.url).href}`,
    verdict: verdictOf(summary, "sent at the rate asked and the target answered"),
    sections: [
      section("Responses", charts(...loadCharts(summary))),
      section("Failures (no response)", list(errorLines(summary))),
      section("Resilience", list(resilienceLines(summary.resilience).map((line) => line.trim()))),
      section(
        "Run",
        facts([
          ["gateway", `${summary.url} (from ${summary.urlSource})`],
          [
            "rate",
            `${summary.sentRate}/s (asked ${summary.rate}/s) for ${(summary.durationMs / 1000).toFixed(1)} s`,
          ],
          [
            "versions",
            Object.entries(summary.versions)
              .map(([v, n]) => `${v}=${n}`)
              .join(", ") || "none",
          ],
          [
            "time",
            `${(summary.elapsedMs / 1000).toFixed(2)} s${summary.stopped ? `, stopped (${summary.stopped})` : ""}`,
          ],
        ]),
      ),
    ],
  });
}
