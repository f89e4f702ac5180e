import type { IstioAddon } from "../../settings/sections/istio";
import type { HelmChart } from "../helm-chart";

/** What an add-on's values may depend on: where it is installed, and beside what. */
export interface AddOnContext {
  /** Namespace of every add-on: Istio's, where `istioctl dashboard` looks for them. */
  readonly namespace: string;
  /** The Istio release installed (x.y.z), whose dashboards and conventions an add-on follows. */
  readonly istioVersion: string;
  /** The add-ons installed in this deployment, this one included. */
  readonly installed: ReadonlySet<IstioAddon>;
}

/**
 * One observability add-on, declared in its own file under modules/mesh/addons/ and listed in the registry
 * (modules/mesh/addons/index.ts); the Observability construct installs it with the shared `addHelmChart`.
 */
export interface AddOn {
  /** Helm release name, hence the name of its Service: `istioctl dashboard <name>` finds it. */
  readonly name: IstioAddon;
  /** Chart, repository and pinned version (VERSIONS.charts, CHART_REPOSITORIES). */
  readonly chart: HelmChart;
  /** Port of its ClusterIP Service, as the walkthrough lists it and `istioctl dashboard` forwards to. */
  readonly port: number;
  /** Add-ons it cannot work without, each with the reason: its ADDON_NEEDS entry. */
  readonly needs: Readonly<Partial<Record<IstioAddon, string>>>;
  /** Add-ons installed before it when they are installed (and so uninstalled after it). */
  readonly installAfter: readonly IstioAddon[];
  /** The chart's values. */
  readonly values: (context: AddOnContext) => object;
}

/** In-cluster address of an add-on's Service. */
export function serviceUrl(addon: Pick<AddOn, "name" | "port">, namespace: string): string {
  return `http://${addon.name}.${namespace}.svc:${addon.port}`;
}
