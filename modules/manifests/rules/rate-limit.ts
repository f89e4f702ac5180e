/**
 * The ingress's local rate limit (INGRESS_RATE_LIMIT, manifests/resilience/ingress-rate-limit.yaml):
 * an EnvoyFilter that puts Envoy's local_ratelimit filter on gateway pods does limit, and limits the
 * ingress gateway. Envoy's own rules (its local rate limit reference): a filter-wide token bucket with
 * a fill interval of at least 50 ms, and `filter_enabled` and `filter_enforced`, which default to 0%.
 */

import { GATEWAY_CLASSES } from "../../mesh/mesh-variant";
import { type Finding, finding } from "../finding";
import { GATEWAY_API_GROUP, type Inventory, type Labels, selects } from "../inventory";
import { goDurationMs } from "./route-policies";

/** The Envoy filter that limits requests in each proxy. */
const LOCAL_RATE_LIMIT = "envoy.filters.http.local_ratelimit";

/** Envoy refuses a token bucket refilled more often. */
const MIN_FILL_INTERVAL_MS = 50;

interface LocalRateLimit {
  readonly token_bucket?: { readonly max_tokens?: number; readonly fill_interval?: string };
  readonly filter_enabled?: { readonly default_value?: { readonly numerator?: number } };
  readonly filter_enforced?: { readonly default_value?: { readonly numerator?: number } };
}

interface ConfigPatch {
  readonly applyTo?: string;
  readonly match?: { readonly context?: string };
  readonly patch?: { readonly value?: { readonly name?: string; readonly typed_config?: LocalRateLimit } };
}

/**
 * Every EnvoyFilter patch that inserts local_ratelimit into a gateway's HTTP filters: its token bucket
 * is set, holds tokens and refills no faster than Envoy allows; it is enabled and enforced for every
 * request; and its workloadSelector picks the pods of the ingress gateway: those istiod deploys for the
 * Gateway API ingress Gateway of the manifests, or, without one, the chart's (`ingressGatewayLabels`).
 */
export function checkRateLimits(inventory: Inventory, ingressGatewayLabels: Labels): Finding[] {
  // With a Gateway API ingress in the manifests, the chart's gateway is not deployed (istio-stack).
  const gatewayApiIngresses = inventory.gatewayApiGateways
    .filter((gateway) => gateway.object.spec?.gatewayClassName === GATEWAY_CLASSES.ingress)
    .map((gateway) => ({ [`${GATEWAY_API_GROUP}/gateway-name`]: gateway.name }));
  const gatewayPods: Labels[] = gatewayApiIngresses.length > 0 ? gatewayApiIngresses : [ingressGatewayLabels];
  return inventory.envoyFilters.flatMap((filter) => {
    const spec = filter.object.spec ?? {};
    const patches = ((spec.configPatches ?? []) as ConfigPatch[])
      .map((patch, index) => ({ patch, index }))
      .filter(
        ({ patch }) => patch.applyTo === "HTTP_FILTER" && patch.patch?.value?.name === LOCAL_RATE_LIMIT,
      );
    const findings: Finding[] = [];
    for (const { patch, index } of patches) {
      const at = (...field: string[]) => [
        "spec",
        "configPatches",
        index,
        "patch",
        "value",
        "typed_config",
        ...field,
      ];
      const config = patch.patch?.value?.typed_config ?? {};
      const bucket = config.token_bucket;
      if (bucket === undefined) {
        findings.push(
          finding(
            filter.document,
            at("token_bucket"),
            "is missing: without a bucket of its own or a route's, the filter limits nothing",
          ),
        );
      } else {
        if ((bucket.max_tokens ?? 0) < 1) {
          findings.push(
            finding(
              filter.document,
              at("token_bucket", "max_tokens"),
              `is ${bucket.max_tokens ?? "missing"}: an empty bucket refuses every request (429)`,
            ),
          );
        }
        const fill = goDurationMs(bucket.fill_interval ?? "");
        if (!(fill >= MIN_FILL_INTERVAL_MS)) {
          findings.push(
            finding(
              filter.document,
              at("token_bucket", "fill_interval"),
              `is ${JSON.stringify(bucket.fill_interval)}: Envoy refuses a fill interval under ${MIN_FILL_INTERVAL_MS}ms`,
            ),
          );
        }
      }
      for (const field of ["filter_enabled", "filter_enforced"] as const) {
        const numerator = config[field]?.default_value?.numerator ?? 0;
        if (numerator >= 100) continue;
        findings.push(
          finding(
            filter.document,
            at(field),
            `applies to ${numerator}% of requests (Envoy's default is 0%): ${field === "filter_enabled" ? "the filter skips the rest" : "the filter counts the rest but lets them through"}; set default_value to 100/HUNDRED`,
            "warning",
          ),
        );
      }
    }
    const gatewayPatch = patches.some(({ patch }) => patch.match?.context === "GATEWAY");
    const selector = spec.workloadSelector?.labels ?? {};
    if (gatewayPatch && !gatewayPods.some((labels) => selects(selector, labels))) {
      const known = gatewayPods
        .map((labels) =>
          Object.entries(labels)
            .map(([k, v]) => `${k}=${v}`)
            .join(", "),
        )
        .join("; ");
      findings.push(
        finding(
          filter.document,
          ["spec", "workloadSelector", "labels"],
          `select no ingress gateway's pods (${known}): the rate limit limits nothing at the edge`,
        ),
      );
    }
    return findings;
  });
}
