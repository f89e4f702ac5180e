/**
 * What every command of the project does with its input before anything else: it reads its
 * arguments (only the options and arguments it declares), then the settings as synth reads them
 * (modules/settings/file.ts: the settings file under the environment) and validates them whole.
 * Bad input of either kind is refused the same way: one message after the command's name, a
 * settings-file value named by its `file:line`, exit REFUSED, and nothing done.
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
