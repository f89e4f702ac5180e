/**
 * The loopback mesh's gateway with the resilience policies of docs/resilience.md, as Envoy applies
 * them on the ingress gateway, in Envoy's order: the local rate limit (first in the filter chain), the
 * fault filter (a delay, then an abort, each drawn on its own), then the router (the weighted pick,
 * the mirror, the route timeout and the retries). Pods that count what they receive, as their
 * sidecars report it to Prometheus (`reporter="destination"`), and a Prometheus that answers the
 * traffic tool's query from what it scraped. Beside mesh.ts, which the JWT and canary tests share.
 */
import http from "node:http";
import { afterAtLeast, listen, type Pod, randomPicker, standInTimer } from "./mesh";

/** How a pod misbehaves: late answers, or every connection reset before any byte. */
export interface PodBehaviour {
  readonly delayMs?: number;
  readonly reset?: boolean;
}

/** A pod that counts the requests it received, mirrored ones included. */
export interface CountingPod extends Pod {
  readonly received: () => number;
}

/**
 * Pods named as mesh.ts's startPods names them, answering `<hostname>:<version>` to `/` and 404 to any
 * other path; `behaviours`, by pod hostname or by version, makes some late or resetting.
 */
export async function startCountingPods(
  replicas: Readonly<Record<string, number>>,
  behaviours: Readonly<Record<string, PodBehaviour>> = {},
): Promise<CountingPod[]> {
  const pods: CountingPod[] = [];
  for (const [version, count] of Object.entries(replicas)) {
    for (let i = 0; i < count; i++) {
      const hostname = `shopfront-${version}-5d8f7c9b6-${i}`;
      const behaviour = behaviours[hostname] ?? behaviours[version] ?? {};
      let received = 0;
      const server = http.createServer((request, response) => {
        received++;
        if (behaviour.reset) {
          request.socket.destroy();
          return;
        }
        const answer = () => {
          if (request.url === "/") response.end(`${hostname}:${version}\n`);
          else response.writeHead(404).end("<h1>Not Found</h1>");
        };
        if (behaviour.delayMs) afterAtLeast(behaviour.delayMs, answer);
        else answer();
      });
      const port = await listen(server);
      pods.push({ hostname, version, port, received: () => received });
    }
  }
  return pods;
}

/** Requests each version received, as Istio's destination metrics count them. */
export function receivedByVersion(pods: readonly CountingPod[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const pod of pods) counts[pod.version] = (counts[pod.version] ?? 0) + pod.received();
  return counts;
}

/** The policies, in the units Envoy's configuration takes them. */
export interface EdgePolicies {
  readonly weights: Readonly<Record<string, number>>;
  /** Seeds every random draw (the split, the faults, the mirror), so that a run is the same each time. */
  readonly seed: number;
  /** Envoy's local_ratelimit: a bucket of `requests` tokens, refilled whole every `intervalMs`. */
  readonly rateLimit?: { readonly requests: number; readonly intervalMs: number };
  readonly faultDelay?: { readonly ms: number; readonly percent: number };
  readonly faultAbort?: { readonly status: number; readonly percent: number };
  /** The route's timeout, from the router's start (after any fault delay), retries included. */
  readonly timeoutMs?: number;
  readonly retries?: { readonly attempts: number; readonly perTryTimeoutMs?: number };
  readonly mirror?: { readonly version: string; readonly percent: number };
}

/** Envoy's own bodies for the answers the gateway makes itself. */
export const ENVOY_BODIES = {
  rateLimited: "local_rate_limited",
  faultAbort: "fault filter abort",
  timeout: "upstream request timeout",
  connectFailure:
    "upstream connect error or disconnect/reset before headers. reset reason: connection failure",
} as const;

/** Envoy's first retry backoff, 25 ms, jittered: a retry waits a random share of it. */
const RETRY_BASE_MS = 25;

/**
 * Envoy's local rate limit as its LocalRateLimiterImpl keeps it: a bucket that starts full and that a
 * timer refills every interval, up to its size; each request takes a token or is refused.
 */
