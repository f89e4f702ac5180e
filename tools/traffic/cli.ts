/**
 * `npm run traffic -- <count|pods|load|mirror|auth>`: checks the mesh's traffic split through the
 * gateway, the round robin inside one version, the resilience policies (docs/resilience.md), puts
 * steady load on it, or checks its end-user authentication. Requests carry a bearer token from a file
 * when one is given. `run` is the whole program, with its input and output injected; only the entry
 * point at the bottom touches the process.
 *
 * Exit codes: 0 as expected; 1 a check failed (split, evenness, errors, rate, a policy,
 * authentication); 2 bad usage, the target cannot be reached, or the run could not measure; 130
 * interrupted by Ctrl-C.
 */
import path from "node:path";
import { Command } from "commander";
import { type Host, parseCommand, runProcess, UsageError } from "../command-line";
import { addFlags, readFlags } from "../declared-flags";
import { reportFolderProblem } from "../html-report/page";
import { authText, checkAuthentication, deployedAuthentication } from "./auth";
import { HttpClient } from "./engine/client";
import type { Outcome } from "./engine/outcome";
import { plannedRequests, type RunResult, runAtRate } from "./engine/runs";
import { type FlagValues, flagsOf, MAX_REQUESTS } from "./flags";
import { mirror } from "./mirror";
import { type Policies, resolvePolicies } from "./policies";
import { countText, loadText, ProgressLine, podsText } from "./report";
import { countReport, loadReport } from "./report-html";
import { ResilienceTally } from "./resilience";
import { summarizeResilience } from "./resilience-verdict";
import { emit, type Io, sample, urlOf } from "./sampling";
import { Tally } from "./tally";
import { defaultRouteFile, replicasFromManifests, resolveExpected } from "./targets";
import { authorizationHeaders, readToken } from "./token";
import { type ExitCode, INTERRUPTED, summarizeCount, summarizeLoad, summarizePods } from "./verdict";

export type { Host } from "../command-line";
export type { Io } from "./sampling";

/**
 * Sockets a `load` run may hold open: enough for 1000 requests/s at 250 ms each; a slower target
 * queues the rest, and their timeouts report it.
 */
const LOAD_MAX_SOCKETS = 256;

/** Commander's options: each flag as typed (a switch as true), or its default. */
type Given = Readonly<Record<string, string | boolean | undefined>>;

/** The bearer token of `--token-file` or TRAFFIC_TOKEN_FILE, read once the target is known. */
function tokenOf(flags: { tokenFile?: string }, io: Io) {
  return readToken({ flag: flags.tokenFile, env: io.env, cwd: io.cwd });
}

/** --report's folder is checked before the run, so that a long run does not end without its report. */
function assertReportFolder(report: string | undefined, io: Io): void {
  const problem = report === undefined ? undefined : reportFolderProblem(report, io.cwd);
  if (problem) throw new UsageError(problem);
}

/** The flags `count` and `pods` share. */
type SampleFlags = FlagValues<"count"> | FlagValues<"pods">;

/**
 * The target resolved and sampled, for `count` and `pods`: the tally, and what both commands'
 * summaries say about the run itself.
 */
async function sampleTarget(flags: SampleFlags, io: Io, also?: (outcome: Outcome) => void) {
  const url = urlOf(flags, io);
  const token = tokenOf(flags, io);
  const { tally, run } = await sample(url.value, flags, io, {
    also,
    headers: authorizationHeaders(token?.value),
  });
  const context = {
    url: url.value,
    urlSource: url.source,
    token: token?.source ?? null,
    maxErrorRate: flags.maxErrorRate,
    run,
    requested: flags.requests,
    concurrency: flags.concurrency,
    alpha: flags.alpha,
  };
  return { tally, context };
}

async function count(flags: FlagValues<"count">, io: Io): Promise<ExitCode> {
  assertReportFolder(flags.report, io);
  const expected = resolveExpected({
    flag: flags.expect,
    env: io.env,
    cwd: io.cwd,
    outputsFile: flags.outputsFile,
    manifestsFile: flags.manifests ?? defaultRouteFile(io.env),
  });
  const policies = policiesOf(flags, io);
  const resilience = new ResilienceTally({ delayMs: policies.faultDelay?.ms });
  const { tally, context } = await sampleTarget(flags, io, (outcome) => resilience.record(outcome));
  const summary = {
    ...summarizeCount(tally, {
      ...context,
      expected: expected.value,
      expectedSource: expected.source,
      resilience: summarizeResilience(resilience, policies, {
        alpha: flags.alpha,
        elapsedMs: context.run.elapsedMs,
      }),
    }),
    token: context.token,
  };
  return emit(summary, countText, flags.json, io, { file: flags.report, page: countReport });
}

async function pods(flags: FlagValues<"pods">, io: Io): Promise<ExitCode> {
  const manifests = flags.manifests ?? defaultRouteFile(io.env);
  const replicas =
    flags.replicas !== undefined
      ? { count: flags.replicas, source: "--replicas" }
      : replicasFromManifests(path.resolve(io.cwd, manifests), flags.version, manifests);
  const { tally, context } = await sampleTarget(flags, io);
  const summary = {
    ...summarizePods(tally, { ...context, version: flags.version, replicas }),
    token: context.token,
  };
  return emit(summary, podsText, flags.json, io);
}

