/**
 * What the judge can and cannot see at a given number of requests: the minimum of target responses
 * for a conclusive judgement, the requests a step needs to reach it, and the power of the error
 * checks, computed exactly (by summing over the binomial outcomes) rather than simulated.
 */
import { binomialGreater, binomialUpperTail, fisherGreater } from "./statistics";

/**
 * Responses from the target below which a step is inconclusive (and rolls back). Chosen so that:
 * the Mann-Whitney test's normal approximation holds (about 20 values a side); a target failing 10%
 * of requests against a clean baseline is caught with probability 0.82 from this sample alone
 * (`errorPower`; tested); and the default first step (5% of 1000 requests, 50 expected) falls
 * below it by chance with probability 0.002 (`shortfallProbability`; tested). docs/canary.md,
 * "Too few answers", has the figures.
 */
export const MIN_TARGET_RESPONSES = 30;

/** P(Binomial(requests, share) < minimum): a fair router leaves the target short of `minimum`. */
export function shortfallProbability(requests: number, share: number, minimum: number): number {
  return 1 - binomialUpperTail(minimum, requests, share);
}

/** A step may be inconclusive by bad luck alone at most this often. */
export const SHORTFALL_RISK = 0.01;

/**
 * The fewest requests a step at `share` (0..1) needs so that the target gets at least `minimum`
 * responses with probability 1 − SHORTFALL_RISK.
 */
export function requestsForShare(share: number, minimum = MIN_TARGET_RESPONSES): number {
  let high = Math.ceil(minimum / share);
  while (shortfallProbability(high, share, minimum) > SHORTFALL_RISK) high *= 2;
  let low = Math.ceil(minimum / share) - 1;
  // The shortfall falls as requests grow: the smallest count that clears it, by bisection.
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (shortfallProbability(middle, share, minimum) > SHORTFALL_RISK) low = middle;
    else high = middle;
  }
  return high;
}

export interface ErrorScenario {
  /** Requests of the target and of the baseline. */
  readonly targetRequests: number;
  readonly baselineRequests: number;
  /** True error rates, 0..1. */
  readonly targetRate: number;
  readonly baselineRate: number;
  readonly alpha: number;
  /** --max-error-rate, 0..1. */
  readonly ceiling: number;
}

/** Binomial probabilities of 0..n errors, cut where the rest weighs under 1e-12. */
function errorCounts(n: number, rate: number): { count: number; probability: number }[] {
  const counts: { count: number; probability: number }[] = [];
  for (let k = 0; k <= n; k++) {
    const probability = binomialUpperTail(k, n, rate) - binomialUpperTail(k + 1, n, rate);
    counts.push({ count: k, probability });
    if (k > n * rate && binomialUpperTail(k + 1, n, rate) < 1e-12) break;
  }
  return counts;
}

/**
 * The probability that the judge's error checks fail a step (Fisher against the baseline, or the
 * binomial test against the ceiling, at `alpha`): the power when the target is worse, the false
 * rollback rate of the error checks when it is not.
 */
export function errorPower(scenario: ErrorScenario): number {
  const target = errorCounts(scenario.targetRequests, scenario.targetRate);
  const baseline = errorCounts(scenario.baselineRequests, scenario.baselineRate);
  let power = 0;
  for (const t of target) {
    const targetRate = { errors: t.count, total: scenario.targetRequests };
    if (binomialGreater(targetRate, scenario.ceiling) < scenario.alpha) {
      power += t.probability;
      continue;
    }
    for (const b of baseline) {
      if (fisherGreater(targetRate, { errors: b.count, total: scenario.baselineRequests }) < scenario.alpha) {
        power += t.probability * b.probability;
      }
    }
  }
  return power;
}
