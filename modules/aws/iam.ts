import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Construct } from "constructs";

export interface ServiceRoleProps {
  /** Role name. */
  readonly name: string;
  /** The principal that assumes the role, e.g. `{ type: "Service", identifiers: ["eks.amazonaws.com"] }`. */
  readonly principal: { readonly type: string; readonly identifiers: string[] };
  /** Extra actions beside sts:AssumeRole (EKS also asks for sts:TagSession). @default [] */
  readonly extraAssumeActions?: readonly string[];
  /** AWS managed policy names (not ARNs) to attach, each one AWS documents for this role. */
  readonly managedPolicies: readonly string[];
  /** Conditions on assuming the role, e.g. the source account of a service principal. @default none */
  readonly conditions?: readonly {
    readonly test: string;
    readonly variable: string;
    readonly values: string[];
  }[];
}

/**
 * An IAM role with a trust policy for one principal and a set of AWS managed policies: the shape every
 * role in this project has. Attachments are exposed so that users of the role can depend on them.
 */
export class ServiceRole extends Construct {
  readonly role: IamRole;
  readonly attachments: readonly IamRolePolicyAttachment[];

  constructor(scope: Construct, id: string, props: ServiceRoleProps) {
    super(scope, id);
    const trust = new DataAwsIamPolicyDocument(this, "trust", {
      statement: [
        {
          effect: "Allow",
          actions: ["sts:AssumeRole", ...(props.extraAssumeActions ?? [])],
          principals: [props.principal],
          condition: props.conditions?.map((condition) => ({ ...condition })),
        },
      ],
    });
    this.role = new IamRole(this, "role", { name: props.name, assumeRolePolicy: trust.json });
    this.attachments = props.managedPolicies.map(
      (policy) =>
        new IamRolePolicyAttachment(this, policy, {
          role: this.role.name,
          policyArn: `arn:aws:iam::aws:policy/${policy}`,
        }),
    );
  }
}
