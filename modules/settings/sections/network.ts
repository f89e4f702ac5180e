/** The VPC: its address range and its two availability zones. */
import { z } from "zod";
import { ipv4Cidr, section, setting } from "../kinds";

const AVAILABILITY_ZONE = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d[a-z]$/;
const VPC_PREFIX = { min: 16, max: 22 } as const;

export const NETWORK = section("Network", {
  VPC_CIDR: setting(
    {
      schema: () =>
        ipv4Cidr.refine((cidr) => {
          const prefix = Number(cidr.split("/")[1]);
          return prefix >= VPC_PREFIX.min && prefix <= VPC_PREFIX.max;
        }),
      accepted: `an IPv4 CIDR in network form from /${VPC_PREFIX.min} to /${VPC_PREFIX.max}, such as 10.10.0.0/16`,
      malformed: ["10.10.0.0", "10.10.0.1/16", "10.0.0.0/8", "10.10.0.0/24", "300.10.0.0/16"],
    },
    {
      field: "vpcCidr",
      description:
        "The VPC's address range; its six subnets (public, private, isolated in two zones) take a sixteenth each.",
      default: { text: "10.10.0.0/16 (the walkthrough's)", value: "10.10.0.0/16" },
      example: "10.10.0.0/16",
    },
  ),
  AVAILABILITY_ZONES: setting(
    {
      schema: () =>
        z
          .string()
          .transform((text) => text.split(",").map((item) => item.trim()))
          .pipe(
            z
              .array(z.string().regex(AVAILABILITY_ZONE))
              .length(2)
              .refine((zones) => zones[0] !== zones[1]),
          ),
      accepted:
        "exactly two different availability zones of AWS_REGION, comma-separated, such as us-east-1a,us-east-1b",
      malformed: [
        "us-east-1a",
        "us-east-1a,us-east-1a",
        "us-east-1a,us-east-1b,us-east-1c",
        "eu-west-1a,eu-west-1b",
      ],
    },
    {
      field: "availabilityZones",
      description:
        "The two availability zones of the subnets; given, not looked up, so a plan needs no AWS call.",
      default: {
        text: "`<region>a,<region>b`",
        value: ({ AWS_REGION }) => [`${AWS_REGION}a`, `${AWS_REGION}b`],
      },
      example: "us-east-1a,us-east-1b",
      check: (zones, { AWS_REGION: region }) =>
        typeof region === "string" && zones.some((zone) => zone.slice(0, -1) !== region)
          ? {
              accepted: `two availability zones of ${region}, comma-separated, such as ${region}a,${region}b`,
            }
          : undefined,
    },
  ),
});
