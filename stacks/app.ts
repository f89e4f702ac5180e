import { App } from "cdktf";
import { type Config, type Env, loadConfig } from "../modules/config";
import { ClusterStack } from "./cluster-stack";
import { IstioStack } from "./istio-stack";
import { NetworkStack } from "./network-stack";
import { markPlanOnly } from "./project-stack";
import { ShopfrontStack } from "./shopfront-stack";
import { SsmAgentStack } from "./ssm-agent-stack";
import { StateBootstrapStack } from "./state-bootstrap-stack";

/** Every stack of the project, wired to each other in deploy order. */
export interface ProjectStacks {
  readonly bootstrap: StateBootstrapStack;
  readonly network: NetworkStack;
  readonly cluster: ClusterStack;
  readonly ssmAgent: SsmAgentStack;
  readonly istio: IstioStack;
  readonly shopfront: ShopfrontStack;
}

export interface BuildOptions {
  /**
   * Plan-only stacks for `npm run plan`: mock credentials and the AWS provider's skip flags, so that
   * `terraform plan` runs with no AWS account. Never a user setting: such stacks cannot deploy.
   * @default false
   */
  readonly offlinePlan?: boolean;
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
  // Planned only once the Istio CRDs exist (kubernetes_manifest reads their schemas); destroyed before Istio.
  const shopfront = new ShopfrontStack(app, config, cluster.connection);
  shopfront.addDependency(istio);
  return { bootstrap, network, cluster, ssmAgent, istio, shopfront };
}

/**
 * Validates the settings in `env`, then builds and synthesizes every stack into `outdir` (default
 * cdktf.out, or CDKTF_OUTDIR). A bad setting throws ConfigError before the App exists, so nothing is
 * written.
 */
export function synthesize(env: Env, outdir?: string, options: BuildOptions = {}): ProjectStacks {
  const config = loadConfig(env);
  const app = new App(outdir ? { outdir } : {});
  const stacks = buildStacks(app, config, options);
  app.synth();
  return stacks;
}
