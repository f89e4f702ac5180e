import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { App, Manifest } from "cdktf";
import { type Config, type Env, loadConfig } from "../modules/settings/load";
import { shopfrontManifestsOf } from "../modules/shopfront/manifest-set";
import { ClusterStack } from "./cluster-stack";
import { IstioConfigStack } from "./istio-config-stack";
import { IstioStack } from "./istio-stack";
import { NetworkStack } from "./network-stack";
import { markPlanOnly } from "./project-stack";
import { ShopfrontStack } from "./shopfront-stack";
import { SsmAgentStack } from "./ssm-agent-stack";
import { StateBootstrapStack } from "./state-bootstrap-stack";
import { teardownRequested, writeTeardownConfiguration } from "./teardown";

/** Every stack of the project, wired to each other in deploy order. */
export interface ProjectStacks {
  readonly bootstrap: StateBootstrapStack;
  readonly network: NetworkStack;
  readonly cluster: ClusterStack;
  readonly ssmAgent: SsmAgentStack;
  readonly istio: IstioStack;
  readonly istioConfig: IstioConfigStack;
  readonly shopfront: ShopfrontStack;
}

export interface BuildOptions {
  /**
   * Plan-only stacks for `npm run plan`: mock credentials and the AWS provider's skip flags, so that
   * `terraform plan` runs with no AWS account. Never a user setting: such stacks cannot deploy.
   * @default false
   */
  readonly offlinePlan?: boolean;
  /**
   * Write the teardown configuration (stacks/teardown.ts): what `npm run destroy` and `destroy:all`
   * synthesize, so that a destroy needs no internet. Never a deploy: such stacks refuse one.
   * @default TEARDOWN=true in the environment synthesize() is given
   */
  readonly teardown?: boolean;
}

export function buildStacks(app: App, config: Config, options: BuildOptions = {}): ProjectStacks {
  if (options.offlinePlan) markPlanOnly(app);
  const bootstrap = new StateBootstrapStack(app, config);
  const network = new NetworkStack(app, config);
  const cluster = new ClusterStack(app, config, network.network);
  const ssmAgent = new SsmAgentStack(app, config, cluster.connection);
  ssmAgent.addDependency(cluster);
  // Deployed after the cluster and destroyed before it, so its load balancer is gone before the VPC.
  const istio = new IstioStack(app, config, cluster.connection);
  istio.addDependency(cluster);
  // The shopfront's manifests, checked once as a whole: the mesh-wide ones go to istio-config-stack.
  const manifests = shopfrontManifestsOf(config);
  // Planned only once the Istio CRDs exist (kubernetes_manifest reads their schemas); destroyed before Istio.
  const istioConfig = new IstioConfigStack(app, config, cluster.connection, manifests);
  istioConfig.addDependency(istio);
  // After the mesh-wide objects (its HTTPRoute's Gateway) and the CRDs; destroyed before both.
  const shopfront = new ShopfrontStack(app, config, cluster.connection, manifests);
  shopfront.addDependency(istioConfig);
  shopfront.addDependency(istio);
  return { bootstrap, network, cluster, ssmAgent, istio, istioConfig, shopfront };
}

/** The constructs' validations failed (a broken mesh in manifests/): one line per error, nothing written. */
export class ValidationError extends Error {
  constructor(readonly errors: readonly string[]) {
    super(`synth refused, fix these first:\n${errors.map((error) => `  ${error}`).join("\n")}`);
    this.name = "ValidationError";
  }
}

/** Every construct's `node.addValidation` errors, each after the path of the construct that found it. */
export function validationErrors(app: App): string[] {
  return app.node
    .findAll()
    .flatMap((construct) => construct.node.validate().map((error) => `${construct.node.path}: ${error}`));
}

/**
 * Validates the settings in `env`, then builds every stack, runs the constructs' validations and
 * synthesizes into `outdir` (default cdktf.out, or CDKTF_OUTDIR). A bad setting throws ConfigError
 * before the App exists; a failed validation throws ValidationError before any stack is written
 * (cdktf's own App.synth writes each stack before validating the next). On any error, the folders
 * that this synth created are removed. With `teardown`, the stacks written are their teardown
 * configuration (stacks/teardown.ts).
 */
export function synthesize(env: Env, outdir?: string, options: BuildOptions = {}): ProjectStacks {
  const config = loadConfig(env);
  const teardown = options.teardown ?? teardownRequested(env);
  const target = outdir ?? env.CDKTF_OUTDIR ?? "cdktf.out";
  const made = [target, join(target, Manifest.stacksFolder)].filter((dir) => !existsSync(dir));
  // validationErrors has run every validation app.synth() would run again (the project has no Aspects).
  const app = new App({ outdir: target, skipValidation: true });
  try {
    const stacks = buildStacks(app, config, options);
    const errors = validationErrors(app);
    if (errors.length > 0) throw new ValidationError(errors);
    app.synth();
    if (teardown) writeTeardownConfiguration(target);
    return stacks;
  } catch (error) {
    for (const dir of made.reverse()) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
