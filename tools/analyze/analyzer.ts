/**
 * An offline `istioctl analyze` for the shopfront's manifests: every object is validated against the
 * upstream Kubernetes and Istio schemas (from kubernetes-models and @kubernetes-models/istio), then
 * checked against the others for the mistakes that deploy fine and break traffic. Needs no cluster.
 */
import type { IDestinationRule } from "@kubernetes-models/istio/networking.istio.io/v1beta1/DestinationRule";
import { DestinationRule } from "@kubernetes-models/istio/networking.istio.io/v1beta1/DestinationRule";
import type { IGateway } from "@kubernetes-models/istio/networking.istio.io/v1beta1/Gateway";
import { Gateway } from "@kubernetes-models/istio/networking.istio.io/v1beta1/Gateway";
import type { IVirtualService } from "@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService";
import { VirtualService } from "@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import type { INamespace } from "kubernetes-models/v1/Namespace";
import { Namespace } from "kubernetes-models/v1/Namespace";
import type { IService } from "kubernetes-models/v1/Service";
import { Service } from "kubernetes-models/v1/Service";
import { INGRESS_GATEWAY_LABELS } from "../../modules/config";
import { type Finding, fieldPath } from "./finding";
import { type ManifestDocument, resourceName } from "./manifests";

export interface AnalyzeOptions {
  /** Labels of the ingress gateway pods, which every Gateway must select. @default INGRESS_GATEWAY_LABELS */
  readonly ingressGatewayLabels?: Readonly<Record<string, string>>;
}

type Labels = Readonly<Record<string, string>>;

/**
 * The schemas, by `apiVersion/kind`: the kinds the manifests use. The models package has no
 * `networking.istio.io/v1` yet; Istio serves v1beta1 alongside it with the same schema.
 */
const MODELS: Readonly<Record<string, new (data: never) => { validate(): void }>> = {
  "v1/Namespace": Namespace,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "networking.istio.io/v1beta1/Gateway": Gateway,
  "networking.istio.io/v1beta1/VirtualService": VirtualService,
  "networking.istio.io/v1beta1/DestinationRule": DestinationRule,
};

/** A schema-valid object of the manifests, typed by its model, with where it came from. */
interface Resource<T> {
  readonly document: ManifestDocument;
  readonly object: T;
  readonly name: string;
  readonly namespace: string;
}

interface Inventory {
  readonly namespaces: readonly Resource<INamespace>[];
  readonly services: readonly Resource<IService>[];
  readonly deployments: readonly Resource<IDeployment>[];
  readonly gateways: readonly Resource<IGateway>[];
  readonly virtualServices: readonly Resource<IVirtualService>[];
  readonly destinationRules: readonly Resource<IDestinationRule>[];
}

/**
 * Analyzes the documents. Cross-resource rules run only once every object passes its schema, since
 * a rule reading a malformed object would report confusing follow-on errors.
 */
export function analyze(documents: readonly ManifestDocument[], options: AnalyzeOptions = {}): Finding[] {
  // Each object on its own (schema, name, uniqueness), all errors: the rest needs them fixed first.
  const objectFindings = [
    ...documents.flatMap(checkSchema),
    ...checkNames(documents),
    ...checkDuplicates(documents),
  ];
  if (objectFindings.length > 0) return objectFindings;
  const inventory = inventoryOf(documents);
  const ingressGatewayLabels = options.ingressGatewayLabels ?? INGRESS_GATEWAY_LABELS;
  return [
    ...checkDeploymentSelectors(inventory),
    ...checkSidecarInjection(inventory),
    ...checkServices(inventory),
    ...checkGatewaySelectors(inventory, ingressGatewayLabels),
    ...checkVirtualServices(inventory),
    ...checkDestinationRules(inventory),
  ];
}

function finding(
  document: ManifestDocument,
  field: readonly (string | number)[],
  message: string,
  severity: Finding["severity"] = "error",
): Finding {
  return {
    severity,
    file: document.file,
    resource: resourceName(document.object),
    field: fieldPath(field),
    message,
  };
}

/** The shape of the errors that the models' validators (Ajv) report. */
interface SchemaError {
  readonly instancePath: string;
  readonly keyword: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly message?: string;
}

function checkSchema(document: ManifestDocument): Finding[] {
  const { object } = document;
  const Model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (Model === undefined) {
    const known = Object.keys(MODELS).join(", ");
    return [
      finding(
        document,
        ["apiVersion"],
        `no schema for ${object.apiVersion} ${object.kind}; the analyzer knows ${known}`,
      ),
    ];
  }
  try {
    new Model(object as never).validate();
    return [];
  } catch (error) {
    if (!(error instanceof Error) || !Array.isArray((error as { errors?: unknown }).errors)) throw error;
    const errors = (error as unknown as { errors: readonly SchemaError[] }).errors;
    const findings = errors.map((schemaError) => schemaFinding(document, schemaError));
    // Ajv can report one mistake through several schema branches with the same text.
    const seen = new Set<string>();
    return findings.filter(
      (f) => !seen.has(`${f.field}: ${f.message}`) && seen.add(`${f.field}: ${f.message}`),
    );
  }
}

