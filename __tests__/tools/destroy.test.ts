import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { STACK_NAMES } from "../../modules/settings/names";
import { type CommandResult, destroyAll, destroyOrder, type Runner } from "../../tools/destroy";

const root = path.resolve(__dirname, "..", "..");

const DEPLOY_ORDER = [
  STACK_NAMES.bootstrap,
  STACK_NAMES.network,
  STACK_NAMES.cluster,
  STACK_NAMES.ssmAgent,
  STACK_NAMES.istio,
  STACK_NAMES.istioConfig,
  STACK_NAMES.shopfront,
];

let stacksDir: string;
beforeEach(() => {
  stacksDir = mkdtempSync(path.join(tmpdir(), "destroy-test-"));
  for (const stack of DEPLOY_ORDER) {
    mkdirSync(path.join(stacksDir, stack));
    writeFileSync(path.join(stacksDir, stack, "cdk.tf.json"), "{}");
  }
});
afterEach(() => rmSync(stacksDir, { recursive: true, force: true }));

const ok = (stdout = ""): CommandResult => ({ code: 0, stdout, stderr: "" });
const NO_STATE: CommandResult = { code: 1, stdout: "", stderr: "No state file was found!\n" };

/**
 * A runner that records every call as "<stack>: <args>" and answers `terraform state list` from
 * `states` (absent: no state file), `terraform destroy` from `destroys` (default success).
 */
function fakeTerraform(states: Record<string, string>, destroys: Record<string, number> = {}) {
  const calls: string[] = [];
  const run: Runner = async (command, args, { cwd, interactive }) => {
    const stack = path.basename(cwd);
    calls.push(`${stack}: ${command} ${args.join(" ")}${interactive ? " (interactive)" : ""}`);
    if (args[0] === "state") return stack in states ? ok(states[stack]) : NO_STATE;
    if (args[0] === "destroy") return { code: destroys[stack] ?? 0, stdout: "", stderr: "" };
    return ok();
  };
  return { run, calls };
}

describe("destroy order", () => {
  it("is the reverse of the deploy order, without the state bucket", () => {
    expect(destroyOrder(DEPLOY_ORDER)).toEqual([
      STACK_NAMES.shopfront,
      STACK_NAMES.istioConfig,
      STACK_NAMES.istio,
      STACK_NAMES.ssmAgent,
      STACK_NAMES.cluster,
      STACK_NAMES.network,
    ]);
  });

  it("keeps the reverse order for the stacks named, whatever order they are named in", () => {
    expect(destroyOrder(DEPLOY_ORDER, [STACK_NAMES.network, STACK_NAMES.cluster])).toEqual([
      STACK_NAMES.cluster,
      STACK_NAMES.network,
    ]);
  });

  it("refuses an unknown stack, and the state bucket's stack", () => {
    expect(() => destroyOrder(DEPLOY_ORDER, ["eks-stack"])).toThrow(
      `no stack named eks-stack (the stacks are ${DEPLOY_ORDER.join(", ")})`,
    );
    expect(() => destroyOrder(DEPLOY_ORDER, [STACK_NAMES.bootstrap])).toThrow(
      /tf-state-bootstrap holds every other stack's state and is not destroyed here/,
    );
  });
});

