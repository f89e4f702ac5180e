/**
 * Fixed names: what the project calls its stacks, roles, node group, shopfront versions and ingress
 * gateway. They are not settings; every per-account name that must be unique derives from CLUSTER_NAME.
 */

/** Names of the stacks: the walkthrough's (without its "06" suffix) where it has them. */
export const STACK_NAMES = {
  bootstrap: "tf-state-bootstrap",
  network: "eks-cluster-vpc-stack",
  cluster: "eks-cluster-stack",
  ssmAgent: "ssm-agent-installer-daemonset-stack",
  istio: "istio-stack",
  istioConfig: "istio-config-stack",
  shopfront: "shopfront-stack",
} as const;

/** The project name: the `project` tag and the prefix of the generated state bucket name. */
export const PROJECT = "shopfront-mesh";

/**
 * The walkthrough's node group name, also the `app` label on its nodes. A node group name is unique
 * per cluster only, so it needs no cluster prefix.
 */
export const NODE_GROUP_NAME = "miztiik_on_demand_ng";

/** What each IAM role of a cluster is for; its name is `<cluster>-<purpose>` (roleName). */
export const ROLE_PURPOSES = ["cluster", "admin", "node", "vpc-flow-logs"] as const;
export type RolePurpose = (typeof ROLE_PURPOSES)[number];

/** The name of a cluster's IAM role: unique in the account, as the cluster's name is. */
export function roleName(cluster: string, purpose: RolePurpose): string {
  return `${cluster}-${purpose}`;
}

/** The longest `-<purpose>`: IAM allows 64 characters in a role name, CLUSTER_NAME 64 minus this. */
export const ROLE_PURPOSE_MAX_LENGTH = 1 + Math.max(...ROLE_PURPOSES.map((purpose) => purpose.length));
export const IAM_ROLE_NAME_MAX_LENGTH = 64;
export const CLUSTER_NAME_MAX_LENGTH = IAM_ROLE_NAME_MAX_LENGTH - ROLE_PURPOSE_MAX_LENGTH;

/** The shopfront's versions, as the Deployments' `version` labels and the DestinationRule's subsets. */
export const SHOPFRONT_VERSIONS = ["v1", "v2", "v3", "v4"] as const;

/**
 * Release name of the ingress gateway. The gateway chart names its Deployment, Service and
 * ServiceAccount after the release: the Service name istioctl, the walkthrough and users' scripts expect.
 */
export const INGRESS_GATEWAY_NAME = "istio-ingressgateway";

/** Labels of the ingress gateway pods that istio-stack deploys; the shopfront Gateway selects them. */
export const INGRESS_GATEWAY_LABELS = { app: INGRESS_GATEWAY_NAME, istio: "ingressgateway" } as const;

/**
 * An identity as AuthorizationPolicy principals name it (`<trust domain>/ns/<namespace>/sa/<ServiceAccount>`),
 * in Istio's default trust domain.
 */
export function meshPrincipal(namespace: string, serviceAccount: string): string {
  return `cluster.local/ns/${namespace}/sa/${serviceAccount}`;
}

/** Identity of that gateway, in istio-system. */
export const INGRESS_GATEWAY_PRINCIPAL = meshPrincipal("istio-system", INGRESS_GATEWAY_NAME);
