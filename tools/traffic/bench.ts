/**
 * The traffic tool beside autocannon, each as a whole process the way a user runs it (`node`
 * starting, loading and exiting included), on the same local server, in one run: `count` against
 * autocannon's fixed number of requests, `load` against autocannon's fixed rate. `npm run bench`
 * (tools/bench.ts) calls `benchTraffic`; alone: `npm run bench:traffic [-- --long]`.
 *
 * Fairness: the server runs in a worker thread of this process, so that neither client's CPU time
 * includes it; the two take turns, in alternating order, round after round, and each figure is the
 * median of the rounds, so that a burst of other work on a shared machine does not decide a ratio.
 * CPU time is the child's user + system time as the kernel counts it when the child is reaped
 * (/proc/self/stat's cutime and cstime): Linux only; elsewhere the CPU figures are missing.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { runCommand } from "../run-command";

const ROOT = path.resolve(__dirname, "..", "..");
const TOOL = path.join(ROOT, "tools", "traffic", "launch.js");
const AUTOCANNON = path.join(path.dirname(require.resolve("autocannon/package.json")), "autocannon.js");

export interface BenchOptions {
  /** Requests of one `count` round, for each client. */
  readonly requests: number;
  /** Connections of both clients. */
  readonly concurrency: number;
  /** Rounds of each measurement; each figure is their median. */
  readonly rounds: number;
  /** Requests per second of the `load` rounds. */
  readonly rate: number;
  /** Seconds of one `load` round. */
  readonly loadSeconds: number;
}

/** `npm run bench`: about 30 seconds on a busy 2-core machine. */
export const QUICK: BenchOptions = {
  requests: 10_000,
  concurrency: 16,
  rounds: 5,
  rate: 1000,
  loadSeconds: 1,
};
/** `npm run bench -- --long`: longer runs, so that startup weighs less, and more rounds. */
export const LONG: BenchOptions = {
  requests: 100_000,
  concurrency: 16,
  rounds: 9,
  rate: 1000,
  loadSeconds: 10,
};

/** One client's figures for one kind of run: medians over the rounds. */
export interface ClientFigures {
  /** Requests answered per second of the whole process's wall time. */
  readonly rps: number;
  /** CPU seconds (user + system) of the whole process per 1000 requests; undefined without /proc. */
  readonly cpuPer1000?: number;
}

export interface TrafficBench {
  readonly options: BenchOptions;
  readonly count: { readonly tool: ClientFigures; readonly autocannon: ClientFigures };
  readonly load: { readonly tool: ClientFigures; readonly autocannon: ClientFigures };
}

/** The shopfront pod's answer, from a thread of its own. */
const SERVER = `
  const http = require("node:http");
  const { parentPort } = require("node:worker_threads");
  const server = http.createServer((request, response) => response.end("bench-pod:v1\\n"));
  server.listen(0, "127.0.0.1", () => parentPort.postMessage(server.address().port));
`;

/** CPU seconds of this process's reaped children so far; undefined where /proc is missing. */
function childrenCpuSeconds(): number | undefined {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    // Fields after the command name (which may hold spaces); cutime and cstime are fields 16 and 17.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Linux counts them in clock ticks of USER_HZ, 100 a second on every architecture Node runs on.
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return undefined;
  }
}

/** A run's wall time, and the CPU time (user + system) of the child processes that ended during it. */
export interface Timed<T> {
  readonly result: T;
  readonly seconds: number;
  /** Undefined where /proc is missing. */
  readonly cpuSeconds?: number;
}

/** Times `run`, which must run its commands one at a time: any child reaped meanwhile counts. */
export async function timed<T>(run: () => Promise<T>): Promise<Timed<T>> {
  const cpuBefore = childrenCpuSeconds();
  const started = performance.now();
  const result = await run();
  const seconds = (performance.now() - started) / 1000;
  const cpuAfter = childrenCpuSeconds();
  const cpuSeconds = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
  return { result, seconds, cpuSeconds };
}

interface Measured {
  readonly stdout: string;
  readonly seconds: number;
  readonly cpuSeconds?: number;
}

/** Runs `node ...args` to its end; fails unless it exits with 0. One at a time, for the CPU count. */
async function measure(args: readonly string[]): Promise<Measured> {
  const { result, seconds, cpuSeconds } = await timed(() =>
    runCommand(process.execPath, args, { cwd: ROOT }),
  );
  if (result.kind !== "exited" || result.code !== 0) {
    const why = result.kind === "exited" ? `exited with ${result.code}` : result.message;
    const stderr = result.kind === "not started" ? "" : result.stderr.slice(-2000);
    throw new Error(`node ${args.join(" ")} ${why}: ${stderr}`);
  }
  return { stdout: result.stdout, seconds, cpuSeconds };
}

interface Round {
  readonly requests: number;
  readonly seconds: number;
  readonly cpuSeconds?: number;
}

async function toolCount(url: string, options: BenchOptions): Promise<Round> {
  const { requests, concurrency } = options;
  const run = await measure([
    ...[TOOL, "count", "--url", url, "-n", String(requests), "-c", String(concurrency)],
    ...["--expect", "v1=100", "--json"],
  ]);
  const summary = JSON.parse(run.stdout) as { versions: Record<string, number> };
  if (summary.versions.v1 !== requests)
    throw new Error(`the tool got ${summary.versions.v1} answers of ${requests}`);
  return { requests, ...run };
}

async function toolLoad(url: string, options: BenchOptions): Promise<Round> {
  const run = await measure([
    ...[TOOL, "load", "--url", url, "--rate", String(options.rate), "--duration", `${options.loadSeconds}s`],
    "--json",
  ]);
  const summary = JSON.parse(run.stdout) as { statuses: Record<string, number> };
  return { requests: summary.statuses["200"] ?? 0, ...run };
}

