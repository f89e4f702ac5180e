/**
 * `npm run preflight`: checks, before a deploy, what a first deploy needs, one line each: the tools
 * and their versions, the settings, AWS credentials and account, the region's zones, the state
 * bucket, and the CIDRs the settings open to the internet. It needs no AWS SDK (it asks the AWS CLI),
 * works offline (what needs AWS says "cannot check"), and never hangs: every command it runs is killed,
 * with its children, after --timeout seconds (default 10).
 *
 * Exit codes: 0 no problem found (warnings and "cannot check" lines do not fail it), 1 a problem,
 * 2 bad usage or bad settings (a settings file that cannot be read stops it; a bad value is listed
 * with the other checks), as every command refuses bad input (tools/command-line.ts).
 */

import { readSettings } from "../modules/settings/file";
import { type Config, ConfigError, type Env, loadConfig } from "../modules/settings/load";
import { VERSIONS } from "../modules/settings/versions";
import { REFUSED } from "./command-line";
import { runCommand } from "./run-command";

/** The oldest kubectl for a cluster of Kubernetes `version` (x.y): one minor below it, Kubernetes' version skew. */
function kubectlFor(version: string): string {
  const [major, minor] = version.split(".");
  return `${major}.${Number(minor) - 1}.0`;
}

/** Oldest versions this project works with; docs/versions.md explains each. */
const MINIMUM_VERSIONS = {
  /** package.json engines. */
  node: "22.12.0",
  /** S3 native state locking (`use_lockfile`) arrived in Terraform 1.10. */
  terraform: "1.10.0",
  /**
   * The providers authenticate with `aws eks get-token`, whose answer must be
   * client.authentication.k8s.io/v1beta1: AWS CLI 1.24.0 and 2.7.0 made it the default (aws/aws-cli#6940).
   */
  awsCliV1: "1.24.0",
  awsCliV2: "2.7.0",
  /**
   * kubectl within one minor version of the cluster (Kubernetes' version skew policy): the README's
   * checks use it, and with ROUTING_API=gateway-api `cdktf destroy` waits for the ingress's load
   * balancer with it. This is for the default cluster version; the check uses KUBERNETES_VERSION's
   * when the settings are valid.
   */
  kubectl: kubectlFor(VERSIONS.kubernetes),
} as const;

const INSTALL = {
  terraform: "https://developer.hashicorp.com/terraform/install",
  awsCli: "https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html",
  jq: "https://jqlang.org/download/",
  kubectl: "https://kubernetes.io/docs/tasks/tools/",
  node: "https://nodejs.org/en/download",
} as const;

type Status = "ok" | "warning" | "problem" | "cannot check";

interface CheckLine {
  readonly status: Status;
  readonly subject: string;
  readonly message: string;
}

type ProbeResult =
  | { readonly kind: "missing" }
  | { readonly kind: "timeout" }
  | { readonly kind: "exited"; readonly code: number; readonly stdout: string; readonly stderr: string };

/** Runs a command without a shell, stdin closed, and kills it (and what it started) after `timeoutMs`. */
async function probe(
  command: string,
  args: readonly string[],
  timeoutMs: number,
  env: Env = process.env,
): Promise<ProbeResult> {
  const result = await runCommand(command, args, {
    env: { ...env, CHECKPOINT_DISABLE: "1", AWS_PAGER: "" },
    timeoutMs,
  });
  if (result.kind === "not started") {
    return result.missing ? { kind: "missing" } : { kind: "exited", code: 126, stdout: "", stderr: "" };
  }
  return result.kind === "timeout" ? { kind: "timeout" } : result;
}

type Probe = (command: string, args: readonly string[]) => Promise<ProbeResult>;

