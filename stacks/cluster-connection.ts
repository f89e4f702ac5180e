import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { Fn } from "cdktf";
import type { Construct } from "constructs";

/**
 * What a stack needs to talk to the cluster's API. The values are tokens of eks-cluster-stack's
 * resources: used in another stack, CDKTF turns them into outputs there and a terraform_remote_state
 * read here, so no endpoint or name is ever copied between stacks as a string.
 */
export interface ClusterConnection {
  readonly name: string;
  readonly endpoint: string;
  /** Base64-encoded CA bundle, as EKS returns it. */
  readonly certificateAuthorityData: string;
  readonly region: string;
}

/** `aws eks get-token` as the client-go exec credential plugin: short-lived tokens, none kept in state. */
export function execCredentials(cluster: ClusterConnection) {
  return {
    apiVersion: "client.authentication.k8s.io/v1beta1",
    command: "aws",
    args: [
      "eks",
      "get-token",
      "--cluster-name",
      cluster.name,
      "--region",
      cluster.region,
      "--output",
      "json",
    ],
  };
}

/** Where the cluster's API is and how to trust it, as the kubernetes and helm providers take it. */
export function clusterEndpoint(cluster: ClusterConnection) {
  return { host: cluster.endpoint, clusterCaCertificate: Fn.base64decode(cluster.certificateAuthorityData) };
}

/**
 * A kubeconfig (JSON, which kubectl reads as YAML) for `cluster`, authenticated as the providers are:
 * for what runs kubectl itself, such as a destroy-time wait. Holds no secret.
 */
export function kubeconfigJson(cluster: ClusterConnection): string {
  return Fn.jsonencode({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: cluster.name,
        cluster: { server: cluster.endpoint, "certificate-authority-data": cluster.certificateAuthorityData },
      },
    ],
    users: [
      { name: cluster.name, user: { exec: { ...execCredentials(cluster), interactiveMode: "Never" } } },
    ],
    contexts: [{ name: cluster.name, context: { cluster: cluster.name, user: cluster.name } }],
    "current-context": cluster.name,
  });
}

/** The kubernetes provider for `cluster`, authenticated with `aws eks get-token`. */
export function kubernetesProvider(scope: Construct, cluster: ClusterConnection): KubernetesProvider {
  return new KubernetesProvider(scope, "kubernetes", {
    ...clusterEndpoint(cluster),
    exec: [execCredentials(cluster)],
  });
}
