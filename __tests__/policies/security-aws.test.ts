/**
 * Security rules on the synthesized AWS resources, one test per rule, named after the Checkov check it
 * mirrors where one exists. Each fails when its rule is removed from the modules. Then the findings
 * test: the (rule, resource) pairs that Checkov's rules (re-stated in checkov-aws.ts) fail are exactly
 * the accepted ones, each with the reason docs/security.md gives.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { EksCluster } from "../../modules/aws/eks-cluster";
import { ACCOUNT_KEY_STATEMENT } from "../../modules/aws/kms";
import type { Env } from "../../modules/settings/load";
import { awsFindings, type Finding, rule } from "../checkov-aws";
import { buildTestStacks, synthJson, synthScope } from "../helpers";

// biome-ignore lint/suspicious/noExplicitAny: synthesized Terraform JSON is untyped; the tests walk it freely.
type Json = Record<string, any>;

const stacks = buildTestStacks({ STATE_BUCKET: "acme-shopfront-tfstate", SSM_AGENT_INSTALLER: "true" });
const cluster = synthJson(stacks.cluster);
const network = synthJson(stacks.network);
const bootstrap = synthJson(stacks.bootstrap);
const all = [cluster, network, bootstrap];
const only = (json: Json, type: string): Json => Object.values(json.resource[type])[0] as Json;

/** Every IAM policy the project writes: policy documents, inline role policies, bucket and key policies. */
function policyStatements(): { where: string; statement: Json }[] {
  const found: { where: string; statement: Json }[] = [];
  for (const json of all) {
    for (const [name, key] of Object.entries((json.resource?.aws_kms_key ?? {}) as Json)) {
      for (const statement of JSON.parse(key.policy).Statement) found.push({ where: name, statement });
    }
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

  it("IRSA: the cluster's IAM OIDC provider exists", () => {
    expect(only(cluster, "aws_iam_openid_connect_provider").client_id_list).toEqual(["sts.amazonaws.com"]);
  });

  it("CKV_AWS_63 / CKV_AWS_62: no policy the project writes allows a wildcard action", () => {
    const statements = policyStatements();
    expect(statements.length).toBeGreaterThanOrEqual(4);
    for (const { where, statement } of statements) {
      const effect = statement.effect ?? statement.Effect;
      const actions: string[] = [statement.actions ?? statement.Action].flat();
      // The Deny "s3:*" is AWS's documented TLS-only pattern: denying every action is the point.
      if (effect === "Deny") continue;
      // AWS's default key policy statement: "kms:*" on the key itself, delegated to IAM policies.
      if (statement.Sid === ACCOUNT_KEY_STATEMENT) {
        expect(statement.Principal.AWS).toMatch(
          /^arn:\$\{data\.aws_partition\..*\}:iam::\$\{data\.aws_caller_identity\..*\.account_id\}:root$/,
        );
        continue;
      }
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

/** The EksCluster construct alone, with the given public endpoint CIDRs. */
function clusterWithEndpointCidrs(cidrs: string[]): Json {
  const json = JSON.parse(
    synthScope((scope) => {
      new EksCluster(scope, "eks", {
        name: "endpoint-test",
        kubernetesVersion: "1.35",
        region: "us-east-1",
        subnetIds: ["subnet-a", "subnet-b"],
        endpointPublicAccessCidrs: cidrs,
      });
    }),
  );
  return Object.values(json.resource.aws_eks_cluster)[0] as Json;
}

/** Whether `id` passes on every resource of its type in the synthesized stacks. */
function passesEverywhere(id: string, stacksJson: Json[] = all): boolean {
  const named = Object.fromEntries(stacksJson.map((json, index) => [String(index), json]));
  return awsFindings(named, [rule(id)]).length === 0;
}

describe("AWS rules of issue #12, as Checkov states them", () => {
  // The endpoint's shape for each ENDPOINT_PUBLIC_CIDRS is the EksCluster's test (modules/aws/eks-cluster.test.ts).
  it("CKV_AWS_38: the private-only endpoint and one restricted to CIDRs pass; 0.0.0.0/0, only when written, fails", () => {
    expect(rule("CKV_AWS_38").passes(clusterWithEndpointCidrs([]), "eks", {})).toBe(true);
    expect(rule("CKV_AWS_38").passes(clusterWithEndpointCidrs(["203.0.113.0/24"]), "eks", {})).toBe(true);
    expect(rule("CKV_AWS_38").passes(clusterWithEndpointCidrs(["0.0.0.0/0"]), "eks", {})).toBe(false);
  });

  it("CKV_AWS_39: a public endpoint exists only when CIDRs are given", () => {
    expect(rule("CKV_AWS_39").passes(clusterWithEndpointCidrs([]), "eks", {})).toBe(true);
    expect(rule("CKV_AWS_39").passes(clusterWithEndpointCidrs(["203.0.113.0/24"]), "eks", {})).toBe(false);
  });

  it("CKV2_AWS_11: the VPC logs every flow to a KMS-encrypted log group through the <cluster>-vpc-flow-logs role", () => {
    const [vpcName] = Object.keys(network.resource.aws_vpc);
    expect(only(network, "aws_flow_log")).toMatchObject({
      vpc_id: `\${aws_vpc.${vpcName}.id}`,
      traffic_type: "ALL",
      log_destination_type: "cloud-watch-logs",
      log_destination: expect.stringMatching(/^\$\{aws_cloudwatch_log_group\..*\.arn\}$/),
      iam_role_arn: expect.stringMatching(/^\$\{aws_iam_role\..*\.arn\}$/),
    });
    expect(only(network, "aws_iam_role").name).toBe("shopfront-eks-vpc-flow-logs");
    const [trust] = Object.values(network.data.aws_iam_policy_document) as Json[];
    expect(trust.statement[0]).toMatchObject({
      principals: [{ type: "Service", identifiers: ["vpc-flow-logs.amazonaws.com"] }],
      condition: [
        {
          test: "StringEquals",
          variable: "aws:SourceAccount",
          values: [expect.stringContaining("account_id")],
        },
      ],
    });
    expect(only(network, "aws_cloudwatch_log_group").name).toBe("/aws/vpc/shopfront-eks/flow-logs");
    expect(passesEverywhere("CKV2_AWS_11")).toBe(true);
  });

  it("CKV2_AWS_12: the VPC's default security group is managed with no rules", () => {
    const [vpcName] = Object.keys(network.resource.aws_vpc);
    const defaultGroup = only(network, "aws_default_security_group");
    expect(defaultGroup.vpc_id).toBe(`\${aws_vpc.${vpcName}.id}`);
    expect(defaultGroup.ingress).toBeUndefined();
    expect(defaultGroup.egress).toBeUndefined();
    expect(passesEverywhere("CKV2_AWS_12")).toBe(true);
  });

  it("CKV_AWS_61: the admin role trusts the deploying identity, not the account root", () => {
    const trust = cluster.data.aws_iam_policy_document;
    const admin = Object.entries(trust).find(([name]) => name.includes("admin-role")) as [string, Json];
    expect(admin[1].statement).toEqual([
      expect.objectContaining({
        principals: [
          {
            type: "AWS",
            identifiers: [expect.stringMatching(/^\$\{data\.aws_iam_session_context\..*\.issuer_arn\}$/)],
          },
        ],
      }),
    ]);
    const [session] = Object.values(cluster.data.aws_iam_session_context) as Json[];
    expect(session.arn).toMatch(/^\$\{data\.aws_caller_identity\..*\.arn\}$/);
    expect(JSON.stringify(all)).not.toMatch(/:root"\]|:root\\"\]/);
    expect(passesEverywhere("CKV_AWS_61")).toBe(true);
  });

  it("CKV_AWS_61: named principals replace the deploying identity when given", () => {
    const json = JSON.parse(
      synthScope((scope) => {
        new EksCluster(scope, "eks", {
          name: "trust-test",
          kubernetesVersion: "1.35",
          region: "us-east-1",
          subnetIds: ["subnet-a"],
          endpointPublicAccessCidrs: [],
          adminTrustedPrincipalArns: ["arn:aws:iam::123456789012:role/platform-admins"],
        });
      }),
    );
    const [, admin] = Object.entries(json.data.aws_iam_policy_document).find(([name]) =>
      name.includes("admin-role"),
    ) as [string, Json];
    expect(admin.statement[0].principals).toEqual([
      { type: "AWS", identifiers: ["arn:aws:iam::123456789012:role/platform-admins"] },
    ]);
    // The deploying identity is still read, to record the cluster's creator, but is not trusted.
    expect(JSON.stringify(admin)).not.toContain("aws_iam_session_context");
  });

  it("CKV2_AWS_64: every KMS key has an explicit key policy; CloudWatch Logs may use a logs key only for its log group", () => {
    const keys = all.flatMap((json) => Object.values((json.resource?.aws_kms_key ?? {}) as Json)) as Json[];
    expect(keys).toHaveLength(3);
    for (const key of keys) {
      const policy = JSON.parse(key.policy);
      expect(policy.Statement[0]).toMatchObject({ Sid: ACCOUNT_KEY_STATEMENT, Effect: "Allow" });
    }
    const logsKey = JSON.parse(only(network, "aws_kms_key").policy);
    expect(logsKey.Statement[1]).toMatchObject({
      Principal: { Service: "logs.us-east-1.amazonaws.com" },
      Condition: {
        ArnEquals: {
          "kms:EncryptionContext:aws:logs:arn": [
            expect.stringMatching(
              /:logs:us-east-1:\$\{data\.aws_caller_identity\..*\}:log-group:\/aws\/vpc\/shopfront-eks\/flow-logs$/,
            ),
          ],
        },
      },
    });
    expect(passesEverywhere("CKV2_AWS_64")).toBe(true);
    expect(passesEverywhere("CKV_AWS_33")).toBe(true);
    expect(passesEverywhere("CKV_AWS_7")).toBe(true);
  });

  it("CKV_AWS_158: the control-plane and flow log groups are encrypted with a customer KMS key", () => {
    const controlPlane = only(cluster, "aws_cloudwatch_log_group");
    expect(controlPlane.name).toBe("/aws/eks/shopfront-eks/cluster");
    expect(controlPlane.kms_key_id).toMatch(/^\$\{aws_kms_key\..*logs-key.*\.arn\}$/);
    expect(only(network, "aws_cloudwatch_log_group").kms_key_id).toMatch(/^\$\{aws_kms_key\..*\.arn\}$/);
    // Created before the cluster, or EKS would create the group itself, unencrypted and kept forever.
    expect(only(cluster, "aws_eks_cluster").depends_on).toContain(
      `aws_cloudwatch_log_group.${Object.keys(cluster.resource.aws_cloudwatch_log_group)[0]}`,
    );
    expect(passesEverywhere("CKV_AWS_158")).toBe(true);
  });

  it("CKV_AWS_338: every log group keeps its logs for at least a year", () => {
    for (const json of [cluster, network]) {
      expect(only(json, "aws_cloudwatch_log_group").retention_in_days).toBeGreaterThanOrEqual(365);
    }
    expect(passesEverywhere("CKV_AWS_338")).toBe(true);
  });

  it("CKV_AWS_18: the state bucket logs its access to a separate, locked-down log bucket", () => {
    const buckets = Object.entries(bootstrap.resource.aws_s3_bucket) as [string, Json][];
    const [stateName] = buckets.find(([, b]) => b.bucket === "acme-shopfront-tfstate") as [string, Json];
    const [logName, logBucket] = buckets.find(([name]) => name !== stateName) as [string, Json];
    expect(logBucket.bucket_prefix).toBe("shopfront-mesh-tfstate-logs-");
    expect(only(bootstrap, "aws_s3_bucket_logging")).toMatchObject({
      bucket: `\${aws_s3_bucket.${stateName}.id}`,
      target_bucket: `\${aws_s3_bucket.${logName}.id}`,
    });
    // The log bucket: versioned, public access blocked, ACLs off, TLS only, delivery only from the state bucket.
    expect(passesEverywhere("CKV_AWS_21")).toBe(true);
    expect(passesEverywhere("CKV2_AWS_6")).toBe(true);
    const ownership = Object.values(bootstrap.resource.aws_s3_bucket_ownership_controls) as Json[];
    expect(ownership.map((o) => o.bucket).sort()).toEqual(
      [`\${aws_s3_bucket.${stateName}.id}`, `\${aws_s3_bucket.${logName}.id}`].sort(),
    );
    const delivery = Object.entries(bootstrap.data.aws_iam_policy_document).find(([name]) =>
      name.includes("log-delivery"),
    )?.[1] as Json;
    expect(delivery.statement).toEqual([
      expect.objectContaining({
        effect: "Deny",
        condition: [expect.objectContaining({ variable: "aws:SecureTransport" })],
      }),
      expect.objectContaining({
        principals: [{ type: "Service", identifiers: ["logging.s3.amazonaws.com"] }],
        actions: ["s3:PutObject"],
        condition: [
          { test: "ArnEquals", variable: "aws:SourceArn", values: [`\${aws_s3_bucket.${stateName}.arn}`] },
        ],
      }),
    ]);
    const failing = awsFindings({ bootstrap }, [rule("CKV_AWS_18")]);
    expect(failing).toEqual([{ rule: "CKV_AWS_18", address: `bootstrap:aws_s3_bucket.${logName}` }]);
  });

  it("CKV2_AWS_61 / CKV_AWS_300: replaced state versions expire, incomplete uploads are aborted, current state never expires", () => {
    const lifecycles = Object.values(bootstrap.resource.aws_s3_bucket_lifecycle_configuration) as Json[];
    const state = lifecycles.find((l) => l.rule[0].id === "expire-replaced-state-versions") as Json;
    expect(state.rule).toEqual([
      expect.objectContaining({
        status: "Enabled",
        filter: [{}],
        noncurrent_version_expiration: [{ noncurrent_days: 90, newer_noncurrent_versions: 10 }],
        abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }],
      }),
    ]);
    expect(state.rule[0].expiration).toBeUndefined();
    expect(passesEverywhere("CKV2_AWS_61")).toBe(true);
    expect(passesEverywhere("CKV_AWS_300")).toBe(true);
  });

  it("issue #11 item 3: the state bucket, its log bucket and every one of their configuration resources refuse destruction", () => {
    const resources = Object.entries(bootstrap.resource).flatMap(([type, byName]) =>
      Object.keys(byName as Json).map((name) => ({
        type,
        name,
        lifecycle: (byName as Json)[name].lifecycle,
      })),
    );
    expect(resources).toHaveLength(15);
    for (const { type, name, lifecycle } of resources) {
      expect({ type, name, lifecycle }).toEqual({ type, name, lifecycle: { prevent_destroy: true } });
    }
  });

  it("network policies: the VPC CNI add-on enforces them, before any node joins", () => {
    const addon = only(cluster, "aws_eks_addon");
    expect(addon).toMatchObject({ addon_name: "vpc-cni", resolve_conflicts_on_create: "OVERWRITE" });
    expect(JSON.parse(addon.configuration_values)).toEqual({ enableNetworkPolicy: "true" });
    expect(only(cluster, "aws_eks_node_group").depends_on).toContain(
      `aws_eks_addon.${Object.keys(cluster.resource.aws_eks_addon)[0]}`,
    );
  });

  it("the rule checks fail the shapes the issue reported", () => {
    const before: Json = {
      resource: {
        aws_eks_cluster: {
          c: { vpc_config: { endpoint_public_access: true, public_access_cidrs: ["0.0.0.0/0"] } },
        },
        aws_vpc: { v: { cidr_block: "10.10.0.0/16" } },
        aws_kms_key: { k: { enable_key_rotation: true } },
        aws_cloudwatch_log_group: { g: { name: "/aws/eks/x/cluster", retention_in_days: 30 } },
        aws_s3_bucket: { b: { bucket: "state" } },
        aws_iam_role: { r: { assume_role_policy: "${data.aws_iam_policy_document.t.json}" } },
      },
      data: {
        aws_iam_policy_document: {
          t: {
            statement: [
              {
                actions: ["sts:AssumeRole"],
                principals: [
                  {
                    type: "AWS",
                    identifiers: ["arn:aws:iam::${data.aws_caller_identity.account.account_id}:root"],
                  },
                ],
              },
            ],
          },
        },
      },
    };
    expect(
      awsFindings({ before })
        .map((f) => f.rule)
        .sort(),
    ).toEqual(
      [
        "CKV_AWS_38",
        "CKV_AWS_39",
        "CKV2_AWS_11",
        "CKV2_AWS_12",
        "CKV_AWS_61",
        "CKV2_AWS_64",
        "CKV_AWS_158",
        "CKV_AWS_338",
        "CKV_AWS_18",
        "CKV2_AWS_61",
        "CKV_AWS_21",
        "CKV_AWS_145",
        "CKV2_AWS_6",
      ].sort(),
    );
  });
});

/** A finding the project keeps, with the reason docs/security.md gives. */
interface AcceptedFinding {
  readonly rule: string;
  /** Matches the `<stack>:<type>.<name>` address. */
  readonly address: RegExp;
  readonly reason: string;
  /** Whether the finding is expected with these settings. @default always */
  readonly when?: (env: Env) => boolean;
}

const publicEndpointCidrs = (env: Env) =>
  env.ENDPOINT_PUBLIC_CIDRS?.split(",").map((cidr) => cidr.trim()) ?? [];

/** The accepted AWS findings; docs/security.md lists each with this reason. */
const ACCEPTED: readonly AcceptedFinding[] = [
  {
    rule: "CKV_AWS_39",
    address: /^eks-cluster-stack:aws_eks_cluster\./,
    reason: "public API endpoint: only when ENDPOINT_PUBLIC_CIDRS is set, and then open to those CIDRs only",
    when: (env) => publicEndpointCidrs(env).length > 0,
  },
  {
    rule: "CKV_AWS_38",
    address: /^eks-cluster-stack:aws_eks_cluster\./,
    reason:
      "API endpoint open to 0.0.0.0/0: only when ENDPOINT_PUBLIC_CIDRS names 0.0.0.0/0 explicitly (npm run preflight flags it)",
    when: (env) => publicEndpointCidrs(env).includes("0.0.0.0/0"),
  },
  {
    rule: "CKV_AWS_18",
    address: /^tf-state-bootstrap:aws_s3_bucket\.state-bucket_log-bucket_/,
    reason:
      "the access-log bucket does not log its own access: that needs yet another bucket, and a bucket logging into itself logs its own log writes",
  },
  {
    rule: "CKV_AWS_145",
    address: /^tf-state-bootstrap:aws_s3_bucket\.state-bucket_log-bucket_/,
    reason:
      "the access-log bucket is encrypted with SSE-S3: AWS documents SSE-S3 as the only default encryption a server access log target may have (SSE-KMS is not supported)",
  },
];

/** The AWS findings of every stack built from `env`, by stack name. */
function findingsFor(env: Env): Finding[] {
  const built = buildTestStacks(env);
  const byName = Object.fromEntries(Object.values(built).map((stack) => [stack.stackName, synthJson(stack)]));
  return awsFindings(byName);
}

function expectOnlyAccepted(env: Env) {
  const findings = findingsFor(env);
  const unexplained = findings.filter(
    (finding) =>
      !ACCEPTED.some(
        (a) => a.rule === finding.rule && a.address.test(finding.address) && (a.when?.(env) ?? true),
      ),
  );
  expect(unexplained).toEqual([]);
  // Every accepted finding that applies is really there: the list holds nothing stale.
  for (const accepted of ACCEPTED.filter((a) => a.when?.(env) ?? true)) {
    expect({
      rule: accepted.rule,
      found: findings.some((f) => f.rule === accepted.rule && accepted.address.test(f.address)),
    }).toEqual({
      rule: accepted.rule,
      found: true,
    });
  }
}

const VARIANTS: Record<string, Env> = {
  "default settings": {},
  "MESH_PROFILE=production": { MESH_PROFILE: "production" },
  "SSM_AGENT_INSTALLER=true": { SSM_AGENT_INSTALLER: "true" },
  "load and error generators on": { SHOPFRONT_LOAD_GENERATOR: "true", SHOPFRONT_ERROR_GENERATOR: "true" },
};

describe("accepted AWS findings: exactly what the synthesized plan fails", () => {
  for (const [variant, env] of Object.entries(VARIANTS)) {
    it(variant, () => expectOnlyAccepted(env));
    it(`${variant}, ENDPOINT_PUBLIC_CIDRS=203.0.113.0/24`, () =>
      expectOnlyAccepted({ ...env, ENDPOINT_PUBLIC_CIDRS: "203.0.113.0/24" }));
  }

  it("ENDPOINT_PUBLIC_CIDRS=0.0.0.0/0 written explicitly: CKV_AWS_38 and CKV_AWS_39, both accepted as the user's choice", () => {
    expectOnlyAccepted({ ENDPOINT_PUBLIC_CIDRS: "0.0.0.0/0" });
    expect(findingsFor({ ENDPOINT_PUBLIC_CIDRS: "0.0.0.0/0" }).map((f) => f.rule)).toEqual(
      expect.arrayContaining(["CKV_AWS_38", "CKV_AWS_39"]),
    );
  });

  it("the README's Security section names every accepted finding, and no other", () => {
    const readme = readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Security"), readme.indexOf("## Documentation"));
    const named = [...section.matchAll(/CKV_AWS_\d+/g)].map(([rule]) => rule);
    expect([...new Set(named)].sort()).toEqual([...new Set(ACCEPTED.map((a) => a.rule))].sort());
  });

  it("docs/security.md lists every accepted finding with its rule ID and reason", () => {
    const page = readFileSync(path.join(__dirname, "..", "..", "docs", "security.md"), "utf8");
    for (const accepted of ACCEPTED) {
      const line = page.split("\n").find((l) => l.includes(accepted.rule) && l.includes(accepted.reason));
      expect({ rule: accepted.rule, documented: Boolean(line) }).toEqual({
        rule: accepted.rule,
        documented: true,
      });
    }
  });
});

describe("names of the resources issue #12 adds", () => {
  /** Flow-log role, log groups and KMS aliases of the network and cluster stacks built with `clusterName`. */
  const names = (clusterName: string) => {
    const built = buildTestStacks({ CLUSTER_NAME: clusterName });
    return [built.network, built.cluster].flatMap((stack) => {
      const json = synthJson(stack);
      return ["aws_cloudwatch_log_group", "aws_kms_alias", "aws_iam_role"].flatMap((type) =>
        Object.values((json.resource[type] ?? {}) as Json).map((resource) => resource.name as string),
      );
    });
  };

  it("derive from the cluster name, so two clusters in one account share none of them", () => {
    const first = names("shop-a").filter((name) => name.includes("shop-a"));
    expect(first).toEqual(
      expect.arrayContaining([
        "/aws/vpc/shop-a/flow-logs",
        "/aws/eks/shop-a/cluster",
        "alias/shop-a-flow-logs",
        "alias/shop-a-control-plane-logs",
        "alias/shop-a-secrets",
        "shop-a-vpc-flow-logs",
        "shop-a-admin",
      ]),
    );
    const second = new Set(names("shop-b"));
    expect(first.filter((name) => second.has(name))).toEqual([]);
  });
});
