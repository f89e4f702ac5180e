/**
 * `npm run traffic -- <count|pods|load>`: checks the mesh's traffic split through the gateway, the
 * round robin inside one version, or puts steady load on it. `run` is the whole program, with its
 * input and output injected; only the entry point at the bottom touches the process.
 *
 * Exit codes: 0 as expected; 1 a check failed (split, evenness, errors, rate); 2 bad usage, the
 * target cannot be reached, or the run could not measure; 130 interrupted by Ctrl-C.
 */
import path from "node:path";
import { Command, CommanderError } from "commander";
import { ConfigError, type Env, SHOPFRONT_VERSIONS } from "../../modules/config";
import { readSettings } from "../../modules/settings-file";
import { HttpClient, type Outcome, type RunResult, runAtRate, runBatch } from "./http";
import { countText, loadText, ProgressLine, podsText, progressBar } from "./report";
import { Tally } from "./tally";
import {
  defaultRouteFile,
  gatewayUrl,
  replicasFromManifests,
  resolveExpected,
  resolveUrl,
  UsageError,
} from "./targets";
import { type ExitCode, INTERRUPTED, summarizeCount, summarizeLoad, summarizePods } from "./verdict";

export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** A progress line is drawn on stderr only when it is a terminal, never into a pipe or a log. */
  readonly stderrIsTTY: boolean;
  readonly env: Env;
  /** Relative paths (`--outputs-file`, `--manifests`) are resolved against it. */
  readonly cwd: string;
  /** Aborted by Ctrl-C: the run stops and reports what it measured, marked interrupted. */
  readonly interrupt?: AbortSignal;
}

const DEFAULTS = {
  requests: "100",
  concurrency: "10",
  timeout: "5s",
  maxTime: "5m",
  maxErrorRate: "1",
  alpha: "0.01",
  rate: "2",
  duration: "60s",
  outputsFile: "cdktf-outputs.json",
} as const;

/** Requests in one run, for every command: each keeps its latency in memory until the report. */
const MAX_REQUESTS = 1_000_000;

/**
 * Sockets a `load` run may hold open: enough for 1000 requests/s at 250 ms each; a slower target
 * queues the rest, and their timeouts report it.
 */
const LOAD_MAX_SOCKETS = 256;

function invalid(flag: string, value: string, accepted: string): UsageError {
  return new UsageError(`${flag}=${JSON.stringify(value)} is not ${accepted}`);
}

/** A number in any form JavaScript reads (`0.001`, `.001`, `1e-3`); NaN for anything else. */
function numberOf(value: string): number {
  // Number("") and Number(" ") are 0: an empty value is no number.
  return value.trim() === "" ? Number.NaN : Number(value);
}

function wholeNumber(flag: string, value: string, min: number, max: number): number {
  const number = numberOf(value);
  if (!Number.isInteger(number) || number < min || number > max) {
    throw invalid(flag, value, `a whole number from ${min} to ${max}`);
  }
  return number;
}

function decimal(flag: string, value: string, accepted: string, valid: (n: number) => boolean): number {
  const number = numberOf(value);
  if (!valid(number)) throw invalid(flag, value, accepted);
  return number;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds in `500ms`, `5s`, `2m`, `1h`, or a bare number of seconds (as curl's `--max-time`). */
function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text);
  return match ? Number(match[1]) * UNIT_MS[match[2] ?? "s"] : Number.NaN;
}

function duration(flag: string, value: string, max: string): number {
  const milliseconds = parseDuration(value);
  if (!(milliseconds >= 1 && milliseconds <= parseDuration(max))) {
    throw invalid(flag, value, `a duration from 1ms to ${max}, such as 500ms, 5s or 2m`);
  }
  return milliseconds;
}

function percentage(flag: string, value: string): number {
  return decimal(flag, value, "a percentage from 0 to 100, such as 1 or 0.5", (n) => n >= 0 && n <= 100);
}

function significance(value: string): number {
  return decimal(
    "--alpha",
    value,
    "a significance level between 0 and 1, such as 0.01",
    (n) => n > 0 && n < 1,
  );
}

interface TargetOptions {
  url?: string;
  outputsFile: string;
  timeout: string;
  maxErrorRate: string;
  json?: boolean;
}

interface SampleOptions extends TargetOptions {
  requests: string;
  concurrency: string;
  maxTime: string;
  alpha: string;
  manifests?: string;
}

