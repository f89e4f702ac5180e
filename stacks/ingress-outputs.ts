import { DataKubernetesServiceV1 } from "@cdktf/provider-kubernetes/lib/data-kubernetes-service-v1";
import type { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { type ITerraformDependable, TerraformOutput, type TerraformStack } from "cdktf";
import { GATEWAY_HTTP_PORT, ingressProtocol } from "../modules/mesh/ingress-load-balancer";
import type { IngressServiceType } from "../modules/settings/sections/istio";

/** Local port of the ingress when its Service has no load balancer. */
export const INGRESS_FORWARD_PORT = 8080;

export interface IngressOutputsProps {
  /** The cluster's Kubernetes provider. @default the stack's default kubernetes provider */
  readonly provider?: KubernetesProvider;
  /** The ingress Service, as named in the port-forward command. */
  readonly service: { readonly name: string; readonly namespace: string };
  /** The namespace as a reference, so that the read waits for it too. @default service.namespace */
  readonly namespaceReference?: string;
  readonly serviceType: IngressServiceType;
  readonly certificateArn?: string;
  /** What makes the Service and waits until its load balancer has an address. */
  readonly readAfter: ITerraformDependable;
  /** Who the ingress is, in the outputs' descriptions: "the ingress gateway". */
  readonly descriptions: { readonly hostname: string; readonly portForward: string };
}

/**
 * Publishes where the mesh is reached, from the cluster's state: with a LoadBalancer Service, the
 * load balancer's DNS name (`ingress_hostname`) and `gateway_url` (https with a certificate), read
 * from the Service once `readAfter` is done; otherwise a port-forward command
 * (`ingress_port_forward`) and the local `gateway_url` it serves. The same in istio-stack (the
 * chart's ingress) and istio-config-stack (the Gateway API ingress). Returns the read, if any.
 */
export function publishIngress(
  stack: TerraformStack,
  props: IngressOutputsProps,
): DataKubernetesServiceV1 | undefined {
  const { name, namespace } = props.service;
  if (props.serviceType !== "LoadBalancer") {
    new TerraformOutput(stack, "ingress_port_forward", {
      description: props.descriptions.portForward,
      value: `kubectl -n ${namespace} port-forward svc/${name} ${INGRESS_FORWARD_PORT}:${GATEWAY_HTTP_PORT}`,
    });
    new TerraformOutput(stack, "gateway_url", {
      description: "Where the mesh is reached while ingress_port_forward runs",
      value: `http://localhost:${INGRESS_FORWARD_PORT}`,
    });
    return undefined;
  }
  const service = new DataKubernetesServiceV1(stack, "ingress-gateway-service", {
    provider: props.provider,
    metadata: { name, namespace: props.namespaceReference ?? namespace },
    dependsOn: [props.readAfter],
  });
  const hostname = service.status.get(0).loadBalancer.get(0).ingress.get(0).hostname;
  new TerraformOutput(stack, "ingress_hostname", {
    description: props.descriptions.hostname,
    value: hostname,
  });
  new TerraformOutput(stack, "gateway_url", {
    description: "Where the mesh is reached: export GATEWAY_URL=$(this output)",
    value: `${ingressProtocol(props.certificateArn)}://${hostname}`,
  });
  return service;
}
