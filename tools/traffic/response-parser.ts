/**
 * An HTTP/1.x response parser for the request engine: status, framing (Content-Length, chunked, or
 * until the connection closes), and the body, kept up to a size cap. Only what a GET needs: no
 * request bodies, no upgrades. Node's http client does all this too, but at a third of the rate of a
 * lean client; the traffic tool is meant to keep up with autocannon (see bench.ts).
 */

/** A response that is not HTTP/1.x as RFC 9112 frames it. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}

export interface ParsedResponse {
  readonly status: number;
  /** The body, cut at `maxBodyBytes`. */
  readonly body: Buffer;
  /** The server will not take another request on this connection. */
  readonly close: boolean;
}

const CRLF = Buffer.from("\r\n");
const HEAD_END = Buffer.from("\r\n\r\n");
/** Bound on the status line and headers, as servers bound what they accept. */
const MAX_HEAD_BYTES = 64 * 1024;
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: .*)?$/;

type State =
  | { readonly kind: "head" }
  | { readonly kind: "fixed"; remaining: number }
  | { readonly kind: "chunk-size" }
  | { readonly kind: "chunk-data"; remaining: number }
  | { readonly kind: "chunk-end" }
  | { readonly kind: "trailers" }
  | { readonly kind: "until-close" };

/** Parses one response at a time from the bytes of one connection; `reset` before the next. */
export class ResponseParser {
  private state: State = { kind: "head" };
  private pending: Buffer = Buffer.alloc(0);
  private status = 0;
  private close = false;
  private body: Buffer[] = [];
  private bodyBytes = 0;
  /** Some byte of the response has arrived (a failure before any is worth one retry). */
  started = false;

  constructor(private readonly maxBodyBytes: number) {}

  reset(): void {
    this.state = { kind: "head" };
    this.pending = Buffer.alloc(0);
    this.body = [];
    this.bodyBytes = 0;
    this.started = false;
  }

  /** Feeds bytes; returns the response once complete. Throws ProtocolError on a malformed one. */
  feed(chunk: Buffer): ParsedResponse | undefined {
    this.started = true;
    const data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    let at = 0;
    for (;;) {
      const state = this.state;
      switch (state.kind) {
        case "head": {
          const end = data.indexOf(HEAD_END, at);
          if (end < 0) {
            if (data.length - at > MAX_HEAD_BYTES) throw new ProtocolError("response headers too large");
            this.pending = data.subarray(at);
            return undefined;
          }
          const head = data.toString("latin1", at, end);
          at = end + HEAD_END.length;
          this.startBody(head);
          break;
        }
        case "fixed": {
          const take = Math.min(state.remaining, data.length - at);
          this.keep(data.subarray(at, at + take));
          at += take;
          state.remaining -= take;
          if (state.remaining === 0) return this.complete(data, at);
          this.pending = Buffer.alloc(0);
          return undefined;
        }
        case "chunk-size": {
          const end = data.indexOf(CRLF, at);
          if (end < 0) {
            if (data.length - at > 1024) throw new ProtocolError("chunk size line too long");
            this.pending = data.subarray(at);
            return undefined;
          }
          const line = data.toString("latin1", at, end).split(";")[0].trim();
          if (!/^[0-9a-f]{1,8}$/i.test(line))
            throw new ProtocolError(`bad chunk size ${JSON.stringify(line)}`);
          const size = Number.parseInt(line, 16);
          at = end + CRLF.length;
          this.state = size === 0 ? { kind: "trailers" } : { kind: "chunk-data", remaining: size };
          break;
        }
        case "chunk-data": {
          const take = Math.min(state.remaining, data.length - at);
          this.keep(data.subarray(at, at + take));
          at += take;
          state.remaining -= take;
          if (state.remaining > 0) {
            this.pending = Buffer.alloc(0);
            return undefined;
          }
          this.state = { kind: "chunk-end" };
          break;
        }
        case "chunk-end": {
          if (data.length - at < CRLF.length) {
            this.pending = data.subarray(at);
            return undefined;
          }
          if (data[at] !== 13 || data[at + 1] !== 10) throw new ProtocolError("chunk not followed by CRLF");
          at += CRLF.length;
          this.state = { kind: "chunk-size" };
          break;
        }
        case "trailers": {
          const end = data.indexOf(CRLF, at);
          if (end < 0) {
            if (data.length - at > MAX_HEAD_BYTES) throw new ProtocolError("response trailers too large");
            this.pending = data.subarray(at);
            return undefined;
          }
          // Trailer fields end at an empty line; their content does not matter here.
          const empty = end === at;
          at = end + CRLF.length;
          if (empty) return this.complete(data, at);
          break;
        }
        case "until-close": {
          this.keep(data.subarray(at));
          this.pending = Buffer.alloc(0);
          return undefined;
        }
      }
    }
  }

  /** The connection closed: completes a body that runs until then, else the response is cut short. */
  end(): ParsedResponse | undefined {
    if (this.state.kind !== "until-close") return undefined;
    return { status: this.status, body: Buffer.concat(this.body), close: true };
  }

  private startBody(head: string): void {
    const lines = head.split("\r\n");
    const status = STATUS_LINE.exec(lines[0]);
    if (!status)
      throw new ProtocolError(`not an HTTP/1.x status line: ${JSON.stringify(lines[0].slice(0, 80))}`);
    const minor = status[1];
    this.status = Number(status[2]);
    let contentLength: number | undefined;
    let chunked = false;
    let connection = "";
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      if (colon <= 0) throw new ProtocolError(`bad header line ${JSON.stringify(line.slice(0, 80))}`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === "content-length") {
        if (!/^\d+$/.test(value) || (contentLength !== undefined && contentLength !== Number(value))) {
          throw new ProtocolError(`bad content-length ${JSON.stringify(value)}`);
        }
        contentLength = Number(value);
      } else if (name === "transfer-encoding") {
        chunked = /(^|,)\s*chunked\s*$/i.test(value);
      } else if (name === "connection") {
        connection = value.toLowerCase();
      }
    }
    this.close = minor === "0" ? !/\bkeep-alive\b/.test(connection) : /\bclose\b/.test(connection);
    // RFC 9112 §6.3: informational, 204 and 304 responses have no body; chunked wins over a length.
    if (this.status < 200 || this.status === 204 || this.status === 304) {
      this.state = { kind: "fixed", remaining: 0 };
    } else if (chunked) {
      this.state = { kind: "chunk-size" };
    } else if (contentLength !== undefined) {
      this.state = { kind: "fixed", remaining: contentLength };
    } else {
      this.state = { kind: "until-close" };
      this.close = true;
    }
  }

  private keep(bytes: Buffer): void {
    const room = this.maxBodyBytes - this.bodyBytes;
    if (room > 0 && bytes.length > 0) this.body.push(bytes.subarray(0, room));
    this.bodyBytes += bytes.length;
  }

  /** A full response ends at `at`; an informational one (1xx) is skipped for the one after it. */
  private complete(data: Buffer, at: number): ParsedResponse | undefined {
    if (this.status < 200) {
      const rest = data.subarray(at);
      this.reset();
      return rest.length > 0 ? this.feed(rest) : undefined;
    }
    // One request at a time: bytes past the response are a server error, and the connection is
    // not trusted with another request.
    const close = this.close || at < data.length;
    const response = { status: this.status, body: Buffer.concat(this.body), close };
    this.pending = Buffer.alloc(0);
    return response;
  }
}
