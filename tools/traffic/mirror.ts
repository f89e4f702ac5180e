/**
 * `npm run traffic -- mirror --prometheus <url>`: a mirrored request's answer is dropped by the
 * gateway, so no client sees it. The version it went to counts it: this sends a batch through the
 * gateway, waits until Prometheus has scraped what each version received over the batch (Istio's
 * istio_requests_total as each pod's sidecar reports it), and tests the mirror target's count beyond
 * the answers it gave against the configured share of the requests that reached the router (an exact
 * binomial test). Another client's traffic during the batch would be counted too: the other versions'
 * counts, which must equal their answers, tell.
 */
import { UsageError } from "../command-line";
import type { FlagValues } from "./flags";
import { resolvePolicies } from "./policies";
import { receivedByVersion } from "./prometheus";
import { table } from "./report";
import { ResilienceTally } from "./resilience";
import { binomialTwoSided } from "./resilience-verdict";
import { emit, type Io, sample, urlOf } from "./sampling";
import { pValueText } from "./stats";
import { defaultRouteFile } from "./targets";
import { authorizationHeaders, readToken } from "./token";
import { type ExitCode, INTERRUPTED } from "./verdict";

export interface MirrorSummary {
  readonly command: "mirror";
  readonly url: string;
  readonly urlSource: string;
  readonly prometheus: string;
  readonly source: string;
  readonly mirror: { readonly version: string; readonly percent: number };
  readonly requested: number;
  readonly total: number;
  /** Requests past the rate limit and the fault filter: those the router mirrors a share of. */
  readonly routed: number;
  /** Version → answers the run got from it. */
  readonly answers: Record<string, number>;
  /** Version → requests Prometheus counted it received over the run. */
  readonly received: Record<string, number>;
  readonly mirrored: number;
  /** mirrored / routed, in percent. */
  readonly share: number;
  readonly pValue: number | null;
  readonly alpha: number;
  readonly consistent: boolean;
  /** How long Prometheus took to count the run, after it. */
  readonly waitedMs: number;
  readonly elapsedMs: number;
  readonly exitCode: ExitCode;
  readonly problems: readonly string[];
}

/** Requests beyond the run's that another version may count before the run counts as disturbed (retried tries). */
function tolerance(answers: number): number {
  return Math.max(2, Math.ceil(answers / 100));
}

const sleep = (ms: number, interrupt?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    interrupt?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });

const delta = (after: Record<string, number>, before: Record<string, number>) =>
  Object.fromEntries(
    Object.entries(after).map(([version, count]) => [version, count - (before[version] ?? 0)]),
  );

