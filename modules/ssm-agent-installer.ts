import { DaemonSetV1 } from "@cdktf/provider-kubernetes/lib/daemon-set-v1";
import { Construct } from "constructs";

export interface SsmAgentInstallerProps {
  /** Installer image; needs `sh` and `nsenter`. */
  readonly image: string;
  /** @default "kube-system" */
  readonly namespace?: string;
}

/**
 * The walkthrough's run-once SSM agent installer, as a DaemonSet: on each node it enters the host's
 * namespaces and installs and starts amazon-ssm-agent unless it already runs, then idles. The
 * walkthrough injected a self-deleting cron entry; AL2023 nodes have no cron, and entering PID 1's
 * namespaces needs no file left on the host. Idempotent: on AL2023 (which ships the agent) it only checks.
 */
export class SsmAgentInstaller extends Construct {
  readonly daemonSet: DaemonSetV1;

  constructor(scope: Construct, id: string, props: SsmAgentInstallerProps) {
    super(scope, id);
    const labels = { app: "ssm-agent-installer" };
    const install = [
      "systemctl is-active --quiet amazon-ssm-agent",
      "|| { (dnf install -y amazon-ssm-agent || yum install -y amazon-ssm-agent)",
      "&& systemctl enable --now amazon-ssm-agent; }",
    ].join(" ");

    this.daemonSet = new DaemonSetV1(this, "daemon-set", {
      metadata: { name: "ssm-agent-installer", namespace: props.namespace ?? "kube-system", labels },
      spec: {
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            hostPid: true,
            toleration: [{ operator: "Exists" }],
            priorityClassName: "system-node-critical",
            container: [
              {
                name: "installer",
                image: props.image,
                command: [
                  "sh",
                  "-c",
                  `nsenter -t 1 -m -u -i -n -p -- sh -c '${install}' && exec sleep 2147483647`,
                ],
                securityContext: { privileged: true },
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
