import {
  binomialGreater,
  binomialUpperTail,
  fisherGreater,
  hypergeometricUpperTail,
  mannWhitneyGreater,
  median,
  normalUpperTail,
} from "../../../tools/canary/statistics";

/** C(n, k) exactly. */
function choose(n: number, k: number): bigint {
  let result = 1n;
  for (let i = 1; i <= k; i++) result = (result * BigInt(n - k + i)) / BigInt(i);
  return result;
}

/** num / den as a double, to its last bit, however small. */
function ratio(num: bigint, den: bigint): number {
  if (num === 0n) return 0;
  const shift = den.toString(2).length - num.toString(2).length + 64;
  return shift >= 0 ? Number((num << BigInt(shift)) / den) / 2 ** shift : Number(num / den);
}

/** P(X ≥ k), X binomial(n, a/b), as an exact fraction. */
function exactBinomialTail(k: number, n: number, a: number, b: number): number {
  let num = 0n;
  for (let i = k; i <= n; i++) num += choose(n, i) * BigInt(a) ** BigInt(i) * BigInt(b - a) ** BigInt(n - i);
  return ratio(num, BigInt(b) ** BigInt(n));
}

/** P(X ≥ x), X hypergeometric, as an exact fraction. */
function exactHypergeometricTail(x: number, population: number, marked: number, drawn: number): number {
  let num = 0n;
  for (let i = x; i <= Math.min(marked, drawn); i++)
    num += choose(marked, i) * choose(population - marked, drawn - i);
  return ratio(num, choose(population, drawn));
}

const close = (actual: number, expected: number, relative = 1e-9) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(relative * Math.abs(expected) + 1e-300);

describe("binomialUpperTail", () => {
  it.each([
    [0, 50, 1, 100],
    [1, 50, 1, 100],
    [4, 50, 1, 100],
    [30, 50, 1, 100],
    [3, 30, 1, 10],
    [200, 400, 1, 2],
    [190, 400, 1, 2],
    [21, 400, 1, 20],
    [12, 400, 1, 20],
  ])("P(X >= %i) for n = %i, p = %i/%i matches the exact sum", (k, n, a, b) => {
    close(binomialUpperTail(k, n, a / b), exactBinomialTail(k, n, a, b));
  });

  it("is 1 from 0 and 0 past n, and knows the certain and impossible rates", () => {
    expect([binomialUpperTail(0, 10, 0.3), binomialUpperTail(11, 10, 0.3)]).toEqual([1, 0]);
    expect([binomialUpperTail(1, 10, 0), binomialUpperTail(10, 10, 1)]).toEqual([0, 1]);
  });
});

describe("hypergeometricUpperTail and Fisher's exact test", () => {
  it.each([
    [3, 1000, 3, 50],
    [2, 1000, 2, 50],
    [1, 10000, 5, 500],
    [10, 10000, 10, 5000],
    [5, 1000, 20, 250],
    [0, 1000, 20, 250],
    [13, 1000, 13, 250],
    [20, 2000, 40, 1000],
  ])(
    "P(X >= %i) for population %i, %i marked, %i drawn matches the exact sum",
    (x, population, marked, drawn) => {
      close(
        hypergeometricUpperTail(x, population, marked, drawn),
        exactHypergeometricTail(x, population, marked, drawn),
      );
    },
  );

  it("Fisher's test of 2 errors in 50 target requests against none in 950 is p = 50·49 / (1000·999)", () => {
    close(fisherGreater({ errors: 2, total: 50 }, { errors: 0, total: 950 }), (50 * 49) / (1000 * 999));
  });

  it("finds no evidence when the target erred less, or had no requests", () => {
    expect(fisherGreater({ errors: 0, total: 50 }, { errors: 5, total: 950 })).toBe(1);
    expect(fisherGreater({ errors: 0, total: 0 }, { errors: 5, total: 950 })).toBe(1);
  });

  it("the ceiling test: 3 errors in 30 requests against a 1% ceiling", () => {
    close(binomialGreater({ errors: 3, total: 30 }, 0.01), exactBinomialTail(3, 30, 1, 100));
  });
});

describe("normalUpperTail", () => {
  it.each([
    [0, 0.5],
    [1.959963984540054, 0.025],
    [2.3263478740408408, 0.01],
    [-1.6448536269514729, 0.95],
    [6, 9.865876450376946e-10],
  ])("P(Z >= %d) = %d", (z, p) => close(normalUpperTail(z), p, 1e-12));
});

/** U by its definition: every pair, ties counting half. */
function bruteU(target: number[], baseline: number[], margin: number): number {
  let u = 0;
  for (const t of target) for (const b of baseline) u += t > b + margin ? 1 : t === b + margin ? 0.5 : 0;
  return u;
}

describe("mannWhitneyGreater", () => {
  it("R's wilcox.test example: W = 35, and the corrected normal approximation's p = 0.1223", () => {
    const x = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
    const y = [1.15, 0.88, 0.9, 0.74, 1.21];
    const result = mannWhitneyGreater(Float64Array.from(x), Float64Array.from(y));
    expect(result.u).toBe(35);
    // z = (35 − 25 − 0.5) / √(10·5·16/12): no ties, continuity-corrected.
    close(result.pValue, normalUpperTail(9.5 / Math.sqrt((10 * 5 * 16) / 12)), 1e-12);
    expect(result.pValue).toBeCloseTo(0.1223, 4);
  });

  it("counts every pair as its definition does, ties and a margin included", () => {
    const target = [1, 2, 2, 3, 5, 5, 5, 8, 13];
    const baseline = [0, 1, 1, 2, 3, 3, 4, 5, 6, 7];
    for (const margin of [0, 0.5, 1, 2]) {
      expect(mannWhitneyGreater(Float64Array.from(target), Float64Array.from(baseline), margin).u).toBe(
        bruteU(target, baseline, margin),
      );
    }
  });

  it("corrects the variance for ties: all values equal is no evidence at all", () => {
    expect(mannWhitneyGreater(new Float64Array(40).fill(3), new Float64Array(60).fill(3)).pValue).toBe(1);
  });

  it("a target 300 ms slower is significant; the same target within the margin is not", () => {
    const baseline = Float64Array.from({ length: 950 }, (_, i) => 1 + (i % 50) / 10);
    const slower = Float64Array.from({ length: 50 }, (_, i) => 301 + (i % 50) / 10);
    expect(mannWhitneyGreater(slower, baseline.slice(), 0.6).pValue).toBeLessThan(1e-12);
    const alike = Float64Array.from({ length: 50 }, (_, i) => 1.2 + (i % 50) / 10);
    expect(mannWhitneyGreater(alike, baseline.slice(), 0.6).pValue).toBeGreaterThan(0.5);
  });

  it("median: the middle value, or the mean of the middle two", () => {
    expect([median([1, 2, 3]), median([1, 2, 3, 10]), median([])]).toEqual([2, 2.5, Number.NaN]);
  });
});
