/** Counts what a run got back: versions, pods, latencies, status codes and causes of failure. */
import type { Outcome } from "./engine/outcome";

/** A shopfront answer: `<pod hostname>:<version>`, such as `shopfront-v2-75475c5748-9d254:v2`. */
export interface ShopfrontAnswer {
  readonly pod: string;
  readonly version: string;
}

// A pod hostname is a DNS-1123 label or subdomain, lower case by definition; the version is a
// Deployment `version` label (vN). Anything else, `POD:V1` included, is not an answer: it is counted
// as a bad body and shown, rather than read as a version that the weights do not name.
const ANSWER = /^([a-z0-9](?:[a-z0-9.-]*[a-z0-9])?):(v\d+)(?:\r?\n)?$/;

/** How much of a bad body the report shows. */
const EXAMPLE_CHARS = 60;

/** Distinct answers kept parsed: a mesh has a few pods, each answering the same line every time. */
const KNOWN_ANSWERS = 1024;

/** The answer in `body` (one line, a trailing newline allowed), or undefined when it is not one. */
export function parseAnswer(body: string): ShopfrontAnswer | undefined {
  const match = ANSWER.exec(body);
  return match ? { pod: match[1], version: match[2] } : undefined;
}

function bump(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

export class Tally {
  /** Outcomes recorded. */
  total = 0;
  /** Outcomes that are not shopfront answers: the sum of `errorCauses()`, kept for progress lines. */
  errors = 0;
  /** HTTP responses by status code. */
  readonly statuses = new Map<number, number>();
  /** Requests that got no full response, by cause (`timeout`, `ECONNREFUSED`, ...). */
  readonly failures = new Map<string, number>();
  /** 2xx responses whose body is not a shopfront answer. */
  badBodies = 0;
  /** The first of them (its first EXAMPLE_CHARS characters), to show what came back. */
  badBodyExample: string | undefined;
  readonly versions = new Map<string, number>();
  /** Answers per pod; a pod hostname names its version too, but the answer says it for sure. */
  readonly pods = new Map<string, { readonly version: string; count: number }>();
  /** Latency of every answer, per version, in milliseconds. */
  readonly latencies = new Map<string, number[]>();
  /** Latency of every HTTP response, whatever its status or body. */
  readonly responseLatencies: number[] = [];
  /** Answers already parsed, by body: most runs see each body thousands of times. */
  private readonly known = new Map<string, ShopfrontAnswer>();

  record(outcome: Outcome): void {
    this.total++;
    if (outcome.kind === "failure") {
      this.errors++;
      bump(this.failures, outcome.cause);
      return;
    }
    this.statuses.set(outcome.status, (this.statuses.get(outcome.status) ?? 0) + 1);
    this.responseLatencies.push(outcome.latencyMs);
    if (outcome.status < 200 || outcome.status > 299) {
      this.errors++;
      return;
    }
    // A body over the size cap was cut short: whatever its first bytes say, it is not an answer.
    const answer = outcome.oversized ? undefined : this.answerIn(outcome.body);
    if (!answer) {
      this.errors++;
      this.badBodies++;
      this.badBodyExample ??= outcome.body.slice(0, EXAMPLE_CHARS);
      return;
    }
    bump(this.versions, answer.version);
    const pod = this.pods.get(answer.pod);
    if (pod) pod.count++;
    else this.pods.set(answer.pod, { version: answer.version, count: 1 });
    const latencies = this.latencies.get(answer.version);
    if (latencies) latencies.push(outcome.latencyMs);
    else this.latencies.set(answer.version, [outcome.latencyMs]);
  }

  private answerIn(body: string): ShopfrontAnswer | undefined {
    let answer = this.known.get(body);
    if (answer === undefined) {
      answer = parseAnswer(body);
      if (answer && this.known.size < KNOWN_ANSWERS) this.known.set(body, answer);
    }
    return answer;
  }

  /** HTTP responses of any status. */
  get responses(): number {
    return this.total - [...this.failures.values()].reduce((a, b) => a + b, 0);
  }

  /** Shopfront answers: 2xx with a `<pod>:<version>` body. */
  get answers(): number {
    return [...this.versions.values()].reduce((a, b) => a + b, 0);
  }

  /**
   * Everything that is not a shopfront answer, by cause: `status 404`, `bad body`, `timeout`,
   * `ECONNREFUSED`, ... (what `count` and `pods` call errors).
   */
  errorCauses(): Map<string, number> {
    const causes = new Map<string, number>();
    for (const [status, count] of this.statuses) {
      if (status < 200 || status > 299) causes.set(`status ${status}`, count);
    }
    if (this.badBodies > 0) causes.set("bad body", this.badBodies);
    for (const [cause, count] of this.failures) causes.set(cause, count);
    return causes;
  }
}
