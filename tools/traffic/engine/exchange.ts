/**
 * One request from the call to its outcome: undici's handler of its response, with the body cap,
 * the one retry of a GET the server dropped unanswered, and the end of a request cut short.
 */
import type { Client, Dispatcher } from "undici";
import { causeOf, MAX_BODY_BYTES, type Outcome } from "./outcome";

/** What an exchange needs of the client that runs it (`HttpClient`). */
export interface ExchangeOwner {
  /** Bound on one request, from the call to its last byte. */
  readonly timeoutMs: number;
  /** Hands an exchange to a connection (again, for a retry). */
  send(exchange: Exchange, connection: Client): void;
  /**
   * An exchange has its outcome: its connection is free for the next request. `inUndiciError`: the
   * outcome came from undici's error callback, whose caller is not done with the connection yet.
   */
  finished(exchange: Exchange, inUndiciError: boolean): void;
}

/** A failure that may be the server closing a keep-alive connection just as the request went out. */
function dropped(cause: string): boolean {
  return cause === "ECONNRESET" || cause === "EPIPE";
}

const EMPTY = Buffer.alloc(0);

/** Ends a request on its connection: undici wants an Error as the reason. */
const ENDED = new Error("ended by the traffic tool");

/** One request from the call to its outcome, and undici's handler of its response. */
export class Exchange implements Dispatcher.DispatchHandler {
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
    private readonly owner: ExchangeOwner,
    readonly options: Dispatcher.DispatchOptions,
    private readonly resolve: (outcome: Outcome) => void,
  ) {
    this.deadline = this.started + owner.timeoutMs;
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
      const connection = this.connection as Client;
      // Not from inside the callback: undici is still failing the connection's queue (see finished).
      queueMicrotask(() => {
        if (!this.settled) this.owner.send(this, connection);
      });
      return;
    }
    this.settle({ kind: "failure", cause, latencyMs: performance.now() - this.started }, true);
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

  private settle(outcome: Outcome, inUndiciError = false): void {
    this.settled = true;
    // Cut short mid-exchange: its connection is closed before it takes another request, so that
    // the next one never goes out behind this one (undici reconnects for it).
    if (!this.over && this.controller && !this.controller.aborted) this.controller.abort(ENDED);
    this.owner.finished(this, inUndiciError);
    this.resolve(outcome);
  }
}
