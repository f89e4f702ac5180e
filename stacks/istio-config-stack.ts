import type { DataKubernetesServiceV1 } from "@cdktf/provider-kubernetes/lib/data-kubernetes-service-v1";
import type { Construct } from "constructs";
import { GATEWAY_API_INGRESS } from "../modules/mesh/mesh-variant";
import { ServiceDeletionWait } from "../modules/mesh/service-deletion-wait";
import type { Config } from "../modules/settings/load";
import { STACK_NAMES } from "../modules/settings/names";
import type { ShopfrontManifests } from "../modules/shopfront/manifest-set";
import { MeshWideObjects } from "../modules/shopfront/mesh-wide";
import { type ClusterConnection, kubeconfigJson, kubernetesProvider } from "./cluster-connection";
import { publishIngress } from "./ingress-outputs";
import { ProjectStack } from "./project-stack";

/**
 * istio-config-stack: the mesh-wide objects of manifests/mesh/, in istio-system, through
 * kubernetes_manifest: the mesh's default of STRICT mutual TLS and, with ROUTING_API=gateway-api, the
 * ingress Gateway, whose address it publishes. They belong to the mesh, not to the app: destroying
 * shopfront-stack leaves them, and they go before istio-stack.
 *
 * Its own stack, after istio-stack, because kubernetes_manifest reads each kind's schema from the
 * cluster when it plans: a PeerAuthentication or a Gateway cannot be planned in the apply that creates
 * their CRDs (istio-stack's base chart and Gateway API CRDs).
 *
 * Destroy: istiod, not Terraform, creates the Gateway API ingress's LoadBalancer Service, which the
 * garbage collector deletes after the Gateway. A destroy-time wait runs after the Gateway's deletion
 * and returns once the Service, and so its NLB, is gone: before istio-stack, the cluster and the VPC.
 */
export class IstioConfigStack extends ProjectStack {
  readonly meshWide: MeshWideObjects;
  /** The Service istiod deployed for the Gateway API ingress, as the cluster reports it; gateway-api only. */
  readonly ingressService?: DataKubernetesServiceV1;
  /** On destroy, waits for the Gateway API ingress's load balancer to be released; gateway-api with a LoadBalancer only. */
  readonly ingressRelease?: ServiceDeletionWait;

  constructor(scope: Construct, config: Config, cluster: ClusterConnection, manifests: ShopfrontManifests) {
    // With another routing API or Service type, the destroy would lose the load balancer wait below.
    super(scope, STACK_NAMES.istioConfig, config, {
      teardownSettings: ["MESH_MODE", "ROUTING_API", "INGRESS_SERVICE_TYPE"],
    });
    const provider = kubernetesProvider(this, cluster);
    const { routingApi, ingressServiceType, ingressCertificateArn } = config.istio;
    if (routingApi === "gateway-api" && ingressServiceType === "LoadBalancer") {
      this.ingressRelease = new ServiceDeletionWait(this, "ingress-load-balancer-release", {
        namespace: GATEWAY_API_INGRESS.namespace,
        service: GATEWAY_API_INGRESS.serviceName,
        kubeconfig: kubeconfigJson(cluster),
      });
    }
    this.meshWide = new MeshWideObjects(this, "mesh-wide", {
      provider,
      manifests,
      ingressGatewayDependsOn: this.ingressRelease ? [this.ingressRelease.resource] : [],
    });

    const ingressGateway = this.meshWide.ingressGateway;
    if (ingressGateway === undefined) return;
    // Read once the Gateway is Programmed: istiod has deployed its proxy and the Service has its address.
    this.ingressService = publishIngress(this, {
      provider,
      service: { name: GATEWAY_API_INGRESS.serviceName, namespace: GATEWAY_API_INGRESS.namespace },
      serviceType: ingressServiceType,
      certificateArn: ingressCertificateArn,
      readAfter: ingressGateway,
      descriptions: {
        hostname: "DNS name of the load balancer of the Gateway API ingress (shopfront-gateway)",
        portForward: "The Gateway API ingress has no load balancer: forward a local port to it first",
      },
    });
  }
}
