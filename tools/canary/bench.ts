/**
 * The canary's two speed bars, for `npm run bench` (tools/bench.ts calls `benchCanary`; alone:
 * `npm run bench:canary`):
 *
 * - judging: the CPU time to sort a step of 10,000 outcomes into target and baseline and judge it
 *   (every check), beyond sending the requests; the bar is 1 s;
 * - overhead: a whole canary as a user runs it (`node tools/canary/launch.js`, startup included),
 *   against a loopback gateway whose split follows the applied weights, steps of 10,000 requests,
 *   with an apply command that only records them: the wall time that is not applies, waits or requests, as a share of the
 *   process's wall time; the bar is 5%. Real applies (minutes each) make the share far smaller.
 */
import { spawn } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { timed } from "../traffic/bench";
import type { Outcome } from "../traffic/engine/outcome";
import { judge } from "./judge";
import { MIN_TARGET_RESPONSES } from "./power";
import { StepSample } from "./sample";
import type { CanarySummary } from "./summary";

const ROOT = path.resolve(__dirname, "..", "..");
const ROUNDS = 5;
/** Requests per step of the overhead run: the step size of the judging bar, and a run long enough that Node's startup is not most of it. */
const OVERHEAD_REQUESTS = 10_000;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** CPU seconds to record and judge a step of `requests` outcomes, median of ROUNDS. */
export function judgeCpuSeconds(requests = 10_000): number {
  const outcome = (i: number): Outcome => ({
    kind: "response",
    status: i % 200 === 0 ? 500 : 200,
    body: i % 4 === 0 ? "shopfront-v4-0:v4\n" : `shopfront-v${1 + (i % 3)}-0:v${1 + (i % 3)}\n`,
    oversized: false,
    latencyMs: 2 + ((i * 7919) % 1000) / 50,
  });
  const outcomes = Array.from({ length: requests }, (_, i) => outcome(i));
  const before = new StepSample("v4");
  for (let i = 0; i < requests; i++) before.record(outcome(i * 4 + 1));
  const options = { alpha: 0.01, maxErrorRate: 1, maxLatencyIncrease: 20, minAnswers: MIN_TARGET_RESPONSES };
  const rounds: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const started = process.cpuUsage();
    const step = new StepSample("v4");
    for (const each of outcomes) step.record(each);
    judge(step, before, options);
    const used = process.cpuUsage(started);
    rounds.push((used.user + used.system) / 1e6);
  }
  return median(rounds);
}

