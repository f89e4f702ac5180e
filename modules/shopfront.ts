import { existsSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { Manifest } from "@cdktf/provider-kubernetes/lib/manifest";
import type { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { Annotations } from "cdktf";
import { Construct } from "constructs";
import type { ShopfrontConfig, Weights } from "./config";
import { checkManifests } from "./manifests/checks";
import { type Finding, formatFinding } from "./manifests/finding";
import {
  loadManifests,
  type ManifestDocument,
  routeWeights,
  SHOPFRONT_VIRTUAL_SERVICE,
  withRouteWeights,
} from "./manifests/model";

export interface ShopfrontProps {
  /** The cluster's Kubernetes provider. @default the stack's default kubernetes provider */
  readonly provider?: KubernetesProvider;
  /** Folder whose .yaml files make the shopfront, every one of them. @default the repository's manifests/ */
  readonly manifestsDir?: string;
  /** Route weights override and generator toggles, from `loadConfig`. */
  readonly config: ShopfrontConfig;
}

/** The generator Deployments, by the ShopfrontConfig toggle that deploys each, wherever they are defined. */
export const GENERATOR_DEPLOYMENTS = {
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
  fieldManager: "shopfront-stack",
};

/** The manifests cannot be made into a shopfront (no namespace, no route to weigh): synth stops. */
export class ShopfrontManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ShopfrontManifestError";
  }
}

/**
 * The shopfront and its mesh, from the plain YAML in manifests/: the four-version web service and its
 * disruption budgets, the Gateway, VirtualService and DestinationRule, the mutual TLS and
 * authorization policies, and the generators that the config turns on. The VirtualService's weights
 * are overridden from the config and each object becomes one kubernetes_manifest. The manifest checks
 * run as the construct's validation: cdktf reports each error and writes nothing. The Istio CRDs must
 * exist when this is planned: kubernetes_manifest reads the types' schemas from the cluster.
 */
export class Shopfront extends Construct {
  /** Name of the shopfront's namespace. */
  readonly namespaceName: string;
  /** The Namespace, which every other object depends on. */
  readonly namespace: Manifest;
  /** The VirtualService whose weights split the traffic across versions. */
  readonly virtualService: Manifest;
  /** Every object, in the order of the files and their documents. */
  readonly manifests: readonly Manifest[];
  /** Weight of each subset in the VirtualService's route, as deployed. */
  readonly routeWeights: Weights;

  constructor(scope: Construct, id: string, props: ShopfrontProps) {
    super(scope, id);
    // Relative to the working directory, so that findings name files as `manifests/shopfront.yaml`.
    const manifestsDir =
      relative(process.cwd(), resolve(props.manifestsDir ?? defaultProps.manifestsDir)) || ".";
    const parsed = loadManifests(manifestsDir);
    const selected = parsed.documents.filter((document) => generatorEnabled(document, props.config));
    const documents =
      props.config.weights === undefined ? selected : withRouteWeights(selected, props.config.weights);

    let findings: Finding[] | undefined;
    const checked = () => {
      if (findings === undefined) {
        findings = [...parsed.findings, ...checkManifests(documents)];
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
        `${manifestsDir} must define exactly one Namespace, the shopfront's (found ${namespaces.length})`,
      );
    }
    this.namespaceName = namespaces[0].object.metadata.name;
    const shopfrontRoute = documents.find(
      (document) =>
        document.object.kind === "VirtualService" &&
        document.object.metadata.name === SHOPFRONT_VIRTUAL_SERVICE,
    );
    const weights = routeWeights(documents);
    if (shopfrontRoute === undefined || weights === undefined) {
      throw new ShopfrontManifestError(
        `${manifestsDir} must define VirtualService/${SHOPFRONT_VIRTUAL_SERVICE} with an HTTP route`,
      );
    }
    this.routeWeights = weights;

    const created = new Map<ManifestDocument, Manifest>();
    const createAll = (selection: readonly ManifestDocument[], dependsOn: readonly Manifest[]) =>
      selection.map((document) => {
        const manifest = new Manifest(this, constructId(document, this.namespaceName), {
          provider: props.provider,
          manifest: terraformLiteral(document.object) as Record<string, unknown>,
          dependsOn: dependsOn.length > 0 ? [...dependsOn] : undefined,
          // Terraform owns these objects: a field changed with `kubectl edit` must not block the next apply.
          fieldManager: { name: defaultProps.fieldManager, forceConflicts: true },
          // A deploy succeeds only once every pod of a Deployment is ready, sidecar included.
          wait: document.object.kind === "Deployment" ? { rollout: true } : undefined,
        });
        created.set(document, manifest);
        return manifest;
      });
    const isKind = (document: ManifestDocument, ...kinds: string[]) => kinds.includes(document.object.kind);

    [this.namespace] = createAll(namespaces, []);
    const base = documents.filter(
      (document) => !isGenerator(document) && !isKind(document, "Namespace", "VirtualService"),
    );
    // Objects in other namespaces (the mesh-wide PeerAuthentication, in Istio's) do not need this one.
    for (const document of base) {
      createAll(
        [document],
        document.object.metadata.namespace === this.namespaceName ? [this.namespace] : [],
      );
    }
    // Istio's "make before break": the subsets and the gateway exist before a route points at them,
    // and so do mutual TLS and the authorization policy, so that the route never opens unprotected.
    const routeTargets = base
      .filter((document) =>
        isKind(document, "DestinationRule", "Gateway", "PeerAuthentication", "AuthorizationPolicy"),
      )
      .map((document) => created.get(document) as Manifest);
    const routes = documents.filter(
      (document) => !isGenerator(document) && isKind(document, "VirtualService"),
    );
    const routeManifests = createAll(routes, [this.namespace, ...routeTargets]);
    // Generators start once the routes exist, or their first requests would only find 404s.
    createAll(documents.filter(isGenerator), [this.namespace, ...routeManifests]);
    this.manifests = documents.flatMap((document) => created.get(document) ?? []);
    this.virtualService = created.get(shopfrontRoute) as Manifest;
  }
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
