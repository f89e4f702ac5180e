/**
 * INGRESS_RATE_LIMIT: the EnvoyFilter of manifests/resilience/ingress-rate-limit.yaml, which puts
 * Envoy's local rate limit on the ingress gateway's pods, with the setting's token bucket and the
 * selector of the routing API's gateway pods. A mesh-wide object (istio-system): istio-config-stack
 * applies it. Pure functions of the documents.
 */
import { join } from "node:path";
import { type ManifestDocument, parseManifests, readManifestFiles } from "../manifests/model";
import { GATEWAY_API_INGRESS, type RoutingApi } from "../mesh/mesh-variant";
import { INGRESS_GATEWAY_LABELS } from "../settings/names";
import type { RateLimit } from "../settings/sections/resilience";
import { GATEWAY_NAME_LABEL } from "./ingress";

/** The file under manifests/ that holds the rate limit's EnvoyFilter. */
export const RATE_LIMIT_FILE = join("resilience", "ingress-rate-limit.yaml");

/** The Envoy filter the EnvoyFilter inserts. */
export const LOCAL_RATE_LIMIT_FILTER = "envoy.filters.http.local_ratelimit";

/** The labels of the ingress gateway's pods: the chart's, or those istiod gives the Gateway API Gateway's. */
export function ingressGatewayPodLabels(routingApi: RoutingApi): Readonly<Record<string, string>> {
  return routingApi === "istio"
    ? { istio: INGRESS_GATEWAY_LABELS.istio }
    : { [GATEWAY_NAME_LABEL]: GATEWAY_API_INGRESS.name };
}

/** Envoy's token bucket for a limit: `requests` tokens, all of them refilled each second or minute. */
export function tokenBucket(limit: RateLimit) {
  return {
    max_tokens: limit.requests,
    tokens_per_fill: limit.requests,
    fill_interval: limit.per === "s" ? "1s" : "60s",
  };
}

interface Patch {
  readonly patch?: {
    readonly value?: { readonly name?: string; readonly typed_config?: Record<string, unknown> };
  };
}

/**
 * The rate limit's EnvoyFilter from `manifestsDir`'s RATE_LIMIT_FILE, with `limit`'s token bucket and
 * the routing API's gateway pods selected. Throws, naming the file, when it holds no EnvoyFilter
 * patch of the local rate limit filter.
 */
export function ingressRateLimit(
  manifestsDir: string,
  limit: RateLimit,
  routingApi: RoutingApi,
): ManifestDocument[] {
  const file = join(manifestsDir, RATE_LIMIT_FILE);
  const { documents } = parseManifests(readManifestFiles([file]));
  let limited = 0;
  const result = documents.map((document) => {
    if (document.object.kind !== "EnvoyFilter") return document;
    const spec = (document.object.spec ?? {}) as { configPatches?: Patch[] };
    const configPatches = (spec.configPatches ?? []).map((patch) => {
      const value = patch.patch?.value;
      if (value?.name !== LOCAL_RATE_LIMIT_FILTER) return patch;
      limited++;
      return {
        ...patch,
        patch: {
          ...patch.patch,
          value: { ...value, typed_config: { ...value.typed_config, token_bucket: tokenBucket(limit) } },
        },
      };
    });
    return {
      ...document,
      object: {
        ...document.object,
        spec: { ...spec, workloadSelector: { labels: ingressGatewayPodLabels(routingApi) }, configPatches },
      },
    };
  });
  if (limited === 0) {
    throw new Error(
      `cannot set INGRESS_RATE_LIMIT: ${file} has no EnvoyFilter patch of ${LOCAL_RATE_LIMIT_FILTER}`,
    );
  }
  return result;
}
