import { existsSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { Manifest } from "@cdktf/provider-kubernetes/lib/manifest";
import type { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { Annotations, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { checkManifests } from "../manifests/checks";
import { type Finding, formatFinding, resourceName } from "../manifests/finding";
import { type ManifestDocument, parseManifests, readManifestFiles } from "../manifests/model";
import {
  DEFAULT_MESH_VARIANT,
  GATEWAY_CLASSES,
  type MeshMode,
  type MeshVariant,
  type RoutingApi,
} from "../mesh/mesh-variant";
import { STACK_NAMES } from "../settings/names";
import type { Weights } from "../settings/sections/shopfront";
import type { ShopfrontConfig } from "../settings/table";
import {
  type IngressSettings,
  ingressPrincipal,
  isGatewayApiGateway,
  shopfrontManifestPaths,
  shopfrontRouteName,
  shopfrontRouteWeights,
  withGatewayApiIngress,
  withHighlyAvailableGateways,
  withShopfrontWeights,
  withTlsIngressHost,
} from "./variants";

export interface ShopfrontProps {
  /** The cluster's Kubernetes provider. @default the stack's default kubernetes provider */
  readonly provider?: KubernetesProvider;
  /**
   * Folder whose .yaml files make the shopfront in every mesh variant, with a folder per data plane
   * (`sidecar/`, `ambient/`) and one per routing API (`routing-istio/`, `routing-gateway-api/`) for
   * the rest. @default the repository's manifests/
   */
  readonly manifestsDir?: string;
  /** Route weights override and generator toggles, from `loadConfig`. */
  readonly config: ShopfrontConfig;
  /** The data plane: which namespace labels and which of its own objects. @default "sidecar" */
  readonly meshMode?: MeshMode;
  /** The routing API: which ingress, routes and identity. @default "istio" */
  readonly routingApi?: RoutingApi;
  /**
   * The load balancer of the Gateway API ingress (routingApi gateway-api), from the same settings as
   * the chart's ingress. @default the manifest's own: an internal NLB
   */
  readonly ingress?: IngressSettings;
  /**
   * Two replicas of each Gateway API proxy (ingress, waypoint), spread over the zones, with a
   * disruption budget, as MESH_PROFILE=production gives the chart's ingress. @default false
   */
  readonly highlyAvailable?: boolean;
  /**
   * What the Gateway API ingress Gateway is created after and destroyed before, beside the objects of
   * the tiers beneath it: a wait for the load balancer that istiod made for it. @default []
   */
  readonly ingressGatewayDependsOn?: ITerraformDependable[];
}

/** The generator Deployments, by the ShopfrontConfig toggle that deploys each, wherever they are defined. */
const GENERATOR_DEPLOYMENTS = {
  loadGenerator: "load-generator",
  errorGenerator: "error-generator",
} as const;

/** The project's root: the nearest folder above `from` that holds cdktf.json. */
function projectRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "cdktf.json"))) return dir;
    if (dirname(dir) === dir) return process.cwd();
  }
}

const defaultProps = {
  /** From this file's folder, wherever it runs (modules/, or the compiled app in .build/). */
  manifestsDir: join(projectRoot(__dirname), "manifests"),
  /** Named, so that `kubectl get -o yaml --show-managed-fields` tells who owns a field. */
  fieldManager: STACK_NAMES.shopfront,
};

/** The manifests cannot be made into a shopfront (no namespace, no route to weigh): synth stops. */
export class ShopfrontManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ShopfrontManifestError";
  }
}

/**
 * What each object waits for, by tier: every object depends on the objects of the tier before it, so
 * it is created after them and destroyed before them. Destroyed first: the generators, the
 * application, then the routes and the waypoint, then the DestinationRules, then the ingress Gateways,
 * then the policies, then the namespace (Istio and the CRDs are other stacks, destroyed later).
 * Created in the other order: nothing is routed before its policies and subsets exist ("make before
 * break"), and the generators start once the pages they ask for are served.
 */
const TIERS = [
  "namespace",
  "policies",
  "gateways",
  "destinations",
  "routes",
  "application",
  "generators",
] as const;
type Tier = (typeof TIERS)[number];

