/**
 * `npm run preflight`: checks, before a deploy, what a first deploy needs, one line each: Node.js
 * against package.json engines, the settings and where each came from, the tools and their versions,
 * AWS credentials and account, the admin role against the deploying role, the region's zones, the
 * state bucket, and what the settings open to the internet (a private API endpoint is a problem
 * unless the deploy runs in the VPC). It needs no AWS SDK (it asks the AWS CLI), works offline (what
 * needs AWS says "cannot check"), and never hangs: every command it runs is killed, with its
 * children, after --timeout seconds (default 10).
 *
 * Exit codes: 0 no problem found (warnings and "cannot check" lines do not fail it), 1 a problem,
 * 2 bad usage or bad settings (a settings file that cannot be read stops it; a bad value is listed
 * with the other checks), as every command refuses bad input (tools/command-line.ts).
 */

import { readSettings, SETTINGS_FILE_VARIABLE } from "../modules/settings/file";
import { ConfigError, type Env } from "../modules/settings/load";
import { roleName } from "../modules/settings/names";
import { REFUSED } from "./command-line";
import { awsLines } from "./preflight-aws";
import { type CheckLine, type Probe, probe, type Status } from "./preflight-probe";
import { exposureLines, settingsCheck, sourceLines } from "./preflight-settings";
import { nodeLine, toolLines } from "./preflight-tools";

/**
 * Every check, in the order a user fixes them, on `env` (the settings file's settings under the
 * environment's); `sources` are the lines that say where the settings came from. `run` runs commands
 * (the tests inject stubs through PATH).
 */
async function preflight(
  env: Env,
  sources: readonly CheckLine[],
  cwd: string,
  run: Probe,
  timeoutSeconds: number,
): Promise<CheckLine[]> {
  const settings = settingsCheck(env);
  const { config } = settings;
  const tools = await toolLines(run, env, cwd, config?.cluster.kubernetesVersion, timeoutSeconds);
  const aws = await awsLines(
    run,
    tools.awsCli,
    {
      region: config?.aws.region,
      zones: config?.network.availabilityZones ?? [],
      bucket: config ? config.state.bucket : env.STATE_BUCKET,
      admin: config && {
        adminRoleArn: config.cluster.adminRoleArn,
        createdRoleName: roleName(config.cluster.name, "admin"),
      },
    },
    timeoutSeconds,
  );
  return [nodeLine(), settings.line, ...sources, ...tools.lines, ...aws, ...exposureLines(env, config)];
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

/**
 * Runs every check with real commands from the environment's PATH, on the settings every command
 * reads (the settings file in `cwd`, or SETTINGS_FILE, under `environment`); returns the report and
 * the exit code. Throws ConfigError when the settings file cannot be read.
 */
export async function runPreflight(
  environment: Env,
  timeoutSeconds: number,
  cwd: string = process.cwd(),
): Promise<{ report: string; code: number }> {
  const env = readSettings(environment, cwd);
  // The file's settings alone, with the line of each, to tell where every setting came from.
  const fromFile = readSettings({ [SETTINGS_FILE_VARIABLE]: environment[SETTINGS_FILE_VARIABLE] }, cwd);
  const lines = await preflight(
    env,
    sourceLines(environment, fromFile),
    cwd,
    (command, args) => probe(command, args, timeoutSeconds * 1000, env),
    timeoutSeconds,
  );
  const problem = (subject?: string) =>
    lines.some((line) => line.status === "problem" && (subject === undefined || line.subject === subject));
  return { report: formatReport(lines), code: problem("settings") ? REFUSED : problem() ? 1 : 0 };
}

/** Where the command reads its settings and writes its report: the process's own, or a test's. */
export interface PreflightIo {
  readonly env: Env;
  readonly cwd: string;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

const processIo: PreflightIo = {
  env: process.env,
  cwd: process.cwd(),
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** `npm run preflight -- ...argv`: prints the report, or a refusal, and returns the exit code. */
export async function preflightCommand(
  argv: readonly string[],
  io: PreflightIo = processIo,
): Promise<number> {
  const timeout = parseTimeout(argv);
  if (typeof timeout === "string") {
    io.err(`${timeout}\n`);
    return 2;
  }
  try {
    const { report, code } = await runPreflight(io.env, timeout, io.cwd);
    io.out(report);
    return code;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.err(`preflight: ${error.message}\n`);
    return 2;
  }
}

/** The process's entry point, which tools/app.js calls: `npm run preflight`. */
export function main(): void {
  preflightCommand(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`preflight: ${error instanceof Error ? error.stack : error}\n`);
      process.exit(1);
    },
  );
}
