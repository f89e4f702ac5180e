import { Release } from "@cdktf/provider-helm/lib/release";
import type { ITerraformDependable } from "cdktf";
import type { Construct } from "constructs";
import { stringify } from "yaml";

/**
 * Seconds Helm waits for a release's workloads to be ready on install, and for its resources to be gone
 * on uninstall: long enough for an image pull on a new node, and for AWS to create or delete an NLB.
 */
export const READY_TIMEOUT_SECONDS = 600;

/** A Helm chart at a pinned version, from its repository. */
export interface HelmChart {
  readonly repository: string;
  readonly chart: string;
  readonly version: string;
}

export interface HelmChartProps {
  /** Helm release name; charts name their Deployments and Services after it. */
  readonly name: string;
  readonly chart: HelmChart;
  readonly namespace: string;
  /** The chart's values, written to the release as one YAML document. */
  readonly values: object;
  /** What must be installed first, and so is uninstalled after this release. @default [] */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * The one way this project installs a chart (after cdk-eks-blueprints' `HelmAddOn.addHelmChart`): with
 * Helm's `wait` on install and uninstall, so that whatever depends on a release finds it ready, and a
 * release's uninstall returns only once its resources (a LoadBalancer Service's NLB included) are gone.
 */
export function addHelmChart(scope: Construct, id: string, props: HelmChartProps): Release {
  return new Release(scope, id, {
    name: props.name,
    repository: props.chart.repository,
    chart: props.chart.chart,
    version: props.chart.version,
    namespace: props.namespace,
    values: [stringify(props.values)],
    wait: true,
    timeout: READY_TIMEOUT_SECONDS,
    dependsOn: props.dependsOn,
  });
}
