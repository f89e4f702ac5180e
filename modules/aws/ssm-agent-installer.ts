import type { DaemonSetV1 } from "@cdktf/provider-kubernetes/lib/daemon-set-v1";
import { Construct } from "constructs";

export interface SsmAgentInstallerProps {
  /** Installer image; needs `sh` and `nsenter`. */
  readonly image: string;
  /** @default "kube-system" */
  readonly namespace?: string;
}

/**
 * Checkov's Kubernetes findings on the installer's DaemonSet that are accepted by design, each with its
 * reason: it is opt-in (SSM_AGENT_INSTALLER=true) and its job is to change the node itself. A test
 * checks that the synthesized plan fails exactly these, and docs/security-kubernetes.md lists them.
 */
export const SSM_AGENT_INSTALLER_ACCEPTED_FINDINGS = {
  CKV_K8S_16: "privileged: installing and starting a service on the node needs the host's full privileges",
  CKV_K8S_17: "host PID namespace: nsenter reaches the node's systemd through its PID 1",
  CKV_K8S_20:
    "privilege escalation allowed: implied by privileged (the API refuses allowPrivilegeEscalation: false with privileged: true)",
  CKV_K8S_23: "runs as root: entering the node's namespaces and running dnf and systemctl there needs root",
  CKV_K8S_28:
    "NET_RAW not dropped: a privileged container gets every capability, the runtime ignores a drop list",
  CKV_K8S_31: "no seccomp profile: privileged containers always run unconfined",
  CKV_K8S_37: "capabilities not minimised: as CKV_K8S_28, a privileged container has them all",
  CKV_K8S_40: "UID 0, not a high UID: it must run as root (CKV_K8S_23)",
} as const;

/**
 * The walkthrough's run-once SSM agent installer, as a DaemonSet: on each node it enters the host's
 * namespaces and installs and starts amazon-ssm-agent unless it already runs, then idles. The
 * walkthrough injected a self-deleting cron entry; AL2023 nodes have no cron, and entering PID 1's
 * namespaces needs no file left on the host. Idempotent: on AL2023 (which ships the agent) it only checks.
 * Its pod is ready while the node's agent is active, and restarted (so reinstalling it) when it stops.
 * Privileged with the host's PID namespace by design: docs/security-kubernetes.md lists the findings
 * that this accepts.
 */
export class SsmAgentInstaller extends Construct {
  readonly daemonSet: DaemonSetV1;

  constructor(scope: Construct, id: string, props: SsmAgentInstallerProps) {
    super(scope, id);
    const labels = { app: "ssm-agent-installer" };
    const onHost = "nsenter -t 1 -m -u -i -n -p --";
    const agentActive = "systemctl is-active --quiet amazon-ssm-agent";
    const install = [
      agentActive,
      "|| { (dnf install -y amazon-ssm-agent || yum install -y amazon-ssm-agent)",
      "&& systemctl enable --now amazon-ssm-agent; }",
    ].join(" ");
    const agentProbe = { exec: { command: ["sh", "-c", `${onHost} ${agentActive}`] } };

    // The provider's DaemonSet class is 4.6 MB of generated JavaScript: loaded only when the (opt-in)
    // installer is built, so a synth without it does not parse it.
    const { DaemonSetV1: DaemonSet } =
      require("@cdktf/provider-kubernetes/lib/daemon-set-v1") as typeof import("@cdktf/provider-kubernetes/lib/daemon-set-v1");
    this.daemonSet = new DaemonSet(this, "daemon-set", {
      metadata: { name: "ssm-agent-installer", namespace: props.namespace ?? "kube-system", labels },
      spec: {
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            hostPid: true,
            toleration: [{ operator: "Exists" }],
            priorityClassName: "system-node-critical",
            // It talks to the host's systemd, never to the Kubernetes API.
            automountServiceAccountToken: false,
            // Root on purpose: nsenter into PID 1's namespaces needs it.
            securityContext: { runAsUser: "0", runAsNonRoot: false },
            container: [
              {
                name: "installer",
                image: props.image,
                // The image is pinned by digest: a pull per start would fetch the same bytes.
                imagePullPolicy: "IfNotPresent",
                command: ["sh", "-c", `${onHost} sh -c '${install}' && exec sleep 2147483647`],
                // The first install may take minutes (a package download); then a stopped agent restarts the pod.
                startupProbe: { ...agentProbe, periodSeconds: 10, failureThreshold: 60 },
                livenessProbe: { ...agentProbe, periodSeconds: 60, failureThreshold: 3 },
                readinessProbe: { ...agentProbe, periodSeconds: 30 },
                securityContext: { privileged: true, readOnlyRootFilesystem: true },
                resources: {
                  requests: { cpu: "5m", memory: "8Mi" },
                  limits: { cpu: "100m", memory: "32Mi" },
                },
              },
            ],
          },
        },
      },
    });
  }
}
