/**
 * How the shopfront's manifest documents become kubernetes_manifest resources, for both constructs
 * that apply them (Shopfront and MeshWideObjects): each object's construct id, its tier (what it is
 * created after and destroyed before), its wait, and the checks' findings on the objects a construct
 * applies, reported through its validation.
 */
import { Manifest } from "@cdktf/provider-kubernetes/lib/manifest";
import type { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { Annotations, type ITerraformDependable } from "cdktf";
import type { Construct } from "constructs";
import { type Finding, formatFinding } from "../manifests/finding";
import type { ManifestDocument } from "../manifests/model";
import { GATEWAY_CLASSES } from "../mesh/mesh-variant";
import { isGenerator } from "./manifest-set";
import { isGatewayApiGateway } from "./variants";

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
  if (
    [
      "PeerAuthentication",
      "RequestAuthentication",
      "AuthorizationPolicy",
      "NetworkPolicy",
      "ConfigMap",
      "EnvoyFilter",
    ].includes(kind)
  ) {
    return "policies";
  }
  if (kind === "Gateway")
    return isGatewayApiGateway(document, GATEWAY_CLASSES.waypoint) ? "routes" : "gateways";
  if (kind === "DestinationRule") return "destinations";
  if (kind === "VirtualService" || kind === "HTTPRoute") return "routes";
  return "application";
}

/** A Gateway API Gateway of the ingress class (istiod deploys its proxy and Service). */
export function isIngressGateway(document: ManifestDocument): boolean {
  return isGatewayApiGateway(document, GATEWAY_CLASSES.ingress);
}

export interface ManifestObjectsOptions {
  /** The cluster's Kubernetes provider. @default the stack's default kubernetes provider */
  readonly provider?: KubernetesProvider;
  /** Named, so that `kubectl get -o yaml --show-managed-fields` tells who owns a field: the stack's name. */
  readonly fieldManager: string;
  /** The namespace left out of construct ids; objects elsewhere name theirs. @default none left out */
  readonly homeNamespace?: string;
  /** What an object is created after and destroyed before, beside the tier beneath it. @default none */
  readonly alsoAfter?: (document: ManifestDocument) => readonly ITerraformDependable[];
}

/**
 * One kubernetes_manifest per document, in `scope`, each depending on the tier beneath it; an object
 * defined twice is applied once (the checks refuse the manifests, naming both places). Returns each
 * document's resource.
 */
export function applyManifests(
  scope: Construct,
  documents: readonly ManifestDocument[],
  options: ManifestObjectsOptions,
): Map<ManifestDocument, Manifest> {
  const created = new Map<ManifestDocument, Manifest>();
  const idOf = (document: ManifestDocument) => constructId(document, options.homeNamespace);
  let before: Manifest[] = [];
  for (const tier of TIERS) {
    const inTier = documents.filter((document) => tierOf(document) === tier);
    if (inTier.length === 0) continue;
    const dependsOn = before;
    const once = inTier.filter(
      (document, index) => inTier.findIndex((other) => idOf(other) === idOf(document)) === index,
    );
    before = once.map((document) => {
      const after = [...dependsOn, ...(options.alsoAfter?.(document) ?? [])];
      const manifest = new Manifest(scope, idOf(document), {
        provider: options.provider,
        manifest: terraformLiteral(document.object) as Record<string, unknown>,
        dependsOn: after.length > 0 ? after : undefined,
        // Terraform owns these objects: a field changed with `kubectl edit` must not block the next apply.
        fieldManager: { name: options.fieldManager, forceConflicts: true },
        wait: waitFor(document),
      });
      created.set(document, manifest);
      return manifest;
    });
  }
  return created;
}

/**
 * A deploy succeeds only once every pod of a Deployment is ready (sidecar included), and once istiod
 * has deployed a Gateway API Gateway's proxy and it has an address.
 */
function waitFor(document: ManifestDocument) {
  if (document.object.kind === "Deployment") return { rollout: true };
  if (isGatewayApiGateway(document)) return { condition: [{ type: "Programmed", status: "True" }] };
  return undefined;
}

/**
 * Reports through `scope`'s validation the findings that `owns` (by file): errors stop synth, one line
 * each; warnings become synth warnings. The findings are read when cdktf validates, once.
 */
export function reportFindings(
  scope: Construct,
  findings: () => readonly Finding[],
  owns: (file: string) => boolean,
): void {
  let own: readonly Finding[] | undefined;
  const ownFindings = () => {
    if (own === undefined) {
      own = findings().filter((finding) => owns(finding.file));
      for (const warning of own.filter((f) => f.severity === "warning")) {
        Annotations.of(scope).addWarning(formatFinding(warning));
      }
    }
    return own;
  };
  scope.node.addValidation({
    validate: () =>
      ownFindings()
        .filter((f) => f.severity === "error")
        .map(formatFinding),
  });
}

/**
 * `deployment-shopfront-v1`: from the object alone, so Terraform addresses survive edits to the YAML.
 * Objects outside the home namespace name theirs too (`peerauthentication-istio-system-default`): the
 * mesh's PeerAuthentication and the shopfront's are both named `default`.
 */
function constructId(document: ManifestDocument, homeNamespace: string | undefined): string {
  const { kind, metadata } = document.object;
  const namespace =
    metadata.namespace === undefined || metadata.namespace === homeNamespace ? "" : `${metadata.namespace}-`;
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
