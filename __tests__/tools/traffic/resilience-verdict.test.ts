/**
 * The resilience checks, calibrated by simulation as the split test and the canary's judge are: many
 * runs drawn from a seeded generator (the same numbers every run), through the real tally and checks.
 * On a correct mesh a check may fail by chance at most `alpha` of the time; on a wrong one it should
 * fail nearly always.
 */
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import type { Outcome } from "../../../tools/traffic/engine/outcome";
import type { Policies } from "../../../tools/traffic/policies";
import { ResilienceTally } from "../../../tools/traffic/resilience";
import { binomialTwoSided, summarizeResilience } from "../../../tools/traffic/resilience-verdict";
import { lnGamma } from "../../../tools/traffic/stats";

const ALPHA = 0.01;
const ANSWER = "shopfront-v1-0:v1\n";
const NONE: Policies = { source: "test", meshMode: "sidecar" };

const response = (status: number, body: string, latencyMs: number): Outcome => ({
  kind: "response",
  status,
  body,
  oversized: false,
  latencyMs,
});

/** A gateway's answers: an abort with probability `abortRate`, a delay of `delayMs` with `delayRate`, log-normal latencies around 20 ms. */
function simulator(seed: number) {
  const rng = xoroshiro128plus(seed);
  const uniform = () => uniformFloat64(rng);
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return (
    requests: number,
    mesh: { abortRate?: number; delayRate?: number; delayMs?: number },
    tally: ResilienceTally,
  ) => {
    for (let i = 0; i < requests; i++) {
      const base = 20 * Math.exp(0.5 * normal());
      const delay = uniform() < (mesh.delayRate ?? 0) ? (mesh.delayMs ?? 0) : 0;
      const aborted = uniform() < (mesh.abortRate ?? 0);
      tally.record(
        aborted ? response(503, "fault filter abort", delay + 1) : response(200, ANSWER, delay + base),
      );
    }
  };
}

/** The share of `runs` simulated runs whose check of `policies` fails. */
function failureRate(
  policies: Policies,
  mesh: Parameters<ReturnType<typeof simulator>>[1],
  requests: number,
  runs: number,
  seed: number,
) {
  const simulate = simulator(seed);
  let failures = 0;
  for (let run = 0; run < runs; run++) {
    const tally = new ResilienceTally({ delayMs: policies.faultDelay?.ms });
    simulate(requests, mesh, tally);
    if (summarizeResilience(tally, policies, { alpha: ALPHA, elapsedMs: 1000 }).problems.length > 0)
      failures++;
  }
  return failures / runs;
}

const ABORT_5: Policies = { ...NONE, faultAbort: { status: 503, percent: 5 } };
const DELAY_10: Policies = { ...NONE, faultDelay: { text: "2s", ms: 2000, percent: 10 } };

describe("the exact two-sided binomial test", () => {
  it("is 1 at the expected count, and doubles the smaller tail elsewhere", () => {
    expect(binomialTwoSided(5, 10, 0.5)).toBe(1);
    expect(binomialTwoSided(0, 10, 0.5)).toBeCloseTo(2 / 1024, 12);
    expect(binomialTwoSided(10, 10, 0.5)).toBeCloseTo(2 / 1024, 12);
    // P(X ≤ 1) for n = 20, p = 0.2 is 0.8^20 + 20 · 0.2 · 0.8^19 = 0.0692, doubled.
    expect(binomialTwoSided(1, 20, 0.2)).toBeCloseTo(2 * (0.8 ** 20 + 20 * 0.2 * 0.8 ** 19), 10);
  });

  it("at a share of 100%, anything short of all is impossible", () => {
    expect(binomialTwoSided(20, 20, 1)).toBe(1);
    expect(binomialTwoSided(19, 20, 1)).toBe(0);
  });
});

/** P(K = k) for K binomial with `n` trials of probability `p`. */
function binomialPmf(k: number, n: number, p: number): number {
  return Math.exp(
    lnGamma(n + 1) - lnGamma(k + 1) - lnGamma(n - k + 1) + k * Math.log(p) + (n - k) * Math.log1p(-p),
  );
}