interface CountOptions extends SampleOptions {
  expect?: string;
}

interface PodsOptions extends SampleOptions {
  version: string;
  replicas?: string;
}

interface LoadOptions extends TargetOptions {
  rate: string;
  duration: string;
  path?: string;
}

/** Validates the flags every command has. */
function limitsOf(options: TargetOptions) {
  // Checked with the other flags; resolveUrl parses it again, or looks elsewhere when it is absent.
  if (options.url !== undefined) gatewayUrl("--url", options.url);
  return {
    timeoutMs: duration("--timeout", options.timeout, "10m"),
    maxErrorRate: percentage("--max-error-rate", options.maxErrorRate),
  };
}

function urlOf(options: TargetOptions, io: Io) {
  return resolveUrl({ flag: options.url, env: io.env, cwd: io.cwd, outputsFile: options.outputsFile });
}

/**
 * Validates the flags of `count` and `pods`, before any target or weight is looked up: a typo should
 * be reported as such, not hidden behind a missing URL.
 */
function sampleOf(options: SampleOptions) {
  return {
    ...limitsOf(options),
    requests: wholeNumber("--requests", options.requests, 1, MAX_REQUESTS),
    concurrency: wholeNumber("--concurrency", options.concurrency, 1, 1000),
    maxTimeMs: duration("--max-time", options.maxTime, "24h"),
    alpha: significance(options.alpha),
  };
}

/** Sends the requests of `count` and `pods`, with a progress bar on a terminal. */
async function sample(
  url: URL,
  settings: { requests: number; concurrency: number; timeoutMs: number; maxTimeMs: number },
  io: Io,
): Promise<{ tally: Tally; run: RunResult }> {
  const tally = new Tally();
  const client = new HttpClient(url, { maxSockets: settings.concurrency, timeoutMs: settings.timeoutMs });
  const progress = io.stderrIsTTY ? new ProgressLine(io.stderr) : undefined;
  const onOutcome = (outcome: Outcome) => {
    tally.record(outcome);
    progress?.show(progressBar(tally.total, settings.requests, tally.errors));
  };
  try {
    const run = await runBatch(client, {
      requests: settings.requests,
      concurrency: settings.concurrency,
      maxTimeMs: settings.maxTimeMs,
      unreachableAfter: Math.min(settings.requests, settings.concurrency),
      onOutcome,
      interrupt: io.interrupt,
    });
    return { tally, run };
  } finally {
    await client.close();
    progress?.done();
  }
}

/** Prints a summary as JSON or text; an unreachable target's cause goes to stderr in one line. */
function emit<S extends { exitCode: ExitCode; problems: readonly string[] }>(
  summary: S,
  text: (summary: S) => string,
  json: boolean | undefined,
  io: Io,
): ExitCode {
  if (json) io.stdout(`${JSON.stringify(summary, null, 2)}\n`);
  else if (summary.exitCode !== 2) io.stdout(text(summary));
  if (summary.exitCode === 2) io.stderr(`error: ${summary.problems[0]}\n`);
  return summary.exitCode;
}

/**
 * The target resolved and sampled, for `count` and `pods`: the tally, and what both commands'
 * summaries say about the run itself.
 */
async function sampleTarget(options: TargetOptions, settings: ReturnType<typeof sampleOf>, io: Io) {
  const url = urlOf(options, io);
  const { tally, run } = await sample(url.value, settings, io);
  const context = {
    url: url.value,
    urlSource: url.source,
    maxErrorRate: settings.maxErrorRate,
    run,
    requested: settings.requests,
    concurrency: settings.concurrency,
    alpha: settings.alpha,
  };
  return { tally, context };
}

async function count(options: CountOptions, io: Io): Promise<ExitCode> {
  const settings = sampleOf(options);
  const expected = resolveExpected({
    flag: options.expect,
    env: io.env,
    cwd: io.cwd,
    outputsFile: options.outputsFile,
    manifestsFile: options.manifests ?? defaultRouteFile(io.env),
  });
  const { tally, context } = await sampleTarget(options, settings, io);
  const summary = summarizeCount(tally, {
    ...context,
    expected: expected.value,
    expectedSource: expected.source,
  });
  return emit(summary, countText, options.json, io);
}

