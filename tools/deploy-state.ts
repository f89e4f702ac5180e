/**
 * What `npm run destroy:all` learns before it runs Terraform: each stack's state, read where the
 * settings say it is (a file in the project folder, or an object in the state bucket through the AWS
 * CLI), with its managed resources and its deploy record (stacks/deploy-record.ts); and, when nothing
 * is there, what else the bucket or the folder holds. It only reads.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { STACK_NAMES } from "../modules/settings/names";
import { DEPLOY_RECORD_OUTPUT, type DeployRecord } from "../stacks/deploy-record";
import type { StateLocation } from "../stacks/project-stack";

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command in `cwd`. `interactive` hands it the terminal (terraform destroy asks before it
 * deletes anything); otherwise its output is captured.
 */
export type Runner = (
  command: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly interactive?: boolean },
) => Promise<CommandResult>;

export type StackState =
  /** No state where the settings point: never deployed there. `noBucket`: the bucket does not exist. */
  | { readonly kind: "absent"; readonly noBucket?: boolean }
  /** A state: its managed resource instances (data sources hold nothing to destroy) and its record. */
  | { readonly kind: "found"; readonly resources: number; readonly record?: DeployRecord }
  /** The state could not be read: the whole error, as the AWS CLI or the file system gave it. */
  | { readonly kind: "unreadable"; readonly error: string };

/** A stack to go through, with its state as read before the run. */
export interface SurveyedStack {
  readonly stack: string;
  readonly state: Exclude<StackState, { kind: "unreadable" }>;
}

/** A state location as a user would look it up: `s3://bucket/key`, or the file's path. */
export function describeLocation(location: StateLocation): string {
  return location.backend === "s3" ? `s3://${location.bucket}/${location.key}` : location.path;
}

interface StateDocument {
  readonly outputs?: Record<string, { readonly value?: unknown }>;
  readonly resources?: readonly { readonly mode?: string; readonly instances?: readonly unknown[] }[];
}

/** A Terraform state (format 4) as destroy:all needs it; throws on text that is not one. */
export function parseState(text: string): { resources: number; record?: DeployRecord } {
  const state = JSON.parse(text) as StateDocument;
  if (typeof state !== "object" || state === null || !Array.isArray(state.resources ?? [])) {
    throw new Error("not a Terraform state");
  }
  const resources = (state.resources ?? [])
    .filter((resource) => resource.mode === "managed")
    .reduce((sum, resource) => sum + (resource.instances?.length ?? 0), 0);
  const recordText = state.outputs?.[DEPLOY_RECORD_OUTPUT]?.value;
  if (typeof recordText !== "string") return { resources };
  const record: unknown = JSON.parse(recordText);
  if (
    typeof record !== "object" ||
    record === null ||
    !Object.values(record).every((value) => typeof value === "string")
  ) {
    throw new Error(`its ${DEPLOY_RECORD_OUTPUT} output is not a record of settings`);
  }
  return { resources, record: record as DeployRecord };
}

function parsed(text: string, where: string): StackState {
  try {
    return { kind: "found", ...parseState(text) };
  } catch (error) {
    return { kind: "unreadable", error: `${where} is not a Terraform state: ${(error as Error).message}` };
  }
}

/** The output of a failed command, whole: its error stream, else what it printed. */
export function wholeError(result: CommandResult): string {
  return (result.stderr.trim() || result.stdout.trim() || `exited ${result.code}`).replace(/\r/g, "");
}

/** Reads one stack's state; `run` runs the AWS CLI for a state in S3. */
export async function readState(location: StateLocation, run: Runner): Promise<StackState> {
  if (location.backend === "local") {
    if (!existsSync(location.path)) return { kind: "absent" };
    return parsed(readFileSync(location.path, "utf8"), location.path);
  }
  // The object is written to a file of its own: the CLI prints the response's metadata on stdout.
  const scratch = mkdtempSync(path.join(tmpdir(), "shopfront-destroy-"));
  try {
    const file = path.join(scratch, "state.json");
    const { bucket, key, region } = location;
    const result = await run(
      "aws",
      ["s3api", "get-object", "--bucket", bucket, "--key", key, "--region", region, file],
      { cwd: scratch },
    );
    if (result.code === 0) return parsed(readFileSync(file, "utf8"), describeLocation(location));
    if (/\(NoSuchKey\)/.test(result.stderr)) return { kind: "absent" };
    if (/\(NoSuchBucket\)/.test(result.stderr)) return { kind: "absent", noBucket: true };
    return { kind: "unreadable", error: wholeError(result) };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The stacks destroy:all may destroy: their state keys end in `<stack>.tfstate`. */
const DESTROYABLE: ReadonlySet<string> = new Set(
  Object.values(STACK_NAMES).filter((name) => name !== STACK_NAMES.bootstrap),
);

/**
 * The deployments whose state the bucket holds, as `<STATE_KEY_PREFIX>/<CLUSTER_NAME>` with the
 * stacks found under it; or why the bucket could not be listed.
 */
export async function deploymentsInBucket(
  bucket: string,
  region: string,
  run: Runner,
  cwd: string,
): Promise<{ deployments: ReadonlyMap<string, readonly string[]> } | { error: string }> {
  const result = await run(
    "aws",
    [
      "s3api",
      "list-objects-v2",
      "--bucket",
      bucket,
      "--region",
      region,
      "--query",
      "Contents[].Key",
      "--output",
      "json",
    ],
    { cwd },
  );
  if (result.code !== 0) return { error: wholeError(result) };
  let keys: unknown;
  try {
    keys = JSON.parse(result.stdout.trim() || "null");
  } catch {
    return { error: `the AWS CLI's listing is not JSON: ${result.stdout.trim().slice(0, 200)}` };
  }
  const deployments = new Map<string, string[]>();
  for (const key of Array.isArray(keys) ? keys : []) {
    const match = typeof key === "string" ? /^(.+)\/([^/]+)\.tfstate$/.exec(key) : null;
    if (!match || !DESTROYABLE.has(match[2])) continue;
    deployments.set(match[1], [...(deployments.get(match[1]) ?? []), match[2]]);
  }
  return { deployments };
}

/** The state bucket that tf-state-bootstrap made from `folder`, read from its local state, if any. */
export function bucketMadeIn(folder: string): string | undefined {
  const file = path.join(folder, `terraform.${STACK_NAMES.bootstrap}.tfstate`);
  if (!existsSync(file)) return undefined;
  try {
    const state = JSON.parse(readFileSync(file, "utf8")) as StateDocument;
    const bucket = state.outputs?.state_bucket?.value;
    return typeof bucket === "string" && bucket !== "" ? bucket : undefined;
  } catch {
    return undefined;
  }
}
