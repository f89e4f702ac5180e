import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { STACK_NAMES } from "../../modules/settings/names";
import type { DeployRecord } from "../../stacks/deploy-record";
import {
  type CommandResult,
  destroyAll,
  destroyCommand,
  destroyOrder,
  type Runner,
  type SurveyedStack,
} from "../../tools/destroy";
import { copyProject } from "../project-copy";

const DEPLOY_ORDER = [
  STACK_NAMES.bootstrap,
  STACK_NAMES.network,
  STACK_NAMES.cluster,
  STACK_NAMES.ssmAgent,
  STACK_NAMES.istio,
  STACK_NAMES.istioConfig,
  STACK_NAMES.shopfront,
];
const DESTROY_ORDER = DEPLOY_ORDER.slice(1).reverse();

/** A Terraform state (format 4) holding `resources` managed resources and, when given, a deploy record. */
function stateFile(record: DeployRecord | undefined, resources: number): string {
  return JSON.stringify({
    version: 4,
    terraform_version: "1.11.0",
    serial: 1,
    lineage: "test",
    outputs: record ? { deploy_record: { value: JSON.stringify(record), type: "string" } } : {},
    resources: [
      // A data source: nothing to destroy.
      { mode: "data", type: "terraform_remote_state", name: "cluster", instances: [{ attributes: {} }] },
      ...Array.from({ length: resources }, (_, i) => ({
        mode: "managed",
        type: "aws_vpc",
        name: `vpc${i}`,
        provider: 'provider["registry.terraform.io/hashicorp/aws"]',
        instances: [{ schema_version: 1, attributes: { id: `vpc-${i}` } }],
      })),
    ],
  });
}

/** What a default deploy records in each stack (stacks/deploy-record.ts), with `changes`. */
function recordOf(stack: string, changes: Record<string, string> = {}): DeployRecord {
  const variant = { MESH_MODE: "sidecar", ROUTING_API: "istio" };
  return {
    CLUSTER_NAME: "shopfront-eks",
    AWS_REGION: "us-east-1",
    ...(stack === STACK_NAMES.istio || stack === STACK_NAMES.shopfront ? variant : {}),
    ...(stack === STACK_NAMES.istioConfig ? { ...variant, INGRESS_SERVICE_TYPE: "LoadBalancer" } : {}),
    ...changes,
  };
}

