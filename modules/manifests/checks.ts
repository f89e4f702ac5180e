/**
 * An offline `istioctl analyze` for the shopfront's manifests: every object is validated against its
 * kind's upstream schema (./schemas.ts), then checked against the others for the mistakes that deploy
 * fine and break traffic, and for the security and resilience settings the shopfront must keep (mutual
 * TLS, authorization, timeouts, retries, circuit breakers, disruption budgets). Needs no cluster.
 */

import { MESH_LABELS } from "../mesh/mesh-variant";
import { INGRESS_GATEWAY_LABELS, INGRESS_GATEWAY_PRINCIPAL } from "../settings/names";
import { weightSumProblem } from "../settings/sections/shopfront";
import { type Finding, finding, resourceName } from "./finding";
import {
  authorizationPolicySelects,
  backendsOf,
  destinationRulesFor,
  type IDeployment,
  type IDestinationRule,
  type Inventory,
  type IPodDisruptionBudget,
  type IService,
  inventoryOf,
  type Labels,
  namespaceOf,
  podLabels,
  qualifiedHost,
  type Resource,
  selects,
} from "./inventory";
import { checkMeshVariants } from "./mesh-variants";
import type { ManifestDocument } from "./model";
import { checkSchema } from "./schemas";

/** The most retries a route may make: each one adds load to a version that is already failing. */
const MAX_RETRY_ATTEMPTS = 3;

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
    ...checkAuthorizationPolicies(inventory, ingressGatewayPrincipal),
    ...checkRouteResilience(inventory),
    ...checkCircuitBreakers(inventory),
    ...checkDisruptionBudgets(inventory),
    ...checkMeshVariants(inventory, ingressGatewayPrincipal),
  ];
}

// The API server's name rules, which the schemas leave out: DNS labels for namespaces and Services
// (a Service's name becomes a DNS label and must start with a letter), DNS subdomains otherwise.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const SERVICE_NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function checkNames(documents: readonly ManifestDocument[]): Finding[] {
  return documents.flatMap((document) => {
    const { kind, metadata } = document.object;
    const [pattern, accepted] =
      kind === "Service"
        ? [SERVICE_NAME, "a DNS label starting with a letter: up to 63 lower-case letters, digits and '-'"]
        : kind === "Namespace"
          ? [DNS_LABEL, "a DNS label: up to 63 lower-case letters, digits and '-'"]
          : [DNS_SUBDOMAIN, "a DNS subdomain: lower-case letters, digits, '-' and '.'"];
    const findings: Finding[] = [];
    if (!pattern.test(metadata.name)) {
      findings.push(
        finding(document, ["metadata", "name"], `${JSON.stringify(metadata.name)} is not ${accepted}`),
      );
    }
    if (metadata.namespace !== undefined && !DNS_LABEL.test(metadata.namespace)) {
      findings.push(
        finding(
          document,
          ["metadata", "namespace"],
          `${JSON.stringify(metadata.namespace)} is not a DNS label: up to 63 lower-case letters, digits and '-'`,
        ),
      );
    }
    return findings;
  });
}

function checkDuplicates(documents: readonly ManifestDocument[]): Finding[] {
  const firstSeen = new Map<string, ManifestDocument>();
  return documents.flatMap((document) => {
    const key = `${document.object.kind}/${namespaceOf(document)}/${document.object.metadata.name}`;
    const first = firstSeen.get(key);
    if (first === undefined) {
      firstSeen.set(key, document);
      return [];
    }
    return [
      finding(
        document,
        ["metadata", "name"],
        `${resourceName(document.object)} is already defined in namespace ${namespaceOf(document)} by ${first.file} (document ${first.index + 1})`,
      ),
    ];
  });
}

function formatLabels(labels: Labels): string {
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(", ");
}

/** Pods opt out of the sidecar with the label (or the older annotation) `sidecar.istio.io/inject: "false"`. */
function optsOutOfSidecar(deployment: Resource<IDeployment>): boolean {
  const metadata = deployment.object.spec?.template.metadata;
  return (
    metadata?.labels?.["sidecar.istio.io/inject"] === "false" ||
    metadata?.annotations?.["sidecar.istio.io/inject"] === "false"
  );
}

/** The API server refuses a Deployment whose selector does not select its own pod template. */
function checkDeploymentSelectors(inventory: Inventory): Finding[] {
  // matchExpressions are not checked: the manifests select with matchLabels only.
  return inventory.deployments.flatMap((deployment) => {
    const selector = deployment.object.spec?.selector.matchLabels ?? {};
    if (selects(selector, podLabels(deployment))) return [];
    return [
      finding(
        deployment.document,
        ["spec", "selector", "matchLabels"],
        `selects ${formatLabels(selector)}, but the pod template is labelled ${formatLabels(podLabels(deployment))}`,
      ),
    ];
  });
}

