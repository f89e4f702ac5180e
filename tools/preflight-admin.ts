/**
 * Preflight's admin role check: ADMIN_ROLE_ARN against the identity that deploys. EKS makes the
 * cluster's creator admin with an access entry of its own; the stack adds one for ADMIN_ROLE_ARN
 * unless that is the creator (a second entry for one principal is refused, 409 ResourceInUseException).
 * An assumed role's ARN from STS lacks the role's path, which IAM gives, as it does to the deploy.
 */
import type { CheckLine, Probe } from "./preflight-probe";
import { firstLine, OFFLINE } from "./preflight-probe";

const ASSUMED_ROLE = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/;

/** The role behind an assumed-role session's ARN, or undefined for a principal that is no session (a user, root). */
export function callerRole(arn: string): { partition: string; account: string; name: string } | undefined {
  const match = ASSUMED_ROLE.exec(arn);
  return match ? { partition: match[1], account: match[2], name: match[3] } : undefined;
}

/** What the admin check needs to know of the settings and the caller. */
export interface AdminTarget {
  /** ADMIN_ROLE_ARN; undefined when unset. */
  readonly adminRoleArn: string | undefined;
  /** The role the stack creates when ADMIN_ROLE_ARN is unset. */
  readonly createdRoleName: string;
}

const line = (status: CheckLine["status"], message: string): CheckLine => ({
  status,
  subject: "admin role",
  message,
});

/**
 * The admin role line for `caller` (get-caller-identity's ARN). `noAws` says why AWS cannot be asked;
 * `target` is undefined when the settings are invalid.
 */
export async function adminRoleLine(
  run: Probe,
  caller: string | undefined,
  noAws: string,
  target: AdminTarget | undefined,
  timeoutSeconds: number,
): Promise<CheckLine> {
  if (!target) return line("cannot check", "the settings are invalid (see the settings line)");
  if (noAws || caller === undefined) return line("cannot check", noAws);
  let deployer = caller;
  const role = callerRole(caller);
  if (role) {
    const result = await run("aws", [
      "iam",
      "get-role",
      "--role-name",
      role.name,
      "--query",
      "Role.Arn",
      "--output",
      "text",
    ]);
    if (result.kind === "exited" && result.code === 0) {
      deployer = result.stdout.trim();
    } else if (result.kind === "exited" && !OFFLINE.test(result.stderr)) {
      return line(
        "problem",
        `cannot read role ${role.name} (iam get-role): ${firstLine(result.stderr || result.stdout)}; the deploy reads it too (aws_iam_session_context, for the role behind your session): allow iam:GetRole on it`,
      );
    } else {
      return line(
        "cannot check",
        `role ${role.name}: ${result.kind === "timeout" ? `iam get-role did not answer within ${timeoutSeconds} s` : "AWS did not answer"}`,
      );
    }
  }
  if (/^arn:aws[a-z-]*:iam::\d{12}:root$/.test(caller)) {
    // A trust policy naming the root user trusts every principal of the account (CKV_AWS_61).
    const trust =
      target.adminRoleArn === undefined
        ? `, and which ${target.createdRoleName} would trust, that is the whole account`
        : "";
    return line(
      "warning",
      `you deploy as the account's root user, which becomes cluster admin as the creator${trust}: deploy as an IAM role or user`,
    );
  }
  const { adminRoleArn } = target;
  if (adminRoleArn === undefined) {
    return line(
      "ok",
      `ADMIN_ROLE_ARN unset: the stack creates ${target.createdRoleName}, trusted by the identity you deploy as, ${deployer}`,
    );
  }
  if (adminRoleArn === deployer) {
    return line(
      "ok",
      "ADMIN_ROLE_ARN is the role you deploy as: creating the cluster makes it admin through EKS's own entry for the creator, and the stack then adds none (a second one is refused, 409 ResourceInUseException)",
    );
  }
  if (role && adminRoleArn === `arn:${role.partition}:iam::${role.account}:role/${role.name}`) {
    return line(
      "problem",
      `ADMIN_ROLE_ARN=${adminRoleArn} names the role you deploy as without its path: access entries name a role by its full ARN; set ADMIN_ROLE_ARN=${deployer}`,
    );
  }
  return line(
    "ok",
    `ADMIN_ROLE_ARN=${adminRoleArn} gets cluster admin through an access entry; you deploy as ${deployer}, admin as the creator of a new cluster`,
  );
}
