/**
 * The resilience proofs of `npm run traffic -- count` and `load`, run against the loopback mesh with
 * the edge's policies (edge.ts), as a user runs them: the policies from the settings (the environment)
 * and the route's manifest, as synth writes them. Also the tally that classifies who answered.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { answeredBy, ResilienceTally } from "../../../tools/traffic/resilience";
import type { CountSummary, LoadSummary } from "../../../tools/traffic/verdict";
import { traffic } from "../../traffic-run";
import {
  type CountingPod,
  type EdgePolicies,
  ENVOY_BODIES,
  startCountingPods,
  startEdgeGateway,
} from "./edge";
import { closeAll, WALKTHROUGH_REPLICAS, WALKTHROUGH_WEIGHTS } from "./mesh";

/** A project folder with manifests/, as the tool finds the route in it. */
let project: string;
let pods: CountingPod[];
beforeAll(async () => {
  project = fs.mkdtempSync(path.join(os.tmpdir(), "traffic-resilience-"));
  fs.cpSync("manifests", path.join(project, "manifests"), { recursive: true });
  pods = await startCountingPods(WALKTHROUGH_REPLICAS);
});
afterAll(async () => {
  await closeAll();
  fs.rmSync(project, { recursive: true, force: true });
});

const gateway = (policies: Partial<EdgePolicies>, over: readonly CountingPod[] = pods) =>
  startEdgeGateway(over, { weights: WALKTHROUGH_WEIGHTS, seed: 11, ...policies });

async function count(url: string, env: Record<string, string>, ...flags: string[]) {
  const run = await traffic(["count", "--url", url, "--json", ...flags], { env, cwd: project });
  return { code: run.code, summary: JSON.parse(run.stdout || "null") as CountSummary, stderr: run.stderr };
}

async function load(url: string, env: Record<string, string>, ...flags: string[]) {
  const run = await traffic(["load", "--url", url, "--json", ...flags], { env, cwd: project });
  return { code: run.code, summary: JSON.parse(run.stdout || "null") as LoadSummary, stderr: run.stderr };
}

describe("who answered: the gateway's own answers are told by Envoy's bodies", () => {
  it.each([
    [429, ENVOY_BODIES.rateLimited, "gateway: rate limited"],
    [503, ENVOY_BODIES.faultAbort, "gateway: injected abort"],
    [504, ENVOY_BODIES.timeout, "gateway: timeout"],
    [503, ENVOY_BODIES.connectFailure, "gateway: connection failure"],
    [503, "no healthy upstream", "gateway: no healthy upstream"],
    [200, "shopfront-v2-5d8f7c9b6-0:v2\n", "v2"],
    [500, "<h1>Internal Server Error</h1>", "the app"],
  ])("%i %j: %s", (status, body, who) => {
    expect(answeredBy(status, body)).toBe(who);
  });

  it("counts past the rate limit only what the fault filter saw, and the delayed among them", () => {
    const tally = new ResilienceTally({ delayMs: 100 });
    const response = (status: number, body: string, latencyMs: number) =>
      tally.record({ kind: "response", status, body, oversized: false, latencyMs });
    response(429, ENVOY_BODIES.rateLimited, 1);
    response(503, ENVOY_BODIES.faultAbort, 150);
    response(200, "shopfront-v1-0:v1\n", 5);
    response(504, ENVOY_BODIES.timeout, 900);
    tally.record({ kind: "failure", cause: "timeout", latencyMs: 5000 });
    expect(tally).toMatchObject({
      responses: 4,
      rateLimited: 1,
      timeouts: 1,
      earliestTimeoutMs: 900,
      delayed: 2,
    });
    expect([tally.pastRateLimit, tally.injectedAborts, tally.undelayedMs]).toEqual([3, 1, [5]]);
  });
});

