/**
 * A shopfront mesh in miniature on 127.0.0.1: pod servers answering `<hostname>:<version>`, and a
 * router (the ingress gateway) that picks a version by weight and a pod of it by round robin, then
 * proxies to that pod. Plus the broken targets the tool must survive.
 */
import { type ChildProcess, spawn } from "node:child_process";
import http from "node:http";
import net, { type AddressInfo } from "node:net";

export interface Pod {
  readonly hostname: string;
  readonly version: string;
  readonly port: number;
}

/** Everything a test started, to close in afterAll. */
const servers: (http.Server | net.Server)[] = [];
/** Server processes a test started, to end in afterAll if they are still running. */
const processes: ChildProcess[] = [];

/**
 * Listens on a free port of 127.0.0.1; resolves to the port. Every stand-in server listens so: an
 * HTTP server never closes an idle keep-alive connection itself, since the proxies in front of it
 * (the router, the edge and JWT gateways) reuse theirs and a close racing a reuse would answer 502.
 * Whoever started the server closes it, and its connections, when the test ends.
 */
export async function listenOnLoopback(server: http.Server | net.Server): Promise<number> {
  if (server instanceof http.Server) server.keepAliveTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

/** listenOnLoopback until closeAll, which closes the server and its connections. */
export async function listen(server: http.Server | net.Server): Promise<number> {
  servers.push(server);
  return listenOnLoopback(server);
}

export async function closeAll(): Promise<void> {
  for (const child of processes.splice(0)) if (child.exitCode === null) child.kill();
  const closing = servers.splice(0).map(
    (server) =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        if (server instanceof http.Server) server.closeAllConnections();
      }),
  );
  await Promise.all(closing);
}

/**
 * Pods named as Kubernetes names a Deployment's pods (`shopfront-v2-5d8f7c9b6-0`); like httpd, they
 * answer 404 to any path but `/`, such as the walkthrough's `/miztiik-error-generator`.
 */
export async function startPods(replicas: Readonly<Record<string, number>>): Promise<Pod[]> {
  const pods: Pod[] = [];
  for (const [version, count] of Object.entries(replicas)) {
    for (let i = 0; i < count; i++) {
      const hostname = `shopfront-${version}-5d8f7c9b6-${i}`;
      const port = await listen(
        http.createServer((request, response) => {
          if (request.url === "/") response.end(`${hostname}:${version}\n`);
          else response.writeHead(404).end("<h1>Not Found</h1>");
        }),
      );
      pods.push({ hostname, version, port });
    }
  }
  return pods;
}

/**
 * Smooth weighted round robin (nginx's): deterministic, and every 100 picks follow percent weights
 * exactly, so a test of a fair router cannot fail by bad luck.
 */
export function weightedPicker(weights: Readonly<Record<string, number>>): () => string {
  const entries = Object.entries(weights).filter(([, weight]) => weight > 0);
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  const current = new Map(entries.map(([name]) => [name, 0]));
  return () => {
    let best = entries[0][0];
    for (const [name, weight] of entries) {
      current.set(name, (current.get(name) ?? 0) + weight);
      if ((current.get(name) ?? 0) > (current.get(best) ?? 0)) best = name;
    }
    current.set(best, (current.get(best) ?? 0) - total);
    return best;
  };
}

/**
 * Picks by the weights at random, as Envoy's weighted clusters do, from a generator seeded with
 * `seed` (mulberry32): a real gateway's spread around the weights, the same on every run.
 */
export function randomPicker(weights: Readonly<Record<string, number>>, seed: number): () => string {
  const entries = Object.entries(weights).filter(([, weight]) => weight > 0);
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => {
    let point = random() * total;
    for (const [name, weight] of entries) {
      point -= weight;
      if (point < 0) return name;
    }
    return entries[entries.length - 1][0];
  };
}

export interface RouterOptions {
  readonly weights: Readonly<Record<string, number>>;
  /** Pick versions at random from this seed (randomPicker) instead of by smooth round robin. */
  readonly seed?: number;
  /** `round-robin` (DestinationRule ROUND_ROBIN), or `first`: every request to the version's first pod. */
  readonly podPolicy?: "round-robin" | "first";
}

/** The gateway: picks a version by weight and a pod by the policy, and proxies the request there. */
export async function startRouter(pods: readonly Pod[], options: RouterOptions): Promise<string> {
  const pickVersion =
    options.seed === undefined
      ? weightedPicker(options.weights)
      : randomPicker(options.weights, options.seed);
  const next = new Map<string, number>();
  const agent = new http.Agent({ keepAlive: true });
  const port = await listen(
    http.createServer((request, response) => {
      const version = pickVersion();
      const candidates = pods.filter((pod) => pod.version === version);
      const index = options.podPolicy === "first" ? 0 : (next.get(version) ?? 0) % candidates.length;
      next.set(version, index + 1);
      const pod = candidates[index];
      const upstream = http.get({ host: "127.0.0.1", port: pod.port, path: request.url, agent }, (answer) => {
        response.writeHead(answer.statusCode ?? 502, { "content-type": "text/plain" });
        answer.pipe(response);
      });
      upstream.on("error", () => response.writeHead(502).end("upstream error"));
    }),
  );
  return `http://127.0.0.1:${port}/`;
}

/** A server answering every request with `status` and `body`. */
export async function startFixedServer(body: string, status = 200): Promise<string> {
  const port = await listen(http.createServer((_request, response) => response.writeHead(status).end(body)));
  return `http://127.0.0.1:${port}/`;
}

