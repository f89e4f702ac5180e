/** The EKS cluster: its name, Kubernetes version, admin role and API endpoint, and where it is deployed from. */
import { BOOLEAN, CIDR_LIST, oneOf, optional, pattern, section, setting } from "../kinds";
import { CLUSTER_NAME_MAX_LENGTH, IAM_ROLE_NAME_MAX_LENGTH } from "../names";
import { VERSIONS } from "../versions";

// EKS allows 100 characters; IAM role names derived from it (`<name>-<purpose>`) cap it lower.
const CLUSTER_NAME = new RegExp(`^[A-Za-z0-9][A-Za-z0-9_-]{0,${CLUSTER_NAME_MAX_LENGTH - 1}}$`);
const ROLE_ARN = /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[A-Za-z0-9+=,.@_\-/]{1,512}$/;

export const CLUSTER = section("Cluster", {
  CLUSTER_NAME: setting(
    pattern(
      CLUSTER_NAME,
      `an EKS cluster name: 1-${CLUSTER_NAME_MAX_LENGTH} letters, digits, '-' or '_', starting with a letter or digit (IAM role names <name>-<purpose> must fit ${IAM_ROLE_NAME_MAX_LENGTH})`,
    ),
    {
      field: "name",
      description:
        "EKS cluster name. Every name that must be unique in the account or the state bucket derives from it: the state keys, IAM roles `<name>-cluster`, `<name>-admin`, `<name>-node`, the KMS alias, the log group.",
      default: { text: "shopfront-eks", value: "shopfront-eks" },
      example: "shopfront-eks",
      malformed: ["-x", "a b", "x".repeat(CLUSTER_NAME_MAX_LENGTH + 1), "x".repeat(101)],
    },
  ),
  KUBERNETES_VERSION: setting(oneOf(VERSIONS.supportedKubernetes), {
    field: "kubernetesVersion",
    description: "Kubernetes minor version of the control plane and nodes (EKS standard support only).",
    default: { text: VERSIONS.kubernetes, value: VERSIONS.kubernetes },
    example: VERSIONS.kubernetes,
    malformed: ["1.35.0", "latest", "2", "1.22"],
  }),
  ADMIN_ROLE_ARN: setting(
    optional(pattern(ROLE_ARN, "an IAM role ARN such as arn:aws:iam::123456789012:role/c_admin")),
    {
      field: "adminRoleArn",
      description:
        "IAM role given cluster-admin through an EKS access entry, or, when it is the role that created the cluster, through the entry EKS gives the creator (the stack then adds none: a second one is refused). Its full ARN, path included. To share deploy and kubectl rights in a team, set the role you all deploy as: docs/operations.md, Admin access and a second operator.",
      default: { text: "unset: the cluster stack creates `<CLUSTER_NAME>-admin`", value: undefined },
      example: "arn:aws:iam::123456789012:role/c_admin",
      malformed: ["role/x", "arn:aws:iam::123:role/x", "arn:aws:iam::123456789012:user/x"],
    },
  ),
  ENDPOINT_PUBLIC_CIDRS: setting(CIDR_LIST, {
    field: "endpointPublicAccessCidrs",
    description:
      "CIDRs allowed to reach the Kubernetes API's public endpoint. Unset, there is no public endpoint: kubectl and the deploy of istio-stack, istio-config-stack, shopfront-stack and ssm-agent-installer-daemonset-stack must then run from inside the VPC (or over a VPN, Direct Connect or a bastion: say so with DEPLOY_FROM_VPC=true, or `npm run preflight` reports a problem); to deploy from your machine, set your own address, such as 203.0.113.7/32. 0.0.0.0/0 opens the endpoint to the whole internet (authentication still applies) only when written so.",
    default: { text: "unset: no public endpoint, private only", value: [] },
    example: "203.0.113.0/24",
  }),
  DEPLOY_FROM_VPC: setting(BOOLEAN, {
    field: "deployFromVpc",
    description:
      "Whether you deploy from inside the cluster's VPC (over a VPN, Direct Connect or a bastion), from where istio-stack, shopfront-stack and ssm-agent-installer-daemonset-stack reach a private API endpoint. `npm run preflight` reports a private endpoint (ENDPOINT_PUBLIC_CIDRS unset) as a problem unless this is true, since a deploy from outside the VPC fails after the cluster is built. It changes nothing that is deployed.",
    default: { text: "false", value: false },
    example: "true",
  }),
});
