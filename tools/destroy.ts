/**
 * `npm run destroy:all`: destroys the deployed stacks one at a time, in reverse deploy order, with
 * Terraform in each stack's synthesized folder. First it reads every stack's state where the settings
 * say it is (tools/deploy-state.ts) and checks the deploy record each holds (stacks/deploy-record.ts):
 * settings that differ from the deploy's, or that point where nothing is deployed, are refused before
 * anything is synthesized or destroyed. A stack with no state or an empty one is skipped, so a partial
 * deploy is destroyed without naming stacks; the first failure stops the run, and running it again
 * resumes. tf-state-bootstrap is never destroyed here: it holds every other stack's state
 * (docs/operations.md says how to remove it).
 *
 * Usage: npm run destroy:all -- [--auto-approve] [stack ...]
 * Exit codes: 0 every deployed stack destroyed (or nothing left to destroy), 1 a stack failed or a
 * state could not be read, 2 refused before anything was destroyed: bad arguments or settings,
 * settings that differ from the deploy's, or nothing deployed where they point.
 */
import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { App, Manifest } from "cdktf";
import { Command } from "commander";
import { STACK_NAMES } from "../modules/settings/names";
import { synthesize, ValidationError } from "../stacks/app";
import { stateLocation } from "../stacks/project-stack";
import {
  type CommandContext,
  type CommandSettings,
  exitWith,
  InputRefusal,
  processContext,
  runTool,
} from "./command-line";
import {
  type CommandResult,
  describeLocation,
  type Runner,
  readState,
  type SurveyedStack,
  wholeError,
} from "./deploy-state";
import { nothingDeployed, settingDifferences } from "./destroy-refusals";
import { runCommand } from "./run-command";
import { deployOrder } from "./stack-order";

export type { CommandResult, Runner, SurveyedStack } from "./deploy-state";

export interface StackOutcome {
  readonly stack: string;
  readonly outcome: "destroyed" | "skipped" | "failed";
  readonly detail: string;
}

export interface DestroyOptions {
  /** The stacks in destroy order (destroyOrder), each with its state. */
  readonly stacks: readonly SurveyedStack[];
  /** The folder holding one synthesized folder per stack (cdktf.out/stacks). */
  readonly stacksDir: string;
  readonly run: Runner;
  /** Pass -auto-approve to terraform destroy; otherwise terraform asks for each stack. */
  readonly autoApprove?: boolean;
  /** Receives one line per stack as it finishes. */
  readonly report?: (line: string) => void;
}

/** The stacks `destroyAll` would destroy, in the order it goes; throws on an unknown or protected name. */
export function destroyOrder(deployOrder: readonly string[], only?: readonly string[]): string[] {
  for (const name of only ?? []) {
    if (name === STACK_NAMES.bootstrap) {
      throw new InputRefusal(
        `${name} holds every other stack's state and is not destroyed here: see docs/operations.md, "Remove the state bucket"`,
      );
    }
    if (!deployOrder.includes(name)) {
      throw new InputRefusal(`no stack named ${name} (the stacks are ${deployOrder.join(", ")})`);
    }
  }
  return [...deployOrder]
    .reverse()
    .filter((name) => name !== STACK_NAMES.bootstrap && (!only || only.includes(name)));
}

/** Terraform's whole error, indented under the stack's line, and what to do next. */
function failure(step: string, result: CommandResult): string {
  const error = wholeError(result).split("\n").join("\n    ");
  return `${step} exited ${result.code}:\n    ${error}\n  fix the cause above, then run npm run destroy:all again (destroyed stacks are skipped)`;
}

/**
 * `terraform init` in a stack's folder. A folder that a deploy initialised already holds its
 * providers: Terraform is pointed at them (`-plugin-dir`), since a plain init asks the registry for
 * every provider's versions even when they are installed, and a destroy must not need the internet.
 * Terraform remembers that folder in `.terraform/plugin_path`: removed again, so that a later deploy
 * installs providers as usual.
 */
async function initialise(run: Runner, cwd: string): Promise<CommandResult> {
  const providers = path.join(cwd, ".terraform", "providers");
  if (!existsSync(providers)) return run("terraform", ["init", "-input=false", "-no-color"], { cwd });
  try {
    return await run("terraform", ["init", "-input=false", "-no-color", `-plugin-dir=${providers}`], { cwd });
  } finally {
    rmSync(path.join(cwd, ".terraform", "plugin_path"), { force: true });
  }
}

