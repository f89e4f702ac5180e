/** Human output: tables with bar charts, verdicts, and the progress line a terminal gets during a run. */
import { resilienceLines } from "./resilience-report";
import {
  type CountSummary,
  INTERRUPTED,
  type Latency,
  type LoadSummary,
  type PodsSummary,
  pValueText,
} from "./verdict";

/** Characters of bar for a 100% share. */
const BAR_WIDTH = 40;
const EIGHTHS = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];

/** A horizontal bar of `share` percent, to an eighth of a character. */
function bar(share: number): string {
  const eighths = Math.round((Math.max(0, Math.min(100, share)) / 100) * BAR_WIDTH * 8);
  return "█".repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8];
}

/** Aligns rows into columns; `align` has one letter a column, `l` or `r`. */
export function table(rows: readonly (readonly string[])[], align: string): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) =>
          align[column] === "r" ? cell.padStart(widths[column]) : cell.padEnd(widths[column]),
        )
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

const pct = (value: number) => `${value.toFixed(1)}%`;
const ms = (value: number) => (value >= 100 ? value.toFixed(0) : value.toFixed(1));
const seconds = (milliseconds: number) => `${(milliseconds / 1000).toFixed(2)} s`;

function latencyRows(latencies: Record<string, Latency>): string[][] {
  return [
    ["latency (ms)", "answers", "p50", "p95", "p99"],
    ...Object.entries(latencies).map(([name, l]) => [name, String(l.n), ms(l.p50), ms(l.p95), ms(l.p99)]),
  ];
}

/** `errors: 3 (1.5%): status 503 ×2, timeout ×1`, most frequent cause first. */
function errorLine(
  summary: {
    errors: number;
    errorRate: number;
    errorCauses: Record<string, number>;
    badBodyExample: string | null;
  },
  label = "errors",
): string {
  if (summary.errors === 0) return `${label}: none`;
  const causes = Object.entries(summary.errorCauses)
    .sort((a, b) => b[1] - a[1])
    .map(([cause, count]) =>
      cause === "bad body" && summary.badBodyExample !== null
        ? `${cause} ×${count} (such as ${JSON.stringify(summary.badBodyExample)})`
        : `${cause} ×${count}`,
    );
  return `${label}: ${summary.errors} (${pct(summary.errorRate)}): ${causes.join(", ")}`;
}

/**
 * What 401s and 403s mean at an ingress that validates tokens, each on its own line: a token refused
 * is not a request denied. `token` is where the requests' token came from, null without one.
 */
export function authenticationLines(
  counts: { readonly unauthorized: number; readonly forbidden: number },
  token: string | null | undefined,
): string[] {
  const lines: string[] = [];
  if (counts.unauthorized > 0) {
    lines.push(
      `  401 ×${counts.unauthorized}: the ingress refused the token${token ? ` from ${token}` : ""} (expired, another issuer or audience, or a key it does not know); \`npm run traffic -- auth\` says which`,
    );
  }
  if (counts.forbidden > 0) {
    lines.push(
      token
        ? `  403 ×${counts.forbidden}: denied with the token from ${token}: an AuthorizationPolicy refuses this user or path`
        : `  403 ×${counts.forbidden}: denied: requests without a valid token are refused (JWT_REQUIRED=true); pass --token-file or set TRAFFIC_TOKEN_FILE`,
    );
  }
  return lines;
}

function causeCounts(causes: Record<string, number>) {
  return { unauthorized: causes["status 401"] ?? 0, forbidden: causes["status 403"] ?? 0 };
}

function testLine(
  test: { statistic: number; dof: number; pValue: number; approximate: boolean },
  alpha: number,
) {
  const dof = `${test.dof} degree${test.dof === 1 ? "" : "s"} of freedom`;
  const note = test.approximate ? " (approximate: an expected count is under 5; send more requests)" : "";
  return `chi-square ${test.statistic.toFixed(2)}, ${dof}, ${pValueText(test.pValue)} (alpha ${alpha})${note}`;
}

function verdictLines(pass: string, summary: { exitCode: number; problems: readonly string[] }): string[] {
  if (summary.exitCode === 0) return [`verdict: OK, ${pass}`];
  if (summary.exitCode === INTERRUPTED) {
    const [interrupted, ...others] = summary.problems;
    return [
      `verdict: ${interrupted.replace(/^interrupted/, "INTERRUPTED")}`,
      ...others.map((p) => `  - ${p}`),
    ];
  }
  return ["verdict: FAIL", ...summary.problems.map((problem) => `  - ${problem}`)];
}

function runLine(summary: CountSummary | PodsSummary): string {
  const stopped = summary.stopped ? `, stopped (${summary.stopped})` : "";
  return `${summary.total} of ${summary.requested} requests to ${summary.url} (from ${summary.urlSource}), concurrency ${summary.concurrency}, ${seconds(summary.elapsedMs)}${stopped}`;
}