/** The configured policies, from the settings and the route's manifest (`--manifests`, else ROUTING_API's). */
function policiesOf(flags: { manifests?: string; timeout: number }, io: Io): Policies {
  return resolvePolicies({
    env: io.env,
    cwd: io.cwd,
    manifestsFile: flags.manifests ?? defaultRouteFile(io.env),
    timeoutMs: flags.timeout,
  });
}

/** `given` holds the flags as typed, for the message that quotes them. */
async function load(flags: FlagValues<"load">, given: Given, io: Io): Promise<ExitCode> {
  const { rate, duration: durationMs, timeout: timeoutMs } = flags;
  const planned = plannedRequests(rate, durationMs);
  // The run keeps every latency for its percentiles: bounded like --requests, so memory is too.
  if (planned > MAX_REQUESTS) {
    throw new UsageError(
      `--rate ${given.rate} for --duration ${given.duration} is ${planned} requests; a run sends at most ${MAX_REQUESTS}`,
    );
  }
  assertReportFolder(flags.report, io);
  const policies = policiesOf(flags, io);
  const url = urlOf(flags, io);
  const token = tokenOf(flags, io);
  const tally = new Tally();
  const resilience = new ResilienceTally({ delayMs: policies.faultDelay?.ms });
  const client = new HttpClient(url.value, {
    maxSockets: LOAD_MAX_SOCKETS,
    timeoutMs,
    headers: authorizationHeaders(token?.value),
  });
  const progress = io.stderrIsTTY ? new ProgressLine(io.stderr) : undefined;
  let run: RunResult;
  try {
    run = await runAtRate(client, {
      rate,
      durationMs,
      path: flags.path,
      // The last request may start at the end of the duration and take its whole timeout.
      maxTimeMs: durationMs + timeoutMs + 1000,
      unreachableAfter: Math.min(planned, 3),
      onOutcome: (outcome) => {
        tally.record(outcome);
        resilience.record(outcome);
      },
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
  const summary = {
    ...summarizeLoad(tally, {
      url: url.value,
      urlSource: url.source,
      maxErrorRate: flags.maxErrorRate,
      run,
      path: flags.path ?? url.value.pathname,
      rate,
      durationMs,
      planned,
      sentRate: run.sent > 1 && run.sendingMs > 0 ? ((run.sent - 1) * 1000) / run.sendingMs : rate,
      resilience: summarizeResilience(resilience, policies, { alpha: flags.alpha, elapsedMs: run.elapsedMs }),
    }),
    token: token?.source ?? null,
  };
  return emit(summary, loadText, flags.json, io, { file: flags.report, page: loadReport });
}

async function auth(flags: FlagValues<"auth">, io: Io): Promise<ExitCode> {
  const authentication = deployedAuthentication(io.env);
  const url = urlOf(flags, io);
  const token = tokenOf(flags, io);
  if (token === undefined) {
    throw new UsageError(
      "auth sends the token you give it, from a file: pass --token-file <path> or set TRAFFIC_TOKEN_FILE (docs/security.md says how to get one)",
    );
  }
  const summary = await checkAuthentication({
    url: url.value,
    urlSource: url.source,
    token,
    authentication,
    requests: flags.requests,
    concurrency: flags.concurrency,
    timeoutMs: flags.timeout,
    interrupt: io.interrupt,
    now: Date.now(),
  });
  return emit(summary, authText, flags.json, io);
}

/** Runs the tool on `argv` (the arguments after the script name) and resolves to its exit code. */
export async function run(argv: readonly string[], io: Io): Promise<ExitCode> {
  let exitCode: ExitCode = 0;
  const program = new Command("traffic")
    .description("Checks the shopfront's traffic through the Istio ingress gateway.")
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  addFlags(
    program
      .command("count")
      .description("split of answers across versions, against the expected weights (chi-square)"),
    flagsOf("count"),
  ).action(async (given: Given) => {
    exitCode = await count(readFlags(flagsOf("count"), given), io);
  });
  addFlags(
    program.command("pods").description("split of one version's answers across its pods (round robin)"),
    flagsOf("pods"),
  ).action(async (given: Given) => {
    exitCode = await pods(readFlags(flagsOf("pods"), given), io);
  });
  addFlags(
    program.command("load").description("steady load at a fixed rate, such as the walkthrough's 2/s"),
    flagsOf("load"),
  ).action(async (given: Given) => {
    exitCode = await load(readFlags(flagsOf("load"), given), given, io);
  });
  addFlags(
    program
      .command("mirror")
      .description(
        "share of requests mirrored to a version, counted by Prometheus, against the configured one",
      ),
    flagsOf("mirror"),
  ).action(async (given: Given) => {
    exitCode = await mirror(readFlags(flagsOf("mirror"), given), io);
  });
  addFlags(
    program
      .command("auth")
      .description("the ingress's end-user authentication: no token, a malformed token, the given token"),
    flagsOf("auth"),
  ).action(async (given: Given) => {
    exitCode = await auth(readFlags(flagsOf("auth"), given), io);
  });
  return (await parseCommand(program, argv, io.stderr)) ?? exitCode;
}

/**
 * The process around `run` (runProcess): Ctrl-C interrupts the run (a second one, a second later,
 * ends the process at once), and the exit code is the run's.
 */
export function main(host: Host = process, runner: typeof run = run): void {
  const interrupt = new AbortController();
  runProcess(host, {
    name: "the run",
    ctrlC: [() => interrupt.abort(), () => host.exit(INTERRUPTED)],
    run: (argv, io) => runner(argv, { ...io, interrupt: interrupt.signal }),
  });
}

if (require.main === module) main();