/** Destroys the stacks that hold resources, one at a time; stops at the first failure. */
export async function destroyAll(options: DestroyOptions): Promise<StackOutcome[]> {
  const { run, report = () => undefined } = options;
  const outcomes: StackOutcome[] = [];
  const finish = (outcome: StackOutcome) => {
    outcomes.push(outcome);
    report(`${outcome.outcome.padEnd(9)} ${outcome.stack}: ${outcome.detail}`);
    return outcome.outcome !== "failed";
  };
  for (const { stack, state } of options.stacks) {
    if (state.kind === "absent") {
      finish({ stack, outcome: "skipped", detail: "no state: never deployed" });
      continue;
    }
    if (state.resources === 0) {
      finish({ stack, outcome: "skipped", detail: "its state holds no resource" });
      continue;
    }
    const cwd = path.join(options.stacksDir, stack);
    if (!existsSync(path.join(cwd, "cdk.tf.json"))) {
      finish({ stack, outcome: "failed", detail: `no synthesized code in ${cwd}: run npm run synth` });
      break;
    }
    const init = await initialise(run, cwd);
    if (init.code !== 0) {
      finish({ stack, outcome: "failed", detail: failure("terraform init", init) });
      break;
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
    const count = state.resources;
    finish({ stack, outcome: "destroyed", detail: `${count} resource${count === 1 ? "" : "s"}` });
  }
  return outcomes;
}

/** What to do when a state cannot be read, from the AWS CLI's error. */
function nextStepFor(error: string): string {
  if (/ENOENT|command not found/.test(error)) {
    return "install the AWS CLI (README, Prerequisites), then run npm run destroy:all again";
  }
  if (/credential|expired|token|sso/i.test(error)) {
    return "sign in to AWS as the deploy did (aws configure, aws sso login, or AWS_PROFILE; npm run preflight shows the identity), then run npm run destroy:all again";
  }
  return "fix the cause above (npm run preflight checks the credentials and the state bucket), then run npm run destroy:all again";
}

export interface DestroyContext extends CommandContext {
  readonly run: Runner;
}

/** Reads every state, refuses what must be refused, then destroys what the states hold. */
async function destroyDeployed(
  settings: CommandSettings,
  stacks: readonly string[],
  autoApprove: boolean,
  context: DestroyContext,
): Promise<number> {
  const { config } = settings;
  const located = stacks.map((stack) => ({ stack, location: stateLocation(config, stack, context.cwd) }));
  const surveyed: SurveyedStack[] = [];
  for (const { stack, location } of located) {
    const state = await readState(location, context.run);
    if (state.kind === "unreadable") {
      context.err(
        `destroy:all: cannot read the state of ${stack} at ${describeLocation(location)}, so nothing was destroyed:\n    ${state.error.split("\n").join("\n    ")}\nnext: ${nextStepFor(state.error)}`,
      );
      return 1;
    }
    surveyed.push({ stack, state });
  }
  if (surveyed.every(({ state }) => state.kind === "absent")) {
    const locations = located.map(({ location }) => location);
    throw new InputRefusal(await nothingDeployed(settings, locations, surveyed, context));
  }
  const differences = settingDifferences(settings, surveyed);
  if (differences.length > 0) {
    throw new InputRefusal(
      `these settings differ from those the stacks were deployed with (the deploy record in each stack's state), so nothing was destroyed:\n${differences.map((line) => `  ${line}`).join("\n")}\nset them back to the recorded values (settings.env, or the environment), then run npm run destroy:all again`,
    );
  }
  const deployed = surveyed.filter(({ state }) => state.kind === "found" && state.resources > 0);
  if (deployed.length === 0) {
    context.out(
      `nothing left to destroy: the states where the settings point hold no resource (destroyed already); ${STACK_NAMES.bootstrap} (the state bucket) is kept`,
    );
    return 0;
  }
  for (const { stack, state } of deployed) {
    if (state.kind === "found" && state.record === undefined) {
      context.out(
        `note: ${stack}'s state holds no deploy record (deployed before destroy:all kept one): it is destroyed with the current settings`,
      );
    }
  }
  let built: ReturnType<typeof synthesize>;
  try {
    // The same code `cdktf deploy` used, from settings that the records agree with.
    built = synthesize(settings.env);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    context.err(error.message);
    return 1;
  }
  const app = App.of(built.bootstrap) as App;
  const outcomes = await destroyAll({
    stacks: surveyed,
    stacksDir: path.resolve(app.outdir, Manifest.stacksFolder),
    run: context.run,
    autoApprove,
    report: context.out,
  });
  if (outcomes.some((o) => o.outcome === "failed")) return 1;
  const destroyed = outcomes.filter((o) => o.outcome === "destroyed").length;
  context.out(
    `done: ${destroyed} stack${destroyed === 1 ? "" : "s"} destroyed; ${STACK_NAMES.bootstrap} (the state bucket) is kept; docs/operations.md says how to remove it`,
  );
  return 0;
}

/** The command on `argv`, with the settings, folder, output and command runner of `context`. */
export function destroyCommand(argv: readonly string[], context: DestroyContext): Promise<number> {
  const program = new Command("destroy:all")
    .description("destroy the deployed stacks, one at a time, in reverse deploy order")
    .argument("[stacks...]", "only these stacks, still in reverse deploy order (default: every stack)")
    .option("--auto-approve", "do not ask before destroying each stack");
  return runTool<{ autoApprove?: boolean }>(program, argv, context, ({ args, options, settings }) => {
    const only = args.length > 0 ? args : undefined;
    const stacks = destroyOrder(
      deployOrder(settings.config).map((stack) => stack.name),
      only,
    );
    return destroyDeployed(settings, stacks, options.autoApprove === true, context);
  });
}

/** Runs commands for real, with HashiCorp's checkpoint call off; the AWS CLI may take a minute at most. */
const spawnRunner: Runner = async (command, args, { cwd, interactive }) => {
  const env = { ...process.env, CHECKPOINT_DISABLE: "1" };
  const result = await runCommand(
    command,
    args,
    interactive
      ? { cwd, env, terminal: true }
      : { cwd, env, timeoutMs: command === "aws" ? 60_000 : undefined },
  );
  if (result.kind === "exited") return { code: result.code, stdout: result.stdout, stderr: result.stderr };
  if (result.kind === "timeout") {
    return { code: 124, stdout: result.stdout, stderr: `${result.stderr}\n${command}: ${result.message}` };
  }
  return { code: 127, stdout: "", stderr: `${command}: ${result.message}` };
};

/**
 * The command, as tools/app.js runs it: the schema packages that the synth checks the manifests with
 * load natively there, not under tsx.
 */
export function main(): void {
  exitWith("destroy:all", (argv) => destroyCommand(argv, { ...processContext(), run: spawnRunner }));
}
