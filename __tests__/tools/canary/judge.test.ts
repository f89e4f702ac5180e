/**
 * The judge, calibrated by simulation: many judged steps of 1000 requests, drawn from a seeded
 * generator (the same numbers every run), through the real StepSample and judge.
 */
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { type JudgeOptions, judge } from "../../../tools/canary/judge";
import { errorPower, MIN_TARGET_RESPONSES, shortfallProbability } from "../../../tools/canary/power";
import { StepSample } from "../../../tools/canary/sample";
import type { Outcome } from "../../../tools/traffic/engine/outcome";

const OPTIONS: JudgeOptions = {
  alpha: 0.01,
  maxErrorRate: 1,
  maxLatencyIncrease: 20,
  minAnswers: MIN_TARGET_RESPONSES,
};
const REQUESTS = 1000;

/** What a version does with a request: its error rate, and its latency's log-normal parameters. */
interface Behaviour {
  readonly errorRate: number;
  /** Median latency in ms; the spread is a log-normal's sigma of 0.5, as a service's tail. */
  readonly medianMs: number;
}

/** The answers of the target's pod and of a baseline pod. */
const TARGET = "shopfront-v4-0:v4\n";
const BASELINE = "shopfront-v1-0:v1\n";

const HEALTHY: Behaviour = { errorRate: 0.005, medianMs: 20 };

interface Mesh {
  readonly target: Behaviour;
  readonly baseline: Behaviour;
  /** Errors that name no version (the gateway's own), for every request alike. */
  readonly unattributedRate: number;
}

function simulator(seed: number) {
  const rng = xoroshiro128plus(seed);
  const uniform = () => uniformFloat64(rng);
  // Box-Muller: a standard normal from two uniforms.
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  const outcome = (body: string, behaviour: Behaviour, unattributedRate: number): Outcome => {
    const latencyMs = behaviour.medianMs * Math.exp(0.5 * normal());
    if (uniform() < unattributedRate) {
      return { kind: "response", status: 503, body: "no healthy upstream", oversized: false, latencyMs };
    }
    const status = uniform() < behaviour.errorRate ? 500 : 200;
    return { kind: "response", status, body, oversized: false, latencyMs };
  };
  /**
   * A batch at the target's `share` (0..1): each request routed at random by the weights, as Envoy
   * does, or, with `fixedSplit`, exactly share × requests of them to the target.
   */
  const batch = (mesh: Mesh, share: number, fixedSplit = false): StepSample => {
    const sample = new StepSample("v4");
    const targetCount = Math.round(share * REQUESTS);
    for (let i = 0; i < REQUESTS; i++) {
      const toTarget = fixedSplit ? i < targetCount : uniform() < share;
      sample.record(
        toTarget
          ? outcome(TARGET, mesh.target, mesh.unattributedRate)
          : outcome(BASELINE, mesh.baseline, mesh.unattributedRate),
      );
    }
    return sample;
  };
  return { batch };
}

/** The share of `runs` judged steps at each weight that do not pass, with the same before-batch reference. */
function rollbackRate(mesh: Mesh, percent: number, runs: number, seed: number, fixedSplit = false): number {
  const { batch } = simulator(seed);
  let rollbacks = 0;
  for (let run = 0; run < runs; run++) {
    const before = batch({ ...mesh, target: mesh.baseline }, 0, fixedSplit);
    if (judge(batch(mesh, percent / 100, fixedSplit), before, OPTIONS).verdict !== "pass") rollbacks++;
  }
  return rollbacks / runs;
}

describe("calibration: a target that is the baseline", () => {
  const same: Mesh = { target: HEALTHY, baseline: HEALTHY, unattributedRate: 0.001 };

  it.each([5, 25, 50, 100])(
    "at %i% of 1000 requests, rolls back at most 1% of 800 steps (alpha 0.01; 0.5% errors on both, 0.1% naming no version)",
    (percent) => {
      const rate = rollbackRate(same, percent, 800, 20261204 + percent);
      expect(rate).toBeLessThanOrEqual(0.01);
    },
  );
});

