/**
 * The schema-valid objects of the manifests by kind, typed by their models, and how the checks
 * (./rules/) read them: which pods a selector or a Service selects, a host as
 * Istio resolves it, the DestinationRules of a host, the policies that select some pods.
 */
import type { ManifestDocument } from "./model";

// The model packages are ES modules: their types are imported as an ES module would import them.
export type IDestinationRule =
  import("@kubernetes-models/istio/networking.istio.io/v1/DestinationRule", { with: {
    "resolution-mode": "import",
  }}).IDestinationRule;
export type IIstioGateway = import("@kubernetes-models/istio/networking.istio.io/v1/Gateway", { with: {
  "resolution-mode": "import",
}}).IGateway;
export type IVirtualService =
  import("@kubernetes-models/istio/networking.istio.io/v1/VirtualService", { with: {
    "resolution-mode": "import",
  }}).IVirtualService;
export type IEnvoyFilter =
  import("@kubernetes-models/istio/networking.istio.io/v1alpha3/EnvoyFilter", { with: {
    "resolution-mode": "import",
  }}).IEnvoyFilter;
export type IAuthorizationPolicy =
  import("@kubernetes-models/istio/security.istio.io/v1/AuthorizationPolicy", { with: {
    "resolution-mode": "import",
  }}).IAuthorizationPolicy;
export type IRequestAuthentication =
  import("@kubernetes-models/istio/security.istio.io/v1/RequestAuthentication", { with: {
    "resolution-mode": "import",
  }}).IRequestAuthentication;
export type IPeerAuthentication =
  import("@kubernetes-models/istio/security.istio.io/v1/PeerAuthentication", { with: {
    "resolution-mode": "import",
  }}).IPeerAuthentication;
export type IGatewayApiGateway =
  import("@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/Gateway", { with: {
    "resolution-mode": "import",
  }}).IGateway;
export type IHTTPRoute =
  import("@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute", { with: {
    "resolution-mode": "import",
  }}).IHTTPRoute;
export type IDeployment = import("kubernetes-models/apps/v1/Deployment", { with: {
  "resolution-mode": "import",
}}).IDeployment;
export type IPodDisruptionBudget = import("kubernetes-models/policy/v1/PodDisruptionBudget", { with: {
  "resolution-mode": "import",
}}).IPodDisruptionBudget;
export type IConfigMap = import("kubernetes-models/v1/ConfigMap", { with: {
  "resolution-mode": "import",
}}).IConfigMap;
export type INamespace = import("kubernetes-models/v1/Namespace", { with: {
  "resolution-mode": "import",
}}).INamespace;
export type IService = import("kubernetes-models/v1/Service", { with: {
  "resolution-mode": "import",
}}).IService;

export type Labels = Readonly<Record<string, string>>;

/** The Gateway API's group: its kinds (Gateway above all) are told from Istio's by it. */
export const GATEWAY_API_GROUP = "gateway.networking.k8s.io";

/** The label Kubernetes gives every namespace, with its name: what a namespaceSelector picks one by. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/** A schema-valid object of the manifests, typed by its model, with where it came from. */
export interface Resource<T> {
  readonly document: ManifestDocument;
  readonly object: T;
  readonly name: string;
  readonly namespace: string;
}

export interface Inventory {
  readonly namespaces: readonly Resource<INamespace>[];
  readonly services: readonly Resource<IService>[];
  readonly configMaps: readonly Resource<IConfigMap>[];
  readonly deployments: readonly Resource<IDeployment>[];
  readonly istioGateways: readonly Resource<IIstioGateway>[];
  readonly virtualServices: readonly Resource<IVirtualService>[];
  readonly destinationRules: readonly Resource<IDestinationRule>[];
  readonly podDisruptionBudgets: readonly Resource<IPodDisruptionBudget>[];
  readonly peerAuthentications: readonly Resource<IPeerAuthentication>[];
  readonly authorizationPolicies: readonly Resource<IAuthorizationPolicy>[];
  readonly requestAuthentications: readonly Resource<IRequestAuthentication>[];
  readonly gatewayApiGateways: readonly Resource<IGatewayApiGateway>[];
  readonly httpRoutes: readonly Resource<IHTTPRoute>[];
  readonly envoyFilters: readonly Resource<IEnvoyFilter>[];
  /** True when references to `resources`' kind cannot be checked: a partial set without any of them. */
  readonly leftOut: (resources: readonly unknown[]) => boolean;
}

export function namespaceOf(document: ManifestDocument): string {
  // Without a namespace, `kubectl apply` and kubernetes_manifest use "default".
  return document.object.kind === "Namespace"
    ? document.object.metadata.name
    : (document.object.metadata.namespace ?? "default");
}

