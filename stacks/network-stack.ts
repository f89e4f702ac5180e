import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { Network } from "../modules/aws/network";
import type { Config } from "../modules/settings/load";
import { STACK_NAMES } from "../modules/settings/names";
import { ProjectStack } from "./project-stack";

/** eks-cluster-vpc-stack: the VPC that hosts the cluster. */
export class NetworkStack extends ProjectStack {
  readonly network: Network;

  constructor(scope: Construct, config: Config) {
    super(scope, STACK_NAMES.network, config);
    this.awsProvider();
    this.network = new Network(this, "network", {
      name: config.cluster.name,
      cidr: config.network.vpcCidr,
      availabilityZones: config.network.availabilityZones,
      clusterName: config.cluster.name,
      region: config.aws.region,
    });
    new TerraformOutput(this, "vpc_id", { value: this.network.vpc.id });
  }
}
