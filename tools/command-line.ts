/**
 * What every command of the project does with its input before anything else: it reads its
 * arguments (only the options and arguments it declares), then the settings as synth reads them
 * (modules/settings/file.ts: the settings file under the environment) and validates them whole.
 * Bad input of either kind is refused the same way: one message after the command's name, a
 * settings-file value named by its `file:line`, exit REFUSED, and nothing done. The long-running
 * tools (traffic, canary) have their process here too: Ctrl-C, and a run that ends without a result.
 */
import { type Command, CommanderError, type OptionValues } from "commander";
import { readSettings } from "../modules/settings/file";
import { type Config, ConfigError, type Env, loadConfig } from "../modules/settings/load";

/** The exit code of a command that refused its input, an argument or a setting, and did nothing. */
export const REFUSED = 2;

/** Bad input: the command prints the message after its name and exits REFUSED. */
export class InputRefusal extends Error {}

/**
 * Bad input to the traffic tool or the canary, or a target they cannot use: printed as
 * `error: <message>`, commander's own form, and the tool exits REFUSED.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export interface CommandSettings {
  /** The settings as read: the file's under the environment's, each file value with its `file:line`. */
  readonly env: Env;
  readonly config: Config;
}

/** The settings every command reads, validated; throws InputRefusal listing every problem. */
export function readCommandSettings(env: Env, cwd: string): CommandSettings {
  try {
    const settings = readSettings(env, cwd);
    return { env: settings, config: loadConfig(settings) };
  } catch (error) {
    if (error instanceof ConfigError) throw new InputRefusal(error.message);
    throw error;
  }
}

