/**
 * The request engine: bounded GETs over a pool of keep-alive connections. Every request has its own
 * timeout, every run has an overall deadline, and a request never rejects: it ends as an Outcome,
 * so one bad answer cannot crash a run of thousands.
 *
 * The HTTP/1.1 client is undici (the client Node's own fetch is built on): one undici `Client` per
 * connection, up to `--concurrency` of them, one request at a time on each. The engine hands a
 * request to a connection itself, in the callback of the response before it, rather than through a
 * `Pool`, whose queue and drain events cost two event-loop turns per request and about a fifth of
 * the rate here. Requests go through `dispatch()` with a small handler rather than `request()`,
 * whose response stream per request cost about 30% of the rate; `npm run bench` measures the engine
 * against autocannon.
 */
import { Client, type Dispatcher } from "undici";

/** What one request came to: an HTTP response (any status), or a failure before a full response. */
export type Outcome =
  | {
      readonly kind: "response";
      readonly status: number;
      /** The body, or its first MAX_BODY_BYTES when `oversized`. */
      readonly body: string;
      /** The body ran past MAX_BODY_BYTES: not a shopfront answer, whatever its first bytes say. */
      readonly oversized: boolean;
      readonly latencyMs: number;
    }
  | { readonly kind: "failure"; readonly cause: string; readonly latencyMs: number };

/**
 * Shopfront bodies are one short line: a response whose body runs past this is not an answer, and
 * is not read further (its connection is closed), so that a huge or endless body costs nothing.
 */
export const MAX_BODY_BYTES = 4096;

/** undici's error codes, in the categories the reports count by. */
const UNDICI_CAUSES: Readonly<Record<string, string>> = {
  UND_ERR_CONNECT_TIMEOUT: "timeout",
  UND_ERR_HEADERS_TIMEOUT: "timeout",
  UND_ERR_BODY_TIMEOUT: "timeout",
  UND_ERR_HEADERS_OVERFLOW: "bad response",
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: "bad response",
  UND_ERR_DESTROYED: "closed",
  UND_ERR_CLOSED: "closed",
};

/** The category of a failure: `timeout`, `ECONNREFUSED`, `ECONNRESET`, `bad response`, ... */
export function causeOf(error: unknown): string {
  // Node's happy-eyeballs connect (several addresses of one host) fails with an AggregateError
  // whose own code may be unset; the first attempt's code says why.
  const first = error instanceof AggregateError && error.errors.length > 0 ? error.errors[0] : error;
  const code = (first as NodeJS.ErrnoException | undefined)?.code ?? (error as NodeJS.ErrnoException).code;
  // llhttp's parse errors: the answer is not HTTP/1.x. undici 8 leaves their code (HPE_...) unset.
  if (code?.startsWith("HPE_") || (error as Error | undefined)?.name === "HTTPParserError") {
    return "bad response";
  }
  if (code === "UND_ERR_SOCKET") {
    // undici's SocketError: the server closed the connection before the response was complete
    // ("other side closed", "closed"), or sent what no request asked for ("bad response": bytes on
    // an idle connection, or a 100 Continue to a GET).
    return /^bad /.test((error as Error).message) ? "bad response" : "ECONNRESET";
  }
  if (code) return UNDICI_CAUSES[code] ?? code;
  return error instanceof Error ? error.message : String(error);
}

/** A failure that may be the server closing a keep-alive connection just as the request went out. */
function dropped(cause: string): boolean {
  return cause === "ECONNRESET" || cause === "EPIPE";
}

export interface ClientOptions {
  /** Connections kept open to the target; the concurrency of a run. */
  readonly maxSockets: number;
  /** Bound on one request, from the call (including a wait for a free connection) to its last byte. */
  readonly timeoutMs: number;
}

const EMPTY = Buffer.alloc(0);

/** Ends a request on its connection: undici wants an Error as the reason. */
const ENDED = new Error("ended by the traffic tool");