function tokenBucket(limit: { readonly requests: number; readonly intervalMs: number }) {
  let tokens = limit.requests;
  let filledAt = performance.now();
  const timer = setInterval(() => {
    tokens = limit.requests;
    filledAt = performance.now();
  }, limit.intervalMs);
  timer.unref();
  return {
    take: () => {
      if (tokens === 0) return false;
      tokens--;
      return true;
    },
    headers: () => ({
      "x-ratelimit-limit": String(limit.requests),
      "x-ratelimit-remaining": String(tokens),
      "x-ratelimit-reset": String(Math.ceil((limit.intervalMs - (performance.now() - filledAt)) / 1000)),
    }),
    stop: () => clearInterval(timer),
  };
}

/** A draw that comes true for `percent` of the calls, from its own seeded generator. */
function chance(percent: number, seed: number): () => boolean {
  const pick = randomPicker({ yes: percent, no: 100 - percent }, seed);
  return () => pick() === "yes";
}

/** Round robin over `pods`, skipping those in `avoid` while others remain (Istio's previous-hosts retry predicate). */
function roundRobin(pods: readonly CountingPod[]) {
  let next = 0;
  return (avoid: ReadonlySet<CountingPod>) => {
    const fresh = pods.filter((pod) => !avoid.has(pod));
    const from = fresh.length > 0 ? fresh : pods;
    return from[next++ % from.length];
  };
}

/**
 * The ingress gateway with `policies` in front of `pods`; resolves to its URL. What it reproduces of
 * Envoy, and what it does not, is listed in docs/resilience.md ("The loopback mesh").
 */
export async function startEdgeGateway(
  pods: readonly CountingPod[],
  policies: EdgePolicies,
): Promise<string> {
  const pickVersion = randomPicker(policies.weights, policies.seed);
  const delayed = policies.faultDelay && chance(policies.faultDelay.percent, policies.seed + 1);
  const aborted = policies.faultAbort && chance(policies.faultAbort.percent, policies.seed + 2);
  const mirrored = policies.mirror && chance(policies.mirror.percent, policies.seed + 3);
  const bucket = policies.rateLimit && tokenBucket(policies.rateLimit);
  const agent = new http.Agent({ keepAlive: true });
  const pickers = new Map<string, ReturnType<typeof roundRobin>>();
  const podOf = (version: string, avoid: ReadonlySet<CountingPod> = new Set()) => {
    let pick = pickers.get(version);
    if (!pick) {
      pick = roundRobin(pods.filter((pod) => pod.version === version));
      pickers.set(version, pick);
    }
    return pick(avoid);
  };

  const server = http.createServer(async (request, response) => {
    const limitHeaders = bucket?.headers() ?? {};
    if (bucket && !bucket.take()) {
      response
        .writeHead(429, { ...limitHeaders, "x-envoy-ratelimited": "true", "x-local-rate-limit": "true" })
        .end(ENVOY_BODIES.rateLimited);
      return;
    }
    if (policies.faultDelay && delayed?.()) {
      const { ms } = policies.faultDelay;
      await new Promise<void>((resolve) => afterAtLeast(ms, resolve));
    }
    if (policies.faultAbort && aborted?.()) {
      response.writeHead(policies.faultAbort.status, limitHeaders).end(ENVOY_BODIES.faultAbort);
      return;
    }
    const version = pickVersion();
    if (policies.mirror && mirrored?.()) {
      const shadow = podOf(policies.mirror.version);
      // Fire and forget: Envoy drops the mirror's answer, and its host carries a -shadow suffix.
      http
        .get({
          host: "127.0.0.1",
          port: shadow.port,
          path: request.url,
          agent,
          headers: { host: `${request.headers.host}-shadow` },
        })
        .on("response", (answer) => answer.resume())
        .on("error", () => {});
    }
    route(version, request.url ?? "/", response, limitHeaders);
  });

  /** The router: tries, each bounded by the per-try timeout, retried on a reset or a per-try timeout, under the route timeout. */
  function route(
    version: string,
    path: string,
    response: http.ServerResponse,
    headers: Record<string, string>,
  ) {
    const tried = new Set<CountingPod>();
    const attempts = policies.retries?.attempts ?? 0;
    let attempt = 0;
    let done = false;
    let current: http.ClientRequest | undefined;
    let perTry: NodeJS.Timeout | undefined;
    const finish = (status: number, body: string) => {
      if (done) return;
      done = true;
      clearTimeout(routeTimer);
      clearTimeout(perTry);
      current?.destroy();
      response.writeHead(status, headers).end(body);
    };
    const routeTimer =
      policies.timeoutMs === undefined
        ? undefined
        : standInTimer(() => finish(504, ENVOY_BODIES.timeout), policies.timeoutMs);
    const failed = (cause: "reset" | "per-try timeout") => {
      clearTimeout(perTry);
      current?.destroy();
      current = undefined;
      if (done) return;
      if (attempt < attempts) {
        attempt++;
        standInTimer(tryOnce, Math.random() * RETRY_BASE_MS * 2 ** (attempt - 1));
      } else {
        finish(
          cause === "per-try timeout" ? 504 : 503,
          cause === "per-try timeout" ? ENVOY_BODIES.timeout : ENVOY_BODIES.connectFailure,
        );
      }
    };
    const tryOnce = () => {
      if (done) return;
      const pod = podOf(version, tried);
      tried.add(pod);
      const upstream = http.get({ host: "127.0.0.1", port: pod.port, path, agent }, (answer) => {
        clearTimeout(perTry);
        if (done || upstream !== current) {
          answer.resume();
          return;
        }
        const chunks: Buffer[] = [];
        answer.on("data", (chunk: Buffer) => chunks.push(chunk));
        answer.on("end", () => finish(answer.statusCode ?? 502, Buffer.concat(chunks).toString()));
        // Past the response's start Envoy retries nothing: it resets the client's stream.
        answer.on("error", () => response.destroy());
      });
      current = upstream;
      upstream.on("error", () => {
        if (upstream === current) failed("reset");
      });
      const perTryMs = policies.retries?.perTryTimeoutMs;
      if (perTryMs !== undefined) perTry = standInTimer(() => failed("per-try timeout"), perTryMs);
    };
    tryOnce();
  }

  server.on("close", () => {
    bucket?.stop();
    agent.destroy();
  });
  const port = await listen(server);
  return `http://127.0.0.1:${port}/`;
}

