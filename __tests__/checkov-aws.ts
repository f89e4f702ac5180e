/**
 * Checkov's AWS rules that issue #12 names, re-stated as checks on synthesized Terraform JSON, each
 * following the logic of its source in bridgecrewio/checkov (path beside it; read at commit 03d5fdad,
 * August 2026). Graph rules ("connected" resources) count a resource as connected when one of its
 * attributes references the other, as Checkov's graph does. Used by security-aws.test.ts.
 */

// biome-ignore lint/suspicious/noExplicitAny: synthesized Terraform JSON is untyped; the checks walk it freely.
export type Json = Record<string, any>;

/** One (rule, resource) pair that fails. */
export interface Finding {
  readonly rule: string;
  /** `<stack>:<type>.<name>` */
  readonly address: string;
}

export interface Rule {
  readonly id: string;
  /** The rule's source in bridgecrewio/checkov. */
  readonly source: string;
  /** The resource type it reports on. */
  readonly type: string;
  /** True when the resource passes. */
  readonly passes: (resource: Json, name: string, stack: Json) => boolean;
}

const resourcesOf = (stack: Json, type: string): [string, Json][] =>
  Object.entries(stack.resource?.[type] ?? {});

/** True when some resource of `type` in `stack` references `${<target>.` and satisfies `extra`. */
function connected(
  stack: Json,
  type: string,
  target: string,
  extra: (resource: Json) => boolean = () => true,
) {
  return resourcesOf(stack, type).some(
    ([, resource]) => JSON.stringify(resource).includes(`\${${target}.`) && extra(resource),
  );
}

/** The policy document an attribute holds: a JSON string, or a reference to an aws_iam_policy_document. */
function policyDocument(stack: Json, value: unknown): Json | undefined {
  if (typeof value !== "string") return undefined;
  const reference = /^\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}$/.exec(value);
  if (reference) {
    const document = stack.data?.aws_iam_policy_document?.[reference[1]];
    if (!document) return undefined;
    // Rendered the way Terraform renders aws_iam_policy_document, for the fields the rules read.
    return {
      Statement: (document.statement ?? []).map((statement: Json) => ({
        Effect: statement.effect ?? "Allow",
        Principal: Object.fromEntries((statement.principals ?? []).map((p: Json) => [p.type, p.identifiers])),
        ...(statement.condition ? { Condition: statement.condition } : {}),
      })),
    };
  }
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

/**
 * Checkov's ACCOUNT_ACCESS pattern, `\d{12}|arn:aws:iam::\d{12}:root` matched at the start, on values
 * as Terraform renders them: an account_id reference renders as twelve digits.
 */
const ACCOUNT_ACCESS = /^(\d{12}|\$\{[^}]*account_id\}|arn:aws:iam::(\d{12}|\$\{[^}]*account_id\}):root)/;