function tierOf(document: ManifestDocument): Tier {
  const { kind } = document.object;
  if (kind === "Namespace") return "namespace";
  if (isGenerator(document)) return "generators";
  if (["PeerAuthentication", "AuthorizationPolicy", "NetworkPolicy", "ConfigMap"].includes(kind)) {
    return "policies";
  }
  if (kind === "Gateway")
    return isGatewayApiGateway(document, GATEWAY_CLASSES.waypoint) ? "routes" : "gateways";
  if (kind === "DestinationRule") return "destinations";
  if (kind === "VirtualService" || kind === "HTTPRoute") return "routes";
  return "application";
}

/**
 * The shopfront and its mesh, from the plain YAML in manifests/ for one mesh variant: the four-version
 * web service and its disruption budgets, the ingress and routes of the routing API (an Istio Gateway,
 * VirtualService and DestinationRule, or a Gateway API Gateway and HTTPRoute over per-version
 * Services), the namespace and policies of the data plane (and its waypoint in ambient mode), the
 * mutual TLS and authorization policies, and the generators that the config turns on. The route's
 * weights are overridden from the config and each object becomes one kubernetes_manifest. The manifest
 * checks run as the construct's validation: cdktf reports each error and writes nothing. The Istio and
 * Gateway API CRDs must exist when this is planned: kubernetes_manifest reads the types' schemas from
 * the cluster.
 */
export class Shopfront extends Construct {
  /** Name of the shopfront's namespace. */
  readonly namespaceName: string;
  /** The Namespace, which every other object depends on. */
  readonly namespace: Manifest;
  /** The route whose weights split the traffic across versions: the VirtualService or the HTTPRoute. */
  readonly route: Manifest;
  /** The Gateway API ingress Gateway; only with routingApi gateway-api. */
  readonly ingressGateway?: Manifest;
  readonly variant: MeshVariant;
  /** Every object, in the order of the files and their documents. */
  readonly manifests: readonly Manifest[];
  /** Weight of each version on the route, as deployed. */
  readonly routeWeights: Weights;

  constructor(scope: Construct, id: string, props: ShopfrontProps) {
    super(scope, id);
    // Relative to the working directory, so that findings name files as `manifests/shopfront.yaml`.
    const manifestsDir =
      relative(process.cwd(), resolve(props.manifestsDir ?? defaultProps.manifestsDir)) || ".";
    this.variant = {
      meshMode: props.meshMode ?? DEFAULT_MESH_VARIANT.meshMode,
      routingApi: props.routingApi ?? DEFAULT_MESH_VARIANT.routingApi,
    };
    const { routingApi } = this.variant;
    const parsed = parseManifests(readManifestFiles(shopfrontManifestPaths(manifestsDir, this.variant)));
    const selected = parsed.documents.filter((document) => generatorEnabled(document, props.config));
    const weighted =
      props.config.weights === undefined
        ? selected
        : withShopfrontWeights(selected, props.config.weights, routingApi);
    const ingressSet =
      props.ingress !== undefined && routingApi === "gateway-api"
        ? withGatewayApiIngress(weighted, props.ingress)
        : weighted;
    const tlsSet = props.ingress?.certificateArn !== undefined ? withTlsIngressHost(ingressSet) : ingressSet;
    const documents = props.highlyAvailable ? withHighlyAvailableGateways(tlsSet) : tlsSet;

    let findings: Finding[] | undefined;
    const checked = () => {
      if (findings === undefined) {
        findings = [
          ...parsed.findings,
          ...checkManifests(documents, { ingressGatewayPrincipal: ingressPrincipal(routingApi) }),
        ];
        for (const warning of findings.filter((f) => f.severity === "warning")) {
          Annotations.of(this).addWarning(formatFinding(warning));
        }
      }
      return findings;
    };
    this.node.addValidation({
      validate: () =>
        checked()
          .filter((f) => f.severity === "error")
          .map(formatFinding),
    });

    const namespaces = documents.filter((document) => document.object.kind === "Namespace");
    if (namespaces.length !== 1) {
      throw new ShopfrontManifestError(
        `${manifestsDir} (with ${this.variant.meshMode}/) must define exactly one Namespace, the shopfront's (found ${namespaces.length})`,
      );
    }
    this.namespaceName = namespaces[0].object.metadata.name;
    const routeName = shopfrontRouteName(routingApi);
    const shopfrontRoute = documents.find((document) => resourceName(document.object) === routeName);
    const weights = shopfrontRouteWeights(documents, routingApi);
    if (shopfrontRoute === undefined || weights === undefined) {
      throw new ShopfrontManifestError(
        `${manifestsDir} must define ${routeName} with a weighted route (ROUTING_API=${routingApi})`,
      );
    }
    this.routeWeights = weights;

    const created = new Map<ManifestDocument, Manifest>();
    let before: Manifest[] = [];
    for (const tier of TIERS) {
      const inTier = documents.filter((document) => tierOf(document) === tier);
      if (inTier.length === 0) continue;
      const dependsOn = before;
      // An object defined twice is applied once: the checks refuse the manifests with both places named.
      const once = inTier.filter(
        (document, index) =>
          inTier.findIndex(
            (other) => constructId(other, this.namespaceName) === constructId(document, this.namespaceName),
          ) === index,
      );
      before = once.map((document) => {
        const { kind } = document.object;
        const gatewayApiGateway = isGatewayApiGateway(document);
        const after = [
          ...dependsOn,
          ...(isIngressGateway(document) ? (props.ingressGatewayDependsOn ?? []) : []),
        ];
        const manifest = new Manifest(this, constructId(document, this.namespaceName), {
          provider: props.provider,
          manifest: terraformLiteral(document.object) as Record<string, unknown>,
          dependsOn: after.length > 0 ? after : undefined,
          // Terraform owns these objects: a field changed with `kubectl edit` must not block the next apply.
          fieldManager: { name: defaultProps.fieldManager, forceConflicts: true },
          // A deploy succeeds only once every pod of a Deployment is ready (sidecar included), and once
          // istiod has deployed a Gateway API Gateway's proxy and it has an address.
          wait:
            kind === "Deployment"
              ? { rollout: true }
              : gatewayApiGateway
                ? { condition: [{ type: "Programmed", status: "True" }] }
                : undefined,
        });
        created.set(document, manifest);
        return manifest;
      });
    }
    this.namespace = created.get(namespaces[0]) as Manifest;
    this.manifests = documents.flatMap((document) => created.get(document) ?? []);
    this.route = created.get(shopfrontRoute) as Manifest;
    const ingress = documents.find(isIngressGateway);
    this.ingressGateway = ingress === undefined ? undefined : created.get(ingress);
  }
}

