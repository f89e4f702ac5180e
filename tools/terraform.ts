/**
 * Real Terraform, offline: synthesizes the app in plan-only mode into a scratch folder, then runs
 * `terraform init` from a local provider mirror, `terraform validate` and `terraform plan` on every
 * stack whose providers are all mirrored. A stack that reads an upstream stack's state is planned
 * against a fixture state holding the upstream's outputs; the one AWS call made at plan time
 * (`aws_caller_identity`) is answered by a local stand-in for STS. Used by `npm run plan` and the tests.
 */
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { App } from "cdktf";
import { type Env, loadConfig } from "../modules/settings/load";
import { buildStacks } from "../stacks/app";
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

/** What the offline checks need of a stack's synthesized code (cdk.tf.json), read once. */
export interface SynthesizedStack {
  readonly name: string;
  readonly dir: string;
  /** Provider sources, normalised to `namespace/type`. */
  readonly providers: readonly string[];
  /** The data sources that read an upstream stack's state (local backend), by upstream stack name. */
  readonly upstreamStates: Readonly<Record<string, string>>;
  /** The outputs it declares. */
  readonly outputs: readonly { readonly name: string; readonly sensitive: boolean }[];
  /** Its local backend's state file. */
  readonly stateFile?: string;
  /** Its managed resources. */
  readonly resources: readonly { readonly type: string; readonly name: string }[];
}

/** The parts of cdk.tf.json read here. */
interface StackCode {
  readonly terraform?: {
    readonly required_providers?: Record<string, { readonly source: string }>;
    readonly backend?: { readonly local?: { readonly path?: string } };
  };
  readonly data?: {
    readonly terraform_remote_state?: Record<
      string,
      { readonly backend: string; readonly config: { readonly path?: string } }
    >;
  };
  readonly output?: Record<string, { readonly sensitive?: boolean }>;
  readonly resource?: Record<string, Record<string, unknown>>;
}

/**
 * Builds the app in plan-only mode (mock credentials, skip flags, local state in the scratch folder)
 * and returns each synthesized stack. `env` is the user's settings; STATE_BUCKET is ignored because an
 * S3 backend needs credentials.
 */
function synthesizeForPlan(workDir: string, env: Env): SynthesizedStack[] {
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
    const code: StackCode = JSON.parse(readFileSync(path.join(dir, "cdk.tf.json"), "utf8"));
    const providers = Object.values(code.terraform?.required_providers ?? {}).map(({ source }) =>
      source.includes("/") ? source.replace(/^registry\.terraform\.io\//, "") : `hashicorp/${source}`,
    );
    return {
      name,
      dir,
      providers,
      upstreamStates: localRemoteStates(code),
      outputs: Object.entries(code.output ?? {}).map(([output, { sensitive }]) => ({
        name: output,
        sensitive: sensitive === true,
      })),
      stateFile: code.terraform?.backend?.local?.path,
      resources: Object.entries(code.resource ?? {}).flatMap(([type, byName]) =>
        Object.keys(byName).map((resource) => ({ type, name: resource })),
      ),
    };
  });
}

/** A stack's terraform_remote_state data sources on a local backend, by upstream stack. */
function localRemoteStates(code: StackCode): Record<string, string> {
  const found: Record<string, string> = {};
  for (const [dataSource, source] of Object.entries(code.data?.terraform_remote_state ?? {})) {
    const file = source.config.path;
    const upstream = file && /^terraform\.(.+)\.tfstate$/.exec(path.basename(file))?.[1];
    if (source.backend === "local" && upstream) found[upstream] = dataSource;
  }
  return found;
}

/** The account and caller that the offline STS stand-in reports: AWS's documentation account. */
const OFFLINE_ACCOUNT_ID = "123456789012";
const OFFLINE_CALLER_ARN = `arn:aws:iam::${OFFLINE_ACCOUNT_ID}:user/offline-plan`;