/** A server that accepts requests and never answers. */
export async function startSilentServer(): Promise<string> {
  const port = await listen(http.createServer(() => {}));
  return `http://127.0.0.1:${port}/`;
}

/**
 * A TCP server that accepts each connection and closes it at once, before any byte: what a
 * `kubectl port-forward` to a dead pod, or a load balancer with no healthy target, looks like.
 */
export async function startClosingServer(): Promise<string> {
  const port = await listen(net.createServer((socket) => socket.destroy()));
  return `http://127.0.0.1:${port}/`;
}

/**
 * A shopfront pod answering `body` on every connection but its first `dropped`, which it accepts and
 * closes at once: a healthy mesh whose first connections drop.
 */
export async function startDroppingServer(dropped: number, body: string): Promise<string> {
  let connections = 0;
  const server = http.createServer((_request, response) => response.end(body));
  server.prependListener("connection", (socket: net.Socket) => {
    if (connections++ < dropped) socket.destroy();
  });
  const port = await listen(server);
  return `http://127.0.0.1:${port}/`;
}

/**
 * How a pod dies mid-run: `exit` stops listening and drops every connection, as a pod whose
 * process exits does (new connections are refused); `reset` keeps listening but drops every
 * connection, open or new, as a proxy with no live upstream may.
 */
export type Death = "exit" | "reset";

/**
 * A shopfront pod that answers its first `answers` requests with `body`, then dies: the server that
 * exits after answering 200 of 800 requests, in this process so that a test can count its answers.
 */
export async function startDyingServer(
  answers: number,
  body: string,
  death: Death = "exit",
): Promise<{ url: string; answered: () => number }> {
  let answered = 0;
  let dead = false;
  const server = http.createServer((_request, response) => {
    if (dead) {
      response.socket?.destroy();
      return;
    }
    response.end(body);
    if (++answered < answers) return;
    dead = true;
    // Once the last answer has left: what was sent stays answered, what was in flight is cut.
    response.once("finish", () => {
      if (death === "exit") server.close();
      server.closeAllConnections();
    });
  });
  server.prependListener("connection", (socket: net.Socket) => {
    if (dead) socket.destroy();
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}/`, answered: () => answered };
}

/** The pod of startExitingProcess: prints its port, answers `argv[1]` requests with `argv[2]`, exits. */
const EXITING_POD = `
const answers = Number(process.argv[1]);
let answered = 0;
const server = require("node:http").createServer((request, response) => {
  response.end(process.argv[2]);
  if (++answered === answers) response.once("finish", () => process.exit(0));
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
`;

/**
 * A shopfront pod in a process of its own that exits once it has answered `answers` requests: its
 * sockets are closed by the kernel, as when the pod's container dies.
 */
export async function startExitingProcess(answers: number, body: string): Promise<string> {
  const child = spawn(process.execPath, ["-e", EXITING_POD, String(answers), body], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  processes.push(child);
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout?.once("data", (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once("exit", (code) => reject(new Error(`the pod process exited with ${code} before listening`)));
  });
  return `http://127.0.0.1:${port}/`;
}

/**
 * Runs `fn` once at least `ms` have passed by the monotonic clock, as a slow server answers. A bare
 * `setTimeout` can fire up to a millisecond early by that clock (libuv counts from the event loop's
 * cached time), so a client could measure 299.97 ms for a 300 ms delay (seen in CI). The timer does
 * not keep the process running (`standInTimer`).
 */
export function afterAtLeast(ms: number, fn: () => void): void {
  const due = performance.now() + ms;
  const check = () => {
    const left = due - performance.now();
    if (left > 0) standInTimer(check, Math.ceil(left));
    else fn();
  };
  standInTimer(check, ms);
}

/**
 * A stand-in's timer (a delay, a route's timeout, a retry's back-off), which never keeps the process
 * running on its own: while a client waits for the answer its socket does, and once the test closed
 * the servers nobody waits, but a held timer could keep a jest worker alive for its delay after the
 * last test file ended, past the 500 ms jest allows before it forces the worker to exit.
 */
export function standInTimer(fn: () => void, ms: number): NodeJS.Timeout {
  return setTimeout(fn, ms).unref();
}

/** A pod answering `body` after `delayMs`: a run against it takes a while, long enough to interrupt. */
export async function startSlowServer(body: string, delayMs: number): Promise<string> {
  const port = await listen(
    http.createServer((_request, response) => {
      afterAtLeast(delayMs, () => response.end(body));
    }),
  );
  return `http://127.0.0.1:${port}/`;
}

/**
 * A port where nothing listens, and where no test server can start later: one below 1024, outside
 * the ephemeral range that port-0 servers (these tests', in every jest worker) are given. A port
 * merely bound and closed can be handed to the next server, which then answers, or never does.
 */
export async function deadPort(): Promise<number> {
  for (let port = 1; port < 1024; port++) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(false);
      });
      socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED"));
    });
    if (refused) return port;
  }
  throw new Error("every port below 1024 on 127.0.0.1 is in use");
}

/** The walkthrough's mesh: 3 pods of v1, 2 of v2, 1 each of v3 and v4. */
export const WALKTHROUGH_REPLICAS = { v1: 3, v2: 2, v3: 1, v4: 1 } as const;
export const WALKTHROUGH_WEIGHTS = { v1: 50, v2: 30, v3: 15, v4: 5 } as const;