describe("destroyAll", () => {
  it("destroys only the deployed stacks, one at a time in reverse order, skipping empty or absent state", async () => {
    // The case of issue 11 item 14: the cluster deployed, Istio, its configuration and the shopfront never.
    const { run, calls } = fakeTerraform({
      [STACK_NAMES.istio]: "",
      [STACK_NAMES.ssmAgent]: "data.terraform_remote_state.cross-stack-reference-input-eks-cluster-stack\n",
      [STACK_NAMES.cluster]: "aws_eks_cluster.cluster\naws_eks_node_group.nodes\n",
      [STACK_NAMES.network]: "aws_vpc.vpc\n",
    });
    const lines: string[] = [];
    const outcomes = await destroyAll({
      deployOrder: DEPLOY_ORDER,
      stacksDir,
      run,
      autoApprove: true,
      report: (line) => lines.push(line),
    });
    expect(lines).toEqual([
      "skipped   shopfront-stack: no state: never deployed",
      "skipped   istio-config-stack: no state: never deployed",
      "skipped   istio-stack: its state holds no resource",
      "skipped   ssm-agent-installer-daemonset-stack: its state holds no resource",
      "destroyed eks-cluster-stack: 2 resources",
      "destroyed eks-cluster-vpc-stack: 1 resource",
    ]);
    expect(outcomes.map((o) => o.outcome)).toEqual([
      "skipped",
      "skipped",
      "skipped",
      "skipped",
      "destroyed",
      "destroyed",
    ]);
    expect(calls.filter((call) => call.includes("destroy"))).toEqual([
      "eks-cluster-stack: terraform destroy -input=false -auto-approve (interactive)",
      "eks-cluster-vpc-stack: terraform destroy -input=false -auto-approve (interactive)",
    ]);
    expect(calls.some((call) => call.startsWith(STACK_NAMES.bootstrap))).toBe(false);
  });

  it("stops at the first failure and touches no stack after it", async () => {
    const { run, calls } = fakeTerraform(
      { [STACK_NAMES.cluster]: "aws_eks_cluster.cluster\n", [STACK_NAMES.network]: "aws_vpc.vpc\n" },
      { [STACK_NAMES.cluster]: 1 },
    );
    const outcomes = await destroyAll({ deployOrder: DEPLOY_ORDER, stacksDir, run });
    expect(outcomes.at(-1)).toEqual({
      stack: STACK_NAMES.cluster,
      outcome: "failed",
      detail:
        "terraform destroy exited 1; fix the cause above, then run npm run destroy:all again (destroyed stacks are skipped)",
    });
    expect(calls.some((call) => call.startsWith(STACK_NAMES.network))).toBe(false);
    // Without --auto-approve terraform asks, on the user's terminal.
    expect(calls).toContain("eks-cluster-stack: terraform destroy -input=false (interactive)");
  });

  it("fails on an init that fails, with terraform's error line", async () => {
    const run: Runner = async (_command, args) =>
      args[0] === "init"
        ? { code: 1, stdout: "", stderr: "Error: Failed to get existing workspaces: AccessDenied\n" }
        : ok();
    const outcomes = await destroyAll({ deployOrder: DEPLOY_ORDER, stacksDir, run });
    expect(outcomes).toEqual([
      {
        stack: STACK_NAMES.shopfront,
        outcome: "failed",
        detail: "terraform init exited 1:\n    Error: Failed to get existing workspaces: AccessDenied",
      },
    ]);
  });

  it("skips a stack on local state whose state file does not exist, without running terraform", async () => {
    const stateFile = path.join(stacksDir, "terraform.eks-cluster-vpc-stack.tfstate");
    for (const stack of DEPLOY_ORDER) {
      const file =
        stack === STACK_NAMES.network ? stateFile : path.join(stacksDir, `terraform.${stack}.tfstate`);
      writeFileSync(
        path.join(stacksDir, stack, "cdk.tf.json"),
        JSON.stringify({ terraform: { backend: { local: { path: file } } } }),
      );
    }
    writeFileSync(stateFile, "{}");
    const { run, calls } = fakeTerraform({ [STACK_NAMES.network]: "aws_vpc.vpc\n" });
    const outcomes = await destroyAll({ deployOrder: DEPLOY_ORDER, stacksDir, run });
    expect(outcomes.map((o) => `${o.outcome} ${o.stack}`)).toEqual([
      "skipped shopfront-stack",
      "skipped istio-config-stack",
      "skipped istio-stack",
      "skipped ssm-agent-installer-daemonset-stack",
      "skipped eks-cluster-stack",
      "destroyed eks-cluster-vpc-stack",
    ]);
    expect(new Set(calls.map((call) => call.split(":")[0]))).toEqual(new Set([STACK_NAMES.network]));
  });

  it("fails when a stack has no synthesized code", async () => {
    rmSync(path.join(stacksDir, STACK_NAMES.shopfront), { recursive: true });
    const { run, calls } = fakeTerraform({});
    const outcomes = await destroyAll({ deployOrder: DEPLOY_ORDER, stacksDir, run });
    expect(outcomes[0]).toMatchObject({
      outcome: "failed",
      detail: expect.stringMatching(/run npm run synth$/),
    });
    expect(calls).toEqual([]);
  });
});

