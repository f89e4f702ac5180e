import type { DataKubernetesServiceV1 } from "@cdktf/provider-kubernetes/lib/data-kubernetes-service-v1";
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { GATEWAY_API_INGRESS } from "../modules/mesh/mesh-variant";
import { ServiceDeletionWait } from "../modules/mesh/service-deletion-wait";
import type { Config } from "../modules/settings/load";
import { STACK_NAMES } from "../modules/settings/names";
import { MESH_PROFILE_CHOICES } from "../modules/settings/sections/istio";
import { Shopfront } from "../modules/shopfront/shopfront";
import { shopfrontRouteName } from "../modules/shopfront/variants";
import { type ClusterConnection, kubeconfigJson, kubernetesProvider } from "./cluster-connection";
import { publishIngress } from "./ingress-outputs";
import { ProjectStack } from "./project-stack";

/**
 * shopfront-stack: the shopfront app and its mesh resources from manifests/, through kubernetes_manifest.
 * Its own stack after istio-stack because kubernetes_manifest reads each kind's schema from the cluster
 * at plan time: the Istio and Gateway API CRDs must exist before this stack is planned. With the
 * Gateway API, the ingress is the shopfront's Gateway, so this stack publishes its address.
 */
export class ShopfrontStack extends ProjectStack {
  readonly shopfront: Shopfront;
  /** The Service istiod deployed for the Gateway API ingress, as the cluster reports it; gateway-api only. */
  readonly ingressService?: DataKubernetesServiceV1;
  /** On destroy, waits for the Gateway API ingress's load balancer to be released; gateway-api with a LoadBalancer only. */
  readonly ingressRelease?: ServiceDeletionWait;

  constructor(scope: Construct, config: Config, cluster: ClusterConnection) {
    // With another routing API or Service type, the destroy would lose the load balancer wait below.
    super(scope, STACK_NAMES.shopfront, config, {
      teardownSettings: ["MESH_MODE", "ROUTING_API", "INGRESS_SERVICE_TYPE"],
    });
    const provider = kubernetesProvider(this, cluster);
    const { routingApi, ingressServiceType, ingressCertificateArn } = config.istio;
    // istiod, not Terraform, creates the Gateway API ingress's LoadBalancer Service: on destroy, wait
    // for it (and so its NLB) to be gone after the Gateway, before the stacks beneath are destroyed.
    if (routingApi === "gateway-api" && ingressServiceType === "LoadBalancer") {
      this.ingressRelease = new ServiceDeletionWait(this, "ingress-load-balancer-release", {
        namespace: GATEWAY_API_INGRESS.namespace,
        service: GATEWAY_API_INGRESS.serviceName,
        kubeconfig: kubeconfigJson(cluster),
      });
    }
    this.shopfront = new Shopfront(this, "shopfront", {
      provider,
      config: config.shopfront,
      meshMode: config.istio.meshMode,
      routingApi: config.istio.routingApi,
      // The Gateway API ingress follows the settings that istio-stack gives the chart's ingress.
      ingress: {
        serviceType: config.istio.ingressServiceType,
        annotations: config.istio.ingressServiceAnnotations,
        sourceCidrs: config.istio.ingressSourceCidrs,
        certificateArn: config.istio.ingressCertificateArn,
      },
      highlyAvailable: MESH_PROFILE_CHOICES[config.istio.profile].highlyAvailable,
      ingressGatewayDependsOn: this.ingressRelease ? [this.ingressRelease.resource] : [],
    });
    new TerraformOutput(this, "namespace", { value: this.shopfront.namespaceName });
    new TerraformOutput(this, "route_weights", {
      description: `The weights per version of ${shopfrontRouteName(this.shopfront.variant.routingApi)}, as deployed`,
      value: Object.entries(this.shopfront.routeWeights)
        .map(([version, weight]) => `${version}=${weight}`)
        .join(","),
    });

    const ingressGateway = this.shopfront.ingressGateway;
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