export function countText(summary: CountSummary): string {
  const answers = Object.values(summary.versions).reduce((a, b) => a + b, 0);
  const versionRows = [
    ["version", "count", "observed", "expected", ""],
    ...Object.entries(summary.versions).map(([version, count]) => {
      const observed = (100 * count) / Math.max(1, answers);
      return [version, String(count), pct(observed), `${summary.expected[version] ?? 0}%`, bar(observed)];
    }),
  ];
  const podRows = [
    ["pod", "version", "count"],
    ...Object.entries(summary.pods)
      .sort(([a], [b]) => summary.podVersions[a].localeCompare(summary.podVersions[b]) || a.localeCompare(b))
      .map(([pod, count]) => [pod, summary.podVersions[pod], String(count)]),
  ];
  const { resolution } = summary;
  return [
    runLine(summary),
    `expected split from ${summary.expectedSource}`,
    "",
    table(versionRows, "lrrrl"),
    "",
    ...(podRows.length > 1 ? [table(podRows, "llr"), ""] : []),
    ...(Object.keys(summary.latencyMs).length > 0
      ? [table(latencyRows(summary.latencyMs), "lrrrr"), ""]
      : []),
    errorLine(summary),
    ...resilienceLines(summary.resilience),
    ...authenticationLines(causeCounts(summary.errorCauses), summary.token),
    ...(summary.test ? [testLine(summary.test, summary.alpha)] : []),
    `±1 percentage point on ${resolution.version} (${resolution.weight}%) at 95% confidence needs ${resolution.requests} requests`,
    ...verdictLines(`consistent with the expected split, errors within ${summary.maxErrorRate}%`, summary),
    "",
  ].join("\n");
}

export function podsText(summary: PodsSummary): string {
  const answers = Object.values(summary.pods).reduce((a, b) => a + b, 0);
  const podRows = [
    ["pod", "count", "share", "expected", ""],
    ...Object.entries(summary.pods).map(([pod, count]) => {
      const share = (100 * count) / Math.max(1, answers);
      return [pod, String(count), pct(share), pct(summary.expected[pod]), bar(share)];
    }),
  ];
  const replicas =
    summary.replicas === null
      ? "pods expected: unknown (pass --replicas N to check for missing pods)"
      : `pods expected: ${summary.replicas} (from ${summary.replicasSource})`;
  const others = Object.entries(summary.versions)
    .filter(([version]) => version !== summary.version)
    .map(([version, count]) => `${version}=${count}`);
  const versionLatency = summary.latencyMs[summary.version];
  return [
    runLine(summary),
    `${answers} answers from ${summary.version}${others.length > 0 ? `; the others went to ${others.join(", ")}` : ""}`,
    replicas,
    "",
    ...(answers > 0 ? [table(podRows, "lrrrl"), ""] : []),
    ...(versionLatency ? [table(latencyRows({ [summary.version]: versionLatency }), "lrrrr"), ""] : []),
    errorLine(summary),
    ...authenticationLines(causeCounts(summary.errorCauses), summary.token),
    ...(summary.test ? [testLine(summary.test, summary.alpha)] : []),
    ...verdictLines(
      `the pods of ${summary.version} are evenly loaded, errors within ${summary.maxErrorRate}%`,
      summary,
    ),
    "",
  ].join("\n");
}

export function loadText(summary: LoadSummary): string {
  const statuses = Object.entries(summary.statuses).map(([status, count]) => `${status} ×${count}`);
  const versions = Object.entries(summary.versions).map(([version, count]) => `${version}=${count}`);
  const latency = summary.responseLatencyMs;
  return [
    `${summary.sent} of ${summary.planned} requests to ${new URL(summary.path, summary.url).href} (from ${summary.urlSource}) at ${summary.sentRate.toFixed(2)}/s (asked ${summary.rate}/s), ${seconds(summary.elapsedMs)}`,
    `responses: ${statuses.length > 0 ? statuses.join(", ") : "none"}`,
    ...(versions.length > 0 ? [`versions: ${versions.join(", ")}`] : []),
    ...(latency
      ? [
          `latency (ms): p50 ${ms(latency.p50)}, p95 ${ms(latency.p95)}, p99 ${ms(latency.p99)} over ${latency.n} responses`,
        ]
      : []),
    ...authenticationLines(
      { unauthorized: summary.statuses["401"] ?? 0, forbidden: summary.statuses["403"] ?? 0 },
      summary.token,
    ),
    errorLine(summary, "failures (no response)"),
    ...resilienceLines(summary.resilience),
    ...verdictLines(`sent at the rate asked and the target answered`, summary),
    "",
  ].join("\n");
}

/**
 * One line on a terminal, rewritten in place at most 10 times a second; `done` clears it so that
 * the report starts on a clean line.
 */
export class ProgressLine {
  private last = 0;

  constructor(private readonly write: (text: string) => void) {}

  show(text: string, force = false): void {
    const now = performance.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    this.write(`\r\x1b[K${text}`);
  }

  done(): void {
    this.write("\r\x1b[K");
  }
}

/** `[████▌     ] 45/100 requests, 2 errors` for a run of known size. */
export function progressBar(done: number, total: number, errors: number): string {
  const width = 20;
  const filled = Math.round((done / total) * width);
  return `[${"█".repeat(filled)}${" ".repeat(width - filled)}] ${done}/${total} requests, ${errors} errors`;
}
