import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { EksCluster } from "../modules/aws/eks-cluster";
import type { Network } from "../modules/aws/network";
import { NodeGroup } from "../modules/aws/node-group";
import type { Config } from "../modules/settings/load";
import { NODE_GROUP_NAME, STACK_NAMES } from "../modules/settings/names";
import type { ClusterConnection } from "./cluster-connection";
import { ProjectStack } from "./project-stack";

/** eks-cluster-stack: the EKS control plane and its on-demand node group, in the network stack's VPC. */
export class ClusterStack extends ProjectStack {
  readonly eks: EksCluster;
  readonly nodeGroup: NodeGroup;
  /** Read by the stacks that deploy into the cluster, through remote state. */
  readonly connection: ClusterConnection;

  constructor(scope: Construct, config: Config, network: Network) {
    super(scope, STACK_NAMES.cluster, config);
    this.awsProvider();
    const privateSubnetIds = network.subnets.private.map((subnet) => subnet.id);
    this.eks = new EksCluster(this, "eks", {
      name: config.cluster.name,
      kubernetesVersion: config.cluster.kubernetesVersion,
      region: config.aws.region,
      subnetIds: privateSubnetIds,
      endpointPublicAccessCidrs: config.cluster.endpointPublicAccessCidrs,
      adminRoleArn: config.cluster.adminRoleArn,
    });
    this.nodeGroup = new NodeGroup(this, "on-demand-nodes", {
      clusterName: this.eks.cluster.name,
      name: NODE_GROUP_NAME,
      namePrefix: config.cluster.name,
      subnetIds: privateSubnetIds,
      instanceType: config.nodes.instanceType,
      minSize: config.nodes.minSize,
      desiredSize: config.nodes.desiredSize,
      maxSize: config.nodes.maxSize,
      labels: { app: NODE_GROUP_NAME },
      // Nodes join with the managed VPC CNI already enforcing NetworkPolicies.
      dependsOn: [this.eks.vpcCni],
    });

    const cluster = this.eks.cluster;
    this.connection = {
      name: cluster.name,
      endpoint: cluster.endpoint,
      certificateAuthorityData: cluster.certificateAuthority.get(0).data,
      region: config.aws.region,
    };

    new TerraformOutput(this, "cluster_name", { value: cluster.name });
    new TerraformOutput(this, "cluster_endpoint", { value: cluster.endpoint });
    new TerraformOutput(this, "cluster_certificate_authority_data", {
      value: this.connection.certificateAuthorityData,
    });
    new TerraformOutput(this, "admin_role_arn", { value: this.eks.adminRoleArn });
    new TerraformOutput(this, "cluster_creator_arn", {
      description: "The IAM principal that created the cluster, which EKS made cluster admin",
      value: this.eks.creator.principalArn,
    });
    new TerraformOutput(this, "oidc_provider_arn", { value: this.eks.oidcProvider.arn });
    new TerraformOutput(this, "ConfigCommand", {
      description: "Points kubectl at the cluster as its admin role",
      value: `aws eks update-kubeconfig --name ${cluster.name} --region ${config.aws.region} --role-arn ${this.eks.adminRoleArn}`,
    });
  }
}
