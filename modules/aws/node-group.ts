import { EksNodeGroup } from "@cdktf/provider-aws/lib/eks-node-group";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { roleName } from "../settings/names";
import { ServiceRole } from "./iam";

/** The policies AWS documents for managed node group roles, plus SSM for Session Manager access. */
export const NODE_POLICIES = [
  "AmazonEKSWorkerNodePolicy",
  "AmazonEKS_CNI_Policy",
  "AmazonEC2ContainerRegistryReadOnly",
  "AmazonSSMManagedInstanceCore",
];

export interface NodeGroupProps {
  readonly clusterName: string;
  /** Node group name (unique within the cluster). */
  readonly name: string;
  /**
   * Prefix of the names that must be unique in the account (the node role `<prefix>-node`, the launch
   * template `<prefix>-node-...`): the cluster's name, so that two clusters never collide.
   */
  readonly namePrefix: string;
  /** Subnets for the nodes: the private ones only. */
  readonly subnetIds: string[];
  readonly instanceType: string;
  readonly minSize: number;
  readonly desiredSize: number;
  readonly maxSize: number;
  /** Kubernetes labels on every node. */
  readonly labels: Readonly<Record<string, string>>;
  /** Root volume size in GiB. @default 20 */
  readonly diskSizeGib?: number;
  /** What must exist before the nodes join, e.g. the cluster's networking add-on. @default none */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * One managed on-demand node group on the EKS-optimized Amazon Linux 2023 AMI (chosen through
 * `ami_type`, so no SSM lookup at plan time), built from a launch template that requires IMDSv2 (one
 * hop: out of pods' reach) and encrypts the gp3 root volume.
 */
export class NodeGroup extends Construct {
  readonly nodeGroup: EksNodeGroup;
  readonly launchTemplate: LaunchTemplate;
  readonly nodeRole: ServiceRole;

  constructor(scope: Construct, id: string, props: NodeGroupProps) {
    super(scope, id);

    this.nodeRole = new ServiceRole(this, "node-role", {
      name: roleName(props.namePrefix, "node"),
      principal: { type: "Service", identifiers: ["ec2.amazonaws.com"] },
      managedPolicies: NODE_POLICIES,
    });

    this.launchTemplate = new LaunchTemplate(this, "launch-template", {
      namePrefix: `${props.namePrefix}-node-`,
      description: `Nodes of ${props.clusterName}: IMDSv2 only, encrypted gp3 root volume`,
      updateDefaultVersion: true,
      metadataOptions: {
        httpEndpoint: "enabled",
        httpTokens: "required",
        // 1 hop: pods take AWS credentials through IRSA, never the node role's; the agents that need
        // IMDS (kubelet, nodeadm, the VPC CNI, kube-proxy) run on the host network and still reach it.
        httpPutResponseHopLimit: 1,
      },
      blockDeviceMappings: [
        {
          deviceName: "/dev/xvda",
          ebs: {
            volumeSize: props.diskSizeGib ?? 20,
            volumeType: "gp3",
            encrypted: "true",
            deleteOnTermination: "true",
          },
        },
      ],
      tagSpecifications: [
        { resourceType: "instance", tags: { Name: `${props.clusterName}-${props.name}` } },
        { resourceType: "volume", tags: { Name: `${props.clusterName}-${props.name}` } },
      ],
    });

    this.nodeGroup = new EksNodeGroup(this, "node-group", {
      clusterName: props.clusterName,
      nodeGroupName: props.name,
      nodeRoleArn: this.nodeRole.role.arn,
      subnetIds: props.subnetIds,
      amiType: "AL2023_x86_64_STANDARD",
      capacityType: "ON_DEMAND",
      instanceTypes: [props.instanceType],
      scalingConfig: { minSize: props.minSize, desiredSize: props.desiredSize, maxSize: props.maxSize },
      updateConfig: { maxUnavailable: 1 },
      labels: { ...props.labels },
      launchTemplate: { id: this.launchTemplate.id, version: this.launchTemplate.latestVersion.toString() },
      // The role's policies must outlive the nodes, or nodes cannot deregister on destroy.
      dependsOn: [...this.nodeRole.attachments, ...(props.dependsOn ?? [])],
    });
  }
}
