import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { SsmAgentInstaller } from "../modules/aws/ssm-agent-installer";
import type { Config } from "../modules/settings/load";
import { STACK_NAMES } from "../modules/settings/names";
import { VERSIONS } from "../modules/settings/versions";
import { type ClusterConnection, kubernetesProvider } from "./cluster-connection";
import { ProjectStack } from "./project-stack";

/**
 * ssm-agent-installer-daemonset-stack: the walkthrough's SSM agent installer. Off by default
 * (SSM_AGENT_INSTALLER=false): AL2023 nodes ship the agent. Disabled, the stack holds no provider and no
 * resource, so deploying or destroying it is a no-op that needs no cluster.
 */
export class SsmAgentStack extends ProjectStack {
  readonly installer?: SsmAgentInstaller;

  constructor(scope: Construct, config: Config, cluster: ClusterConnection) {
    super(scope, STACK_NAMES.ssmAgent, config);
    if (!config.nodes.ssmAgentInstaller) {
      new TerraformOutput(this, "status", {
        value:
          "disabled: AL2023 nodes ship the SSM agent; set SSM_AGENT_INSTALLER=true to deploy the installer",
      });
      return;
    }
    kubernetesProvider(this, cluster);
    this.installer = new SsmAgentInstaller(this, "ssm-agent-installer", {
      image: VERSIONS.images.ssmInstaller,
    });
    new TerraformOutput(this, "status", { value: "enabled" });
  }
}
