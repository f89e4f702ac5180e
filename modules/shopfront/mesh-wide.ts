import type { Manifest } from "@cdktf/provider-kubernetes/lib/manifest";
import type { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { STACK_NAMES } from "../settings/names";
import type { ShopfrontManifests } from "./manifest-set";
import { applyManifests, isIngressGateway, reportFindings } from "./objects";

export interface MeshWideObjectsProps {
  /** The cluster's Kubernetes provider. @default the stack's default kubernetes provider */
  readonly provider?: KubernetesProvider;
  /** The shopfront's manifests for one mesh variant, as deployed: this applies the mesh-wide ones. */
  readonly manifests: ShopfrontManifests;
  /**
   * What the Gateway API ingress Gateway is created after and destroyed before, beside the objects of
   * the tier beneath it: a wait for the load balancer that istiod made for it. @default []
   */
  readonly ingressGatewayDependsOn?: readonly ITerraformDependable[];
}

/**
 * The mesh-wide objects of manifests/mesh/ for one mesh variant, in istio-system: the mesh's default
 * of STRICT mutual TLS and, with the Gateway API, the ingress Gateway (class istio) and its parameters
 * ConfigMap, one kubernetes_manifest each. They outlive the shopfront: the stack that holds them is
 * destroyed after the shopfront's. The Gateway is created after its ConfigMap and the mTLS default,
 * and waited for until istiod has deployed its proxy and the Service has an address (Programmed). The
 * manifest checks run on the whole set; this construct's validation reports the findings on its files.
 */
export class MeshWideObjects extends Construct {
  /** Every object, in the order of the files and their documents. */
  readonly manifests: readonly Manifest[];
  /** The Gateway API ingress Gateway; only with routingApi gateway-api. */
  readonly ingressGateway?: Manifest;

  constructor(scope: Construct, id: string, props: MeshWideObjectsProps) {
    super(scope, id);
    const documents = props.manifests.meshWide;
    reportFindings(
      this,
      () => props.manifests.findings(),
      (file) => props.manifests.isMeshWide(file),
    );
    const created = applyManifests(this, documents, {
      provider: props.provider,
      fieldManager: STACK_NAMES.istioConfig,
      alsoAfter: (document) => (isIngressGateway(document) ? (props.ingressGatewayDependsOn ?? []) : []),
    });
    this.manifests = documents.flatMap((document) => created.get(document) ?? []);
    const ingress = documents.find(isIngressGateway);
    this.ingressGateway = ingress === undefined ? undefined : created.get(ingress);
  }
}
