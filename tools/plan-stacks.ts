/**
 * The app synthesized for an offline plan (tools/terraform.ts): built in plan-only mode into a scratch
 * folder, and what the checks need of each stack's cdk.tf.json, read once.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { App } from "cdktf";
import { type Env, loadConfig } from "../modules/settings/load";
import { buildStacks } from "../stacks/app";

/** What the offline checks need of a stack's synthesized code (cdk.tf.json), read once. */
export interface SynthesizedStack {
  readonly name: string;
  readonly dir: string;
  /** Provider sources, normalised to `namespace/type`. */
  readonly providers: readonly string[];
  /** The version each provider is pinned to (`5.100.0`), by source, where the stack pins one. */
  readonly providerVersions: Readonly<Record<string, string>>;
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
    readonly required_providers?: Record<string, { readonly source: string; readonly version?: string }>;
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
export function synthesizeForPlan(workDir: string, env: Env): SynthesizedStack[] {
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
    const required = Object.values(code.terraform?.required_providers ?? {}).map(({ source, version }) => ({
      source: source.includes("/") ? source.replace(/^registry\.terraform\.io\//, "") : `hashicorp/${source}`,
      version,
    }));
    return {
      name,
      dir,
      providers: required.map(({ source }) => source),
      providerVersions: Object.fromEntries(
        required.flatMap(({ source, version }) =>
          version && /^\d+\.\d+\.\d+$/.test(version) ? [[source, version]] : [],
        ),
      ),
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
