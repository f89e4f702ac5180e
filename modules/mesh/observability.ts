import type { Release } from "@cdktf/provider-helm/lib/release";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { IstioAddon } from "../settings/sections/istio";
import { ADDONS } from "./addons";
import type { AddOn } from "./addons/addon";
import { addHelmChart } from "./helm-chart";

export interface ObservabilityProps {
  /** Add-ons to install, by name; each must come with the add-ons it needs (config validates it). */
  readonly addons: readonly IstioAddon[];
  /** Istio release whose conventions and dashboards the add-ons follow. */
  readonly istioVersion: string;
  /** Namespace to install into; Istio's, where `istioctl dashboard` looks. @default "istio-system" */
  readonly namespace?: string;
  /** What must exist first: the namespace, and istiod, whose metrics Prometheus scrapes. @default [] */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * The walkthrough's `samples/addons`, as pinned Helm releases with `ClusterIP` Services: each add-on
 * named in `addons`, from its declaration in modules/mesh/addons/, installed after istiod and after the
 * add-ons it declares it reads.
 */
export class Observability extends Construct {
  /** The add-ons' Helm releases, by add-on name; only those installed. */
  readonly releases: Readonly<Partial<Record<IstioAddon, Release>>>;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const namespace = props.namespace ?? "istio-system";
    const installed: ReadonlySet<IstioAddon> = new Set(props.addons);
    const releases: Partial<Record<IstioAddon, Release>> = {};

    this.node.addValidation({
      validate: () =>
        [...installed].flatMap((name) =>
          Object.entries(ADDONS[name].needs)
            .filter(([needed]) => !installed.has(needed as IstioAddon))
            .map(([needed, why]) => `add-on ${name} needs ${needed}, ${why}; install it too`),
        ),
    });

    // In the registry's order, so that an add-on's predecessors exist when it is declared.
    for (const addon of Object.values<AddOn>(ADDONS).filter((addon) => installed.has(addon.name))) {
      const predecessors = addon.installAfter.flatMap((name) => releases[name] ?? []);
      releases[addon.name] = addHelmChart(this, addon.name, {
        name: addon.name,
        chart: addon.chart,
        namespace,
        values: addon.values({ namespace, istioVersion: props.istioVersion, installed }),
        dependsOn: [...(props.dependsOn ?? []), ...predecessors],
      });
    }
    this.releases = releases;
  }
}
