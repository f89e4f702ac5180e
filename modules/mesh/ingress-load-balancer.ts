/**
 * The ingress load balancer's Service settings on AWS, shared by the gateway chart's ingress
 * (modules/mesh/istio.ts) and the Gateway API ingress (modules/shopfront/ingress.ts).
 */

/**
 * Service annotations that choose the ingress load balancer. EKS's own service controller
 * (cloud-provider-aws) reads `internal`, `ssl-cert`, `ssl-ports` and `ssl-negotiation-policy`; the AWS
 * Load Balancer Controller reads the same TLS ones and `scheme`. Both scheme annotations are set, so
 * the load balancer is what the props say whichever controller serves the Service.
 */
export const LOAD_BALANCER_ANNOTATIONS = {
  internal: "service.beta.kubernetes.io/aws-load-balancer-internal",
  scheme: "service.beta.kubernetes.io/aws-load-balancer-scheme",
  certificate: "service.beta.kubernetes.io/aws-load-balancer-ssl-cert",
  tlsPorts: "service.beta.kubernetes.io/aws-load-balancer-ssl-ports",
  tlsPolicy: "service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy",
} as const;

/** Port of the ingress gateway pods' plain HTTP listener, and of the load balancer without TLS. */
export const GATEWAY_HTTP_PORT = 80;

/**
 * The ingress gateway's status port: Envoy answers its readiness (`/healthz/ready`) there from a
 * listener of its bootstrap, which load balancers and the kubelet probe.
 */
export const GATEWAY_STATUS_PORT = 15021;

/** Where the ingress load balancer listens for HTTPS when it terminates TLS (INGRESS_CERTIFICATE_ARN). */
export const INGRESS_TLS_PORT = 443;

/** TLS 1.3 and 1.2 only; an NLB listener created through the API otherwise gets ELBSecurityPolicy-2016-08 (TLS 1.0). */
export const INGRESS_TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/** How clients reach the ingress load balancer: `https` when it terminates TLS with the certificate. */
export function ingressProtocol(certificateArn: string | undefined): "http" | "https" {
  return certificateArn === undefined ? "http" : "https";
}

/** Who may reach the ingress load balancer, and whether it terminates TLS: the ingress settings. */
export interface IngressLoadBalancerProps {
  /** Annotations asked for; the scheme and TLS ones below win over the same keys. */
  readonly annotations?: Readonly<Record<string, string>>;
  readonly sourceCidrs: readonly string[];
  readonly certificateArn?: string;
}

/**
 * A LoadBalancer Service's annotations and source ranges: internal without source CIDRs, and
 * internet-facing, limited to them, with; TLS on 443 with a certificate. Shared by the gateway
 * chart's ingress and the Gateway API ingress.
 */
export function ingressLoadBalancer(props: IngressLoadBalancerProps): {
  annotations: Record<string, string>;
  loadBalancerSourceRanges?: string[];
} {
  const annotations = { ...(props.annotations ?? {}) };
  const internetFacing = props.sourceCidrs.length > 0;
  annotations[LOAD_BALANCER_ANNOTATIONS.internal] = String(!internetFacing);
  annotations[LOAD_BALANCER_ANNOTATIONS.scheme] = internetFacing ? "internet-facing" : "internal";
  if (props.certificateArn !== undefined) {
    annotations[LOAD_BALANCER_ANNOTATIONS.certificate] = props.certificateArn;
    annotations[LOAD_BALANCER_ANNOTATIONS.tlsPorts] = String(INGRESS_TLS_PORT);
    annotations[LOAD_BALANCER_ANNOTATIONS.tlsPolicy] = INGRESS_TLS_POLICY;
  }
  return { annotations, ...(internetFacing ? { loadBalancerSourceRanges: [...props.sourceCidrs] } : {}) };
}
