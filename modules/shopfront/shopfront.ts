import type { Manifest } from "@cdktf/provider-kubernetes/lib/manifest";
import type { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { Construct } from "constructs";
import { resourceName } from "../manifests/finding";
import type { MeshVariant } from "../mesh/mesh-variant";
import { STACK_NAMES } from "../settings/names";
import type { Weights } from "../settings/sections/shopfront";
import type { ShopfrontManifests } from "./manifest-set";
import { applyManifests, reportFindings } from "./objects";
import { shopfrontRouteName, shopfrontRouteWeights } from "./variants";

export interface ShopfrontProps {
  /** The cluster's Kubernetes provider. @default the stack's default kubernetes provider */
  readonly provider?: KubernetesProvider;
  /** The shopfront's manifests for one mesh variant, as deployed: this applies all but the mesh-wide ones. */
  readonly manifests: ShopfrontManifests;
}

/** The manifests cannot be made into a shopfront (no namespace, no route to weigh): synth stops. */
export class ShopfrontManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ShopfrontManifestError";
  }
}

/**
 * The shopfront from the plain YAML in manifests/ for one mesh variant, all but the mesh-wide objects
 * (MeshWideObjects applies those): the four-version web service and its disruption budgets, the routes
 * of the routing API (an Istio Gateway, VirtualService and DestinationRule, or an HTTPRoute over
 * per-version Services bound to the mesh's Gateway API ingress), the namespace and policies of the
 * data plane (and its waypoint in ambient mode), the namespace's mutual TLS and authorization
 * policies, and the generators that the config turns on. Each object becomes one kubernetes_manifest.
 * The manifest checks run on the whole set as the construct's validation, which reports the findings
 * on the files it applies: cdktf reports each error and writes nothing. The Istio and Gateway API CRDs
 * must exist when this is planned: kubernetes_manifest reads the types' schemas from the cluster.
 */
export class Shopfront extends Construct {
  /** Name of the shopfront's namespace. */
  readonly namespaceName: string;
  /** The Namespace, which every other object depends on. */
  readonly namespace: Manifest;
  /** The route whose weights split the traffic across versions: the VirtualService or the HTTPRoute. */
  readonly route: Manifest;
  readonly variant: MeshVariant;
  /** Every object, in the order of the files and their documents. */
  readonly manifests: readonly Manifest[];
  /** Weight of each version on the route, as deployed. */
  readonly routeWeights: Weights;

  constructor(scope: Construct, id: string, props: ShopfrontProps) {
    super(scope, id);
    const { manifestsDir, variant } = props.manifests;
    this.variant = variant;
    const documents = props.manifests.shopfront;
    reportFindings(
      this,
      () => props.manifests.findings(),
      (file) => !props.manifests.isMeshWide(file),
    );

    const namespaces = documents.filter((document) => document.object.kind === "Namespace");
    if (namespaces.length !== 1) {
      throw new ShopfrontManifestError(
        `${manifestsDir} (with ${variant.meshMode}/) must define exactly one Namespace, the shopfront's (found ${namespaces.length})`,
      );
    }
    this.namespaceName = namespaces[0].object.metadata.name;
    const routeName = shopfrontRouteName(variant.routingApi);
    const shopfrontRoute = documents.find((document) => resourceName(document.object) === routeName);
    const weights = shopfrontRouteWeights(documents, variant.routingApi);
    if (shopfrontRoute === undefined || weights === undefined) {
      throw new ShopfrontManifestError(
        `${manifestsDir} must define ${routeName} with a weighted route (ROUTING_API=${variant.routingApi})`,
      );
    }
    this.routeWeights = weights;

    const created = applyManifests(this, documents, {
      provider: props.provider,
      fieldManager: STACK_NAMES.shopfront,
      homeNamespace: this.namespaceName,
    });
    this.namespace = created.get(namespaces[0]) as Manifest;
    this.manifests = documents.flatMap((document) => created.get(document) ?? []);
    this.route = created.get(shopfrontRoute) as Manifest;
  }
}
