/**
 * The resilience fields of the routes (docs/resilience.md), as Istio and the installed Gateway API
 * read them: fault injection and its clash with timeouts and retries, mirrors and their targets,
 * shares over 100%, retries that cannot fit their timeout, and HTTPRoute fields that the standard
 * channel the project installs does not have. The schemas check each field's type; these rules check
 * what the schemas cannot: another object named, two fields together, a CEL rule of the CRD.
 */
import { VERSIONS } from "../../settings/versions";
import { type Finding, finding } from "../finding";
import {
  describeHost,
  destinationRulesFor,
  type Inventory,
  qualifiedHost,
  type Resource,
  serviceForHost,
} from "../inventory";

/** Milliseconds in an Istio (Go) duration such as `1s`, `500ms`, `1.5s` or `1m30s`; NaN for any other text. */
export function goDurationMs(text: string): number {
  const units: Record<string, number> = {
    h: 3_600_000,
    m: 60_000,
    s: 1000,
    ms: 1,
    us: 1e-3,
    µs: 1e-3,
    ns: 1e-6,
  };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join("") !== text) return Number.NaN;
  return parts.reduce((sum, [, value, unit]) => sum + Number(value) * units[unit], 0);
}

/** A share of requests: at most 100 (an error past it), and more than 0 (a warning: 0 does nothing). */
function shareProblem(
  value: number | undefined,
  what: string,
): { message: string; severity: Finding["severity"] } | undefined {
  if (value === undefined) return undefined;
  if (value > 100)
    return { message: `is ${value}: ${what} cannot exceed 100% of requests`, severity: "error" };
  if (value <= 0) {
    return {
      message: `is ${value}: ${what} of 0% does nothing; remove it, or give a share above 0`,
      severity: "warning",
    };
  }
  return undefined;
}

interface Destination {
  readonly host?: string;
  readonly subset?: string;
}

interface HttpRule {
  readonly timeout?: string;
  readonly retries?: { readonly attempts?: number; readonly perTryTimeout?: string };
  readonly fault?: {
    readonly delay?: { readonly percentage?: { readonly value?: number } };
    readonly abort?: { readonly httpStatus?: number; readonly percentage?: { readonly value?: number } };
  };
  readonly mirror?: Destination;
  readonly mirrorPercentage?: { readonly value?: number };
}

/** Istio's rule for a route with a fault, as the findings quote it. */
const FAULT_RULE =
  'Istio enables no timeout or retries on a route with faults ("timeouts or retries will not be enabled when faults are enabled", VirtualService reference): an injected delay is not cut by the timeout, an injected abort is never retried';

/**
 * The VirtualServices' faults, mirrors and retries: a fault sets a delay or an abort with a share
 * from 0 to 100 and comes without a timeout or retries, and reaches ingress traffic only on a route
 * bound to a Gateway; a mirror names a Service and a subset its DestinationRules define, with a share
 * from 0 to 100 (none mirrors everything); retries fit in the route's timeout.
 */
