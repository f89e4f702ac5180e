import type { Release } from "@cdktf/provider-helm/lib/release";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { INGRESS_GATEWAY_LABELS, INGRESS_GATEWAY_NAME } from "../settings/names";
import {
  type IngressServiceType,
  MESH_PROFILE_CHOICES,
  type MeshProfile,
  type OutboundTrafficPolicy,
} from "../settings/sections/istio";
import { CONNECTION_FAILURES } from "../settings/sections/resilience";
import { CHART_REPOSITORIES } from "../settings/versions";
import { addHelmChart } from "./helm-chart";
import { KEEP_ONE_AVAILABLE, replicasFor, zoneSpread } from "./high-availability";
import {
  GATEWAY_HTTP_PORT,
  GATEWAY_STATUS_PORT,
  INGRESS_TLS_PORT,
  ingressLoadBalancer,
  ingressProtocol,
} from "./ingress-load-balancer";
import type { MeshMode, RoutingApi } from "./mesh-variant";

/** The egress gateway's release name, hence its Service's, as the demo profile names it. */
export const EGRESS_GATEWAY_NAME = "istio-egressgateway";

/** Labels of the egress gateway pods, as the demo profile sets them. */
export const EGRESS_GATEWAY_LABELS = { app: EGRESS_GATEWAY_NAME, istio: "egressgateway" } as const;

/** Release name of Istio's CNI node agent, as istio.io's Helm install names it. */
export const CNI_RELEASE_NAME = "istio-cni";

/** Release name of ambient mode's per-node proxy, as istio.io's Helm install names it. */
export const ZTUNNEL_RELEASE_NAME = "ztunnel";

/**
 * Retries of the routes that set none: an HTTPRoute of the standard channel cannot (its `retry` is
 * experimental). The VirtualService's own, so that both routing APIs retry the same failures: a
 * connection refused or reset, or a try with no answer in 1 s; never a status.
 */
export const DEFAULT_HTTP_RETRY_POLICY = {
  attempts: 2,
  perTryTimeout: "1s",
  retryOn: CONNECTION_FAILURES,
} as const;

/**
 * Pod Security Admission labels of istio-system, as Istio's PSA guide sets them: the CNI node agent's
 * DaemonSet mounts host paths and adds capabilities, which only the `privileged` level admits.
 */
export const ISTIO_SYSTEM_POD_SECURITY = {
  "pod-security.kubernetes.io/enforce": "privileged",
  "pod-security.kubernetes.io/enforce-version": "latest",
} as const;

/**
 * Where the kubelet of an EKS node finds CNI plugins and their configuration (the VPC CNI installs
 * `aws-cni` and `10-aws.conflist` there). They are the cni chart's defaults; Istio ships no EKS
 * platform profile and lists no EKS override. Written out so that a plan shows them.
 */
export const EKS_CNI_PATHS = { cniBinDir: "/opt/cni/bin", cniConfDir: "/etc/cni/net.d" } as const;

export { GATEWAY_HTTP_PORT, INGRESS_TLS_POLICY, LOAD_BALANCER_ANNOTATIONS } from "./ingress-load-balancer";

/** The gateway chart's readiness port, kept on the Service as the chart has it. */
const STATUS_PORT = {
  name: "status-port",
  port: GATEWAY_STATUS_PORT,
  protocol: "TCP",
  targetPort: GATEWAY_STATUS_PORT,
};

/** Small requests, as Istio's demo profile sets them, so that the mesh fits on two t3.medium nodes. */
const PROXY_REQUESTS = { cpu: "10m", memory: "40Mi" };

/**
 * What ambient mode's proxies request with MESH_PROFILE=demo, so that they fit on two t3.medium nodes
 * beside the rest: ztunnel's chart asks 200m and 512Mi per node, sized for about 200,000 pods; the
 * waypoint's 100m and 128Mi. The shopfront's few requests a second need a fraction of that. Not
 * measured on a cluster: docs/ambient-and-gateway-api.md.
 */
const AMBIENT_DEMO_REQUESTS = {
  ztunnel: { cpu: "50m", memory: "128Mi" },
  waypoint: PROXY_REQUESTS,
};

