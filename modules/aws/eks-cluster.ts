import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsIamSessionContext } from "@cdktf/provider-aws/lib/data-aws-iam-session-context";
import { EksAccessEntry } from "@cdktf/provider-aws/lib/eks-access-entry";
import { EksAccessPolicyAssociation } from "@cdktf/provider-aws/lib/eks-access-policy-association";
import { EksAddon } from "@cdktf/provider-aws/lib/eks-addon";
import { EksCluster as AwsEksCluster } from "@cdktf/provider-aws/lib/eks-cluster";
import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import {
  Fn,
  hashMapper,
  hashMapperHcl,
  Op,
  stringToHclTerraform,
  stringToTerraform,
  TerraformResource,
  Token,
} from "cdktf";
import { Construct } from "constructs";
import { roleName } from "../settings/names";
import { ServiceRole } from "./iam";
import { encryptedLogGroup, encryptionKey } from "./kms";

/** Control-plane log types; all five, so that audits and authentication failures are on record. */
export const CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"];

/** Days of control-plane logs kept: one year, as CKV_AWS_338 asks of every log group. */
export const CONTROL_PLANE_LOG_RETENTION_DAYS = 365;

/**
 * The VPC CNI's configuration: enforce Kubernetes NetworkPolicies (its network policy agent, VPC CNI
 * 1.14 and later). The schema takes the flag as a string.
 */
export const VPC_CNI_CONFIGURATION = { enableNetworkPolicy: "true" } as const;

/**
 * A `terraform_data` resource holding the ARN of the IAM principal that created the cluster, written
 * when it is created and never after (`ignore_changes`): known at plan, from a data source the first
 * time and from the state after. Not cdktf's DataResource, whose validation runs `terraform version`
 * at every synth; Terraform has had terraform_data since 1.4, and this project needs 1.10.
 */
export class ClusterCreatorRecord extends TerraformResource {
  constructor(
    scope: Construct,
    id: string,
    private readonly creatorArn: string,
  ) {
    super(scope, id, { terraformResourceType: "terraform_data", lifecycle: { ignoreChanges: ["input"] } });
  }

  /** The recorded creator's ARN. */
  get principalArn(): string {
    return this.getStringAttribute("input.principal_arn");
  }

  protected synthesizeAttributes() {
    return { input: hashMapper(stringToTerraform)({ principal_arn: this.creatorArn }) };
  }

  protected synthesizeHclAttributes() {
    return { input: hashMapperHcl(stringToHclTerraform)({ principal_arn: this.creatorArn }) };
  }
}

export interface EksClusterProps {
  readonly name: string;
  /** Kubernetes minor version, e.g. "1.35". */
  readonly kubernetesVersion: string;
  /** Region of the cluster, for its log encryption key's policy. */
  readonly region: string;
  /** Subnets for the control plane's network interfaces (the private ones). */
  readonly subnetIds: string[];
  /** CIDRs allowed to reach the public API endpoint; empty: no public endpoint, the private one only. */
  readonly endpointPublicAccessCidrs: readonly string[];
  /**
   * IAM role given cluster-admin: through an access entry, unless it created the cluster, which EKS
   * already made admin. @default a new role `<name>-admin` (see below)
   */
  readonly adminRoleArn?: string;
  /**
   * IAM principals (role or user ARNs) trusted to assume the created `<name>-admin` role; unused with
   * `adminRoleArn`. @default the identity that deploys the stack (an assumed role's role ARN)
   */
  readonly adminTrustedPrincipalArns?: readonly string[];
  /** Days to keep control-plane logs. @default CONTROL_PLANE_LOG_RETENTION_DAYS (365) */
  readonly logRetentionDays?: number;
  /** VPC CNI add-on version. @default EKS's default for the cluster's Kubernetes version */
  readonly vpcCniVersion?: string;
}

/**
 * The EKS control plane: its IAM role, a private endpoint (and a public one only for the CIDRs given),
 * secrets envelope encryption with a rotating customer KMS key, all control-plane logs kept a year in
 * a KMS-encrypted log group, admin access through EKS access entries (the successor of the
 * walkthrough's aws-auth ConfigMap edit), the VPC CNI add-on enforcing NetworkPolicies, and the IAM
 * OIDC provider for IAM roles for service accounts.
 */
export class EksCluster extends Construct {
  readonly cluster: AwsEksCluster;
  readonly adminRoleArn: string;
  /** The IAM principal that created the cluster (an assumed role's role), whoever deploys next. */
  readonly creator: ClusterCreatorRecord;
  readonly oidcProvider: IamOpenidConnectProvider;
  readonly vpcCni: EksAddon;

