/**
 * The two shapes of a run on an HttpClient: a batch as fast as the target answers (`count`, `pods`),
 * and requests on a fixed schedule (`load`); and the guard both share, which stops a run at its
 * deadline, on Ctrl-C, or when nothing but failures came back.
 */
import type { HttpClient } from "./client";
import type { Outcome } from "./outcome";

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