interface AutocannonJson {
  readonly "2xx": number;
  readonly errors: number;
}

async function autocannon(url: string, flags: readonly string[]): Promise<Round> {
  // -L 100: autocannon ends on its next sampling tick, every second by default, which would cost
  // it up to a second of wall time that it does not spend sending.
  const run = await measure([AUTOCANNON, ...flags, "-L", "100", "-j", url]);
  const result = JSON.parse(run.stdout) as AutocannonJson;
  if (result.errors > 0) throw new Error(`autocannon had ${result.errors} errors`);
  return { requests: result["2xx"], ...run };
}

const autocannonCount = (url: string, options: BenchOptions) =>
  autocannon(url, ["-c", String(options.concurrency), "-a", String(options.requests)]);
const autocannonLoad = (url: string, options: BenchOptions) =>
  autocannon(url, [
    "-c",
    String(options.concurrency),
    "-R",
    String(options.rate),
    "-d",
    String(options.loadSeconds),
  ]);

/** The middle value; for an even count, the mean of the two middle values. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function figures(rounds: readonly Round[]): ClientFigures {
  const cpu = rounds.map((r) => r.cpuSeconds);
  return {
    rps: median(rounds.map((r) => r.requests / r.seconds)),
    cpuPer1000: cpu.every((c) => c !== undefined)
      ? median(rounds.map((r) => ((r.cpuSeconds as number) * 1000) / r.requests))
      : undefined,
  };
}

/** The two clients in turn, the first of a pair alternating round by round. */
async function alternate(
  rounds: number,
  ours: () => Promise<Round>,
  theirs: () => Promise<Round>,
): Promise<{ tool: ClientFigures; autocannon: ClientFigures }> {
  const tool: Round[] = [];
  const other: Round[] = [];
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      tool.push(await ours());
      other.push(await theirs());
    } else {
      other.push(await theirs());
      tool.push(await ours());
    }
  }
  return { tool: figures(tool), autocannon: figures(other) };
}

export async function benchTraffic(options: BenchOptions = QUICK): Promise<TrafficBench> {
  const server = new Worker(SERVER, { eval: true });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      server.once("message", resolve);
      server.once("error", reject);
    });
    const url = `http://127.0.0.1:${port}/`;
    // Warm-up: the server's JIT, and the tool's build when its sources changed.
    const warmUp = { ...options, requests: Math.min(options.requests, 2000) };
    await toolCount(url, warmUp);
    await autocannonCount(url, warmUp);
    const count = await alternate(
      options.rounds,
      () => toolCount(url, options),
      () => autocannonCount(url, options),
    );
    const load = await alternate(
      options.rounds,
      () => toolLoad(url, options),
      () => autocannonLoad(url, options),
    );
    return { options, count, load };
  } finally {
    await server.terminate();
  }
}

/** The targets of issue 9, as ratios of the tool to autocannon. */
const TARGETS = { countRps: 0.9, countCpu: 1.3, loadCpu: 1.5 } as const;

/** The figures and the targets, as `npm run bench` prints them. */
export function benchLines(bench: TrafficBench): string[] {
  const { options, count, load } = bench;
  const rps = (f: ClientFigures) => `${Math.round(f.rps)} req/s`;
  const cpu = (f: ClientFigures) => (f.cpuPer1000 === undefined ? "n/a" : `${f.cpuPer1000.toFixed(3)} CPU s`);
  const ratio = (ours?: number, theirs?: number) =>
    ours === undefined || theirs === undefined ? undefined : ours / theirs;
  const verdict = (value: number | undefined, ok: (v: number) => boolean) =>
    value === undefined ? "n/a" : `${value.toFixed(2)} ${ok(value) ? "met" : "MISSED"}`;
  const countRps = count.tool.rps / count.autocannon.rps;
  const countCpu = ratio(count.tool.cpuPer1000, count.autocannon.cpuPer1000);
  const loadCpu = ratio(load.tool.cpuPer1000, load.autocannon.cpuPer1000);
  const row = (name: string, ours: string, theirs: string) =>
    `  ${name.padEnd(34)} ${ours.padStart(16)} ${theirs.padStart(16)}`;
  return [
    `traffic tool beside autocannon (whole processes, ${options.concurrency} connections, median of ${options.rounds} alternating rounds, Node ${process.versions.node}):`,
    row("", "traffic tool", "autocannon"),
    row(`count, ${options.requests} requests: rate`, rps(count.tool), rps(count.autocannon)),
    row("  CPU per 1000 requests", cpu(count.tool), cpu(count.autocannon)),
    row(
      `load, ${options.rate}/s for ${options.loadSeconds} s: CPU per 1000`,
      cpu(load.tool),
      cpu(load.autocannon),
    ),
    "targets:",
    `  count at least ${TARGETS.countRps} of autocannon's req/s: ${verdict(countRps, (v) => v >= TARGETS.countRps)}`,
    `  count CPU per request at most ${TARGETS.countCpu}x autocannon's: ${verdict(countCpu, (v) => v <= TARGETS.countCpu)}`,
    `  load CPU at most ${TARGETS.loadCpu}x autocannon's: ${verdict(loadCpu, (v) => v <= TARGETS.loadCpu)}`,
  ];
}

if (require.main === module) {
  benchTraffic(process.argv.includes("--long") ? LONG : QUICK).then(
    (bench) => process.stdout.write(`${benchLines(bench).join("\n")}\n`),
    (error: unknown) => {
      process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
