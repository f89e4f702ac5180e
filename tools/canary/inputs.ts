/**
 * What the canary starts from, checked before anything is applied: the weights deployed now (which
 * a rollback restores), the gateway, the steps, enough requests for the first step, and the files
 * it will write. Every refusal is a UsageError: one line, exit 2, nothing applied.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { type Env, sourcesOf } from "../../modules/settings/load";
import { STACK_NAMES } from "../../modules/settings/names";
import { parseWeights, type Weights } from "../../modules/settings/sections/shopfront";
import { UsageError } from "../command-line";
import { reportFolderProblem } from "../html-report/page";
import { defaultRouteFile, resolveExpected, type Sourced } from "../traffic/targets";
import type { CanaryFlags } from "./flags";
import { formatWeights, type Plan } from "./plan";
import { MIN_TARGET_RESPONSES, requestsForShare } from "./power";

const sameWeights = (a: Weights, b: Weights) =>
  [...new Set([...Object.keys(a), ...Object.keys(b)])].every(
    (version) => (a[version] ?? 0) === (b[version] ?? 0),
  );

/** The command that rewrites the outputs file with both stacks' outputs. */
export const refreshOutputs = (outputsFile: string) =>
  `npm run -s output -- ${STACK_NAMES.istio} ${STACK_NAMES.shopfront} --outputs-file ${outputsFile}`;

/**
 * The weights deployed now: --from, else as `npm run traffic -- count` expects them (the outputs
 * file's route_weights, SHOPFRONT_WEIGHTS, the route in the manifests). When the outputs file and
 * SHOPFRONT_WEIGHTS disagree, one of them is stale, and a rollback to the wrong one would be a
 * change of its own: refused.
 */
export function resolveFrom(flags: CanaryFlags, env: Env, cwd: string): Sourced<Weights> {
  const from = resolveExpected({
    flag: flags.from,
    env,
    cwd,
    outputsFile: flags.outputsFile,
    manifestsFile: flags.manifests ?? defaultRouteFile(env),
  });
  // The traffic tool's flag for these weights is --expect; here it is --from.
  if (flags.from !== undefined) return { value: from.value, source: "--from" };
  const setting = env.SHOPFRONT_WEIGHTS;
  const where = sourcesOf(env).SHOPFRONT_WEIGHTS ?? "the environment";
  if (from.source === "SHOPFRONT_WEIGHTS")
    return { value: from.value, source: `SHOPFRONT_WEIGHTS in ${where}` };
  if (setting !== undefined) {
    const parsed = parseWeights("SHOPFRONT_WEIGHTS", setting);
    if (parsed.problems.length > 0) throw new UsageError(parsed.problems[0]);
    if (!sameWeights(parsed.weights, from.value)) {
      throw new UsageError(
        `the weights deployed, ${formatWeights(from.value)} (from ${from.source}), are not SHOPFRONT_WEIGHTS=${formatWeights(parsed.weights)} (from ${where}), which the next deploy would apply: pass --from with the weights deployed now, or refresh ${flags.outputsFile} with \`${refreshOutputs(flags.outputsFile)}\``,
      );
    }
  }
  return from;
}

/** The first step must give the target enough requests to be judged, bar bad luck (power.ts). */
export function assertEnoughRequests(plan: Plan, target: string, requests: number): void {
  const first = plan.steps[0];
  const needed = requestsForShare(first.targetWeight / 100);
  if (requests < needed) {
    throw new UsageError(
      `--requests ${requests} is too few for step 1 (${target} at ${first.targetWeight}%): about ${Math.round((requests * first.targetWeight) / 100)} of them would reach ${target}, and a judgement needs ${MIN_TARGET_RESPONSES} answers; use --requests ${needed} or more, or a larger first step`,
    );
  }
}

/** --report's folder must exist and be writable before the canary starts, not after it has run. */
export function assertReportWritable(report: string | undefined, cwd: string): void {
  const problem = report === undefined ? undefined : reportFolderProblem(report, cwd);
  if (problem) throw new UsageError(problem);
}

/** Notes for the end of a promotion: the places that still hold the weights from before. */
export function promotionNotes(env: Env, cwd: string, outputsFile: string, weights: string): string[] {
  const notes: string[] = [];
  const file = path.resolve(cwd, outputsFile);
  if (existsSync(file)) {
    try {
      const outputs = JSON.parse(readFileSync(file, "utf8"));
      if (outputs?.[STACK_NAMES.shopfront]?.route_weights !== undefined) {
        notes.push(
          `${outputsFile} still holds ${STACK_NAMES.shopfront}'s route_weights from before the canary: refresh it with \`${refreshOutputs(outputsFile)}\``,
        );
      }
    } catch {
      // Not an outputs file: resolveFrom would have refused it had it been read.
    }
  }
  if (env.SHOPFRONT_WEIGHTS !== undefined && sourcesOf(env).SHOPFRONT_WEIGHTS === undefined) {
    notes.push(
      `SHOPFRONT_WEIGHTS is set in your environment (${env.SHOPFRONT_WEIGHTS}) and overrides the settings file: set it to ${weights} or unset it before the next deploy`,
    );
  }
  return notes;
}
