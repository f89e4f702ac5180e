/**
 * The resilience settings (modules/settings/sections/resilience.ts) written into the shopfront's
 * route, in either routing API: the VirtualService bound to the ingress Gateway, or the HTTPRoute.
 * Pure functions of the documents, as variants.ts is. What a routing API cannot express never gets
 * here: the settings refuse it (a fault or retries with the Gateway API).
 */
import { type ManifestDocument, SHOPFRONT_VIRTUAL_SERVICE } from "../manifests/model";
import { type RoutingApi, SHOPFRONT_HTTP_ROUTE, versionServiceName } from "../mesh/mesh-variant";
import {
  CONNECTION_FAILURES,
  type FaultAbort,
  type FaultDelay,
  type Mirror,
  type Retries,
} from "../settings/sections/resilience";
import type { ResilienceConfig } from "../settings/table";
import { isHttpRoute } from "./variants";

type Rule = Readonly<Record<string, unknown>>;

/** The route's resource, as errors name it. */
function routeName(routingApi: RoutingApi): string {
  return routingApi === "istio"
    ? `VirtualService/${SHOPFRONT_VIRTUAL_SERVICE}`
    : `HTTPRoute/${SHOPFRONT_HTTP_ROUTE}`;
}

/**
 * Returns the documents with `rewrite` applied to each HTTP rule of the shopfront's route that routes
 * traffic: the VirtualService's rules with a route (ROUTING_API=istio), the HTTPRoute's rules with
 * backends (gateway-api). Throws, naming what it looked for, when there is no such rule.
 */
export function withShopfrontRules(
  documents: readonly ManifestDocument[],
  routingApi: RoutingApi,
  rewrite: (rule: Rule, route: ManifestDocument) => Rule,
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
      return rewrite(rule, document);
    });
    return { ...document, object: { ...document.object, spec: { ...spec, [field]: rules } } };
  });
  if (rewritten === 0) {
    throw new Error(
      `cannot apply the resilience settings: no ${routeName(routingApi)} with a rule that routes traffic`,
    );
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

/**
 * SHOPFRONT_RETRIES on the VirtualService: its attempts, and its per-try timeout when given; the
 * conditions stay the route's (connection failures only, CONNECTION_FAILURES when it has none).
 * 0 attempts turn retries off: `retries: {attempts: 0}`, so Istio's default policy does not apply.
 */
export function withRouteRetries(
  documents: readonly ManifestDocument[],
  retries: Retries,
): ManifestDocument[] {
  return withShopfrontRules(documents, "istio", (rule) => {
    if (retries.attempts === 0) return { ...rule, retries: { attempts: 0 } };
    const own = (rule.retries ?? {}) as Rule;
    return {
      ...rule,
      retries: {
        ...own,
        attempts: retries.attempts,
        ...(retries.perTryTimeout === undefined ? {} : { perTryTimeout: retries.perTryTimeout }),
        retryOn: own.retryOn ?? CONNECTION_FAILURES,
      },
    };
  });
}

/** Istio's percentage, as the VirtualService writes one. */
const percentage = (percent: number) => ({ value: percent });

/**
 * SHOPFRONT_FAULT_DELAY and SHOPFRONT_FAULT_ABORT on the VirtualService, which must be bound to the
 * ingress Gateway: a fault set on a route that only sidecars use would never touch ingress traffic.
 * Istio enables no timeout or retries on a route with faults, so the route carries neither (`timeout`
 * removed, `retries: {attempts: 0}` so that Istio's default retry policy does not apply either);
 * the settings refuse SHOPFRONT_TIMEOUT and SHOPFRONT_RETRIES beside a fault.
 */
export function withRouteFault(
  documents: readonly ManifestDocument[],
  fault: { readonly delay?: FaultDelay; readonly abort?: FaultAbort },
): ManifestDocument[] {
  return withShopfrontRules(documents, "istio", (rule, route) => {
    const gateways = ((route.object.spec as Rule).gateways ?? []) as string[];
    if (!gateways.some((gateway) => gateway !== "mesh")) {
      throw new Error(
        `cannot inject faults into ingress traffic: ${routeName("istio")} is bound to no ingress Gateway (gateways: ${gateways.join(", ") || "none"})`,
      );
    }
    const { timeout: _timeout, ...rest } = rule;
    return {
      ...rest,
      retries: { attempts: 0 },
      fault: {
        ...(fault.delay === undefined
          ? {}
          : { delay: { fixedDelay: fault.delay.delay, percentage: percentage(fault.delay.percent) } }),
        ...(fault.abort === undefined
          ? {}
          : { abort: { httpStatus: fault.abort.status, percentage: percentage(fault.abort.percent) } }),
      },
    };
  });
}

/** A share the Gateway API writes as a fraction (its `percent` is a whole number): per million. */
const MIRROR_DENOMINATOR = 1_000_000;

/**
 * SHOPFRONT_MIRROR on the shopfront's route: the VirtualService's `mirror` (the route's host, the
 * version's subset) and `mirrorPercentage`, or a RequestMirror filter on the HTTPRoute to the
 * version's Service with `percent` (a `fraction` for a share that is not a whole number), replacing
 * any RequestMirror the rule had.
 */
export function withRouteMirror(
  documents: readonly ManifestDocument[],
  mirror: Mirror,
  routingApi: RoutingApi,
): ManifestDocument[] {
  return withShopfrontRules(documents, routingApi, (rule) => {
    if (routingApi === "istio") {
      const [first] = rule.route as { destination?: { host?: string } }[];
      return {
        ...rule,
        mirror: { host: first.destination?.host, subset: mirror.version },
        mirrorPercentage: percentage(mirror.percent),
      };
    }
    const [first] = rule.backendRefs as { port?: number }[];
    const share = Number.isInteger(mirror.percent)
      ? { percent: mirror.percent }
      : {
          fraction: {
            numerator: Math.round((mirror.percent / 100) * MIRROR_DENOMINATOR),
            denominator: MIRROR_DENOMINATOR,
          },
        };
    const others = ((rule.filters ?? []) as { type?: string }[]).filter(
      (filter) => filter.type !== "RequestMirror",
    );
    const backendRef = {
      name: versionServiceName(mirror.version),
      ...(first.port === undefined ? {} : { port: first.port }),
    };
    return {
      ...rule,
      filters: [...others, { type: "RequestMirror", requestMirror: { backendRef, ...share } }],
    };
  });
}

/** Every resilience setting of the shopfront's route applied, in the routing API; none set, the documents as they are. */
export function withResilience(
  documents: readonly ManifestDocument[],
  resilience: ResilienceConfig,
  routingApi: RoutingApi,
): ManifestDocument[] {
  const { timeout, retries, faultDelay, faultAbort, mirror } = resilience;
  let result = [...documents];
  if (timeout !== undefined) result = withRouteTimeout(result, timeout, routingApi);
  if (retries !== undefined) result = withRouteRetries(result, retries);
  if (faultDelay !== undefined || faultAbort !== undefined) {
    result = withRouteFault(result, { delay: faultDelay, abort: faultAbort });
  }
  if (mirror !== undefined) result = withRouteMirror(result, mirror, routingApi);
  return result;
}