function schemaFinding(document: ManifestDocument, error: SchemaError): Finding {
  const segments: (string | number)[] = error.instancePath
    .split("/")
    .slice(1)
    .map((segment) => segment.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
  if (error.keyword === "required") {
    return finding(document, [...segments, String(error.params.missingProperty)], "is required");
  }
  const got = JSON.stringify(valueAt(document.object, segments));
  if (error.keyword === "enum") {
    const allowed = (error.params.allowedValues as readonly unknown[]).join(", ");
    return finding(document, segments, `must be one of ${allowed} (got ${got})`);
  }
  return finding(document, segments, `${error.message ?? error.keyword} (got ${got})`);
}

function valueAt(value: unknown, segments: readonly (string | number)[]): unknown {
  return segments.reduce<unknown>(
    (current, segment) =>
      typeof current === "object" && current !== null
        ? (current as Record<string, unknown>)[segment]
        : undefined,
    value,
  );
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

function namespaceOf(document: ManifestDocument): string {
  // Without a namespace, `kubectl apply` and kubernetes_manifest use "default".
  return document.object.kind === "Namespace"
    ? document.object.metadata.name
    : (document.object.metadata.namespace ?? "default");
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

function inventoryOf(documents: readonly ManifestDocument[]): Inventory {
  const ofKind = <T>(kind: string): Resource<T>[] =>
    documents
      .filter((document) => document.object.kind === kind)
      .map((document) => ({
        document,
        object: document.object as unknown as T,
        name: document.object.metadata.name,
        namespace: namespaceOf(document),
      }));
  return {
    namespaces: ofKind<INamespace>("Namespace"),
    services: ofKind<IService>("Service"),
    deployments: ofKind<IDeployment>("Deployment"),
    gateways: ofKind<IGateway>("Gateway"),
    virtualServices: ofKind<IVirtualService>("VirtualService"),
    destinationRules: ofKind<IDestinationRule>("DestinationRule"),
  };
}

function selects(selector: Labels, labels: Labels): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

function formatLabels(labels: Labels): string {
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(", ");
}

function podLabels(deployment: Resource<IDeployment>): Labels {
  return deployment.object.spec?.template.metadata?.labels ?? {};
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
    if (!injected) {
      findings.push(
        finding(
          definition.document,
          ["metadata", "labels", "istio-injection"],
          `is ${JSON.stringify(labels["istio-injection"] ?? null)}: the pods of ${names} would run without the Istio sidecar; label the namespace istio-injection: enabled`,
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
    if (selector === undefined) return [];
    const backends = inventory.deployments.filter(
      (deployment) => deployment.namespace === service.namespace && selects(selector, podLabels(deployment)),
    );
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
  return inventory.gateways.flatMap((gateway) => {
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
 * Istio resolves a short host name (no dot) in the namespace of the resource that names it; any other
 * host is taken as written.
 */
function qualifiedHost(host: string, namespace: string): string {
  return host.includes(".") ? host : `${host}.${namespace}.svc.cluster.local`;
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
      const exists = inventory.gateways.some(
        (gateway) => gateway.name === gatewayName && gateway.namespace === gatewayNamespace,
      );
      if (!exists) {
        const defined =
          inventory.gateways.map((gateway) => `${gateway.namespace}/${gateway.name}`).join(", ") || "none";
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
            findings.push(
              finding(
                document,
                routePath,
                `weights add up to ${sum}, they must add up to 100 (got ${split})`,
              ),
            );
          }
        }
        route.forEach((entry, entryIndex) => {
          const host = entry.destination?.host;
          if (host === undefined) return;
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
          if (defined.includes(subset)) return;
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

function destinationRulesFor(inventory: Inventory, fqdn: string): Resource<IDestinationRule>[] {
  return inventory.destinationRules.filter(
    (rule) => qualifiedHost(rule.object.spec?.host ?? "", rule.namespace) === fqdn,
  );
}

/** A DestinationRule's host must be a Service, and each subset's labels must select some of its pods. */
function checkDestinationRules(inventory: Inventory): Finding[] {
  return inventory.destinationRules.flatMap((rule) => {
    const host = rule.object.spec?.host ?? "";
    const service = serviceForHost(inventory, host, rule.namespace);
    if (service === undefined) {
      return [
        finding(
          rule.document,
          ["spec", "host"],
          `host ${describeHost(host, rule.namespace)} is not a Service in the manifests`,
        ),
      ];
    }
    const selector = service.object.spec?.selector ?? {};
    const backends = inventory.deployments.filter(
      (deployment) => deployment.namespace === service.namespace && selects(selector, podLabels(deployment)),
    );
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
