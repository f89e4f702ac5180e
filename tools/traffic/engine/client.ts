/**
 * The request engine's client: bounded GETs over a pool of keep-alive connections. Every request has
 * its own timeout, and a request never rejects: it ends as an Outcome, so one bad answer cannot
 * crash a run of thousands.
 *
 * The HTTP/1.1 client is undici (the client Node's own fetch is built on): one undici `Client` per
 * connection, up to `--concurrency` of them, one request at a time on each. The engine hands a
 * request to a connection itself, in the callback of the response before it, rather than through a
 * `Pool`, whose queue and drain events cost two event-loop turns per request and about a fifth of
 * the rate here. Requests go through `dispatch()` with a small handler (`Exchange`) rather than
 * `request()`, whose response stream per request cost about 30% of the rate; `npm run bench`
 * measures the engine against autocannon.
 */
import { Client, type Dispatcher } from "undici";
import { Exchange, type ExchangeOwner } from "./exchange";
import type { Outcome } from "./outcome";

export interface ClientOptions {
  /** Connections kept open to the target; the concurrency of a run. */
  readonly maxSockets: number;
  /** Bound on one request, from the call (including a wait for a free connection) to its last byte. */
  readonly timeoutMs: number;
  /** Headers every request carries besides the client's own, such as a bearer token. @default none */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * How long `close()` waits for undici to close the connections: its `destroy()` has been seen never
 * to settle after a server closed a connection at once, which left the process with nothing to
 * wait for and no report (issue 9).
 */
const CLOSE_BOUND_MS = 1000;

/** A keep-alive client for one target. `abortAll` ends every request in flight; `close` frees sockets. */
export class HttpClient implements ExchangeOwner {
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
  /** The headers of every request, as undici takes them: name, value, name, value. */
  private readonly headers: readonly string[];
  private readonly maxSockets: number;
  readonly timeoutMs: number;

  constructor(
    readonly url: URL,
    options: ClientOptions,
  ) {
    this.timeoutMs = options.timeoutMs;
    this.maxSockets = options.maxSockets;
    this.headers = [
      ...["user-agent", "shopfront-traffic", "accept", "*/*"],
      ...Object.entries(options.headers ?? {}).flat(),
    ];
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
        headers: [...this.headers],
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
  finished(exchange: Exchange, inUndiciError: boolean): void {
    this.inFlight.delete(exchange);
    const connection = exchange.connection;
    if (!connection) return;
    exchange.connection = undefined;
    // undici fails a connection's requests one by one and then checks its own queue (a refused
    // connect asserts it is empty): a request handed to the connection from inside that loop breaks
    // the check and crashes the process, so it is handed over once undici's callback has returned.
    if (inUndiciError) queueMicrotask(() => this.handOff(connection));
    else this.handOff(connection);
  }

  /** Gives a free connection the next waiting request, or keeps it idle. */
  private handOff(connection: Client): void {
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
