import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { buildTestStacks, resources, synth, synthJson } from "../../helpers";

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

  it("encrypts the access-log bucket with SSE-S3, the only default encryption S3 delivers server access logs to", () => {
    const [logEncryption] = Object.entries(
      resources(bootstrap, "aws_s3_bucket_server_side_encryption_configuration"),
    ).filter(([name]) => name.startsWith("state-bucket_log-encryption_"));
    expect(logEncryption[1].rule).toEqual([
      { apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } },
    ]);
  });

  describe("orders what S3 needs in order, by depends_on rather than Terraform's parallelism", () => {
    /** The address and depends_on of the construct's resource `id` of `type`. */
    const resource = (type: string, id: string) => {
      const found = Object.entries(resources(bootstrap, type)).find(([name]) =>
        new RegExp(`^state-bucket_${id}_[0-9A-F]{8}$`).test(name),
      );
      if (!found) throw new Error(`no ${type} ${id}`);
      return { address: `${type}.${found[0]}`, dependsOn: (found[1].depends_on ?? []) as string[] };
    };
    const expectAfter = (dependent: [string, string], prerequisites: [string, string][]) => {
      expect(resource(...dependent).dependsOn).toEqual(
        expect.arrayContaining(prerequisites.map((prerequisite) => resource(...prerequisite).address)),
      );
    };

    it("turns on the state bucket's access logging only once the log bucket admits S3's log delivery: its policy grants it, ACLs are off, its encryption is SSE-S3", () => {
      expectAfter(
        ["aws_s3_bucket_logging", "logging"],
        [
          ["aws_s3_bucket_policy", "log-policy"],
          ["aws_s3_bucket_ownership_controls", "log-ownership"],
          ["aws_s3_bucket_server_side_encryption_configuration", "log-encryption"],
        ],
      );
    });

    it("puts each bucket policy only once public policies are blocked on that bucket", () => {
      expectAfter(
        ["aws_s3_bucket_policy", "policy"],
        [["aws_s3_bucket_public_access_block", "public-access-block"]],
      );
      expectAfter(
        ["aws_s3_bucket_policy", "log-policy"],
        [["aws_s3_bucket_public_access_block", "log-public-access-block"]],
      );
    });

    it("configures each lifecycle only once versioning is on, since its rules act on noncurrent versions", () => {
      expectAfter(
        ["aws_s3_bucket_lifecycle_configuration", "lifecycle"],
        [["aws_s3_bucket_versioning", "versioning"]],
      );
      expectAfter(
        ["aws_s3_bucket_lifecycle_configuration", "log-lifecycle"],
        [["aws_s3_bucket_versioning", "log-versioning"]],
      );
    });
  });

  it("outputs the bucket name to put in STATE_BUCKET, and its access-log bucket's", () => {
    const { output } = synthJson(bootstrap);
    expect(output.state_bucket.value).toMatch(/^\$\{aws_s3_bucket\.state-bucket_[0-9A-F]+\.bucket\}$/);
    expect(output.state_access_log_bucket.value).toMatch(
      /^\$\{aws_s3_bucket\.state-bucket_log-bucket_.*\.bucket\}$/,
    );
  });
});
