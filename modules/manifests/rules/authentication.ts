/**
 * Request authentication: the pieces of JWT validation agree. A request has a principal only where a
 * RequestAuthentication validated its token, so an AuthorizationPolicy that matches on request
 * principals needs one for the same workload, and an issuer it names must be one that RequestAuthentication
 * accepts; otherwise every request is treated as one without a token. And signing keys are fetched
 * over https only.
 */

import { GATEWAY_CLASSES } from "../../mesh/mesh-variant";
import { type Finding, finding } from "../finding";
import {
  GATEWAY_API_GROUP,
  type IAuthorizationPolicy,
  type Inventory,
  type IRequestAuthentication,
  type Labels,
  type Resource,
  selects,
} from "../inventory";

/** Istio's root namespace: a policy there with no selector applies to the whole mesh. */
const ROOT_NAMESPACE = "istio-system";

/** The label istiod gives the pods of a Gateway API Gateway, with its name. */
const GATEWAY_NAME_LABEL = `${GATEWAY_API_GROUP}/gateway-name`;

interface TargetRef {
  readonly group?: string;
  readonly kind: string;
  readonly name: string;
}

/** Where a policy applies: its namespace and its selector or targets, as both kinds write them. */
interface Attachment {
  readonly namespace: string;
  readonly selector?: Labels;
  readonly targetRefs: readonly TargetRef[];
}

function attachmentOf(
  resource: Resource<IAuthorizationPolicy> | Resource<IRequestAuthentication>,
): Attachment {
  const spec = resource.object.spec ?? {};
  return {
    namespace: resource.namespace,
    selector: spec.selector?.matchLabels,
    targetRefs: [...(spec.targetRefs ?? []), ...(spec.targetRef ? [spec.targetRef] : [])],
  };
}

const isGatewayRef = (ref: TargetRef) => ref.kind === "Gateway" && (ref.group ?? "") === GATEWAY_API_GROUP;

/**
 * The labels a policy's workload is known to carry: its selector's, or those istiod gives a Gateway's
 * pods when it targets one.
 */
function knownLabels(attachment: Attachment): Labels[] {
  if (attachment.selector !== undefined) return [attachment.selector];
  return attachment.targetRefs.filter(isGatewayRef).map((ref) => ({ [GATEWAY_NAME_LABEL]: ref.name }));
}

/** Whether a RequestAuthentication applies to the workload that `policy` applies to. */
function covers(authentication: Attachment, policy: Attachment): boolean {
  const rootWide = authentication.namespace === ROOT_NAMESPACE;
  if (!rootWide && authentication.namespace !== policy.namespace) return false;
  const { selector, targetRefs } = authentication;
  if (targetRefs.length > 0) {
    if (authentication.namespace !== policy.namespace) return false;
    return targetRefs.some(
      (ref) =>
        policy.targetRefs.some((other) => other.kind === ref.kind && other.name === ref.name) ||
        (isGatewayRef(ref) && knownLabels(policy).some((labels) => labels[GATEWAY_NAME_LABEL] === ref.name)),
    );
  }
  // No selector: every workload of its namespace, or of the mesh from the root namespace.
  if (selector === undefined || Object.keys(selector).length === 0) return true;
  return knownLabels(policy).some((labels) => selects(selector, labels));
}

/** The principal patterns of a policy's rules, each with its field path and whether it is a negation. */
function principalPatterns(policy: Resource<IAuthorizationPolicy>) {
  const patterns: { field: (string | number)[]; negated: boolean; values: readonly string[] }[] = [];
  (policy.object.spec?.rules ?? []).forEach((rule, ruleIndex) => {
    (rule.from ?? []).forEach((from, fromIndex) => {
      const source = from.source ?? {};
      const at = ["spec", "rules", ruleIndex, "from", fromIndex, "source"];
      if (source.requestPrincipals !== undefined) {
        patterns.push({
          field: [...at, "requestPrincipals"],
          negated: false,
          values: source.requestPrincipals,
        });
      }
      if (source.notRequestPrincipals !== undefined) {
        patterns.push({
          field: [...at, "notRequestPrincipals"],
          negated: true,
          values: source.notRequestPrincipals,
        });
      }
    });
  });
  return patterns;
}

