/** Preflight's tool checks: Node.js, terraform, the AWS CLI, jq and kubectl, each on PATH and at least its minimum. */
import { VERSIONS } from "../modules/settings/versions";
import { type CheckLine, compareVersions, firstLine, type Probe } from "./preflight-probe";

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

/** The running Node.js against the minimum. */
export function nodeLine(node: string = process.versions.node): CheckLine {
  return compareVersions(node, MINIMUM_VERSIONS.node) < 0
    ? {
        status: "problem",
        subject: "node",
        message: `Node.js ${node} is older than ${MINIMUM_VERSIONS.node}: upgrade it (${INSTALL.node})`,
      }
    : { status: "ok", subject: "node", message: `Node.js ${node}` };
}

/**
 * terraform, the AWS CLI, jq and kubectl, in that order; kubectl against `kubernetesVersion` (the
 * default's when the settings are invalid). `awsCli` is the AWS CLI's line, which the AWS checks need.
 */
export async function toolLines(
  run: Probe,
  kubernetesVersion: string | undefined,
  timeoutSeconds: number,
): Promise<{ lines: CheckLine[]; awsCli: CheckLine }> {
  const terraform = await toolVersion(
    run,
    "terraform",
    "terraform",
    ["version", "-json"],
    (out) => /"terraform_version"\s*:\s*"(\d+\.\d+\.\d+)/.exec(out)?.[1],
    () => MINIMUM_VERSIONS.terraform,
    INSTALL.terraform,
    timeoutSeconds,
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
  const jq = await toolVersion(
    run,
    "jq",
    "jq",
    ["--version"],
    (out) => /jq-(\d+(\.\d+){0,2})/.exec(out)?.[1],
    undefined,
    INSTALL.jq,
    timeoutSeconds,
  );
  const kubectl = await toolVersion(
    run,
    "kubectl",
    "kubectl",
    ["version", "--client", "--output=json"],
    (out) => /"gitVersion"\s*:\s*"v(\d+\.\d+\.\d+)/.exec(out)?.[1],
    () => (kubernetesVersion ? kubectlFor(kubernetesVersion) : MINIMUM_VERSIONS.kubectl),
    INSTALL.kubectl,
    timeoutSeconds,
  );
  return { lines: [terraform, awsCli, jq, kubectl], awsCli };
}