  constructor(scope: Construct, id: string, props: EksClusterProps) {
    super(scope, id);

    const clusterRole = new ServiceRole(this, "cluster-role", {
      name: roleName(props.name, "cluster"),
      principal: { type: "Service", identifiers: ["eks.amazonaws.com"] },
      extraAssumeActions: ["sts:TagSession"],
      managedPolicies: ["AmazonEKSClusterPolicy"],
    });

    const secretsKey = encryptionKey(this, "secrets-key", {
      alias: `${props.name}-secrets`,
      description: `Envelope encryption of Kubernetes secrets in EKS cluster ${props.name}`,
      region: props.region,
    });

    // EKS writes to this group by name; created first, it gets our retention and key, not EKS's defaults.
    const { logGroup } = encryptedLogGroup(this, {
      keyId: "logs-key",
      logGroupId: "control-plane-logs",
      name: `/aws/eks/${props.name}/cluster`,
      retentionInDays: props.logRetentionDays ?? CONTROL_PLANE_LOG_RETENTION_DAYS,
      alias: `${props.name}-control-plane-logs`,
      description: `Control-plane logs of EKS cluster ${props.name}`,
      region: props.region,
    });

    const publicEndpoint = props.endpointPublicAccessCidrs.length > 0;

    this.cluster = new AwsEksCluster(this, "cluster", {
      name: props.name,
      version: props.kubernetesVersion,
      roleArn: clusterRole.role.arn,
      vpcConfig: {
        subnetIds: props.subnetIds,
        endpointPublicAccess: publicEndpoint,
        endpointPrivateAccess: true,
        publicAccessCidrs: publicEndpoint ? [...props.endpointPublicAccessCidrs] : undefined,
      },
      accessConfig: {
        authenticationMode: "API",
        bootstrapClusterCreatorAdminPermissions: true,
      },
      encryptionConfig: { resources: ["secrets"], provider: { keyArn: secretsKey.key.arn } },
      enabledClusterLogTypes: CONTROL_PLANE_LOG_TYPES,
      // Standard support only: extended support costs six times as much per cluster hour.
      upgradePolicy: { supportType: "STANDARD" },
      dependsOn: [...clusterRole.attachments, logGroup],
    });

    // The managed add-on takes over the aws-node DaemonSet EKS installs; created before any node joins.
    this.vpcCni = new EksAddon(this, "vpc-cni", {
      clusterName: this.cluster.name,
      addonName: "vpc-cni",
      addonVersion: props.vpcCniVersion,
      configurationValues: JSON.stringify(VPC_CNI_CONFIGURATION),
      resolveConflictsOnCreate: "OVERWRITE",
      resolveConflictsOnUpdate: "OVERWRITE",
    });

    const deployer = this.deployingPrincipalArn();
    // EKS gives the cluster's creator an admin access entry of its own
    // (bootstrap_cluster_creator_admin_permissions, which cannot change without replacing the cluster).
    // Recorded once, so that a later deploy by someone else still knows who holds that entry.
    this.creator = new ClusterCreatorRecord(this, "cluster-creator", deployer);

    this.adminRoleArn =
      props.adminRoleArn ?? this.createAdminRole(props.name, props.adminTrustedPrincipalArns ?? [deployer]);
    // An ADMIN_ROLE_ARN that created the cluster has its entry already: a second one is refused with
    // 409 ResourceInUseException. Known at plan: the record holds a data source's value or its state.
    const adminEntries =
      props.adminRoleArn === undefined
        ? undefined
        : Token.asNumber(Fn.conditional(Op.eq(this.creator.principalArn, props.adminRoleArn), 0, 1));
    const adminAccess = new EksAccessEntry(this, "admin-access", {
      count: adminEntries,
      clusterName: this.cluster.name,
      principalArn: this.adminRoleArn,
      type: "STANDARD",
    });
    new EksAccessPolicyAssociation(this, "admin-policy", {
      count: adminEntries,
      clusterName: this.cluster.name,
      principalArn: this.adminRoleArn,
      policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
      accessScope: { type: "cluster" },
      dependsOn: [adminAccess],
    });

    this.oidcProvider = new IamOpenidConnectProvider(this, "oidc-provider", {
      url: this.cluster.identity.get(0).oidc.get(0).issuer,
      clientIdList: ["sts.amazonaws.com"],
    });
  }

  /**
   * The walkthrough's `c_admin`, trusted by named principals only (CKV_AWS_61), never by the whole
   * account: by default the deploying identity, which `ConfigCommand` then lets run kubectl as admin.
   */
  private createAdminRole(clusterName: string, trusted: readonly string[]): string {
    const admin = new ServiceRole(this, "admin-role", {
      name: roleName(clusterName, "admin"),
      principal: { type: "AWS", identifiers: [...trusted] },
      managedPolicies: [],
    });
    // Enough IAM for `aws eks update-kubeconfig`; what it may do inside the cluster comes from the access entry.
    new IamRolePolicy(this, "admin-describe-cluster", {
      role: admin.role.name,
      name: "describe-cluster",
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: ["eks:DescribeCluster"], Resource: this.cluster.arn }],
      }),
    });
    return admin.role.arn;
  }

  /** The IAM user or role that runs the deploy; for an assumed-role session, the role, not the session. */
  private deployingPrincipalArn(): string {
    const caller = new DataAwsCallerIdentity(this, "deployer");
    return new DataAwsIamSessionContext(this, "deployer-session", { arn: caller.arn }).issuerArn;
  }
}
