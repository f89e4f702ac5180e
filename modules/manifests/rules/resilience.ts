import { MAX_RETRY_ATTEMPTS } from "../../settings/sections/resilience";
import { type Finding, finding } from "../finding";
import {
  describeHost,
  destinationRulesFor,
  formatLabels,
  type IDeployment,
  type IDestinationRule,
  type Inventory,
  type IPodDisruptionBudget,
  type Labels,
  podLabels,
  qualifiedHost,
  type Resource,
  selects,
  serviceForHost,
} from "../inventory";

/**
 * The retry conditions a route may use: failures to get any answer (and gRPC statuses, which HTTP/1
 * pages never carry). Conditions on response statuses (5xx, gateway-error, retriable-status-codes,
 * retriable-4xx, a status code) would hide a version's errors from clients and from the counts.
 */
const CONNECTION_RETRY_CONDITIONS = [
  "connect-failure",
  "refused-stream",
  "reset",
  "reset-before-request",
  "cancelled",
  "unavailable",
  "deadline-exceeded",
  "resource-exhausted",
];

/**
 * Every HTTP route has a timeout (Istio sets none) and bounded retries of connection failures only:
 * at most MAX_RETRY_ATTEMPTS, on CONNECTION_RETRY_CONDITIONS. Without `retries`, or without its
 * `retryOn`, Istio retries twice on its own list, which includes 503s. A route with a fault needs
 * neither, since Istio enables neither there (rules/route-policies.ts refuses them).
 */
export function checkRouteResilience(inventory: Inventory): Finding[] {
  const connectionFailures = CONNECTION_RETRY_CONDITIONS.join(",");
  return inventory.virtualServices.flatMap((virtualService) =>
    (virtualService.object.spec?.http ?? []).flatMap((rule, ruleIndex) => {
      const path = ["spec", "http", ruleIndex];
      const found = (field: string[], message: string) =>
        finding(virtualService.document, [...path, ...field], message);
      const findings: Finding[] = [];
      if (rule.fault !== undefined) return findings;
      if (rule.timeout === undefined) {
        findings.push(
          found(
            ["timeout"],
            "is missing: Istio sets no route timeout, so a request to a version that stops answering waits as long as its client does; set one shorter than the clients' own",
          ),
        );
      }
      const { retries } = rule;
      if (retries === undefined) {
        findings.push(
          found(
            ["retries"],
            `is missing: Istio then retries twice, on 503s too (retriable-status-codes); set attempts (at most ${MAX_RETRY_ATTEMPTS}) and retryOn: ${connectionFailures}`,
          ),
        );
        return findings;
      }
      // Istio turns retries off for 0 attempts.
      const attempts = retries.attempts ?? 0;
      if (attempts > MAX_RETRY_ATTEMPTS) {
        findings.push(
          found(
            ["retries", "attempts"],
            `is ${attempts}, it must be at most ${MAX_RETRY_ATTEMPTS}: each retry adds load to a version that is already failing`,
          ),
        );
      }
      if (attempts === 0) return findings;
      const conditions = (retries.retryOn ?? "")
        .split(",")
        .map((condition) => condition.trim())
        .filter((condition) => condition !== "");
      if (conditions.length === 0) {
        findings.push(
          found(
            ["retries", "retryOn"],
            `is missing: Istio then retries 503s too (retriable-status-codes), which hides a version's errors; set it to connection failures only: ${connectionFailures}`,
          ),
        );
        return findings;
      }
      const onResponses = conditions.filter((condition) => !CONNECTION_RETRY_CONDITIONS.includes(condition));
      if (onResponses.length > 0) {
        findings.push(
          found(
            ["retries", "retryOn"],
            `retries on ${onResponses.join(", ")}: retrying responses hides a version's errors from its clients and from the counts; retry connection failures only: ${connectionFailures}`,
          ),
        );
      }
      return findings;
    }),
  );
}

const CIRCUIT_BREAKER = {
  connectionPool:
    "nothing bounds the connections and waiting requests to it, so a version that stops answering piles requests up instead of failing fast; set tcp.maxConnections and http.http1MaxPendingRequests",
  outlierDetection:
    "a pod that keeps failing keeps its share of the requests; set consecutive5xxErrors, interval, baseEjectionTime and maxEjectionPercent",
} as const;

/**
 * The circuit breaker: the DestinationRule of every host that an HTTP route reaches sets a connection
 * pool and outlier detection, for the whole host or for each subset the routes reach.
 */
