/**
 * The manifest checks of the Gateway API and ambient mode, run after every object has passed its
 * schema: HTTPRoutes and the Gateways they attach to, the Services they weigh and the pods those
 * select, the resilience and security the routes must keep, and the waypoints that ambient mode's
 * labels and L7 policies need.
 */

import { GATEWAY_CLASSES, MESH_LABELS } from "../../mesh/mesh-variant";
import { weightSumProblem } from "../../settings/sections/shopfront";
import { type Finding, finding } from "../finding";
import {
  authorizationPolicySelects,
  backendsOf,
  destinationRulesFor,
  GATEWAY_API_GROUP,
  type IAuthorizationPolicy,
  type IGatewayApiGateway,
  type IHTTPRoute,
  type Inventory,
  type Labels,
  NAMESPACE_NAME_LABEL,
  podLabels,
  qualifiedServiceHost,
  type Resource,
  selects,
} from "../inventory";

/** The keys that istiod reads from a Gateway's parametersRef ConfigMap; any other is an error there. */
const GATEWAY_PARAMETER_KEYS = [
  "deployment",
  "service",
  "serviceAccount",
  "horizontalPodAutoscaler",
  "podDisruptionBudget",
];

/** Attributes of an AuthorizationPolicy that only an L7 proxy can read: ztunnel cannot enforce them. */
const L7_OPERATION_FIELDS = ["hosts", "notHosts", "methods", "notMethods", "paths", "notPaths"] as const;
const L7_SOURCE_FIELDS = ["requestPrincipals", "notRequestPrincipals"] as const;

type HttpRouteSpec = NonNullable<IHTTPRoute["spec"]>;
type ParentRef = NonNullable<HttpRouteSpec["parentRefs"]>[number];
type BackendRef = NonNullable<NonNullable<HttpRouteSpec["rules"]>[number]["backendRefs"]>[number];

/**
 * Findings for the Gateway API objects and the ambient labels of the inventory. `principal` is the only
 * identity an AuthorizationPolicy may admit, as the other checks have it.
 */
export function checkMeshVariants(inventory: Inventory, principal: string): Finding[] {
  return [
    ...checkGateways(inventory),
    ...checkHttpRoutes(inventory, principal),
    ...checkWaypoints(inventory),
  ];
}

function namespaceLabels(inventory: Inventory, name: string): Labels {
  const definition = inventory.namespaces.find((namespace) => namespace.name === name);
  return { ...(definition?.object.metadata?.labels ?? {}), [NAMESPACE_NAME_LABEL]: name };
}

function checkGateways(inventory: Inventory): Finding[] {
  const findings: Finding[] = [];
  for (const gateway of inventory.gatewayApiGateways) {
    const ref = gateway.object.spec?.infrastructure?.parametersRef;
    if (ref === undefined) continue;
    const field = ["spec", "infrastructure", "parametersRef"];
    if ((ref.group ?? "") !== "" || ref.kind !== "ConfigMap") {
      findings.push(
        finding(
          gateway.document,
          field,
          `must name a ConfigMap (group "", kind ConfigMap): istiod reads no other kind`,
        ),
      );
      continue;
    }
    const configMap = inventory.configMaps.find(
      (item) => item.namespace === gateway.namespace && item.name === ref.name,
    );
    if (configMap === undefined && inventory.leftOut(inventory.configMaps)) continue;
    if (configMap === undefined) {
      findings.push(
        finding(
          gateway.document,
          [...field, "name"],
          `ConfigMap/${ref.name} is not defined in namespace ${gateway.namespace}: istiod would not deploy the Gateway's proxy`,
        ),
      );
      continue;
    }
    const data = configMap.object.data ?? {};
    for (const key of Object.keys(data).filter((key) => !GATEWAY_PARAMETER_KEYS.includes(key))) {
      findings.push(
        finding(
          configMap.document,
          ["data", key],
          `is not a key istiod reads from a Gateway's parameters (${GATEWAY_PARAMETER_KEYS.join(", ")})`,
        ),
      );
    }
  }
  return findings;
}

function checkHttpRoutes(inventory: Inventory, principal: string): Finding[] {
  const findings: Finding[] = [];
  for (const route of inventory.httpRoutes) {
    (route.object.spec?.parentRefs ?? []).forEach((ref, index) => {
      findings.push(...checkParentRef(inventory, route, ref, ["spec", "parentRefs", index]));
    });
    (route.object.spec?.rules ?? []).forEach((rule, ruleIndex) => {
      const field = ["spec", "rules", ruleIndex];
      const backends = rule.backendRefs ?? [];
      if (backends.length === 0) return;
      if (rule.timeouts?.request === undefined) {
        findings.push(
          finding(
            route.document,
            [...field, "timeouts", "request"],
            "is missing: a version that stops answering would hold its clients until they give up; set a request timeout below the clients' own (4s)",
          ),
        );
      }
      if (backends.length > 1) {
        // The Gateway API's default weight is 1.
        const weights = backends.map((ref) => ref.weight ?? 1);
        const sum = weights.reduce((a, b) => a + b, 0);
        if (sum !== 100) {
          const got = backends.map((ref, index) => `${ref.name}=${weights[index]}`).join(", ");
          findings.push(finding(route.document, [...field, "backendRefs"], weightSumProblem(sum, got)));
        }
      }
      backends.forEach((ref, index) => {
        findings.push(
          ...checkBackend(
            inventory,
            route,
            ref,
            [...field, "backendRefs", index],
            backends.length > 1,
            principal,
          ),
        );
      });
    });
  }
  return findings;
}