/** -1, 0 or 1 as version `a` is older than, equal to or newer than `b` (numeric x.y.z). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] || 0) - (pb[i] || 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

const firstLine = (text: string) =>
  text
    .split("\n")
    .map((line) => line.trim())
    .find((line) => line !== "") ?? "";

const OFFLINE =
  /Could not connect to the endpoint URL|EndpointConnectionError|Connect timeout|Name or service not known|getaddrinfo|Temporary failure in name resolution|Network is unreachable/i;

/** Checks one tool's presence and minimum version from its version command's output. */
async function toolVersion(
  run: Probe,
  subject: string,
  command: string,
  args: readonly string[],
  parse: (out: string) => string | undefined,
  minimum: ((version: string) => string) | undefined,
  install: string,
  timeoutSeconds: number,
): Promise<CheckLine> {
  const result = await run(command, args);
  if (result.kind === "missing") {
    return {
      status: "problem",
      subject,
      message: `${command} not found on PATH: install it (${install})`,
    };
  }
  if (result.kind === "timeout") {
    return {
      status: "cannot check",
      subject,
      message: `\`${command} ${args.join(" ")}\` did not answer within ${timeoutSeconds} s`,
    };
  }
  const version = parse(`${result.stdout}\n${result.stderr}`);
  if (result.code !== 0 || !version) {
    return {
      status: "problem",
      subject,
      message: `\`${command} ${args.join(" ")}\` failed (exit ${result.code}): ${firstLine(result.stderr || result.stdout)}`,
    };
  }
  const oldest = minimum?.(version);
  if (oldest && compareVersions(version, oldest) < 0) {
    return {
      status: "problem",
      subject,
      message: `${command} ${version} is older than ${oldest}: upgrade it (${install})`,
    };
  }
  return { status: "ok", subject, message: `${command} ${version}` };
}

/** The check line for the CIDRs one setting opens (from the config, or the raw setting when the settings are invalid). */
function cidrLine(
  subject: string,
  setting: string,
  cidrs: readonly string[],
  whenEmpty: CheckLine,
  opens: string,
): CheckLine {
  if (cidrs.length === 0) return whenEmpty;
  if (cidrs.includes("0.0.0.0/0")) {
    return {
      status: "warning",
      subject,
      message: `OPEN TO THE WHOLE INTERNET: ${setting}=${cidrs.join(",")} opens ${opens} to 0.0.0.0/0; set it to your own IP, e.g. 203.0.113.7/32, in settings.env`,
    };
  }
  return { status: "ok", subject, message: `${opens} open to ${cidrs.join(", ")} (${setting})` };
}

const splitCidrs = (text: string | undefined) =>
  text === undefined || text.trim() === "" ? [] : text.split(",").map((cidr) => cidr.trim());