/** A gateway on 127.0.0.1 that splits by the weights last appended to `log` (smooth weighted round robin). */
async function gateway(log: string, initial: string): Promise<{ url: string; close: () => Promise<void> }> {
  let size = -1;
  let weights: [string, number][] = [];
  let current = new Map<string, number>();
  const read = (text: string) => {
    weights = text
      .split(",")
      .map((pair) => [pair.split("=")[0], Number(pair.split("=")[1])] as [string, number]);
    current = new Map(weights.map(([version]) => [version, 0]));
  };
  read(initial);
  const server = http.createServer((_request, response) => {
    const now = existsSync(log) ? statSync(log).size : -1;
    if (now !== size) {
      size = now;
      const lines = readFileSync(log, "utf8").trim().split("\n");
      read(lines[lines.length - 1]);
    }
    let best = "";
    for (const [version, weight] of weights) {
      if (weight === 0) continue;
      current.set(version, (current.get(version) ?? 0) + weight);
      if (best === "" || (current.get(version) ?? 0) > (current.get(best) ?? 0)) best = version;
    }
    current.set(best, (current.get(best) ?? 0) - 100);
    response.end(`shopfront-${best}-0:${best}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface Overhead {
  /** The process's wall time, seconds. */
  readonly wallSeconds: number;
  readonly applySeconds: number;
  readonly requestSeconds: number;
  /** Wall time that is neither applies, waits nor requests: startup, judging, output. */
  readonly ownSeconds: number;
  /** The same, from the rollout's start to its end: without Node's startup and the flags. */
  readonly ownInRunSeconds: number;
  /** CPU time of the canary process (user + system); undefined without /proc. */
  readonly cpuSeconds?: number;
}

/** Runs the canary's launcher in `cwd` to its end; its stdout. */
function canaryProcess(argv: readonly string[], cwd: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, "tools", "canary", "launch.js"), ...argv], {
      cwd,
      stdio: ["ignore", "pipe", "ignore"],
    });
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
    });
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`the canary exited ${code}`))));
  });
}

/** One whole canary run as a process, its time split as its --json summary and the clock say. */
export async function canaryOverhead(): Promise<Overhead> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "canary-bench-"));
  const log = path.join(dir, "applied.log");
  const start = "v1=50,v2=30,v3=20,v4=0";
  appendFileSync(path.join(dir, "settings.env"), `SHOPFRONT_WEIGHTS=${start}\n`);
  const gw = await gateway(log, start);
  try {
    const apply = `printf '%s\\n' "$SHOPFRONT_WEIGHTS" >> '${log}'`;
    const requests = String(OVERHEAD_REQUESTS);
    const argv = [
      "--to",
      "v4",
      "--url",
      gw.url,
      "-n",
      requests,
      "--settle",
      "0s",
      "--json",
      "--apply-command",
      apply,
    ];
    const { result, seconds, cpuSeconds } = await timed(() => canaryProcess(argv, dir));
    const { timing } = JSON.parse(result) as CanarySummary;
    const applySeconds = (timing.applyMs + timing.settleMs) / 1000;
    const requestSeconds = timing.requestMs / 1000;
    return {
      wallSeconds: seconds,
      applySeconds,
      requestSeconds,
      ownSeconds: seconds - applySeconds - requestSeconds,
      ownInRunSeconds: timing.elapsedMs / 1000 - applySeconds - requestSeconds,
      cpuSeconds,
    };
  } finally {
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The bench's lines for the canary. */
export async function benchCanary(): Promise<string[]> {
  const judging = judgeCpuSeconds();
  const runs: Overhead[] = [];
  for (let round = 0; round < 3; round++) runs.push(await canaryOverhead());
  const share = (o: Overhead) => o.ownSeconds / o.wallSeconds;
  const typical = [...runs].sort((a, b) => share(a) - share(b))[1];
  const s = (seconds: number) => `${seconds.toFixed(2)} s`;
  return [
    "",
    "canary (npm run canary):",
    `  judging a step of 10,000 requests: ${judging.toFixed(3)} s CPU (median of ${ROUNDS}), bar under 1 s: ${judging < 1 ? "met" : "MISSED"}`,
    `  a whole canary, 4 steps of ${OVERHEAD_REQUESTS} requests and the batch before, loopback gateway, apply that records the weights (median of 3):`,
    `    wall ${s(typical.wallSeconds)}: applies ${s(typical.applySeconds)}, requests ${s(typical.requestSeconds)}, its own ${s(typical.ownSeconds)} (startup, judging, output)`,
    `    its own share ${(100 * share(typical)).toFixed(1)}%, bar under 5%: ${share(typical) < 0.05 ? "met" : "MISSED"}`,
    `    from the rollout's start (without Node's startup): its own ${s(typical.ownInRunSeconds)}, ${(100 * (typical.ownInRunSeconds / typical.wallSeconds)).toFixed(1)}%`,
    `    the canary process's CPU: ${typical.cpuSeconds === undefined ? "n/a" : s(typical.cpuSeconds)}; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`,
  ];
}

if (require.main === module) {
  benchCanary().then(
    (lines) => process.stdout.write(`${lines.join("\n")}\n`),
    (error) => {
      process.stderr.write(`${error instanceof Error ? error.message : error}\n`);
      process.exit(1);
    },
  );
}