export function checkRoutePolicies(inventory: Inventory): Finding[] {
  return inventory.virtualServices.flatMap((virtualService) => {
    const spec = virtualService.object.spec ?? {};
    const boundToGateway = (spec.gateways ?? []).some((gateway) => gateway !== "mesh");
    return ((spec.http ?? []) as HttpRule[]).flatMap((rule, index) => {
      const at = (...field: (string | number)[]) => ["spec", "http", index, ...field];
      const found = (field: (string | number)[], message: string, severity?: Finding["severity"]) =>
        finding(virtualService.document, field, message, severity);
      const findings: Finding[] = [];
      const { fault } = rule;
      if (fault !== undefined) {
        if (fault.delay === undefined && fault.abort === undefined) {
          findings.push(
            found(at("fault"), "sets neither a delay nor an abort: Istio refuses a fault without one"),
          );
        }
        const delayShare = shareProblem(fault.delay?.percentage?.value, "a delay");
        if (delayShare) {
          findings.push(
            found(at("fault", "delay", "percentage", "value"), delayShare.message, delayShare.severity),
          );
        }
        const abortShare = shareProblem(fault.abort?.percentage?.value, "an abort");
        if (abortShare) {
          findings.push(
            found(at("fault", "abort", "percentage", "value"), abortShare.message, abortShare.severity),
          );
        }
        const status = fault.abort?.httpStatus;
        if (status !== undefined && (status < 200 || status > 599)) {
          findings.push(
            found(at("fault", "abort", "httpStatus"), `is ${status}: an HTTP status is from 200 to 599`),
          );
        }
        if (rule.timeout !== undefined) {
          findings.push(
            found(
              at("timeout"),
              `is set on a route with a fault: ${FAULT_RULE}; remove the timeout while the fault is on`,
            ),
          );
        }
        if ((rule.retries?.attempts ?? 0) > 0) {
          findings.push(
            found(
              at("retries", "attempts"),
              `is ${rule.retries?.attempts} on a route with a fault: ${FAULT_RULE}; set attempts: 0 while the fault is on`,
            ),
          );
        }
        if (!boundToGateway) {
          findings.push(
            found(
              at("fault"),
              "is on a route bound to no Gateway (sidecars only): ingress traffic never meets it; a fault for ingress traffic goes on the route bound to the ingress Gateway",
              "warning",
            ),
          );
        }
      }
      findings.push(...mirrorFindings(inventory, virtualService, rule, at));
      findings.push(...retryBudgetFindings(rule, at, found));
      return findings;
    });
  });
}

function mirrorFindings(
  inventory: Inventory,
  virtualService: Resource<unknown>,
  rule: HttpRule,
  at: (...field: (string | number)[]) => (string | number)[],
): Finding[] {
  const { mirror } = rule;
  if (mirror === undefined) return [];
  const { document, namespace } = virtualService;
  const findings: Finding[] = [];
  const share = shareProblem(rule.mirrorPercentage?.value, "a mirror");
  if (share) findings.push(finding(document, at("mirrorPercentage", "value"), share.message, share.severity));
  if (rule.mirrorPercentage === undefined) {
    findings.push(
      finding(
        document,
        at("mirror"),
        "has no mirrorPercentage, so Istio mirrors every request (100%), doubling the load on its target; give the share to mirror",
        "warning",
      ),
    );
  }
  const host = mirror.host ?? "";
  if (inventory.leftOut(inventory.services)) return findings;
  if (serviceForHost(inventory, host, namespace) === undefined) {
    findings.push(
      finding(
        document,
        at("mirror", "host"),
        `host ${describeHost(host, namespace)} is not a Service in the manifests`,
      ),
    );
    return findings;
  }
  if (mirror.subset === undefined || inventory.leftOut(inventory.destinationRules)) return findings;
  const rules = destinationRulesFor(inventory, qualifiedHost(host, namespace));
  const defined = rules.flatMap((destinationRule) =>
    (destinationRule.object.spec?.subsets ?? []).map((s) => s.name),
  );
  if (!defined.includes(mirror.subset)) {
    const where =
      rules.length === 0
        ? `no DestinationRule defines subsets for host ${describeHost(host, namespace)}`
        : `${rules.map((destinationRule) => `DestinationRule/${destinationRule.name}`).join(", ")} defines ${defined.join(", ") || "none"}`;
    findings.push(
      finding(
        document,
        at("mirror", "subset"),
        `subset ${mirror.subset} is not defined: ${where}; Envoy would mirror to a cluster that does not exist`,
      ),
    );
  }
  return findings;
}

