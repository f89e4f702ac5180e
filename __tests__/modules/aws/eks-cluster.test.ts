import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { EksAccessEntry } from "@cdktf/provider-aws/lib/eks-access-entry";
import { EksAccessPolicyAssociation } from "@cdktf/provider-aws/lib/eks-access-policy-association";
import { EksCluster } from "@cdktf/provider-aws/lib/eks-cluster";
import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { buildTestStacks, resources, synth, synthJson } from "../../helpers";

const ADMIN = "arn:aws:iam::123456789012:role/c_admin";

describe("EksCluster (eks-cluster-stack)", () => {
  const { cluster } = buildTestStacks();
  const json = synth(cluster);

  it("runs the pinned Kubernetes version with a private endpoint only, unless ENDPOINT_PUBLIC_CIDRS is set", () => {
    expect(json).toHaveResourceWithProperties(EksCluster, {
      name: "shopfront-eks",
      version: "1.35",
      vpc_config: expect.objectContaining({ endpoint_public_access: false, endpoint_private_access: true }),
    });
    // Left out, not empty: AWS answers 0.0.0.0/0 for a cluster without a public endpoint.
    expect(synthJson(cluster).resource.aws_eks_cluster.eks_cluster_55B0C966.vpc_config).not.toHaveProperty(
      "public_access_cidrs",
    );
  });

  it("restricts the public endpoint to ENDPOINT_PUBLIC_CIDRS", () => {
    const { cluster: restricted } = buildTestStacks({
      ENDPOINT_PUBLIC_CIDRS: "203.0.113.0/24,198.51.100.7/32",
    });
    expect(synth(restricted)).toHaveResourceWithProperties(EksCluster, {
      vpc_config: expect.objectContaining({
        endpoint_public_access: true,
        endpoint_private_access: true,
        public_access_cidrs: ["203.0.113.0/24", "198.51.100.7/32"],
      }),
    });
  });

  it("opens the public endpoint to the whole internet only when 0.0.0.0/0 is written", () => {
    const { cluster: open } = buildTestStacks({ ENDPOINT_PUBLIC_CIDRS: "0.0.0.0/0" });
    expect(synth(open)).toHaveResourceWithProperties(EksCluster, {
      vpc_config: expect.objectContaining({
        endpoint_public_access: true,
        public_access_cidrs: ["0.0.0.0/0"],
      }),
    });
  });

  it("places the control plane's interfaces in the network stack's private subnets, read through remote state", () => {
    const stack = synthJson(cluster);
    const subnetIds: string[] = stack.resource.aws_eks_cluster.eks_cluster_55B0C966.vpc_config.subnet_ids;
    expect(subnetIds).toHaveLength(2);
    for (const id of subnetIds) {
      expect(id).toMatch(
        /^\$\{data\.terraform_remote_state\.cross-stack-reference-input-eks-cluster-vpc-stack\.outputs\.cross-stack-output-aws_subnetnetwork_private-[01]/,
      );
    }
  });

  it("has an IAM role that EKS assumes, with AmazonEKSClusterPolicy", () => {
    expect(json).toHaveResourceWithProperties(IamRole, { name: "shopfront-eks-cluster" });
    expect(json).toHaveResourceWithProperties(IamRolePolicyAttachment, {
      policy_arn: "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
    });
    const trust = synthJson(cluster).data.aws_iam_policy_document;
    const eksTrust = Object.values(trust).find((doc) =>
      JSON.stringify(doc).includes("eks.amazonaws.com"),
    ) as { statement: { actions: string[] }[] };
    expect(eksTrust.statement[0].actions).toEqual(["sts:AssumeRole", "sts:TagSession"]);
  });

  it("grants cluster-admin to the admin role through an EKS access entry, not the aws-auth ConfigMap", () => {
    const { cluster: withAdmin } = buildTestStacks({ ADMIN_ROLE_ARN: ADMIN });
    const adminJson = synth(withAdmin);
    expect(adminJson).toHaveResourceWithProperties(EksCluster, {
      access_config: { authentication_mode: "API", bootstrap_cluster_creator_admin_permissions: true },
    });
    expect(adminJson).toHaveResourceWithProperties(EksAccessEntry, {
      principal_arn: ADMIN,
      type: "STANDARD",
    });
    expect(adminJson).toHaveResourceWithProperties(EksAccessPolicyAssociation, {
      policy_arn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
      access_scope: { type: "cluster" },
    });
    // A given role is used as is: no admin role is created.
    expect(Object.values(resources(withAdmin, "aws_iam_role")).map((r) => r.name)).not.toContain(
      "shopfront-eks-admin",
    );
  });

  it("creates the walkthrough's admin role when ADMIN_ROLE_ARN is unset", () => {
    expect(json).toHaveResourceWithProperties(IamRole, { name: "shopfront-eks-admin" });
    expect(json).toHaveResourceWithProperties(EksAccessEntry, {
      principal_arn: expect.stringMatching(/^\$\{aws_iam_role\.eks_admin-role_.*\.arn\}$/),
    });
    // A role created here never created the cluster: its entry is unconditional.
    for (const entry of [
      ...Object.values(resources(cluster, "aws_eks_access_entry")),
      ...Object.values(resources(cluster, "aws_eks_access_policy_association")),
    ]) {
      expect(entry).not.toHaveProperty("count");
    }
  });

  describe("the cluster creator's own admin entry (bootstrap_cluster_creator_admin_permissions)", () => {
    const { cluster: withAdmin } = buildTestStacks({ ADMIN_ROLE_ARN: ADMIN });
    const [[creatorId, creator]] = Object.entries(resources(withAdmin, "terraform_data"));
    const session = Object.keys(synthJson(withAdmin).data.aws_iam_session_context)[0];

    it("stays on: turning it off would replace an existing cluster (ForceNew)", () => {
      expect(synth(withAdmin)).toHaveResourceWithProperties(EksCluster, {
        access_config: expect.objectContaining({ bootstrap_cluster_creator_admin_permissions: true }),
      });
    });

    it("records who created the cluster, the deploying role behind its session, once: a later deploy by someone else leaves the record", () => {
      expect(creator).toEqual({
        input: { principal_arn: `\${data.aws_iam_session_context.${session}.issuer_arn}` },
        lifecycle: { ignore_changes: ["input"] },
      });
    });

    it("adds no access entry for an ADMIN_ROLE_ARN that created the cluster (EKS answers 409 ResourceInUseException), one otherwise", () => {
      const createdIt = `\${(terraform_data.${creatorId}.input.principal_arn == "${ADMIN}") ? 0 : 1}`;
      expect(Object.values(resources(withAdmin, "aws_eks_access_entry"))).toEqual([
        { cluster_name: expect.any(String), count: createdIt, principal_arn: ADMIN, type: "STANDARD" },
      ]);
      expect(Object.values(resources(withAdmin, "aws_eks_access_policy_association"))).toEqual([
        expect.objectContaining({ count: createdIt, principal_arn: ADMIN }),
      ]);
    });
  });

  it("encrypts secrets with a customer KMS key that rotates", () => {
    expect(json).toHaveResourceWithProperties(KmsKey, { enable_key_rotation: true });
    expect(json).toHaveResourceWithProperties(EksCluster, {
      encryption_config: {
        resources: ["secrets"],
        provider: { key_arn: expect.stringContaining("aws_kms_key") },
      },
    });
  });

  it("logs all control-plane log types to a log group kept a year", () => {
    expect(json).toHaveResourceWithProperties(EksCluster, {
      enabled_cluster_log_types: ["api", "audit", "authenticator", "controllerManager", "scheduler"],
    });
    expect(json).toHaveResourceWithProperties(CloudwatchLogGroup, {
      name: "/aws/eks/shopfront-eks/cluster",
      retention_in_days: 365,
    });
  });

  it("stays on standard support", () => {
    expect(json).toHaveResourceWithProperties(EksCluster, { upgrade_policy: { support_type: "STANDARD" } });
  });

  it("registers the cluster's OIDC issuer for IAM roles for service accounts", () => {
    expect(json).toHaveResourceWithProperties(IamOpenidConnectProvider, {
      client_id_list: ["sts.amazonaws.com"],
      url: expect.stringContaining("identity[0].oidc[0].issuer"),
    });
  });

  it("outputs the cluster's name, endpoint, CA data, creator and the walkthrough's ConfigCommand", () => {
    const outputs = synthJson(cluster).output;
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining([
        "cluster_name",
        "cluster_endpoint",
        "cluster_certificate_authority_data",
        "cluster_creator_arn",
        "ConfigCommand",
      ]),
    );
    expect(outputs.cluster_endpoint.value).toBe("${aws_eks_cluster.eks_cluster_55B0C966.endpoint}");
    expect(outputs.cluster_creator_arn.value).toBe(
      "${terraform_data.eks_cluster-creator_3DF3E44E.input.principal_arn}",
    );
    expect(outputs.cluster_certificate_authority_data.value).toBe(
      "${aws_eks_cluster.eks_cluster_55B0C966.certificate_authority[0].data}",
    );
    expect(outputs.ConfigCommand.value).toMatch(
      /^aws eks update-kubeconfig --name \$\{aws_eks_cluster\.eks_cluster_55B0C966\.name\} --region us-east-1 --role-arn \$\{aws_iam_role\.eks_admin-role_.*\.arn\}$/,
    );
  });
});

describe("public endpoint (CKV_AWS_38/39)", () => {
  /** The synth warnings of every construct in eks-cluster-stack: the stack's own, the EksCluster's, its resources'. */
  const warnings = (env: Record<string, string>) =>
    buildTestStacks(env)
      .cluster.node.findAll()
      .flatMap((construct) => construct.node.metadata)
      .filter((entry) => entry.type === "@cdktf/warn")
      .map((entry) => String(entry.data));

  // The choice is explicit now (unset: private only), so synth has nothing to warn about.
  it.each<Record<string, string>>([
    {},
    { ENDPOINT_PUBLIC_CIDRS: "0.0.0.0/0" },
    { ENDPOINT_PUBLIC_CIDRS: "203.0.113.0/24" },
  ])("does not warn with %j", (env) => {
    expect(warnings(env)).toEqual([]);
  });
});
