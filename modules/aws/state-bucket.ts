import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketLoggingA } from "@cdktf/provider-aws/lib/s3-bucket-logging";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import type { TerraformResource } from "cdktf";
import { Construct } from "constructs";

/** Days a replaced state version is kept before S3 expires it (the newest ones are kept regardless). */
export const NONCURRENT_STATE_VERSION_DAYS = 90;
/** Replaced state versions kept per object whatever their age, so a rarely changed stack keeps a history. */
export const NONCURRENT_STATE_VERSIONS_KEPT = 10;
/** Days of S3 server access logs kept in the log bucket. */
export const ACCESS_LOG_RETENTION_DAYS = 365;
/** Days after which S3 aborts an incomplete multipart upload and frees its parts. */
export const INCOMPLETE_UPLOAD_DAYS = 7;

export interface StateBucketProps {
  /** Bucket name. @default none: a unique name from `namePrefix` */
  readonly bucketName?: string;
  /** Prefix of a generated unique name, used when `bucketName` is unset. */
  readonly namePrefix: string;
  /** Prefix of the access-log bucket's generated unique name (at most 37 characters). */
  readonly logBucketNamePrefix: string;
  /**
   * Refuse any plan that destroys or replaces the buckets or their configuration. Turn off only to
   * remove the buckets on purpose, once no stack keeps state in them. @default true
   */
  readonly preventDestroy?: boolean;
  /** @default NONCURRENT_STATE_VERSION_DAYS (90) */
  readonly noncurrentVersionDays?: number;
  /** @default ACCESS_LOG_RETENTION_DAYS (365) */
  readonly accessLogRetentionDays?: number;
}

/** What a bucket's policy, lifecycle and logging wait for. */
interface BucketProtections {
  readonly versioning: S3BucketVersioningA;
  readonly publicAccessBlock: S3BucketPublicAccessBlock;
  readonly ownership: S3BucketOwnershipControls;
}

/**
 * The S3 bucket that holds every other stack's Terraform state, the way `cdk bootstrap` prepares an
 * account: versioned (state history survives a bad apply), encrypted, public access blocked, TLS only,
 * its access logged to a second, equally locked-down bucket, replaced versions expired after a while.
 * Locking uses S3's native lock file (Terraform >= 1.10), so no DynamoDB table is needed.
 *
 * Every resource here carries `prevent_destroy`: a destroy plan fails before anything is touched. On
 * the bucket alone that already stops `cdktf destroy`; on each configuration resource it also stops a
 * targeted destroy or a replacement from stripping the bucket's protections one by one.
 */
export class StateBucket extends Construct {
  readonly bucket: S3Bucket;
  /** Receives the state bucket's S3 server access logs. */
  readonly logBucket: S3Bucket;
  /** Every resource of the construct, each with `prevent_destroy` unless turned off. */
  readonly resources: readonly TerraformResource[];

