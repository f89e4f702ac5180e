import {
  chiSquarePValue,
  goodnessOfFit,
  lnGamma,
  percentile,
  sampleSizeForMargin,
  upperGammaQ,
} from "../../../tools/traffic/stats";

describe("chi-square p-values", () => {
  // Critical values from the chi-square table (NIST/SEMATECH e-Handbook, 1.3.6.7.4).
  test.each([
    [3.841, 1, 0.05],
    [6.635, 1, 0.01],
    [5.991, 2, 0.05],
    [7.815, 3, 0.05],
    [11.345, 3, 0.01],
    [16.266, 3, 0.001],
    [124.342, 100, 0.05],
  ])("statistic %d with %d degrees of freedom has p ≈ %d", (statistic, dof, p) => {
    expect(chiSquarePValue(statistic, dof)).toBeCloseTo(p, 4);
  });

  test("a perfect fit has p = 1, an impossible one p = 0", () => {
    expect(chiSquarePValue(0, 3)).toBe(1);
    expect(chiSquarePValue(Number.POSITIVE_INFINITY, 3)).toBe(0);
  });

  test("with 2 degrees of freedom p is exactly e^(-x/2), on both sides of the series/fraction switch", () => {
    for (const x of [0.5, 2, 3.9, 4.1, 10, 60]) {
      expect(chiSquarePValue(x, 2)).toBeCloseTo(Math.exp(-x / 2), 12);
    }
  });
});

describe("regularized upper incomplete gamma Q(a, x)", () => {
  test("Q(2, x) = e^-x (1 + x) by the series (x < 3) and the continued fraction (x ≥ 3)", () => {
    for (const x of [0.1, 1, 2.9, 3, 7, 40]) {
      expect(upperGammaQ(2, x)).toBeCloseTo(Math.exp(-x) * (1 + x), 12);
    }
  });

  test("refuses a ≤ 0 or x < 0", () => {
    expect(() => upperGammaQ(0, 1)).toThrow(RangeError);
    expect(() => upperGammaQ(1, -1)).toThrow(RangeError);
  });

  test("ln Γ matches factorials and Γ(1/2) = √π", () => {
    expect(lnGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(lnGamma(10)).toBeCloseTo(Math.log(362880), 10);
    expect(lnGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
    expect(lnGamma(0.25)).toBeCloseTo(Math.log(3.625609908221908), 12);
  });
});

describe("goodness of fit", () => {
  test("counts that match the weights exactly give statistic 0 and p = 1", () => {
    const fit = goodnessOfFit([50, 30, 15, 5], [50, 30, 15, 5]);
    expect(fit).toMatchObject({ statistic: 0, dof: 3, pValue: 1, approximate: false });
    expect(fit.expectedCounts).toEqual([50, 30, 15, 5]);
  });

  test("a 70/10/10/10 split against 50/30/15/5 is rejected", () => {
    const fit = goodnessOfFit([70, 10, 10, 10], [50, 30, 15, 5]);
    // 400/50 + 400/30 + 25/15 + 25/5
    expect(fit.statistic).toBeCloseTo(8 + 40 / 3 + 5 / 3 + 5, 10);
    expect(fit.pValue).toBeLessThan(1e-5);
  });

  test("a hit on a version of weight 0 makes the split impossible", () => {
    expect(goodnessOfFit([99, 1], [100, 0])).toMatchObject({
      statistic: Number.POSITIVE_INFINITY,
      pValue: 0,
    });
  });

  test("a version of weight 0 without hits costs no degree of freedom", () => {
    expect(goodnessOfFit([60, 40, 0], [60, 40, 0])).toMatchObject({ dof: 1, pValue: 1 });
    expect(goodnessOfFit([20, 0], [100, 0])).toMatchObject({ dof: 0, pValue: 1 });
  });

  test("expected counts under 5 mark the p-value as approximate", () => {
    expect(goodnessOfFit([10, 6, 3, 1], [50, 30, 15, 5]).approximate).toBe(true);
  });

  test("an even split of 2 pods is the uniform case", () => {
    expect(goodnessOfFit([15, 14], [1, 1]).pValue).toBeCloseTo(chiSquarePValue(1 / 29, 1), 12);
    expect(goodnessOfFit([29, 0], [1, 1]).pValue).toBeLessThan(1e-6);
  });
});

describe("percentiles (nearest rank)", () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);

  test("p50, p95 and p99 of 1..100 are 50, 95 and 99", () => {
    expect([50, 95, 99].map((p) => percentile(hundred, p))).toEqual([50, 95, 99]);
  });

  test("on few samples the high percentiles are the maximum", () => {
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
    expect(percentile([7], 50)).toBe(7);
    expect(percentile([1, 2], 0)).toBe(1);
  });

  test("no samples, no percentile", () => {
    expect(percentile([], 50)).toBeUndefined();
  });
});

describe("requests for ±1 percentage point at 95% confidence", () => {
  test("n = 1.96² p (1 - p) / 0.01²", () => {
    expect(sampleSizeForMargin(0.05, 0.01)).toBe(1825);
    expect(sampleSizeForMargin(0.15, 0.01)).toBe(4899);
    expect(sampleSizeForMargin(0.5, 0.01)).toBe(9604);
  });
});
