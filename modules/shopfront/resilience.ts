/**
 * The resilience settings (modules/settings/sections/resilience.ts) written into the shopfront's
 * route, in either routing API: the VirtualService bound to the ingress Gateway, or the HTTPRoute.
 * Pure functions of the documents, as variants.ts is.
 */
import { type ManifestDocument, SHOPFRONT_VIRTUAL_SERVICE } from "../manifests/model";
import { type RoutingApi, SHOPFRONT_HTTP_ROUTE } from "../mesh/mesh-variant";
import { isHttpRoute } from "./variants";

type Rule = Readonly<Record<string, unknown>>;

/**
 * Returns the documents with `rewrite` applied to each HTTP rule of the shopfront's route that routes
 * traffic: the VirtualService's rules with a route (ROUTING_API=istio), the HTTPRoute's rules with
 * backends (gateway-api). Throws, naming what it looked for, when there is no such rule.
 */
export function withShopfrontRules(
  documents: readonly ManifestDocument[],
  routingApi: RoutingApi,
  rewrite: (rule: Rule) => Rule,
): ManifestDocument[] {
  const [field, routes] = routingApi === "istio" ? ["http", "route"] : ["rules", "backendRefs"];
  const isRoute = (document: ManifestDocument) =>
    routingApi === "istio"
      ? document.object.kind === "VirtualService" &&
        document.object.metadata.name === SHOPFRONT_VIRTUAL_SERVICE
      : isHttpRoute(document, SHOPFRONT_HTTP_ROUTE);
  let rewritten = 0;
  const result = documents.map((document) => {
    if (!isRoute(document)) return document;
    const spec = (document.object.spec ?? {}) as Rule;
    const rules = ((spec[field] ?? []) as Rule[]).map((rule) => {
      if (((rule[routes] ?? []) as unknown[]).length === 0) return rule;
      rewritten++;
      return rewrite(rule);
    });
    return { ...document, object: { ...document.object, spec: { ...spec, [field]: rules } } };
  });
  if (rewritten === 0) {
    const route =
      routingApi === "istio"
        ? `VirtualService/${SHOPFRONT_VIRTUAL_SERVICE}`
        : `HTTPRoute/${SHOPFRONT_HTTP_ROUTE}`;
    throw new Error(`cannot apply the resilience settings: no ${route} with a rule that routes traffic`);
  }
  return result;
}

/**
 * SHOPFRONT_TIMEOUT on the shopfront's route: the VirtualService rules' `timeout`, or the HTTPRoute
 * rules' `timeouts.request` (standard since Gateway API v1.2), each bounding a request, retries included.
 */
export function withRouteTimeout(
  documents: readonly ManifestDocument[],
  timeout: string,
  routingApi: RoutingApi,
): ManifestDocument[] {
  return withShopfrontRules(documents, routingApi, (rule) =>
    routingApi === "istio"
      ? { ...rule, timeout }
      : { ...rule, timeouts: { ...(rule.timeouts as Rule | undefined), request: timeout } },
  );
}