async function pods(options: PodsOptions, io: Io): Promise<ExitCode> {
  if (!(SHOPFRONT_VERSIONS as readonly string[]).includes(options.version)) {
    throw invalid("--version", options.version, `one of ${SHOPFRONT_VERSIONS.join(", ")}`);
  }
  const settings = sampleOf(options);
  const manifests = options.manifests ?? defaultRouteFile(io.env);
  const replicas =
    options.replicas !== undefined
      ? { count: wholeNumber("--replicas", options.replicas, 1, 1000), source: "--replicas" }
      : fromManifests(
          replicasFromManifests(path.resolve(io.cwd, manifests), options.version, manifests),
          path.dirname(manifests),
        );
  const { tally, context } = await sampleTarget(options, settings, io);
  const summary = summarizePods(tally, { ...context, version: options.version, replicas });
  return emit(summary, podsText, options.json, io);
}

function fromManifests(count: number | undefined, directory: string) {
  return count === undefined ? undefined : { count, source: `the Deployments in ${directory}/` };
}

async function load(options: LoadOptions, io: Io): Promise<ExitCode> {
  const rate = decimal(
    "--rate",
    options.rate,
    "a rate from 0.1 to 1000 requests/s, such as 2",
    (n) => n >= 0.1 && n <= 1000,
  );
  const durationMs = duration("--duration", options.duration, "24h");
  const planned = Math.max(1, Math.round((rate * durationMs) / 1000));
  // The run keeps every latency for its percentiles: bounded like --requests, so memory is too.
  if (planned > MAX_REQUESTS) {
    throw new UsageError(
      `--rate ${options.rate} for --duration ${options.duration} is ${planned} requests; a run sends at most ${MAX_REQUESTS}`,
    );
  }
  if (options.path !== undefined && !options.path.startsWith("/")) {
    throw invalid("--path", options.path, "a path starting with /, such as /miztiik-error-generator");
  }
  const { timeoutMs, maxErrorRate } = limitsOf(options);
  const url = urlOf(options, io);
  const tally = new Tally();
  const client = new HttpClient(url.value, { maxSockets: LOAD_MAX_SOCKETS, timeoutMs });
  const progress = io.stderrIsTTY ? new ProgressLine(io.stderr) : undefined;
  let run: RunResult;
  try {
    run = await runAtRate(client, {
      rate,
      durationMs,
      path: options.path,
      // The last request may start at the end of the duration and take its whole timeout.
      maxTimeMs: durationMs + timeoutMs + 1000,
      unreachableAfter: Math.min(planned, 3),
      onOutcome: (outcome) => tally.record(outcome),
      interrupt: io.interrupt,
      onTick: (elapsedMs) => {
        const statuses = [...tally.statuses].map(([status, n]) => `${status}: ${n}`).join(", ");
        const failures = tally.total - tally.responses;
        progress?.show(
          `${(elapsedMs / 1000).toFixed(0)}/${(durationMs / 1000).toFixed(0)} s, ${tally.total} done, ${statuses || "no responses"}, ${failures} failures`,
          true,
        );
      },
    });
  } finally {
    await client.close();
    progress?.done();
  }
  const summary = summarizeLoad(tally, {
    url: url.value,
    urlSource: url.source,
    maxErrorRate,
    run,
    path: options.path ?? url.value.pathname,
    rate,
    durationMs,
    planned,
    sentRate: run.sent > 1 && run.sendingMs > 0 ? ((run.sent - 1) * 1000) / run.sendingMs : rate,
  });
  return emit(summary, loadText, options.json, io);
}

function targetFlags(command: Command): Command {
  return command
    .option("--url <url>", "gateway URL or host name (default: GATEWAY_URL, else the istio-stack outputs)")
    .option(
      "--outputs-file <path>",
      "cdktf outputs file with the istio-stack (and shopfront-stack) outputs",
      DEFAULTS.outputsFile,
    )
    .option("--timeout <duration>", "bound on each request, such as 500ms or 5s", DEFAULTS.timeout)
    .option("--max-error-rate <percent>", "errors allowed, in percent of requests", DEFAULTS.maxErrorRate)
    .option("--json", "print one JSON object instead of the report");
}

