import { estimate, formatWeights, parseSteps, planSteps, stepWeights } from "../../../tools/canary/plan";

const WALKTHROUGH = { v1: 50, v2: 30, v3: 15, v4: 5 };
const sum = (weights: Record<string, number>) => Object.values(weights).reduce((a, b) => a + b, 0);

describe("stepWeights", () => {
  it("puts the target at the step's weight and scales the others in their proportions", () => {
    expect(stepWeights({ v1: 50, v2: 30, v3: 20, v4: 0 }, "v4", 50)).toEqual({
      v1: 25,
      v2: 15,
      v3: 10,
      v4: 50,
    });
  });

  it("rounds by the largest remainder so that the weights add up to exactly 100", () => {
    // 75 shared 50:30:15 is 39.47, 23.68, 11.84: the two largest remainders get the 2 left over.
    expect(stepWeights(WALKTHROUGH, "v4", 25)).toEqual({ v1: 39, v2: 24, v3: 12, v4: 25 });
    for (const target of ["v1", "v2", "v3", "v4"]) {
      for (let weight = 1; weight <= 100; weight++) {
        const weights = stepWeights(WALKTHROUGH, target, weight);
        expect(sum(weights)).toBe(100);
        expect(weights[target]).toBe(weight);
        expect(Object.values(weights).every((w) => Number.isInteger(w) && w >= 0)).toBe(true);
      }
    }
  });

  it("breaks a tie of remainders in favour of the earlier version", () => {
    expect(stepWeights({ v1: 50, v2: 50, v3: 0, v4: 0 }, "v4", 5)).toEqual({ v1: 48, v2: 47, v3: 0, v4: 5 });
  });

  it("gives every other version nothing at 100", () => {
    expect(stepWeights(WALKTHROUGH, "v2", 100)).toEqual({ v1: 0, v2: 100, v3: 0, v4: 0 });
  });
});

describe("planSteps", () => {
  it("skips the steps the target is past already", () => {
    const plan = planSteps({ v1: 70, v2: 0, v3: 0, v4: 30 }, "v4", [5, 25, 50, 100], "settings.env");
    expect(plan.skipped).toEqual([5, 25]);
    expect(plan.steps.map((step) => [step.number, step.targetWeight, formatWeights(step.weights)])).toEqual([
      [1, 50, "v1=50,v2=0,v3=0,v4=50"],
      [2, 100, "v1=0,v2=0,v3=0,v4=100"],
    ]);
  });

  it("refuses a target already at 100, naming the weights and where they came from", () => {
    expect(() => planSteps({ v1: 0, v2: 0, v3: 0, v4: 100 }, "v4", [5, 100], "settings.env:2")).toThrow(
      "v4 is already at 100% (v1=0,v2=0,v3=0,v4=100, from settings.env:2): there is nothing to roll out",
    );
  });
});

describe("parseSteps", () => {
  it.each([
    ["5,25,50,100", [5, 25, 50, 100]],
    ["100", [100]],
    [" 10, 100 ", [10, 100]],
  ])("reads %j", (text, steps) => expect(parseSteps(text)).toEqual({ steps }));

  it.each([
    ["5,25,50", "the last step is 50, not 100"],
    ["50,25,100", "25 follows 50: steps must increase"],
    ["5,5,100", "5 follows 5: steps must increase"],
    ["0,100", '"0" is not a whole percentage from 1 to 100'],
    ["5.5,100", '"5.5" is not a whole percentage from 1 to 100'],
    ["5;100", '"5;100" is not a whole percentage from 1 to 100'],
  ])("refuses %j: %s", (text, problem) => expect(parseSteps(text)).toEqual({ problem }));
});

describe("estimate", () => {
  it("adds the applies, the waits and the requests, and says how", () => {
    const reckoned = estimate({
      steps: 4,
      requests: 1000,
      concurrency: 10,
      settleSeconds: 5,
      applySeconds: 90,
    });
    // 5 batches × 1000 requests × 0.05 s / 10 in flight = 25 s; 4 × 5 s waits; 4 × 90 s applies.
    expect(reckoned.seconds).toBeCloseTo(25 + 20 + 360, 6);
    expect(reckoned.detail).toContain("4 applies at about 90 s each");
    expect(
      estimate({ steps: 2, requests: 100, concurrency: 10, settleSeconds: 0, applySeconds: undefined })
        .detail,
    ).toMatch(/^plus 2 runs of --apply-command;/);
  });
});
