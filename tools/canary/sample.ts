/**
 * What one batch of requests says about the target and the baseline (every other version): each
 * outcome goes to the version its body names, whatever its status (a shopfront answer, or an error
 * page that names its version), or, when it names none (a gateway's 503, a timeout, a bare error
 * page), to the errors no version can be blamed for.
 */
import type { Outcome } from "../traffic/engine/outcome";
import { parseAnswer, type ShopfrontAnswer } from "../traffic/tally";

/** Latencies kept in a typed array that doubles as it fills: 10,000 of them cost no garbage. */
class Latencies {
  private values = new Float64Array(256);
  length = 0;

  push(value: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }

  /** A copy of the values, to sort. */
  copy(): Float64Array {
    return this.values.slice(0, this.length);
  }
}

/** Responses of one side of the comparison. */
export class Side {
  /** Responses attributed to the side: its answers and the errors that name one of its versions. */
  responses = 0;
  errors = 0;
  /** Latencies of the answers (2xx shopfront answers) only: an error's latency is not the service's. */
  readonly latencies = new Latencies();
}

/** Distinct bodies kept parsed: a mesh has a few pods, each answering the same line every time. */
const KNOWN_BODIES = 1024;

export class StepSample {
  readonly target = new Side();
  readonly baseline = new Side();
  /** Outcomes recorded. */
  total = 0;
  /** HTTP responses of any status: none at all means the gateway could not be reached. */
  httpResponses = 0;
  /** Errors that name no version. */
  unattributed = 0;
  /** Answers per version: the split the gateway gave this batch. */
  readonly versions = new Map<string, number>();
  /** Every error by cause (`status 500`, `bad body`, `timeout`, ...), attributed or not. */
  readonly causes = new Map<string, number>();
  private readonly known = new Map<string, ShopfrontAnswer | null>();

  constructor(readonly targetVersion: string) {}

  record(outcome: Outcome): void {
    this.total++;
    if (outcome.kind === "response") this.httpResponses++;
    const answer =
      outcome.kind === "response" && !outcome.oversized ? this.answerIn(outcome.body) : undefined;
    const ok = outcome.kind === "response" && outcome.status >= 200 && outcome.status <= 299 && answer;
    if (ok) this.versions.set(answer.version, (this.versions.get(answer.version) ?? 0) + 1);
    else this.causes.set(causeOf(outcome), (this.causes.get(causeOf(outcome)) ?? 0) + 1);
    if (!answer) {
      this.unattributed++;
      return;
    }
    const side = answer.version === this.targetVersion ? this.target : this.baseline;
    side.responses++;
    if (ok) side.latencies.push(outcome.latencyMs);
    else side.errors++;
  }

  private answerIn(body: string): ShopfrontAnswer | undefined {
    let answer = this.known.get(body);
    if (answer === undefined) {
      answer = parseAnswer(body) ?? null;
      if (this.known.size < KNOWN_BODIES) this.known.set(body, answer);
    }
    return answer ?? undefined;
  }

  /** Errors of every kind. */
  get errors(): number {
    return this.target.errors + this.baseline.errors + this.unattributed;
  }
}

/** An error's cause as the traffic tool counts it. */
function causeOf(outcome: Outcome): string {
  if (outcome.kind === "failure") return outcome.cause;
  return outcome.status >= 200 && outcome.status <= 299 ? "bad body" : `status ${outcome.status}`;
}
