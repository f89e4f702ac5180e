/**
 * Real Terraform, offline: synthesizes the app in plan-only mode into a scratch folder, then runs
 * `terraform init` from a local provider mirror and `terraform plan` (which first runs every check of
 * `terraform validate`) on every stack whose providers are all mirrored. A stack that reads an upstream stack's state is planned
 * against a fixture state holding the upstream's outputs; the one AWS call made at plan time
 * (`aws_caller_identity`) is answered by a local stand-in for STS. Each mirrored provider runs once for
 * all the runs (tools/plan-providers.ts). Used by `npm run plan` and the tests.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Env } from "../modules/settings/load";
import { serveProviders } from "./plan-providers";
import { type SynthesizedStack, synthesizeForPlan } from "./plan-stacks";
import { seedUpstreamStates, startOfflineSts, stateWithOutputs } from "./plan-stand-ins";
import { runCommand } from "./run-command";

/** Where a provider mirror is looked for when TF_PROVIDER_MIRROR is unset. */
const MIRROR_CANDIDATES = [
  "/opt/tf-plugins",
  "/usr/share/terraform/plugins",
  "/usr/local/share/terraform/plugins",
];

export interface Toolchain {
  readonly terraform: string;
  /** Folder that holds `registry.terraform.io/<namespace>/<type>/...`. */
  readonly mirror: string;
  /** Providers in the mirror, as `hashicorp/aws`. */
  readonly providers: ReadonlySet<string>;
}

/**
 * The terraform binary and the provider mirror, or the reason they are not usable. Synchronous, so
 * that a test file can decide at load time whether its Terraform tests run or show as skipped.
 */
export function findToolchainSync(env: Env = process.env): Toolchain | { missing: string } {
  const terraform = env.TERRAFORM_BINARY ?? "terraform";
  try {
    execFileSync(terraform, ["version"], { timeout: 20_000, stdio: "ignore" });
  } catch {
    return { missing: `no terraform binary (${terraform}) on PATH` };
  }
  const candidates = env.TF_PROVIDER_MIRROR ? [env.TF_PROVIDER_MIRROR] : MIRROR_CANDIDATES;
  const mirror = candidates.find((dir) => existsSync(path.join(dir, "registry.terraform.io")));
  if (!mirror)
    return { missing: `no provider mirror (looked in ${candidates.join(", ")}; set TF_PROVIDER_MIRROR)` };
  const registry = path.join(mirror, "registry.terraform.io");
  const providers = new Set(
    readdirSync(registry).flatMap((namespace) =>
      readdirSync(path.join(registry, namespace)).map((type) => `${namespace}/${type}`),
    ),
  );
  return { terraform, mirror, providers };
}

/** A CLI config that installs providers from the mirror only, so nothing is fetched from a registry. */
function writeCliConfig(workDir: string, mirror: string): string {
  const file = path.join(workDir, "terraform.rc");
  const cache = path.join(workDir, "plugin-cache");
  mkdirSync(cache, { recursive: true });
  writeFileSync(
    file,
    [
      `plugin_cache_dir = ${JSON.stringify(cache)}`,
      "provider_installation {",
      `  filesystem_mirror {\n    path = ${JSON.stringify(mirror)}\n  }`,
      "}",
      "",
    ].join("\n"),
  );
  return file;
}

/** What every terraform run of one offline check shares. */
export interface TerraformSession {
  readonly toolchain: Toolchain;
  readonly cliConfig: string;
  /** The offline STS stand-in's URL. */
  readonly stsUrl: string;
  /** TF_REATTACH_PROVIDERS: the providers started once for every run (empty: each run starts its own). */
  readonly reattach: string;
}

export interface StackCheck {
  readonly stack: string;
  /** Planned actions, when the stack was planned (and so validated). */
  readonly plan?: {
    readonly create: number;
    readonly update: number;
    readonly delete: number;
    readonly text: string;
  };
  /** Why the stack was not planned, or where its upstream outputs came from. */
  readonly note?: string;
}

/** Runs terraform in `dir` with the session's mirror-only CLI config and STS stand-in; throws on failure. */
export async function terraform(session: TerraformSession, dir: string, args: string[]) {
  const env = {
    ...process.env,
    TF_CLI_CONFIG_FILE: session.cliConfig,
    TF_IN_AUTOMATION: "1",
    CHECKPOINT_DISABLE: "1",
    AWS_ENDPOINT_URL_STS: session.stsUrl,
    ...(session.reattach ? { TF_REATTACH_PROVIDERS: session.reattach } : {}),
  };
  const result = await runCommand(session.toolchain.terraform, args, { cwd: dir, env, timeoutMs: 300_000 });
  if (result.kind === "exited" && result.code === 0) return { stdout: result.stdout, stderr: result.stderr };
  const output = result.kind === "not started" ? "" : result.stderr || result.stdout;
  // Terraform's own words; why it stopped when it said nothing, or when it was killed.
  const detail =
    result.kind === "exited"
      ? output || `exited with ${result.code}`
      : [result.message, output].filter(Boolean).join("\n");
  throw new Error(`terraform ${args[0]} failed in ${dir}:\n${detail}`);
}

let initQueue: Promise<unknown> = Promise.resolve();

