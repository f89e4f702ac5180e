import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { HttpProvider } from "@cdktf/provider-http/lib/provider";
import type { DataKubernetesServiceV1 } from "@cdktf/provider-kubernetes/lib/data-kubernetes-service-v1";
import type { Construct } from "constructs";
import { GatewayApiCrds } from "../modules/mesh/gateway-api-crds";
import { Istio } from "../modules/mesh/istio";
import { Observability } from "../modules/mesh/observability";
import type { Config } from "../modules/settings/load";
import { INGRESS_GATEWAY_NAME, STACK_NAMES } from "../modules/settings/names";
import {
  type ClusterConnection,
  clusterEndpoint,
  execCredentials,
  kubernetesProvider,
} from "./cluster-connection";
import { publishIngress } from "./ingress-outputs";
import { ProjectStack } from "./project-stack";

/**
 * istio-stack: Istio (CRDs, CNI node agent, istiod, ingress and egress gateways) and the observability
 * add-ons in istio-system, through the Helm provider; publishes where the mesh is reached (`gateway_url`).
 *
 * Destroy order is part of the design. The ingress gateway's NLB is made by the cluster's service
 * controller, not by Terraform; while it exists its network interfaces and security group rules keep the
 * VPC from being deleted. This stack depends on eks-cluster-stack, so `cdktf destroy` destroys it first;
 * inside it the gateway release is uninstalled with `wait`, which polls until the Service is gone, and a
 * LoadBalancer Service is only gone once the controller has deleted its load balancer (the
 * `service.kubernetes.io/load-balancer-cleanup` finalizer). The cluster and the VPC go after that.
 */
export class IstioStack extends ProjectStack {
  /** The Gateway API CRDs: installed before Istio, removed after it. */
  readonly gatewayApiCrds: GatewayApiCrds;
  readonly istio: Istio;
  readonly observability: Observability;
  /** The ingress gateway Service as the cluster reports it; only with a LoadBalancer Service. */
  readonly ingressService?: DataKubernetesServiceV1;

  constructor(scope: Construct, config: Config, cluster: ClusterConnection) {
    // The mesh variant decides which releases the stack holds and which ingress it removes.
    super(scope, STACK_NAMES.istio, config, { teardownSettings: ["MESH_MODE", "ROUTING_API"] });
    // helm 3.x: `kubernetes` and its `exec` are single objects (attributes), no longer blocks.
    new HelmProvider(this, "helm", {
      kubernetes: { ...clusterEndpoint(cluster), exec: execCredentials(cluster) },
    });
    kubernetesProvider(this, cluster);
    new HttpProvider(this, "http");

    const { istio: settings } = config;
    // In both routing APIs: a waypoint is a Gateway API Gateway, and istiod watches the kinds at start.
    this.gatewayApiCrds = new GatewayApiCrds(this, "gateway-api-crds");
    this.istio = new Istio(this, "istio", {
      version: settings.version,
      ingressServiceType: settings.ingressServiceType,
      ingressServiceAnnotations: settings.ingressServiceAnnotations,
      ingressSourceCidrs: settings.ingressSourceCidrs,
      ingressCertificateArn: settings.ingressCertificateArn,
      outboundTrafficPolicy: settings.outboundTrafficPolicy,
      profile: settings.profile,
      meshMode: settings.meshMode,
      routingApi: settings.routingApi,
      dependsOn: [...this.gatewayApiCrds.manifests],
    });
    this.observability = new Observability(this, "observability", {
      addons: settings.addons,
      istioVersion: settings.version,
      dependsOn: [this.istio.istiod],
    });

    // With the Gateway API, the ingress is a Gateway of manifests/mesh/: istio-config-stack publishes its address.
    const ingressGateway = this.istio.ingressGateway;
    if (ingressGateway === undefined) return;
    // Read after the release, which waits until the Service has its load balancer's address.
    this.ingressService = publishIngress(this, {
      service: { name: INGRESS_GATEWAY_NAME, namespace: "istio-system" },
      namespaceReference: this.istio.namespace.metadata.name,
      serviceType: settings.ingressServiceType,
      certificateArn: settings.ingressCertificateArn,
      readAfter: ingressGateway,
      descriptions: {
        hostname: "DNS name of the ingress gateway's load balancer",
        portForward: "The ingress gateway has no load balancer: forward a local port to it first",
      },
    });
  }
}
