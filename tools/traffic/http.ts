/**
 * The request engine: bounded GETs over a pool of keep-alive connections. Every request has its own
 * timeout, every run has an overall deadline, and a request never rejects: it ends as an Outcome,
 * so one bad answer cannot crash a run of thousands.
 *
 * It speaks HTTP/1.1 over node:net and node:tls itself (with response-parser.ts) rather than through
 * node:http, whose per-request machinery held this engine to 19-35% of autocannon's rate on the same
 * server, under the 50% the issue asks for; `npm run bench` measures it.
 */
import net from "node:net";
import tls from "node:tls";
import { type ParsedResponse, ProtocolError, ResponseParser } from "./response-parser";

/** What one request came to: an HTTP response (any status), or a failure before a full response. */
export type Outcome =
  | { readonly kind: "response"; readonly status: number; readonly body: string; readonly latencyMs: number }
  | { readonly kind: "failure"; readonly cause: string; readonly latencyMs: number };

/**
 * Shopfront bodies are one short line: a longer body is kept only up to here (and so cannot pass
 * for a `<pod>:<version>` answer), while the connection still reads it to the end.
 */
const MAX_BODY_BYTES = 4096;

function causeOf(error: unknown): string {
  if (error instanceof ProtocolError) return "bad response";
  // Node's happy-eyeballs connect (several addresses of one host) fails with an AggregateError
  // whose own code may be unset; the first attempt's code says why.
  const first = error instanceof AggregateError && error.errors.length > 0 ? error.errors[0] : error;
  const code = (first as NodeJS.ErrnoException | undefined)?.code ?? (error as NodeJS.ErrnoException).code;
  if (code) return code;
  return error instanceof Error ? error.message : String(error);
}

export interface ClientOptions {
  /** Connections kept open to the target; the concurrency of a run. */
  readonly maxSockets: number;
  /** Bound on one request, from the call (including a wait for a free connection) to its last byte. */
  readonly timeoutMs: number;
}

/** A request from the call to its outcome. */
interface Exchange {
  readonly head: Buffer;
  readonly started: number;
  readonly resolve: (outcome: Outcome) => void;
  timer?: NodeJS.Timeout;
  connection?: Connection;
  /** A request that failed on a reused connection before any byte came back is sent once more. */
  retried: boolean;
  settled: boolean;
}

/** One keep-alive connection, carrying one exchange at a time. */
interface Connection {
  readonly socket: net.Socket;
  readonly parser: ResponseParser;
  /** Exchanges it has carried: a connection that has carried one may have been closed by the server since. */
  used: number;
  exchange?: Exchange;
}

/** A keep-alive client for one target. `abortAll` ends every request in flight; `close` frees sockets. */
export class HttpClient {
  private readonly connections = new Set<Connection>();
  private readonly idle: Connection[] = [];
  private readonly queue: Exchange[] = [];
  /** The request head per path, built once. */
  private readonly heads = new Map<string | undefined, Buffer>();
  private readonly connectOptions: net.NetConnectOpts & tls.ConnectionOptions;
  private readonly secure: boolean;

  constructor(
    readonly url: URL,
    private readonly options: ClientOptions,
  ) {
    this.secure = url.protocol === "https:";
    // URL keeps an IPv6 literal in brackets; sockets want it bare.
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    const port = Number(url.port || (this.secure ? 443 : 80));
    // SNI takes a host name, never an IP address.
    const servername = net.isIP(host) === 0 ? host : undefined;
    this.connectOptions = { host, port, servername, noDelay: true };
  }

  private headFor(path: string | undefined): Buffer {
    let head = this.heads.get(path);
    if (!head) {
      const target = path === undefined ? this.url : new URL(path, this.url);
      head = Buffer.from(
        `GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\n` +
          "User-Agent: shopfront-traffic\r\nAccept: */*\r\n\r\n",
        "latin1",
      );
      this.heads.set(path, head);
    }
    return head;
  }