export const AWS_RULES: readonly Rule[] = [
  {
    id: "CKV_AWS_38",
    source: "checkov/terraform/checks/resource/aws/EKSPublicAccessCIDR.py",
    type: "aws_eks_cluster",
    passes: ({ vpc_config: vpc }) => {
      if (vpc?.endpoint_public_access === false) return true;
      const cidrs: string[] | undefined = vpc?.public_access_cidrs;
      return Array.isArray(cidrs) && cidrs.length > 0 && !cidrs.includes("0.0.0.0/0");
    },
  },
  {
    id: "CKV_AWS_39",
    source: "checkov/terraform/checks/resource/aws/EKSPublicAccess.py",
    type: "aws_eks_cluster",
    passes: ({ vpc_config: vpc }) => vpc?.endpoint_public_access === false,
  },
  {
    id: "CKV2_AWS_11",
    source: "checkov/terraform/checks/graph_checks/aws/VPCHasFlowLog.yaml",
    type: "aws_vpc",
    passes: (_, name, stack) => connected(stack, "aws_flow_log", `aws_vpc.${name}`),
  },
  {
    id: "CKV2_AWS_12",
    source: "checkov/terraform/checks/graph_checks/aws/VPCHasRestrictedSG.yaml",
    type: "aws_vpc",
    passes: (_, name, stack) => {
      const defaults = resourcesOf(stack, "aws_default_security_group").filter(([, sg]) =>
        String(sg.vpc_id).includes(`\${aws_vpc.${name}.`),
      );
      const ruleTypes = [
        "aws_security_group_rule",
        "aws_vpc_security_group_egress_rule",
        "aws_vpc_security_group_ingress_rule",
      ];
      return (
        defaults.length > 0 &&
        defaults.every(
          ([sgName, sg]) =>
            !sg.ingress?.length &&
            !sg.egress?.length &&
            !ruleTypes.some((type) => connected(stack, type, `aws_default_security_group.${sgName}`)),
        )
      );
    },
  },
  {
    id: "CKV_AWS_61",
    source: "checkov/terraform/checks/resource/aws/IAMRoleAllowAssumeFromAccount.py",
    type: "aws_iam_role",
    passes: (role, _, stack) => {
      const policy = policyDocument(stack, role.assume_role_policy);
      if (!policy) return false;
      return [policy.Statement ?? []].flat().every((statement: Json) => {
        if (statement.Effect === "Deny") return true;
        const principals: unknown[] = [statement.Principal?.AWS ?? []].flat();
        return !principals.some((p) => typeof p === "string" && ACCOUNT_ACCESS.test(p));
      });
    },
  },
  {
    id: "CKV2_AWS_64",
    source: "checkov/terraform/checks/graph_checks/aws/KmsKeyPolicyIsDefined.yaml",
    type: "aws_kms_key",
    passes: (key, name, stack) =>
      Boolean(key.policy) || connected(stack, "aws_kms_key_policy", `aws_kms_key.${name}`),
  },
  {
    id: "CKV_AWS_7",
    source: "checkov/terraform/checks/resource/aws/KMSRotation.py",
    type: "aws_kms_key",
    passes: (key) => key.enable_key_rotation === true,
  },
  {
    id: "CKV_AWS_33",
    source: "checkov/terraform/checks/resource/aws/KMSKeyWildcardPrincipal.py",
    type: "aws_kms_key",
    passes: (key, _, stack) => {
      const policy = policyDocument(stack, key.policy);
      if (!policy) return true;
      return [policy.Statement ?? []].flat().every((statement: Json) => {
        if (statement.Effect === "Deny" || statement.Condition) return true;
        const principal = statement.Principal;
        return principal !== "*" && ![principal?.AWS ?? []].flat().includes("*");
      });
    },
  },
  {
    id: "CKV_AWS_158",
    source: "checkov/terraform/checks/resource/aws/CloudWatchLogGroupKMSKey.py",
    type: "aws_cloudwatch_log_group",
    passes: (group) => Boolean(group.kms_key_id),
  },
  {
    id: "CKV_AWS_66",
    source: "checkov/terraform/checks/resource/aws/CloudWatchLogGroupRetention.py",
    type: "aws_cloudwatch_log_group",
    passes: (group) => group.retention_in_days !== undefined,
  },
  {
    id: "CKV_AWS_338",
    source: "checkov/terraform/checks/resource/aws/CloudWatchLogGroupRetentionYear.py",
    type: "aws_cloudwatch_log_group",
    passes: ({ retention_in_days: days }) => Number.isInteger(days) && (days === 0 || days >= 365),
  },
  {
    id: "CKV_AWS_18",
    source: "checkov/terraform/checks/graph_checks/aws/S3BucketLogging.yaml",
    type: "aws_s3_bucket",
    passes: (bucket, name, stack) =>
      bucket.logging !== undefined ||
      resourcesOf(stack, "aws_s3_bucket_logging").some(([, logging]) =>
        String(logging.bucket).startsWith(`\${aws_s3_bucket.${name}.`),
      ),
  },
  {
    id: "CKV2_AWS_61",
    source: "checkov/terraform/checks/graph_checks/aws/S3BucketLifecycle.yaml",
    type: "aws_s3_bucket",
    passes: (bucket, name, stack) =>
      bucket.lifecycle_rule !== undefined ||
      connected(stack, "aws_s3_bucket_lifecycle_configuration", `aws_s3_bucket.${name}`),
  },
  {
    id: "CKV_AWS_300",
    source: "checkov/terraform/checks/resource/aws/S3AbortIncompleteUploads.py",
    type: "aws_s3_bucket_lifecycle_configuration",
    passes: (lifecycle) =>
      (lifecycle.rule ?? []).some(
        (rule: Json) =>
          rule.status === "Enabled" &&
          rule.abort_incomplete_multipart_upload?.length > 0 &&
          (rule.filter ?? []).every((filter: Json) => Object.values(filter).every((value) => !value)),
      ),
  },
  {
    id: "CKV_AWS_21",
    source: "checkov/terraform/checks/graph_checks/aws/S3BucketVersioning.yaml",
    type: "aws_s3_bucket",
    passes: (_, name, stack) =>
      connected(
        stack,
        "aws_s3_bucket_versioning",
        `aws_s3_bucket.${name}`,
        (v) => v.versioning_configuration?.status === "Enabled",
      ),
  },
  {
    id: "CKV_AWS_145",
    source: "checkov/terraform/checks/graph_checks/aws/S3KMSEncryptedByDefault.yaml",
    type: "aws_s3_bucket",
    passes: (_, name, stack) =>
      connected(stack, "aws_s3_bucket_server_side_encryption_configuration", `aws_s3_bucket.${name}`, (sse) =>
        (sse.rule ?? []).some(
          (rule: Json) => rule.apply_server_side_encryption_by_default?.sse_algorithm === "aws:kms",
        ),
      ),
  },
  {
    id: "CKV2_AWS_6",
    source: "checkov/terraform/checks/graph_checks/aws/S3BucketHasPublicAccessBlock.yaml",
    type: "aws_s3_bucket",
    passes: (_, name, stack) =>
      connected(
        stack,
        "aws_s3_bucket_public_access_block",
        `aws_s3_bucket.${name}`,
        (block) => block.block_public_acls === true && block.block_public_policy === true,
      ),
  },
];

/** Every (rule, resource) pair of `stacks` (stack name to synthesized JSON) that fails. */
export function awsFindings(stacks: Readonly<Record<string, Json>>, rules = AWS_RULES): Finding[] {
  const findings: Finding[] = [];
  for (const [stackName, stack] of Object.entries(stacks)) {
    for (const rule of rules) {
      for (const [name, resource] of resourcesOf(stack, rule.type)) {
        if (!rule.passes(resource, name, stack)) {
          findings.push({ rule: rule.id, address: `${stackName}:${rule.type}.${name}` });
        }
      }
    }
  }
  return findings;
}

export const rule = (id: string): Rule => {
  const found = AWS_RULES.find((candidate) => candidate.id === id);
  if (!found) throw new Error(`no rule ${id}`);
  return found;
};
