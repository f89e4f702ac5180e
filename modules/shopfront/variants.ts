/**
 * Which manifests make the shopfront in each mesh variant, and how SHOPFRONT_WEIGHTS rewrites the
 * route that splits its traffic: pure functions of the documents, shared by the constructs, the
 * analyzer's command line and the tests.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { GATEWAY_API_GROUP } from "../manifests/inventory";
import {
  type ManifestDocument,
  manifestPathsIn,
  routeWeights,
  SHOPFRONT_VIRTUAL_SERVICE,
  withRouteWeights,
} from "../manifests/model";
import {
  GATEWAY_API_INGRESS,
  type MeshVariant,
  type RoutingApi,
  SHOPFRONT_HTTP_ROUTE,
  variantFolders,
  versionServiceName,
} from "../mesh/mesh-variant";
import { INGRESS_GATEWAY_PRINCIPAL, meshPrincipal } from "../settings/names";
import type { Weights } from "../settings/sections/shopfront";

/**
 * The manifest files of one variant, in `kubectl apply` order: the mesh-wide folder and its routing
 * API's folder (objects in istio-system, which istio-config-stack applies), then the shopfront's: the
 * data plane's folder (its Namespace first), the shared files, then the routing API's folder. Each
 * folder's .yaml files, sorted; a folder that does not exist adds nothing. The checks read them all.
 */
export function shopfrontManifestPaths(manifestsDir: string, variant: MeshVariant): string[] {
  return [
    ...meshWideManifestPaths(manifestsDir, variant),
    ...filesIn(shopfrontFolders(manifestsDir, variant)),
  ];
}

/** The mesh-wide files of one variant: `mesh/` and its routing API's folder, `mesh/routing-<api>/`. */
export function meshWideManifestPaths(manifestsDir: string, variant: MeshVariant): string[] {
  const folders = variantFolders(variant);
  const meshWide = join(manifestsDir, folders.meshWide);
  return filesIn([meshWide, join(meshWide, folders.routing)]);
}

function shopfrontFolders(manifestsDir: string, variant: MeshVariant): string[] {
  const folders = variantFolders(variant);
  return [join(manifestsDir, folders.meshMode), manifestsDir, join(manifestsDir, folders.routing)];
}

function filesIn(dirs: readonly string[]): string[] {
  return dirs.filter((dir) => existsSync(dir)).flatMap(manifestPathsIn);
}

/** The identity that the shopfront's AuthorizationPolicy admits: the ingress of the routing API. */
export function ingressPrincipal(routingApi: RoutingApi): string {
  return routingApi === "istio"
    ? INGRESS_GATEWAY_PRINCIPAL
    : meshPrincipal(GATEWAY_API_INGRESS.namespace, GATEWAY_API_INGRESS.serviceName);
}

interface BackendRef {
  readonly name?: string;
  readonly namespace?: string;
  readonly port?: number;
  readonly weight?: number;
}

interface HttpRouteSpec {
  readonly rules?: readonly { readonly backendRefs?: readonly BackendRef[] }[];
}

/** An object of the Gateway API's `kind`. */
function isGatewayApi(document: ManifestDocument, kind: string): boolean {
  return document.object.kind === kind && document.object.apiVersion.startsWith(`${GATEWAY_API_GROUP}/`);
}

/** A Gateway API Gateway, of class `className` when given (istiod's ingress or waypoint class). */
export function isGatewayApiGateway(document: ManifestDocument, className?: string): boolean {
  return (
    isGatewayApi(document, "Gateway") &&
    (className === undefined ||
      (document.object.spec as { gatewayClassName?: string } | undefined)?.gatewayClassName === className)
  );
}

/** The Gateway API HTTPRoute `name`. */
export function isHttpRoute(document: ManifestDocument, name: string): boolean {
  return isGatewayApi(document, "HTTPRoute") && document.object.metadata.name === name;
}

