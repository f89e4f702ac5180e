import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { preflightCommand, runPreflight } from "../../tools/preflight";
import { compareVersions } from "../../tools/preflight-probe";

const root = path.resolve(__dirname, "..", "..");

/** True while `pid` runs; a killed process that nobody reaped yet (state Z) counts as gone. */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}
let work: string;
let bin: string;
beforeEach(() => {
  work = mkdtempSync(path.join(tmpdir(), "preflight-test-"));
  bin = path.join(work, "bin");
  mkdirSync(bin);
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

/** Puts an executable shell script named `name` on the fake PATH. */
function stub(name: string, body: string) {
  const file = path.join(bin, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
}

const terraformStub = (version = "1.11.4") =>
  stub("terraform", `echo '{"terraform_version":"${version}","platform":"linux_amd64"}'`);
const jqStub = () => stub("jq", "echo jq-1.7.1");
const kubectlStub = (version = "v1.35.1") =>
  stub(
    "kubectl",
    `echo '{"clientVersion":{"major":"1","gitVersion":"${version}"},"kustomizeVersion":"v5.7.1"}'`,
  );
/** An AWS CLI v2 whose `sts get-caller-identity` does what `sts` says, and `iam get-role` what `iam` says. */
const awsStub = (sts: string, s3api = "exit 0", iam = "exit 2") =>
  stub(
    "aws",
    `case "$1" in
  --version) echo "aws-cli/2.17.0 Python/3.12.6 Linux/6.1 exe/x86_64" ;;
  sts) ${sts} ;;
  ec2) printf 'us-east-1a\\tus-east-1b\\tus-east-1c\\n' ;;
  s3api) ${s3api} ;;
  iam) ${iam} ;;
  *) exit 2 ;;
esac`,
  );
const identity = `echo '{"UserId":"AIDAEXAMPLE","Account":"123456789012","Arn":"arn:aws:iam::123456789012:user/dev"}'`;

/** What a run prints, with a finder for one check's line. */
function withLines(stdout: string) {
  const line = (subject: string) =>
    stdout.split("\n").find((l) => new RegExp(`^\\S+( check)?\\s+${subject}\\s`).test(l)) ?? "";
  return { stdout, line };
}

/** The preflight checks, run in this process, with only the fake PATH and the given settings. */
async function preflight(settings: Record<string, string>, timeoutSeconds = 10) {
  const started = Date.now();
  const { report, code } = await runPreflight({ PATH: bin, HOME: work, ...settings }, timeoutSeconds, work);
  return { ...withLines(report), status: code, stderr: "", seconds: (Date.now() - started) / 1000 };
}

/** `npm run preflight -- ...args`'s command, run in this process, with only the fake PATH and the given settings. */
async function preflightCommandRun(settings: Record<string, string>, args: readonly string[] = []) {
  let stdout = "";
  let stderr = "";
  const status = await preflightCommand(args, {
    env: { PATH: bin, HOME: work, ...settings },
    cwd: work,
    out: (text) => {
      stdout += text;
    },
    err: (text) => {
      stderr += text;
    },
  });
  return { ...withLines(stdout), status, stderr };
}

/**
 * `npm run preflight`'s program itself, in a child process with only the fake PATH: what only a
 * process shows (its output on stdout, its exit code), once; the other cases call its command.
 */
function preflightCli(settings: Record<string, string>, args: readonly string[] = []) {
  const result = spawnSync(process.execPath, ["tools/app.js", "tools/preflight.ts", ...args], {
    cwd: root,
    encoding: "utf8",
    env: { PATH: bin, HOME: work, TMPDIR: tmpdir(), ...settings },
    timeout: 60_000,
  });
  return { ...withLines(result.stdout), status: result.status, stderr: result.stderr };
}

const goodSettings = {
  STATE_BUCKET: "shopfront-mesh-tfstate-123456789012-us-east-1",
  ENDPOINT_PUBLIC_CIDRS: "203.0.113.7/32",
};

describe("npm run preflight", () => {
  it("passes a good setup, one ok line per check", async () => {
    terraformStub();
    jqStub();
    kubectlStub();
    awsStub(identity);
    const run = preflightCli(goodSettings);
    expect(run.stderr).toBe("");
    expect(run.line("settings")).toMatch(/^ok\s+settings\s+valid: cluster shopfront-eks in us-east-1$/);
    expect(run.line("terraform")).toMatch(/^ok\s+terraform\s+terraform 1\.11\.4$/);
    expect(run.line("aws cli")).toMatch(/^ok\s+aws cli\s+aws 2\.17\.0$/);
    expect(run.line("jq")).toMatch(/^ok\s+jq\s+jq 1\.7\.1$/);
    expect(run.line("kubectl")).toMatch(/^ok\s+kubectl\s+kubectl 1\.35\.1$/);
    expect(run.line("credentials")).toMatch(
      /^ok\s+credentials\s+account 123456789012 as arn:aws:iam::123456789012:user\/dev$/,
    );
    expect(run.line("region")).toMatch(/^ok\s+region\s+us-east-1, zones us-east-1a, us-east-1b available$/);
    expect(run.line("state bucket")).toMatch(
      /^ok\s+state bucket\s+s3:\/\/shopfront-mesh-tfstate-123456789012-us-east-1 exists and is reachable$/,
    );
    expect(run.line("api endpoint")).toMatch(
      /^ok\s+api endpoint\s+the Kubernetes API endpoint open to 203\.0\.113\.7\/32/,
    );
    expect(run.stdout).toMatch(/preflight: 0 problems, 0 warnings, 0 not checked: ready to deploy\n$/);
    expect(run.status).toBe(0);
  });

  it("says a missing bucket will be created by the bootstrap step, and flags 0.0.0.0/0 loudly", async () => {
    terraformStub();
    jqStub();
    kubectlStub();
    awsStub(
      identity,
      `echo "An error occurred (404) when calling the HeadBucket operation: Not Found" >&2; exit 254`,
    );
    const run = await preflight({ ...goodSettings, ENDPOINT_PUBLIC_CIDRS: "0.0.0.0/0" });
    expect(run.line("state bucket")).toMatch(
      /^ok\s+state bucket\s+s3:\/\/\S+ does not exist yet: will be created by the bootstrap step$/,
    );
    expect(run.line("api endpoint")).toMatch(
      /^warning\s+api endpoint\s+OPEN TO THE WHOLE INTERNET: ENDPOINT_PUBLIC_CIDRS=0\.0\.0\.0\/0 opens the Kubernetes API endpoint/,
    );
    // A warning is a choice the user can make: it does not fail the run.
    expect(run.status).toBe(0);
  });

  it("without the AWS CLI: names the problem with its install link and cannot check what needs AWS", async () => {
    terraformStub();
    jqStub();
    kubectlStub();
    const run = await preflight(goodSettings);
    expect(run.line("aws cli")).toMatch(
      /^problem\s+aws cli\s+aws not found on PATH: install it \(https:\/\/docs\.aws\.amazon\.com\/cli\/\S+\)$/,
    );
    expect(run.line("credentials")).toMatch(/^cannot check\s+credentials\s+needs a working AWS CLI/);
    expect(run.line("region")).toMatch(/^cannot check\s+region\s+us-east-1: /);
    expect(run.line("state bucket")).toMatch(
      /^cannot check\s+state bucket\s+s3:\/\/\S+: needs a working AWS CLI/,
    );
    expect(run.status).toBe(1);
  });

  it("with the AWS CLI but no credentials: says so, with what to do", async () => {
    terraformStub();
    jqStub();
    kubectlStub();
    awsStub(
      `echo 'Unable to locate credentials. You can configure credentials by running "aws configure".' >&2; exit 253`,
    );
    const run = await preflight(goodSettings);
    expect(run.line("credentials")).toMatch(
      /^problem\s+credentials\s+no valid AWS credentials: Unable to locate credentials\. .*; sign in \(aws configure, aws sso login, or AWS_PROFILE\)/,
    );
    expect(run.status).toBe(1);
  });

  it("offline: cannot check what needs AWS, and that alone does not fail", async () => {
    terraformStub();
    jqStub();
    kubectlStub();
    awsStub(
      `echo 'Could not connect to the endpoint URL: "https://sts.us-east-1.amazonaws.com/"' >&2; exit 255`,
    );
    const run = await preflight(goodSettings);
    expect(run.line("credentials")).toMatch(/^cannot check\s+credentials\s+cannot reach AWS \(offline\?\)/);
    expect(run.status).toBe(0);
  });

  it("kills an AWS CLI that hangs, with what it started, after the timeout", async () => {
    terraformStub();
    jqStub();
    kubectlStub();
    const pids = path.join(work, "pids");
    // The stub starts a child that holds stdout open, as a wrapper script would.
    awsStub(`echo $$ > ${pids}; /bin/sleep 60 & echo $! >> ${pids}; wait`);
    const run = await preflight(goodSettings, 1);
    expect(run.line("credentials")).toMatch(
      /^cannot check\s+credentials\s+`aws sts get-caller-identity` did not answer within 1 s \(offline\?\)$/,
    );
    expect(run.seconds).toBeLessThan(15);
    expect(run.status).toBe(0);
    const started = readFileSync(pids, "utf8").trim().split("\n").map(Number);
    expect(started).toHaveLength(2);
    // SIGKILL is delivered asynchronously: give the kernel a moment, never the 60 s the stub sleeps.
    const deadline = Date.now() + 3000;
    while (started.some(isRunning) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(started.filter(isRunning)).toEqual([]);
  });

  it("names a bad setting and an old terraform, and exits 2, as every command does on a bad setting", async () => {
    terraformStub("1.5.7");
    jqStub();
    kubectlStub();
    awsStub(identity);
    const run = await preflightCommandRun({ ...goodSettings, AWS_REGION: "moon-base-9!" });
    expect(run.line("settings")).toMatch(
      /^problem\s+settings\s+fix these in settings\.env \(or the environment\):$/,
    );
    expect(run.stdout).toMatch(/\n\s+- AWS_REGION="moon-base-9!" is not /);
    expect(run.line("region")).toMatch(
      /^cannot check\s+region\s+the settings are invalid \(see the settings line\)$/,
    );
    expect(run.line("terraform")).toMatch(
      /^problem\s+terraform\s+terraform 1\.5\.7 is older than 1\.10\.0: upgrade it/,
    );
    expect(run.status).toBe(2);
  });

  it("wants kubectl within one minor version of the cluster, and names it when missing", async () => {
    terraformStub();
    jqStub();
    awsStub(identity);
    const missing = await preflight(goodSettings);
    expect(missing.line("kubectl")).toMatch(
      /^problem\s+kubectl\s+kubectl not found on PATH: install it \(https:\/\/kubernetes\.io\/docs\/tasks\/tools\/\)$/,
    );
    expect(missing.status).toBe(1);
    kubectlStub("v1.33.2");
    const old = await preflight(goodSettings);
    expect(old.line("kubectl")).toMatch(
      /^problem\s+kubectl\s+kubectl 1\.33\.2 is older than 1\.34\.0: upgrade it/,
    );
    kubectlStub("v1.34.0-eks-1a2b3c");
    const skewed = await preflight(goodSettings);
    expect(skewed.line("kubectl")).toMatch(/^ok\s+kubectl\s+kubectl 1\.34\.0$/);
    expect(skewed.status).toBe(0);
  });

  it("wants kubectl within one minor version of the configured KUBERNETES_VERSION, of the default when the settings are invalid", async () => {
    terraformStub();
    jqStub();
    awsStub(identity);
    kubectlStub("v1.32.5");
    const configured = await preflight({ ...goodSettings, KUBERNETES_VERSION: "1.33" });
    expect(configured.line("kubectl")).toMatch(/^ok\s+kubectl\s+kubectl 1\.32\.5$/);
    kubectlStub("v1.31.9");
    const old = await preflight({ ...goodSettings, KUBERNETES_VERSION: "1.33" });
    expect(old.line("kubectl")).toMatch(
      /^problem\s+kubectl\s+kubectl 1\.31\.9 is older than 1\.32\.0: upgrade it/,
    );
    kubectlStub("v1.33.2");
    const invalid = await preflight({
      ...goodSettings,
      KUBERNETES_VERSION: "1.33",
      AWS_REGION: "moon-base-9!",
    });
    expect(invalid.line("kubectl")).toMatch(
      /^problem\s+kubectl\s+kubectl 1\.33\.2 is older than 1\.34\.0: upgrade it/,
    );
  });

  it("reads the settings file under the environment, as deploy does", async () => {
    terraformStub();
    jqStub();
    kubectlStub("v1.32.5");
    awsStub(identity);
    const file = path.join(work, "cluster.settings.env");
    writeFileSync(file, "CLUSTER_NAME=from-file\nKUBERNETES_VERSION=1.33\nENDPOINT_PUBLIC_CIDRS=0.0.0.0/0\n");
    const run = await preflightCommandRun({ ...goodSettings, SETTINGS_FILE: file });
    expect(run.stderr).toBe("");
    expect(run.line("settings")).toMatch(/^ok\s+settings\s+valid: cluster from-file in us-east-1$/);
    expect(run.line("kubectl")).toMatch(/^ok\s+kubectl\s+kubectl 1\.32\.5$/);
    // The environment's ENDPOINT_PUBLIC_CIDRS wins over the file's.
    expect(run.line("api endpoint")).toMatch(
      /^ok\s+api endpoint\s+the Kubernetes API endpoint open to 203\.0\.113\.7\/32/,
    );
    expect(run.status).toBe(0);
  });

  it("names a TF_CLI_CONFIG_FILE that names no file, which makes every synth print [ERROR] blocks, with the fix", async () => {
    terraformStub();
    jqStub();
    kubectlStub();
    awsStub(identity);
    const gone = path.join(work, ".terraformrc");
    const missing = await preflight({ ...goodSettings, TF_CLI_CONFIG_FILE: gone });
    expect(missing.line("tf config")).toBe(
      `warning       tf config     TF_CLI_CONFIG_FILE=${gone} names no file: every terraform run, and so every synth and deploy, prints "[ERROR] ... Unable to open CLI configuration file" (harmless); unset TF_CLI_CONFIG_FILE, or point it at your Terraform CLI configuration`,
    );
    expect(missing.status).toBe(0);
    writeFileSync(gone, 'plugin_cache_dir = "/tmp"\n');
    const present = await preflight({ ...goodSettings, TF_CLI_CONFIG_FILE: gone });
    expect(present.line("tf config")).toBe(`ok            tf config     TF_CLI_CONFIG_FILE=${gone}`);
    const unset = await preflight(goodSettings);
    expect(unset.line("tf config")).toBe("");
  });

  it("stops a deploy to a private API endpoint from outside the VPC: a problem unless DEPLOY_FROM_VPC=true", async () => {
    terraformStub();
    jqStub();
    kubectlStub();
    awsStub(identity);
    const { ENDPOINT_PUBLIC_CIDRS: _, ...privateEndpoint } = goodSettings;
    const outside = await preflight(privateEndpoint);
    expect(outside.line("api endpoint")).toBe(
      "problem       api endpoint  private only (ENDPOINT_PUBLIC_CIDRS unset): istio-stack and the stacks after it reach the Kubernetes API from where cdktf runs, so from outside the VPC the deploy fails after the cluster is built; set ENDPOINT_PUBLIC_CIDRS=<your IP>/32 in settings.env, or DEPLOY_FROM_VPC=true if you deploy from inside the VPC (VPN, Direct Connect, bastion)",
    );
    expect(outside.status).toBe(1);
    const inside = await preflight({ ...privateEndpoint, DEPLOY_FROM_VPC: "true" });
    expect(inside.line("api endpoint")).toBe(
      "ok            api endpoint  private only: you deploy from inside the VPC (DEPLOY_FROM_VPC=true)",
    );
    expect(inside.status).toBe(0);
    // Invalid settings: the raw values still decide the line.
    const invalid = await preflight({
      ...privateEndpoint,
      DEPLOY_FROM_VPC: "true",
      AWS_REGION: "moon-base-9!",
    });
    expect(invalid.line("api endpoint")).toMatch(/^ok\s+api endpoint\s+private only: you deploy from inside/);
  });

  it("lists where each setting came from, and warns when the environment overrides settings.env", async () => {
    terraformStub();
    jqStub();
    kubectlStub();
    awsStub(identity);
    const file = path.join(work, "cluster.settings.env");
    writeFileSync(
      file,
      "# my cluster\nAWS_REGION=eu-west-1\nSTATE_BUCKET=shopfront-mesh-tfstate-123456789012-us-east-1\nCLUSTER_NAME=from-file\n",
    );
    const run = await preflightCommandRun({
      SETTINGS_FILE: file,
      AWS_REGION: "us-east-1",
      CLUSTER_NAME: "from-file",
      ENDPOINT_PUBLIC_CIDRS: "203.0.113.7/32",
    });
    expect(run.stderr).toBe("");
    const sources = run.stdout.slice(run.stdout.indexOf("\nok            sources")).split("\n").slice(1, 6);
    expect(sources).toEqual([
      "ok            sources       4 settings set, the others at their defaults:",
      "      - AWS_REGION=us-east-1 (environment)",
      `      - STATE_BUCKET=shopfront-mesh-tfstate-123456789012-us-east-1 (${file}:3)`,
      "      - CLUSTER_NAME=from-file (environment)",
      "      - ENDPOINT_PUBLIC_CIDRS=203.0.113.7/32 (environment)",
    ]);
    expect(run.stdout).toContain(
      `\nwarning       override      AWS_REGION=us-east-1 from the environment overrides AWS_REGION=eu-west-1 at ${file}:2; unset AWS_REGION (is it exported in your shell profile?) to use the file's\n`,
    );
    expect(run.stdout).toContain(
      `\nwarning       override      CLUSTER_NAME from the environment hides ${file}:4 (the same value, from-file, today): an edit of the file would not take effect; unset CLUSTER_NAME to use the file's\n`,
    );
    expect(run.status).toBe(0);
  });

  it("says when every setting is at its default", async () => {
    terraformStub();
    jqStub();
    kubectlStub();
    awsStub(identity);
    const run = await preflight({});
    expect(run.line("sources")).toBe(
      "ok            sources       every setting at its default: none in settings.env or the environment",
    );
  });

  it("refuses a bad settings file with its message, exit 2, and checks nothing", async () => {
    terraformStub();
    jqStub();
    kubectlStub();
    awsStub(identity);
    const file = path.join(work, "cluster.settings.env");
    writeFileSync(file, "OWNER=me\nCLUSTER_NAM=typo\n");
    const run = await preflightCommandRun({ ...goodSettings, SETTINGS_FILE: file });
    expect(run.stderr).toBe(
      `preflight: invalid configuration:\n  - ${file}:2: CLUSTER_NAM is not a setting (did you mean CLUSTER_NAME? the settings are listed in docs/settings.md)\n`,
    );
    expect(run.stdout).toBe("");
    expect(run.status).toBe(2);
  });

  it("refuses a bad --timeout with usage, exit 2", async () => {
    const run = await preflightCommandRun({}, ["--timeout", "soon"]);
    expect(run.stderr).toContain("usage: npm run preflight [-- --timeout <seconds>] (got: --timeout soon)");
    expect(run.status).toBe(2);
  });
});

describe("npm run preflight: the admin role against the role you deploy as", () => {
  const SSO_ROLE = "AWSReservedSSO_Admin_0123456789abcdef";
  const ssoRoleArn = `arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/${SSO_ROLE}`;
  const assumed = `echo '{"UserId":"AROAEXAMPLE:alice","Account":"123456789012","Arn":"arn:aws:sts::123456789012:assumed-role/${SSO_ROLE}/alice"}'`;
  /** `aws iam get-role` that answers the role with its path, recording what it was asked. */
  const getRole = () => `echo "$@" > ${path.join(work, "iam-args")}; echo '${ssoRoleArn}'`;
  beforeEach(() => {
    terraformStub();
    jqStub();
    kubectlStub();
  });

  it("sees that ADMIN_ROLE_ARN is the role you deploy as, which the cluster makes admin as its creator", async () => {
    awsStub(assumed, "exit 0", getRole());
    const run = await preflight({ ...goodSettings, ADMIN_ROLE_ARN: ssoRoleArn });
    expect(run.line("admin role")).toBe(
      `ok            admin role    ADMIN_ROLE_ARN is the role you deploy as: creating the cluster makes it admin through EKS's own entry for the creator, and the stack then adds none (a second one is refused, 409 ResourceInUseException)`,
    );
    // The role's path comes from IAM: the caller's ARN does not carry it.
    expect(readFileSync(path.join(work, "iam-args"), "utf8").trim()).toBe(
      `iam get-role --role-name ${SSO_ROLE} --query Role.Arn --output text`,
    );
    expect(run.status).toBe(0);
  });

  it("refuses an ADMIN_ROLE_ARN that names the role you deploy as without its path", async () => {
    awsStub(assumed, "exit 0", getRole());
    const pathless = `arn:aws:iam::123456789012:role/${SSO_ROLE}`;
    const run = await preflight({ ...goodSettings, ADMIN_ROLE_ARN: pathless });
    expect(run.line("admin role")).toBe(
      `problem       admin role    ADMIN_ROLE_ARN=${pathless} names the role you deploy as without its path: access entries name a role by its full ARN; set ADMIN_ROLE_ARN=${ssoRoleArn}`,
    );
    expect(run.status).toBe(1);
  });

  it("names another admin role and the identity you deploy as", async () => {
    awsStub(assumed, "exit 0", getRole());
    const other = "arn:aws:iam::123456789012:role/platform/c_admin";
    const run = await preflight({ ...goodSettings, ADMIN_ROLE_ARN: other });
    expect(run.line("admin role")).toBe(
      `ok            admin role    ADMIN_ROLE_ARN=${other} gets cluster admin through an access entry; you deploy as ${ssoRoleArn}, admin as the creator of a new cluster`,
    );
  });

  it("says whom the created admin role trusts when ADMIN_ROLE_ARN is unset", async () => {
    awsStub(identity);
    const run = await preflight(goodSettings);
    expect(run.line("admin role")).toBe(
      "ok            admin role    ADMIN_ROLE_ARN unset: the stack creates shopfront-eks-admin, trusted by the identity you deploy as, arn:aws:iam::123456789012:user/dev",
    );
  });

  it("stops a deploy that could not name the role behind its session (iam:GetRole denied), as the deploy itself reads it", async () => {
    awsStub(
      assumed,
      "exit 0",
      `echo 'An error occurred (AccessDenied) when calling the GetRole operation: User is not authorized to perform: iam:GetRole' >&2; exit 254`,
    );
    const run = await preflight(goodSettings);
    expect(run.line("admin role")).toBe(
      `problem       admin role    cannot read role ${SSO_ROLE} (iam get-role): An error occurred (AccessDenied) when calling the GetRole operation: User is not authorized to perform: iam:GetRole; the deploy reads it too (aws_iam_session_context, for the role behind your session): allow iam:GetRole on it`,
    );
    expect(run.status).toBe(1);
  });

  it("warns of a deploy as the account's root user", async () => {
    awsStub(
      `echo '{"UserId":"123456789012","Account":"123456789012","Arn":"arn:aws:iam::123456789012:root"}'`,
    );
    const run = await preflight(goodSettings);
    expect(run.line("admin role")).toBe(
      "warning       admin role    you deploy as the account's root user, which becomes cluster admin as the creator, and which shopfront-eks-admin would trust, that is the whole account: deploy as an IAM role or user",
    );
  });

  it("cannot check without credentials", async () => {
    awsStub(`echo 'Unable to locate credentials.' >&2; exit 253`);
    const run = await preflight(goodSettings);
    expect(run.line("admin role")).toBe(
      "cannot check  admin role    needs valid AWS credentials (see the credentials line)",
    );
  });
});

describe("compareVersions", () => {
  it("compares numerically, part by part", () => {
    expect(compareVersions("1.10.0", "1.9.9")).toBe(1);
    expect(compareVersions("1.9.9", "1.10.0")).toBe(-1);
    expect(compareVersions("2.7.0", "2.7")).toBe(0);
  });
});
