/**
 * Names that AWS requires to be unique in an account (or a state bucket) derive from CLUSTER_NAME, and
 * every setting's longest accepted value yields names AWS accepts. Both are checked on the synthesized
 * Terraform JSON of every stack, so a resource added later is checked too.
 */

import type { Env } from "../../modules/settings/load";
import { CLUSTER_NAME_MAX_LENGTH } from "../../modules/settings/names";
import { SETTINGS } from "../../modules/settings/table";
import { buildTestStacks, synthJson } from "../helpers";

type Json = Record<string, unknown>;

/** AWS's length limit of each name-like argument the stacks set, by resource type. */
const NAME_LIMITS: Record<string, Record<string, number>> = {
  aws_iam_role: { name: 64, name_prefix: 38 },
  aws_iam_policy: { name: 128, name_prefix: 102 },
  aws_iam_role_policy: { name: 128 },
  aws_iam_instance_profile: { name: 128 },
  aws_eks_cluster: { name: 100 },
  aws_eks_node_group: { node_group_name: 63, node_group_name_prefix: 37 },
  aws_kms_alias: { name: 256 },
  aws_cloudwatch_log_group: { name: 512, name_prefix: 483 },
  aws_launch_template: { name: 128, name_prefix: 102 },
  aws_security_group: { name: 255, name_prefix: 229 },
  aws_s3_bucket: { bucket: 63, bucket_prefix: 37 },
  helm_release: { name: 53 },
};
const NAME_ARGUMENTS = /^(name|name_prefix|bucket|bucket_prefix|node_group_name|node_group_name_prefix)$/;

/** Names scoped to a parent (a role, a cluster), not to the account: two clusters may repeat them. */
const SCOPED_TO_PARENT = new Set(["aws_iam_role_policy", "aws_eks_node_group", "helm_release"]);

interface Named {
  readonly stack: string;
  readonly type: string;
  readonly argument: string;
  readonly value: string;
}

/** Every literal name-like argument of every resource in every stack (references are not names yet). */
function namesOf(env: Env): Named[] {
  return Object.values(buildTestStacks(env)).flatMap((stack) =>
    Object.entries((synthJson(stack).resource ?? {}) as Record<string, Record<string, Json>>).flatMap(
      ([type, byId]) =>
        Object.values(byId).flatMap((resource) =>
          Object.entries(resource)
            .filter(([argument, value]) => NAME_ARGUMENTS.test(argument) && typeof value === "string")
            .filter(([, value]) => !(value as string).includes("${"))
            .map(([argument, value]) => ({ stack: stack.stackName, type, argument, value: value as string })),
        ),
    ),
  );
}

/** Every tag key and value the stacks set, on resources and as the providers' default tags. */
function tagsOf(env: Env): [string, string][] {
  const tags: [string, string][] = [];
  const walk = (node: unknown, key?: string): void => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item);
    } else if (node && typeof node === "object") {
      if (key === "tags") tags.push(...(Object.entries(node) as [string, string][]));
      for (const [child, value] of Object.entries(node)) walk(value, child);
    }
  };
  for (const stack of Object.values(buildTestStacks(env))) walk(synthJson(stack));
  return tags;
}

/** The state keys a configuration writes and reads in the bucket. */
function stateKeysOf(env: Env): string[] {
  return Object.values(buildTestStacks(env)).flatMap((stack) => {
    const json = synthJson(stack);
    const reads = Object.values((json.data?.terraform_remote_state ?? {}) as Record<string, Json>);
    return [json.terraform.backend.s3?.key, ...reads.map((read) => (read.config as Json).key)].filter(
      (key): key is string => typeof key === "string",
    );
  });
}

const BUCKET = "acme-shopfront-tfstate";

