/**
 * The canary judge's tests, one-sided, each returning the p-value of "the target is worse":
 *
 * - Fisher's exact test of two error rates (the hypergeometric upper tail), since errors are rare
 *   and the target's sample small, where the normal approximation of the two-proportion z-test
 *   misleads;
 * - the exact binomial test of one error rate against a ceiling;
 * - the Mann-Whitney U test of "the target's latencies exceed the baseline's plus a margin", with
 *   the normal approximation, its tie correction and continuity correction, in O(n log n).
 *
 * The distributions rest on the log-gamma and incomplete gamma functions of tools/traffic/stats.ts.
 * Why these are written here rather than taken from npm: docs/canary.md, "The judge's statistics".
 */
import { lnGamma, upperGammaQ } from "../traffic/stats";

/** ln C(n, k). */
function lnChoose(n: number, k: number): number {
  return lnGamma(n + 1) - lnGamma(k + 1) - lnGamma(n - k + 1);
}

/**
 * Sums a discrete distribution's tail from `start` away from its mode, term by term by `ratio`
 * (term(i ± 1) / term(i)), while the terms still count: the first term is the largest, so nothing
 * underflows before it matters.
 */
function tailSum(first: number, start: number, end: number, step: 1 | -1, ratio: (i: number) => number) {
  let term = first;
  let sum = 0;
  for (let i = start; step === 1 ? i <= end : i >= end; i += step) {
    sum += term;
    if (term < sum * 1e-17) break;
    term *= ratio(i);
  }
  return sum;
}

/** P(X ≥ k) for X binomial with `n` trials of success probability `p`. */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  const lnPmf = (i: number) => lnChoose(n, i) + i * Math.log(p) + (n - i) * Math.log1p(-p);
  const odds = p / (1 - p);
  const mode = Math.floor((n + 1) * p);
  if (k > mode) {
    return Math.min(
      1,
      tailSum(Math.exp(lnPmf(k)), k, n, 1, (i) => ((n - i) / (i + 1)) * odds),
    );
  }
  // Below the mode the upper tail is most of the mass: one minus the small lower tail.
  const lower = tailSum(Math.exp(lnPmf(k - 1)), k - 1, 0, -1, (i) => i / ((n - i + 1) * odds));
  return Math.max(0, 1 - lower);
}

/**
 * P(X ≥ x) for X hypergeometric: `drawn` draws without replacement from `population` items of which
 * `marked` are marked, X the marked ones drawn.
 */
export function hypergeometricUpperTail(x: number, population: number, marked: number, drawn: number) {
  const low = Math.max(0, drawn + marked - population);
  const high = Math.min(marked, drawn);
  if (x <= low) return 1;
  if (x > high) return 0;
  const lnPmf = (i: number) =>
    lnChoose(marked, i) + lnChoose(population - marked, drawn - i) - lnChoose(population, drawn);
  const up = (i: number) => ((marked - i) * (drawn - i)) / ((i + 1) * (population - marked - drawn + i + 1));
  const down = (i: number) => (i * (population - marked - drawn + i)) / ((marked - i + 1) * (drawn - i + 1));
  const mode = Math.floor(((drawn + 1) * (marked + 1)) / (population + 2));
  if (x > mode) return Math.min(1, tailSum(Math.exp(lnPmf(x)), x, high, 1, up));
  return Math.max(0, 1 - tailSum(Math.exp(lnPmf(x - 1)), x - 1, low, -1, down));
}

/** Errors out of requests. */
export interface Rate {
  readonly errors: number;
  readonly total: number;
}

/**
 * Fisher's exact test, one-sided: the p-value of `target`'s error rate being higher than
 * `baseline`'s when both have the same one. Conditional on the errors of both together, the target's
 * share of them is hypergeometric.
 */
export function fisherGreater(target: Rate, baseline: Rate): number {
  if (target.total === 0) return 1;
  return hypergeometricUpperTail(
    target.errors,
    target.total + baseline.total,
    target.errors + baseline.errors,
    target.total,
  );
}

/** The exact binomial test, one-sided: the p-value of `observed`'s error rate being above `ceiling` (0..1). */
export function binomialGreater(observed: Rate, ceiling: number): number {
  return binomialUpperTail(observed.errors, observed.total, ceiling);
}

/** P(Z ≥ z) for Z standard normal: erfc(z/√2)/2, and erfc(x) = Q(1/2, x²) for x ≥ 0. */
export function normalUpperTail(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  const half = 0.5 * upperGammaQ(0.5, (z * z) / 2);
  return z >= 0 ? half : 1 - half;
}

export interface MannWhitney {
  /** Pairs (target, baseline) where the target exceeds the baseline plus the margin; ties count half. */
  readonly u: number;
  /** Its mean under the null hypothesis, half the pairs. */
  readonly mean: number;
  /** The one-sided p-value of the target exceeding the baseline plus the margin. */
  readonly pValue: number;
}

/**
 * The Mann-Whitney U test, one-sided: is `target` stochastically larger than `baseline` shifted by
 * `margin` (each baseline value plus `margin`)? With a margin of 20% of the baseline's median, a
 * small p-value says the target is slower by more than that, and not by chance. Both arrays are
 * sorted in place. Normal approximation, with the tie and continuity corrections (as R's
 * `wilcox.test(exact = FALSE, correct = TRUE)`); fine from about 20 values a side.
 */
export function mannWhitneyGreater(target: Float64Array, baseline: Float64Array, margin = 0): MannWhitney {
  const m = target.length;
  const n = baseline.length;
  const pairs = m * n;
  if (pairs === 0) return { u: 0, mean: 0, pValue: 1 };
  target.sort();
  baseline.sort();
  // Walk both sorted samples at once, distinct value by distinct value: the target's values at v
  // beat every baseline value below v and tie with those at v.
  let u = 0;
  let ties = 0;
  let i = 0;
  let j = 0;
  while (i < m || j < n) {
    const t = i < m ? target[i] : Number.POSITIVE_INFINITY;
    const b = j < n ? baseline[j] + margin : Number.POSITIVE_INFINITY;
    const value = Math.min(t, b);
    let inTarget = 0;
    while (i < m && target[i] === value) {
      inTarget++;
      i++;
    }
    let inBaseline = 0;
    while (j < n && baseline[j] + margin === value) {
      inBaseline++;
      j++;
    }
    u += inTarget * (j - inBaseline) + 0.5 * inTarget * inBaseline;
    const tied = inTarget + inBaseline;
    if (tied > 1) ties += tied ** 3 - tied;
  }
  const total = m + n;
  const mean = pairs / 2;
  const variance = (pairs / 12) * (total + 1 - ties / (total * (total - 1)));
  if (variance <= 0) return { u, mean, pValue: 1 };
  const z = (u - mean - 0.5) / Math.sqrt(variance);
  return { u, mean, pValue: normalUpperTail(z) };
}

/** The median of ascending `sorted` values (the mean of the middle two for an even count). */
export function median(sorted: ArrayLike<number>): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const middle = Math.floor(n / 2);
  return n % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