describe("npm run destroy:all", () => {
  /** `npm run destroy:all` in a child process, with a stand-in terraform that logs each run and finds no state. */
  function destroyCli(settingsFile: string, args: readonly string[] = ["--auto-approve"]) {
    const bin = path.join(stacksDir, "bin");
    const log = path.join(stacksDir, "terraform.log");
    mkdirSync(bin);
    writeFileSync(
      path.join(bin, "terraform"),
      `#!/bin/sh\necho "$(basename "$PWD"): $*" >> ${log}\n[ "$1" = state ] && { echo "No state file was found!" >&2; exit 1; }\nexit 0\n`,
    );
    chmodSync(path.join(bin, "terraform"), 0o755);
    const outdir = path.join(stacksDir, "cdktf.out");
    const result = spawnSync("npm", ["run", "-s", "destroy:all", "--", ...args], {
      cwd: root,
      encoding: "utf8",
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        HOME: stacksDir,
        TMPDIR: tmpdir(),
        SETTINGS_FILE: settingsFile,
        CDKTF_OUTDIR: outdir,
      },
      timeout: 120_000,
    });
    const terraformRuns = existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : [];
    return { ...result, outdir, terraformRuns };
  }

  it("builds the stacks from the settings file, as cdktf deploy does: its state bucket and cluster name", () => {
    const file = path.join(stacksDir, "cluster.settings.env");
    writeFileSync(file, "STATE_BUCKET=acme-tfstate\nCLUSTER_NAME=from-file\n");
    const run = destroyCli(file);
    expect(run.stderr).toBe("");
    expect(run.stdout).not.toContain("STATE_BUCKET is unset");
    const cluster = JSON.parse(
      readFileSync(path.join(run.outdir, "stacks", STACK_NAMES.cluster, "cdk.tf.json"), "utf8"),
    );
    expect(cluster.terraform.backend.s3).toMatchObject({
      bucket: "acme-tfstate",
      key: `shopfront-mesh/from-file/${STACK_NAMES.cluster}.tfstate`,
    });
    // On the S3 backend every stack is asked for its state, in reverse deploy order.
    expect(run.terraformRuns.filter((line) => line.endsWith(": state list"))).toEqual(
      destroyOrder(DEPLOY_ORDER).map((stack) => `${stack}: state list`),
    );
    expect(run.status).toBe(0);
  });

  it("refuses an unknown stack, naming the stacks in deploy order, exit 2, and writes nothing", () => {
    const file = path.join(stacksDir, "cluster.settings.env");
    writeFileSync(file, "");
    const run = destroyCli(file, ["eks-stack"]);
    expect(run.stderr).toBe(
      `destroy:all: no stack named eks-stack (the stacks are ${DEPLOY_ORDER.join(", ")})\n`,
    );
    expect(run.stdout).toBe("");
    expect(existsSync(run.outdir)).toBe(false);
    expect(run.status).toBe(2);
  });

  it("refuses a bad settings file with its message, exit 2, and writes nothing", () => {
    const file = path.join(stacksDir, "cluster.settings.env");
    writeFileSync(file, "OWNER=me\nCLUSTER_NAM=typo\n");
    const run = destroyCli(file);
    expect(run.stderr).toContain(
      `destroy:all: invalid configuration:\n  - ${file}:2: CLUSTER_NAM is not a setting (did you mean CLUSTER_NAME?`,
    );
    expect(run.stdout).toBe("");
    expect(existsSync(run.outdir)).toBe(false);
    expect(run.terraformRuns).toEqual([]);
    expect(run.status).toBe(2);
  });
});
