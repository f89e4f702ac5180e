/**
 * End-user authentication at the ingress, from the JWT settings: the objects that have the ingress
 * gateway validate the issuer's tokens and tell the shopfront who the user is. They are built from
 * the settings rather than read from manifests/ (the issuer, key set and audiences are the user's),
 * and join the mesh-wide objects: they live in istio-system beside the ingress they select, and
 * istio-config-stack applies them (docs/security.md says why).
 *
 * The target is the proxy that terminates ingress traffic, in both data planes: the gateway chart's
 * Envoy (ROUTING_API=istio), selected by its labels, or the Envoy istiod deploys for the Gateway API
 * Gateway, selected by `targetRefs` to that Gateway. In ambient mode it is still that Envoy, not the
 * namespace's waypoint, which the ingress bypasses (docs/security.md).
 */

import { GATEWAY_API_GROUP } from "../manifests/inventory";
import type { ManifestDocument } from "../manifests/model";
import { GATEWAY_STATUS_PORT } from "../mesh/ingress-load-balancer";
import { GATEWAY_API_INGRESS, type RoutingApi } from "../mesh/mesh-variant";
import { type Env, loadConfig } from "../settings/load";
import { INGRESS_GATEWAY_LABELS } from "../settings/names";
import {
  AUTHENTICATION,
  type JwtAuthentication,
  jwtAuthentication,
} from "../settings/sections/authentication";

/** Where findings on these objects say they come from: the settings, not a file of manifests/. */
export const JWT_SETTINGS_SOURCE = "JWT_* settings";

/** The names of the objects, in the ingress's namespace. */
export const JWT_OBJECTS = {
  requestAuthentication: "shopfront-jwt",
  /** JWT_REQUIRED=true: requests without the issuer's valid token are denied. */
  requireToken: "shopfront-require-jwt",
  /** JWT_REQUIRED=false: requests without a token may not name a user in USER_HEADER. */
  guardUserHeader: "shopfront-jwt-user-header",
} as const;

/**
 * The header that carries a validated token's `sub` to the shopfront. Envoy sets it from the token,
 * overwriting one the client sent; a request without a token cannot send it (guardUserHeader).
 */
export const USER_HEADER = "x-jwt-sub";

/** Where the chart's ingress gateway runs (istio-stack): Istio's root namespace. */
const CHART_INGRESS_NAMESPACE = "istio-system";

/** The selector (chart) or target (Gateway API) of the proxy that terminates ingress traffic, and its namespace. */
function ingressTarget(routingApi: RoutingApi): { namespace: string; spec: Record<string, unknown> } {
  if (routingApi === "istio") {
    return {
      namespace: CHART_INGRESS_NAMESPACE,
      spec: { selector: { matchLabels: { ...INGRESS_GATEWAY_LABELS } } },
    };
  }
  return {
    namespace: GATEWAY_API_INGRESS.namespace,
    spec: { targetRefs: [{ group: GATEWAY_API_GROUP, kind: "Gateway", name: GATEWAY_API_INGRESS.name }] },
  };
}

/**
 * The JWT settings of `env`, read and checked as synth reads them, for the tools that compare a mesh
 * with them; undefined without JWT_ISSUER. Only these settings are read: another setting's mistake is
 * not this reader's to refuse. Throws ConfigError.
 */
export function jwtSettingsOf(env: Env): JwtAuthentication | undefined {
  const names = Object.keys(AUTHENTICATION.settings);
  const own = Object.fromEntries(Object.entries(env).filter(([name]) => names.includes(name)));
  return jwtAuthentication(loadConfig(own).authentication);
}

/** Principals of tokens from `issuer`: Istio's request principal is `<iss>/<sub>`. */
export function issuerPrincipals(issuer: string): string {
  return `${issuer}/*`;
}

function document(object: ManifestDocument["object"], index: number): ManifestDocument {
  return { file: JWT_SETTINGS_SOURCE, index, object };
}

/**
 * The RequestAuthentication and the AuthorizationPolicy of the JWT settings for the routing API's
 * ingress. The policy denies, so that no ALLOW policy elsewhere can open what it closes, requests
 * whose principal is not one of the issuer's (every request without a valid token): all of them when
 * tokens are required, those that name a user in USER_HEADER when not. The status port is left out
 * of its rule: Envoy answers readiness there from a bootstrap listener that policies do not reach
 * today, and the rule says so should that change.
 */
export function ingressAuthentication(
  authentication: JwtAuthentication,
  routingApi: RoutingApi,
): ManifestDocument[] {
  // Called for each object: the two share no part of their specs.
  const target = () => ingressTarget(routingApi).spec;
  const { namespace } = ingressTarget(routingApi);
  const jwtRule = {
    issuer: authentication.issuer,
    ...(authentication.jwksUri === undefined ? {} : { jwksUri: authentication.jwksUri }),
    ...(authentication.audiences.length === 0 ? {} : { audiences: [...authentication.audiences] }),
    outputClaimToHeaders: [{ header: USER_HEADER, claim: "sub" }],
  };
  const withoutPrincipal = { source: { notRequestPrincipals: [issuerPrincipals(authentication.issuer)] } };
  const rule = authentication.required
    ? { from: [withoutPrincipal], to: [{ operation: { notPorts: [String(GATEWAY_STATUS_PORT)] } }] }
    : { from: [withoutPrincipal], when: [{ key: `request.headers[${USER_HEADER}]`, values: ["*"] }] };
  return [
    document(
      {
        apiVersion: "security.istio.io/v1",
        kind: "RequestAuthentication",
        metadata: { name: JWT_OBJECTS.requestAuthentication, namespace },
        spec: { ...target(), jwtRules: [jwtRule] },
      },
      0,
    ),
    document(
      {
        apiVersion: "security.istio.io/v1",
        kind: "AuthorizationPolicy",
        metadata: {
          name: authentication.required ? JWT_OBJECTS.requireToken : JWT_OBJECTS.guardUserHeader,
          namespace,
        },
        spec: { ...target(), action: "DENY", rules: [rule] },
      },
      1,
    ),
  ];
}
