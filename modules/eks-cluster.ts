import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { EksAccessEntry } from "@cdktf/provider-aws/lib/eks-access-entry";
import { EksAccessPolicyAssociation } from "@cdktf/provider-aws/lib/eks-access-policy-association";
import { EksCluster as AwsEksCluster } from "@cdktf/provider-aws/lib/eks-cluster";
import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { Construct } from "constructs";
import { ServiceRole } from "./iam";

/** Control-plane log types; all five, so that audits and authentication failures are on record. */
export const CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"];

export interface EksClusterProps {
  readonly name: string;
  /** Kubernetes minor version, e.g. "1.35". */
  readonly kubernetesVersion: string;
  /** Subnets for the control plane's network interfaces (the private ones). */
  readonly subnetIds: string[];
  /** CIDRs allowed to reach the public API endpoint; empty: no public endpoint, private only. */
  readonly endpointPublicAccessCidrs: readonly string[];
  /** IAM role given cluster-admin through an access entry. @default a new role `<name>-admin` that the account can assume */
  readonly adminRoleArn?: string;
  /** Days to keep control-plane logs. @default 30 */
  readonly logRetentionDays?: number;
}

/**
 * The EKS control plane: its IAM role, a private endpoint (and a public one only for the CIDRs given), secrets
 * envelope encryption with a rotating customer KMS key, all control-plane logs with bounded retention,
 * admin access through EKS access entries (the successor of the walkthrough's aws-auth ConfigMap
 * edit), and the IAM OIDC provider for IAM roles for service accounts.
 */
export class EksCluster extends Construct {
  readonly cluster: AwsEksCluster;
  readonly adminRoleArn: string;
  readonly oidcProvider: IamOpenidConnectProvider;

  constructor(scope: Construct, id: string, props: EksClusterProps) {
    super(scope, id);

    const clusterRole = new ServiceRole(this, "cluster-role", {
      name: `${props.name}-cluster`,
      principal: { type: "Service", identifiers: ["eks.amazonaws.com"] },
      extraAssumeActions: ["sts:TagSession"],
      managedPolicies: ["AmazonEKSClusterPolicy"],
    });

    const secretsKey = new KmsKey(this, "secrets-key", {
      description: `Envelope encryption of Kubernetes secrets in EKS cluster ${props.name}`,
      enableKeyRotation: true,
      deletionWindowInDays: 7,
    });
    new KmsAlias(this, "secrets-key-alias", {
      name: `alias/${props.name}-secrets`,
      targetKeyId: secretsKey.keyId,
    });

    // EKS writes to this group by name; creating it first lets us bound the retention.
    const logGroup = new CloudwatchLogGroup(this, "control-plane-logs", {
      name: `/aws/eks/${props.name}/cluster`,
      retentionInDays: props.logRetentionDays ?? 30,
    });

    this.cluster = new AwsEksCluster(this, "cluster", {
      name: props.name,
      version: props.kubernetesVersion,
      roleArn: clusterRole.role.arn,
      vpcConfig: {
        subnetIds: props.subnetIds,
        endpointPublicAccess: props.endpointPublicAccessCidrs.length > 0,
        endpointPrivateAccess: true,
        // Unset, AWS would default the public CIDRs to 0.0.0.0/0: omitted only when there is no public endpoint.
        publicAccessCidrs:
          props.endpointPublicAccessCidrs.length > 0 ? [...props.endpointPublicAccessCidrs] : undefined,
      },
      accessConfig: {
        authenticationMode: "API",
        bootstrapClusterCreatorAdminPermissions: true,
      },
      encryptionConfig: { resources: ["secrets"], provider: { keyArn: secretsKey.arn } },
      enabledClusterLogTypes: CONTROL_PLANE_LOG_TYPES,
      // Standard support only: extended support costs six times as much per cluster hour.
      upgradePolicy: { supportType: "STANDARD" },
      dependsOn: [...clusterRole.attachments, logGroup],
    });

    this.adminRoleArn = props.adminRoleArn ?? this.createAdminRole(props.name);
    const adminAccess = new EksAccessEntry(this, "admin-access", {
      clusterName: this.cluster.name,
      principalArn: this.adminRoleArn,
      type: "STANDARD",
    });
    new EksAccessPolicyAssociation(this, "admin-policy", {
      clusterName: this.cluster.name,
      principalArn: adminAccess.principalArn,
      policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
      accessScope: { type: "cluster" },
    });

    this.oidcProvider = new IamOpenidConnectProvider(this, "oidc-provider", {
      url: this.cluster.identity.get(0).oidc.get(0).issuer,
      clientIdList: ["sts.amazonaws.com"],
    });
  }

  /** The walkthrough's `c_admin`: a role that principals of this account may assume to administer the cluster. */
  private createAdminRole(clusterName: string): string {
    const account = new DataAwsCallerIdentity(this, "account");
    const admin = new ServiceRole(this, "admin-role", {
      name: `${clusterName}-admin`,
      principal: { type: "AWS", identifiers: [`arn:aws:iam::${account.accountId}:root`] },
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
}