function checkParentRef(
  inventory: Inventory,
  route: Resource<IHTTPRoute>,
  ref: ParentRef,
  field: (string | number)[],
): Finding[] {
  if ((ref.group ?? GATEWAY_API_GROUP) !== GATEWAY_API_GROUP || (ref.kind ?? "Gateway") !== "Gateway")
    return [];
  const namespace = ref.namespace ?? route.namespace;
  const gateway = inventory.gatewayApiGateways.find(
    (item) => item.namespace === namespace && item.name === ref.name,
  );
  if (gateway === undefined && inventory.leftOut(inventory.gatewayApiGateways)) return [];
  if (gateway === undefined) {
    return [
      finding(
        route.document,
        [...field, "name"],
        `Gateway/${ref.name} is not defined in namespace ${namespace}`,
      ),
    ];
  }
  const listeners = (gateway.object.spec?.listeners ?? []).filter(
    (listener) => ref.sectionName === undefined || listener.name === ref.sectionName,
  );
  if (listeners.length === 0) {
    return [
      finding(
        route.document,
        [...field, "sectionName"],
        `Gateway/${ref.name} has no listener named ${ref.sectionName}`,
      ),
    ];
  }
  const admitting = listeners.filter((listener) => {
    const from = listener.allowedRoutes?.namespaces?.from ?? "Same";
    if (from === "All") return true;
    if (from === "Same") return gateway.namespace === route.namespace;
    const selector = listener.allowedRoutes?.namespaces?.selector?.matchLabels ?? {};
    return selects(selector, namespaceLabels(inventory, route.namespace));
  });
  if (admitting.length > 0) return [];
  return [
    finding(
      route.document,
      field,
      `Gateway/${ref.name}'s listeners (${listeners.map((listener) => listener.name).join(", ")}) do not allow routes from namespace ${route.namespace} (allowedRoutes.namespaces)`,
    ),
  ];
}

function checkBackend(
  inventory: Inventory,
  route: Resource<IHTTPRoute>,
  ref: BackendRef,
  field: (string | number)[],
  split: boolean,
  principal: string,
): Finding[] {
  if ((ref.group ?? "") !== "" || (ref.kind ?? "Service") !== "Service") return [];
  const namespace = ref.namespace ?? route.namespace;
  const service = inventory.services.find((item) => item.namespace === namespace && item.name === ref.name);
  if (service === undefined && inventory.leftOut(inventory.services)) return [];
  if (service === undefined) {
    return [
      finding(
        route.document,
        [...field, "name"],
        `Service/${ref.name} is not defined in namespace ${namespace}`,
      ),
    ];
  }
  const findings: Finding[] = [];
  const ports = (service.object.spec?.ports ?? []).map((port) => port.port);
  if (ref.port !== undefined && !ports.includes(ref.port)) {
    findings.push(
      finding(
        route.document,
        [...field, "port"],
        `is ${ref.port}, but Service/${ref.name} serves ${ports.join(", ")}`,
      ),
    );
  }
  // An empty selector counts as none here; backendsOf reads it as every pod of the namespace.
  const selected = Object.keys(service.object.spec?.selector ?? {}).length > 0;
  const backends = selected ? backendsOf(inventory, service) : [];
  if (backends.length === 0 && inventory.leftOut(inventory.deployments)) return findings;
  if (backends.length === 0) {
    findings.push(
      finding(
        route.document,
        [...field, "name"],
        `Service/${ref.name} selects the pods of no Deployment: its share of the traffic would fail`,
      ),
    );
    return findings;
  }
  const versions = [...new Set(backends.map((deployment) => podLabels(deployment).version ?? "(none)"))];
  if (split && versions.length !== 1) {
    findings.push(
      finding(
        route.document,
        [...field, "name"],
        `Service/${ref.name} selects the pods of ${versions.length} versions (${versions.join(", ")}): a weighted split needs one version per backend`,
      ),
    );
  }
  const [rule] = destinationRulesFor(
    inventory,
    qualifiedServiceHost(ref.name, namespace),
    qualifiedServiceHost,
  );
  const policy = rule?.object.spec?.trafficPolicy ?? {};
  const missing = (["connectionPool", "outlierDetection"] as const).filter(
    (key) => policy[key] === undefined,
  );
  if (missing.length > 0 && !inventory.leftOut(inventory.destinationRules)) {
    findings.push(
      finding(
        route.document,
        [...field, "name"],
        `Service/${ref.name} has no DestinationRule with ${missing.join(" and ")}: the circuit breaker of the other routes does not cover it`,
      ),
    );
  }
  const open = backends.filter((deployment) => !authorizationPolicySelects(inventory, deployment));
  if (open.length > 0 && !inventory.leftOut(inventory.authorizationPolicies)) {
    findings.push(
      finding(
        route.document,
        [...field, "name"],
        `no AuthorizationPolicy in namespace ${namespace} selects the pods of ${open.map((deployment) => `Deployment/${deployment.name}`).join(", ")}, so any workload in the mesh may call them; add one that admits only ${principal}`,
      ),
    );
  }
  return findings;
}

