import { type TerraformStack, Testing } from "cdktf";
import { loadConfig } from "../../modules/settings/load";
import { buildStacks } from "../../stacks/app";
import { buildTestStacks, synthJson, testApp } from "../helpers";

const BUCKET = "acme-shopfront-tfstate";

describe("stacks and state", () => {
  it("names the stacks as the walkthrough does", () => {
    const stacks = buildTestStacks();
    expect(Object.values(stacks).map((stack) => stack.stackName)).toEqual(
      expect.arrayContaining([
        "tf-state-bootstrap",
        "eks-cluster-vpc-stack",
        "eks-cluster-stack",
        "ssm-agent-installer-daemonset-stack",
      ]),
    );
  });

  it("keeps every stack's state in a local file when STATE_BUCKET is unset", () => {
    for (const stack of Object.values(buildTestStacks())) {
      expect(synthJson(stack).terraform.backend).toEqual({
        local: { path: `<project>/terraform.${stack.stackName}.tfstate` },
      });
    }
  });

  describe("with STATE_BUCKET set", () => {
    const stacks = buildTestStacks({
      STATE_BUCKET: BUCKET,
      AWS_REGION: "eu-west-1",
      AVAILABILITY_ZONES: "eu-west-1a,eu-west-1b",
    });
    const remote = Object.values(stacks).filter((stack) => stack.stackName !== "tf-state-bootstrap");

    it("switches every stack but the bootstrap one to S3: a key per cluster and stack, encrypted, locked", () => {
      expect(remote.length).toBeGreaterThanOrEqual(3);
      for (const stack of remote) {
        expect(synthJson(stack).terraform.backend).toEqual({
          s3: {
            bucket: BUCKET,
            key: `shopfront-mesh/shopfront-eks/${stack.stackName}.tfstate`,
            region: "eu-west-1",
            encrypt: true,
            use_lockfile: true,
          },
        });
      }
      expect(synthJson(stacks.bootstrap).terraform.backend).toHaveProperty("local");
    });

    it("reads upstream stacks' outputs from the same bucket", () => {
      const reads = synthJson(stacks.cluster).data.terraform_remote_state;
      expect(reads["cross-stack-reference-input-eks-cluster-vpc-stack"]).toEqual({
        backend: "s3",
        config: {
          bucket: BUCKET,
          key: "shopfront-mesh/shopfront-eks/eks-cluster-vpc-stack.tfstate",
          region: "eu-west-1",
          encrypt: true,
        },
        workspace: "${terraform.workspace}",
      });
    });
  });

  it("orders stacks: VPC, then cluster, then what runs in the cluster", () => {
    const stacks = buildTestStacks({ SSM_AGENT_INSTALLER: "true" });
    expect(stacks.cluster.dependencies).toContain(stacks.network);
    expect(stacks.ssmAgent.dependencies).toContain(stacks.cluster);
    expect(stacks.network.dependencies).toEqual([]);
  });

  it("tags every AWS resource with project, environment and owner through the provider", () => {
    const stacks = buildTestStacks({ ENVIRONMENT: "staging", OWNER: "mesh-team" });
    for (const stack of [stacks.bootstrap, stacks.network, stacks.cluster]) {
      const [aws] = synthJson(stack).provider.aws;
      expect(aws.default_tags).toEqual([
        {
          tags: {
            project: "shopfront-mesh",
            environment: "staging",
            owner: "mesh-team",
            "managed-by": "cdktf",
            stack: stack.stackName,
          },
        },
      ]);
    }
  });

  it("uses mock credentials and skip flags only in plan-only mode", () => {
    const [normal] = synthJson(buildTestStacks().network).provider.aws;
    for (const key of [
      "access_key",
      "secret_key",
      "skip_credentials_validation",
      "skip_requesting_account_id",
    ]) {
      expect(normal).not.toHaveProperty(key);
    }
    // Only `npm run plan` asks for it, through buildStacks: no setting can.
    const planOnly = buildStacks(testApp(), loadConfig({}), { offlinePlan: true });
    const [offline] = JSON.parse(Testing.synth(planOnly.network)).provider.aws;
    expect(offline).toMatchObject({
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
      skip_metadata_api_check: "true",
    });
  });
});

describe("the deploy record", () => {
  const recordIn = (stack: TerraformStack) => JSON.parse(synthJson(stack).output.deploy_record.value);

  it("is an output of every stack but the bootstrap one, holding the cluster name and region it was deployed with", () => {
    const stacks = buildTestStacks({
      CLUSTER_NAME: "shop-a",
      AWS_REGION: "eu-west-1",
      AVAILABILITY_ZONES: "eu-west-1a,eu-west-1b",
    });
    for (const stack of [stacks.network, stacks.cluster, stacks.ssmAgent]) {
      expect({ stack: stack.stackName, record: recordIn(stack) }).toEqual({
        stack: stack.stackName,
        record: { CLUSTER_NAME: "shop-a", AWS_REGION: "eu-west-1" },
      });
    }
    expect(synthJson(stacks.bootstrap).output).not.toHaveProperty("deploy_record");
  });

  it("holds, in istio-stack, istio-config-stack and shopfront-stack, the mesh variant and the ingress type that decide what their destroy does", () => {
    // With these, istio-config-stack's destroy waits for the Gateway API ingress's load balancer.
    const stacks = buildTestStacks({ ROUTING_API: "gateway-api", MESH_MODE: "ambient" });
    expect(stacks.istioConfig.ingressRelease).toBeDefined();
    const variant = {
      CLUSTER_NAME: "shopfront-eks",
      AWS_REGION: "us-east-1",
      MESH_MODE: "ambient",
      ROUTING_API: "gateway-api",
    };
    expect(recordIn(stacks.istioConfig)).toEqual({ ...variant, INGRESS_SERVICE_TYPE: "LoadBalancer" });
    expect(recordIn(stacks.shopfront)).toEqual(variant);
    expect(recordIn(stacks.istio)).toEqual(variant);
  });
});