/** The objects of `documents` (schema-valid) by kind; `partial`: they are some of the manifests. */
export function inventoryOf(documents: readonly ManifestDocument[], partial: boolean): Inventory {
  // By API group too: Gateway API's Gateway is another kind of the same name as Istio's.
  const ofKind = <T>(group: string, kind: string): Resource<T>[] =>
    documents
      .filter(
        (document) =>
          document.object.kind === kind &&
          (document.object.apiVersion.includes("/") ? document.object.apiVersion.split("/")[0] : "") ===
            group,
      )
      .map((document) => ({
        document,
        object: document.object as unknown as T,
        name: document.object.metadata.name,
        namespace: namespaceOf(document),
      }));
  return {
    namespaces: ofKind<INamespace>("", "Namespace"),
    services: ofKind<IService>("", "Service"),
    configMaps: ofKind<IConfigMap>("", "ConfigMap"),
    deployments: ofKind<IDeployment>("apps", "Deployment"),
    istioGateways: ofKind<IIstioGateway>("networking.istio.io", "Gateway"),
    virtualServices: ofKind<IVirtualService>("networking.istio.io", "VirtualService"),
    destinationRules: ofKind<IDestinationRule>("networking.istio.io", "DestinationRule"),
    podDisruptionBudgets: ofKind<IPodDisruptionBudget>("policy", "PodDisruptionBudget"),
    peerAuthentications: ofKind<IPeerAuthentication>("security.istio.io", "PeerAuthentication"),
    authorizationPolicies: ofKind<IAuthorizationPolicy>("security.istio.io", "AuthorizationPolicy"),
    requestAuthentications: ofKind<IRequestAuthentication>("security.istio.io", "RequestAuthentication"),
    gatewayApiGateways: ofKind<IGatewayApiGateway>(GATEWAY_API_GROUP, "Gateway"),
    httpRoutes: ofKind<IHTTPRoute>(GATEWAY_API_GROUP, "HTTPRoute"),
    envoyFilters: ofKind<IEnvoyFilter>("networking.istio.io", "EnvoyFilter"),
    leftOut: (resources) => partial && resources.length === 0,
  };
}

export function selects(selector: Labels, labels: Labels): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

export function podLabels(deployment: Resource<IDeployment>): Labels {
  return deployment.object.spec?.template.metadata?.labels ?? {};
}

/** The Deployments whose pods a Service selects; none for a Service without a selector. */
export function backendsOf(inventory: Inventory, service: Resource<IService>): Resource<IDeployment>[] {
  const selector = service.object.spec?.selector;
  if (selector === undefined) return [];
  return inventory.deployments.filter(
    (deployment) => deployment.namespace === service.namespace && selects(selector, podLabels(deployment)),
  );
}

/** Whether an AuthorizationPolicy of the Deployment's namespace selects its pods. */
export function authorizationPolicySelects(inventory: Inventory, deployment: Resource<IDeployment>): boolean {
  return inventory.authorizationPolicies.some(
    (policy) =>
      policy.namespace === deployment.namespace &&
      selects(policy.object.spec?.selector?.matchLabels ?? {}, podLabels(deployment)),
  );
}

/**
 * Istio resolves a short host name (no dot) in the namespace of the resource that names it; any other
 * host is taken as written.
 */
export function qualifiedHost(host: string, namespace: string): string {
  return host.includes(".") ? host : `${host}.${namespace}.svc.cluster.local`;
}

/** A short host as qualifiedHost has it, and a `svc.ns` host as that Service's FQDN too. */
export function qualifiedServiceHost(host: string, namespace: string): string {
  return host.split(".").length === 2 ? `${host}.svc.cluster.local` : qualifiedHost(host, namespace);
}

/** The DestinationRules whose host, qualified by `qualify` in the rule's namespace, is `fqdn`. */
export function destinationRulesFor(
  inventory: Inventory,
  fqdn: string,
  qualify: (host: string, namespace: string) => string = qualifiedHost,
): Resource<IDestinationRule>[] {
  return inventory.destinationRules.filter(
    (rule) => qualify(rule.object.spec?.host ?? "", rule.namespace) === fqdn,
  );
}

export function formatLabels(labels: Labels): string {
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(", ");
}

/** Pods opt out of the sidecar with the label (or the older annotation) `sidecar.istio.io/inject: "false"`. */
export function optsOutOfSidecar(deployment: Resource<IDeployment>): boolean {
  const metadata = deployment.object.spec?.template.metadata;
  return (
    metadata?.labels?.["sidecar.istio.io/inject"] === "false" ||
    metadata?.annotations?.["sidecar.istio.io/inject"] === "false"
  );
}

export function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** The Service a host names, resolved from `namespace` as Istio resolves it. */
export function serviceForHost(
  inventory: Inventory,
  host: string,
  namespace: string,
): Resource<IService> | undefined {
  const fqdn = qualifiedHost(host, namespace);
  return inventory.services.find(
    (service) => `${service.name}.${service.namespace}.svc.cluster.local` === fqdn,
  );
}

/** A host as written, with its fully qualified form when that differs. */
export function describeHost(host: string, namespace: string): string {
  const fqdn = qualifiedHost(host, namespace);
  return fqdn === host ? host : `${host} (${fqdn})`;
}

/** The route lists of a VirtualService. */
export const ROUTE_KINDS = ["http", "tcp", "tls"] as const;
