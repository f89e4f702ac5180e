/**
 * The ingress settings (INGRESS_SERVICE_TYPE, INGRESS_SERVICE_ANNOTATIONS, INGRESS_SOURCE_CIDRS,
 * INGRESS_CERTIFICATE_ARN, MESH_PROFILE) applied to the manifests, as istio-stack applies them to the
 * gateway chart's ingress: the Gateway API ingress and its load balancer, the Gateway API proxies'
 * high availability, and the port the generators call. Pure functions of the documents.
 */
import { stringify } from "yaml";
import { GATEWAY_API_GROUP, NAMESPACE_NAME_LABEL } from "../manifests/inventory";
import type { ManifestDocument } from "../manifests/model";
import { KEEP_ONE_AVAILABLE, replicasFor, zoneSpread } from "../mesh/high-availability";
import {
  GATEWAY_HTTP_PORT,
  INGRESS_TLS_PORT,
  type IngressLoadBalancerProps,
  ingressLoadBalancer,
} from "../mesh/ingress-load-balancer";
import { GATEWAY_CLASSES } from "../mesh/mesh-variant";
import type { IngressServiceType } from "../settings/sections/istio";
import { isGatewayApiGateway } from "./variants";

/** The ingress settings, as istio-stack gives them to the gateway chart's ingress. */
export interface IngressSettings extends IngressLoadBalancerProps {
  readonly serviceType: IngressServiceType;
}

/** The label that istiod puts on the pods it deploys for a Gateway API Gateway, with the Gateway's name. */
export const GATEWAY_NAME_LABEL = `${GATEWAY_API_GROUP}/gateway-name`;

/** Istio's Gateway annotation that chooses the type of the Service it deploys (LoadBalancer by default). */
const SERVICE_TYPE_ANNOTATION = "networking.istio.io/service-type";

/**
 * Returns the documents with the Gateway API ingress (the Gateway of class istio, and the ConfigMap
 * its parametersRef names) following the ingress settings, as the chart's ingress does: the load
 * balancer's annotations on the Gateway's `infrastructure`, its source ranges in the ConfigMap's
 * `service` patch, another Service type through Istio's annotation. With a certificate the NLB ends
 * TLS on 443 and port 80 is closed: istiod gives the Service one port per listener port, so the HTTP
 * listener moves from 80 to 443 (still plain HTTP: TLS ends at the NLB), and NetworkPolicy egress to
 * the gateway's pods on 80 follows it. Documents without such a Gateway come back unchanged.
 */
export function withGatewayApiIngress(
  documents: readonly ManifestDocument[],
  settings: IngressSettings,
): ManifestDocument[] {
  const gateway = documents.find((document) => isGatewayApiGateway(document, GATEWAY_CLASSES.ingress));
  if (gateway === undefined) return [...documents];
  const spec = (gateway.object.spec ?? {}) as {
    listeners?: Listener[];
    infrastructure?: {
      annotations?: Record<string, string>;
      parametersRef?: { kind?: string; name?: string };
    };
  };
  const loadBalancer =
    settings.serviceType === "LoadBalancer"
      ? ingressLoadBalancer(settings)
      : { annotations: { ...(settings.annotations ?? {}) }, loadBalancerSourceRanges: undefined };
  const parameters = spec.infrastructure?.parametersRef;
  const tls = settings.serviceType === "LoadBalancer" && settings.certificateArn !== undefined;
  const gatewayName = gateway.object.metadata.name;
  const gatewayNamespace = gateway.object.metadata.namespace;
  return documents.map((document) => {
    const { object } = document;
    if (tls && object.kind === "NetworkPolicy") {
      return withEgressPortMoved(
        document,
        { gatewayName, gatewayNamespace },
        GATEWAY_HTTP_PORT,
        INGRESS_TLS_PORT,
      );
    }
    if (document === gateway) {
      const annotations = { ...(object.metadata as { annotations?: Record<string, string> }).annotations };
      if (settings.serviceType === "LoadBalancer") delete annotations[SERVICE_TYPE_ANNOTATION];
      else annotations[SERVICE_TYPE_ANNOTATION] = settings.serviceType;
      return {
        ...document,
        object: {
          ...object,
          metadata: {
            ...object.metadata,
            ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
          },
          spec: {
            ...spec,
            infrastructure: { ...spec.infrastructure, annotations: loadBalancer.annotations },
            ...(tls
              ? { listeners: listenersMoved(spec.listeners, GATEWAY_HTTP_PORT, INGRESS_TLS_PORT) }
              : {}),
          },
        },
      };
    }
    const isParameters =
      object.kind === "ConfigMap" &&
      parameters?.kind === "ConfigMap" &&
      object.metadata.name === parameters.name &&
      object.metadata.namespace === gateway.object.metadata.namespace;
    if (!isParameters) return document;
    const data = { ...((object.data ?? {}) as Record<string, string>) };
    if (loadBalancer.loadBalancerSourceRanges === undefined) delete data.service;
    else
      data.service = stringify({ spec: { loadBalancerSourceRanges: loadBalancer.loadBalancerSourceRanges } });
    return { ...document, object: { ...object, data } };
  });
}

