import { DaemonSetV1 } from "@cdktf/provider-kubernetes/lib/daemon-set-v1";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { VERSIONS } from "../../../modules/settings/versions";
import { buildTestStacks, synth, synthJson } from "../../helpers";

describe("SsmAgentInstaller (ssm-agent-installer-daemonset-stack)", () => {
  it("is disabled by default: no provider, no resource, no read of the cluster's state", () => {
    const { ssmAgent } = buildTestStacks();
    const stack = synthJson(ssmAgent);
    expect(stack.resource).toBeUndefined();
    expect(stack.provider).toBeUndefined();
    expect(stack.data).toBeUndefined();
    expect(stack.output.status.value).toMatch(/^disabled/);
  });

  describe("when SSM_AGENT_INSTALLER=true", () => {
    const { ssmAgent } = buildTestStacks({ SSM_AGENT_INSTALLER: "true" });
    const json = synth(ssmAgent);
    const stack = synthJson(ssmAgent);

    it("configures the kubernetes provider from the cluster stack's remote state with aws eks get-token", () => {
      const remote = "data.terraform_remote_state.cross-stack-reference-input-eks-cluster-stack.outputs";
      expect(json).toHaveProviderWithProperties(KubernetesProvider, {
        host: expect.stringContaining(
          `${remote}.cross-stack-output-aws_eks_clustereks_cluster_55B0C966endpoint`,
        ),
        cluster_ca_certificate: expect.stringMatching(/^\$\{base64decode\(data\.terraform_remote_state\./),
        exec: [
          {
            api_version: "client.authentication.k8s.io/v1beta1",
            command: "aws",
            args: [
              "eks",
              "get-token",
              "--cluster-name",
              expect.stringContaining(remote),
              "--region",
              "us-east-1",
              "--output",
              "json",
            ],
          },
        ],
      });
      expect(JSON.stringify(stack.provider)).not.toMatch(/"token"/);
    });

    it("runs a privileged installer on every node that installs the agent only where it is not running", () => {
      expect(json).toHaveResourceWithProperties(DaemonSetV1, {
        metadata: expect.objectContaining({ name: "ssm-agent-installer", namespace: "kube-system" }),
      });
      const spec = Object.values(stack.resource.kubernetes_daemon_set_v1)[0] as {
        spec: { template: { spec: Record<string, unknown> & { container: Record<string, unknown>[] } } };
      };
      const pod = spec.spec.template.spec;
      expect(pod.host_pid).toBe(true);
      expect(pod.toleration).toEqual([{ operator: "Exists" }]);
      const [container] = pod.container;
      expect(container.image).toBe(VERSIONS.images.ssmInstaller);
      expect(container.image).toMatch(
        /^public\.ecr\.aws\/docker\/library\/busybox:1\.37\.0@sha256:[0-9a-f]{64}$/,
      );
      expect(container.security_context).toEqual({ privileged: true, read_only_root_filesystem: true });
      const script = (container.command as string[]).join(" ");
      expect(script).toContain("nsenter -t 1 -m -u -i -n -p");
      expect(script).toContain("systemctl is-active --quiet amazon-ssm-agent ||");
    });
  });
});
