import { loadConfig } from "../../../modules/settings/load";
import { VERSIONS } from "../../../modules/settings/versions";
import { problemsOf, runMain } from "../../config-problems";

describe("config", () => {
  it("defaults to the walkthrough's values", () => {
    const config = loadConfig({});
    expect(config.aws.region).toBe("us-east-1");
    expect(config.network).toEqual({
      vpcCidr: "10.10.0.0/16",
      availabilityZones: ["us-east-1a", "us-east-1b"],
    });
    expect(config.cluster).toEqual({
      name: "shopfront-eks",
      kubernetesVersion: VERSIONS.kubernetes,
      adminRoleArn: undefined,
      endpointPublicAccessCidrs: [],
      deployFromVpc: false,
    });
    expect(config.nodes).toEqual({
      instanceType: "t3.medium",
      minSize: 2,
      desiredSize: 2,
      maxSize: 2,
      ssmAgentInstaller: false,
    });
    expect(config.state).toEqual({ bucket: undefined, keyPrefix: "shopfront-mesh" });
    expect(config.nodes.ssmAgentInstaller).toBe(false);
    expect(config).not.toHaveProperty("offlinePlan");
  });

  it("declares the settings contract's Istio settings with their defaults", () => {
    expect(loadConfig({}).istio).toMatchObject({
      meshMode: "sidecar",
      routingApi: "istio",
      ingressSourceCidrs: [],
      ingressCertificateArn: undefined,
      outboundTrafficPolicy: "ALLOW_ANY",
    });
    expect(loadConfig({ MESH_PROFILE: "production" }).istio.outboundTrafficPolicy).toBe("REGISTRY_ONLY");
  });

  it("reads the settings contract's Istio settings", () => {
    const certificate = "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789";
    expect(
      loadConfig({
        AWS_REGION: "eu-west-1",
        MESH_MODE: "ambient",
        ROUTING_API: "gateway-api",
        INGRESS_SOURCE_CIDRS: "203.0.113.0/24, 0.0.0.0/0",
        INGRESS_CERTIFICATE_ARN: certificate,
        MESH_PROFILE: "production",
        OUTBOUND_TRAFFIC_POLICY: "ALLOW_ANY",
      }).istio,
    ).toMatchObject({
      meshMode: "ambient",
      routingApi: "gateway-api",
      ingressSourceCidrs: ["203.0.113.0/24", "0.0.0.0/0"],
      ingressCertificateArn: certificate,
      outboundTrafficPolicy: "ALLOW_ANY",
    });
    expect(
      loadConfig({
        AWS_REGION: "us-gov-west-1",
        INGRESS_CERTIFICATE_ARN:
          "arn:aws-us-gov:acm:us-gov-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789",
      }).istio.ingressCertificateArn,
    ).toMatch(/^arn:aws-us-gov:acm:us-gov-west-1:/);
  });

  it.each(["t3.medium", "m7i-flex.large", "g4dn.xlarge", "c5n.2xlarge"])(
    "accepts the x86_64 instance type %s for the x86_64 AMI",
    (type) => {
      expect(loadConfig({ NODE_INSTANCE_TYPE: type }).nodes.instanceType).toBe(type);
    },
  );

  it("opens the public API endpoint only to CIDRs written explicitly, 0.0.0.0/0 included", () => {
    expect(loadConfig({}).cluster.endpointPublicAccessCidrs).toEqual([]);
    expect(loadConfig({ ENDPOINT_PUBLIC_CIDRS: "0.0.0.0/0" }).cluster.endpointPublicAccessCidrs).toEqual([
      "0.0.0.0/0",
    ]);
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
      DEPLOY_FROM_VPC: "true",
      NODE_INSTANCE_TYPE: "m7i.large",
      NODE_MIN_SIZE: "1",
      NODE_DESIRED_SIZE: "3",
      NODE_MAX_SIZE: "4",
      SSM_AGENT_INSTALLER: "true",
      VPC_CIDR: "10.20.0.0/20",
    });
    expect(config.network.vpcCidr).toBe("10.20.0.0/20");
    expect(config.aws.region).toBe("eu-central-1");
    expect(config.network.availabilityZones).toEqual(["eu-central-1b", "eu-central-1c"]);
    expect(config.state.bucket).toBe("acme.tfstate-01");
    expect(config.cluster).toEqual({
      name: "mesh_1",
      kubernetesVersion: "1.34",
      adminRoleArn: "arn:aws:iam::123456789012:role/platform/c_admin",
      endpointPublicAccessCidrs: ["203.0.113.0/24", "198.51.100.7/32"],
      deployFromVpc: true,
    });
    expect(config.nodes).toMatchObject({
      instanceType: "m7i.large",
      minSize: 1,
      desiredSize: 3,
      maxSize: 4,
    });
    expect(config.nodes.ssmAgentInstaller).toBe(true);
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
      { NODE_INSTANCE_TYPE: "m7g.large" },
      'NODE_INSTANCE_TYPE="m7g.large" is not an x86_64 EC2 instance type such as t3.medium: the nodes run the AL2023 x86_64 AMI',
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
    [
      { OFFLINE_PLAN: "1" },
      'OFFLINE_PLAN="1" is no longer a setting: npm run plan makes plan-only stacks in its own folder',
    ],
    [{ CLUSTER_NAME: "x".repeat(51) }, "is not an EKS cluster name: 1-50 letters"],
    [
      { VPC_CIDR: "10.10.0.1/16" },
      'VPC_CIDR="10.10.0.1/16" is not an IPv4 CIDR in network form from /16 to /22, such as 10.10.0.0/16',
    ],
    [{ VPC_CIDR: "10.0.0.0/8" }, 'VPC_CIDR="10.0.0.0/8" is not an IPv4 CIDR in network form from /16 to /22'],
    [
      { ENDPOINT_PUBLIC_CIDRS: "203.0.113.7/24" },
      'ENDPOINT_PUBLIC_CIDRS="203.0.113.7/24" is not a comma-separated list of IPv4 CIDRs in network form',
    ],
    [{ MESH_MODE: "sidecars" }, 'MESH_MODE="sidecars" is not one of sidecar, ambient'],
    [{ ROUTING_API: "gateway" }, 'ROUTING_API="gateway" is not one of istio, gateway-api'],
    [
      { INGRESS_SOURCE_CIDRS: "0.0.0.0" },
      'INGRESS_SOURCE_CIDRS="0.0.0.0" is not a comma-separated list of IPv4 CIDRs',
    ],
    [
      { INGRESS_CERTIFICATE_ARN: "arn:aws:acm:us-east-1:123456789012:certificate/x" },
      'INGRESS_CERTIFICATE_ARN="arn:aws:acm:us-east-1:123456789012:certificate/x" is not an ACM certificate ARN such as arn:aws:acm:us-east-1:123456789012:certificate/',
    ],
    [
      {
        INGRESS_CERTIFICATE_ARN:
          "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789",
      },
      'INGRESS_CERTIFICATE_ARN="arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789" is not an ACM certificate of us-east-1 (AWS_REGION)',
    ],
    [
      { OUTBOUND_TRAFFIC_POLICY: "allow_any" },
      'OUTBOUND_TRAFFIC_POLICY="allow_any" is not one of ALLOW_ANY, REGISTRY_ONLY',
    ],
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
    const result = runMain({ AWS_REGION: "moon-base-9!" });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('AWS_REGION="moon-base-9!" is not an AWS region such as us-east-1');
    expect(result.wroteOutput).toBe(false);
  });

  it("refuses OFFLINE_PLAN=true at synth: plan-only stacks come from npm run plan alone", () => {
    const result = runMain({ OFFLINE_PLAN: "true" });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'OFFLINE_PLAN="true" is no longer a setting: npm run plan makes plan-only stacks in its own folder',
    );
    expect(result.wroteOutput).toBe(false);
  });
});
