/**
 * The manifest checks of the Gateway API and ambient mode, run after every object has passed its
 * schema: HTTPRoutes and the Gateways they attach to, the Services they weigh and the pods those
 * select, the resilience and security the routes must keep, and the waypoints that ambient mode's
 * labels and L7 policies need.
 */
import { GATEWAY_CLASSES, MESH_LABELS } from "../mesh-variant";
import { type Finding, finding } from "./finding";
import type { KubeObject, ManifestDocument } from "./model";

type Labels = Readonly<Record<string, string>>;

/** The Gateway API's group: its kinds (Gateway above all) are told from Istio's by it. */
const GATEWAY_API_GROUP = "gateway.networking.k8s.io";

/** The keys that istiod reads from a Gateway's parametersRef ConfigMap; any other is an error there. */
const GATEWAY_PARAMETER_KEYS = [
  "deployment",
  "service",
  "serviceAccount",
  "horizontalPodAutoscaler",
  "podDisruptionBudget",
];

/** Attributes of an AuthorizationPolicy that only an L7 proxy can read: ztunnel cannot enforce them. */
const L7_OPERATION_FIELDS = ["hosts", "notHosts", "methods", "notMethods", "paths", "notPaths"];
const L7_SOURCE_FIELDS = ["requestPrincipals", "notRequestPrincipals"];

interface ParentRef {
  readonly group?: string;
  readonly kind?: string;
  readonly name: string;
  readonly namespace?: string;
  readonly sectionName?: string;
}

interface BackendRef {
  readonly group?: string;
  readonly kind?: string;
  readonly name: string;
  readonly namespace?: string;
  readonly port?: number;
  readonly weight?: number;
}

interface Listener {
  readonly name: string;
  readonly port: number;
  readonly protocol: string;
  readonly allowedRoutes?: {
    readonly namespaces?: {
      readonly from?: string;
      readonly selector?: { readonly matchLabels?: Labels };
    };
  };
}

interface GatewaySpec {
  readonly gatewayClassName: string;
  readonly listeners?: readonly Listener[];
  readonly infrastructure?: {
    readonly parametersRef?: { readonly group?: string; readonly kind?: string; readonly name?: string };
  };
}

interface HttpRouteRule {
  readonly backendRefs?: readonly BackendRef[];
  readonly timeouts?: { readonly request?: string };
}

interface Item {
  readonly document: ManifestDocument;
  readonly object: KubeObject;
  readonly name: string;
  readonly namespace: string;
  // biome-ignore lint/suspicious/noExplicitAny: the schema was checked; rules read what they need.
  readonly spec: any;
}

function groupOf(object: KubeObject): string {
  return object.apiVersion.includes("/") ? object.apiVersion.split("/")[0] : "";
}

/** A short host (`svc`, `svc.ns`) as the FQDN Istio resolves it to from `namespace`. */
function qualifiedHost(host: string, namespace: string): string {
  const parts = host.split(".");
  if (parts.length === 1) return `${host}.${namespace}.svc.cluster.local`;
  if (parts.length === 2) return `${host}.svc.cluster.local`;
  return host;
}

function selects(selector: Labels, labels: Labels): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

/**
 * Findings for the Gateway API objects and the ambient labels of `documents` (schema-valid). `principal`
 * is the only identity an AuthorizationPolicy may admit, as the other checks have it. `partial`: the
 * documents are some of the manifests, so a reference to a kind none of them defines is not checked.
 */
