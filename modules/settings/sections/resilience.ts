/**
 * Resilience at the edge: the shopfront route's timeout, retries, fault injection and mirroring, and
 * the ingress gateway's rate limit. Every one is unset by default, which keeps the routes of
 * manifests/ as they are (docs/resilience.md).
 */
import { optional, pattern, section, setting } from "../kinds";

/**
 * A duration both routing APIs read alike: a whole number of ms, s or m (the Gateway API's duration,
 * GEP-2257, and a Go duration for Istio), never 0, which turns a timeout off.
 */
const DURATION = /^[1-9]\d{0,4}(ms|s|m)$/;
const DURATION_FORM = "a duration in whole ms, s or m, such as 500ms, 3s or 2m (not 0)";

export const RESILIENCE = section("Resilience", {
  SHOPFRONT_TIMEOUT: setting(optional(pattern(DURATION, DURATION_FORM)), {
    field: "timeout",
    description:
      "Timeout of the shopfront's route, its retries included: the VirtualService's `timeout` (ROUTING_API=istio) or the HTTPRoute's `timeouts.request` (gateway-api). Past it the gateway answers 504.",
    default: { text: "unset: the route's own in manifests/ (4s)", value: undefined },
    example: "3s",
    malformed: ["0s", "3", "1.5s", "3 s", "3h", "100000s"],
  }),
});
