/** Terraform state: the S3 bucket that holds every stack's state but tf-state-bootstrap's, and the keys. */
import { optional, pattern, section, setting } from "../kinds";
import { PROJECT } from "../names";

// S3 bucket naming rules: 3-63 chars, lower-case letters, digits, dots and hyphens, letter or digit at
// both ends, no "..", not an IP address, none of the reserved prefixes and suffixes.
const BUCKET =
  /^(?!xn--|sthree-|amzn-s3-demo-)(?!.*(-s3alias|--ol-s3|--x-s3|--table-s3)$)(?!\d+\.\d+\.\d+\.\d+$)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const KEY_PREFIX = /^[A-Za-z0-9][A-Za-z0-9._\-/]{0,199}$/;

export const STATE = section("Terraform state", {
  STATE_BUCKET: setting(
    optional(
      pattern(
        BUCKET,
        "a valid S3 bucket name: 3-63 lower-case letters, digits, dots or hyphens, starting and ending with a letter or digit",
      ),
    ),
    {
      field: "bucket",
      description:
        "S3 bucket for every stack's Terraform state but tf-state-bootstrap's (encrypted, locked with S3's lock file). Two clusters may share one bucket: their keys differ.",
      default: { text: "unset: local state files `terraform.<stack>.tfstate`", value: undefined },
      example: "shopfront-mesh-tfstate-123456789012-us-east-1",
      malformed: ["ab", "My_Bucket", "b".repeat(64), "192.168.0.1", "a..b", "-bucket"],
    },
  ),
  STATE_KEY_PREFIX: setting(
    pattern(KEY_PREFIX, "an S3 key prefix of letters, digits, '.', '_', '-' and '/' (up to 200 characters)"),
    {
      field: "keyPrefix",
      description: "First part of each stack's state key: `<prefix>/<CLUSTER_NAME>/<stack>.tfstate`.",
      default: { text: PROJECT, value: PROJECT },
      example: PROJECT,
      malformed: ["/abs", "a b", "../state", "x".repeat(201)],
    },
  ),
});
