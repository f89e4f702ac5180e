import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import type { Config } from "../modules/settings/load";
import { STACK_NAMES } from "../modules/settings/names";
import type { ShopfrontManifests } from "../modules/shopfront/manifest-set";
import { Shopfront } from "../modules/shopfront/shopfront";
import { shopfrontRouteName } from "../modules/shopfront/variants";
import { type ClusterConnection, kubernetesProvider } from "./cluster-connection";
import { ProjectStack } from "./project-stack";

/**
 * shopfront-stack: the shopfront app from manifests/, through kubernetes_manifest: its namespace,
 * workloads, routes and the namespace's own policies; the mesh-wide objects are istio-config-stack's.
 * Its own stack after istio-stack because kubernetes_manifest reads each kind's schema from the
 * cluster at plan time: the Istio and Gateway API CRDs must exist before this stack is planned.
 */
export class ShopfrontStack extends ProjectStack {
  readonly shopfront: Shopfront;

  constructor(scope: Construct, config: Config, cluster: ClusterConnection, manifests: ShopfrontManifests) {
    // Another data plane or routing API would synthesize other routes than those deployed.
    super(scope, STACK_NAMES.shopfront, config, { teardownSettings: ["MESH_MODE", "ROUTING_API"] });
    const provider = kubernetesProvider(this, cluster);
    this.shopfront = new Shopfront(this, "shopfront", { provider, manifests });
    new TerraformOutput(this, "namespace", { value: this.shopfront.namespaceName });
    new TerraformOutput(this, "route_weights", {
      description: `The weights per version of ${shopfrontRouteName(this.shopfront.variant.routingApi)}, as deployed`,
      value: Object.entries(this.shopfront.routeWeights)
        .map(([version, weight]) => `${version}=${weight}`)
        .join(","),
    });
  }
}
