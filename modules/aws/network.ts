import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import { roleName } from "../settings/names";
import { ServiceRole } from "./iam";
import { encryptedLogGroup } from "./kms";

/** Days of VPC flow logs kept: one year, as CKV_AWS_338 asks of every log group. */
export const FLOW_LOG_RETENTION_DAYS = 365;

export interface NetworkProps {
  /** Name prefix of every resource. */
  readonly name: string;
  /** VPC CIDR; each of the six subnets takes a sixteenth of it. */
  readonly cidr: string;
  /** Exactly two AZ names, given rather than looked up so that planning needs no AWS API call. */
  readonly availabilityZones: readonly string[];
  /** The EKS cluster that will use the subnets; its tag lets EKS find them. */
  readonly clusterName: string;
  /** The VPC's region, for the flow logs' encryption key policy. */
  readonly region: string;
  /** Days to keep VPC flow logs. @default FLOW_LOG_RETENTION_DAYS (365) */
  readonly flowLogRetentionDays?: number;
}

/** The three subnet tiers, as in the walkthrough's CDK VPC: public, private (with NAT), isolated. */
export type SubnetTier = "public" | "private" | "isolated";
const TIERS: readonly SubnetTier[] = ["public", "private", "isolated"];

/**
 * A two-AZ VPC with public, private and isolated subnets in each AZ, an internet gateway and one NAT
 * gateway (in the first public subnet) shared by both private subnets: the walkthrough's cost trade-off
 * (one NAT, not one per AZ). Subnets carry the tags EKS and its load balancers look for. The default
 * security group is emptied of rules (nothing may fall back on it) and every flow is logged to a
 * KMS-encrypted CloudWatch log group kept for a year.
 */
export class Network extends Construct {
  readonly vpc: Vpc;
  readonly subnets: Readonly<Record<SubnetTier, readonly Subnet[]>>;
  readonly natGateway: NatGateway;
  readonly defaultSecurityGroup: DefaultSecurityGroup;
  readonly flowLog: FlowLog;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const { cidr } = props;
    if (props.availabilityZones.length !== 2) {
      throw new Error(`Network needs exactly two availability zones, got ${props.availabilityZones.length}`);
    }

    this.vpc = new Vpc(this, "vpc", {
      cidrBlock: cidr,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: { Name: props.name },
    });

    // Managed with no ingress or egress block: Terraform removes every rule AWS put in it (CKV2_AWS_12).
    this.defaultSecurityGroup = new DefaultSecurityGroup(this, "default-security-group", {
      vpcId: this.vpc.id,
      tags: { Name: `${props.name}-default-no-rules` },
    });
    this.flowLog = this.logFlows(props);

    // /20 per subnet: 6 of the /16's sixteen /20 blocks, public first, as CDK's Vpc lays them out.
    const clusterTag = { [`kubernetes.io/cluster/${props.clusterName}`]: "shared" };
    const tierTags: Record<SubnetTier, Record<string, string>> = {
      public: { ...clusterTag, "kubernetes.io/role/elb": "1" },
      private: { ...clusterTag, "kubernetes.io/role/internal-elb": "1" },
      isolated: {},
    };
    const subnets: Record<SubnetTier, Subnet[]> = { public: [], private: [], isolated: [] };
    TIERS.forEach((tier, tierIndex) => {
      props.availabilityZones.forEach((az, azIndex) => {
        const netnum = tierIndex * props.availabilityZones.length + azIndex;
        subnets[tier].push(
          new Subnet(this, `${tier}-${azIndex}`, {
            vpcId: this.vpc.id,
            availabilityZone: az,
            cidrBlock: Fn.cidrsubnet(cidr, 4, netnum),
            mapPublicIpOnLaunch: false,
            tags: { Name: `${props.name}-${tier}-${az}`, tier, ...tierTags[tier] },
          }),
        );
      });
    });
    this.subnets = subnets;

    const internetGateway = new InternetGateway(this, "internet-gateway", {
      vpcId: this.vpc.id,
      tags: { Name: props.name },
    });

    const publicRoutes = new RouteTable(this, "public-routes", {
      vpcId: this.vpc.id,
      tags: { Name: `${props.name}-public` },
    });
    new Route(this, "public-default-route", {
      routeTableId: publicRoutes.id,
      destinationCidrBlock: "0.0.0.0/0",
      gatewayId: internetGateway.id,
    });

    const natAddress = new Eip(this, "nat-address", {
      domain: "vpc",
      tags: { Name: `${props.name}-nat` },
      dependsOn: [internetGateway],
    });
    this.natGateway = new NatGateway(this, "nat-gateway", {
      allocationId: natAddress.id,
      subnetId: subnets.public[0].id,
      tags: { Name: props.name },
      dependsOn: [internetGateway],
    });

    const privateRoutes = new RouteTable(this, "private-routes", {
      vpcId: this.vpc.id,
      tags: { Name: `${props.name}-private` },
    });
    new Route(this, "private-default-route", {
      routeTableId: privateRoutes.id,
      destinationCidrBlock: "0.0.0.0/0",
      natGatewayId: this.natGateway.id,
    });

    // Isolated subnets get their own table with only the VPC's local route: no way out.
    const isolatedRoutes = new RouteTable(this, "isolated-routes", {
      vpcId: this.vpc.id,
      tags: { Name: `${props.name}-isolated` },
    });

    const tables: Record<SubnetTier, RouteTable> = {
      public: publicRoutes,
      private: privateRoutes,
      isolated: isolatedRoutes,
    };
    for (const tier of TIERS) {
      subnets[tier].forEach((subnet, azIndex) => {
        new RouteTableAssociation(this, `${tier}-${azIndex}-routes`, {
          subnetId: subnet.id,
          routeTableId: tables[tier].id,
        });
      });
    }
  }

  /** VPC flow logs (CKV2_AWS_11), to a log group encrypted with its own key (CKV_AWS_158, CKV_AWS_338). */
  private logFlows(props: NetworkProps): FlowLog {
    const { logGroup } = encryptedLogGroup(this, {
      keyId: "flow-logs-key",
      logGroupId: "flow-logs",
      name: `/aws/vpc/${props.clusterName}/flow-logs`,
      retentionInDays: props.flowLogRetentionDays ?? FLOW_LOG_RETENTION_DAYS,
      alias: `${props.clusterName}-flow-logs`,
      description: `VPC flow logs of EKS cluster ${props.clusterName}`,
      region: props.region,
    });
    const account = new DataAwsCallerIdentity(this, "flow-logs-account");
    const role = new ServiceRole(this, "flow-logs-role", {
      name: roleName(props.clusterName, "vpc-flow-logs"),
      principal: { type: "Service", identifiers: ["vpc-flow-logs.amazonaws.com"] },
      // Only flow logs of this account may use the role (the confused-deputy guard AWS documents).
      conditions: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [account.accountId] }],
      managedPolicies: [],
    });
    // The actions AWS documents for flow log delivery, on this log group only.
    new IamRolePolicy(this, "flow-logs-delivery", {
      role: role.role.name,
      name: "deliver-flow-logs",
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            Resource: [logGroup.arn, `${logGroup.arn}:*`],
          },
        ],
      }),
    });
    return new FlowLog(this, "flow-log", {
      vpcId: this.vpc.id,
      trafficType: "ALL",
      logDestinationType: "cloud-watch-logs",
      logDestination: logGroup.arn,
      iamRoleArn: role.role.arn,
      // Ten-minute aggregation, the cheaper of the two intervals.
      maxAggregationInterval: 600,
      tags: { Name: `${props.name}-flow-log` },
    });
  }
}
