/**
 * The rollout's plan: each step's weights (the target at the step's weight, the other versions
 * keeping their proportions in the rest, as whole numbers adding up to exactly 100), the steps
 * skipped because the target is already past them, and a time estimate for --dry-run.
 */
import { SHOPFRONT_VERSIONS } from "../../modules/settings/names";
import type { Weights } from "../../modules/settings/sections/shopfront";
import { UsageError } from "../command-line";

export interface Step {
  /** 1-based, as the output counts them. */
  readonly number: number;
  /** The target's weight at this step, in percent. */
  readonly targetWeight: number;
  readonly weights: Weights;
}

/** Weights as SHOPFRONT_WEIGHTS writes them: every version, in order (`v1=48,v2=28,v3=14,v4=10`). */
export function formatWeights(weights: Weights): string {
  return SHOPFRONT_VERSIONS.map((version) => `${version}=${weights[version] ?? 0}`).join(",");
}

/**
 * `current` with `target` at `targetWeight` and every other version scaled to the rest, rounded by
 * the largest remainder (ties to the earlier version) so that the sum is exactly 100.
 */
export function stepWeights(current: Weights, target: string, targetWeight: number): Weights {
  const others = SHOPFRONT_VERSIONS.filter((version) => version !== target);
  const othersTotal = others.reduce((sum, version) => sum + (current[version] ?? 0), 0);
  const rest = 100 - targetWeight;
  const exact = others.map((version) =>
    othersTotal === 0 ? 0 : ((current[version] ?? 0) * rest) / othersTotal,
  );
  const floors = exact.map(Math.floor);
  let left = rest - floors.reduce((a, b) => a + b, 0);
  const byRemainder = others
    .map((_, index) => index)
    .sort((a, b) => exact[b] - floors[b] - (exact[a] - floors[a]) || a - b);
  for (const index of byRemainder) {
    if (left === 0) break;
    floors[index]++;
    left--;
  }
  const weights: Record<string, number> = {};
  for (const version of SHOPFRONT_VERSIONS) {
    weights[version] = version === target ? targetWeight : floors[others.indexOf(version)];
  }
  return weights;
}

export interface Plan {
  readonly steps: readonly Step[];
  /** Steps at or below the target's current weight: there is nothing to shift. */
  readonly skipped: readonly number[];
}

/**
 * The steps from `current` to `target` at 100. `current` must leave the target below 100 and give
 * the other versions some weight (otherwise there is nothing to roll out, or nothing to scale).
 */
export function planSteps(current: Weights, target: string, steps: readonly number[], source: string): Plan {
  const now = current[target] ?? 0;
  if (now >= 100) {
    throw new UsageError(
      `${target} is already at 100% (${formatWeights(current)}, from ${source}): there is nothing to roll out`,
    );
  }
  const kept = steps.filter((weight) => weight > now);
  return {
    steps: kept.map((targetWeight, index) => ({
      number: index + 1,
      targetWeight,
      weights: stepWeights(current, target, targetWeight),
    })),
    skipped: steps.filter((weight) => weight <= now),
  };
}

/** --steps: whole percentages from 1 to 100, increasing, the last 100. Returns them, or a refusal. */
export function parseSteps(text: string): { steps: number[] } | { problem: string } {
  const parts = text.split(",").map((part) => part.trim());
  const steps = parts.map(Number);
  const bad = parts.find((part, i) => !/^\d+$/.test(part) || steps[i] < 1 || steps[i] > 100);
  if (bad !== undefined) return { problem: `"${bad}" is not a whole percentage from 1 to 100` };
  const back = steps.findIndex((step, i) => i > 0 && step <= steps[i - 1]);
  if (back !== -1) return { problem: `${steps[back]} follows ${steps[back - 1]}: steps must increase` };
  if (steps[steps.length - 1] !== 100)
    return { problem: `the last step is ${steps[steps.length - 1]}, not 100` };
  return { steps };
}

/** Seconds a default apply (a `cdktf deploy` of shopfront-stack) is assumed to take, for the estimate only. */
export const DEFAULT_APPLY_SECONDS = 90;
/** A round trip through a cloud load balancer, for the estimate only. */
export const REQUEST_SECONDS = 0.05;

export interface Estimate {
  /** The whole rollout, if every step passes. */
  readonly seconds: number;
  /** How it was reckoned, for people. */
  readonly detail: string;
}

export function estimate(options: {
  readonly steps: number;
  readonly requests: number;
  readonly concurrency: number;
  readonly settleSeconds: number;
  /** Undefined for a user's --apply-command, whose time is unknown. */
  readonly applySeconds: number | undefined;
}): Estimate {
  const batches = options.steps + 1;
  const requestSeconds = (batches * options.requests * REQUEST_SECONDS) / options.concurrency;
  const settle = options.steps * options.settleSeconds;
  const apply = options.applySeconds === undefined ? 0 : options.steps * options.applySeconds;
  const applies =
    options.applySeconds === undefined
      ? `plus ${options.steps} runs of --apply-command`
      : `${options.steps} applies at about ${options.applySeconds} s each (a guess: time one deploy to know)`;
  return {
    seconds: requestSeconds + settle + apply,
    detail: `${applies}; ${batches} batches of ${options.requests} requests, ${options.concurrency} at a time, at about ${REQUEST_SECONDS * 1000} ms each; ${options.steps} waits of ${options.settleSeconds} s for the gateways to take the new weights`,
  };
}
