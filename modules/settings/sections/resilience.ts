/**
 * Resilience at the edge: the shopfront route's timeout, retries, fault injection and mirroring, and
 * the ingress gateway's rate limit. Every one is unset by default, which keeps the routes of
 * manifests/ as they are (docs/resilience.md).
 */
import { section } from "../kinds";

export const RESILIENCE = section("Resilience", {});
