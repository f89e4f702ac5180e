/** AWS: the region every stack deploys to, and the tags on every AWS resource. */
import { pattern, section, setting } from "../kinds";

const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
const TAG_VALUE = /^[A-Za-z0-9 _.:/=+\-@]{1,128}$/;
const TAG_VALUE_FORM = "a tag value of 1-128 letters, digits, spaces or _.:/=+-@";

export const AWS = section("AWS", {
  AWS_REGION: setting(pattern(REGION, "an AWS region such as us-east-1"), {
    field: "region",
    description: "AWS region to deploy to.",
    default: { text: "us-east-1", value: "us-east-1" },
    example: "us-east-1",
    malformed: ["us-east", "US-EAST-1", "moon-base-9!"],
  }),
  ENVIRONMENT: setting(pattern(TAG_VALUE, TAG_VALUE_FORM), {
    field: "environment",
    description: "The `environment` tag on every AWS resource.",
    default: { text: "demo", value: "demo" },
    example: "demo",
    malformed: ["x".repeat(129), "a;b", "<script>"],
  }),
  OWNER: setting(pattern(TAG_VALUE, TAG_VALUE_FORM), {
    field: "owner",
    description: "The `owner` tag on every AWS resource.",
    default: { text: "platform-team", value: "platform-team" },
    example: "platform-team",
    malformed: ["x".repeat(129), "a;b", "<script>"],
  }),
});