/** One request from the call to its outcome, and undici's handler of its response. */
class Exchange implements Dispatcher.DispatchHandler {
  private readonly started = performance.now();
  /** When the client's sweep fails it as a `timeout`. */
  readonly deadline: number;
  /** The request on its connection; set once undici has given it one. */
  private controller: Dispatcher.DispatchController | undefined;
  private status = 0;
  /** The body so far: most bodies are one chunk, kept without an array. */
  private firstChunk: Buffer | undefined;
  private moreChunks: Buffer[] | undefined;
  private bodyBytes = 0;
  private retried = false;
  /** undici is done with the request (its response came in whole, or it failed). */
  private over = false;
  settled = false;
  /** The connection it was handed to; undefined while it waits for one. */
  connection: Client | undefined;

  constructor(
    private readonly client: HttpClient,
    readonly options: Dispatcher.DispatchOptions,
    private readonly resolve: (outcome: Outcome) => void,
  ) {
    this.deadline = this.started + client.timeoutMs;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    // Timed out or aborted while it waited for a connection: end it before it is sent.
    if (this.settled) controller.abort(ENDED);
    else this.controller = controller;
  }

  onResponseStart(_controller: Dispatcher.DispatchController, status: number): void {
    this.status = status;
    this.firstChunk = undefined;
    this.moreChunks = undefined;
    this.bodyBytes = 0;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    this.bodyBytes += chunk.length;
    if (this.bodyBytes > MAX_BODY_BYTES) {
      this.keep(chunk.subarray(0, chunk.length - (this.bodyBytes - MAX_BODY_BYTES)));
      this.respond(true);
      return;
    }
    this.keep(chunk);
  }

  onResponseEnd(): void {
    this.over = true;
    this.respond(false);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.settled) return;
    this.over = true;
    const cause = causeOf(error);
    // The server may close an idle keep-alive connection just as a request goes out on it, and
    // undici fails that request rather than send it again: a GET that got no byte of a response
    // back is safe to send once more, on a fresh connection: undici opens its Client's again.
    if (this.status === 0 && !this.retried && dropped(cause)) {
      this.retried = true;
      this.over = false;
      this.controller = undefined;
      this.client.send(this, this.connection as Client);
      return;
    }
    this.settle({ kind: "failure", cause, latencyMs: performance.now() - this.started });
  }

  /** Ends the request as a failure with `cause`; its connection, mid-exchange, is closed. */
  fail(cause: string): void {
    if (this.settled) return;
    this.settle({ kind: "failure", cause, latencyMs: performance.now() - this.started });
  }

  private keep(chunk: Buffer): void {
    if (this.firstChunk === undefined) this.firstChunk = chunk;
    else if (this.moreChunks === undefined) this.moreChunks = [chunk];
    else this.moreChunks.push(chunk);
  }

  private respond(oversized: boolean): void {
    if (this.settled) return;
    const body = this.moreChunks
      ? Buffer.concat([this.firstChunk as Buffer, ...this.moreChunks])
      : (this.firstChunk ?? EMPTY);
    this.settle({
      kind: "response",
      status: this.status,
      body: body.toString(),
      oversized,
      latencyMs: performance.now() - this.started,
    });
  }

  private settle(outcome: Outcome): void {
    this.settled = true;
    // Cut short mid-exchange: its connection is closed before it takes another request, so that
    // the next one never goes out behind this one (undici reconnects for it).
    if (!this.over && this.controller && !this.controller.aborted) this.controller.abort(ENDED);
    this.client.finished(this);
    this.resolve(outcome);
  }
}

/**
 * How long `close()` waits for undici to close the connections: its `destroy()` has been seen never
 * to settle after a server closed a connection at once, which left the process with nothing to
 * wait for and no report (issue 9).
 */
const CLOSE_BOUND_MS = 1000;

/** A keep-alive client for one target. `abortAll` ends every request in flight; `close` frees sockets. */
export class HttpClient {
  /** Every connection opened so far, at most `maxSockets`. */
  private readonly connections: Client[] = [];
  /** Connections with no request on them, the last freed first (the warmest). */
  private readonly idle: Client[] = [];
  /** Requests waiting for a connection, first come first served. */
  private readonly waiting: Exchange[] = [];
  private waitingHead = 0;
  private readonly inFlight = new Set<Exchange>();
  /**
   * One timer for every request in flight, rather than one each (which cost a tenth of the CPU of a
   * run): it fails those past their deadline, every tenth of the timeout (1 to 100 ms), and stops
   * when nothing is in flight. It holds the process open while a request may still time out.
   */
  private sweeper: NodeJS.Timeout | undefined;
  private readonly sweepMs: number;
  /** The dispatch options per path, built once. */
  private readonly requests = new Map<string | undefined, Dispatcher.DispatchOptions>();
  private readonly connectionOptions: Client.Options;
  private readonly maxSockets: number;
  readonly timeoutMs: number;