describe("count with SHOPFRONT_FAULT_ABORT", () => {
  it("503@5 on a gateway that aborts 5%: consistent, and the aborts are no errors", async () => {
    const { code, summary } = await count(
      await gateway({ faultAbort: { status: 503, percent: 5 } }),
      { SHOPFRONT_FAULT_ABORT: "503@5" },
      "--requests",
      "500",
    );
    expect(summary.resilience.abort).toMatchObject({
      status: 503,
      configured: 5,
      of: 500,
      consistent: true,
    });
    expect(summary.resilience.abort?.observed).toBeGreaterThan(10);
    expect(summary.resilience.explained).toEqual({ "status 503": summary.resilience.abort?.observed });
    expect(summary.errors).toBe(0);
    expect(summary.resilience.source).toBe(
      "SHOPFRONT_FAULT_ABORT, manifests/routing-istio/shopfront-mesh.yaml",
    );
    // The route carries the fault, so neither the timeout nor retries (Istio enables neither there).
    expect(summary.resilience.timeout.configured).toBeNull();
    expect(summary.resilience.retries).toEqual({ attempts: 0 });
    expect(code).toBe(0);
  });

  it("503@5 on a gateway that aborts none: inconsistent", async () => {
    const { code, summary } = await count(
      await gateway({}),
      { SHOPFRONT_FAULT_ABORT: "503@5" },
      "--requests",
      "500",
    );
    expect(summary.resilience.abort).toMatchObject({ observed: 0, of: 500, consistent: false });
    expect(summary.problems).toEqual([
      expect.stringMatching(
        /^injected aborts are inconsistent with 503 on 5% of requests: 0 of 500 \(0\.0%\), p = 1\.\d\de-11 < --alpha 0\.01$/,
      ),
    ]);
    expect(code).toBe(1);
  });

  it("none configured, a gateway that aborts: its aborts are errors, and named", async () => {
    const { code, summary } = await count(await gateway({ faultAbort: { status: 500, percent: 10 } }), {});
    expect(summary.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^the gateway injected \d+ aborts with 500 \("fault filter abort"\), but the route has no fault abort$/,
        ),
      ]),
    );
    expect(summary.resilience.statuses["500"]).toEqual({ "gateway: injected abort": expect.any(Number) });
    expect(code).toBe(1);
  });
});

describe("count with SHOPFRONT_FAULT_DELAY", () => {
  it("2s@20 on a gateway that delays 20%: consistent", async () => {
    const { code, summary } = await count(
      await gateway({ faultDelay: { ms: 2000, percent: 20 } }),
      { SHOPFRONT_FAULT_DELAY: "2s@20" },
      "--requests",
      "60",
      "--concurrency",
      "30",
    );
    expect(summary.resilience.delay).toMatchObject({
      delay: "2s",
      configured: 20,
      of: 60,
      separable: true,
      consistent: true,
    });
    expect(code).toBe(0);
  });

  it("500ms@20 on a gateway that delays none: inconsistent", async () => {
    const { code, summary } = await count(
      await gateway({}),
      { SHOPFRONT_FAULT_DELAY: "500ms@20" },
      "--requests",
      "300",
    );
    // A loaded machine may itself hold a few loopback answers for 500 ms (seen in CI): far fewer
    // than the configured fifth, which is what the verdict must catch.
    expect(summary.resilience.delay).toMatchObject({ consistent: false });
    expect(summary.resilience.delay?.observed).toBeLessThan(15);
    expect(summary.problems).toEqual([
      expect.stringMatching(
        /^delayed answers are inconsistent with 500ms on 20% of requests: \d+ of 300 \(\d+\.\d%\) took 500ms or more/,
      ),
    ]);
    expect(code).toBe(1);
  });

  it("refuses a delay the tool's own --timeout would cut: exit 2, nothing sent", async () => {
    const run = await traffic(["count", "--url", "http://127.0.0.1:9/", "--timeout", "2s"], {
      env: { SHOPFRONT_FAULT_DELAY: "2s@10" },
      cwd: project,
    });
    expect(run.stderr).toBe(
      "error: --timeout 2s is not longer than the injected delay 2s (from SHOPFRONT_FAULT_DELAY, manifests/routing-istio/shopfront-mesh.yaml): delayed requests would time out here before their answer; raise --timeout above it\n",
    );
    expect(run.code).toBe(2);
  });
});

