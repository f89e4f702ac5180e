import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { type Config, STACK_NAMES } from "../modules/config";
import { Shopfront } from "../modules/shopfront";
import { type ClusterConnection, kubernetesProvider } from "./cluster-connection";
import { ProjectStack } from "./project-stack";

/**
 * shopfront-stack: the shopfront app and its mesh resources from manifests/, through kubernetes_manifest.
 * Its own stack after istio-stack because kubernetes_manifest reads each kind's schema from the cluster
 * at plan time: the Istio CRDs must exist before this stack is planned.
 */
export class ShopfrontStack extends ProjectStack {
  readonly shopfront: Shopfront;

  constructor(scope: Construct, config: Config, cluster: ClusterConnection) {
    super(scope, STACK_NAMES.shopfront, config);
    const provider = kubernetesProvider(this, cluster);
    this.shopfront = new Shopfront(this, "shopfront", { provider, config: config.shopfront });
    new TerraformOutput(this, "namespace", { value: this.shopfront.namespaceName });
    new TerraformOutput(this, "route_weights", {
      description: "The VirtualService's weights per version, as deployed",
      value: Object.entries(this.shopfront.routeWeights)
        .map(([version, weight]) => `${version}=${weight}`)
        .join(","),
    });
  }
}
