/**
 * `npm run destroy:all`: destroys the deployed stacks one at a time, in reverse deploy order, with
 * Terraform in each stack's synthesized folder. A stack whose state is absent or holds no resource is
 * skipped, so a partial deploy (say the cluster without Istio and the shopfront) is destroyed without
 * naming stacks; the first failure stops the run, and running it again resumes. tf-state-bootstrap is
 * never destroyed here: it holds every other stack's state (docs/operations.md says how to remove it).
 *
 * Usage: npm run destroy:all -- [--auto-approve] [stack ...]
 * Exit codes: 0 every stack destroyed or skipped, 1 a stack failed, 2 bad usage or settings.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { App, Manifest, TerraformStack } from "cdktf";
import { readSettings } from "../modules/settings/file";
import type { Env } from "../modules/settings/load";
import { STACK_NAMES } from "../modules/settings/names";
import { type ProjectStacks, synthesize, ValidationError } from "../stacks/app";
import { runCommand } from "./run-command";
import { orderOf } from "./stack-order";

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command in `cwd`. `interactive` hands it the terminal (terraform destroy asks before it
 * deletes anything); otherwise its output is captured.
 */
export type Runner = (
  command: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly interactive?: boolean },
) => Promise<CommandResult>;

export interface StackOutcome {
  readonly stack: string;
  readonly outcome: "destroyed" | "skipped" | "failed";
  readonly detail: string;
}

export interface DestroyOptions {
  /** Every stack in deploy order (tools/stack-order.ts). */
  readonly deployOrder: readonly string[];
  /** The folder holding one synthesized folder per stack (cdktf.out/stacks). */
  readonly stacksDir: string;
  readonly run: Runner;
  /** Pass -auto-approve to terraform destroy; otherwise terraform asks for each stack. */
  readonly autoApprove?: boolean;
  /** Destroy only these stacks (still in reverse deploy order); default every stack but the bootstrap. */
  readonly only?: readonly string[];
  /** Receives one line per stack as it finishes. */
  readonly report?: (line: string) => void;
}

/** The managed resources in a `terraform state list` output (data sources hold nothing to destroy). */
function managedResources(stateList: string): string[] {
  return stateList
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !/(^|\.)data\./.test(line));
}

/** Terraform's `Error:` lines, else the last lines of its output. */
function errorSummary(text: string): string {
  const lines = text.trim().split("\n");
  const errors = lines.filter((line) => /^(│\s*)?Error: /.test(line));
  return (errors.length > 0 ? errors.slice(0, 3) : lines.slice(-5)).join("\n    ");
}