export async function mirror(flags: FlagValues<"mirror">, io: Io): Promise<ExitCode> {
  const manifestsFile = flags.manifests ?? defaultRouteFile(io.env);
  const policies = resolvePolicies({ env: io.env, cwd: io.cwd, manifestsFile, timeoutMs: flags.timeout });
  const configured = policies.mirror;
  if (configured === undefined) {
    throw new UsageError(
      `no mirror is configured (from ${policies.source}): set SHOPFRONT_MIRROR as it was deployed, such as v4@20, or keep the route's mirror in ${manifestsFile}`,
    );
  }
  if (policies.meshMode === "ambient") {
    throw new UsageError(
      "MESH_MODE=ambient: no destination reports request metrics (ztunnel counts TCP only, and ingress traffic does not cross the waypoint), so Prometheus cannot count mirrored requests; prove the mirror in sidecar mode",
    );
  }
  const before = await receivedByVersion(flags.prometheus);
  const url = urlOf(flags, io);
  const resilience = new ResilienceTally();
  const token = readToken({ flag: flags.tokenFile, env: io.env, cwd: io.cwd });
  const { tally, run } = await sample(url.value, flags, io, {
    also: (outcome) => resilience.record(outcome),
    headers: authorizationHeaders(token?.value),
  });
  const answers = Object.fromEntries([...tally.versions].sort(([a], [b]) => a.localeCompare(b)));
  const problems: string[] = [];
  const base = {
    command: "mirror" as const,
    url: url.value.href,
    urlSource: url.source,
    prometheus: flags.prometheus.href,
    source: policies.source,
    mirror: configured,
    requested: flags.requests,
    total: tally.total,
    routed: resilience.pastRateLimit - resilience.injectedAborts,
    answers,
    alpha: flags.alpha,
    elapsedMs: Math.round(run.elapsedMs),
  };
  const ended = (exitCode: ExitCode, received: Record<string, number>, waitedMs: number): MirrorSummary => ({
    ...base,
    received,
    mirrored: 0,
    share: 0,
    pValue: null,
    consistent: false,
    waitedMs: Math.round(waitedMs),
    exitCode,
    problems,
  });
  if (run.stopped === "interrupted") {
    problems.push(`interrupted by Ctrl-C (SIGINT) after ${tally.total} requests`);
    return emit(ended(INTERRUPTED, {}, 0), mirrorText, flags.json, io);
  }
  if (tally.responses === 0) {
    problems.push(`cannot reach ${url.value.href}: no answer to ${tally.total} requests`);
    return emit(ended(2, {}, 0), mirrorText, flags.json, io);
  }

  // Wait until Prometheus has counted at least every answer, and its counts have held for --settle.
  const started = performance.now();
  const poll = Math.min(5000, Math.max(100, flags.settle / 3));
  let received = delta(await receivedByVersion(flags.prometheus), before);
  let heldSince = performance.now();
  const counted = () =>
    Object.entries(answers).every(([version, count]) => (received[version] ?? 0) >= count);
  while (!(counted() && performance.now() - heldSince >= flags.settle)) {
    if (io.interrupt?.aborted) {
      problems.push("interrupted by Ctrl-C (SIGINT) while waiting for Prometheus");
      return emit(ended(INTERRUPTED, received, performance.now() - started), mirrorText, flags.json, io);
    }
    if (performance.now() - started > flags.scrapeWait) {
      const short = Object.entries(answers)
        .filter(([version, count]) => (received[version] ?? 0) < count)
        .map(([version, count]) => `${version} ${received[version] ?? 0} of ${count}`);
      problems.push(
        `Prometheus at ${flags.prometheus.href} had not counted the run after --scrape-wait (${short.join(", ") || "its counts kept changing"}): is it scraping the shopfront's sidecars?`,
      );
      return emit(ended(2, received, performance.now() - started), mirrorText, flags.json, io);
    }
    await sleep(poll, io.interrupt);
    const now = delta(await receivedByVersion(flags.prometheus), before);
    if (JSON.stringify(now) !== JSON.stringify(received)) {
      received = now;
      heldSince = performance.now();
    }
  }
  const waitedMs = performance.now() - started;

  const disturbed = Object.entries(received)
    .filter(([version]) => version !== configured.version)
    .map(([version, count]) => ({ version, extra: count - (answers[version] ?? 0) }))
    .filter(({ version, extra }) => extra > tolerance(answers[version] ?? 0));
  if (disturbed.length > 0) {
    problems.push(
      `other traffic reached the shopfront during the run (${disturbed.map(({ version, extra }) => `${version} received ${extra} more than it answered`).join(", ")}), so the mirror's count would hold it too: stop the generators (SHOPFRONT_LOAD_GENERATOR, SHOPFRONT_ERROR_GENERATOR) and other clients, then run again`,
    );
    return emit(ended(2, received, waitedMs), mirrorText, flags.json, io);
  }
  const mirrored = (received[configured.version] ?? 0) - (answers[configured.version] ?? 0);
  const pValue = base.routed === 0 ? null : binomialTwoSided(mirrored, base.routed, configured.percent / 100);
  const consistent = pValue !== null && pValue >= flags.alpha;
  if (pValue === null)
    problems.push(
      "no request reached the router (all rate limited or aborted): nothing was mirrored to test",
    );
  else if (!consistent) {
    problems.push(
      `the mirrored share is inconsistent with ${configured.version} on ${configured.percent}%: ${mirrored} of ${base.routed}, ${pValueText(pValue)} < --alpha ${flags.alpha}`,
    );
  }
  const errors = tally.total - tally.answers - resilience.rateLimited - resilience.injectedAborts;
  if ((100 * errors) / tally.total > flags.maxErrorRate) {
    problems.push(
      `too many errors: ${errors} of ${tally.total} requests, over --max-error-rate ${flags.maxErrorRate}%`,
    );
  }
  return emit(
    {
      ...base,
      received,
      mirrored,
      share: base.routed === 0 ? 0 : (100 * mirrored) / base.routed,
      pValue,
      consistent,
      waitedMs: Math.round(waitedMs),
      exitCode: problems.length > 0 ? 1 : 0,
      problems,
    },
    mirrorText,
    flags.json,
    io,
  );
}

export function mirrorText(summary: MirrorSummary): string {
  const versions = [...new Set([...Object.keys(summary.answers), ...Object.keys(summary.received)])].sort();
  const target = summary.mirror.version;
  const rows = [
    ["version", "answered", "received", "mirrored"],
    ...versions.map((version) => [
      version,
      String(summary.answers[version] ?? 0),
      String(summary.received[version] ?? 0),
      version === target ? String(summary.mirrored) : "",
    ]),
  ];
  const test =
    summary.pValue === null
      ? []
      : [
          `mirrored to ${target}: ${summary.mirrored} of ${summary.routed} requests that reached the router (${summary.share.toFixed(1)}%), ${pValueText(summary.pValue)} (alpha ${summary.alpha})`,
        ];
  const verdict =
    summary.exitCode === 0
      ? [`verdict: OK, ${target} received the configured share of mirrored requests`]
      : summary.exitCode === INTERRUPTED
        ? [`verdict: INTERRUPTED${summary.problems[0].replace(/^interrupted/, "")}`]
        : ["verdict: FAIL", ...summary.problems.map((problem) => `  - ${problem}`)];
  return [
    `${summary.total} of ${summary.requested} requests to ${summary.url} (from ${summary.urlSource}), ${(summary.elapsedMs / 1000).toFixed(2)} s`,
    `mirror ${target} on ${summary.mirror.percent}% of requests, from ${summary.source}`,
    `counted by Prometheus at ${summary.prometheus}, ${(summary.waitedMs / 1000).toFixed(1)} s after the run`,
    "",
    table(rows, "lrrr"),
    "",
    ...test,
    ...verdict,
    "",
  ].join("\n");
}