export interface CommandContext {
  readonly env: Env;
  /** The project folder: the settings file and local state files are found here. */
  readonly cwd: string;
  /** A line to stdout, and one to stderr. */
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

export interface CommandInput<O extends OptionValues> {
  /** The arguments `program` declares, in order. */
  readonly args: readonly string[];
  readonly options: O;
  readonly settings: CommandSettings;
}

/**
 * Runs a command: `program` (its options and arguments declared) reads `argv`, then the settings are
 * read; `body` runs only when both are good and returns the exit code. An InputRefusal from either,
 * or from `body` before it has done anything, prints `<name>: <message>` and returns REFUSED; --help
 * prints the usage and returns 0.
 */
export async function runTool<O extends OptionValues>(
  program: Command,
  argv: readonly string[],
  context: CommandContext,
  body: (input: CommandInput<O>) => number | Promise<number>,
): Promise<number> {
  const name = program.name();
  const usage = `usage: npm run ${name} -- ${program.usage()}; --help says more`;
  program
    .exitOverride()
    .allowExcessArguments(true)
    .configureOutput({
      writeOut: (text) => context.out(text.trimEnd()),
      writeErr: (text) => context.err(text.trimEnd()),
      // Reported below, in the form every refusal takes.
      outputError: () => undefined,
    });
  try {
    try {
      program.parse([...argv], { from: "user" });
    } catch (error) {
      if (!(error instanceof CommanderError)) throw error;
      if (error.exitCode === 0) return 0;
      throw new InputRefusal(`${error.message.replace(/^error: /, "")} (${usage})`);
    }
    const extra = program.registeredArguments.length === 0 ? program.args[0] : undefined;
    if (extra !== undefined) throw new InputRefusal(`unexpected argument ${extra} (${usage})`);
    const settings = readCommandSettings(context.env, context.cwd);
    return await body({ args: program.args, options: program.opts<O>(), settings });
  } catch (error) {
    if (!(error instanceof InputRefusal)) throw error;
    context.err(`${name}: ${error.message}`);
    return REFUSED;
  }
}

/** The context of the running process. */
export function processContext(): CommandContext {
  return {
    env: process.env,
    cwd: process.cwd(),
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  };
}

/** Runs `command` on the process's arguments and exits with its code; a fault exits 1 with its message. */
export function exitWith(name: string, command: (argv: readonly string[]) => Promise<number>): void {
  command(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${name}: ${error instanceof Error ? (error.stack ?? error.message) : error}\n`);
      process.exit(1);
    },
  );
}

/**
 * Parses `argv` with `program`, whose actions run the tool (the traffic tool, the canary); resolves
 * to undefined once they have, or to the exit code of a refusal: 0 after --help, REFUSED after
 * commander's own one-line error (already printed) or a UsageError (printed here as `error: ...`).
 */
export async function parseCommand(
  program: Command,
  argv: readonly string[],
  stderr: (text: string) => void,
): Promise<0 | typeof REFUSED | undefined> {
  try {
    await program.parseAsync([...argv], { from: "user" });
    return undefined;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : REFUSED;
    if (error instanceof UsageError) {
      stderr(`error: ${error.message}\n`);
      return REFUSED;
    }
    throw error;
  }
}

/** What a long-running tool's process needs of `process`; a test gives it a stand-in. */
export interface Host {
  readonly argv: readonly string[];
  readonly env: Env;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
  cwd(): string;
  on(event: "SIGINT", listener: () => void): unknown;
  on(event: "uncaughtException", listener: (error: unknown) => void): unknown;
  once(event: "beforeExit", listener: () => void): unknown;
  exit(code: number): void;
  exitCode?: number | string | null;
}

/** What a long-running tool's `run` gets from its process. */
export interface ProcessIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** A progress line is drawn on stderr only when it is a terminal, never into a pipe or a log. */
  readonly stderrIsTTY: boolean;
  /** The settings, read and validated: the settings file's under the environment's. */
  readonly env: Env;
  /** Relative paths (`--outputs-file`, `--manifests`, `--report`) are resolved against it. */
  readonly cwd: string;
}

/**
 * A SIGINT this soon after the last one counted is the same Ctrl-C delivered twice (to the process
 * group, and again by a launcher such as npm that relays it), not another press.
 */
const SAME_CTRL_C_MS = 1000;

/** The exit code of a run that ended without a result: a fault, or nothing left to wait for. */
const NO_RESULT = 2;

export interface LongRun {
  /** What the `error:` line calls a run that ends before its report: `the run`, `the canary`. */
  readonly name: string;
  /** What each Ctrl-C does, in order; the last one for every press after it. */
  readonly ctrlC: readonly [() => void, ...(() => void)[]];
  /** The tool on the arguments after the script's name; resolves to the exit code. */
  readonly run: (argv: readonly string[], io: ProcessIo) => Promise<number>;
}

/**
 * The process around a long-running tool: the settings read and validated as every command reads
 * them (a bad one exits REFUSED before anything), each Ctrl-C handed to the tool, and the run's exit
 * code the process's. A run that leaves Node nothing to wait for before its report, or a fault that
 * escapes it, is never a success or a verdict: the process then exits 2 with an `error:` line, not 0,
 * nor Node's own 1 for a crash, which reads as a failed check.
 */
export function runProcess(host: Host, tool: LongRun): void {
  let env: Env;
  try {
    env = readCommandSettings(host.env, host.cwd()).env;
  } catch (error) {
    if (!(error instanceof InputRefusal)) throw error;
    host.stderr.write(`error: ${error.message}\n`);
    host.exitCode = REFUSED;
    return;
  }
  let presses = 0;
  let lastCounted = Number.NEGATIVE_INFINITY;
  host.on("SIGINT", () => {
    const now = performance.now();
    if (now - lastCounted < SAME_CTRL_C_MS) return;
    lastCounted = now;
    tool.ctrlC[Math.min(presses++, tool.ctrlC.length - 1)]();
  });
  host.exitCode = NO_RESULT;
  host.once("beforeExit", () => {
    host.stderr.write(`error: ${tool.name} ended before its report (nothing left to wait for): no result\n`);
    host.exit(NO_RESULT);
  });
  const fault = (error: unknown) => {
    host.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    host.exit(NO_RESULT);
  };
  host.on("uncaughtException", fault);
  const io = {
    stdout: (text: string) => host.stdout.write(text),
    stderr: (text: string) => host.stderr.write(text),
    stderrIsTTY: host.stderr.isTTY === true,
    env,
    cwd: host.cwd(),
  };
  // Exit at once: the run is over, and nothing left behind may keep the process alive.
  tool.run(host.argv.slice(2), io).then((code) => host.exit(code), fault);
}
