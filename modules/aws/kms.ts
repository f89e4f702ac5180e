import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import type { Construct } from "constructs";

/** Sid of the key policy statement that lets the account's IAM policies govern the key. */
export const ACCOUNT_KEY_STATEMENT = "AccountAdministersKeyThroughIam";

export interface EncryptionKeyProps {
  /** Alias name without the `alias/` prefix; derive it from the cluster name so clusters never share one. */
  readonly alias: string;
  readonly description: string;
  /** Region of the log groups below (CloudWatch Logs' service principal is regional). */
  readonly region: string;
  /** Names of CloudWatch log groups that may encrypt with this key. @default none */
  readonly logGroupNames?: readonly string[];
  /** Days KMS waits before deleting the key once scheduled. @default 7 */
  readonly deletionWindowInDays?: number;
}

/** A customer KMS key and its alias. */
export interface EncryptionKey {
  readonly key: KmsKey;
  readonly alias: KmsAlias;
}

/**
 * A rotating customer KMS key with an explicit key policy (CKV2_AWS_64): the account administers it
 * through IAM, as AWS's default key policy does, and CloudWatch Logs may use it only for the named log
 * groups (the encryption context names the log group). The key is `scope`'s child `id` and its alias
 * `<id>-alias`, so keys made before this helper existed keep their Terraform addresses.
 */
export function encryptionKey(scope: Construct, id: string, props: EncryptionKeyProps): EncryptionKey {
  const account = new DataAwsCallerIdentity(scope, `${id}-account`);
  const partition = new DataAwsPartition(scope, `${id}-partition`);
  const logGroupArns = (props.logGroupNames ?? []).map(
    (name) => `arn:${partition.partition}:logs:${props.region}:${account.accountId}:log-group:${name}`,
  );
  const statements: Record<string, unknown>[] = [
    {
      // AWS's default key policy statement: IAM policies decide who uses the key, so it never becomes
      // unmanageable. Its "kms:*" on "*" means every action on this key only.
      Sid: ACCOUNT_KEY_STATEMENT,
      Effect: "Allow",
      Principal: { AWS: `arn:${partition.partition}:iam::${account.accountId}:root` },
      Action: "kms:*",
      Resource: "*",
    },
  ];
  if (logGroupArns.length > 0) {
    statements.push({
      Sid: "CloudWatchLogsForTheseLogGroups",
      Effect: "Allow",
      Principal: { Service: `logs.${props.region}.amazonaws.com` },
      Action: [
        "kms:Encrypt",
        "kms:Decrypt",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
        "kms:GenerateDataKey",
        "kms:GenerateDataKeyWithoutPlaintext",
        "kms:DescribeKey",
      ],
      Resource: "*",
      Condition: { ArnEquals: { "kms:EncryptionContext:aws:logs:arn": logGroupArns } },
    });
  }
  const key = new KmsKey(scope, id, {
    description: props.description,
    enableKeyRotation: true,
    deletionWindowInDays: props.deletionWindowInDays ?? 7,
    policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }),
  });
  const alias = new KmsAlias(scope, `${id}-alias`, { name: `alias/${props.alias}`, targetKeyId: key.keyId });
  return { key, alias };
}

export interface EncryptedLogGroupProps {
  /** Construct ids of the key (its alias is `<keyId>-alias`) and the log group, kept stable for Terraform. */
  readonly keyId: string;
  readonly logGroupId: string;
  readonly name: string;
  readonly retentionInDays: number;
  /** The key's alias (without `alias/`) and description. */
  readonly alias: string;
  readonly description: string;
  readonly region: string;
}

/** A CloudWatch log group encrypted with a key of its own that may serve it alone (CKV_AWS_158). */
export function encryptedLogGroup(scope: Construct, props: EncryptedLogGroupProps) {
  const key = encryptionKey(scope, props.keyId, {
    alias: props.alias,
    description: props.description,
    region: props.region,
    logGroupNames: [props.name],
  });
  const logGroup = new CloudwatchLogGroup(scope, props.logGroupId, {
    name: props.name,
    retentionInDays: props.retentionInDays,
    kmsKeyId: key.key.arn,
  });
  return { key, logGroup };
}
