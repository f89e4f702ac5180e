import { Release } from "@cdktf/provider-helm/lib/release";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import { Construct } from "constructs";
import { stringify } from "yaml";
import {
  CHART_REPOSITORIES,
  INGRESS_GATEWAY_LABELS,
  INGRESS_GATEWAY_NAME,
  type IngressServiceType,
  type MeshProfile,
} from "./config";

/** The egress gateway's release name, hence its Service's, as the demo profile names it. */
export const EGRESS_GATEWAY_NAME = "istio-egressgateway";

/** Labels of the egress gateway pods, as the demo profile sets them. */
export const EGRESS_GATEWAY_LABELS = { app: EGRESS_GATEWAY_NAME, istio: "egressgateway" } as const;

/**
 * Seconds Helm waits for a release's workloads to be ready on install, and for its resources to be gone
 * on uninstall: long enough for an image pull on a new node, and for AWS to create or delete an NLB.
 */
export const READY_TIMEOUT_SECONDS = 600;

/** Spread a workload's pods over the availability zones, without ever leaving one unscheduled. */
function zoneSpread(matchLabels: Readonly<Record<string, string>>) {
  return [
    {
      maxSkew: 1,
      topologyKey: "topology.kubernetes.io/zone",
      whenUnsatisfiable: "ScheduleAnyway",
      labelSelector: { matchLabels },
    },
  ];
}

/** Small requests, as the demo profile sets them, so that the mesh fits on two t3.medium nodes. */
const PROXY_REQUESTS = { cpu: "10m", memory: "40Mi" };

export interface IstioProps {
  /** Istio release; the base, istiod and gateway charts are versioned with it. */
  readonly version: string;
  /** Helm repository of Istio's charts. @default CHART_REPOSITORIES.istio */
  readonly repository?: string;
  /** Namespace of the control plane and both gateways, created here. @default "istio-system" */
  readonly namespace?: string;
  /** Type of the ingress gateway Service. @default "LoadBalancer" */
  readonly ingressServiceType?: IngressServiceType;
  /** Annotations on the ingress gateway Service; on AWS they choose the load balancer. @default {} */
  readonly ingressServiceAnnotations?: Readonly<Record<string, string>>;
  /**
   * `demo`: one istiod and one ingress gateway, no disruption budget. `production`: two of each, a
   * PodDisruptionBudget (one may go at a time) and a spread over the availability zones.
   * @default "demo"
   */
  readonly profile?: MeshProfile;
}

/**
 * Istio from its official Helm charts, as `istioctl install --set profile=demo` lays it out: the CRDs
 * (`base`), the control plane (`istiod`, with access logs on), an ingress gateway behind a `LoadBalancer`
 * Service and a `ClusterIP` egress gateway (the `gateway` chart twice).
 *
 * Order is declared, not hoped for: base, then istiod, then the gateways. istiod is installed with
 * `wait`, so its injector webhook serves before a gateway pod (whose `image: auto` the injector fills in)
 * is created; the gateways come up on the first apply, with no `kubectl rollout restart`. Destroyed in
 * reverse, each gateway's uninstall waits until its resources are gone, which for a LoadBalancer Service
 * means until the cloud controller has released the load balancer (see the stack).
 */
export class Istio extends Construct {
  readonly namespace: NamespaceV1;
  readonly base: Release;
  readonly istiod: Release;
  readonly ingressGateway: Release;
  readonly egressGateway: Release;

  constructor(scope: Construct, id: string, props: IstioProps) {
    super(scope, id);
    const namespace = props.namespace ?? "istio-system";
    const chart = (name: string, values: object) => ({
      repository: props.repository ?? CHART_REPOSITORIES.istio,
      chart: name,
      version: props.version,
      namespace,
      values: [stringify(values)],
      wait: true,
      timeout: READY_TIMEOUT_SECONDS,
    });

    const production = props.profile === "production";
    const replicas = production ? 2 : 1;

    this.namespace = new NamespaceV1(this, "namespace", { metadata: { name: namespace } });

    this.base = new Release(this, "base", {
      name: "istio-base",
      // As istio.io's Helm install sets it: istiod's validation webhook serves the default revision.
      ...chart("base", { defaultRevision: "default" }),
      dependsOn: [this.namespace],
    });

    this.istiod = new Release(this, "istiod", {
      name: "istiod",
      ...chart("istiod", {
        meshConfig: {
          accessLogFile: "/dev/stdout",
          // Sidecars serve the application's and Envoy's metrics on one annotated port for Prometheus.
          enablePrometheusMerge: true,
        },
        pilot: {
          autoscaleEnabled: false,
          replicaCount: replicas,
          resources: { requests: { cpu: "100m", memory: "256Mi" } },
          topologySpreadConstraints: production ? zoneSpread({ app: "istiod" }) : [],
        },
        global: {
          proxy: { resources: { requests: PROXY_REQUESTS } },
          // The chart's budget keeps one istiod up; with a single replica it would block every node drain.
          defaultPodDisruptionBudget: { enabled: production },
        },
      }),
      dependsOn: [this.base],
    });

    const gateway = (
      name: string,
      labels: Readonly<Record<string, string>>,
      service: object,
      highlyAvailable: boolean,
    ) =>
      new Release(this, name, {
        name,
        ...chart("gateway", {
          labels,
          service,
          autoscaling: { enabled: false },
          replicaCount: highlyAvailable ? 2 : 1,
          podDisruptionBudget: highlyAvailable ? { minAvailable: 1 } : {},
          topologySpreadConstraints: highlyAvailable ? zoneSpread({ istio: labels.istio }) : [],
          resources: { requests: PROXY_REQUESTS },
        }),
        dependsOn: [this.istiod],
      });

    this.ingressGateway = gateway(
      INGRESS_GATEWAY_NAME,
      INGRESS_GATEWAY_LABELS,
      {
        type: props.ingressServiceType ?? "LoadBalancer",
        annotations: props.ingressServiceAnnotations ?? {},
      },
      production,
    );
    // Egress carries no user traffic here: one replica in either profile.
    this.egressGateway = gateway(EGRESS_GATEWAY_NAME, EGRESS_GATEWAY_LABELS, { type: "ClusterIP" }, false);
  }
}