  constructor(
    readonly url: URL,
    options: ClientOptions,
  ) {
    this.timeoutMs = options.timeoutMs;
    this.maxSockets = options.maxSockets;
    this.sweepMs = Math.min(100, Math.max(1, options.timeoutMs / 10));
    this.connectionOptions = {
      // One request at a time: the next goes out once the last response is complete (undici writes
      // it a loop turn later, after any stray bytes on the connection have been read).
      pipelining: 1,
      // The sweep bounds each request from the call to its last byte, a wait for a connection
      // included; undici's timers would only bound parts of that.
      headersTimeout: 0,
      bodyTimeout: 0,
      connect: { timeout: options.timeoutMs, noDelay: true },
    };
  }

  private requestFor(path: string | undefined): Dispatcher.DispatchOptions {
    let request = this.requests.get(path);
    if (!request) {
      const target = path === undefined ? this.url : new URL(path, this.url);
      request = {
        method: "GET",
        path: `${target.pathname}${target.search}`,
        headers: ["user-agent", "shopfront-traffic", "accept", "*/*"],
      };
      this.requests.set(path, request);
    }
    return request;
  }

  /** GETs `path` (default: the URL's own path and query). Never rejects. */
  get(path?: string): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => this.request(path, resolve));
  }

  /** GETs `path` and calls `done` with its outcome, once: `get` without a promise per request. */
  request(path: string | undefined, done: (outcome: Outcome) => void): void {
    const exchange = new Exchange(this, this.requestFor(path), done);
    this.inFlight.add(exchange);
    this.sweeper ??= setInterval(() => this.sweep(), this.sweepMs);
    const connection = this.idle.pop() ?? this.open();
    if (connection) this.send(exchange, connection);
    else this.waiting.push(exchange);
  }

  private open(): Client | undefined {
    if (this.connections.length >= this.maxSockets) return undefined;
    const connection = new Client(this.url.origin, this.connectionOptions);
    this.connections.push(connection);
    return connection;
  }

  private sweep(): void {
    if (this.inFlight.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
      return;
    }
    const now = performance.now();
    for (const exchange of this.inFlight) if (now >= exchange.deadline) exchange.fail("timeout");
  }

  /** @internal Hands an exchange to a connection (again, for a retry). */
  send(exchange: Exchange, connection: Client): void {
    exchange.connection = connection;
    connection.dispatch(exchange.options, exchange);
  }

  /** @internal An exchange has its outcome: its connection takes the next waiting request, if any. */
  finished(exchange: Exchange): void {
    this.inFlight.delete(exchange);
    const connection = exchange.connection;
    if (!connection) return;
    exchange.connection = undefined;
    while (this.waitingHead < this.waiting.length) {
      const next = this.waiting[this.waitingHead++];
      // A queue that never empties (a slow target under `load`) drops what it has handed out.
      if (this.waitingHead >= 1024) {
        this.waiting.splice(0, this.waitingHead);
        this.waitingHead = 0;
      }
      if (!next.settled) {
        this.send(next, connection);
        return;
      }
    }
    this.waiting.length = 0;
    this.waitingHead = 0;
    this.idle.push(connection);
  }

  /** Ends every request in flight or waiting; each resolves as a failure with `cause`. */
  abortAll(cause: string): void {
    for (const exchange of [...this.inFlight]) exchange.fail(cause);
  }

  /** Ends what is left in flight as `closed` and closes every connection, within CLOSE_BOUND_MS. */
  async close(): Promise<void> {
    this.abortAll("closed");
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    let bound: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(this.connections.map((connection) => connection.destroy().catch(() => {}))),
      new Promise<void>((resolve) => {
        bound = setTimeout(resolve, CLOSE_BOUND_MS);
      }),
    ]);
    clearTimeout(bound);
  }
}

