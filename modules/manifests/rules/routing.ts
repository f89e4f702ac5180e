import { weightSumProblem } from "../../settings/sections/shopfront";
import { type Finding, finding } from "../finding";
import {
  backendsOf,
  describeHost,
  destinationRulesFor,
  formatLabels,
  type Inventory,
  type Labels,
  podLabels,
  qualifiedHost,
  ROUTE_KINDS,
  selects,
  serviceForHost,
} from "../inventory";

/** A Gateway configures only the gateway pods its selector matches: it must match the ingress gateway's labels. */
export function checkGatewaySelectors(inventory: Inventory, ingressGatewayLabels: Labels): Finding[] {
  return inventory.istioGateways.flatMap((gateway) => {
    const selector = gateway.object.spec?.selector ?? {};
    const expected = `the ingress gateway pods that istio-stack deploys are labelled ${formatLabels(ingressGatewayLabels)}`;
    if (Object.keys(selector).length === 0) {
      return [finding(gateway.document, ["spec", "selector"], `is empty; ${expected}`)];
    }
    return Object.entries(selector)
      .filter(([key, value]) => ingressGatewayLabels[key] !== value)
      .map(([key, value]) =>
        finding(gateway.document, ["spec", "selector", key], `selects ${key}=${value}, but ${expected}`),
      );
  });
}

/**
 * For every route of every VirtualService: its gateways exist, its weights add up to 100, and each
 * destination's host is a Service and its subset is defined by a DestinationRule for that host.
 */
export function checkVirtualServices(inventory: Inventory): Finding[] {
  return inventory.virtualServices.flatMap((virtualService) => {
    const { document, namespace } = virtualService;
    const spec = virtualService.object.spec ?? {};
    const findings: Finding[] = [];

    (spec.gateways ?? []).forEach((reference, index) => {
      // "mesh" is Istio's name for the sidecars, not a Gateway object.
      if (reference === "mesh") return;
      const [gatewayNamespace, gatewayName] = reference.includes("/")
        ? reference.split("/", 2)
        : [namespace, reference];
      const exists = inventory.istioGateways.some(
        (gateway) => gateway.name === gatewayName && gateway.namespace === gatewayNamespace,
      );
      if (!exists && !inventory.leftOut(inventory.istioGateways)) {
        const defined =
          inventory.istioGateways.map((gateway) => `${gateway.namespace}/${gateway.name}`).join(", ") ||
          "none";
        findings.push(
          finding(
            document,
            ["spec", "gateways", index],
            `Gateway ${gatewayNamespace}/${gatewayName} is not defined in the manifests (defined: ${defined})`,
          ),
        );
      }
    });

    for (const routeKind of ROUTE_KINDS) {
      (spec[routeKind] ?? []).forEach((rule, ruleIndex) => {
        const route = rule.route ?? [];
        const routePath = ["spec", routeKind, ruleIndex, "route"];
        if (route.length > 1 || route.some((destination) => destination.weight !== undefined)) {
          const sum = route.reduce((total, destination) => total + (destination.weight ?? 0), 0);
          if (sum !== 100) {
            const split = route
              .map((entry) => `${entry.destination?.subset ?? entry.destination?.host}=${entry.weight ?? 0}`)
              .join(", ");
            findings.push(finding(document, routePath, weightSumProblem(sum, split)));
          }
        }
        route.forEach((entry, entryIndex) => {
          const host = entry.destination?.host;
          if (host === undefined || inventory.leftOut(inventory.services)) return;
          const destinationPath = [...routePath, entryIndex, "destination"];
          if (serviceForHost(inventory, host, namespace) === undefined) {
            findings.push(
              finding(
                document,
                [...destinationPath, "host"],
                `host ${describeHost(host, namespace)} is not a Service in the manifests`,
              ),
            );
            // Its subsets cannot be defined either: one finding for the one mistake.
            return;
          }
          const subset = entry.destination?.subset;
          if (subset === undefined) return;
          const rules = destinationRulesFor(inventory, qualifiedHost(host, namespace));
          const defined = rules.flatMap((rule) => (rule.object.spec?.subsets ?? []).map((s) => s.name));
          if (defined.includes(subset) || inventory.leftOut(inventory.destinationRules)) return;
          const where =
            rules.length === 0
              ? `no DestinationRule defines subsets for host ${describeHost(host, namespace)}`
              : `${rules.map((rule) => `DestinationRule/${rule.name}`).join(", ")} defines ${defined.join(", ") || "none"}`;
          findings.push(
            finding(document, [...destinationPath, "subset"], `subset ${subset} is not defined: ${where}`),
          );
        });
      });
    }
    return findings;
  });
}

/** A DestinationRule's host must be a Service, and each subset's labels must select some of its pods. */
export function checkDestinationRules(inventory: Inventory): Finding[] {
  return inventory.destinationRules.flatMap((rule) => {
    const host = rule.object.spec?.host ?? "";
    const service = serviceForHost(inventory, host, rule.namespace);
    if (service === undefined) {
      if (inventory.leftOut(inventory.services)) return [];
      return [
        finding(
          rule.document,
          ["spec", "host"],
          `host ${describeHost(host, rule.namespace)} is not a Service in the manifests`,
        ),
      ];
    }
    const backends = backendsOf(inventory, service);
    // A Service that selects no pods is reported by the Service rule; every subset would repeat it.
    if (backends.length === 0) return [];
    return (rule.object.spec?.subsets ?? []).flatMap((subset, index) => {
      const labels = subset.labels ?? {};
      if (backends.some((deployment) => selects(labels, podLabels(deployment)))) return [];
      return [
        finding(
          rule.document,
          ["spec", "subsets", index, "labels"],
          `subset ${subset.name} selects ${formatLabels(labels)}, but no pods of Service/${service.name} carry these labels`,
        ),
      ];
    });
  });
}
