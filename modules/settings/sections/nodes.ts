/** The managed node group: instance type and sizes, and the walkthrough's SSM agent installer. */
import { z } from "zod";
import { BOOLEAN, section, setting, wholeNumber } from "../kinds";

const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
/** Graviton (arm64) instance families: a1, and a "g" after the generation (m7g, c6gn, t4g, r8gd). */
const GRAVITON_FAMILY = /^(a1|[a-z]+\d+g[a-z-]*)$/;

export const NODES = section("Nodes", {
  NODE_INSTANCE_TYPE: setting(
    {
      schema: () =>
        z
          .string()
          .regex(INSTANCE_TYPE)
          .refine((type) => !GRAVITON_FAMILY.test(type.split(".")[0]), {
            params: {
              accepted:
                "an x86_64 EC2 instance type such as t3.medium: the nodes run the AL2023 x86_64 AMI, which Graviton (arm64) types cannot boot",
            },
          }),
      accepted: "an EC2 instance type such as t3.medium",
      malformed: ["t3", "T3.MEDIUM", "t3.medium;id", "large", "m7g.large", "t4g.medium", "c6gn.xlarge"],
    },
    {
      field: "instanceType",
      description: "EC2 instance type of the nodes: x86_64, as the nodes run the AL2023 x86_64 AMI.",
      default: { text: "t3.medium", value: "t3.medium" },
      example: "t3.medium",
    },
  ),
  NODE_MIN_SIZE: setting(wholeNumber(1, 100), {
    field: "minSize",
    description: "Node group minimum size.",
    default: { text: "2", value: 2 },
    example: "2",
  }),
  NODE_DESIRED_SIZE: setting(wholeNumber(1, 100), {
    field: "desiredSize",
    description: "Node group desired size.",
    default: { text: "2", value: 2 },
    example: "2",
  }),
  NODE_MAX_SIZE: setting(wholeNumber(1, 100), {
    field: "maxSize",
    description: "Node group maximum size; NODE_MIN_SIZE <= NODE_DESIRED_SIZE <= NODE_MAX_SIZE.",
    default: { text: "2", value: 2 },
    example: "2",
    check: (max, { NODE_MIN_SIZE: min, NODE_DESIRED_SIZE: desired }) =>
      typeof min === "number" && typeof desired === "number" && !(min <= desired && desired <= max)
        ? {
            message: `NODE_MIN_SIZE=${min}, NODE_DESIRED_SIZE=${desired}, NODE_MAX_SIZE=${max} are not sizes with min <= desired <= max`,
          }
        : undefined,
  }),
  SSM_AGENT_INSTALLER: setting(BOOLEAN, {
    field: "ssmAgentInstaller",
    description:
      "Deploy the walkthrough's run-once SSM agent installer DaemonSet (AL2023 nodes already ship the agent).",
    default: { text: "false", value: false },
    example: "false",
  }),
});