/** Why a run stopped before sending everything it was asked to. */
export type StopReason = "max-time" | "unreachable" | "interrupted";

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
  /** Aborted by Ctrl-C: the run stops, and what was in flight is left out of the counts. */
  readonly interrupt?: AbortSignal;
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
    bounds.interrupt?.addEventListener("abort", this.onInterrupt);
    if (bounds.interrupt?.aborted) this.stop("interrupted");
  }

  private readonly onInterrupt = () => this.stop("interrupted");

  /** No HTTP response yet: a failure now may mean the target is down. */
  get unproven(): boolean {
    return this.responses === 0;
  }

  record(outcome: Outcome): void {
    // Cut short by the user, not failed by the target: not a measurement.
    if (outcome.kind === "failure" && outcome.cause === "interrupted") return;
    if (outcome.kind === "response") {
      if (this.responses++ === 0) this.settleReachability();
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
    this.bounds.interrupt?.removeEventListener("abort", this.onInterrupt);
  }
}

export interface BatchOptions extends RunBounds {
  readonly requests: number;
  readonly concurrency: number;
}

/** Sends `requests` GETs, `concurrency` at a time, as fast as the target answers. */
export function runBatch(client: HttpClient, options: BatchOptions): Promise<RunResult> {
  const started = performance.now();
  const guard = new RunGuard(client, options);
  let sent = 0;
  let lastSent = started;
  let workers = Math.min(options.concurrency, options.requests);
  return new Promise<RunResult>((resolve) => {
    // Each worker sends its next request when its last one ends: callbacks, not a promise per request.
    const next = () => {
      if (sent < options.requests && !guard.stopped) {
        sent++;
        lastSent = performance.now();
        client.request(undefined, ended);
        return;
      }
      if (--workers > 0) return;
      guard.done();
      resolve({
        sent,
        sendingMs: lastSent - started,
        elapsedMs: performance.now() - started,
        stopped: guard.stopped,
      });
    };
    const ended = (outcome: Outcome) => {
      guard.record(outcome);
      // Until something answers, a failed worker waits for the others: a dead target costs one
      // wave of `concurrency` requests, not more.
      if (outcome.kind === "failure" && guard.unproven) guard.reachability.then(next);
      else next();
    };
    for (let worker = workers; worker > 0; worker--) next();
  });
}

/**
 * The schedule's granularity: each wake-up costs more than the requests it sends at 1000/s. One per
 * request (every millisecond) cost a third of a `load` run's CPU; one every 25 ms (requests leaving
 * 25 at a time) keeps the same rate with half the wake-ups of one every 10 ms, and a sixth less CPU.
 * A short run wakes more often, so that no request leaves later than a twentieth of the run.
 */
const SCHEDULE_TICK_MS = 25;
const SCHEDULE_TICKS_PER_RUN = 20;

export interface RateOptions extends RunBounds {
  /** Requests per second. */
  readonly rate: number;
  readonly durationMs: number;
  /** Path to request instead of the URL's own (the walkthrough's error generator). */
  readonly path?: string;
  /** Called about once a second while the run goes on, for a live progress line. */
  readonly onTick?: (elapsedMs: number) => void;
}

/** How many requests a run at `rate` per second for `durationMs` sends: at least one. */
export function plannedRequests(rate: number, durationMs: number): number {
  return Math.max(1, Math.round((rate * durationMs) / 1000));
}

/**
 * Sends requests on a fixed schedule (request i at i/rate seconds, to within SCHEDULE_TICK_MS),
 * whether or not earlier ones have answered, as the walkthrough's `while sleep 0.5; do wget ...`
 * loop means to: a slow target does not slow the load down.
 */
export function runAtRate(client: HttpClient, options: RateOptions): Promise<RunResult> {
  const started = performance.now();
  const total = plannedRequests(options.rate, options.durationMs);
  const intervalMs = 1000 / options.rate;
  const tickMs = Math.min(SCHEDULE_TICK_MS, options.durationMs / SCHEDULE_TICKS_PER_RUN);
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
        client.request(options.path, (outcome) => {
          pending--;
          guard.record(outcome);
          settle();
        });
      }
      if (sent < total && !guard.stopped) {
        // Woken at most once a tick: requests due within one tick leave together.
        const due = started + sent * intervalMs - performance.now();
        schedule = setTimeout(pump, Math.max(tickMs, due));
      } else {
        settle();
      }
    };
    pump();
  });
}