describe("names unique per account or bucket", () => {
  const alpha = { CLUSTER_NAME: "alpha", STATE_BUCKET: BUCKET, SSM_AGENT_INSTALLER: "true" };
  const beta = { CLUSTER_NAME: "beta", STATE_BUCKET: BUCKET, SSM_AGENT_INSTALLER: "true" };

  it("lets two clusters share a state bucket without sharing a state key", () => {
    const alphaKeys = stateKeysOf(alpha);
    expect(alphaKeys).toContain("shopfront-mesh/alpha/eks-cluster-stack.tfstate");
    expect(alphaKeys.filter((key) => stateKeysOf(beta).includes(key))).toEqual([]);
  });

  it("lets two clusters live in one account without sharing a name", () => {
    // The state bucket is the one thing two clusters may share, by design: tf-state-bootstrap is left out.
    const accountWide = (env: Env) =>
      namesOf(env).filter((n) => n.stack !== "tf-state-bootstrap" && !SCOPED_TO_PARENT.has(n.type));
    const alphaNames = accountWide(alpha);
    expect(alphaNames.map((n) => n.value)).toEqual(
      expect.arrayContaining(["alpha-cluster", "alpha-admin", "alpha-node", "alias/alpha-secrets"]),
    );
    const betaValues = new Set(accountWide(beta).map((n) => n.value));
    expect(alphaNames.filter((n) => betaValues.has(n.value))).toEqual([]);
  });

  it("names the node role after the cluster, not the walkthrough's node group", () => {
    const roles = namesOf(alpha).filter((n) => n.type === "aws_iam_role");
    expect(roles.map((n) => n.value).sort()).toEqual([
      "alpha-admin",
      "alpha-cluster",
      "alpha-node",
      "alpha-vpc-flow-logs",
    ]);
  });
});

describe("names at the longest accepted settings", () => {
  const longest: Env = {
    CLUSTER_NAME: `c${"x".repeat(CLUSTER_NAME_MAX_LENGTH - 1)}`,
    STATE_BUCKET: `b${"x".repeat(61)}z`,
    STATE_KEY_PREFIX: `p${"x".repeat(199)}`,
    ENVIRONMENT: "e".repeat(128),
    OWNER: "o".repeat(128),
    SSM_AGENT_INSTALLER: "true",
  };

  it("accepts a name as long as CLUSTER_NAME allows, and not one more character", () => {
    expect(SETTINGS.CLUSTER_NAME.malformed).toContain("x".repeat(CLUSTER_NAME_MAX_LENGTH + 1));
    expect(() => buildTestStacks(longest)).not.toThrow();
  });

  it("has a known AWS limit for every name-like argument the stacks set", () => {
    const unknown = namesOf(longest).filter((n) => NAME_LIMITS[n.type]?.[n.argument] === undefined);
    expect(unknown.map((n) => `${n.type}.${n.argument}`)).toEqual([]);
  });

  it("derives every name within its AWS limit", () => {
    const names = namesOf(longest);
    expect(names.map((n) => n.value)).toContain(`${longest.CLUSTER_NAME}-cluster`);
    const tooLong = names.filter((n) => n.value.length > NAME_LIMITS[n.type][n.argument]);
    expect(tooLong).toEqual([]);
  });

  it("leaves room for the longest role purpose, -vpc-flow-logs", () => {
    expect(`${longest.CLUSTER_NAME}-vpc-flow-logs`.length).toBeLessThanOrEqual(NAME_LIMITS.aws_iam_role.name);
  });

  it("keeps every tag within AWS's limits: keys 128, values 256", () => {
    const tags = tagsOf(longest);
    expect(tags.map(([key]) => key)).toContain(`kubernetes.io/cluster/${longest.CLUSTER_NAME}`);
    expect(tags.filter(([key, value]) => key.length > 128 || String(value).length > 256)).toEqual([]);
  });

  it("keeps every state key within S3's 1,024 bytes", () => {
    const keys = stateKeysOf(longest);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.filter((key) => Buffer.byteLength(key) > 1024)).toEqual([]);
  });
});