/** A Gateway API Gateway of the ingress class (istiod deploys its proxy and Service). */
function isIngressGateway(document: ManifestDocument): boolean {
  return isGatewayApiGateway(document, GATEWAY_CLASSES.ingress);
}

function generatorToggle(document: ManifestDocument): keyof typeof GENERATOR_DEPLOYMENTS | undefined {
  if (document.object.kind !== "Deployment") return undefined;
  return (Object.keys(GENERATOR_DEPLOYMENTS) as (keyof typeof GENERATOR_DEPLOYMENTS)[]).find(
    (key) => GENERATOR_DEPLOYMENTS[key] === document.object.metadata.name,
  );
}

function isGenerator(document: ManifestDocument): boolean {
  return generatorToggle(document) !== undefined;
}

function generatorEnabled(document: ManifestDocument, config: ShopfrontConfig): boolean {
  const toggle = generatorToggle(document);
  return toggle === undefined || config[toggle];
}

/**
 * `deployment-shopfront-v1`: from the object alone, so Terraform addresses survive edits to the YAML.
 * Objects outside the shopfront's namespace name theirs too (`peerauthentication-istio-system-default`):
 * both PeerAuthentications are named `default`.
 */
function constructId(document: ManifestDocument, shopfrontNamespace: string): string {
  const { kind, metadata } = document.object;
  const namespace =
    metadata.namespace === undefined || metadata.namespace === shopfrontNamespace
      ? ""
      : `${metadata.namespace}-`;
  return `${kind.toLowerCase()}-${namespace}${metadata.name}`;
}

/**
 * Escapes Terraform's template syntax in every string, so that a shell `${VAR}` or a `%{` in the
 * YAML reaches the cluster as written, as it does with `kubectl apply`.
 */
function terraformLiteral(value: unknown): unknown {
  if (typeof value === "string") return value.replace(/\$\{/g, () => "$${").replace(/%\{/g, () => "%%{");
  if (Array.isArray(value)) return value.map(terraformLiteral);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, terraformLiteral(item)]));
  }
  return value;
}