describe("count with the route's timeout and retries", () => {
  it("SHOPFRONT_TIMEOUT=300ms on a gateway that cuts a slow version at 300 ms: the 504s are counted, consistent", async () => {
    const slow = await startCountingPods({ v1: 1, v2: 1 }, { v2: { delayMs: 2000 } });
    const url = await startEdgeGateway(slow, { weights: { v1: 50, v2: 50 }, seed: 5, timeoutMs: 300 });
    const { summary } = await count(
      url,
      { SHOPFRONT_TIMEOUT: "300ms" },
      "--expect",
      "v1=50,v2=50",
      "--requests",
      "40",
    );
    expect(summary.resilience.timeout).toMatchObject({
      configured: "300ms",
      earliestMs: 300,
      hit: summary.total - summary.versions.v1,
    });
    expect(summary.resilience.timeout.earliestHitMs).toBeGreaterThanOrEqual(270);
    expect(summary.resilience.statuses["504"]).toEqual({ "gateway: timeout": expect.any(Number) });
    expect(summary.resilience.problems).toEqual([]);
  });

  it("a gateway whose timeout is shorter than configured: its 504s came too early", async () => {
    const slow = await startCountingPods({ v1: 1 }, { v1: { delayMs: 1000 } });
    const url = await startEdgeGateway(slow, { weights: { v1: 100 }, seed: 5, timeoutMs: 100 });
    const { code, summary } = await count(
      url,
      { SHOPFRONT_TIMEOUT: "2s" },
      "--expect",
      "v1=100",
      "--requests",
      "10",
    );
    expect(summary.resilience.problems).toEqual([
      expect.stringMatching(
        /^a 504 "upstream request timeout" came after 0\.\d\d s, before the 2\.00 s the route's timeout and retries allow/,
      ),
    ]);
    expect(code).toBe(1);
  });

  it("a gateway that applies no timeout: an answer past it says so", async () => {
    const slow = await startCountingPods({ v1: 1 }, { v1: { delayMs: 1600 } });
    const url = await startEdgeGateway(slow, { weights: { v1: 100 }, seed: 5 });
    const { summary } = await count(
      url,
      { SHOPFRONT_TIMEOUT: "300ms" },
      "--expect",
      "v1=100",
      "--requests",
      "5",
    );
    expect(summary.resilience.problems).toEqual([
      expect.stringMatching(
        /^an answer took 1\.\d\d s, past the route's timeout 300ms: the gateway did not apply it$/,
      ),
    ]);
  });

  it("retries of connection failures hide a resetting pod, as the route's 2 retries do; without them its resets are errors", async () => {
    const mixed = await startCountingPods({ v1: 3 }, { "shopfront-v1-5d8f7c9b6-1": { reset: true } });
    const retried = await startEdgeGateway(mixed, {
      weights: { v1: 100 },
      seed: 5,
      retries: { attempts: 2 },
    });
    const ok = await count(retried, {}, "--expect", "v1=100", "--requests", "90");
    expect([ok.summary.errors, ok.summary.resilience.retries, ok.code]).toEqual([
      0,
      { attempts: 2, perTryTimeout: "1s" },
      0,
    ]);
    const bare = await startEdgeGateway(mixed, { weights: { v1: 100 }, seed: 5 });
    const failing = await count(bare, {}, "--expect", "v1=100", "--requests", "90");
    expect(failing.summary.resilience.statuses["503"]).toEqual({ "gateway: connection failure": 30 });
    expect(failing.code).toBe(1);
  });
});

