/**
 * The teardown configuration: what `npm run destroy` and `npm run destroy:all` synthesize (they set
 * TEARDOWN=true), so that a destroy needs no internet.
 *
 * Terraform's destroy first runs a normal plan to refresh the state, and that plan reads every data
 * source and plans every resource in the configuration. Two kinds of block reach past AWS and the
 * cluster there: `data "http"` (the Gateway API CRDs, from GitHub) and `helm_release` (the Helm
 * provider fetches the chart from its repository whenever it plans a release). The teardown
 * configuration leaves out those blocks and every block that reads or waits for (`depends_on`) one it
 * leaves out. What is left out stays in the state, and Terraform destroys it from there, in the order
 * of the dependencies the state recorded at apply: the CRDs after every release, the releases before
 * the namespace they are in. A block that waits for a left-out one cannot stay: the refresh would
 * rewrite its recorded dependencies to the configuration's, and the order would be lost (seen with
 * Terraform 1.11). A left-out resource with a destroy-time provisioner is refused, since Terraform runs
 * those only for resources in the configuration.
 *
 * `terraform destroy -refresh=false` would skip the reads too, but then Terraform configures the
 * providers without reading `terraform_remote_state` first, and the Helm and Kubernetes providers,
 * configured from the cluster stack's outputs, get no endpoint (hashicorp/terraform issue 27172;
 * reproduced here with Terraform 1.11).
 *
 * A stack the teardown changes also gets a guard: a `terraform_data` whose precondition fails. A
 * deploy of the teardown configuration is refused before it changes anything; the refresh that a
 * destroy runs first reports a failed precondition as a warning, and the destroy goes on.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Manifest } from "cdktf";
import { ConfigError, type Env } from "../modules/settings/load";

/** The variable the destroy commands set to synthesize the teardown configuration. */
export const TEARDOWN_VARIABLE = "TEARDOWN";

/** The guard's address in a stack the teardown changed. */
export const TEARDOWN_GUARD = "terraform_data.teardown_only";

/** True when `env` asks for the teardown configuration; refuses a value other than `true`. */
export function teardownRequested(env: Env): boolean {
  const value = env[TEARDOWN_VARIABLE];
  if (value === undefined || value === "") return false;
  if (value === "true") return true;
  throw new ConfigError([
    `${TEARDOWN_VARIABLE}=${JSON.stringify(value)}: accepted: true (npm run destroy and npm run destroy:all set it), or unset`,
  ]);
}

// biome-ignore lint/suspicious/noExplicitAny: synthesized Terraform JSON, walked block by block.
type Json = Record<string, any>;

/** A block of a stack: `data`, `resource` or `output`, its type (none for an output) and name. */
export interface Block {
  readonly kind: "data" | "resource" | "output";
  readonly type?: string;
  readonly name: string;
  readonly body: Json;
}

/** The blocks whose planning reaches past AWS and the cluster: an HTTP read, a Helm chart fetch. */
export function readsNetworkWhilePlanning(block: Block): boolean {
  return (
    (block.kind === "data" && block.type === "http") ||
    (block.kind === "resource" && block.type === "helm_release")
  );
}

const addressOf = (block: Block): string =>
  block.kind === "output"
    ? `output.${block.name}`
    : `${block.kind === "data" ? "data." : ""}${block.type}.${block.name}`;

function blocksOf(stack: Json): Block[] {
  const blocks: Block[] = [];
  for (const kind of ["data", "resource"] as const) {
    for (const [type, byName] of Object.entries((stack[kind] ?? {}) as Json)) {
      for (const [name, body] of Object.entries(byName as Json)) blocks.push({ kind, type, name, body });
    }
  }
  for (const [name, body] of Object.entries((stack.output ?? {}) as Json)) {
    blocks.push({ kind: "output", name, body });
  }
  return blocks;
}

const escapeForRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** True when an expression in `value` (depends_on aside) names `address`. */
function reads(value: Json, address: string): boolean {
  const { depends_on: _ordering, ...rest } = value;
  return new RegExp(`(^|[^\\w.-])${escapeForRegExp(address)}([.\\[}\\s,)]|$)`).test(JSON.stringify(rest));
}