/** The state file of a stack on a local backend, when its synthesized code names one. */
function localStatePath(stackDir: string): string | undefined {
  const code = JSON.parse(readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8"));
  const local = code.terraform?.backend?.local;
  if (!local) return undefined;
  return path.resolve(stackDir, local.path ?? "terraform.tfstate");
}

/** The stacks `destroyAll` would destroy, in the order it goes; throws on an unknown or protected name. */
export function destroyOrder(deployOrder: readonly string[], only?: readonly string[]): string[] {
  for (const name of only ?? []) {
    if (name === STACK_NAMES.bootstrap) {
      throw new Error(
        `${name} holds every other stack's state and is not destroyed here: see docs/operations.md, "Remove the state bucket"`,
      );
    }
    if (!deployOrder.includes(name)) {
      throw new Error(`no stack named ${name} (the stacks are ${deployOrder.join(", ")})`);
    }
  }
  return [...deployOrder]
    .reverse()
    .filter((name) => name !== STACK_NAMES.bootstrap && (!only || only.includes(name)));
}

/** Destroys the stacks one at a time; stops at the first failure. Returns what happened to each. */
export async function destroyAll(options: DestroyOptions): Promise<StackOutcome[]> {
  const { run, report = () => undefined } = options;
  const outcomes: StackOutcome[] = [];
  const finish = (outcome: StackOutcome) => {
    outcomes.push(outcome);
    report(`${outcome.outcome.padEnd(9)} ${outcome.stack}: ${outcome.detail}`);
    return outcome.outcome !== "failed";
  };
  for (const stack of destroyOrder(options.deployOrder, options.only)) {
    const cwd = path.join(options.stacksDir, stack);
    if (!existsSync(path.join(cwd, "cdk.tf.json"))) {
      finish({ stack, outcome: "failed", detail: `no synthesized code in ${cwd}: run npm run synth` });
      break;
    }
    // A local state file that does not exist: never deployed, and no init (which fetches providers) needed.
    const localState = localStatePath(cwd);
    if (localState && !existsSync(localState)) {
      finish({ stack, outcome: "skipped", detail: "no state: never deployed" });
      continue;
    }
    const init = await run("terraform", ["init", "-input=false", "-no-color"], { cwd });
    if (init.code !== 0) {
      finish({
        stack,
        outcome: "failed",
        detail: `terraform init exited ${init.code}:\n    ${errorSummary(init.stderr || init.stdout)}`,
      });
      break;
    }
    const state = await run("terraform", ["state", "list"], { cwd });
    if (state.code !== 0 && /No state file was found/.test(state.stderr)) {
      finish({ stack, outcome: "skipped", detail: "no state: never deployed" });
      continue;
    }
    if (state.code !== 0) {
      finish({
        stack,
        outcome: "failed",
        detail: `terraform state list exited ${state.code}:\n    ${errorSummary(state.stderr || state.stdout)}`,
      });
      break;
    }
    const resources = managedResources(state.stdout);
    if (resources.length === 0) {
      finish({ stack, outcome: "skipped", detail: "its state holds no resource" });
      continue;
    }
    const destroy = await run(
      "terraform",
      ["destroy", "-input=false", ...(options.autoApprove ? ["-auto-approve"] : [])],
      { cwd, interactive: true },
    );
    if (destroy.code !== 0) {
      finish({
        stack,
        outcome: "failed",
        detail: `terraform destroy exited ${destroy.code}; fix the cause above, then run npm run destroy:all again (destroyed stacks are skipped)`,
      });
      break;
    }
    const count = resources.length;
    finish({ stack, outcome: "destroyed", detail: `${count} resource${count === 1 ? "" : "s"}` });
  }
  return outcomes;
}

/** Runs commands for real, with HashiCorp's checkpoint call off. */
const spawnRunner: Runner = async (command, args, { cwd, interactive }) => {
  const env = { ...process.env, CHECKPOINT_DISABLE: "1" };
  const result = await runCommand(command, args, interactive ? { cwd, env, terminal: true } : { cwd, env });
  return result.kind === "exited"
    ? { code: result.code, stdout: result.stdout, stderr: result.stderr }
    : { code: 127, stdout: "", stderr: `${command}: ${result.message}` };
};

async function destroyCommand(argv: readonly string[]): Promise<number> {
  const autoApprove = argv.includes("--auto-approve");
  const unknownFlag = argv.find((arg) => arg.startsWith("-") && arg !== "--auto-approve");
  if (unknownFlag) {
    process.stderr.write(
      `destroy:all: unknown option ${unknownFlag} (usage: [--auto-approve] [stack ...])\n`,
    );
    return 2;
  }
  const only = argv.filter((arg) => !arg.startsWith("-"));
  let settings: Env;
  let built: ProjectStacks;
  try {
    // The settings file's settings under the environment's, as cdktf deploy read them (main.ts).
    settings = readSettings();
    // A name that is not a stack to destroy is refused before the synth writes anything.
    destroyOrder(Object.values(STACK_NAMES), only.length > 0 ? only : undefined);
    // The same code `cdktf deploy` used, from the same settings.
    built = synthesize(settings);
  } catch (error) {
    // Broken constructs are synth's refusal, reported as such.
    if (error instanceof ValidationError) throw error;
    process.stderr.write(`destroy:all: ${error instanceof Error ? error.message : error}\n`);
    return 2;
  }
  if (!settings.STATE_BUCKET) {
    process.stdout.write(
      "note: STATE_BUCKET is unset, so this reads local state files; if you deployed with a state bucket, set it in settings.env\n",
    );
  }
  const app = App.of(built.bootstrap);
  const stacks = app.node.children.filter(TerraformStack.isStack);
  const outcomes = await destroyAll({
    deployOrder: orderOf(stacks).map((stack) => stack.name),
    stacksDir: path.resolve(app.outdir, Manifest.stacksFolder),
    run: spawnRunner,
    autoApprove,
    only: only.length > 0 ? only : undefined,
    report: (line) => process.stdout.write(`${line}\n`),
  });
  if (outcomes.some((o) => o.outcome === "failed")) return 1;
  process.stdout.write(
    `done: ${STACK_NAMES.bootstrap} (the state bucket) is kept; docs/operations.md says how to remove it\n`,
  );
  return 0;
}

/**
 * The command, as tools/app.js runs it: the schema packages that the synth checks the manifests with
 * load natively there, not under tsx.
 */
export function main(): void {
  destroyCommand(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`${error}\n`);
      process.exit(1);
    },
  );
}
