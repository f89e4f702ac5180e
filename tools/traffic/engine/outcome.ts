/**
 * What one request came to, and the categories a failure is counted by: the engine's output, which
 * the tally, the reports and the verdicts read.
 */

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