let work: string;
beforeEach(() => {
  work = mkdtempSync(path.join(tmpdir(), "destroy-test-"));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

const ok = (stdout = ""): CommandResult => ({ code: 0, stdout, stderr: "" });

/**
 * A stand-in for terraform and the AWS CLI: records every call as "<folder>: <command> <args>";
 * `aws s3api get-object` and `list-objects-v2` answer from `buckets` (bucket, then key, to a state's
 * text) as S3 does; `aws` answers with `awsFails` instead when given; terraform succeeds unless
 * `terraform[stack]` says otherwise.
 */
function fakeTools(
  options: {
    buckets?: Record<string, Record<string, string>>;
    awsFails?: CommandResult;
    terraform?: Record<string, { init?: CommandResult; destroy?: number }>;
  } = {},
) {
  const calls: string[] = [];
  const run: Runner = async (command, args, { cwd, interactive }) => {
    const folder = path.basename(cwd);
    calls.push(
      `${command === "aws" ? "" : `${folder}: `}${command} ${args.join(" ")}${interactive ? " (interactive)" : ""}`,
    );
    if (command === "aws") {
      if (options.awsFails) return options.awsFails;
      const flag = (name: string) => args[args.indexOf(name) + 1];
      const bucket = options.buckets?.[flag("--bucket")];
      if (!bucket) {
        return {
          code: 254,
          stdout: "",
          stderr: `\nAn error occurred (NoSuchBucket) when calling the ${args[1]} operation: The specified bucket does not exist\n`,
        };
      }
      if (args[1] === "list-objects-v2") return ok(JSON.stringify(Object.keys(bucket)));
      const state = bucket[flag("--key")];
      if (state === undefined) {
        return {
          code: 254,
          stdout: "",
          stderr:
            "\nAn error occurred (NoSuchKey) when calling the GetObject operation: The specified key does not exist.\n",
        };
      }
      writeFileSync(args.at(-1) as string, state);
      return ok("{}");
    }
    const answer = options.terraform?.[folder];
    if (args[0] === "init") return answer?.init ?? ok();
    if (args[0] === "destroy") return { code: answer?.destroy ?? 0, stdout: "", stderr: "" };
    return ok();
  };
  return { run, calls };
}

/** destroy:all in this process, in `work` (local state files go there), synthesizing into work/cdktf.out. */
async function destroyIn(
  env: Record<string, string>,
  run: Runner,
  argv: readonly string[] = ["--auto-approve"],
) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await destroyCommand(argv, {
    env: { ...env, CDKTF_OUTDIR: path.join(work, "cdktf.out") },
    cwd: work,
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    run,
  });
  return {
    code,
    out: out.join("\n"),
    err: err.join("\n"),
    synthesized: existsSync(path.join(work, "cdktf.out")),
  };
}

/** Writes each stack's local state in `work`: `resources` of it, and its default record unless told. */
function deployLocally(resources: Record<string, number>, record = recordOf) {
  for (const [stack, count] of Object.entries(resources)) {
    writeFileSync(path.join(work, `terraform.${stack}.tfstate`), stateFile(record(stack), count));
  }
}

describe("destroy order", () => {
  it("is the reverse of the deploy order, without the state bucket", () => {
    expect(destroyOrder(DEPLOY_ORDER)).toEqual(DESTROY_ORDER);
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
  let stacksDir: string;
  beforeEach(() => {
    stacksDir = path.join(work, "stacks");
    for (const stack of DEPLOY_ORDER) {
      mkdirSync(path.join(stacksDir, stack), { recursive: true });
      writeFileSync(path.join(stacksDir, stack, "cdk.tf.json"), "{}");
    }
  });

  const surveyed = (resources: Record<string, number>): SurveyedStack[] =>
    DESTROY_ORDER.map((stack) => ({
      stack,
      state: stack in resources ? { kind: "found", resources: resources[stack] } : { kind: "absent" },
    }));

  it("destroys only the stacks that hold resources, in the order given, and runs nothing for the others", async () => {
    // The case of issue 11 item 14: the cluster deployed, Istio and the shopfront never.
    const { run, calls } = fakeTools();
    const lines: string[] = [];
    const stacks = surveyed({
      [STACK_NAMES.istio]: 0,
      [STACK_NAMES.ssmAgent]: 0,
      [STACK_NAMES.cluster]: 2,
      [STACK_NAMES.network]: 1,
    });
    const outcomes = await destroyAll({
      stacks,
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
    expect(calls).toEqual([
      "eks-cluster-stack: terraform init -input=false -no-color",
      "eks-cluster-stack: terraform destroy -input=false -auto-approve (interactive)",
      "eks-cluster-vpc-stack: terraform init -input=false -no-color",
      "eks-cluster-vpc-stack: terraform destroy -input=false -auto-approve (interactive)",
    ]);
  });

  it("re-initialises a folder the deploy initialised from its own providers, so that no registry is asked, and leaves no plugin path behind", async () => {
    const providers = path.join(stacksDir, STACK_NAMES.cluster, ".terraform", "providers");
    mkdirSync(providers, { recursive: true });
    const pluginPath = path.join(stacksDir, STACK_NAMES.cluster, ".terraform", "plugin_path");
    const { run, calls } = fakeTools();
    const recording: Runner = async (command, args, options) => {
      // As terraform does: -plugin-dir is remembered in .terraform/plugin_path.
      if (args[0] === "init" && args.some((arg) => arg.startsWith("-plugin-dir=")))
        writeFileSync(pluginPath, "[]");
      return run(command, args, options);
    };
    const stacks = surveyed({ [STACK_NAMES.cluster]: 1, [STACK_NAMES.network]: 1 });
    await destroyAll({ stacks, stacksDir, run: recording, autoApprove: true });
    expect(calls.filter((call) => call.includes(" init "))).toEqual([
      `eks-cluster-stack: terraform init -input=false -no-color -plugin-dir=${providers}`,
      "eks-cluster-vpc-stack: terraform init -input=false -no-color",
    ]);
    expect(existsSync(pluginPath)).toBe(false);
  });

  it("stops at the first failure and touches no stack after it", async () => {
    const { run, calls } = fakeTools({ terraform: { [STACK_NAMES.cluster]: { destroy: 1 } } });
    const stacks = surveyed({ [STACK_NAMES.cluster]: 1, [STACK_NAMES.network]: 1 });
    const outcomes = await destroyAll({ stacks, stacksDir, run });
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

  it("fails on an init that fails with terraform's whole error, not only its Error: lines, and says what next", async () => {
    const error =
      "\nError: Failed to query available provider packages\n\nCould not retrieve the list of available versions for provider hashicorp/helm:\ncould not connect to registry.terraform.io: dial tcp: lookup registry.terraform.io: no such host\n";
    const { run } = fakeTools({
      terraform: { [STACK_NAMES.istio]: { init: { code: 1, stdout: "Initializing...", stderr: error } } },
    });
    const outcomes = await destroyAll({ stacks: surveyed({ [STACK_NAMES.istio]: 3 }), stacksDir, run });
    expect(outcomes.at(-1)).toEqual({
      stack: STACK_NAMES.istio,
      outcome: "failed",
      detail:
        "terraform init exited 1:\n    Error: Failed to query available provider packages\n    \n    Could not retrieve the list of available versions for provider hashicorp/helm:\n    could not connect to registry.terraform.io: dial tcp: lookup registry.terraform.io: no such host\n  fix the cause above, then run npm run destroy:all again (destroyed stacks are skipped)",
    });
  });

  it("fails when a stack to destroy has no synthesized code", async () => {
    rmSync(path.join(stacksDir, STACK_NAMES.shopfront), { recursive: true });
    const { run, calls } = fakeTools();
    const outcomes = await destroyAll({ stacks: surveyed({ [STACK_NAMES.shopfront]: 1 }), stacksDir, run });
    expect(outcomes[0]).toMatchObject({
      outcome: "failed",
      detail: expect.stringMatching(/run npm run synth$/),
    });
    expect(calls).toEqual([]);
  });
});

describe("destroy:all and the deploy record", () => {
  it("destroys what local state holds when the records agree with the settings, and skips the rest", async () => {
    deployLocally({ [STACK_NAMES.cluster]: 18, [STACK_NAMES.network]: 21, [STACK_NAMES.ssmAgent]: 0 });
    const { run, calls } = fakeTools();
    const result = await destroyIn({}, run);
    expect(result.err).toBe("");
    expect(result.out.split("\n")).toEqual([
      "skipped   shopfront-stack: no state: never deployed",
      "skipped   istio-config-stack: no state: never deployed",
      "skipped   istio-stack: no state: never deployed",
      "skipped   ssm-agent-installer-daemonset-stack: its state holds no resource",
      "destroyed eks-cluster-stack: 18 resources",
      "destroyed eks-cluster-vpc-stack: 21 resources",
      "done: 2 stacks destroyed; tf-state-bootstrap (the state bucket) is kept; docs/operations.md says how to remove it",
    ]);
    expect(calls.filter((call) => call.includes("destroy"))).toEqual([
      "eks-cluster-stack: terraform destroy -input=false -auto-approve (interactive)",
      "eks-cluster-vpc-stack: terraform destroy -input=false -auto-approve (interactive)",
    ]);
    expect(result.code).toBe(0);
  });

  it("reads each state from the bucket where the settings put it, and destroys with code that uses that bucket", async () => {
    const settings = {
      STATE_BUCKET: "acme-tfstate",
      CLUSTER_NAME: "shop-a",
      AWS_REGION: "eu-west-1",
      AVAILABILITY_ZONES: "eu-west-1a,eu-west-1b",
    };
    const record = (stack: string) =>
      recordOf(stack, { STATE_BUCKET: "acme-tfstate", CLUSTER_NAME: "shop-a", AWS_REGION: "eu-west-1" });
    const { run, calls } = fakeTools({
      buckets: {
        "acme-tfstate": {
          [`shopfront-mesh/shop-a/${STACK_NAMES.network}.tfstate`]: stateFile(record(STACK_NAMES.network), 4),
        },
      },
    });
    const result = await destroyIn(settings, run);
    // The object is written to a scratch file, named last.
    expect(calls.filter((call) => call.startsWith("aws")).map((call) => call.replace(/ \S+$/, ""))).toEqual(
      DESTROY_ORDER.map(
        (stack) =>
          `aws s3api get-object --bucket acme-tfstate --key shopfront-mesh/shop-a/${stack}.tfstate --region eu-west-1`,
      ),
    );
    const network = JSON.parse(
      readFileSync(path.join(work, "cdktf.out", "stacks", STACK_NAMES.network, "cdk.tf.json"), "utf8"),
    );
    expect(network.terraform.backend.s3).toMatchObject({
      bucket: "acme-tfstate",
      key: `shopfront-mesh/shop-a/${STACK_NAMES.network}.tfstate`,
    });
    expect(result.out).toContain("destroyed eks-cluster-vpc-stack: 4 resources");
    expect(result.code).toBe(0);
  });

  it("refuses a ROUTING_API other than the deploy's, which would drop the load balancer wait, before synthesizing", async () => {
    deployLocally(
      { [STACK_NAMES.shopfront]: 14, [STACK_NAMES.istio]: 8, [STACK_NAMES.cluster]: 18 },
      (stack) => recordOf(stack, stack === STACK_NAMES.cluster ? {} : { ROUTING_API: "gateway-api" }),
    );
    const { run, calls } = fakeTools();
    const result = await destroyIn({ OWNER: "me" }, run);
    expect(result.err).toBe(
      [
        "destroy:all: these settings differ from those the stacks were deployed with (the deploy record in each stack's state), so nothing was destroyed:",
        '  ROUTING_API: recorded "gateway-api" (shopfront-stack, istio-stack), current "istio" (default)',
        "set them back to the recorded values (settings.env, or the environment), then run npm run destroy:all again",
      ].join("\n"),
    );
    expect(calls).toEqual([]);
    expect(result.synthesized).toBe(false);
    expect(result.code).toBe(2);
  });

  it("names where each differing value is set: the settings file's line, the environment, or the default", async () => {
    deployLocally({ [STACK_NAMES.network]: 1 }, (stack) =>
      recordOf(stack, { CLUSTER_NAME: "shop-a", AWS_REGION: "eu-west-1" }),
    );
    writeFileSync(path.join(work, "settings.env"), "OWNER=me\nCLUSTER_NAME=shop-b\n");
    const fromFile = await destroyIn({}, fakeTools().run);
    expect(fromFile.err).toContain(
      '  CLUSTER_NAME: recorded "shop-a" (eks-cluster-vpc-stack), current "shop-b" (settings.env:2)',
    );
    expect(fromFile.err).toContain(
      '  AWS_REGION: recorded "eu-west-1" (eks-cluster-vpc-stack), current "us-east-1" (default)',
    );
    const fromEnvironment = await destroyIn({ CLUSTER_NAME: "shop-c" }, fakeTools().run);
    expect(fromEnvironment.err).toContain(
      '  CLUSTER_NAME: recorded "shop-a" (eks-cluster-vpc-stack), current "shop-c" (environment)',
    );
  });

  it("finds nothing in the bucket while this folder's state files hold a deploy, and says to unset STATE_BUCKET", async () => {
    deployLocally({ [STACK_NAMES.network]: 1 });
    const result = await destroyIn({ STATE_BUCKET: "acme" }, fakeTools({ buckets: { acme: {} } }).run);
    expect(result.err).toContain(
      `state files in ${work} (terraform.shopfront-stack.tfstate, ...) hold a deploy made without STATE_BUCKET: unset it to destroy that one, then run npm run destroy:all again`,
    );
    expect(result.code).toBe(2);
  });

  it("finds nothing on local state: says where it looked and which bucket this folder made, exit 2", async () => {
    writeFileSync(
      path.join(work, `terraform.${STACK_NAMES.bootstrap}.tfstate`),
      JSON.stringify({
        version: 4,
        outputs: { state_bucket: { value: "shopfront-mesh-tfstate-1234" } },
        resources: [],
      }),
    );
    const { run, calls } = fakeTools();
    const result = await destroyIn({}, run);
    expect(result.err.split("\n")).toEqual([
      "destroy:all: nothing is deployed where the settings point, so nothing was destroyed; there is no state at:",
      ...DESTROY_ORDER.map((stack) => `  ${path.join(work, `terraform.${stack}.tfstate`)}`),
      "STATE_BUCKET is unset; this folder's tf-state-bootstrap made the state bucket shopfront-mesh-tfstate-1234: if the stacks were deployed with it, set STATE_BUCKET=shopfront-mesh-tfstate-1234 (settings.env), then run npm run destroy:all again",
    ]);
    expect(result.out).toBe("");
    expect(calls).toEqual([]);
    expect(result.synthesized).toBe(false);
    expect(result.code).toBe(2);
  });

  it("finds nothing in a bucket that does not exist, and says so", async () => {
    const result = await destroyIn({ STATE_BUCKET: "acme-typo" }, fakeTools().run);
    expect(result.err).toContain(
      "there is no bucket named acme-typo in us-east-1 (STATE_BUCKET, environment): set STATE_BUCKET to the deploy's, then run npm run destroy:all again",
    );
    expect(result.code).toBe(2);
  });

  it("finds nothing in a bucket that holds no other deployment, and says which settings to check", async () => {
    const result = await destroyIn(
      { STATE_BUCKET: "acme" },
      fakeTools({ buckets: { acme: { "notes.txt": "" } } }).run,
    );
    expect(result.err).toMatch(
      /the bucket holds the state of no other deployment: check STATE_BUCKET, STATE_KEY_PREFIX and CLUSTER_NAME/,
    );
    expect(result.code).toBe(2);
  });

  it("says there is nothing left to destroy when the states are empty (destroyed already), exit 0", async () => {
    for (const stack of DESTROY_ORDER)
      writeFileSync(path.join(work, `terraform.${stack}.tfstate`), stateFile(undefined, 0));
    const { run, calls } = fakeTools();
    const result = await destroyIn({}, run);
    expect(result.out).toBe(
      "nothing left to destroy: the states where the settings point hold no resource (destroyed already); tf-state-bootstrap (the state bucket) is kept",
    );
    expect(result.out).not.toContain("done");
    expect(calls).toEqual([]);
    expect(result.code).toBe(0);
  });

  it("destroys a stack deployed before records were kept with the current settings, and says so", async () => {
    deployLocally({ [STACK_NAMES.network]: 3 }, () => undefined as unknown as DeployRecord);
    const result = await destroyIn({}, fakeTools().run);
    expect(result.out).toContain(
      "note: eks-cluster-vpc-stack's state holds no deploy record (deployed before destroy:all kept one): it is destroyed with the current settings",
    );
    expect(result.out).toContain("destroyed eks-cluster-vpc-stack: 3 resources");
    expect(result.code).toBe(0);
  });

  it("only reads and destroys the stacks named", async () => {
    deployLocally({ [STACK_NAMES.shopfront]: 5, [STACK_NAMES.network]: 3 });
    const { run, calls } = fakeTools();
    const result = await destroyIn({}, run, ["--auto-approve", STACK_NAMES.shopfront]);
    expect(result.out).toContain("destroyed shopfront-stack: 5 resources");
    expect(calls.some((call) => call.includes(STACK_NAMES.network))).toBe(false);
    expect(result.code).toBe(0);
  });
});

describe("destroy:all when a state cannot be read", () => {
  const NO_CREDENTIALS: CommandResult = {
    code: 253,
    stdout: "",
    stderr: '\nUnable to locate credentials. You can configure credentials by running "aws configure".\n',
  };

  it("prints the AWS CLI's whole error, calls no stack failed, runs no terraform, and says to sign in", async () => {
    const { run, calls } = fakeTools({ awsFails: NO_CREDENTIALS });
    const result = await destroyIn({ STATE_BUCKET: "acme" }, run);
    expect(result.err).toBe(
      [
        "destroy:all: cannot read the state of shopfront-stack at s3://acme/shopfront-mesh/shopfront-eks/shopfront-stack.tfstate, so nothing was destroyed:",
        '    Unable to locate credentials. You can configure credentials by running "aws configure".',
        "next: sign in to AWS as the deploy did (aws configure, aws sso login, or AWS_PROFILE; npm run preflight shows the identity), then run npm run destroy:all again",
      ].join("\n"),
    );
    expect(result.out).not.toMatch(/failed|done/);
    expect(calls.filter((call) => !call.startsWith("aws"))).toEqual([]);
    expect(result.code).toBe(1);
  });

  it("says to install the AWS CLI when it is missing", async () => {
    const missing = { code: 127, stdout: "", stderr: "aws: spawn aws ENOENT" };
    const result = await destroyIn({ STATE_BUCKET: "acme" }, fakeTools({ awsFails: missing }).run);
    expect(result.err).toMatch(
      /\nnext: install the AWS CLI \(README, Prerequisites\), then run npm run destroy:all again$/,
    );
    expect(result.code).toBe(1);
  });

  it("refuses a local state file that is not a Terraform state, naming it", async () => {
    writeFileSync(path.join(work, `terraform.${STACK_NAMES.shopfront}.tfstate`), "<html>");
    const result = await destroyIn({}, fakeTools().run);
    expect(result.err).toMatch(/terraform\.shopfront-stack\.tfstate is not a Terraform state: /);
    expect(result.code).toBe(1);
  });
});

describe("destroy:all's refusals of its input", () => {
  it("refuses an unknown stack, naming the stacks in deploy order, exit 2, and writes nothing", async () => {
    const { run, calls } = fakeTools();
    const result = await destroyIn({}, run, ["eks-stack"]);
    expect(result.err).toBe(
      `destroy:all: no stack named eks-stack (the stacks are ${DEPLOY_ORDER.join(", ")})`,
    );
    expect(result.out).toBe("");
    expect(calls).toEqual([]);
    expect(result.synthesized).toBe(false);
    expect(result.code).toBe(2);
  });

  it("refuses an unknown option, exit 2", async () => {
    const result = await destroyIn({}, fakeTools().run, ["--auto-aprove"]);
    expect(result.err).toMatch(/^destroy:all: unknown option '--auto-aprove'/);
    expect(result.code).toBe(2);
  });

  it("refuses a bad settings file with its message, exit 2, and writes nothing", async () => {
    const file = path.join(work, "cluster.settings.env");
    writeFileSync(file, "OWNER=me\nCLUSTER_NAM=typo\n");
    const { run, calls } = fakeTools();
    const result = await destroyIn({ SETTINGS_FILE: file }, run);
    expect(result.err).toContain(
      `destroy:all: invalid configuration:\n  - ${file}:2: CLUSTER_NAM is not a setting (did you mean CLUSTER_NAME?`,
    );
    expect(result.out).toBe("");
    expect(result.synthesized).toBe(false);
    expect(calls).toEqual([]);
    expect(result.code).toBe(2);
  });
});

function fakeAwsScript(root: string): string {
  return `#!/bin/sh
op=$2; shift 2
while [ $# -gt 0 ]; do
  case $1 in
    --bucket) bucket=$2; shift 2;;
    --key) key=$2; shift 2;;
    --region|--query|--output) shift 2;;
    *) out=$1; shift;;
  esac
done
if [ ! -d "${root}/$bucket" ]; then
  echo "An error occurred (NoSuchBucket) when calling the $op operation: The specified bucket does not exist" >&2; exit 254
fi
if [ "$op" = list-objects-v2 ]; then
  cd "${root}/$bucket" && find . -type f | sed 's|^./||' | awk 'BEGIN{printf "["} {printf "%s\\"%s\\"", (NR>1?",":""), $0} END{print "]"}'
  exit 0
fi
if [ ! -f "${root}/$bucket/$key" ]; then
  echo "An error occurred (NoSuchKey) when calling the GetObject operation: The specified key does not exist." >&2; exit 254
fi
cp "${root}/$bucket/$key" "$out" && echo "{}"
`;
}

describe("npm run destroy:all against a recorded deploy", () => {
  // The command as a user runs it, once: its output streams and exit code, with the AWS CLI (a
  // stand-in on PATH that answers as S3 does) run for real.
  it("refuses settings that differ from the deploy's, one line per setting, and destroys nothing", async () => {
    deployLocally(Object.fromEntries(DESTROY_ORDER.map((stack) => [stack, 2])), (stack) =>
      recordOf(stack, {
        CLUSTER_NAME: "shop-a",
        ...(stack === STACK_NAMES.shopfront ? { ROUTING_API: "gateway-api" } : {}),
      }),
    );
    writeFileSync(path.join(work, "settings.env"), "OWNER=me\nCLUSTER_NAME=shop-b\n");
    const { run, calls } = fakeTools();
    const result = await destroyIn({}, run);
    expect(result.err).toMatch(
      /^ {2}CLUSTER_NAME: recorded "shop-a" .*, current "shop-b" \(settings\.env:2\)$/m,
    );
    expect(result.err).toMatch(/^ {2}ROUTING_API: recorded "gateway-api" .*, current "istio" \(default\)$/m);
    expect(result.err).not.toMatch(/MESH_MODE|AWS_REGION/);
    expect(calls.filter((call) => call.includes("destroy"))).toEqual([]);
    expect(result.out).not.toContain("done");
    expect(result.code).toBe(2);
  });

  it("finds nothing where settings point in a bucket that holds another deployment: says where it looked and which, exit 2", () => {
    const project = copyProject();
    const bucket = path.join(project, "s3", "acme-tfstate");
    mkdirSync(path.join(bucket, "shopfront-mesh", "shop-a"), { recursive: true });
    for (const stack of DESTROY_ORDER) {
      const record = recordOf(stack, { CLUSTER_NAME: "shop-a" });
      writeFileSync(path.join(bucket, "shopfront-mesh", "shop-a", `${stack}.tfstate`), stateFile(record, 2));
    }
    const bin = path.join(project, "bin");
    const log = path.join(project, "terraform.log");
    mkdirSync(bin);
    writeFileSync(path.join(bin, "aws"), fakeAwsScript(path.join(project, "s3")));
    writeFileSync(path.join(bin, "terraform"), `#!/bin/sh\necho "$*" >> ${log}\nexit 0\n`);
    chmodSync(path.join(bin, "aws"), 0o755);
    chmodSync(path.join(bin, "terraform"), 0o755);
    writeFileSync(path.join(project, "settings.env"), "STATE_BUCKET=acme-tfstate\nCLUSTER_NAME=shop-b\n");
    const run = spawnSync("npm", ["run", "-s", "destroy:all", "--", "--auto-approve"], {
      cwd: project,
      encoding: "utf8",
      env: { PATH: `${bin}:${process.env.PATH}`, HOME: project, TMPDIR: tmpdir() },
      timeout: 120_000,
    });
    expect(run.stderr).toContain(`s3://acme-tfstate/shopfront-mesh/shop-b/${STACK_NAMES.cluster}.tfstate`);
    expect(run.stderr).toMatch(
      /^ {2}shopfront-mesh\/shop-a: eks-cluster-vpc-stack, eks-cluster-stack, ssm-agent-installer-daemonset-stack, istio-stack, istio-config-stack, shopfront-stack$/m,
    );
    expect(existsSync(log)).toBe(false);
    expect(run.stdout).toBe("");
    expect(run.status).toBe(2);
  });
});