/** Tries (the first and each retry) of `perTryTimeout` that the route's `timeout` cuts short. */
function retryBudgetFindings(
  rule: HttpRule,
  at: (...field: (string | number)[]) => (string | number)[],
  found: (field: (string | number)[], message: string, severity?: Finding["severity"]) => Finding,
): Finding[] {
  const attempts = rule.retries?.attempts ?? 0;
  const perTry = goDurationMs(rule.retries?.perTryTimeout ?? "");
  const timeout = goDurationMs(rule.timeout ?? "");
  if (attempts === 0 || !(perTry > 0) || !(timeout > 0)) return [];
  const tries = attempts + 1;
  if (tries * perTry <= timeout) return [];
  return [
    found(
      at("retries", "perTryTimeout"),
      `is ${rule.retries?.perTryTimeout} for ${tries} tries, ${(tries * perTry) / 1000} s, over the route's timeout ${rule.timeout}, which bounds them all: the last tries of a version that stops answering never happen; lower perTryTimeout or attempts, or raise the timeout`,
      "warning",
    ),
  ];
}

interface HttpRouteRule {
  readonly retry?: unknown;
  readonly timeouts?: { readonly request?: string; readonly backendRequest?: string };
  readonly filters?: readonly {
    readonly type?: string;
    readonly requestMirror?: {
      readonly backendRef?: { readonly name?: string; readonly namespace?: string; readonly kind?: string };
      readonly percent?: number;
      readonly fraction?: { readonly numerator?: number; readonly denominator?: number };
    };
  }[];
}

/**
 * The HTTPRoutes' resilience fields as the installed CRDs read them: `retry`, which the model package
 * knows from the experimental channel, is not in the standard channel the project installs, and the
 * API server would drop it; a RequestMirror names a Service of the manifests and sets `percent` or
 * `fraction`, not both, the fraction at most 1; `backendRequest` is at most `request` (the CRD's CEL rules).
 */
export function checkHttpRoutePolicies(inventory: Inventory): Finding[] {
  return inventory.httpRoutes.flatMap((route) =>
    ((route.object.spec?.rules ?? []) as HttpRouteRule[]).flatMap((rule, index) => {
      const at = (...field: (string | number)[]) => ["spec", "rules", index, ...field];
      const findings: Finding[] = [];
      if (rule.retry !== undefined) {
        findings.push(
          finding(
            route.document,
            at("retry"),
            `is not in the Gateway API ${VERSIONS.gatewayApi.tag} standard channel that istio-stack installs (HTTPRoute retries are standard from v1.7.0): the API server would drop it; istiod's default retry policy (istio-stack) retries connection failures`,
          ),
        );
      }
      const { request, backendRequest } = rule.timeouts ?? {};
      if (request !== undefined && backendRequest !== undefined) {
        const [whole, each] = [goDurationMs(request), goDurationMs(backendRequest)];
        if (whole > 0 && each > whole) {
          findings.push(
            finding(
              route.document,
              at("timeouts", "backendRequest"),
              `is ${backendRequest}, longer than the request timeout ${request}, which bounds it: the CRD refuses it`,
            ),
          );
        }
      }
      (rule.filters ?? []).forEach((filter, filterIndex) => {
        const mirror = filter.requestMirror;
        if (filter.type !== "RequestMirror" || mirror === undefined) return;
        const field = (...rest: (string | number)[]) => at("filters", filterIndex, "requestMirror", ...rest);
        if (mirror.percent !== undefined && mirror.fraction !== undefined) {
          findings.push(
            finding(route.document, field(), "sets both percent and fraction: the CRD allows one of them"),
          );
        }
        const { numerator, denominator = 100 } = mirror.fraction ?? {};
        if (numerator !== undefined && numerator > denominator) {
          findings.push(
            finding(
              route.document,
              field("fraction"),
              `is ${numerator}/${denominator}: a mirror cannot exceed 100% of requests (the CRD refuses it)`,
            ),
          );
        }
        const name = mirror.backendRef?.name ?? "";
        const namespace = mirror.backendRef?.namespace ?? route.namespace;
        const isService = (mirror.backendRef?.kind ?? "Service") === "Service";
        if (!isService || inventory.leftOut(inventory.services)) return;
        if (!inventory.services.some((service) => service.name === name && service.namespace === namespace)) {
          findings.push(
            finding(
              route.document,
              field("backendRef", "name"),
              `Service ${namespace}/${name} is not in the manifests: nothing would receive the mirrored requests`,
            ),
          );
        }
      });
      return findings;
    }),
  );
}