describe("power: a 2-point rise in the error rate, at 1000 requests a step", () => {
  const worse: Mesh = { target: { ...HEALTHY, errorRate: 0.025 }, baseline: HEALTHY, unattributedRate: 0 };

  it.each([
    [5, 0.122],
    [25, 0.486],
    [50, 0.669],
    [100, 0.956],
  ])(
    "at %i%, 0.5% → 2.5%: the judge catches it as often as computed (%d, docs/canary.md)",
    (percent, stated) => {
      const computed = errorPower({
        targetRequests: (REQUESTS * percent) / 100,
        baselineRequests: percent === 100 ? REQUESTS : REQUESTS - (REQUESTS * percent) / 100,
        targetRate: 0.025,
        baselineRate: 0.005,
        alpha: OPTIONS.alpha,
        ceiling: OPTIONS.maxErrorRate / 100,
      });
      expect(computed).toBeCloseTo(stated, 3);
      const runs = 400;
      const simulated = rollbackRate(worse, percent, runs, 7 + percent, true);
      // Four standard errors of a proportion estimated from `runs` steps.
      expect(Math.abs(simulated - computed)).toBeLessThanOrEqual(
        4 * Math.sqrt((computed * (1 - computed)) / runs),
      );
    },
  );
});

describe("the minimum of target answers", () => {
  it(`${MIN_TARGET_RESPONSES} answers: a target failing 10% of requests is caught with probability 0.82 against a clean baseline`, () => {
    const power = errorPower({
      targetRequests: MIN_TARGET_RESPONSES,
      baselineRequests: REQUESTS - MIN_TARGET_RESPONSES,
      targetRate: 0.1,
      baselineRate: 0,
      alpha: 0.01,
      ceiling: 0.01,
    });
    expect(power).toBeCloseTo(0.82, 2);
  });

  it("the default first step (5% of 1000 requests) falls short of it by chance 0.07% of the time", () => {
    expect(shortfallProbability(REQUESTS, 0.05, MIN_TARGET_RESPONSES)).toBeCloseTo(0.0007, 4);
  });

  it("a step with fewer target answers is inconclusive, never a pass", () => {
    const sample = new StepSample("v4");
    const before = new StepSample("v4");
    for (let i = 0; i < 1000; i++) {
      const version = i < MIN_TARGET_RESPONSES - 1 ? "v4" : "v1";
      sample.record({
        kind: "response",
        status: 200,
        body: `p-0:${version}`,
        oversized: false,
        latencyMs: 5,
      });
      before.record({ kind: "response", status: 200, body: "p-0:v1", oversized: false, latencyMs: 5 });
    }
    const judged = judge(sample, before, OPTIONS);
    expect(judged.verdict).toBe("inconclusive");
    expect(judged.reasons).toEqual([
      `only 29 answers from v4 in 1000 requests; a judgement needs ${MIN_TARGET_RESPONSES}`,
    ]);
  });
});

describe("latency", () => {
  it("a target twice as slow fails at 25%; one 10% slower, inside the 20% margin, passes", () => {
    const slower = (factor: number): Mesh => ({
      target: { errorRate: 0, medianMs: 20 * factor },
      baseline: { errorRate: 0, medianMs: 20 },
      unattributedRate: 0,
    });
    expect(rollbackRate(slower(2), 25, 50, 11)).toBe(1);
    expect(rollbackRate(slower(1.1), 25, 50, 12)).toBe(0);
  });

  it("at 100% the baseline is the batch before the canary, minutes earlier: errors are judged, latency is not", () => {
    const { batch } = simulator(13);
    const slowerLater: Mesh = {
      target: { errorRate: 0, medianMs: 40 },
      baseline: { errorRate: 0, medianMs: 20 },
      unattributedRate: 0,
    };
    const before = batch({ ...slowerLater, target: slowerLater.baseline }, 0);
    const judged = judge(batch(slowerLater, 1), before, OPTIONS);
    expect(judged).toMatchObject({
      verdict: "pass",
      baselineFrom: "before",
      tests: { latency: null, errors: 1 },
    });
    const failing = judge(
      batch({ ...slowerLater, target: { errorRate: 0.05, medianMs: 20 } }, 1),
      before,
      OPTIONS,
    );
    expect(failing.verdict).toBe("fail");
  });
});

describe("speed", () => {
  it("records and judges a step of 10,000 requests in under half a second of CPU (the bar: 1 s)", () => {
    const { batch } = simulator(3);
    const before = batch({ target: HEALTHY, baseline: HEALTHY, unattributedRate: 0.001 }, 0);
    const outcomes: Outcome[] = Array.from({ length: 10_000 }, (_, i) => {
      const version = i % 2 === 0 ? "v4" : "v1";
      return {
        kind: "response",
        status: 200,
        body: `p-0:${version}`,
        oversized: false,
        latencyMs: 1 + (i % 97),
      };
    });
    const started = process.cpuUsage();
    const step = new StepSample("v4");
    for (const outcome of outcomes) step.record(outcome);
    const judged = judge(step, before, OPTIONS);
    const used = process.cpuUsage(started);
    expect(judged.verdict).toBe("pass");
    expect((used.user + used.system) / 1e6).toBeLessThan(0.5);
  });
});