/** Ambient mode's requests per MESH_PROFILE: `production` keeps the charts' own. */
const AMBIENT_REQUESTS: Record<MeshProfile, typeof AMBIENT_DEMO_REQUESTS | undefined> = {
  demo: AMBIENT_DEMO_REQUESTS,
  production: undefined,
};

/**
 * The sidecar data plane, each chart's share of it in one place: the CNI node agent sets up a meshed
 * pod's traffic redirection when the kubelet creates its network, so istiod injects no `istio-init`
 * (which needs NET_ADMIN and NET_RAW) but an unprivileged `istio-validation` init container. The agent
 * chains itself after the VPC CNI's plugins in `10-aws.conflist` (docs/istio.md).
 */
const SIDECAR_DATA_PLANE = {
  istiod: { cni: { enabled: true } },
  cni: { ...EKS_CNI_PATHS, chained: true },
};

/**
 * Istio's `ambient` Helm profile (manifests/helm-profiles/ambient.yaml, in each chart): HBONE for the
 * proxies, ambient support in istiod and the CNI agent, distroless images. No `global.platform`:
 * Istio ships none for EKS, whose VPC CNI paths are the chart defaults.
 */
const AMBIENT_PROFILE = { profile: "ambient" } as const;

export interface IstioProps {
  /** Istio release; the base, cni, istiod and gateway charts are versioned with it. */
  readonly version: string;
  /** Helm repository of Istio's charts. @default CHART_REPOSITORIES.istio */
  readonly repository?: string;
  /** Namespace of the control plane, the CNI node agent and both gateways, created here. @default "istio-system" */
  readonly namespace?: string;
  /** Type of the ingress gateway Service. @default "LoadBalancer" */
  readonly ingressServiceType?: IngressServiceType;
  /**
   * Annotations on the ingress gateway Service; on AWS they choose the load balancer. The scheme and TLS
   * annotations (LOAD_BALANCER_ANNOTATIONS) follow `ingressSourceCidrs` and `ingressCertificateArn`
   * and win over the same keys here. @default {}
   */
  readonly ingressServiceAnnotations?: Readonly<Record<string, string>>;
  /**
   * Client CIDRs allowed at the ingress load balancer. Empty: an internal load balancer, reachable from
   * the VPC only. Not empty: internet-facing, open to these ranges only (`loadBalancerSourceRanges`);
   * the whole internet only when `0.0.0.0/0` is among them. Only a LoadBalancer Service has one.
   */
  readonly ingressSourceCidrs: readonly string[];
  /**
   * ACM certificate ARN: the load balancer terminates TLS on 443 and forwards plain HTTP to the
   * gateway; port 80 is closed (an NLB cannot redirect). Needs a LoadBalancer Service.
   * @default undefined, plain HTTP on 80
   */
  readonly ingressCertificateArn?: string;
  /** Whether sidecars may reach hosts outside the registry. @default ALLOW_ANY for demo, REGISTRY_ONLY for production */
  readonly outboundTrafficPolicy?: OutboundTrafficPolicy;
  /**
   * `demo`: one istiod and one ingress gateway, no disruption budget. `production`: two of each, a
   * PodDisruptionBudget (one may go at a time) and a spread over the availability zones.
   * @default "demo"
   */
  readonly profile?: MeshProfile;
  /**
   * `sidecar`: istiod injects an Envoy into each pod of an `istio-injection: enabled` namespace.
   * `ambient`: istiod and the CNI agent with Istio's ambient profile, plus ztunnel on every node; pods
   * of an `istio.io/dataplane-mode: ambient` namespace need no sidecar. @default "sidecar"
   */
  readonly meshMode?: MeshMode;
  /**
   * `istio`: the ingress gateway is the gateway chart's release, configured by Istio's Gateway and
   * VirtualService. `gateway-api`: no ingress release; istiod deploys the proxy of the shopfront's
   * Gateway API Gateway, and routes without retries of their own get VirtualService-like ones
   * (DEFAULT_HTTP_RETRY_POLICY). @default "istio"
   */
  readonly routingApi?: RoutingApi;
  /** What must exist before the first chart: the Gateway API CRDs. @default [] */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * Istio from its official Helm charts, as `istioctl install --set profile=demo` lays it out, with the
 * CNI node agent: the CRDs (`base`), the CNI node agent (`cni`), the control plane (`istiod`, with
 * access logs on), an ingress gateway behind a `LoadBalancer` Service and a `ClusterIP` egress gateway
 * (the `gateway` chart twice).
 *
 * In ambient mode (meshMode) istiod and the CNI agent take Istio's ambient profile and ztunnel runs on
 * every node; with the Gateway API (routingApi) istiod deploys the ingress for the shopfront's Gateway,
 * so there is no ingress release here.
 *
 * Order is declared, not hoped for: the Gateway API CRDs (dependsOn), base, then the CNI agent, then
 * istiod, then ztunnel (its certificates and configuration come from istiod), then the gateways. The CNI
 * agent is ready on every node before istiod can inject a pod that relies on it. istiod is installed
 * with `wait`, so its injector webhook serves before a gateway pod (whose `image: auto` the injector
 * fills in) is created; the gateways come up on the first apply, with no `kubectl rollout restart`.
 * Destroyed in reverse, each gateway's uninstall waits until its resources are gone, which for a
 * LoadBalancer Service means until the cloud controller has released the load balancer (see the stack).
 */
export class Istio extends Construct {
  readonly namespace: NamespaceV1;
  readonly base: Release;
  readonly cni: Release;
  readonly istiod: Release;
  /** ambient mode's node proxy; only with meshMode ambient. */
  readonly ztunnel?: Release;
  /** The gateway chart's ingress release; only with routingApi istio. */
  readonly ingressGateway?: Release;
  readonly egressGateway: Release;
  /** How clients reach the ingress load balancer: `https` when it terminates TLS. */
  readonly ingressProtocol: "http" | "https";

