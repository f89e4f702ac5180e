/**
 * The deploy record: each stack's state holds, as its `deploy_record` output, the settings it was
 * deployed with that its teardown depends on, so that `npm run destroy:all` can refuse settings that
 * differ from the deploy's instead of tearing down the wrong thing, or nothing. An output is written
 * by the deploy itself, into the same state (local file or S3 object) in the same write, needs no
 * resource, provider or permission of its own, and is gone once the stack is destroyed.
 */
import { type Config, SECTIONS, type SettingName } from "../modules/settings/table";

/** The output that holds the record as JSON text, in every stack's state but tf-state-bootstrap's. */
export const DEPLOY_RECORD_OUTPUT = "deploy_record";

/**
 * Recorded in every stack: the name every resource of the cluster is named after (a local state file
 * is the same whatever the cluster), and the region its provider finds its resources in. The bucket
 * and key prefix are not: a state found where the settings point is in the right bucket, and one
 * they do not point at is not found at all (destroy:all then says where it looked).
 */
export const RECORDED_IN_EVERY_STACK = [
  "CLUSTER_NAME",
  "AWS_REGION",
] as const satisfies readonly SettingName[];

/** Setting name to its value as settings.env writes it; "" for a setting that was unset. */
export type DeployRecord = Readonly<Record<string, string>>;

/** The text of a setting's value in `config`, as the record holds it: "" when unset. */
export function recordedValue(config: Config, name: SettingName): string {
  for (const [section, { settings }] of Object.entries(SECTIONS)) {
    const declaration = (settings as Record<string, { field: string }>)[name];
    if (declaration === undefined) continue;
    const value = (config[section as keyof typeof SECTIONS] as Record<string, unknown>)[declaration.field];
    if (value === undefined) return "";
    return Array.isArray(value) ? value.join(",") : String(value);
  }
  throw new Error(`${name} is not a setting`);
}

/** The record of a stack whose teardown also depends on `teardownSettings`. */
export function deployRecord(config: Config, teardownSettings: readonly SettingName[]): DeployRecord {
  const names = [...new Set<SettingName>([...RECORDED_IN_EVERY_STACK, ...teardownSettings])];
  return Object.fromEntries(names.map((name) => [name, recordedValue(config, name)]));
}