export interface OfflineSts {
  /** Endpoint URL, for AWS_ENDPOINT_URL_STS. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * A local stand-in for STS that answers GetCallerIdentity with OFFLINE_CALLER_ARN and refuses any
 * other action, so that `aws_caller_identity` reads offline. Plan-only: nothing is ever applied.
 */
export async function startOfflineSts(): Promise<OfflineSts> {
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => {
      body += chunk;
    });
    request.on("end", () => {
      response.setHeader("content-type", "text/xml");
      if (new URLSearchParams(body).get("Action") !== "GetCallerIdentity") {
        response.statusCode = 400;
        response.end(
          "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code>" +
            "<Message>offline plan: only GetCallerIdentity is answered</Message></Error>" +
            "<RequestId>offline-plan</RequestId></ErrorResponse>",
        );
        return;
      }
      response.end(
        '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>' +
          `<Arn>${OFFLINE_CALLER_ARN}</Arn><UserId>AIDAOFFLINEPLAN</UserId><Account>${OFFLINE_ACCOUNT_ID}</Account>` +
          "</GetCallerIdentityResult><ResponseMetadata><RequestId>offline-plan</RequestId></ResponseMetadata>" +
          "</GetCallerIdentityResponse>",
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A Terraform state (format 4) with the given outputs and no resource. */
function stateWithOutputs(outputs: Record<string, string>, sensitive: ReadonlySet<string>) {
  return {
    version: 4,
    terraform_version: "1.11.0",
    serial: 1,
    lineage: "offline-plan-fixture",
    outputs: Object.fromEntries(
      Object.entries(outputs).map(([name, value]) => [
        name,
        { value, type: "string", ...(sensitive.has(name) ? { sensitive: true } : {}) },
      ]),
    ),
    resources: [],
  };
}

/**
 * Points each upstream state that `stack` reads at a fixture state beside it, holding every output the
 * upstream stack declares as the string `offline-plan:<output>`, so the plan shows where each value
 * lands. A Terraform override file redirects the reads; the upstream's own state file is left alone.
 * Returns the upstream stacks seeded.
 */
function seedUpstreamStates(stack: SynthesizedStack, stacks: readonly SynthesizedStack[]): string[] {
  const redirects: Record<string, { config: { path: string } }> = {};
  for (const [upstream, dataSource] of Object.entries(stack.upstreamStates)) {
    const source = stacks.find((candidate) => candidate.name === upstream);
    if (!source)
      throw new Error(`${stack.name} reads the state of ${upstream}, which is not a stack of the app`);
    const outputs = Object.fromEntries(source.outputs.map(({ name }) => [name, `offline-plan:${name}`]));
    const sensitive = new Set(source.outputs.filter((output) => output.sensitive).map(({ name }) => name));
    const fixture = path.join(stack.dir, `fixture.${upstream}.tfstate`);
    writeFileSync(fixture, JSON.stringify(stateWithOutputs(outputs, sensitive), null, 2));
    redirects[dataSource] = { config: { path: fixture } };
  }
  if (Object.keys(redirects).length > 0) {
    writeFileSync(
      path.join(stack.dir, "offline_plan_override.tf.json"),
      JSON.stringify({ data: { terraform_remote_state: redirects } }, null, 2),
    );
  }
  return Object.keys(redirects);
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

/** Runs terraform in `dir` with the session's mirror-only CLI config and STS stand-in; throws on failure. */
export async function terraform(session: TerraformSession, dir: string, args: string[]) {
  const env = {
    // These runs are short: without Go's garbage collector the AWS provider builds its 1,500-resource
    // schema with about 40% less CPU, for about 300 MB more memory per run.
    GOGC: "off",
    ...process.env,
    TF_CLI_CONFIG_FILE: session.cliConfig,
    TF_IN_AUTOMATION: "1",
    CHECKPOINT_DISABLE: "1",
    AWS_ENDPOINT_URL_STS: session.stsUrl,
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
 * Init, validate and plan one stack; a stack that reads upstream state is planned against fixture
 * states of its upstream stacks (see seedUpstreamStates).
 */
async function checkStack(
  session: TerraformSession,
  stack: SynthesizedStack,
  stacks: readonly SynthesizedStack[],
): Promise<StackCheck> {
  const unmirrored = stack.providers.filter((provider) => !session.toolchain.providers.has(provider));
  if (unmirrored.length > 0) {
    return {
      stack: stack.name,
      validated: false,
      note: `providers not in the mirror: ${unmirrored.join(", ")}`,
    };
  }
  // One init at a time: concurrent inits race on the shared plugin cache ("file exists").
  const init = initQueue.then(() => terraform(session, stack.dir, ["init", "-input=false", "-no-color"]));
  initQueue = init.catch(() => undefined);
  await init;
  await terraform(session, stack.dir, ["validate", "-no-color"]);
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
    validated: true,
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
 * Synthesizes in plan-only mode, in a new scratch folder, and checks every stack, two at a time (one
 * per core here), with the offline STS stand-in running until the checks end. The caller removes the
 * returned workDir once it has read the plans.
 */
export async function checkAll(toolchain: Toolchain, env: Env) {
  const workDir = mkdtempSync(path.join(tmpdir(), "shopfront-plan-"));
  try {
    return await checkStacks(toolchain, env, workDir);
  } catch (error) {
    rmSync(workDir, { recursive: true, force: true });
    throw error;
  }
}

async function checkStacks(toolchain: Toolchain, env: Env, dir: string) {
  const stacks = synthesizeForPlan(dir, env);
  const sts = await startOfflineSts();
  const cliConfig = writeCliConfig(dir, toolchain.mirror);
  const session: TerraformSession = { toolchain, cliConfig, stsUrl: sts.url };
  const checks: StackCheck[] = new Array(stacks.length);
  let next = 0;
  const worker = async () => {
    while (next < stacks.length) {
      const index = next++;
      checks[index] = await checkStack(session, stacks[index], stacks);
    }
  };
  try {
    await Promise.all([worker(), worker()]);
  } finally {
    await sts.close();
  }
  return { workDir: dir, stacks, checks, cliConfig };
}