  /** GETs `path` (default: the URL's own path and query). Never rejects. */
  get(path?: string): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => {
      const exchange: Exchange = {
        head: this.headFor(path),
        started: performance.now(),
        resolve,
        retried: false,
        settled: false,
      };
      exchange.timer = setTimeout(() => this.fail(exchange, "timeout"), this.options.timeoutMs);
      this.queue.push(exchange);
      this.dispatch();
    });
  }

  /** Ends every request in flight or waiting; each resolves as a failure with `cause`. */
  abortAll(cause: string): void {
    for (const exchange of [...this.queue]) this.fail(exchange, cause);
    for (const connection of [...this.connections]) {
      if (connection.exchange) this.fail(connection.exchange, cause);
    }
  }

  close(): void {
    this.abortAll("closed");
    for (const connection of [...this.connections]) this.drop(connection);
  }

  /** Hands waiting requests to idle connections, opening new ones up to `maxSockets`. */
  private dispatch(): void {
    while (this.queue.length > 0) {
      let connection = this.idle.pop();
      if (!connection) {
        if (this.connections.size >= this.options.maxSockets) return;
        connection = this.open();
      }
      const exchange = this.queue.shift() as Exchange;
      exchange.connection = connection;
      connection.exchange = exchange;
      connection.used++;
      connection.parser.reset();
      connection.socket.write(exchange.head);
    }
  }

  private open(): Connection {
    const socket = this.secure ? tls.connect(this.connectOptions) : net.connect(this.connectOptions);
    const connection: Connection = { socket, parser: new ResponseParser(MAX_BODY_BYTES), used: 0 };
    this.connections.add(connection);
    socket.on("data", (chunk: Buffer) => {
      const exchange = connection.exchange;
      if (!exchange) {
        // Bytes nobody asked for: the connection is out of step with its requests.
        this.drop(connection);
        return;
      }
      let response: ParsedResponse | undefined;
      try {
        response = connection.parser.feed(chunk);
      } catch (error) {
        this.lost(connection, error);
        return;
      }
      if (response) this.answer(connection, exchange, response);
    });
    socket.on("end", () => {
      const response = connection.exchange && connection.parser.end();
      if (connection.exchange && response) this.answer(connection, connection.exchange, response);
      else this.lost(connection, Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }));
    });
    socket.on("error", (error) => this.lost(connection, error));
    socket.on("close", () =>
      this.lost(connection, Object.assign(new Error("socket closed"), { code: "ECONNRESET" })),
    );
    return connection;
  }

  private answer(connection: Connection, exchange: Exchange, response: ParsedResponse): void {
    connection.exchange = undefined;
    if (response.close) this.drop(connection);
    else this.idle.push(connection);
    this.settle(exchange, {
      kind: "response",
      status: response.status,
      body: response.body.toString("utf8"),
      latencyMs: performance.now() - exchange.started,
    });
    this.dispatch();
  }

  /** The connection failed or closed: its request, if any, fails (or goes once more on a fresh one). */
  private lost(connection: Connection, error: unknown): void {
    const exchange = connection.exchange;
    this.drop(connection);
    if (!exchange || exchange.settled) return;
    // The server may close an idle keep-alive connection just as a request goes out on it; a GET
    // that got no byte back is safe to send again, once.
    if (connection.used > 1 && !connection.parser.started && !exchange.retried) {
      exchange.retried = true;
      exchange.connection = undefined;
      this.queue.unshift(exchange);
    } else {
      this.settle(exchange, {
        kind: "failure",
        cause: causeOf(error),
        latencyMs: performance.now() - exchange.started,
      });
    }
    this.dispatch();
  }

  /** Ends a request as a failure; its connection, mid-exchange, cannot be reused. */
  private fail(exchange: Exchange, cause: string): void {
    if (exchange.settled) return;
    const waiting = this.queue.indexOf(exchange);
    if (waiting >= 0) this.queue.splice(waiting, 1);
    if (exchange.connection) this.drop(exchange.connection);
    this.settle(exchange, { kind: "failure", cause, latencyMs: performance.now() - exchange.started });
    this.dispatch();
  }

  private settle(exchange: Exchange, outcome: Outcome): void {
    if (exchange.settled) return;
    exchange.settled = true;
    clearTimeout(exchange.timer);
    exchange.resolve(outcome);
  }

  private drop(connection: Connection): void {
    if (!this.connections.delete(connection)) return;
    const idle = this.idle.indexOf(connection);
    if (idle >= 0) this.idle.splice(idle, 1);
    connection.exchange = undefined;
    connection.socket.destroy();
  }
}

/** Why a run stopped before sending everything it was asked to. */
export type StopReason = "max-time" | "unreachable";

export interface RunResult {
  /** Requests started. */
  readonly sent: number;
  /** From the start to the last request started: what the sending rate is measured over. */
  readonly sendingMs: number;
  readonly elapsedMs: number;
  readonly stopped?: StopReason;
}

interface RunBounds {
  /** Bound on the whole run; requests still in flight then end as `max-time` failures. */
  readonly maxTimeMs: number;
  /**
   * The target counts as unreachable, and the run stops, when this many requests have failed and
   * not one has had an HTTP response: a dead port or a wrong host should not cost the whole run.
   */
  readonly unreachableAfter: number;
  readonly onOutcome: (outcome: Outcome) => void;
}