function sampleFlags(command: Command): Command {
  return targetFlags(command)
    .option("-n, --requests <n>", "requests to send", DEFAULTS.requests)
    .option("-c, --concurrency <n>", "requests in flight at once", DEFAULTS.concurrency)
    .option("--max-time <duration>", "bound on the whole run", DEFAULTS.maxTime)
    .option("--alpha <p>", "significance level: below this p-value the check fails", DEFAULTS.alpha)
    .option(
      "--manifests <file>",
      "manifest with the shopfront's route (default: ROUTING_API's, manifests/routing-istio/shopfront-mesh.yaml or manifests/routing-gateway-api/shopfront-routes.yaml)",
    );
}

/** Runs the tool on `argv` (the arguments after the script name) and resolves to its exit code. */
export async function run(argv: readonly string[], io: Io): Promise<ExitCode> {
  let exitCode: ExitCode = 0;
  const program = new Command("traffic")
    .description("Checks the shopfront's traffic through the Istio ingress gateway.")
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  sampleFlags(
    program
      .command("count")
      .description("split of answers across versions, against the expected weights (chi-square)"),
  )
    .option(
      "--expect <weights>",
      "expected weights such as v1=50,v2=30,v3=15,v4=5 (default: the deployed route_weights in the outputs file, else SHOPFRONT_WEIGHTS, else the manifests)",
    )
    .action(async (options: CountOptions) => {
      exitCode = await count(options, io);
    });
  sampleFlags(
    program.command("pods").description("split of one version's answers across its pods (round robin)"),
  )
    .requiredOption("--version <vN>", `the version whose pods to check: ${SHOPFRONT_VERSIONS.join(", ")}`)
    .option("--replicas <n>", "pods the version runs (default: its Deployment in the manifests' folder)")
    .action(async (options: PodsOptions) => {
      exitCode = await pods(options, io);
    });
  targetFlags(
    program.command("load").description("steady load at a fixed rate, such as the walkthrough's 2/s"),
  )
    .option("--rate <r>", "requests per second", DEFAULTS.rate)
    .option("--duration <duration>", "how long to send, such as 60s or 5m", DEFAULTS.duration)
    .option("--path <path>", "path to request instead of the URL's, such as /miztiik-error-generator")
    .action(async (options: LoadOptions) => {
      exitCode = await load(options, io);
    });
  try {
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (error) {
    // Commander has already printed its own one-line error (or the help, which exits 0).
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof UsageError) {
      io.stderr(`error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

/**
 * A SIGINT this soon after the first is the same Ctrl-C, delivered twice (to the process group, and
 * again by a launcher such as npx that relays it), not a second press.
 */
const SECOND_CTRL_C_MS = 1000;

/** What `main` needs of the process; a test gives it a stand-in. */
export interface Host {
  readonly argv: readonly string[];
  readonly env: Env;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
  cwd(): string;
  on(event: "SIGINT", listener: () => void): unknown;
  once(event: "beforeExit", listener: () => void): unknown;
  exit(code: number): void;
  exitCode?: number | string | null;
}

/**
 * The process around `run`: Ctrl-C interrupts the run (a second one, a second later, ends the
 * process at once), and the exit code is the run's. A run that leaves Node nothing to wait for
 * before its report is a fault, never a success: the process then exits 2 with an `error:` line.
 */
export function main(host: Host = process, runner: typeof run = run): void {
  let env: Env;
  try {
    // The settings file's settings under the environment's, as every command of the project reads them.
    env = readSettings(host.env, host.cwd());
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    host.stderr.write(`error: ${error.message}\n`);
    host.exitCode = 2;
    return;
  }
  const interrupt = new AbortController();
  let interruptedAt = 0;
  host.on("SIGINT", () => {
    if (!interrupt.signal.aborted) {
      interruptedAt = performance.now();
      interrupt.abort();
    } else if (performance.now() - interruptedAt > SECOND_CTRL_C_MS) {
      host.exit(INTERRUPTED);
    }
  });
  host.exitCode = 2;
  host.once("beforeExit", () => {
    host.stderr.write("error: the run ended before its report (nothing left to wait for): no result\n");
    host.exit(2);
  });
  runner(host.argv.slice(2), {
    stdout: (text) => host.stdout.write(text),
    stderr: (text) => host.stderr.write(text),
    stderrIsTTY: host.stderr.isTTY === true,
    env,
    cwd: host.cwd(),
    interrupt: interrupt.signal,
  }).then(
    // Exit at once: the run is over, and nothing left behind may keep the process alive.
    (code) => host.exit(code),
    (error: unknown) => {
      host.stderr.write(
        `error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      host.exit(2);
    },
  );
}

if (require.main === module) main();