/** A backend's version: the `version` its Service selects, else the name after `shopfront-`. */
function versionOf(documents: readonly ManifestDocument[], route: ManifestDocument, ref: BackendRef): string {
  const namespace = ref.namespace ?? route.object.metadata.namespace;
  const service = documents.find(
    ({ object }) =>
      object.kind === "Service" &&
      object.metadata.name === ref.name &&
      object.metadata.namespace === namespace,
  );
  const selected = (service?.object.spec as { selector?: Record<string, unknown> } | undefined)?.selector
    ?.version;
  return typeof selected === "string" ? selected : String(ref.name).replace(/^shopfront-/, "");
}

/**
 * Version weights of the first rule of HTTPRoute `route` that has backends, as the Gateway API splits
 * them (an unweighted backend weighs 1). Undefined when there is no such route.
 */
export function httpRouteWeights(
  documents: readonly ManifestDocument[],
  route = SHOPFRONT_HTTP_ROUTE,
): Weights | undefined {
  const document = documents.find((candidate) => isHttpRoute(candidate, route));
  if (document === undefined) return undefined;
  const rule = ((document.object.spec ?? {}) as HttpRouteSpec).rules?.find(
    (candidate) => (candidate.backendRefs ?? []).length > 0,
  );
  if (rule === undefined) return undefined;
  return Object.fromEntries(
    (rule.backendRefs ?? []).map((ref) => [versionOf(documents, document, ref), ref.weight ?? 1]),
  );
}

/**
 * Returns the documents with the backends of HTTPRoute `route`'s rules replaced by one per entry of
 * `weights`, in its order: the version's Service (`shopfront-<version>`) on the port of the rule's
 * first backend, with that weight. The rule's other fields (matches, timeouts) stay. Throws if there
 * is no such route to rewrite.
 */
export function withHttpRouteWeights(
  documents: readonly ManifestDocument[],
  weights: Weights,
  route = SHOPFRONT_HTTP_ROUTE,
): ManifestDocument[] {
  let rewritten = 0;
  const result = documents.map((document) => {
    if (!isHttpRoute(document, route)) return document;
    const spec = (document.object.spec ?? {}) as HttpRouteSpec;
    const rules = (spec.rules ?? []).map((rule) => {
      const [first] = rule.backendRefs ?? [];
      if (first === undefined) return rule;
      rewritten++;
      return {
        ...rule,
        backendRefs: Object.entries(weights).map(([version, weight]) => ({
          name: versionServiceName(version),
          ...(first.port === undefined ? {} : { port: first.port }),
          weight,
        })),
      };
    });
    return { ...document, object: { ...document.object, spec: { ...spec, rules } } };
  });
  if (rewritten === 0) {
    throw new Error(`cannot set route weights: no HTTPRoute/${route} with a rule that has backends`);
  }
  return result;
}

/** The route whose weights split the shopfront's traffic in `routingApi`, as `Kind/name`. */
export function shopfrontRouteName(routingApi: RoutingApi): string {
  return routingApi === "istio"
    ? `VirtualService/${SHOPFRONT_VIRTUAL_SERVICE}`
    : `HTTPRoute/${SHOPFRONT_HTTP_ROUTE}`;
}

/** SHOPFRONT_WEIGHTS applied to the route that the routing API uses. */
export function withShopfrontWeights(
  documents: readonly ManifestDocument[],
  weights: Weights,
  routingApi: RoutingApi,
): ManifestDocument[] {
  return routingApi === "istio"
    ? withRouteWeights(documents, weights, SHOPFRONT_VIRTUAL_SERVICE)
    : withHttpRouteWeights(documents, weights);
}

/** The weight of each version on the route that the routing API uses; undefined without that route. */
export function shopfrontRouteWeights(
  documents: readonly ManifestDocument[],
  routingApi: RoutingApi,
): Weights | undefined {
  return routingApi === "gateway-api" ? httpRouteWeights(documents) : routeWeights(documents);
}