/** Stops a run at its deadline, or when nothing but failures came back; shared by both run shapes. */
class RunGuard {
  stopped: StopReason | undefined;
  private responses = 0;
  private failures = 0;
  private readonly timer: NodeJS.Timeout;
  private settleReachability: () => void = () => {};
  /** Resolves at the first HTTP response, or when the run stops: until then, the target may be down. */
  readonly reachability = new Promise<void>((resolve) => {
    this.settleReachability = resolve;
  });

  constructor(
    private readonly client: HttpClient,
    private readonly bounds: RunBounds,
    private readonly onStop: () => void = () => {},
  ) {
    this.timer = setTimeout(() => this.stop("max-time"), bounds.maxTimeMs);
  }

  /** No HTTP response yet: a failure now may mean the target is down. */
  get unproven(): boolean {
    return this.responses === 0;
  }

  record(outcome: Outcome): void {
    if (outcome.kind === "response") {
      this.responses++;
      this.settleReachability();
    } else {
      this.failures++;
    }
    this.bounds.onOutcome(outcome);
    if (this.responses === 0 && this.failures >= this.bounds.unreachableAfter) this.stop("unreachable");
  }

  stop(reason: StopReason): void {
    if (this.stopped) return;
    this.stopped = reason;
    // Requests in flight when the target is found unreachable are ended by the run, not failed by the
    // target: they get a cause of their own, which the "cannot reach" message leaves out.
    this.client.abortAll(reason === "unreachable" ? "cancelled" : reason);
    this.settleReachability();
    this.onStop();
  }

  done(): void {
    clearTimeout(this.timer);
  }
}

export interface BatchOptions extends RunBounds {
  readonly requests: number;
  readonly concurrency: number;
}

/** Sends `requests` GETs, `concurrency` at a time, as fast as the target answers. */
export async function runBatch(client: HttpClient, options: BatchOptions): Promise<RunResult> {
  const started = performance.now();
  const guard = new RunGuard(client, options);
  let sent = 0;
  let lastSent = started;
  const worker = async () => {
    while (sent < options.requests && !guard.stopped) {
      sent++;
      lastSent = performance.now();
      const outcome = await client.get();
      guard.record(outcome);
      // Until something answers, a failed worker waits for the others: a dead target costs one
      // wave of `concurrency` requests, not more.
      if (outcome.kind === "failure" && guard.unproven) await guard.reachability;
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, options.requests) }, worker));
  guard.done();
  const now = performance.now();
  return { sent, sendingMs: lastSent - started, elapsedMs: now - started, stopped: guard.stopped };
}

export interface RateOptions extends RunBounds {
  /** Requests per second. */
  readonly rate: number;
  readonly durationMs: number;
  /** Path to request instead of the URL's own (the walkthrough's error generator). */
  readonly path?: string;
  /** Called about once a second while the run goes on, for a live progress line. */
  readonly onTick?: (elapsedMs: number) => void;
}

/**
 * Sends requests on a fixed schedule (request i at i/rate seconds), whether or not earlier ones have
 * answered, as the walkthrough's `while sleep 0.5; do wget ...` loop means to: a slow target does
 * not slow the load down.
 */
export function runAtRate(client: HttpClient, options: RateOptions): Promise<RunResult> {
  const started = performance.now();
  const total = Math.max(1, Math.round((options.rate * options.durationMs) / 1000));
  const intervalMs = 1000 / options.rate;
  let sent = 0;
  let lastSent = started;
  let pending = 0;
  return new Promise<RunResult>((resolve) => {
    let schedule: NodeJS.Timeout | undefined;
    const ticker = options.onTick
      ? setInterval(() => options.onTick?.(performance.now() - started), 1000)
      : undefined;
    const settle = () => {
      if (pending > 0 || (sent < total && !guard.stopped)) return;
      clearTimeout(schedule);
      clearInterval(ticker);
      guard.done();
      const now = performance.now();
      resolve({ sent, sendingMs: lastSent - started, elapsedMs: now - started, stopped: guard.stopped });
    };
    // A stop with nothing in flight (the deadline between two sends) must end the run too.
    const guard = new RunGuard(client, options, settle);
    const pump = () => {
      const now = performance.now();
      while (sent < total && !guard.stopped && started + sent * intervalMs <= now) {
        sent++;
        lastSent = now;
        pending++;
        client.get(options.path).then((outcome) => {
          pending--;
          guard.record(outcome);
          settle();
        });
      }
      if (sent < total && !guard.stopped) {
        schedule = setTimeout(pump, started + sent * intervalMs - performance.now());
      } else {
        settle();
      }
    };
    pump();
  });
}