export interface Teardown {
  /** The stack's teardown configuration. */
  readonly stack: Json;
  /** The addresses left out, which Terraform destroys from the state. */
  readonly leftOut: readonly string[];
}

/**
 * The teardown configuration of one stack's synthesized JSON: the blocks that `readsNetwork` picks, and
 * every block that reads or waits for a left-out one, left out, and a guard against a deploy when
 * anything was. A stack with nothing to leave out is unchanged.
 */
export function teardownConfiguration(
  stack: Json,
  readsNetwork: (block: Block) => boolean = readsNetworkWhilePlanning,
): Teardown {
  const blocks = blocksOf(stack);
  const leftOut = new Set(blocks.filter(readsNetwork).map(addressOf));
  for (let grew = true; grew; ) {
    grew = false;
    for (const block of blocks) {
      const address = addressOf(block);
      const waits = ((block.body.depends_on ?? []) as string[]).some((other) => leftOut.has(other));
      if (!leftOut.has(address) && (waits || [...leftOut].some((gone) => reads(block.body, gone)))) {
        leftOut.add(address);
        grew = true;
      }
    }
  }
  if (leftOut.size === 0) return { stack, leftOut: [] };
  for (const [name, provider] of Object.entries((stack.provider ?? {}) as Json)) {
    const gone = [...leftOut].find((address) => reads({ provider }, address));
    if (gone) throw new Error(`provider ${name} is configured from ${gone}, which a teardown leaves out`);
  }
  for (const block of blocks.filter((b) => leftOut.has(addressOf(b)))) {
    const destroyTime = ((block.body.provisioner ?? []) as Json[]).some((provisioner) =>
      Object.values(provisioner).some((settings) => (settings as Json).when === "destroy"),
    );
    if (destroyTime) {
      throw new Error(
        `${addressOf(block)} has a destroy-time provisioner but reads or waits for what reads the network while planning: a teardown would leave it out, and Terraform would not run the provisioner`,
      );
    }
  }

  const kept: Json = { ...stack, data: {}, resource: {}, output: {} };
  for (const block of blocks) {
    if (leftOut.has(addressOf(block))) continue;
    if (block.kind === "output") kept.output[block.name] = block.body;
    else {
      kept[block.kind][block.type as string] ??= {};
      kept[block.kind][block.type as string][block.name] = block.body;
    }
  }
  for (const kind of ["data", "resource", "output"]) {
    if (Object.keys(kept[kind]).length === 0) delete kept[kind];
  }
  kept.locals = { ...stack.locals, teardown: true };
  kept.resource ??= {};
  kept.resource.terraform_data = {
    ...kept.resource.terraform_data,
    [TEARDOWN_GUARD.split(".")[1]]: {
      lifecycle: {
        precondition: [
          {
            condition: "${!local.teardown}",
            error_message: `This is the teardown configuration (${TEARDOWN_VARIABLE}=true): it destroys, it never deploys. Deploy without ${TEARDOWN_VARIABLE}.`,
          },
        ],
      },
    },
  };
  return { stack: kept, leftOut: [...leftOut].sort() };
}

/**
 * Rewrites every stack that `outdir` holds (cdktf.out, as its manifest.json lists them) into its
 * teardown configuration; returns what each changed stack leaves out, by stack name.
 */
export function writeTeardownConfiguration(outdir: string): Record<string, readonly string[]> {
  const manifest = JSON.parse(readFileSync(path.join(outdir, Manifest.fileName), "utf8"));
  const changed: Record<string, readonly string[]> = {};
  for (const [name, { synthesizedStackPath }] of Object.entries(
    manifest.stacks as Record<string, { synthesizedStackPath: string }>,
  )) {
    const file = path.join(outdir, synthesizedStackPath);
    const { stack, leftOut } = teardownConfiguration(JSON.parse(readFileSync(file, "utf8")));
    if (leftOut.length === 0) continue;
    writeFileSync(file, JSON.stringify(stack, null, 2));
    changed[name] = leftOut;
  }
  return changed;
}