  constructor(scope: Construct, id: string, props: IstioProps) {
    super(scope, id);
    const namespace = props.namespace ?? "istio-system";
    const istioChart = (chart: string) => ({
      repository: props.repository ?? CHART_REPOSITORIES.istio,
      chart,
      version: props.version,
    });
    const profileName = props.profile ?? "demo";
    const profile = MESH_PROFILE_CHOICES[profileName];
    const ambientRequests = AMBIENT_REQUESTS[profileName];
    const ambient = (props.meshMode ?? "sidecar") === "ambient";
    const routingApi = props.routingApi ?? "istio";
    const serviceType = props.ingressServiceType ?? "LoadBalancer";
    this.ingressProtocol = ingressProtocol(props.ingressCertificateArn);

    this.node.addValidation({
      validate: () =>
        props.ingressCertificateArn !== undefined && serviceType !== "LoadBalancer"
          ? [
              `ingressCertificateArn puts TLS on the ingress load balancer, but a ${serviceType} Service has none: use a LoadBalancer Service or no certificate`,
            ]
          : [],
    });

    this.namespace = new NamespaceV1(this, "namespace", {
      metadata: { name: namespace, labels: { ...ISTIO_SYSTEM_POD_SECURITY } },
    });

    this.base = addHelmChart(this, "base", {
      name: "istio-base",
      chart: istioChart("base"),
      namespace,
      // As istio.io's Helm install sets it: istiod's validation webhook serves the default revision.
      values: { defaultRevision: "default" },
      dependsOn: [this.namespace, ...(props.dependsOn ?? [])],
    });

    this.cni = addHelmChart(this, "cni", {
      name: CNI_RELEASE_NAME,
      chart: istioChart("cni"),
      namespace,
      values: {
        ...(ambient ? AMBIENT_PROFILE : {}),
        ...SIDECAR_DATA_PLANE.cni,
        resources: { requests: PROXY_REQUESTS },
      },
      dependsOn: [this.base],
    });

    this.istiod = addHelmChart(this, "istiod", {
      name: "istiod",
      chart: istioChart("istiod"),
      namespace,
      // Top-level keys, as the chart has them since 1.24; `pilot.*` only works through its compatibility template.
      values: {
        ...(ambient ? AMBIENT_PROFILE : {}),
        ...SIDECAR_DATA_PLANE.istiod,
        autoscaleEnabled: false,
        replicaCount: replicasFor(profile.highlyAvailable),
        resources: { requests: { cpu: "100m", memory: "256Mi" } },
        topologySpreadConstraints: profile.highlyAvailable ? zoneSpread({ app: "istiod" }) : [],
        meshConfig: {
          accessLogFile: "/dev/stdout",
          // Sidecars serve the application's and Envoy's metrics on one annotated port for Prometheus.
          enablePrometheusMerge: true,
          outboundTrafficPolicy: { mode: props.outboundTrafficPolicy ?? profile.outboundTrafficPolicy },
          ...(routingApi === "gateway-api" ? { defaultHttpRetryPolicy: DEFAULT_HTTP_RETRY_POLICY } : {}),
        },
        // The Envoys that istiod deploys for Gateway API Gateways (ingress, waypoint) get the runtime's
        // seccomp profile, which Pod Security Admission's `restricted` level wants (the waypoint runs in
        // the shopfront's namespace).
        gateways: { seccompProfile: { type: "RuntimeDefault" } },
        global: {
          // Pod Security Admission's `restricted` level wants a seccomp profile on every container, injected ones too.
          proxy: { resources: { requests: PROXY_REQUESTS }, seccompProfile: { type: "RuntimeDefault" } },
          // The chart's budget keeps one istiod up; with a single replica it would block every node drain.
          defaultPodDisruptionBudget: { enabled: profile.highlyAvailable },
          ...(ambient && ambientRequests
            ? { waypoint: { resources: { requests: ambientRequests.waypoint } } }
            : {}),
        },
      },
      dependsOn: [this.cni],
    });

    if (ambient) {
      // After istiod, with wait: ztunnel takes its certificates and configuration from istiod.
      this.ztunnel = addHelmChart(this, "ztunnel", {
        name: ZTUNNEL_RELEASE_NAME,
        chart: istioChart("ztunnel"),
        namespace,
        values: {
          ...AMBIENT_PROFILE,
          ...(ambientRequests ? { resources: { requests: ambientRequests.ztunnel } } : {}),
        },
        dependsOn: [this.istiod],
      });
    }
    const gatewaysAfter = this.ztunnel ?? this.istiod;

    const gateway = (
      name: string,
      labels: Readonly<Record<string, string>>,
      service: object,
      highlyAvailable: boolean,
    ) =>
      addHelmChart(this, name, {
        name,
        chart: istioChart("gateway"),
        namespace,
        values: {
          labels,
          service,
          autoscaling: { enabled: false },
          replicaCount: replicasFor(highlyAvailable),
          podDisruptionBudget: highlyAvailable ? KEEP_ONE_AVAILABLE : {},
          topologySpreadConstraints: highlyAvailable ? zoneSpread({ istio: labels.istio }) : [],
          resources: { requests: PROXY_REQUESTS },
        },
        dependsOn: [gatewaysAfter],
      });

    if (routingApi === "istio") {
      this.ingressGateway = gateway(
        INGRESS_GATEWAY_NAME,
        INGRESS_GATEWAY_LABELS,
        ingressService(serviceType, props),
        profile.highlyAvailable,
      );
    }
    // Egress carries no user traffic here: one replica in either profile.
    this.egressGateway = gateway(EGRESS_GATEWAY_NAME, EGRESS_GATEWAY_LABELS, { type: "ClusterIP" }, false);
  }
}

/**
 * The ingress gateway chart's `service` values (manifests/charts/gateway/values.yaml). A LoadBalancer
 * is internal without source CIDRs and internet-facing, limited to them, with; with a certificate it
 * listens on 443 only, terminating TLS, and the chart's default ports (80 and 443 straight through)
 * give way to it.
 */
function ingressService(type: IngressServiceType, props: IstioProps): object {
  if (type !== "LoadBalancer") return { type, annotations: { ...(props.ingressServiceAnnotations ?? {}) } };
  const certificate = props.ingressCertificateArn;
  return {
    type,
    ...ingressLoadBalancer({
      annotations: props.ingressServiceAnnotations,
      sourceCidrs: props.ingressSourceCidrs,
      certificateArn: certificate,
    }),
    ...(certificate !== undefined
      ? {
          ports: [
            STATUS_PORT,
            { name: "https", port: INGRESS_TLS_PORT, protocol: "TCP", targetPort: GATEWAY_HTTP_PORT },
          ],
        }
      : {}),
  };
}