interface Listener {
  readonly port?: number;
  readonly protocol?: string;
}

/** The Gateway's plain HTTP listeners on port `from` moved to port `to`; the others as they are. */
function listenersMoved(listeners: readonly Listener[] | undefined, from: number, to: number): Listener[] {
  return (listeners ?? []).map((listener) =>
    listener.protocol === "HTTP" && listener.port === from ? { ...listener, port: to } : listener,
  );
}

interface NetworkPolicyPeer {
  readonly namespaceSelector?: { readonly matchLabels?: Record<string, string> };
  readonly podSelector?: { readonly matchLabels?: Record<string, string> };
}

interface NetworkPolicyPort {
  readonly port?: number | string;
  readonly protocol?: string;
}

/**
 * A NetworkPolicy with its egress to the pods of Gateway `gatewayName` (selected by the label istiod
 * gives them, in the Gateway's namespace) moved from port `from` to `to`; other rules as they are.
 */
function withEgressPortMoved(
  document: ManifestDocument,
  gateway: { readonly gatewayName: string; readonly gatewayNamespace?: string },
  from: number,
  to: number,
): ManifestDocument {
  const spec = (document.object.spec ?? {}) as {
    egress?: { to?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }[];
  };
  const toGateway = (peer: NetworkPolicyPeer) =>
    peer.podSelector?.matchLabels?.[GATEWAY_NAME_LABEL] === gateway.gatewayName &&
    (peer.namespaceSelector === undefined
      ? document.object.metadata.namespace === gateway.gatewayNamespace
      : peer.namespaceSelector.matchLabels?.[NAMESPACE_NAME_LABEL] === gateway.gatewayNamespace);
  if (!(spec.egress ?? []).some((rule) => (rule.to ?? []).some(toGateway))) return document;
  const egress = (spec.egress ?? []).map((rule) =>
    (rule.to ?? []).some(toGateway)
      ? { ...rule, ports: (rule.ports ?? []).map((p) => (p.port === from ? { ...p, port: to } : p)) }
      : rule,
  );
  return { ...document, object: { ...document.object, spec: { ...spec, egress } } };
}

/**
 * Returns the documents with every Gateway API Gateway that names a parameters ConfigMap (the ingress,
 * the waypoint) made highly available as MESH_PROFILE=production makes the chart's ingress: patches
 * for two replicas spread over the zones, and a PodDisruptionBudget that keeps one (istiod renders a
 * budget only when a patch asks for it).
 */
export function withHighlyAvailableGateways(documents: readonly ManifestDocument[]): ManifestDocument[] {
  const parametersOf = new Map<string, string>();
  for (const document of documents) {
    const { object } = document;
    const ref = (object.spec as { infrastructure?: { parametersRef?: { kind?: string; name?: string } } })
      ?.infrastructure?.parametersRef;
    if (!isGatewayApiGateway(document)) continue;
    if (ref?.kind !== "ConfigMap" || ref.name === undefined) continue;
    parametersOf.set(`${object.metadata.namespace}/${ref.name}`, object.metadata.name);
  }
  return documents.map((document) => {
    const { object } = document;
    const gateway = parametersOf.get(`${object.metadata.namespace}/${object.metadata.name}`);
    if (object.kind !== "ConfigMap" || gateway === undefined) return document;
    const deployment = {
      spec: {
        replicas: replicasFor(true),
        template: { spec: { topologySpreadConstraints: zoneSpread({ [GATEWAY_NAME_LABEL]: gateway }) } },
      },
    };
    const data = {
      ...((object.data ?? {}) as Record<string, string>),
      deployment: stringify(deployment),
      podDisruptionBudget: stringify({ spec: KEEP_ONE_AVAILABLE }),
    };
    return { ...document, object: { ...object, data } };
  });
}

/** The ConfigMap that tells the generators which in-cluster Service is the ingress. */
const INGRESS_HOST_CONFIG_MAP = { name: "shopfront-ingress", key: "host" } as const;

/**
 * With TLS at the load balancer the ingress Service listens on 443 only, plain HTTP behind the NLB (the
 * chart's maps 443 to the pods' 80, istiod's to the listener moved to 443), so the generators, which
 * call that Service from inside the cluster, are pointed at port 443.
 */
export function withTlsIngressHost(documents: readonly ManifestDocument[]): ManifestDocument[] {
  return documents.map((document) => {
    const { object } = document;
    if (object.kind !== "ConfigMap" || object.metadata.name !== INGRESS_HOST_CONFIG_MAP.name) return document;
    const data = (object.data ?? {}) as Record<string, string>;
    const host = data[INGRESS_HOST_CONFIG_MAP.key];
    if (host === undefined || /:\d+$/.test(host)) return document;
    return {
      ...document,
      object: { ...object, data: { ...data, [INGRESS_HOST_CONFIG_MAP.key]: `${host}:${INGRESS_TLS_PORT}` } },
    };
  });
}