/**
 * Pods get the Envoy sidecar only in a namespace labelled for injection; without it they run outside
 * the mesh and the VirtualService's weights do nothing. Also warns about injected pods that lack the
 * `app` and `version` labels, which Istio's telemetry and Kiali name workloads by.
 */
function checkSidecarInjection(inventory: Inventory): Finding[] {
  const meshDeployments = inventory.deployments.filter((deployment) => !optsOutOfSidecar(deployment));
  const findings: Finding[] = [];
  for (const namespace of new Set(meshDeployments.map((deployment) => deployment.namespace))) {
    const inNamespace = meshDeployments.filter((deployment) => deployment.namespace === namespace);
    const names = inNamespace.map((deployment) => `Deployment/${deployment.name}`).join(", ");
    const definition = inventory.namespaces.find((candidate) => candidate.name === namespace);
    if (definition === undefined) {
      if (inventory.leftOut(inventory.namespaces)) continue;
      findings.push(
        ...inNamespace.map((deployment) =>
          finding(
            deployment.document,
            ["metadata", "namespace"],
            `namespace ${namespace} is not defined in the manifests, so nothing labels it for sidecar injection`,
          ),
        ),
      );
      continue;
    }
    const labels = definition.object.metadata?.labels ?? {};
    const injected =
      labels["istio-injection"] === "enabled" ||
      (labels["istio.io/rev"] !== undefined && labels["istio-injection"] !== "disabled");
    const ambient = labels[MESH_LABELS.dataplaneMode] === "ambient";
    if (injected && ambient) {
      findings.push(
        finding(
          definition.document,
          ["metadata", "labels", "istio-injection"],
          `is beside istio.io/dataplane-mode: ambient: the pods of ${names} would get a sidecar, which takes precedence over ztunnel; keep one of the two labels`,
        ),
      );
    } else if (!injected && !ambient) {
      findings.push(
        finding(
          definition.document,
          ["metadata", "labels", "istio-injection"],
          `is ${JSON.stringify(labels["istio-injection"] ?? null)}: the pods of ${names} would run outside the mesh; label the namespace istio-injection: enabled (sidecar mode) or istio.io/dataplane-mode: ambient (ambient mode)`,
        ),
      );
    }
  }
  for (const deployment of meshDeployments) {
    const missing = ["app", "version"].filter((label) => podLabels(deployment)[label] === undefined);
    if (missing.length > 0) {
      findings.push(
        finding(
          deployment.document,
          ["spec", "template", "metadata", "labels"],
          `has no ${missing.join(" or ")} label, which Istio telemetry and Kiali use to name the workload`,
          "warning",
        ),
      );
    }
  }
  return findings;
}