function waypointNamed(
  inventory: Inventory,
  namespace: string,
  name: string,
): Resource<IGatewayApiGateway> | undefined {
  return inventory.gatewayApiGateways.find(
    (gateway) =>
      gateway.namespace === namespace &&
      gateway.name === name &&
      gateway.object.spec?.gatewayClassName === GATEWAY_CLASSES.waypoint,
  );
}

function checkWaypoints(inventory: Inventory): Finding[] {
  const findings: Finding[] = [];
  for (const item of [...inventory.namespaces, ...inventory.services]) {
    const labels = item.object.metadata?.labels ?? {};
    const name = labels[MESH_LABELS.useWaypoint];
    if (name === undefined || name === "none") continue;
    const namespace = labels[MESH_LABELS.useWaypointNamespace] ?? item.namespace;
    if (
      waypointNamed(inventory, namespace, name) === undefined &&
      !inventory.leftOut(inventory.gatewayApiGateways)
    ) {
      findings.push(
        finding(
          item.document,
          ["metadata", "labels", MESH_LABELS.useWaypoint],
          `names waypoint ${name}, but no Gateway of class istio-waypoint named ${name} is defined in namespace ${namespace}: L7 policy would not apply`,
        ),
      );
    }
  }
  const ambientNamespaces = inventory.namespaces.filter(
    (namespace) => namespace.object.metadata?.labels?.[MESH_LABELS.dataplaneMode] === "ambient",
  );
  for (const namespace of ambientNamespaces) {
    const usesWaypoint = namespace.object.metadata?.labels?.[MESH_LABELS.useWaypoint] !== undefined;
    for (const policy of inventory.authorizationPolicies.filter(
      (item) => item.namespace === namespace.name,
    )) {
      const targetRefs = policy.object.spec?.targetRefs ?? [];
      targetRefs.forEach((ref, index) => {
        if (
          ref.kind === "Gateway" &&
          inventory.gatewayApiGateways.every(
            (gateway) => gateway.namespace !== policy.namespace || gateway.name !== ref.name,
          )
        ) {
          findings.push(
            finding(
              policy.document,
              ["spec", "targetRefs", index, "name"],
              `Gateway/${ref.name} is not defined in namespace ${policy.namespace}`,
            ),
          );
        }
      });
      if (targetRefs.length === 0 && hasL7Rules(policy)) {
        findings.push(
          finding(
            policy.document,
            ["spec", "rules"],
            `has L7 rules in ambient namespace ${namespace.name}, which ztunnel cannot enforce (it denies every request instead): attach the policy to the waypoint with targetRefs`,
          ),
        );
      }
    }
    const meshRoutes = inventory.virtualServices.filter((item) => {
      const gateways = item.object.spec?.gateways ?? [];
      return item.namespace === namespace.name && (gateways.length === 0 || gateways.includes("mesh"));
    });
    for (const route of meshRoutes) {
      const hosts = route.object.spec?.hosts ?? [];
      const served = hosts.every((host) =>
        inventory.services.some(
          (service) =>
            service.name === host.split(".")[0] &&
            service.object.metadata?.labels?.[MESH_LABELS.useWaypoint] !== undefined,
        ),
      );
      if (!usesWaypoint && !served) {
        findings.push(
          finding(
            route.document,
            ["spec", "gateways"],
            `routes in-mesh traffic in ambient namespace ${namespace.name}, which only a waypoint applies: label the namespace or its Services istio.io/use-waypoint`,
          ),
        );
      }
    }
  }
  return findings;
}

function hasL7Rules(policy: Resource<IAuthorizationPolicy>): boolean {
  return (policy.object.spec?.rules ?? []).some(
    (rule) =>
      (rule.to ?? []).some((to) =>
        L7_OPERATION_FIELDS.some((field) => to.operation?.[field] !== undefined),
      ) ||
      (rule.from ?? []).some((from) =>
        L7_SOURCE_FIELDS.some((field) => from.source?.[field] !== undefined),
      ) ||
      (rule.when ?? []).some((condition) => String(condition.key).startsWith("request.")),
  );
}
