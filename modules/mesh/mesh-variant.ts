/**
 * The four ways this project runs the shopfront: a data plane (MESH_MODE) times a routing API
 * (ROUTING_API). What each choice names (folders of manifests/, labels, the ingress and its identity)
 * is declared here once, for the constructs, the manifest checks and the tests.
 */

import { MESH_MODES, type MeshMode, ROUTING_APIS, type RoutingApi } from "../settings/sections/istio";

export { MESH_MODES, type MeshMode, ROUTING_APIS, type RoutingApi };

export interface MeshVariant {
  readonly meshMode: MeshMode;
  readonly routingApi: RoutingApi;
}

/** The walkthrough's combination, and the default of every prop that takes a variant. */
export const DEFAULT_MESH_VARIANT: MeshVariant = { meshMode: "sidecar", routingApi: "istio" };

/** Every combination, for tests and docs. */
export const MESH_VARIANTS: readonly MeshVariant[] = MESH_MODES.flatMap((meshMode) =>
  ROUTING_APIS.map((routingApi) => ({ meshMode, routingApi })),
);

/** The labels that enrol a namespace (or pod) in ambient mode and point it at a waypoint. */
export const MESH_LABELS = {
  dataplaneMode: "istio.io/dataplane-mode",
  useWaypoint: "istio.io/use-waypoint",
  useWaypointNamespace: "istio.io/use-waypoint-namespace",
} as const;

/** The Gateway API classes that istiod implements: an ingress or egress proxy, and a waypoint. */
export const GATEWAY_CLASSES = { ingress: "istio", waypoint: "istio-waypoint" } as const;

/** The HTTPRoute whose weights SHOPFRONT_WEIGHTS sets with ROUTING_API=gateway-api. */
export const SHOPFRONT_HTTP_ROUTE = "shopfront";

/** The Service that selects one version's pods: the HTTPRoute's backends. */
export function versionServiceName(version: string): string {
  return `shopfront-${version}`;
}

/**
 * The Gateway API ingress (manifests/mesh/routing-gateway-api/shopfront-gateway.yaml): istiod names the
 * Deployment, Service and ServiceAccount it deploys for a Gateway `<name>-<class>`.
 */
const GATEWAY_API_INGRESS_NAME = "shopfront-gateway";
export const GATEWAY_API_INGRESS = {
  name: GATEWAY_API_INGRESS_NAME,
  namespace: "istio-system",
  serviceName: `${GATEWAY_API_INGRESS_NAME}-${GATEWAY_CLASSES.ingress}`,
} as const;

/**
 * Where manifests/ keeps what one data plane or one routing API needs, beside the shared files; and
 * the folder of the mesh-wide objects (istio-system), which has a routing folder of its own.
 */
export function variantFolders(variant: MeshVariant): {
  readonly meshMode: string;
  readonly routing: string;
  readonly meshWide: string;
} {
  return { meshMode: variant.meshMode, routing: `routing-${variant.routingApi}`, meshWide: "mesh" };
}