/** Each Service's selector must match some Deployment's pods, and each port's targetPort one of their ports. */
function checkServices(inventory: Inventory): Finding[] {
  return inventory.services.flatMap((service) => {
    const selector = service.object.spec?.selector;
    // A Service without a selector has its endpoints managed by hand: nothing to match.
    if (selector === undefined || inventory.leftOut(inventory.deployments)) return [];
    const backends = backendsOf(inventory, service);
    if (backends.length === 0) {
      return [
        finding(
          service.document,
          ["spec", "selector"],
          `selects ${formatLabels(selector)}, but no Deployment's pods in namespace ${service.namespace} carry these labels`,
        ),
      ];
    }
    const containerPorts = backends.flatMap((deployment) =>
      (deployment.object.spec?.template.spec?.containers ?? []).flatMap((container) => container.ports ?? []),
    );
    return (service.object.spec?.ports ?? []).flatMap((port, index) => {
      const target = port.targetPort ?? port.port;
      const matched =
        typeof target === "string"
          ? containerPorts.some((containerPort) => containerPort.name === target)
          : containerPorts.some((containerPort) => containerPort.containerPort === target);
      if (matched) return [];
      const offered =
        typeof target === "string"
          ? `their named ports are ${unique(containerPorts.map((p) => p.name ?? "(unnamed)")).join(", ")}`
          : `their container ports are ${unique(containerPorts.map((p) => String(p.containerPort))).join(", ")}`;
      return [
        finding(
          service.document,
          ["spec", "ports", index, "targetPort"],
          `${JSON.stringify(target)} is not a port of the pods that the Service selects: ${offered}`,
        ),
      ];
    });
  });
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** A Gateway configures only the gateway pods its selector matches: it must match the ingress gateway's labels. */
function checkGatewaySelectors(inventory: Inventory, ingressGatewayLabels: Labels): Finding[] {
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

function serviceForHost(
  inventory: Inventory,
  host: string,
  namespace: string,
): Resource<IService> | undefined {
  const fqdn = qualifiedHost(host, namespace);
  return inventory.services.find(
    (service) => `${service.name}.${service.namespace}.svc.cluster.local` === fqdn,
  );
}

function describeHost(host: string, namespace: string): string {
  const fqdn = qualifiedHost(host, namespace);
  return fqdn === host ? host : `${host} (${fqdn})`;
}

const ROUTE_KINDS = ["http", "tcp", "tls"] as const;

/**
 * For every route of every VirtualService: its gateways exist, its weights add up to 100, and each
 * destination's host is a Service and its subset is defined by a DestinationRule for that host.
 */
function checkVirtualServices(inventory: Inventory): Finding[] {
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
function checkDestinationRules(inventory: Inventory): Finding[] {
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

// Security and resilience: mutual TLS, authorization, timeouts and retries, circuit breakers, and
// disruption budgets.

/**
 * Mutual TLS. Every PeerAuthentication is STRICT, port exceptions included, and every namespace with
 * mesh workloads has its own namespace-wide one, so that it stays STRICT whatever the mesh-wide
 * default becomes. No mesh pod turns off Istio's probe rewrite, without which the kubelet's plaintext
 * HTTP probes would be refused.
 */
function checkMutualTls(inventory: Inventory): Finding[] {
  const findings: Finding[] = [];
  for (const policy of inventory.peerAuthentications) {
    const spec = policy.object.spec ?? {};
    const modes: [(string | number)[], string | undefined][] = [
      [["spec", "mtls", "mode"], spec.mtls?.mode],
      ...Object.entries(spec.portLevelMtls ?? {}).map(
        ([port, setting]): [(string | number)[], string | undefined] => [
          ["spec", "portLevelMtls", port, "mode"],
          setting.mode,
        ],
      ),
    ];
    for (const [field, mode] of modes) {
      if (mode === "STRICT") continue;
      findings.push(
        finding(
          policy.document,
          field,
          `is ${JSON.stringify(mode ?? null)}, it must be STRICT: PERMISSIVE and DISABLE accept plaintext from callers with no identity, UNSET leaves the mode to a policy outside the manifests`,
        ),
      );
    }
  }
  const meshDeployments = inventory.deployments.filter((deployment) => !optsOutOfSidecar(deployment));
  for (const namespace of unique(meshDeployments.map((deployment) => deployment.namespace))) {
    const namespaceWide = inventory.peerAuthentications.some(
      (policy) => policy.namespace === namespace && policy.object.spec?.selector === undefined,
    );
    const definition = inventory.namespaces.find((candidate) => candidate.name === namespace);
    // A namespace the manifests do not define is reported by the sidecar injection rule.
    if (namespaceWide || definition === undefined || inventory.leftOut(inventory.peerAuthentications))
      continue;
    findings.push(
      finding(
        definition.document,
        ["metadata", "name"],
        `no namespace-wide PeerAuthentication (one without a selector) in namespace ${namespace}: add one with mtls.mode STRICT, so that its sidecars refuse plaintext whatever the mesh-wide default is`,
      ),
    );
  }
  for (const deployment of meshDeployments) {
    const template = deployment.object.spec?.template;
    const annotation = "sidecar.istio.io/rewriteAppHTTPProbers";
    if (template?.metadata?.annotations?.[annotation] !== "false") continue;
    const probed = (template.spec?.containers ?? []).some((container) =>
      [container.livenessProbe, container.readinessProbe, container.startupProbe].some(
        (probe) => probe?.httpGet !== undefined,
      ),
    );
    if (!probed) continue;
    findings.push(
      finding(
        deployment.document,
        ["spec", "template", "metadata", "annotations", annotation],
        `is "false": with mutual TLS STRICT the sidecar refuses the kubelet's plaintext HTTP probes, so the pods never become ready; remove it, and Istio sends the probes through its agent`,
      ),
    );
  }
  return findings;
}

/**
 * Authorization. Every AuthorizationPolicy ALLOWs the ingress gateway's identity and nothing else:
 * each rule names its callers, by that principal only (a rule's other sources are ANDed with its
 * principals, so they can only narrow it). And the pods behind every Service that a Gateway's routes
 * reach are selected by such a policy, so that no other workload of the mesh may call them.
 */
function checkAuthorizationPolicies(inventory: Inventory, principal: string): Finding[] {
  const admitOnly = `admit only the ingress gateway, from.source.principals [${principal}]`;
  const findings: Finding[] = [];
  for (const policy of inventory.authorizationPolicies) {
    const { document } = policy;
    const spec = policy.object.spec ?? {};
    // Istio's default action is ALLOW.
    const action = spec.action ?? "ALLOW";
    if (action !== "ALLOW") {
      findings.push(
        finding(
          document,
          ["spec", "action"],
          `is ${action}, it must be ALLOW: a policy that allows the ingress gateway alone denies every other caller; ${admitOnly}`,
        ),
      );
      continue;
    }
    const rules = spec.rules ?? [];
    if (rules.length === 0) {
      findings.push(
        finding(
          document,
          ["spec", "rules"],
          `is empty: an ALLOW policy without rules denies every request, the ingress gateway's too; ${admitOnly}`,
        ),
      );
    }
    rules.forEach((rule, ruleIndex) => {
      const from = rule.from ?? [];
      if (from.length === 0) {
        findings.push(
          finding(
            document,
            ["spec", "rules", ruleIndex, "from"],
            `is missing: the rule admits any caller; ${admitOnly}`,
          ),
        );
      }
      from.forEach((entry, fromIndex) => {
        const field = ["spec", "rules", ruleIndex, "from", fromIndex, "source", "principals"];
        const principals = entry.source?.principals ?? [];
        const others = principals.filter((candidate) => candidate !== principal);
        if (principals.length === 0) {
          findings.push(
            finding(
              document,
              field,
              `is missing: the rule admits callers whatever their identity; ${admitOnly}`,
            ),
          );
        } else if (others.length > 0) {
          findings.push(finding(document, field, `admits ${others.join(", ")}: ${admitOnly}`));
        }
      });
    });
  }
  for (const { service, virtualServices } of gatewayRoutedServices(inventory)) {
    const open = backendsOf(inventory, service).filter(
      (deployment) => !optsOutOfSidecar(deployment) && !authorizationPolicySelects(inventory, deployment),
    );
    if (open.length === 0 || inventory.leftOut(inventory.authorizationPolicies)) continue;
    findings.push(
      finding(
        service.document,
        ["spec", "selector"],
        `the ingress gateway routes here (${virtualServices.map((name) => `VirtualService/${name}`).join(", ")}), but no AuthorizationPolicy in namespace ${service.namespace} selects the pods of ${open.map((deployment) => `Deployment/${deployment.name}`).join(", ")}, so any workload in the mesh may call them; add one to ${admitOnly}`,
      ),
    );
  }
  return findings;
}

/** The Services that the routes of VirtualServices bound to a Gateway reach, with those VirtualServices. */
function gatewayRoutedServices(
  inventory: Inventory,
): { service: Resource<IService>; virtualServices: string[] }[] {
  const routed = new Map<Resource<IService>, Set<string>>();
  for (const virtualService of inventory.virtualServices) {
    const spec = virtualService.object.spec ?? {};
    // "mesh" is the sidecars, not a Gateway.
    if (!(spec.gateways ?? []).some((gateway) => gateway !== "mesh")) continue;
    for (const routeKind of ROUTE_KINDS) {
      for (const rule of spec[routeKind] ?? []) {
        for (const entry of rule.route ?? []) {
          const host = entry.destination?.host;
          const service =
            host === undefined ? undefined : serviceForHost(inventory, host, virtualService.namespace);
          if (service === undefined) continue;
          routed.set(service, (routed.get(service) ?? new Set()).add(virtualService.name));
        }
      }
    }
  }
  return [...routed].map(([service, names]) => ({ service, virtualServices: [...names] }));
}

/**
 * Every HTTP route has a timeout (Istio sets none) and bounded retries of connection failures only:
 * at most MAX_RETRY_ATTEMPTS, on CONNECTION_RETRY_CONDITIONS. Without `retries`, or without its
 * `retryOn`, Istio retries twice on its own list, which includes 503s.
 */
function checkRouteResilience(inventory: Inventory): Finding[] {
  const connectionFailures = CONNECTION_RETRY_CONDITIONS.join(",");
  return inventory.virtualServices.flatMap((virtualService) =>
    (virtualService.object.spec?.http ?? []).flatMap((rule, ruleIndex) => {
      const path = ["spec", "http", ruleIndex];
      const found = (field: string[], message: string) =>
        finding(virtualService.document, [...path, ...field], message);
      const findings: Finding[] = [];
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
function checkCircuitBreakers(inventory: Inventory): Finding[] {
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
function checkDisruptionBudgets(inventory: Inventory): Finding[] {
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
