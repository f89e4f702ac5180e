import { DataResource } from "cdktf";
import { Construct } from "constructs";

/**
 * The script that Terraform runs on destroy (POSIX sh, inputs in the environment): with `kubectl`
 * and the kubeconfig it is given, it waits until the Service is gone, or fails with what to do. A
 * LoadBalancer Service is gone only once the cloud controller has deleted its load balancer (the
 * `service.kubernetes.io/load-balancer-cleanup` finalizer). The kubeconfig is written to a private
 * temporary file, removed however the script ends; it holds no secret (credentials come from its
 * exec plugin, `aws eks get-token`).
 *
 * Written without `${` or `%{`, which Terraform would read as templates.
 */
const SERVICE_DELETION_WAIT_SCRIPT = `set -eu
for tool in kubectl aws; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "destroy: waiting for Service $NAMESPACE/$SERVICE (and its load balancer) to be deleted needs $tool on PATH: install it (README, Prerequisites) and run the destroy again" >&2
    exit 1
  fi
done
kubeconfig=$(mktemp)
trap 'rm -f "$kubeconfig"' EXIT
printf '%s' "$KUBECONFIG_JSON" > "$kubeconfig"
if ! found=$(kubectl --kubeconfig "$kubeconfig" --namespace "$NAMESPACE" get "service/$SERVICE" --ignore-not-found --output name); then
  echo "destroy: cannot read Service $NAMESPACE/$SERVICE from the cluster (kubectl's error above): fix access to the cluster and run the destroy again" >&2
  exit 1
fi
if [ -z "$found" ]; then
  echo "destroy: Service $NAMESPACE/$SERVICE is already deleted"
  exit 0
fi
echo "destroy: waiting up to $TIMEOUT for Service $NAMESPACE/$SERVICE to be deleted, its load balancer with it"
if ! kubectl --kubeconfig "$kubeconfig" --namespace "$NAMESPACE" wait --for=delete "service/$SERVICE" --timeout="$TIMEOUT"; then
  echo "destroy: Service $NAMESPACE/$SERVICE still exists after $TIMEOUT: its load balancer is not released yet. 'kubectl -n $NAMESPACE describe service $SERVICE' shows the cloud controller's events; run the destroy again once it is gone (docs/operations.md)" >&2
  exit 1
fi
`;

export interface ServiceDeletionWaitProps {
  /** Namespace of the Service. */
  readonly namespace: string;
  /** The Service to wait for, which something other than Terraform deletes (a controller, the garbage collector). */
  readonly service: string;
  /**
   * A kubeconfig (JSON) that reaches the cluster, its credentials from an exec plugin: kept in the
   * state with the other inputs, since a destroy-time provisioner can read nothing else.
   */
  readonly kubeconfig: string;
  /** How long to wait, as `kubectl wait --timeout` takes it. @default "15m" */
  readonly timeout?: string;
}

/**
 * Makes `terraform destroy` wait until a Kubernetes Service that Terraform does not manage is gone,
 * for a LoadBalancer Service until its load balancer is deleted: whatever depends on this construct
 * is destroyed first, then this runs SERVICE_DELETION_WAIT_SCRIPT. A `terraform_data` with a
 * destroy-time `local-exec` provisioner: nothing happens on create. Needs `kubectl` and `aws` where
 * Terraform runs. If the wait fails, the destroy fails and this stays in the state, so the next
 * destroy waits again.
 *
 * The Gateway API ingress needs it: istiod, not Terraform, creates its LoadBalancer Service, and the
 * garbage collector deletes it after the Gateway, so nothing else would keep the cluster (and the
 * VPC, which the NLB's network interfaces hold) from being destroyed before the NLB is.
 */
export class ServiceDeletionWait extends Construct {
  readonly resource: DataResource;

  constructor(scope: Construct, id: string, props: ServiceDeletionWaitProps) {
    super(scope, id);
    const timeout = props.timeout ?? "15m";
    this.node.addValidation({
      validate: () =>
        /^[1-9]\d*[smh]$/.test(timeout)
          ? []
          : [`timeout=${timeout}: not a kubectl duration; use a whole number of s, m or h, such as 15m`],
    });
    this.resource = new DataResource(this, "wait", {
      input: { namespace: props.namespace, service: props.service, timeout, kubeconfig: props.kubeconfig },
      provisioners: [
        {
          type: "local-exec",
          when: "destroy",
          interpreter: ["/bin/sh", "-c"],
          command: SERVICE_DELETION_WAIT_SCRIPT,
          environment: {
            NAMESPACE: "${self.input.namespace}",
            SERVICE: "${self.input.service}",
            TIMEOUT: "${self.input.timeout}",
            KUBECONFIG_JSON: "${self.input.kubeconfig}",
          },
        },
      ],
    });
  }
}