describe("INGRESS_RATE_LIMIT", () => {
  it("50/s on a gateway that limits 50/s: the 429s are no errors, the admitted within the limit's most", async () => {
    const url = await gateway({ rateLimit: { requests: 50, intervalMs: 1000 } });
    const { code, summary } = await count(url, { INGRESS_RATE_LIMIT: "50/s" }, "--requests", "300");
    const limit = summary.resilience.rateLimit;
    expect(limit).toMatchObject({ configured: "50/s", pods: 1 });
    expect(limit?.limited).toBeGreaterThan(0);
    expect(limit?.admitted).toBeLessThanOrEqual(limit?.most ?? 0);
    expect(summary.resilience.explained).toEqual({ "status 429": limit?.limited });
    expect(summary.errors).toBe(0);
    expect(code).toBe(0);
  });

  it("50/s on a gateway that limits nothing: admitted past the most, the limit is not applied", async () => {
    const { code, summary } = await count(
      await gateway({}),
      { INGRESS_RATE_LIMIT: "50/s" },
      "--requests",
      "400",
      "--concurrency",
      "20",
    );
    expect(summary.problems).toEqual([
      expect.stringMatching(
        /^the gateway admitted 400 requests in [\d.]+ s, over the \d+ that INGRESS_RATE_LIMIT=50\/s allows/,
      ),
    ]);
    expect(code).toBe(1);
  });

  it("unset, on a gateway that limits: the 429s are errors, and the unconfigured limit is named", async () => {
    const { summary } = await count(await gateway({ rateLimit: { requests: 20, intervalMs: 60_000 } }), {});
    expect(summary.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^the gateway answered 80 times 429 "local_rate_limited", but INGRESS_RATE_LIMIT is unset/,
        ),
      ]),
    );
  });

  it("load at 80/s against 40/s a pod with MESH_PROFILE=production: the achieved rate within two pods' buckets", async () => {
    const url = await gateway({ rateLimit: { requests: 40, intervalMs: 1000 } });
    const { code, summary } = await load(
      url,
      { INGRESS_RATE_LIMIT: "40/s", MESH_PROFILE: "production" },
      "--rate",
      "80",
      "--duration",
      "2s",
    );
    expect(summary.resilience.rateLimit).toMatchObject({ configured: "40/s", pods: 2 });
    expect(summary.resilience.rateLimit?.limited).toBeGreaterThan(0);
    expect(summary.statuses["429"]).toBe(summary.resilience.rateLimit?.limited);
    expect(code).toBe(0);
  });
});

describe("the human report", () => {
  it("shows status codes by who answered and each policy's figure", async () => {
    const url = await gateway({
      faultAbort: { status: 503, percent: 10 },
      mirror: { version: "v4", percent: 20 },
    });
    const run = await traffic(["count", "--url", url, "--requests", "200"], {
      env: { SHOPFRONT_FAULT_ABORT: "503@10", SHOPFRONT_MIRROR: "v4@20" },
      cwd: project,
    });
    expect(run.stdout).toMatch(
      /^status codes: 200 ×\d+ \(v1 ×\d+, v2 ×\d+, v3 ×\d+, v4 ×\d+\); 503 ×\d+ \(gateway: injected abort ×\d+\)$/m,
    );
    expect(run.stdout).toContain(
      "policies from SHOPFRONT_FAULT_ABORT, SHOPFRONT_MIRROR, manifests/routing-istio/shopfront-mesh.yaml:\n",
    );
    expect(run.stdout).toMatch(
      /^ {2}abort 503 on 10% of requests: \d+ of 200 \([\d.]+%\) injected, p = [\d.]+, consistent$/m,
    );
    expect(run.stdout).toContain('  timeout none on the route: 504 "upstream request timeout" ×0');
    expect(run.stdout).toContain("  mirror v4 on 20% of requests: its answers are dropped at the gateway");
    expect(run.stdout).toMatch(/^ {2}as configured, not errors: status 503 ×\d+$/m);
    expect(run.code).toBe(0);
  });
});