describe("calibration: on a correct mesh, false alarms at most alpha", () => {
  it.each([
    [5, 100],
    [5, 500],
    [5, 2000],
    [10, 2000],
    [20, 10_000],
  ])(
    "a share of %i%% over %i requests fails with probability at most alpha, computed exactly",
    (percent, n) => {
      let falseAlarms = 0;
      for (let k = 0; k <= n; k++) {
        if (binomialTwoSided(k, n, percent / 100) < ALPHA) falseAlarms += binomialPmf(k, n, percent / 100);
      }
      expect(falseAlarms).toBeLessThanOrEqual(ALPHA);
      // Exact tests of a discrete count are conservative, but not by much at these sizes.
      expect(falseAlarms).toBeGreaterThan(ALPHA / 3);
    },
  );

  // The same through the tally and the checks, from simulated answers: within the simulation's own error.
  const RUNS = 400;
  const bound = ALPHA + 3 * Math.sqrt((ALPHA * (1 - ALPHA)) / RUNS);

  it.each([200, 1000])(
    `aborts of 5%% over %i requests: at most alpha of ${RUNS} simulated runs fail`,
    (requests) => {
      expect(
        failureRate(ABORT_5, { abortRate: 0.05 }, requests, RUNS, 20261205 + requests),
      ).toBeLessThanOrEqual(bound);
    },
  );

  it.each([200, 1000])(
    `delays of 2 s on 10%% over %i requests: at most alpha of ${RUNS} simulated runs fail`,
    (requests) => {
      expect(
        failureRate(DELAY_10, { delayRate: 0.1, delayMs: 2000 }, requests, RUNS, 7 + requests),
      ).toBeLessThanOrEqual(bound);
    },
  );
});

describe("power: on a wrong mesh, the check fails", () => {
  it("no aborts where 5% are configured: every run of 500 requests fails", () => {
    expect(failureRate(ABORT_5, {}, 500, 200, 3)).toBe(1);
  });

  it("half the configured aborts (2.5% for 5%) over 2000 requests: nearly every run fails", () => {
    expect(failureRate(ABORT_5, { abortRate: 0.025 }, 2000, 200, 4)).toBeGreaterThan(0.95);
  });

  it("twice the configured delays (20% for 10%) over 500 requests: nearly every run fails", () => {
    expect(failureRate(DELAY_10, { delayRate: 0.2, delayMs: 2000 }, 500, 200, 5)).toBeGreaterThan(0.95);
  });
});

describe("the rate limit's most, and the timeouts", () => {
  const limited = (admitted: number, rateLimited: number) => {
    const tally = new ResilienceTally();
    for (let i = 0; i < admitted; i++) tally.record(response(200, ANSWER, 2));
    for (let i = 0; i < rateLimited; i++) tally.record(response(429, "local_rate_limited", 1));
    return tally;
  };
  const RATE_10: Policies = { ...NONE, rateLimit: { requests: 10, per: "s", pods: 2 } };

  it("admits each pod's full bucket and a refill per interval begun: 2 pods × 10 × (1 + 3) in 2.5 s", () => {
    const at = summarizeResilience(limited(80, 5), RATE_10, { alpha: ALPHA, elapsedMs: 2500 });
    expect(at.rateLimit).toMatchObject({ most: 80, admitted: 80, limited: 5, rate: 32 });
    expect(at.problems).toEqual([]);
    const over = summarizeResilience(limited(81, 5), RATE_10, { alpha: ALPHA, elapsedMs: 2500 });
    expect(over.problems).toEqual([
      expect.stringMatching(/^the gateway admitted 81 requests in 2\.50 s, over the 80 that/),
    ]);
  });

  it("a 504 no sooner than all tries' per-try timeouts when they are shorter than the route's", () => {
    const tally = new ResilienceTally();
    tally.record(response(504, "upstream request timeout", 2950));
    const retried: Policies = {
      ...NONE,
      timeout: { text: "4s", ms: 4000 },
      retries: { attempts: 2, perTryTimeout: "1s" },
    };
    const summary = summarizeResilience(tally, retried, { alpha: ALPHA, elapsedMs: 3000 });
    expect(summary.timeout).toMatchObject({
      configured: "4s",
      earliestMs: 3000,
      hit: 1,
      earliestHitMs: 2950,
    });
    expect(summary.problems).toEqual([]);
  });

  it("a 504 without any timeout configured is named", () => {
    const tally = new ResilienceTally();
    tally.record(response(504, "upstream request timeout", 15_000));
    expect(summarizeResilience(tally, NONE, { alpha: ALPHA, elapsedMs: 15_000 }).problems).toEqual([
      'the gateway answered 1 times 504 "upstream request timeout", but the route has neither a timeout nor a per-try timeout',
    ]);
  });
});
