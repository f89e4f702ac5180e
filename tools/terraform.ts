/**
 * Real Terraform, offline: synthesizes the app in plan-only mode into a scratch folder, then runs
 * `terraform init` from a local provider mirror, `terraform validate` on every stack whose providers
 * are all mirrored, and `terraform plan` on those that read no upstream state. Used by `npm run plan`
 * and by the tests.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { App } from "cdktf";
import { type Env, loadConfig } from "../modules/config";
import { buildStacks } from "../stacks/app";

const run = promisify(execFile);

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

/** The terraform binary and the provider mirror, or the reason they are not usable. */
export async function findToolchain(env: Env = process.env): Promise<Toolchain | { missing: string }> {
  const terraform = env.TERRAFORM_BINARY ?? "terraform";
  try {
    await run(terraform, ["version"], { timeout: 20_000 });
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

export interface SynthesizedStack {
  readonly name: string;
  readonly dir: string;
  /** Provider sources, normalised to `namespace/type`. */
  readonly providers: readonly string[];
  /** True when the stack reads another stack's state, which does not exist offline. */
  readonly readsUpstreamState: boolean;
  readonly resourceCount: number;
}

/**
 * Builds the app in plan-only mode (mock credentials, skip flags, local state in the scratch folder)
 * and returns each synthesized stack. `env` is the user's settings; STATE_BUCKET is ignored because an
 * S3 backend needs credentials.
 */
export function synthesizeForPlan(workDir: string, env: Env = process.env): SynthesizedStack[] {
  const config = loadConfig({ ...env, STATE_BUCKET: undefined });
  const outdir = path.join(workDir, "cdktf.out");
  const cwd = process.cwd();
  // Local backends put their state beside the working directory: keep it in the scratch folder.
  process.chdir(workDir);
  try {
    const app = new App({ outdir });
    buildStacks(app, config, { offlinePlan: true });
    app.synth();
  } finally {
    process.chdir(cwd);
  }
  const stacksDir = path.join(outdir, "stacks");
  return readdirSync(stacksDir).map((name) => {
    const dir = path.join(stacksDir, name);
    const json = JSON.parse(readFileSync(path.join(dir, "cdk.tf.json"), "utf8"));
    const required: Record<string, { source: string }> = json.terraform?.required_providers ?? {};
    const providers = Object.values(required).map(({ source }) =>
      source.includes("/") ? source.replace(/^registry\.terraform\.io\//, "") : `hashicorp/${source}`,
    );
    const resources: Record<string, Record<string, unknown>> = json.resource ?? {};
    return {
      name,
      dir,
      providers,
      readsUpstreamState: Boolean(json.data?.terraform_remote_state),
      resourceCount: Object.values(resources).reduce((sum, byName) => sum + Object.keys(byName).length, 0),
    };
  });
}

/** A CLI config that installs providers from the mirror only, so nothing is fetched from a registry. */
export function writeCliConfig(workDir: string, mirror: string): string {
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

export interface StackCheck {
  readonly stack: string;
  readonly validated: boolean;
  /** Planned actions, when the stack was planned. */
  readonly plan?: {
    readonly create: number;
    readonly update: number;
    readonly delete: number;
    readonly text: string;
  };
  /** Why the stack was not validated or not planned. */
  readonly note?: string;
}

async function terraform(toolchain: Toolchain, cliConfig: string, dir: string, args: string[]) {
  const env = {
    // These runs are short: without Go's garbage collector the AWS provider builds its 1,500-resource
    // schema with about 40% less CPU, for about 300 MB more memory per run.
    GOGC: "off",
    ...process.env,
    TF_CLI_CONFIG_FILE: cliConfig,
    TF_IN_AUTOMATION: "1",
    CHECKPOINT_DISABLE: "1",
  };
  try {
    return await run(toolchain.terraform, args, {
      cwd: dir,
      env,
      timeout: 300_000,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`terraform ${args[0]} failed in ${dir}:\n${stderr || stdout || String(error)}`);
  }
}

let initQueue: Promise<unknown> = Promise.resolve();

/** Init and validate one stack; plan it too when it reads no upstream state. */
export async function checkStack(
  toolchain: Toolchain,
  cliConfig: string,
  stack: SynthesizedStack,
): Promise<StackCheck> {
  const unmirrored = stack.providers.filter((provider) => !toolchain.providers.has(provider));
  if (unmirrored.length > 0) {
    return {
      stack: stack.name,
      validated: false,
      note: `providers not in the mirror: ${unmirrored.join(", ")}`,
    };
  }
  // One init at a time: concurrent inits race on the shared plugin cache ("file exists").
  const init = initQueue.then(() =>
    terraform(toolchain, cliConfig, stack.dir, ["init", "-input=false", "-no-color"]),
  );
  initQueue = init.catch(() => undefined);
  await init;
  await terraform(toolchain, cliConfig, stack.dir, ["validate", "-no-color"]);
  if (stack.readsUpstreamState) {
    return { stack: stack.name, validated: true, note: "not planned: reads an upstream stack's state" };
  }
  const { stdout: text } = await terraform(toolchain, cliConfig, stack.dir, [
    "plan",
    "-input=false",
    "-no-color",
    "-lock=false",
    "-refresh=false",
  ]);
  return { stack: stack.name, validated: true, plan: { ...planSummary(text), text } };
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

/** Synthesizes in plan-only mode and checks every stack, two at a time (one per core here). */
export async function checkAll(toolchain: Toolchain, env: Env = process.env, workDir?: string) {
  const dir = workDir ?? mkdtempSync(path.join(tmpdir(), "shopfront-plan-"));
  const stacks = synthesizeForPlan(dir, env);
  const cliConfig = writeCliConfig(dir, toolchain.mirror);
  const checks: StackCheck[] = new Array(stacks.length);
  let next = 0;
  const worker = async () => {
    while (next < stacks.length) {
      const index = next++;
      checks[index] = await checkStack(toolchain, cliConfig, stacks[index]);
    }
  };
  await Promise.all([worker(), worker()]);
  return { workDir: dir, stacks, checks };
}