/**
 * Whether a principal pattern (Istio's exact, `prefix*`, `*suffix` or `*`) can match a principal
 * `<issuer>/<sub>` of `issuer`. A suffix pattern could match any issuer's.
 */
function canMatchIssuer(pattern: string, issuer: string): boolean {
  const prefix = `${issuer}/`;
  if (pattern.startsWith("*")) return true;
  if (pattern.endsWith("*")) {
    const start = pattern.slice(0, -1);
    return prefix.startsWith(start) || start.startsWith(prefix);
  }
  return pattern.startsWith(prefix) && pattern.length > prefix.length;
}

function issuersOf(authentications: readonly Resource<IRequestAuthentication>[]): string[] {
  return [
    ...new Set(
      authentications.flatMap((item) =>
        (item.object.spec?.jwtRules ?? []).flatMap((rule) =>
          rule.issuer === undefined ? [] : [rule.issuer],
        ),
      ),
    ),
  ];
}

export function checkRequestAuthentication(inventory: Inventory): Finding[] {
  const findings: Finding[] = [];
  for (const policy of inventory.authorizationPolicies) {
    const patterns = principalPatterns(policy);
    if (patterns.length === 0 || inventory.leftOut(inventory.requestAuthentications)) continue;
    const attachment = attachmentOf(policy);
    const covering = inventory.requestAuthentications.filter((item) =>
      covers(attachmentOf(item), attachment),
    );
    const outcome = (negated: boolean) =>
      negated
        ? "every request is denied, those with a valid token too"
        : "the rule admits no request, not even one with a valid token";
    if (covering.length === 0) {
      const [first] = patterns;
      findings.push(
        finding(
          policy.document,
          first.field,
          `matches on request principals, but no RequestAuthentication selects the same workload (in namespace ${policy.namespace}, or mesh-wide in ${ROOT_NAMESPACE}): no request has a principal there, so ${outcome(first.negated)}`,
        ),
      );
      continue;
    }
    const issuers = issuersOf(covering);
    for (const { field, negated, values } of patterns) {
      values.forEach((pattern, index) => {
        if (issuers.some((issuer) => canMatchIssuer(pattern, issuer))) return;
        findings.push(
          finding(
            policy.document,
            [...field, index],
            `${JSON.stringify(pattern)} names no issuer that the RequestAuthentications of this workload accept (${issuers.join(", ") || "none"}): no principal can match it, so ${outcome(negated)}`,
          ),
        );
      });
    }
  }
  for (const authentication of inventory.requestAuthentications) {
    (authentication.object.spec?.jwtRules ?? []).forEach((rule, index) => {
      const uri = rule.jwksUri ?? rule.jwks_uri;
      if (uri === undefined || uri.startsWith("https://")) return;
      findings.push(
        finding(
          authentication.document,
          ["spec", "jwtRules", index, rule.jwksUri === undefined ? "jwks_uri" : "jwksUri"],
          `is ${JSON.stringify(uri)}: istiod would fetch the signing keys without TLS, and whoever is on the path could replace them and sign any token; use https`,
        ),
      );
    });
  }
  return findings;
}

/**
 * Whether an AuthorizationPolicy applies to an ingress proxy: the gateway chart's pods (by
 * `ingressLabels`) or a Gateway API Gateway other than a waypoint. Such a policy governs who may
 * enter, not who may call the shopfront, and is checked here rather than by the shopfront's rules.
 */
export function appliesToIngress(
  inventory: Inventory,
  policy: Resource<IAuthorizationPolicy>,
  ingressLabels: Labels,
): boolean {
  const { selector, targetRefs } = attachmentOf(policy);
  if (selector !== undefined && Object.keys(selector).length > 0 && selects(selector, ingressLabels)) {
    return true;
  }
  return targetRefs.filter(isGatewayRef).some((ref) => {
    const gateway = inventory.gatewayApiGateways.find(
      (item) => item.namespace === policy.namespace && item.name === ref.name,
    );
    return gateway?.object.spec?.gatewayClassName !== GATEWAY_CLASSES.waypoint;
  });
}
