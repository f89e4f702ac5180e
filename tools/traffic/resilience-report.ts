/** The resilience part of the human report of `count` and `load`: status codes by who answered, and each policy's figure. */
import type { ResilienceSummary, ShareCheck } from "./resilience-verdict";
import { pValueText } from "./stats";

const pct = (value: number) => `${value.toFixed(1)}%`;
const seconds = (milliseconds: number) => `${(milliseconds / 1000).toFixed(2)} s`;

/** `200 ×95 (v1 ×48, v2 ×47); 503 ×5 (gateway: injected abort ×5)`. */
function statusLine(statuses: ResilienceSummary["statuses"]): string {
  const parts = Object.entries(statuses).map(([status, byWho]) => {
    const total = Object.values(byWho).reduce((a, b) => a + b, 0);
    const who = Object.entries(byWho).map(([name, count]) => `${name} ×${count}`);
    return `${status} ×${total} (${who.join(", ")})`;
  });
  return `status codes: ${parts.length > 0 ? parts.join("; ") : "no responses"}`;
}

function shareFigure(check: ShareCheck, what: string): string {
  const test =
    check.pValue === null
      ? "nothing to test"
      : `${pValueText(check.pValue)}, ${check.consistent ? "consistent" : "INCONSISTENT"}`;
  return `${check.observed} of ${check.of} (${pct(check.share)}) ${what}, ${test}`;
}

export function resilienceLines(summary: ResilienceSummary): string[] {
  const lines = [statusLine(summary.statuses), `policies from ${summary.source}:`];
  const { abort, delay, timeout, retries, rateLimit, mirror } = summary;
  if (abort !== null)
    lines.push(
      `  abort ${abort.status} on ${abort.configured}% of requests: ${shareFigure(abort, "injected")}`,
    );
  if (delay !== null) {
    lines.push(
      delay.separable
        ? `  delay ${delay.delay} on ${delay.configured}% of requests: ${shareFigure(delay, `took ${delay.delay} or more`)}`
        : `  delay ${delay.delay} on ${delay.configured}% of requests: not tested, the answers without it are as slow (p99 ${delay.undelayedP99Ms} ms, over half of ${delay.delay}); configure a longer delay`,
    );
  }
  const hits = `504 "upstream request timeout" ×${timeout.hit}${timeout.earliestHitMs === null ? "" : `, the first after ${seconds(timeout.earliestHitMs)}`}`;
  const slowest =
    timeout.slowestAnswerMs === null ? "" : `; slowest answer ${seconds(timeout.slowestAnswerMs)}`;
  lines.push(`  timeout ${timeout.configured ?? "none on the route"}: ${hits}${slowest}`);
  const tries = retries?.perTryTimeout === undefined ? "" : `, ${retries.perTryTimeout} a try`;
  const retried =
    retries === null ? "the mesh's default" : retries.attempts === 0 ? "off" : `${retries.attempts}${tries}`;
  lines.push(`  retries: ${retried}`);
  if (rateLimit !== null) {
    const unit = rateLimit.configured.endsWith("/s") ? "s" : "m";
    lines.push(
      `  rate limit ${rateLimit.configured} a gateway pod (${rateLimit.pods} pod${rateLimit.pods > 1 ? "s" : ""}): 429 ×${rateLimit.limited}; admitted ${rateLimit.admitted} in ${seconds(rateLimit.elapsedMs)} (${rateLimit.rate.toFixed(1)}/${unit}), at most ${rateLimit.most}`,
    );
  } else {
    lines.push("  rate limit: none");
  }
  if (mirror !== null) {
    lines.push(
      `  mirror ${mirror.version} on ${mirror.percent}% of requests: its answers are dropped at the gateway; \`npm run traffic -- mirror --prometheus <url>\` counts it`,
    );
  }
  const explained = Object.entries(summary.explained).map(([cause, count]) => `${cause} ×${count}`);
  if (explained.length > 0) lines.push(`  as configured, not errors: ${explained.join(", ")}`);
  return lines;
}
