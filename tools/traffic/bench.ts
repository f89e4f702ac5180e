/**
 * Throughput of the traffic tool's request engine (the code path of `count`) beside autocannon's, on
 * the same local server at the same concurrency, in one run. `npm run bench` (tools/bench.ts) calls
 * `benchTraffic`; run this file alone with `npx tsx tools/traffic/bench.ts`.
 *
 * Fairness: the server runs in a worker thread, as the gateway runs elsewhere, so that it does not
 * take the event loop from the client being measured; both clients and the server are warmed up
 * first; then the two take turns and each keeps its best round, so that a burst of other work on the
 * machine does not decide the ratio.
 */
import { Worker } from "node:worker_threads";
import { HttpClient, runBatch } from "./http";
import { Tally } from "./tally";

export interface TrafficBench {
  /** Answers per second of the tool's engine (best round). */
  readonly toolRps: number;
  /** Responses per second of autocannon (best round). */
  readonly autocannonRps: number;
  /** toolRps / autocannonRps; the target is at least 0.5. */
  readonly ratio: number;
  readonly concurrency: number;
  /** Requests each of the two sent in one measured round. */
  readonly requests: number;
}

interface AutocannonInstance {
  on(event: "response", listener: () => void): void;
  on(event: "done", listener: (result: AutocannonResult) => void): void;
}
interface AutocannonResult {
  requests: { total: number };
  errors: number;
  non2xx: number;
}
type Autocannon = (
  options: { url: string; connections: number; amount: number; sampleInt: number },
  callback: () => void,
) => AutocannonInstance;

// autocannon ships no types and is a CommonJS module with a callable export.
const autocannon = require("autocannon") as Autocannon;

/** The shopfront pod's answer, from a thread of its own. */
const SERVER = `
  const http = require("node:http");
  const { parentPort } = require("node:worker_threads");
  const server = http.createServer((request, response) => response.end("bench-pod:v1\\n"));
  server.listen(0, "127.0.0.1", () => parentPort.postMessage(server.address().port));
`;

async function toolRound(url: URL, requests: number, concurrency: number): Promise<number> {
  const tally = new Tally();
  const client = new HttpClient(url, { maxSockets: concurrency, timeoutMs: 5000 });
  const started = performance.now();
  let seconds: number;
  try {
    await runBatch(client, {
      requests,
      concurrency,
      maxTimeMs: 120_000,
      unreachableAfter: concurrency,
      onOutcome: (outcome) => tally.record(outcome),
    });
    // Timed to the last answer, as autocannon is: closing the connections is not part of the rate.
    seconds = (performance.now() - started) / 1000;
  } finally {
    await client.close();
  }
  if (tally.answers !== requests) throw new Error(`the tool got ${tally.answers} answers of ${requests}`);
  return requests / seconds;
}

async function autocannonRound(url: URL, requests: number, concurrency: number): Promise<number> {
  const started = performance.now();
  let lastResponse = started;
  // autocannon reports "done" on its next sampling tick (every second by default), not when the last
  // response came: timing to "done" would understate its rate. A short tick makes the wait short too.
  const instance = autocannon(
    { url: url.href, connections: concurrency, amount: requests, sampleInt: 100 },
    () => {},
  );
  instance.on("response", () => {
    lastResponse = performance.now();
  });
  const result = await new Promise<AutocannonResult>((resolve) => instance.on("done", resolve));
  const answered = result.requests.total - result.errors - result.non2xx;
  if (answered !== requests) throw new Error(`autocannon got ${answered} answers of ${requests}`);
  return answered / ((lastResponse - started) / 1000);
}

export interface BenchOptions {
  /** Requests in each measured round (default 20000). */
  readonly requests?: number;
  /** Connections of both clients (default 16). */
  readonly concurrency?: number;
  /** Measured rounds per client, after one warm-up round of half the requests (default 3). */
  readonly rounds?: number;
}

export async function benchTraffic(options: BenchOptions = {}): Promise<TrafficBench> {
  const requests = options.requests ?? 20_000;
  const concurrency = options.concurrency ?? 16;
  const rounds = options.rounds ?? 3;
  const server = new Worker(SERVER, { eval: true });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      server.once("message", resolve);
      server.once("error", reject);
    });
    const url = new URL(`http://127.0.0.1:${port}/`);
    await toolRound(url, Math.ceil(requests / 2), concurrency);
    await autocannonRound(url, Math.ceil(requests / 2), concurrency);
    let toolRps = 0;
    let autocannonRps = 0;
    for (let round = 0; round < rounds; round++) {
      toolRps = Math.max(toolRps, await toolRound(url, requests, concurrency));
      autocannonRps = Math.max(autocannonRps, await autocannonRound(url, requests, concurrency));
    }
    return { toolRps, autocannonRps, ratio: toolRps / autocannonRps, concurrency, requests };
  } finally {
    await server.terminate();
  }
}

if (require.main === module) {
  benchTraffic().then((bench) => {
    const rps = (value: number) => `${Math.round(value)} requests/s`;
    console.log(
      `traffic tool: ${rps(bench.toolRps)} (${bench.requests} requests, concurrency ${bench.concurrency})`,
    );
    console.log(`autocannon:   ${rps(bench.autocannonRps)}`);
    console.log(`ratio:        ${(bench.ratio * 100).toFixed(0)}% of autocannon (target: at least 50%)`);
  });
}
