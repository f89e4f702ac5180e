import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { buildTestStacks, synth, synthJson } from "../../helpers";

describe("StateBucket (tf-state-bootstrap)", () => {
  const { bootstrap } = buildTestStacks({ STATE_BUCKET: "acme-shopfront-tfstate" });
  const json = synth(bootstrap);

  it("creates the bucket named by STATE_BUCKET, never force-destroyed", () => {
    expect(json).toHaveResourceWithProperties(S3Bucket, {
      bucket: "acme-shopfront-tfstate",
      force_destroy: false,
    });
  });

  it("generates a unique name when STATE_BUCKET is unset", () => {
    const { bootstrap: unnamed } = buildTestStacks();
    expect(synth(unnamed)).toHaveResourceWithProperties(S3Bucket, {
      bucket_prefix: "shopfront-mesh-tfstate-",
    });
  });

  it("keeps its own state locally even when STATE_BUCKET is set", () => {
    expect(synthJson(bootstrap).terraform.backend).toEqual({
      local: { path: "<project>/terraform.tf-state-bootstrap.tfstate" },
    });
  });

  it("is versioned and encrypted with KMS", () => {
    expect(json).toHaveResourceWithProperties(S3BucketVersioningA, {
      versioning_configuration: { status: "Enabled" },
    });
    expect(json).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {
      rule: [
        { apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms" }, bucket_key_enabled: true },
      ],
    });
  });

  it("blocks every kind of public access", () => {
    expect(json).toHaveResourceWithProperties(S3BucketPublicAccessBlock, {
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
  });

  it("denies any request not made over TLS, to the state bucket and its log bucket", () => {
    const documents = Object.values(synthJson(bootstrap).data.aws_iam_policy_document) as {
      statement: Record<string, unknown>[];
    }[];
    expect(documents).toHaveLength(2);
    for (const document of documents) {
      expect(document.statement).toContainEqual(
        expect.objectContaining({
          effect: "Deny",
          actions: ["s3:*"],
          condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
        }),
      );
    }
  });

  it("outputs the bucket name to put in STATE_BUCKET, and its access-log bucket's", () => {
    const { output } = synthJson(bootstrap);
    expect(output.state_bucket.value).toMatch(/^\$\{aws_s3_bucket\.state-bucket_[0-9A-F]+\.bucket\}$/);
    expect(output.state_access_log_bucket.value).toMatch(
      /^\$\{aws_s3_bucket\.state-bucket_log-bucket_.*\.bucket\}$/,
    );
  });
});