/** The PromQL the traffic tool's `mirror` asks, which the stand-in answers. */
export const MIRROR_QUERY_PATTERN =
  /^sum by \(destination_version\) \(istio_requests_total\{reporter="destination",destination_app="shopfront"\}\)$/;

/**
 * A Prometheus that scrapes `counts` every `scrapeMs` and answers the traffic tool's instant query
 * with what it scraped last, as Prometheus's HTTP API does (`/api/v1/query`); any other query is a
 * 400 `bad_data`, as an unparsable one is. `answered` runs after each answer is sent.
 */
export async function startPrometheus(
  counts: () => Record<string, number>,
  scrapeMs: number,
  answered: () => void = () => {},
): Promise<string> {
  let scraped = counts();
  const timer = setInterval(() => {
    scraped = counts();
  }, scrapeMs);
  timer.unref();
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://prometheus");
    const query = url.searchParams.get("query") ?? "";
    if (url.pathname !== "/api/v1/query" || !MIRROR_QUERY_PATTERN.test(query)) {
      response
        .writeHead(400, { "content-type": "application/json" })
        .end(JSON.stringify({ status: "error", errorType: "bad_data", error: `unexpected query ${query}` }));
      return;
    }
    const now = Date.now() / 1000;
    const result = Object.entries(scraped).map(([version, value]) => ({
      metric: { destination_version: version },
      value: [now, String(value)],
    }));
    response
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ status: "success", data: { resultType: "vector", result } }));
    answered();
  });
  server.on("close", () => clearInterval(timer));
  const port = await listen(server);
  return `http://127.0.0.1:${port}`;
}