/** Every check, in the order a user fixes them. `run` runs commands (the tests inject stubs through PATH). */
async function preflight(env: Env, run: Probe, timeoutSeconds: number): Promise<CheckLine[]> {
  const lines: CheckLine[] = [];

  const node = process.versions.node;
  lines.push(
    compareVersions(node, MINIMUM_VERSIONS.node) < 0
      ? {
          status: "problem",
          subject: "node",
          message: `Node.js ${node} is older than ${MINIMUM_VERSIONS.node}: upgrade it (${INSTALL.node})`,
        }
      : { status: "ok", subject: "node", message: `Node.js ${node}` },
  );

  let config: Config | undefined;
  try {
    config = loadConfig(env);
    lines.push({
      status: "ok",
      subject: "settings",
      message: `valid: cluster ${config.cluster.name} in ${config.aws.region}`,
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    lines.push({
      status: "problem",
      subject: "settings",
      message: `fix these in settings.env (or the environment):\n${error.problems.map((p) => `      - ${p}`).join("\n")}`,
    });
  }

  lines.push(
    await toolVersion(
      run,
      "terraform",
      "terraform",
      ["version", "-json"],
      (out) => /"terraform_version"\s*:\s*"(\d+\.\d+\.\d+)/.exec(out)?.[1],
      () => MINIMUM_VERSIONS.terraform,
      INSTALL.terraform,
      timeoutSeconds,
    ),
  );
  const awsCli = await toolVersion(
    run,
    "aws cli",
    "aws",
    ["--version"],
    (out) => /aws-cli\/(\d+\.\d+\.\d+)/.exec(out)?.[1],
    (version) => (version.startsWith("1.") ? MINIMUM_VERSIONS.awsCliV1 : MINIMUM_VERSIONS.awsCliV2),
    INSTALL.awsCli,
    timeoutSeconds,
  );
  lines.push(awsCli);
  lines.push(
    await toolVersion(
      run,
      "jq",
      "jq",
      ["--version"],
      (out) => /jq-(\d+(\.\d+){0,2})/.exec(out)?.[1],
      undefined,
      INSTALL.jq,
      timeoutSeconds,
    ),
  );
  lines.push(
    await toolVersion(
      run,
      "kubectl",
      "kubectl",
      ["version", "--client", "--output=json"],
      (out) => /"gitVersion"\s*:\s*"v(\d+\.\d+\.\d+)/.exec(out)?.[1],
      () => (config ? kubectlFor(config.cluster.kubernetesVersion) : MINIMUM_VERSIONS.kubectl),
      INSTALL.kubectl,
      timeoutSeconds,
    ),
  );

  // With invalid settings the region is unknown: the AWS CLI then uses its own default region.
  const region = config?.aws.region;
  const regionArgs = region ? ["--region", region] : [];
  const bucket = config ? config.state.bucket : env.STATE_BUCKET;

  // Credentials: everything below that asks AWS depends on them.
  let credentialsOk = false;
  let noAws = "";
  if (awsCli.status !== "ok") {
    noAws = "needs a working AWS CLI (see the aws cli line)";
    lines.push({ status: "cannot check", subject: "credentials", message: noAws });
  } else {
    const identity = await run("aws", ["sts", "get-caller-identity", "--output", "json", ...regionArgs]);
    if (identity.kind === "timeout") {
      noAws = "needs AWS, which did not answer (offline?)";
      lines.push({
        status: "cannot check",
        subject: "credentials",
        message: `\`aws sts get-caller-identity\` did not answer within ${timeoutSeconds} s (offline?)`,
      });
    } else if (identity.kind === "exited" && identity.code === 0) {
      try {
        const { Account, Arn } = JSON.parse(identity.stdout) as { Account: string; Arn: string };
        credentialsOk = true;
        lines.push({ status: "ok", subject: "credentials", message: `account ${Account} as ${Arn}` });
      } catch {
        noAws = "needs valid AWS credentials (see the credentials line)";
        lines.push({
          status: "problem",
          subject: "credentials",
          message: `unreadable answer from aws sts get-caller-identity: ${firstLine(identity.stdout)}`,
        });
      }
    } else if (identity.kind === "exited" && OFFLINE.test(identity.stderr)) {
      noAws = "needs AWS, which is not reachable (offline?)";
      lines.push({
        status: "cannot check",
        subject: "credentials",
        message: `cannot reach AWS (offline?): ${firstLine(identity.stderr)}`,
      });
    } else {
      noAws = "needs valid AWS credentials (see the credentials line)";
      const why =
        identity.kind === "exited" ? firstLine(identity.stderr || identity.stdout).replace(/\.$/, "") : "";
      lines.push({
        status: "problem",
        subject: "credentials",
        message: `no valid AWS credentials: ${why}; sign in (aws configure, aws sso login, or AWS_PROFILE) and run this again`,
      });
    }
  }

  if (!region) {
    lines.push({
      status: "cannot check",
      subject: "region",
      message: "the settings are invalid (see the settings line)",
    });
  } else if (!credentialsOk) {
    lines.push({
      status: "cannot check",
      subject: "region",
      message: `${region}: listing its availability zones ${noAws}`,
    });
  } else {
    const zones = config?.network.availabilityZones ?? [];
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
      lines.push(
        missing.length > 0
          ? {
              status: "problem",
              subject: "region",
              message: `${region}: ${missing.join(", ")} not available to this account; set AVAILABILITY_ZONES to two of ${available.join(", ")}`,
            }
          : {
              status: "ok",
              subject: "region",
              message: `${region}${zones.length ? `, zones ${zones.join(", ")} available` : ""}`,
            },
      );
    } else if (result.kind === "exited" && !OFFLINE.test(result.stderr)) {
      lines.push({
        status: "problem",
        subject: "region",
        message: `${region} is not usable by this account: ${firstLine(result.stderr)}`,
      });
    } else {
      lines.push({ status: "cannot check", subject: "region", message: `${region}: AWS did not answer` });
    }
  }

  if (!bucket) {
    lines.push({
      status: "warning",
      subject: "state bucket",
      message:
        "STATE_BUCKET unset: every stack keeps its state in local files here; the bootstrap step creates a bucket: set STATE_BUCKET in settings.env first",
    });
  } else if (!credentialsOk) {
    lines.push({ status: "cannot check", subject: "state bucket", message: `s3://${bucket}: ${noAws}` });
  } else {
    const head = await run("aws", ["s3api", "head-bucket", "--bucket", bucket, ...regionArgs]);
    const said = head.kind === "exited" ? `${head.stderr}\n${head.stdout}` : "";
    if (head.kind === "exited" && head.code === 0) {
      lines.push({
        status: "ok",
        subject: "state bucket",
        message: `s3://${bucket} exists and is reachable`,
      });
    } else if (/\b404\b|Not Found|NoSuchBucket/i.test(said)) {
      lines.push({
        status: "ok",
        subject: "state bucket",
        message: `s3://${bucket} does not exist yet: will be created by the bootstrap step`,
      });
    } else if (/\b403\b|Forbidden|AccessDenied/i.test(said)) {
      lines.push({
        status: "problem",
        subject: "state bucket",
        message: `s3://${bucket} exists but this identity may not use it (bucket names are global: another account may own it); choose another STATE_BUCKET`,
      });
    } else if (/\b301\b|\b400\b|Moved Permanently|Bad Request/i.test(said)) {
      lines.push({
        status: "problem",
        subject: "state bucket",
        message: `s3://${bucket} is not in ${region ?? "the AWS CLI's default region"}: set AWS_REGION to the bucket's region or choose another STATE_BUCKET`,
      });
    } else {
      lines.push({
        status: "cannot check",
        subject: "state bucket",
        message: `s3://${bucket}: ${head.kind === "timeout" ? `no answer within ${timeoutSeconds} s` : firstLine(said)}`,
      });
    }
  }

  lines.push(
    cidrLine(
      "api endpoint",
      "ENDPOINT_PUBLIC_CIDRS",
      config?.cluster.endpointPublicAccessCidrs ?? splitCidrs(env.ENDPOINT_PUBLIC_CIDRS),
      {
        status: "warning",
        subject: "api endpoint",
        message:
          "private only (ENDPOINT_PUBLIC_CIDRS unset): cdktf and kubectl reach the cluster only from inside the VPC; to deploy from this machine set ENDPOINT_PUBLIC_CIDRS=<your IP>/32 in settings.env",
      },
      "the Kubernetes API endpoint",
    ),
  );
  lines.push(
    cidrLine(
      "ingress",
      "INGRESS_SOURCE_CIDRS",
      config?.istio.ingressSourceCidrs ?? splitCidrs(env.INGRESS_SOURCE_CIDRS),
      {
        status: "ok",
        subject: "ingress",
        message:
          "internal load balancer, reachable from the VPC only (INGRESS_SOURCE_CIDRS unset); to test from this machine set INGRESS_SOURCE_CIDRS=<your IP>/32 in settings.env",
      },
      "the ingress load balancer",
    ),
  );
  return lines;
}

/** The report as printed: one line per check, then a verdict. */
function formatReport(lines: readonly CheckLine[]): string {
  const rows = lines.map((line) => `${line.status.padEnd(12)}  ${line.subject.padEnd(12)}  ${line.message}`);
  const count = (status: Status) => lines.filter((line) => line.status === status).length;
  const problems = count("problem");
  const tally = [
    `${problems} problem${problems === 1 ? "" : "s"}`,
    `${count("warning")} warning${count("warning") === 1 ? "" : "s"}`,
    `${count("cannot check")} not checked`,
  ].join(", ");
  const verdict =
    problems > 0
      ? `preflight: ${tally}: fix the problems, then run npm run preflight again`
      : `preflight: ${tally}: ready to deploy`;
  return `${rows.join("\n")}\n\n${verdict}\n`;
}

function parseTimeout(argv: readonly string[]): number | string {
  if (argv.length === 0) return 10;
  const match = argv.length === 2 && argv[0] === "--timeout" ? /^\d+(\.\d+)?$/.exec(argv[1]) : null;
  if (!match || Number(argv[1]) <= 0) {
    return `preflight: usage: npm run preflight [-- --timeout <seconds>] (got: ${argv.join(" ")})`;
  }
  return Number(argv[1]);
}

/** Runs every check with real commands from `env`'s PATH; returns the report and the exit code. */
export async function runPreflight(
  env: Env,
  timeoutSeconds: number,
): Promise<{ report: string; code: number }> {
  const lines = await preflight(
    env,
    (command, args) => probe(command, args, timeoutSeconds * 1000, env),
    timeoutSeconds,
  );
  const problem = (subject?: string) =>
    lines.some((line) => line.status === "problem" && (subject === undefined || line.subject === subject));
  return { report: formatReport(lines), code: problem("settings") ? REFUSED : problem() ? 1 : 0 };
}

async function main(argv: readonly string[]): Promise<number> {
  const timeout = parseTimeout(argv);
  if (typeof timeout === "string") {
    process.stderr.write(`${timeout}\n`);
    return 2;
  }
  let settings: Env;
  try {
    // The settings file's settings under the environment's, as every command of the project reads them.
    settings = readSettings();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`preflight: ${error.message}\n`);
    return 2;
  }
  const { report, code } = await runPreflight(settings, timeout);
  process.stdout.write(report);
  return code;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`preflight: ${error instanceof Error ? error.stack : error}\n`);
      process.exit(1);
    },
  );
}
