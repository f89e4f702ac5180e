import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { type Config, STACK_NAMES } from "../modules/config";
import { EksCluster } from "../modules/eks-cluster";
import type { Network } from "../modules/network";
import { NodeGroup } from "../modules/node-group";
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
      region: config.region,
      subnetIds: privateSubnetIds,
      endpointPublicAccessCidrs: config.cluster.endpointPublicAccessCidrs,
      adminRoleArn: config.cluster.adminRoleArn,
    });
    this.nodeGroup = new NodeGroup(this, "on-demand-nodes", {
      clusterName: this.eks.cluster.name,
      name: config.nodeGroup.name,
      namePrefix: config.cluster.name,
      subnetIds: privateSubnetIds,
      instanceType: config.nodeGroup.instanceType,
      minSize: config.nodeGroup.minSize,
      desiredSize: config.nodeGroup.desiredSize,
      maxSize: config.nodeGroup.maxSize,
      labels: config.nodeGroup.labels,
      // Nodes join with the managed VPC CNI already enforcing NetworkPolicies.
      dependsOn: [this.eks.vpcCni],
    });

    const cluster = this.eks.cluster;
    this.connection = {
      name: cluster.name,
      endpoint: cluster.endpoint,
      certificateAuthorityData: cluster.certificateAuthority.get(0).data,
      region: config.region,
    };

    new TerraformOutput(this, "cluster_name", { value: cluster.name });
    new TerraformOutput(this, "cluster_endpoint", { value: cluster.endpoint });
    new TerraformOutput(this, "cluster_certificate_authority_data", {
      value: this.connection.certificateAuthorityData,
    });
    new TerraformOutput(this, "admin_role_arn", { value: this.eks.adminRoleArn });
    new TerraformOutput(this, "oidc_provider_arn", { value: this.eks.oidcProvider.arn });
    new TerraformOutput(this, "ConfigCommand", {
      description: "Points kubectl at the cluster as its admin role",
      value: `aws eks update-kubeconfig --name ${cluster.name} --region ${config.region} --role-arn ${this.eks.adminRoleArn}`,
    });
  }
}