export function checkMeshVariants(
  documents: readonly ManifestDocument[],
  principal: string,
  partial = false,
): Finding[] {
  const items = documents.map(
    (document): Item => ({
      document,
      object: document.object,
      name: document.object.metadata.name,
      namespace:
        document.object.kind === "Namespace"
          ? document.object.metadata.name
          : (document.object.metadata.namespace ?? "default"),
      spec: (document.object.spec ?? {}) as unknown,
    }),
  );
  const ofKind = (kind: string, group: string) =>
    items.filter((item) => item.object.kind === kind && groupOf(item.object) === group);
  const inventory = {
    namespaces: ofKind("Namespace", ""),
    services: ofKind("Service", ""),
    configMaps: ofKind("ConfigMap", ""),
    deployments: ofKind("Deployment", "apps"),
    gateways: ofKind("Gateway", GATEWAY_API_GROUP),
    httpRoutes: ofKind("HTTPRoute", GATEWAY_API_GROUP),
    destinationRules: ofKind("DestinationRule", "networking.istio.io"),
    virtualServices: ofKind("VirtualService", "networking.istio.io"),
    authorizationPolicies: ofKind("AuthorizationPolicy", "security.istio.io"),
  };
  type Inventory = typeof inventory;
  const leftOut = (resources: readonly unknown[]) => partial && resources.length === 0;
  return [
    ...checkGateways(inventory),
    ...checkHttpRoutes(inventory, principal),
    ...checkWaypoints(inventory),
  ];

  function podLabels(deployment: Item): Labels {
    return deployment.spec.template?.metadata?.labels ?? {};
  }

  function namespaceLabels(inventory: Inventory, name: string): Labels {
    const definition = inventory.namespaces.find((namespace) => namespace.name === name);
    return { ...(definition?.object.metadata.labels ?? {}), "kubernetes.io/metadata.name": name };
  }

  function checkGateways(inventory: Inventory): Finding[] {
    const findings: Finding[] = [];
    for (const gateway of inventory.gateways) {
      const spec = gateway.spec as GatewaySpec;
      const ref = spec.infrastructure?.parametersRef;
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
      if (configMap === undefined && leftOut(inventory.configMaps)) continue;
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
      const data = (configMap.object.data ?? {}) as Record<string, unknown>;
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
      const parentRefs = (route.spec.parentRefs ?? []) as readonly ParentRef[];
      parentRefs.forEach((ref, index) => {
        findings.push(...checkParentRef(inventory, route, ref, ["spec", "parentRefs", index]));
      });
      ((route.spec.rules ?? []) as readonly HttpRouteRule[]).forEach((rule, ruleIndex) => {
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
          const weights = backends.map((ref) => ref.weight ?? 1);
          const sum = weights.reduce((a, b) => a + b, 0);
          if (sum !== 100) {
            const got = backends.map((ref, index) => `${ref.name}=${weights[index]}`).join(", ");
            findings.push(
              finding(
                route.document,
                [...field, "backendRefs"],
                `weights add up to ${sum}, they must add up to 100 (got ${got})`,
              ),
            );
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
    route: Item,
    ref: ParentRef,
    field: (string | number)[],
  ): Finding[] {
    if ((ref.group ?? GATEWAY_API_GROUP) !== GATEWAY_API_GROUP || (ref.kind ?? "Gateway") !== "Gateway")
      return [];
    const namespace = ref.namespace ?? route.namespace;
    const gateway = inventory.gateways.find((item) => item.namespace === namespace && item.name === ref.name);
    if (gateway === undefined && leftOut(inventory.gateways)) return [];
    if (gateway === undefined) {
      return [
        finding(
          route.document,
          [...field, "name"],
          `Gateway/${ref.name} is not defined in namespace ${namespace}`,
        ),
      ];
    }
    const listeners = ((gateway.spec as GatewaySpec).listeners ?? []).filter(
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
    route: Item,
    ref: BackendRef,
    field: (string | number)[],
    split: boolean,
    principal: string,
  ): Finding[] {
    if ((ref.group ?? "") !== "" || (ref.kind ?? "Service") !== "Service") return [];
    const namespace = ref.namespace ?? route.namespace;
    const service = inventory.services.find((item) => item.namespace === namespace && item.name === ref.name);
    if (service === undefined && leftOut(inventory.services)) return [];
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
    const ports = ((service.spec.ports ?? []) as { port: number }[]).map((port) => port.port);
    if (ref.port !== undefined && !ports.includes(ref.port)) {
      findings.push(
        finding(
          route.document,
          [...field, "port"],
          `is ${ref.port}, but Service/${ref.name} serves ${ports.join(", ")}`,
        ),
      );
    }
    const selector: Labels = service.spec.selector ?? {};
    const backends = inventory.deployments.filter(
      (deployment) =>
        deployment.namespace === namespace &&
        Object.keys(selector).length > 0 &&
        selects(selector, podLabels(deployment)),
    );
    if (backends.length === 0 && leftOut(inventory.deployments)) return findings;
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
    const host = qualifiedHost(ref.name, namespace);
    const rule = inventory.destinationRules.find(
      (item) => qualifiedHost(String(item.spec.host ?? ""), item.namespace) === host,
    );
    const policy = rule?.spec.trafficPolicy ?? {};
    const missing = ["connectionPool", "outlierDetection"].filter((key) => policy[key] === undefined);
    if (missing.length > 0 && !leftOut(inventory.destinationRules)) {
      findings.push(
        finding(
          route.document,
          [...field, "name"],
          `Service/${ref.name} has no DestinationRule with ${missing.join(" and ")}: the circuit breaker of the other routes does not cover it`,
        ),
      );
    }
    const open = backends.filter(
      (deployment) =>
        !inventory.authorizationPolicies.some(
          (item) =>
            item.namespace === namespace &&
            selects(item.spec.selector?.matchLabels ?? {}, podLabels(deployment)),
        ),
    );
    if (open.length > 0 && !leftOut(inventory.authorizationPolicies)) {
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

  function waypointNamed(inventory: Inventory, namespace: string, name: string): Item | undefined {
    return inventory.gateways.find(
      (gateway) =>
        gateway.namespace === namespace &&
        gateway.name === name &&
        (gateway.spec as GatewaySpec).gatewayClassName === GATEWAY_CLASSES.waypoint,
    );
  }

  function checkWaypoints(inventory: Inventory): Finding[] {
    const findings: Finding[] = [];
    for (const item of [...inventory.namespaces, ...inventory.services]) {
      const labels = item.object.metadata.labels ?? {};
      const name = labels[MESH_LABELS.useWaypoint];
      if (name === undefined || name === "none") continue;
      const namespace = labels[MESH_LABELS.useWaypointNamespace] ?? item.namespace;
      if (waypointNamed(inventory, namespace, name) === undefined && !leftOut(inventory.gateways)) {
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
      (namespace) => namespace.object.metadata.labels?.[MESH_LABELS.dataplaneMode] === "ambient",
    );
    for (const namespace of ambientNamespaces) {
      const usesWaypoint = namespace.object.metadata.labels?.[MESH_LABELS.useWaypoint] !== undefined;
      for (const policy of inventory.authorizationPolicies.filter(
        (item) => item.namespace === namespace.name,
      )) {
        const targetRefs = (policy.spec.targetRefs ?? []) as readonly { kind?: string; name?: string }[];
        targetRefs.forEach((ref, index) => {
          if (
            ref.kind === "Gateway" &&
            inventory.gateways.every(
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
        const gateways = (item.spec.gateways ?? []) as string[];
        return item.namespace === namespace.name && (gateways.length === 0 || gateways.includes("mesh"));
      });
      for (const route of meshRoutes) {
        const hosts = (route.spec.hosts ?? []) as string[];
        const served = hosts.every((host) =>
          inventory.services.some(
            (service) =>
              service.name === host.split(".")[0] &&
              service.object.metadata.labels?.[MESH_LABELS.useWaypoint] !== undefined,
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

  function hasL7Rules(policy: Item): boolean {
    const rules = (policy.spec.rules ?? []) as {
      from?: { source?: Record<string, unknown> }[];
      to?: { operation?: Record<string, unknown> }[];
      when?: { key?: string }[];
    }[];
    return rules.some(
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
}
