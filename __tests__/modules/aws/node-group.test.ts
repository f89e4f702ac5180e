import { EksNodeGroup } from "@cdktf/provider-aws/lib/eks-node-group";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { buildTestStacks, resources, synth } from "../../helpers";

describe("NodeGroup (eks-cluster-stack)", () => {
  const { cluster } = buildTestStacks();
  const json = synth(cluster);
  const nodeGroup = Object.values(resources(cluster, "aws_eks_node_group"))[0];

  it("is one managed on-demand group of 2 x t3.medium on AL2023", () => {
    expect(Object.keys(resources(cluster, "aws_eks_node_group"))).toHaveLength(1);
    expect(json).toHaveResourceWithProperties(EksNodeGroup, {
      node_group_name: "miztiik_on_demand_ng",
      capacity_type: "ON_DEMAND",
      ami_type: "AL2023_x86_64_STANDARD",
      instance_types: ["t3.medium"],
      scaling_config: { min_size: 2, desired_size: 2, max_size: 2 },
    });
  });

  it("takes its size and instance type from config", () => {
    const { cluster: bigger } = buildTestStacks({
      NODE_INSTANCE_TYPE: "m6i.large",
      NODE_MIN_SIZE: "2",
      NODE_DESIRED_SIZE: "3",
      NODE_MAX_SIZE: "5",
    });
    expect(synth(bigger)).toHaveResourceWithProperties(EksNodeGroup, {
      instance_types: ["m6i.large"],
      scaling_config: { min_size: 2, desired_size: 3, max_size: 5 },
    });
  });

  it("labels nodes app=miztiik_on_demand_ng", () => {
    expect(nodeGroup.labels).toEqual({ app: "miztiik_on_demand_ng" });
  });

  it("runs nodes only in the private subnets", () => {
    const subnetIds = nodeGroup.subnet_ids as string[];
    expect(subnetIds).toHaveLength(2);
    for (const id of subnetIds) expect(id).toContain("aws_subnetnetwork_private-");
  });

  it("is built from the launch template, at its latest version", () => {
    expect(nodeGroup.launch_template).toEqual({
      id: expect.stringMatching(/^\$\{aws_launch_template\..*\.id\}$/),
      version: expect.stringMatching(/^\$\{aws_launch_template\..*\.latest_version\}$/),
    });
  });

  it("requires IMDSv2 out of pods' reach (hop limit 1) and encrypts the gp3 root volume", () => {
    expect(json).toHaveResourceWithProperties(LaunchTemplate, {
      metadata_options: { http_endpoint: "enabled", http_tokens: "required", http_put_response_hop_limit: 1 },
      block_device_mappings: [
        {
          device_name: "/dev/xvda",
          ebs: expect.objectContaining({ volume_type: "gp3", encrypted: "true" }),
        },
      ],
    });
  });

  it("replaces nodes one at a time", () => {
    expect(nodeGroup.update_config).toEqual({ max_unavailable: 1 });
  });

  it("gives the node role the three EKS worker policies and SSM", () => {
    for (const policy of [
      "AmazonEKSWorkerNodePolicy",
      "AmazonEKS_CNI_Policy",
      "AmazonEC2ContainerRegistryReadOnly",
      "AmazonSSMManagedInstanceCore",
    ]) {
      expect(json).toHaveResourceWithProperties(IamRolePolicyAttachment, {
        policy_arn: `arn:aws:iam::aws:policy/${policy}`,
        role: expect.stringContaining("node-role"),
      });
    }
  });

  it("keeps the role's policies until the nodes are gone", () => {
    const attachments = (nodeGroup.depends_on as string[]).filter((dep) =>
      dep.startsWith("aws_iam_role_policy_attachment."),
    );
    expect(attachments).toHaveLength(4);
    for (const dep of attachments) expect(dep).toMatch(/^aws_iam_role_policy_attachment\..*node-role/);
  });

  it("joins only once the VPC CNI add-on is in place, so NetworkPolicies hold from the first pod", () => {
    expect(
      (nodeGroup.depends_on as string[]).filter((dep) => !dep.startsWith("aws_iam_role_policy_attachment.")),
    ).toEqual([expect.stringMatching(/^aws_eks_addon\..*vpc-cni/)]);
  });
});
