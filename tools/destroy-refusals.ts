/**
 * The two refusals of `npm run destroy:all` that come from the states it read, each telling what to
 * set: settings that differ from a stack's deploy record, one line per setting; and settings that
 * point where nothing is deployed, with where it looked and what the bucket or folder holds instead.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { sourcesOf } from "../modules/settings/load";
import { STACK_NAMES } from "../modules/settings/names";
import { SETTINGS, type SettingName } from "../modules/settings/table";
import { recordedValue } from "../stacks/deploy-record";
import type { StateLocation } from "../stacks/project-stack";
import type { CommandContext, CommandSettings } from "./command-line";
import {
  bucketMadeIn,
  deploymentsInBucket,
  describeLocation,
  type Runner,
  type SurveyedStack,
} from "./deploy-state";

/** Where the current value of `name` comes from: `settings.env:3`, the environment, or the default. */
function sourceOf(settings: CommandSettings, name: string): string {
  return sourcesOf(settings.env)[name] ?? (settings.env[name] !== undefined ? "environment" : "default");
}

/**
 * One line per setting whose current value differs from a stack's record: the name, the recorded
 * value with the stacks that recorded it, and the current value with where it is set.
 */
export function settingDifferences(settings: CommandSettings, stacks: readonly SurveyedStack[]): string[] {
  const recordedBy = new Map<string, { name: string; recorded: string; stacks: string[] }>();
  for (const { stack, state } of stacks) {
    if (state.kind !== "found" || state.record === undefined) continue;
    for (const [name, recorded] of Object.entries(state.record)) {
      // A setting since removed from the project shapes nothing any more.
      if (!(name in SETTINGS) || recordedValue(settings.config, name as SettingName) === recorded) continue;
      const key = `${name}=${recorded}`;
      const entry = recordedBy.get(key) ?? { name, recorded, stacks: [] };
      entry.stacks.push(stack);
      recordedBy.set(key, entry);
    }
  }
  return [...recordedBy.values()].map(({ name, recorded, stacks: by }) => {
    const current = recordedValue(settings.config, name as SettingName);
    return `${name}: recorded ${JSON.stringify(recorded)} (${by.join(", ")}), current ${JSON.stringify(current)} (${sourceOf(settings, name)})`;
  });
}

/** Where else a deploy may be, when the settings point at a bucket. */
async function inTheBucket(
  settings: CommandSettings,
  bucket: string,
  stacks: readonly SurveyedStack[],
  run: Runner,
  cwd: string,
): Promise<string[]> {
  if (stacks.some(({ state }) => state.kind === "absent" && state.noBucket)) {
    return [
      `there is no bucket named ${bucket} in ${settings.config.aws.region} (STATE_BUCKET, ${sourceOf(settings, "STATE_BUCKET")}): set STATE_BUCKET to the deploy's`,
    ];
  }
  const listed = await deploymentsInBucket(bucket, settings.config.aws.region, run, cwd);
  if ("error" in listed)
    return [
      `the bucket could not be listed for other deployments:\n    ${listed.error.split("\n").join("\n    ")}`,
      "check STATE_BUCKET, STATE_KEY_PREFIX and CLUSTER_NAME against the deploy's",
    ];
  const here = `${settings.config.state.keyPrefix}/${settings.config.cluster.name}`;
  const others = [...listed.deployments].filter(([where]) => where !== here);
  if (others.length === 0) {
    return [
      "the bucket holds the state of no other deployment: check STATE_BUCKET, STATE_KEY_PREFIX and CLUSTER_NAME against the deploy's",
    ];
  }
  const order: readonly string[] = Object.values(STACK_NAMES);
  return [
    "the bucket holds the state of other deployments (STATE_KEY_PREFIX/CLUSTER_NAME: stacks):",
    ...others.map(
      ([where, found]) =>
        `  ${where}: ${[...found].sort((a, b) => order.indexOf(a) - order.indexOf(b)).join(", ")}`,
    ),
    "set STATE_KEY_PREFIX and CLUSTER_NAME (settings.env) to the deployment to destroy",
  ];
}

/**
 * The refusal when no stack has a state where the settings point: where it looked, and what the
 * bucket holds (other prefixes and clusters) or, on local state, which bucket this folder made.
 */
export async function nothingDeployed(
  settings: CommandSettings,
  locations: readonly StateLocation[],
  stacks: readonly SurveyedStack[],
  context: CommandContext & { readonly run: Runner },
): Promise<string> {
  const lines = [
    "nothing is deployed where the settings point, so nothing was destroyed; there is no state at:",
    ...locations.map((location) => `  ${describeLocation(location)}`),
  ];
  const { bucket } = settings.config.state;
  if (bucket) {
    lines.push(...(await inTheBucket(settings, bucket, stacks, context.run, context.cwd)));
    const local = stacks.map(({ stack }) => `terraform.${stack}.tfstate`);
    if (local.some((file) => existsSync(path.join(context.cwd, file)))) {
      lines.push(
        `state files in ${context.cwd} (${local[0]}, ...) hold a deploy made without STATE_BUCKET: unset it to destroy that one`,
      );
    }
  } else {
    const made = bucketMadeIn(context.cwd);
    lines.push(
      made
        ? `STATE_BUCKET is unset; this folder's tf-state-bootstrap made the state bucket ${made}: if the stacks were deployed with it, set STATE_BUCKET=${made} (settings.env)`
        : "STATE_BUCKET is unset: if the stacks were deployed with a state bucket, set STATE_BUCKET to it (settings.env)",
    );
  }
  return `${lines.join("\n")}, then run npm run destroy:all again`;
}