export function checkCircuitBreakers(inventory: Inventory): Finding[] {
  const findings: Finding[] = [];
  // The routed subsets of each DestinationRule; undefined for a route to the host without a subset.
  const routedSubsets = new Map<Resource<IDestinationRule>, Set<string | undefined>>();
  for (const virtualService of inventory.virtualServices) {
    (virtualService.object.spec?.http ?? []).forEach((rule, ruleIndex) => {
      (rule.route ?? []).forEach((entry, entryIndex) => {
        const host = entry.destination?.host;
        // A host that is not a Service is reported by the VirtualService rule.
        if (host === undefined || serviceForHost(inventory, host, virtualService.namespace) === undefined)
          return;
        const subset = entry.destination?.subset;
        const rules = destinationRulesFor(inventory, qualifiedHost(host, virtualService.namespace));
        if (rules.length === 0) {
          // A route to a subset without a DestinationRule is reported by the VirtualService rule.
          if (subset !== undefined || inventory.leftOut(inventory.destinationRules)) return;
          findings.push(
            finding(
              virtualService.document,
              ["spec", "http", ruleIndex, "route", entryIndex, "destination", "host"],
              `no DestinationRule for host ${describeHost(host, virtualService.namespace)} sets a connectionPool or outlierDetection: ${CIRCUIT_BREAKER.connectionPool}`,
            ),
          );
          return;
        }
        for (const destinationRule of rules) {
          routedSubsets.set(destinationRule, (routedSubsets.get(destinationRule) ?? new Set()).add(subset));
        }
      });
    });
  }
  for (const [rule, subsets] of routedSubsets) {
    const spec = rule.object.spec;
    for (const field of ["connectionPool", "outlierDetection"] as const) {
      if (spec?.trafficPolicy?.[field] !== undefined) continue;
      const uncovered = [...subsets].filter(
        (name) =>
          name === undefined ||
          (spec?.subsets ?? []).find((subset) => subset.name === name)?.trafficPolicy?.[field] === undefined,
      );
      if (uncovered.length === 0) continue;
      const named = uncovered.filter((name) => name !== undefined);
      const subsetsOf = `subset${named.length > 1 ? "s" : ""} ${named.join(", ")} of `;
      const reached = `${named.length > 0 ? subsetsOf : ""}${spec?.host}`;
      findings.push(
        finding(
          rule.document,
          ["spec", "trafficPolicy", field],
          `is missing, and routes reach ${reached}: ${CIRCUIT_BREAKER[field]}`,
        ),
      );
    }
  }
  return findings;
}

/**
 * Voluntary disruptions (node drains): every Deployment of several pods has a PodDisruptionBudget, and
 * every budget selects pods and lets at least one of them be evicted, since one that lets none go
 * blocks every drain of their nodes. Selectors are read by matchLabels, as the manifests write them.
 */
export function checkDisruptionBudgets(inventory: Inventory): Finding[] {
  const findings: Finding[] = [];
  const selectorOf = (budget: Resource<IPodDisruptionBudget>): Labels | undefined => {
    const selector = budget.object.spec?.selector;
    // In policy/v1 an empty selector selects every pod of the namespace, and no selector none.
    return selector === undefined ? undefined : (selector.matchLabels ?? {});
  };
  const budgetSelects = (budget: Resource<IPodDisruptionBudget>, deployment: Resource<IDeployment>) => {
    const selector = selectorOf(budget);
    return (
      selector !== undefined &&
      budget.namespace === deployment.namespace &&
      selects(selector, podLabels(deployment))
    );
  };
  for (const budget of inventory.podDisruptionBudgets) {
    const selected = inventory.deployments.filter((deployment) => budgetSelects(budget, deployment));
    if (selected.length === 0) {
      if (inventory.leftOut(inventory.deployments)) continue;
      const selector = selectorOf(budget);
      const got =
        selector === undefined
          ? "is missing"
          : `selects ${formatLabels(selector)}, but no Deployment's pods in namespace ${budget.namespace} carry these labels`;
      findings.push(finding(budget.document, ["spec", "selector"], `${got}: the budget protects nothing`));
      continue;
    }
    const pods = selected.reduce((total, deployment) => total + replicasOf(deployment), 0);
    const budgetLimit = evictionsAllowed(budget.object, pods);
    if (budgetLimit === undefined || budgetLimit.evictions > 0) continue;
    findings.push(
      finding(
        budget.document,
        ["spec", budgetLimit.field],
        `is ${JSON.stringify(budgetLimit.value)} for the ${pods} pods of ${selected.map((deployment) => `Deployment/${deployment.name}`).join(", ")}: no pod may ever be evicted, so every drain of their nodes blocks; allow one (maxUnavailable: 1), or drop the budget of a single pod`,
      ),
    );
  }
  for (const deployment of inventory.deployments) {
    const replicas = replicasOf(deployment);
    if (
      replicas <= 1 ||
      inventory.leftOut(inventory.podDisruptionBudgets) ||
      inventory.podDisruptionBudgets.some((budget) => budgetSelects(budget, deployment))
    )
      continue;
    findings.push(
      finding(
        deployment.document,
        ["spec", "replicas"],
        `is ${replicas}, but no PodDisruptionBudget selects these pods: a node drain may evict them all at once; add one with maxUnavailable: 1`,
      ),
    );
  }
  return findings;
}

/** Kubernetes runs 1 replica when `replicas` is unset. */
function replicasOf(deployment: Resource<IDeployment>): number {
  return deployment.object.spec?.replicas ?? 1;
}

/**
 * How many of `pods` pods a budget lets be evicted at once, counted as the disruption controller does
 * (percentages rounded up); undefined when it sets neither field or a value that is not a number or a
 * percentage.
 */
function evictionsAllowed(
  budget: IPodDisruptionBudget,
  pods: number,
): { field: "maxUnavailable" | "minAvailable"; value: number | string; evictions: number } | undefined {
  const scaled = (value: number | string) =>
    typeof value === "number"
      ? value
      : /^\d+%$/.test(value)
        ? Math.ceil((Number.parseInt(value, 10) * pods) / 100)
        : undefined;
  const { maxUnavailable, minAvailable } = budget.spec ?? {};
  if (maxUnavailable !== undefined) {
    const evictions = scaled(maxUnavailable);
    return evictions === undefined
      ? undefined
      : { field: "maxUnavailable", value: maxUnavailable, evictions };
  }
  if (minAvailable !== undefined) {
    const available = scaled(minAvailable);
    return available === undefined
      ? undefined
      : { field: "minAvailable", value: minAvailable, evictions: pods - available };
  }
  return undefined;
}
