/**
 * Preflight's tool checks: Node.js against package.json engines, terraform (and its CLI configuration),
 * the AWS CLI, jq and kubectl, each on PATH and at least its minimum.
 */
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import type { Env } from "../modules/settings/load";
import { projectRoot } from "../modules/settings/project";
import { VERSIONS } from "../modules/settings/versions";
import { type CheckLine, compareVersions, firstLine, type Probe } from "./preflight-probe";

/** The oldest kubectl for a cluster of Kubernetes `version` (x.y): one minor below it, Kubernetes' version skew. */
function kubectlFor(version: string): string {
  const [major, minor] = version.split(".");
  return `${major}.${Number(minor) - 1}.0`;
}

/**
 * The Node.js versions this project runs on, declared once: package.json `engines`, which npm checks
 * at install. Its floor is the oldest Node that every dependency runs on (undici 8: 22.19).
 */
export const NODE_ENGINES: string = JSON.parse(
  readFileSync(path.join(projectRoot(__dirname), "package.json"), "utf8"),
).engines.node;

/** `x`, `x.y` or `x.y.z` as three numbers, missing parts 0. */
function parts(version: string): [number, number, number] {
  const [major = 0, minor = 0, patch = 0] = version.split(".").map(Number);
  return [major, minor, patch];
}

/** The versions one comparator of an npm range accepts, as a lower bound and an exclusive upper bound. */
function bounds(
  comparator: string,
  range: string,
): { from?: string; fromExclusive?: boolean; below?: string } {
  const match = /^(>=|<=|>|<|\^|~|=)?v?(\d+(?:\.\d+){0,2})$/.exec(comparator);
  if (!match) throw new Error(`cannot read the version range ${JSON.stringify(range)}`);
  const [, operator = "", version] = match;
  const [major, minor, patch] = parts(version);
  const given = version.split(".").length;
  const full = `${major}.${minor}.${patch}`;
  switch (operator) {
    case ">=":
      return { from: full };
    case ">":
      return { from: full, fromExclusive: true };
    case "<":
      return { below: full };
    case "<=":
      return { below: `${major}.${minor}.${patch + 1}` };
    case "^":
      return { from: full, below: major > 0 ? `${major + 1}.0.0` : `0.${minor + 1}.0` };
    case "~":
      return { from: full, below: given === 1 ? `${major + 1}.0.0` : `${major}.${minor + 1}.0` };
    default:
      // A partial version is every release under it: `22` is 22.x.x, `22.19` is 22.19.x.
      if (given === 1) return { from: full, below: `${major + 1}.0.0` };
      if (given === 2) return { from: full, below: `${major}.${minor + 1}.0` };
      return { from: full, below: `${major}.${minor}.${patch + 1}` };
  }
}

/** Each `||` alternative of an npm range, as its comparators' bounds. */
function alternatives(range: string) {
  return range.split("||").map((alternative) =>
    alternative
      .trim()
      .replace(/(>=|<=|>|<|\^|~|=)\s+/g, "$1")
      .split(/\s+/)
      .map((comparator) => bounds(comparator, range)),
  );
}

/**
 * True when `version` (x.y.z) is in `range`: npm's `||` of space-separated comparators (`>=`, `>`,
 * `<=`, `<`, `^`, `~`, exact or partial versions), as package.json `engines` write them. Throws on
 * anything else rather than guess.
 */
export function satisfies(version: string, range: string): boolean {
  return alternatives(range).some((comparators) =>
    comparators.every(({ from, fromExclusive, below }) => {
      if (from !== undefined) {
        const order = compareVersions(version, from);
        if (order < 0 || (fromExclusive && order === 0)) return false;
      }
      return below === undefined || compareVersions(version, below) < 0;
    }),
  );
}

/** The oldest version `range` accepts: the lowest lower bound of its alternatives. */
export function floorOf(range: string): string {
  return alternatives(range)
    .map((comparators) => comparators.find(({ from }) => from !== undefined)?.from ?? "0.0.0")
    .reduce((lowest, from) => (compareVersions(from, lowest) < 0 ? from : lowest));
}

/** Oldest versions of the other tools this project works with; docs/versions.md explains each. */
const MINIMUM_VERSIONS = {
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

/**
 * The running Node.js against package.json `engines`: older than the floor of its line (or of all
 * lines) is a problem, as the traffic tool would fail after a deploy; another line is a warning.
 */
export function nodeLine(node: string = process.versions.node): CheckLine {
  if (satisfies(node, NODE_ENGINES)) return { status: "ok", subject: "node", message: `Node.js ${node}` };
  const lines = NODE_ENGINES.split("||").map((alternative) => floorOf(alternative));
  const ownLine = lines.find((floor) => parts(floor)[0] === parts(node)[0]);
  const oldest = ownLine ?? floorOf(NODE_ENGINES);
  if (compareVersions(node, oldest) < 0) {
    return {
      status: "problem",
      subject: "node",
      message: `Node.js ${node} is older than ${oldest}, the oldest this project runs on (package.json engines: ${NODE_ENGINES}): upgrade it (${INSTALL.node})`,
    };
  }
  const majors = lines.map((floor) => parts(floor)[0]);
  return {
    status: "warning",
    subject: "node",
    message: `Node.js ${node} is not a line this project is tested on (package.json engines: ${NODE_ENGINES}): use Node.js ${majors.join(" or ")}`,
  };
}

/**
 * TF_CLI_CONFIG_FILE, when set, must name a file (it often outlives an uninstall): else every
 * terraform run prints a warning, which cdktf shows as red `[ERROR]` blocks in every synth and deploy.
 */
function terraformConfigLine(env: Env, cwd: string): CheckLine | undefined {
  const file = env.TF_CLI_CONFIG_FILE;
  if (file === undefined || file === "") return undefined;
  let isFile = false;
  try {
    isFile = statSync(path.resolve(cwd, file)).isFile();
  } catch {
    // Missing or unreadable: as Terraform sees it, no file.
  }
  return isFile
    ? { status: "ok", subject: "tf config", message: `TF_CLI_CONFIG_FILE=${file}` }
    : {
        status: "warning",
        subject: "tf config",
        message: `TF_CLI_CONFIG_FILE=${file} names no file: every terraform run, and so every synth and deploy, prints "[ERROR] ... Unable to open CLI configuration file" (harmless); unset TF_CLI_CONFIG_FILE, or point it at your Terraform CLI configuration`,
      };
}

/**
 * terraform (and its CLI configuration, when TF_CLI_CONFIG_FILE names one), the AWS CLI, jq and
 * kubectl, in that order; kubectl against `kubernetesVersion` (the default's when the settings are
 * invalid). `awsCli` is the AWS CLI's line, which the AWS checks need.
 */
export async function toolLines(
  run: Probe,
  env: Env,
  cwd: string,
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
  const terraformConfig = terraformConfigLine(env, cwd);
  return {
    lines: [terraform, ...(terraformConfig ? [terraformConfig] : []), awsCli, jq, kubectl],
    awsCli,
  };
}
