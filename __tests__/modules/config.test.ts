import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig, VERSIONS } from "../../modules/config";
import { problemsOf } from "../config-problems";

describe("config", () => {
  it("defaults to the walkthrough's values", () => {
    const config = loadConfig({});
    expect(config.region).toBe("us-east-1");
    expect(config.network).toEqual({
      vpcCidr: "10.10.0.0/16",
      availabilityZones: ["us-east-1a", "us-east-1b"],
    });
    expect(config.cluster).toEqual({
      name: "shopfront-eks",
      kubernetesVersion: VERSIONS.kubernetes,
      adminRoleArn: undefined,
      endpointPublicAccessCidrs: ["0.0.0.0/0"],
    });
    expect(config.nodeGroup).toEqual({
      instanceType: "t3.medium",
      minSize: 2,
      desiredSize: 2,
      maxSize: 2,
      labels: { app: "miztiik_on_demand_ng" },
    });
    expect(config.state).toEqual({ bucket: undefined, keyPrefix: "shopfront-mesh" });
    expect(config.ssmAgentInstaller).toBe(false);
    expect(config.offlinePlan).toBe(false);
  });

  it("pins a Kubernetes version in EKS standard support", () => {
    expect(VERSIONS.supportedKubernetes).toContain(VERSIONS.kubernetes);
  });

  it("reads every override", () => {
    const config = loadConfig({
      AWS_REGION: "eu-central-1",
      AVAILABILITY_ZONES: "eu-central-1b,eu-central-1c",
      STATE_BUCKET: "acme.tfstate-01",
      CLUSTER_NAME: "mesh_1",
      KUBERNETES_VERSION: "1.34",
      ADMIN_ROLE_ARN: "arn:aws:iam::123456789012:role/platform/c_admin",
      ENDPOINT_PUBLIC_CIDRS: "203.0.113.0/24, 198.51.100.7/32",
      NODE_INSTANCE_TYPE: "m7g.large",
      NODE_MIN_SIZE: "1",
      NODE_DESIRED_SIZE: "3",
      NODE_MAX_SIZE: "4",
      SSM_AGENT_INSTALLER: "true",
    });
    expect(config.region).toBe("eu-central-1");
    expect(config.network.availabilityZones).toEqual(["eu-central-1b", "eu-central-1c"]);
    expect(config.state.bucket).toBe("acme.tfstate-01");
    expect(config.cluster).toEqual({
      name: "mesh_1",
      kubernetesVersion: "1.34",
      adminRoleArn: "arn:aws:iam::123456789012:role/platform/c_admin",
      endpointPublicAccessCidrs: ["203.0.113.0/24", "198.51.100.7/32"],
    });
    expect(config.nodeGroup).toMatchObject({
      instanceType: "m7g.large",
      minSize: 1,
      desiredSize: 3,
      maxSize: 4,
    });
    expect(config.ssmAgentInstaller).toBe(true);
  });

  // One case per error path: the message names the setting, the value and the accepted form.
  it.each([
    [{ AWS_REGION: "moon-base-9!" }, 'AWS_REGION="moon-base-9!" is not an AWS region such as us-east-1'],
    [
      { AVAILABILITY_ZONES: "us-east-1a" },
      'AVAILABILITY_ZONES="us-east-1a" is not exactly two different availability zones',
    ],
    [{ AVAILABILITY_ZONES: "us-east-1a,us-east-1a" }, "is not exactly two different availability zones"],
    [
      { AVAILABILITY_ZONES: "eu-west-1a,eu-west-1b" },
      'AVAILABILITY_ZONES="eu-west-1a,eu-west-1b" is not two availability zones of us-east-1',
    ],
    [{ STATE_BUCKET: "My_Bucket" }, 'STATE_BUCKET="My_Bucket" is not a valid S3 bucket name'],
    [{ STATE_BUCKET: "ab" }, 'STATE_BUCKET="ab" is not a valid S3 bucket name'],
    [{ STATE_BUCKET: "192.168.1.1" }, 'STATE_BUCKET="192.168.1.1" is not a valid S3 bucket name'],
    [{ STATE_BUCKET: "a..b" }, 'STATE_BUCKET="a..b" is not a valid S3 bucket name'],
    [{ STATE_KEY_PREFIX: "../state" }, 'STATE_KEY_PREFIX="../state" is not an S3 key prefix'],
    [{ ENVIRONMENT: "prod;rm -rf" }, 'ENVIRONMENT="prod;rm -rf" is not a tag value'],
    [{ OWNER: "x".repeat(129) }, "OWNER=", "is not a tag value of 1-128"],
    [{ CLUSTER_NAME: "-bad" }, 'CLUSTER_NAME="-bad" is not an EKS cluster name'],
    [{ KUBERNETES_VERSION: "1.22" }, 'KUBERNETES_VERSION="1.22" is not one of 1.33, 1.34, 1.35'],
    [
      { ADMIN_ROLE_ARN: "arn:aws:iam::123:user/bob" },
      'ADMIN_ROLE_ARN="arn:aws:iam::123:user/bob" is not an IAM role ARN',
    ],
    [
      { ENDPOINT_PUBLIC_CIDRS: "10.0.0.0/33" },
      'ENDPOINT_PUBLIC_CIDRS="10.0.0.0/33" is not a comma-separated list of IPv4 CIDRs',
    ],
    [
      { NODE_INSTANCE_TYPE: "large" },
      'NODE_INSTANCE_TYPE="large" is not an EC2 instance type such as t3.medium',
    ],
    [{ NODE_MIN_SIZE: "0" }, 'NODE_MIN_SIZE="0" is not a whole number from 1 to 100'],
    [{ NODE_DESIRED_SIZE: "two" }, 'NODE_DESIRED_SIZE="two" is not a whole number from 1 to 100'],
    [{ NODE_MAX_SIZE: "101" }, 'NODE_MAX_SIZE="101" is not a whole number from 1 to 100'],
    [
      { NODE_MIN_SIZE: "3" },
      "NODE_MIN_SIZE=3, NODE_DESIRED_SIZE=2, NODE_MAX_SIZE=2 are not sizes with min <= desired <= max",
    ],
    [{ SSM_AGENT_INSTALLER: "yes" }, 'SSM_AGENT_INSTALLER="yes" is not a boolean: true or false'],
    [{ OFFLINE_PLAN: "1" }, 'OFFLINE_PLAN="1" is not a boolean: true or false'],
    [{ CLUSTER_NAME: "" }, 'CLUSTER_NAME="" is not a non-empty value'],
  ])("rejects %j", (env, ...fragments) => {
    const message = problemsOf(env as Record<string, string>).join("\n");
    for (const fragment of fragments) expect(message).toContain(fragment);
  });

  it("reports every problem at once", () => {
    expect(
      problemsOf({ AWS_REGION: "nowhere", NODE_MAX_SIZE: "x", SSM_AGENT_INSTALLER: "maybe" }),
    ).toHaveLength(3);
  });

  it("makes main.ts exit non-zero, name the problem and write no stack", () => {
    const outdir = path.join(mkdtempSync(path.join(tmpdir(), "shopfront-config-")), "cdktf.out");
    // tools/app.js is what cdktf.json runs: main.ts, compiled.
    const result = spawnSync(process.execPath, ["tools/app.js"], {
      env: { ...process.env, AWS_REGION: "moon-base-9!", CDKTF_OUTDIR: outdir },
      encoding: "utf8",
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('AWS_REGION="moon-base-9!" is not an AWS region such as us-east-1');
    expect(existsSync(outdir)).toBe(false);
  });
});
