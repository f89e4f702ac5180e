/**
 * Preflight's AWS checks, through the AWS CLI: the credentials, the region's zones and the state bucket.
 * Each says "cannot check" rather than guess when AWS cannot be asked.
 */
import { type AdminTarget, adminRoleLine } from "./preflight-admin";
import { type CheckLine, firstLine, OFFLINE, type Probe } from "./preflight-probe";

/** What the AWS checks look at, from the settings (the region is unknown when they are invalid). */
export interface AwsTarget {
  readonly region: string | undefined;
  readonly zones: readonly string[];
  readonly bucket: string | undefined;
  /** ADMIN_ROLE_ARN and the role created without it; undefined when the settings are invalid. */
  readonly admin: AdminTarget | undefined;
}

/**
 * The credentials line and the caller's ARN; `noAws` says why the checks after it cannot ask AWS,
 * empty when they can.
 */
async function credentials(
  run: Probe,
  awsCli: CheckLine,
  regionArgs: readonly string[],
  timeoutSeconds: number,
): Promise<{ line: CheckLine; noAws: string; caller?: string }> {
  if (awsCli.status !== "ok") {
    const noAws = "needs a working AWS CLI (see the aws cli line)";
    return { line: { status: "cannot check", subject: "credentials", message: noAws }, noAws };
  }
  const identity = await run("aws", ["sts", "get-caller-identity", "--output", "json", ...regionArgs]);
  if (identity.kind === "timeout") {
    return {
      line: {
        status: "cannot check",
        subject: "credentials",
        message: `\`aws sts get-caller-identity\` did not answer within ${timeoutSeconds} s (offline?)`,
      },
      noAws: "needs AWS, which did not answer (offline?)",
    };
  }
  if (identity.kind === "exited" && identity.code === 0) {
    try {
      const { Account, Arn } = JSON.parse(identity.stdout) as { Account: string; Arn: string };
      return {
        line: { status: "ok", subject: "credentials", message: `account ${Account} as ${Arn}` },
        noAws: "",
        caller: Arn,
      };
    } catch {
      return {
        line: {
          status: "problem",
          subject: "credentials",
          message: `unreadable answer from aws sts get-caller-identity: ${firstLine(identity.stdout)}`,
        },
        noAws: "needs valid AWS credentials (see the credentials line)",
      };
    }
  }
  if (identity.kind === "exited" && OFFLINE.test(identity.stderr)) {
    return {
      line: {
        status: "cannot check",
        subject: "credentials",
        message: `cannot reach AWS (offline?): ${firstLine(identity.stderr)}`,
      },
      noAws: "needs AWS, which is not reachable (offline?)",
    };
  }
  const why =
    identity.kind === "exited" ? firstLine(identity.stderr || identity.stdout).replace(/\.$/, "") : "";
  return {
    line: {
      status: "problem",
      subject: "credentials",
      message: `no valid AWS credentials: ${why}; sign in (aws configure, aws sso login, or AWS_PROFILE) and run this again`,
    },
    noAws: "needs valid AWS credentials (see the credentials line)",
  };
}

async function regionLine(run: Probe, target: AwsTarget, noAws: string): Promise<CheckLine> {
  const { region, zones } = target;
  if (!region) {
    return {
      status: "cannot check",
      subject: "region",
      message: "the settings are invalid (see the settings line)",
    };
  }
  if (noAws) {
    return {
      status: "cannot check",
      subject: "region",
      message: `${region}: listing its availability zones ${noAws}`,
    };
  }
  const result = await run("aws", [
    "ec2",
    "describe-availability-zones",
    "--region",
    region,
    "--query",
    "AvailabilityZones[?State=='available'].ZoneName",
    "--output",
    "text",
  ]);
  if (result.kind === "exited" && result.code === 0) {
    const available = result.stdout.split(/\s+/).filter(Boolean);
    const missing = zones.filter((zone) => !available.includes(zone));
    return missing.length > 0
      ? {
          status: "problem",
          subject: "region",
          message: `${region}: ${missing.join(", ")} not available to this account; set AVAILABILITY_ZONES to two of ${available.join(", ")}`,
        }
      : {
          status: "ok",
          subject: "region",
          message: `${region}${zones.length ? `, zones ${zones.join(", ")} available` : ""}`,
        };
  }
  if (result.kind === "exited" && !OFFLINE.test(result.stderr)) {
    return {
      status: "problem",
      subject: "region",
      message: `${region} is not usable by this account: ${firstLine(result.stderr)}`,
    };
  }
  return { status: "cannot check", subject: "region", message: `${region}: AWS did not answer` };
}

async function stateBucketLine(
  run: Probe,
  target: AwsTarget,
  regionArgs: readonly string[],
  noAws: string,
  timeoutSeconds: number,
): Promise<CheckLine> {
  const { bucket, region } = target;
  if (!bucket) {
    return {
      status: "warning",
      subject: "state bucket",
      message:
        "STATE_BUCKET unset: every stack keeps its state in local files here; the bootstrap step creates a bucket: set STATE_BUCKET in settings.env first",
    };
  }
  if (noAws) return { status: "cannot check", subject: "state bucket", message: `s3://${bucket}: ${noAws}` };
  const head = await run("aws", ["s3api", "head-bucket", "--bucket", bucket, ...regionArgs]);
  const said = head.kind === "exited" ? `${head.stderr}\n${head.stdout}` : "";
  if (head.kind === "exited" && head.code === 0) {
    return { status: "ok", subject: "state bucket", message: `s3://${bucket} exists and is reachable` };
  }
  if (/\b404\b|Not Found|NoSuchBucket/i.test(said)) {
    return {
      status: "ok",
      subject: "state bucket",
      message: `s3://${bucket} does not exist yet: will be created by the bootstrap step`,
    };
  }
  if (/\b403\b|Forbidden|AccessDenied/i.test(said)) {
    return {
      status: "problem",
      subject: "state bucket",
      message: `s3://${bucket} exists but this identity may not use it (bucket names are global: another account may own it); choose another STATE_BUCKET`,
    };
  }
  if (/\b301\b|\b400\b|Moved Permanently|Bad Request/i.test(said)) {
    return {
      status: "problem",
      subject: "state bucket",
      message: `s3://${bucket} is not in ${region ?? "the AWS CLI's default region"}: set AWS_REGION to the bucket's region or choose another STATE_BUCKET`,
    };
  }
  return {
    status: "cannot check",
    subject: "state bucket",
    message: `s3://${bucket}: ${head.kind === "timeout" ? `no answer within ${timeoutSeconds} s` : firstLine(said)}`,
  };
}

/** The credentials, admin role, region and state bucket lines, in that order; each after the credentials needs them. */
export async function awsLines(
  run: Probe,
  awsCli: CheckLine,
  target: AwsTarget,
  timeoutSeconds: number,
): Promise<CheckLine[]> {
  // With invalid settings the region is unknown: the AWS CLI then uses its own default region.
  const regionArgs = target.region ? ["--region", target.region] : [];
  const { line, noAws, caller } = await credentials(run, awsCli, regionArgs, timeoutSeconds);
  return [
    line,
    await adminRoleLine(run, caller, noAws, target.admin, timeoutSeconds),
    await regionLine(run, target, noAws),
    await stateBucketLine(run, target, regionArgs, noAws, timeoutSeconds),
  ];
}
