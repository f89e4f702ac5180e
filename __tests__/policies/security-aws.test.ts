/**
 * Security rules on the synthesized AWS resources, one test per rule, named after the Checkov check it
 * mirrors where one exists. Each fails when its rule is removed from the modules.
 */
import { buildTestStacks, synthJson } from "../helpers";

// biome-ignore lint/suspicious/noExplicitAny: synthesized Terraform JSON is untyped; the tests walk it freely.
type Json = Record<string, any>;

const stacks = buildTestStacks({ STATE_BUCKET: "acme-shopfront-tfstate", SSM_AGENT_INSTALLER: "true" });
const cluster = synthJson(stacks.cluster);
const network = synthJson(stacks.network);
const bootstrap = synthJson(stacks.bootstrap);
const all = [cluster, network, bootstrap];
const only = (json: Json, type: string): Json => Object.values(json.resource[type])[0] as Json;

/** Every IAM policy the project writes: policy documents, inline role policies, bucket policies. */
function policyStatements(): { where: string; statement: Json }[] {
  const found: { where: string; statement: Json }[] = [];
  for (const json of all) {
    for (const [name, doc] of Object.entries((json.data?.aws_iam_policy_document ?? {}) as Json)) {
      for (const statement of doc.statement ?? []) found.push({ where: name, statement });
    }
    for (const [name, policy] of Object.entries((json.resource?.aws_iam_role_policy ?? {}) as Json)) {
      for (const statement of JSON.parse(policy.policy).Statement) found.push({ where: name, statement });
    }
  }
  return found;
}

describe("AWS security rules", () => {
  it("CKV_AWS_79: the launch template requires IMDSv2", () => {
    expect(only(cluster, "aws_launch_template").metadata_options).toMatchObject({ http_tokens: "required" });
  });

  it("CKV_AWS_341: IMDS is one hop away, out of pods' reach (pods use IRSA)", () => {
    expect(only(cluster, "aws_launch_template").metadata_options.http_put_response_hop_limit).toBe(1);
  });

  it("encrypted gp3 root volume on every node", () => {
    const [device] = only(cluster, "aws_launch_template").block_device_mappings;
    expect(device.ebs).toMatchObject({ volume_type: "gp3", encrypted: "true" });
  });

  it("CKV_AWS_130 / CKV_AWS_88: no public IPs on launch, nodes only in private subnets", () => {
    for (const subnet of Object.values(network.resource.aws_subnet) as Json[]) {
      expect(subnet.map_public_ip_on_launch).toBe(false);
    }
    const lt = only(cluster, "aws_launch_template");
    expect(JSON.stringify(lt.network_interfaces ?? [])).not.toContain('associate_public_ip_address":true');
    for (const id of only(cluster, "aws_eks_node_group").subnet_ids) expect(id).toContain("private");
  });

  it("CKV_AWS_58: EKS secrets envelope encryption with a customer KMS key (CKV_AWS_7: rotated)", () => {
    expect(only(cluster, "aws_eks_cluster").encryption_config).toEqual({
      resources: ["secrets"],
      provider: { key_arn: expect.stringContaining("aws_kms_key") },
    });
    expect(only(cluster, "aws_kms_key").enable_key_rotation).toBe(true);
  });

  it("CKV_AWS_37: all five control-plane log types; CKV_AWS_66: bounded retention", () => {
    expect(only(cluster, "aws_eks_cluster").enabled_cluster_log_types.sort()).toEqual(
      ["api", "audit", "authenticator", "controllerManager", "scheduler"].sort(),
    );
    const retention = only(cluster, "aws_cloudwatch_log_group").retention_in_days;
    expect(retention).toBeGreaterThan(0);
    expect(retention).toBeLessThanOrEqual(365);
  });

  it("CKV_AWS_38/39: the public endpoint's CIDRs come from config", () => {
    const restricted = synthJson(buildTestStacks({ ENDPOINT_PUBLIC_CIDRS: "198.51.100.0/24" }).cluster);
    expect(only(restricted, "aws_eks_cluster").vpc_config.public_access_cidrs).toEqual(["198.51.100.0/24"]);
  });

  it("IRSA: the cluster's IAM OIDC provider exists", () => {
    expect(only(cluster, "aws_iam_openid_connect_provider").client_id_list).toEqual(["sts.amazonaws.com"]);
  });

  it("CKV_AWS_63 / CKV_AWS_62: no policy the project writes allows a wildcard action", () => {
    const statements = policyStatements();
    expect(statements.length).toBeGreaterThanOrEqual(4);
    for (const { where, statement } of statements) {
      const effect = statement.effect ?? statement.Effect;
      const actions: string[] = [statement.actions ?? statement.Action].flat();
      // The one Deny "s3:*" is AWS's documented TLS-only pattern: denying every action is the point.
      if (effect === "Deny") continue;
      for (const action of actions)
        expect({ where, action }).toEqual({ where, action: expect.not.stringContaining("*") });
    }
  });

  it("managed policies only where AWS documents them for the role", () => {
    const documented: Record<string, string[]> = {
      cluster: ["AmazonEKSClusterPolicy"],
      node: [
        "AmazonEKSWorkerNodePolicy",
        "AmazonEKS_CNI_Policy",
        "AmazonEC2ContainerRegistryReadOnly",
        "AmazonSSMManagedInstanceCore",
      ],
    };
    const attachments = Object.entries(cluster.resource.aws_iam_role_policy_attachment) as [string, Json][];
    expect(attachments).toHaveLength(5);
    for (const [name, attachment] of attachments) {
      const role = name.includes("node-role") ? "node" : "cluster";
      expect(documented[role].map((p) => `arn:aws:iam::aws:policy/${p}`)).toContain(attachment.policy_arn);
    }
  });

  it("CKV_AWS_21 / CKV_AWS_145 / CKV2_AWS_6: the state bucket is versioned, KMS-encrypted, private", () => {
    expect(only(bootstrap, "aws_s3_bucket_versioning").versioning_configuration.status).toBe("Enabled");
    expect(only(bootstrap, "aws_s3_bucket_server_side_encryption_configuration").rule[0]).toMatchObject({
      apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms" },
    });
    expect(only(bootstrap, "aws_s3_bucket_public_access_block")).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
  });

  it("the state bucket denies requests without TLS", () => {
    const [statement] = (Object.values(bootstrap.data.aws_iam_policy_document)[0] as Json).statement;
    expect(statement).toMatchObject({
      effect: "Deny",
      condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
    });
    expect(only(bootstrap, "aws_s3_bucket_policy").policy).toContain("aws_iam_policy_document");
  });

  it("state locking is on for every remote stack", () => {
    for (const json of [cluster, network]) expect(json.terraform.backend.s3.use_lockfile).toBe(true);
  });

  it("default tags (project, environment, owner) on every AWS provider", () => {
    for (const json of all) {
      expect(json.provider.aws[0].default_tags[0].tags).toMatchObject({
        project: "shopfront-mesh",
        environment: "demo",
        owner: "platform-team",
      });
    }
  });
});
