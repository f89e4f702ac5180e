/**
 * The statistics behind the verdicts: Pearson's chi-square goodness of fit with an exact-to-double
 * p-value (the regularized upper incomplete gamma function, Numerical Recipes ch. 6.2), percentiles,
 * the sample size that pins a share down to a margin, and how a p-value is written.
 */

/** Relative accuracy of the gamma series and continued fraction. */
const EPSILON = 1e-15;
/** Both expansions converge in far fewer steps for any dof and statistic this tool meets. */
const MAX_ITERATIONS = 10_000;
/** Keeps Lentz's continued fraction away from a division by zero. */
const TINY = 1e-300;

/** Lanczos approximation (g = 7, n = 9) of ln Γ(x) for x > 0; relative error below 1e-15. */
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

export function lnGamma(x: number): number {
  if (x < 0.5) {
    // Reflection formula: the series below is accurate only for x ≥ 0.5.
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lnGamma(1 - x);
  }
  const z = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** P(a, x) by its series; converges fast for x < a + 1. */
function lowerGammaSeries(a: number, x: number): number {
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n < MAX_ITERATIONS; n++) {
    term *= x / (a + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * EPSILON) break;
  }
  return sum * Math.exp(-x + a * Math.log(x) - lnGamma(a));
}

/** Q(a, x) by its continued fraction (modified Lentz); converges fast for x ≥ a + 1. */
function upperGammaFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  return Math.exp(-x + a * Math.log(x) - lnGamma(a)) * h;
}

/** The regularized upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a), for a > 0, x ≥ 0. */
export function upperGammaQ(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) throw new RangeError(`upperGammaQ(${a}, ${x}) needs a > 0 and x >= 0`);
  if (x === 0) return 1;
  if (x === Number.POSITIVE_INFINITY) return 0;
  return x < a + 1 ? 1 - lowerGammaSeries(a, x) : upperGammaFraction(a, x);
}

/** P(X ≥ statistic) for X chi-square distributed with `dof` degrees of freedom. */
export function chiSquarePValue(statistic: number, dof: number): number {
  return upperGammaQ(dof / 2, statistic / 2);
}

export interface GoodnessOfFit {
  readonly statistic: number;
  readonly dof: number;
  readonly pValue: number;
  /** Expected count per category, in the order given. */
  readonly expectedCounts: readonly number[];
  /**
   * Some category with a non-zero weight expects fewer than 5 hits: the chi-square approximation
   * is then rough, and the p-value only a guide.
   */
  readonly approximate: boolean;
}

/**
 * Pearson's chi-square test of `observed` counts against `weights` (any non-negative scale; they are
 * normalized). A category of weight 0 that got hits makes the split impossible under the weights:
 * statistic ∞, p = 0. Categories of weight 0 and no hits carry no information and no degree of freedom.
 */
export function goodnessOfFit(observed: readonly number[], weights: readonly number[]): GoodnessOfFit {
  if (observed.length !== weights.length) throw new RangeError("observed and weights differ in length");
  const n = observed.reduce((a, b) => a + b, 0);
  const weightSum = weights.reduce((a, b) => a + b, 0);
  if (n === 0 || weightSum <= 0)
    throw new RangeError("goodnessOfFit needs observations and a positive weight");
  const expectedCounts = weights.map((w) => (n * w) / weightSum);
  let statistic = 0;
  let categories = 0;
  for (let i = 0; i < observed.length; i++) {
    if (expectedCounts[i] === 0) {
      if (observed[i] > 0) statistic = Number.POSITIVE_INFINITY;
      continue;
    }
    categories++;
    statistic += (observed[i] - expectedCounts[i]) ** 2 / expectedCounts[i];
  }
  const dof = categories - 1;
  // With one possible category every hit must land in it: the only question left is the ∞ above.
  const pValue = dof === 0 ? (statistic === 0 ? 1 : 0) : chiSquarePValue(statistic, dof);
  const approximate = expectedCounts.some((e) => e > 0 && e < 5);
  return { statistic, dof, pValue, expectedCounts, approximate };
}

/** Nearest-rank percentile (p in 0..100) of ascending `sorted` values; undefined for none. */
export function percentile(sorted: ArrayLike<number>, p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** The two-sided 95% normal quantile. */
const Z_95 = 1.96;

/**
 * Requests needed for the observed share of a category of true share `share` to lie within
 * ±`margin` of it with 95% confidence: n = z² p (1 − p) / margin² (normal approximation).
 */
export function sampleSizeForMargin(share: number, margin: number): number {
  const exact = (Z_95 ** 2 * share * (1 - share)) / margin ** 2;
  // Rounding noise must not turn an exact 9604 into 9605.
  return Math.ceil(exact - 1e-9);
}

/** A p-value's figure, as a table cell shows it: 4 decimals, 3 significant digits when small, `< 1e-12` when smaller. */
export function formatP(p: number): string {
  if (p < 1e-12) return "< 1e-12";
  return p >= 0.001 ? p.toFixed(4) : p.toExponential(2);
}

/** A p-value for people: `p = 0.0123`, or `p < 1e-12`. */
export function pValueText(p: number): string {
  const figure = formatP(p);
  return figure.startsWith("<") ? `p ${figure}` : `p = ${figure}`;
}