  constructor(scope: Construct, id: string, props: StateBucketProps) {
    super(scope, id);
    const preventDestroy = props.preventDestroy ?? true;
    const lifecycle = { preventDestroy };
    const resources: TerraformResource[] = [];
    const keep = <T extends TerraformResource>(resource: T): T => {
      resources.push(resource);
      return resource;
    };

    // No force_destroy on either bucket: while one holds any object version, deleting it fails.
    this.logBucket = keep(
      new S3Bucket(this, "log-bucket", {
        bucketPrefix: props.logBucketNamePrefix,
        forceDestroy: false,
        lifecycle,
      }),
    );
    this.bucket = keep(
      new S3Bucket(this, "bucket", {
        bucket: props.bucketName,
        bucketPrefix: props.bucketName ? undefined : props.namePrefix,
        forceDestroy: false,
        lifecycle,
      }),
    );

    // Each bucket's protections: its policy, its lifecycle and the logging into it wait for them.
    const protect = (name: string, bucket: S3Bucket): BucketProtections => ({
      versioning: keep(
        new S3BucketVersioningA(this, `${name}versioning`, {
          bucket: bucket.id,
          versioningConfiguration: { status: "Enabled" },
          lifecycle,
        }),
      ),
      publicAccessBlock: keep(
        new S3BucketPublicAccessBlock(this, `${name}public-access-block`, {
          bucket: bucket.id,
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
          lifecycle,
        }),
      ),
      // ACLs off: the log bucket takes S3's log delivery through its bucket policy instead.
      ownership: keep(
        new S3BucketOwnershipControls(this, `${name}ownership`, {
          bucket: bucket.id,
          rule: { objectOwnership: "BucketOwnerEnforced" },
          lifecycle,
        }),
      ),
    });
    const stateProtections = protect("", this.bucket);
    const logProtections = protect("log-", this.logBucket);

    keep(
      new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
        bucket: this.bucket.id,
        rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" }, bucketKeyEnabled: true }],
        lifecycle,
      }),
    );
    // A server access log target's default encryption may only be SSE-S3: AWS's S3 User Guide, "Enabling
    // Amazon S3 server access logging", says SSE-KMS is not supported there (docs/security.md).
    const logEncryption = keep(
      new S3BucketServerSideEncryptionConfigurationA(this, "log-encryption", {
        bucket: this.logBucket.id,
        rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
        lifecycle,
      }),
    );

    const denyInsecureTransport = (bucket: S3Bucket) => ({
      sid: "DenyInsecureTransport",
      effect: "Deny",
      principals: [{ type: "*", identifiers: ["*"] }],
      actions: ["s3:*"],
      resources: [bucket.arn, `${bucket.arn}/*`],
      condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
    });
    const tlsOnly = new DataAwsIamPolicyDocument(this, "tls-only", {
      statement: [denyInsecureTransport(this.bucket)],
    });
    // After the public access block, so that S3's BlockPublicPolicy check applies to the policy put.
    keep(
      new S3BucketPolicy(this, "policy", {
        bucket: this.bucket.id,
        policy: tlsOnly.json,
        lifecycle,
        dependsOn: [stateProtections.publicAccessBlock],
      }),
    );
    const logDelivery = new DataAwsIamPolicyDocument(this, "log-delivery", {
      statement: [
        denyInsecureTransport(this.logBucket),
        {
          sid: "S3ServerAccessLogsOfTheStateBucket",
          effect: "Allow",
          principals: [{ type: "Service", identifiers: ["logging.s3.amazonaws.com"] }],
          actions: ["s3:PutObject"],
          resources: [`${this.logBucket.arn}/*`],
          condition: [{ test: "ArnEquals", variable: "aws:SourceArn", values: [this.bucket.arn] }],
        },
      ],
    });
    const logPolicy = keep(
      new S3BucketPolicy(this, "log-policy", {
        bucket: this.logBucket.id,
        policy: logDelivery.json,
        lifecycle,
        dependsOn: [logProtections.publicAccessBlock],
      }),
    );

    // Logging starts once the target admits S3's delivery (a target that does not yet is refused with
    // InvalidTargetBucketForLogging): the policy grants it, ACLs are off, default encryption is SSE-S3.
    keep(
      new S3BucketLoggingA(this, "logging", {
        bucket: this.bucket.id,
        targetBucket: this.logBucket.id,
        targetPrefix: "state-bucket/",
        lifecycle,
        dependsOn: [logPolicy, logProtections.ownership, logEncryption],
      }),
    );

    const abortIncompleteUploads = { daysAfterInitiation: INCOMPLETE_UPLOAD_DAYS };
    // Current state versions never expire: only the versions an apply replaced.
    keep(
      new S3BucketLifecycleConfiguration(this, "lifecycle", {
        bucket: this.bucket.id,
        rule: [
          {
            id: "expire-replaced-state-versions",
            status: "Enabled",
            filter: [{}],
            noncurrentVersionExpiration: [
              {
                noncurrentDays: props.noncurrentVersionDays ?? NONCURRENT_STATE_VERSION_DAYS,
                newerNoncurrentVersions: NONCURRENT_STATE_VERSIONS_KEPT,
              },
            ],
            abortIncompleteMultipartUpload: [abortIncompleteUploads],
          },
        ],
        lifecycle,
        // Noncurrent-version rules act only on a versioned bucket: configure versioning first.
        dependsOn: [stateProtections.versioning],
      }),
    );
    keep(
      new S3BucketLifecycleConfiguration(this, "log-lifecycle", {
        bucket: this.logBucket.id,
        rule: [
          {
            id: "expire-access-logs",
            status: "Enabled",
            filter: [{}],
            expiration: [{ days: props.accessLogRetentionDays ?? ACCESS_LOG_RETENTION_DAYS }],
            noncurrentVersionExpiration: [{ noncurrentDays: 1 }],
            abortIncompleteMultipartUpload: [abortIncompleteUploads],
          },
        ],
        lifecycle,
        dependsOn: [logProtections.versioning],
      }),
    );
    this.resources = resources;
  }
}
