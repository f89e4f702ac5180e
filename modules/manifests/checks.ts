/**
 * An offline `istioctl analyze` for the shopfront's manifests: every object is validated against its
 * kind's upstream schema (./schemas.ts), then checked against the others for the mistakes that deploy
 * fine and break traffic, and for the security and resilience settings the shopfront must keep (mutual
 * TLS, authorization, request authentication, timeouts, retries, circuit breakers, disruption
 * budgets), and the resilience fields' misuse (faults, mirrors, the ingress rate limit). Needs no
 * cluster.
 */

import { INGRESS_GATEWAY_LABELS, INGRESS_GATEWAY_PRINCIPAL } from "../settings/names";
import type { Finding } from "./finding";
import { inventoryOf } from "./inventory";
import type { ManifestDocument } from "./model";
import { checkRequestAuthentication } from "./rules/authentication";
import { checkMeshVariants } from "./rules/mesh-variants";
import { checkDuplicates, checkNames } from "./rules/objects";
import { checkRateLimits } from "./rules/rate-limit";
import { checkCircuitBreakers, checkDisruptionBudgets, checkRouteResilience } from "./rules/resilience";
import { checkHttpRoutePolicies, checkRoutePolicies } from "./rules/route-policies";
import { checkDestinationRules, checkGatewaySelectors, checkVirtualServices } from "./rules/routing";
import { checkAuthorizationPolicies, checkMutualTls } from "./rules/security";
import { checkDeploymentSelectors, checkServices, checkSidecarInjection } from "./rules/workloads";
import { checkSchema } from "./schemas";

export interface CheckOptions {
  /** Labels of the ingress gateway pods, which every Gateway must select. @default INGRESS_GATEWAY_LABELS */
  readonly ingressGatewayLabels?: Readonly<Record<string, string>>;
  /**
   * The only principal that AuthorizationPolicies may admit: the ingress gateway's identity.
   * @default INGRESS_GATEWAY_PRINCIPAL
   */
  readonly ingressGatewayPrincipal?: string;
  /**
   * The documents are some of the manifests (`npm run analyze` on chosen files): a reference to a kind
   * that none of them defines is not checked, since its file was left out. @default false
   */
  readonly partial?: boolean;
}

/**
 * Checks the documents. Cross-resource rules run only once every object passes its schema, since
 * a rule reading a malformed object would report confusing follow-on errors.
 */
export function checkManifests(
  documents: readonly ManifestDocument[],
  options: CheckOptions = {},
): Finding[] {
  // Each object on its own (schema, name, uniqueness), all errors: the rest needs them fixed first.
  const objectFindings = [
    ...documents.flatMap(checkSchema),
    ...checkNames(documents),
    ...checkDuplicates(documents),
  ];
  if (objectFindings.length > 0) return objectFindings;
  const inventory = inventoryOf(documents, options.partial ?? false);
  const ingressGatewayLabels = options.ingressGatewayLabels ?? INGRESS_GATEWAY_LABELS;
  const ingressGatewayPrincipal = options.ingressGatewayPrincipal ?? INGRESS_GATEWAY_PRINCIPAL;
  return [
    ...checkDeploymentSelectors(inventory),
    ...checkSidecarInjection(inventory),
    ...checkServices(inventory),
    ...checkGatewaySelectors(inventory, ingressGatewayLabels),
    ...checkVirtualServices(inventory),
    ...checkDestinationRules(inventory),
    ...checkMutualTls(inventory),
    ...checkAuthorizationPolicies(inventory, ingressGatewayPrincipal, ingressGatewayLabels),
    ...checkRequestAuthentication(inventory),
    ...checkRouteResilience(inventory),
    ...checkRoutePolicies(inventory),
    ...checkHttpRoutePolicies(inventory),
    ...checkRateLimits(inventory, ingressGatewayLabels),
    ...checkCircuitBreakers(inventory),
    ...checkDisruptionBudgets(inventory),
    ...checkMeshVariants(inventory, ingressGatewayPrincipal),
  ];
}