/**
 * Init and plan one stack; a stack that reads upstream state is planned against fixture states of its
 * upstream stacks (see seedUpstreamStates). No separate `terraform validate`: plan runs the same
 * validation walk before planning, and each run that loads the AWS provider costs about 4 s of CPU.
 */
async function checkStack(
  session: TerraformSession,
  stack: SynthesizedStack,
  stacks: readonly SynthesizedStack[],
): Promise<StackCheck> {
  const unmirrored = stack.providers.filter((provider) => !session.toolchain.providers.has(provider));
  if (unmirrored.length > 0) {
    return { stack: stack.name, note: `providers not in the mirror: ${unmirrored.join(", ")}` };
  }
  // One init at a time: concurrent inits race on the shared plugin cache ("file exists").
  const init = initQueue.then(() => terraform(session, stack.dir, ["init", "-input=false", "-no-color"]));
  initQueue = init.catch(() => undefined);
  await init;
  seedUpstreamStates(stack, stacks);
  const upstream = Object.keys(stack.upstreamStates);
  const { stdout: text } = await terraform(session, stack.dir, [
    "plan",
    "-input=false",
    "-no-color",
    "-lock=false",
    "-refresh=false",
  ]);
  return {
    stack: stack.name,
    plan: { ...planSummary(text), text },
    note: upstream.length > 0 ? `upstream outputs from fixture states: ${upstream.join(", ")}` : undefined,
  };
}

/**
 * `terraform plan -destroy` of `stack` as if every one of its resources existed: writes, as the
 * stack's local state, a state that holds each resource with only its id, then plans its destruction.
 * Returns Terraform's output and whether the plan succeeded; `prevent_destroy` makes it fail, naming
 * each protected resource.
 */
export async function planDestroyOfEverything(
  session: TerraformSession,
  stack: SynthesizedStack,
): Promise<{ succeeded: boolean; output: string }> {
  if (!stack.stateFile) throw new Error(`${stack.name} keeps no local state: nothing to seed offline`);
  const provider = 'provider["registry.terraform.io/hashicorp/aws"]';
  const resources = stack.resources.map(({ type, name }) => ({
    mode: "managed",
    type,
    name,
    provider,
    instances: [{ schema_version: 0, attributes: { id: `offline-plan-${name}` } }],
  }));
  const state = { ...stateWithOutputs({}, new Set()), resources };
  writeFileSync(stack.stateFile, JSON.stringify(state, null, 2));
  try {
    const { stdout } = await terraform(session, stack.dir, [
      "plan",
      "-destroy",
      "-input=false",
      "-no-color",
      "-lock=false",
      "-refresh=false",
    ]);
    return { succeeded: true, output: stdout };
  } catch (error) {
    return { succeeded: false, output: (error as Error).message };
  }
}

/**
 * The counts of Terraform's closing line "Plan: 21 to add, 0 to change, 0 to destroy."; a plan with no
 * resource change ("No changes." or only "Changes to Outputs:") has no such line.
 */
export function planSummary(text: string): { create: number; update: number; delete: number } {
  const match = /^Plan: (\d+) to add, (\d+) to change, (\d+) to destroy\./m.exec(text);
  if (match) return { create: Number(match[1]), update: Number(match[2]), delete: Number(match[3]) };
  if (/will perform the following actions/.test(text)) {
    throw new Error(`no plan summary in terraform's output:\n${text}`);
  }
  return { create: 0, update: 0, delete: 0 };
}

/**
 * Synthesizes in plan-only mode, in a new scratch folder, and checks every stack, with the offline
 * STS stand-in and the mirrored providers running until the caller calls `close`, which stops them
 * and removes the folder. Runs that share a provider process go one at a time; without one, two at a
 * time (one per core here).
 */
export async function checkAll(toolchain: Toolchain, env: Env) {
  const workDir = mkdtempSync(path.join(tmpdir(), "shopfront-plan-"));
  const stops: (() => Promise<void>)[] = [];
  const close = async () => {
    await Promise.all(stops.map((stop) => stop()));
    rmSync(workDir, { recursive: true, force: true });
  };
  try {
    const stacks = synthesizeForPlan(workDir, env);
    const sts = await startOfflineSts();
    stops.push(() => sts.close());
    const mirrored = stacks.filter((stack) => stack.providers.every((p) => toolchain.providers.has(p)));
    const versions = new Map(mirrored.flatMap((stack) => Object.entries(stack.providerVersions)));
    // Their temp folder (the plugin's socket, which a stopped provider can leave behind) goes with ours.
    const providerTmp = path.join(workDir, "providers-tmp");
    mkdirSync(providerTmp);
    const providers = await serveProviders(toolchain.mirror, versions, {
      ...process.env,
      TMPDIR: providerTmp,
      AWS_ENDPOINT_URL_STS: sts.url,
    });
    stops.push(() => providers.close());
    const cliConfig = writeCliConfig(workDir, toolchain.mirror);
    const session: TerraformSession = { toolchain, cliConfig, stsUrl: sts.url, reattach: providers.reattach };
    const checks: StackCheck[] = new Array(stacks.length);
    let next = 0;
    const worker = async () => {
      while (next < stacks.length) {
        const index = next++;
        checks[index] = await checkStack(session, stacks[index], stacks);
      }
    };
    await Promise.all(session.reattach ? [worker()] : [worker(), worker()]);
    return { workDir, stacks, checks, session, close };
  } catch (error) {
    await close();
    throw error;
  }
}
