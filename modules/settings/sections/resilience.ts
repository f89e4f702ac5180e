/**
 * Resilience at the edge: the shopfront route's timeout, retries, fault injection and mirroring, and
 * the ingress gateway's rate limit. Every one is unset by default, which keeps the routes of
 * manifests/ as they are (docs/resilience.md). What a routing API cannot express is refused here,
 * with the reason and the alternative, before anything is built.
 */
import { type Earlier, optional, parsed, pattern, section, setting } from "../kinds";
import { SHOPFRONT_VERSIONS } from "../names";
import { VERSIONS } from "../versions";

/**
 * A duration both routing APIs read alike: a whole number of ms, s or m (the Gateway API's duration,
 * GEP-2257, and a Go duration for Istio), never 0, which turns a timeout off.
 */
const DURATION = /^[1-9]\d{0,4}(ms|s|m)$/;
const DURATION_FORM = "a duration in whole ms, s or m, such as 500ms, 3s or 2m (not 0)";

/** The most retries a route may make: each one adds load to a version that is already failing. */
export const MAX_RETRY_ATTEMPTS = 3;

/**
 * What the shopfront's routes retry: a connection refused or reset, a try with no answer within its
 * timeout (reset), and gRPC's unavailable and cancelled; never a status, which would hide a version's
 * errors from its clients and from the counts.
 */
export const CONNECTION_FAILURES = "connect-failure,refused-stream,unavailable,cancelled,reset";

/** Milliseconds in a duration of DURATION's form; NaN for any other text. */
export function durationMs(text: string): number {
  const match = /^(\d+)(ms|s|m)$/.exec(text);
  if (!match) return Number.NaN;
  return Number(match[1]) * { ms: 1, s: 1000, m: 60_000 }[match[2] as "ms" | "s" | "m"];
}

/** A share of requests in percent: more than 0, at most 100, to 4 decimals (Istio's `percentage` is a double). */
function percentOf(text: string): number | undefined {
  if (!/^\d{1,3}(\.\d{1,4})?$/.test(text)) return undefined;
  const value = Number(text);
  return value > 0 && value <= 100 ? value : undefined;
}
const PERCENT_FORM = "a percentage of requests above 0 and at most 100, such as 5 or 0.5";

export interface Retries {
  /** Retries after the first try; 0 turns them off. */
  readonly attempts: number;
  /** Bound on each try; undefined keeps the route's own. */
  readonly perTryTimeout?: string;
}

export interface FaultDelay {
  readonly delay: string;
  readonly percent: number;
}

export interface FaultAbort {
  readonly status: number;
  readonly percent: number;
}

export interface Mirror {
  readonly version: string;
  readonly percent: number;
}

export interface RateLimit {
  /** Requests admitted per `per`, by each ingress gateway pod. */
  readonly requests: number;
  readonly per: "s" | "m";
}

/** `<left>@<right>`, each side read by its own parser; the problems name the setting and the text. */
function pair<L, R>(
  form: string,
  left: (text: string) => L | undefined,
  right: (text: string) => R | undefined,
  [leftProblem, rightProblem]: readonly [string, string],
) {
  return (name: string, text: string): { value: { left: L; right: R } | undefined; problems: string[] } => {
    const where = `${name}=${JSON.stringify(text)}`;
    const parts = text.split("@");
    if (parts.length !== 2) return { value: undefined, problems: [`${where} is not ${form}`] };
    const [l, r] = [left(parts[0]), right(parts[1])];
    const problems = [
      ...(l === undefined ? [`${where}: ${JSON.stringify(parts[0])} is not ${leftProblem}`] : []),
      ...(r === undefined ? [`${where}: ${JSON.stringify(parts[1])} is not ${rightProblem}`] : []),
    ];
    return { value: l === undefined || r === undefined ? undefined : { left: l, right: r }, problems };
  };
}

const duration = (text: string) => (DURATION.test(text) ? text : undefined);

/** The Gateway API release istio-stack installs, as refusals name it. */
const GATEWAY_API = `the Gateway API ${VERSIONS.gatewayApi.tag} standard channel that istio-stack installs`;

/** Istio's rule for a route with a fault (the VirtualService reference, HTTPRoute.fault). */
const FAULT_RULE =
  'Istio enables no timeout or retries on a route with faults ("timeouts or retries will not be enabled when faults are enabled", VirtualService reference), so the fault\'s route carries neither';

/** The settings a fault is refused with: its route carries neither (FAULT_RULE). */
const FAULT_EXCLUDES = ["SHOPFRONT_TIMEOUT", "SHOPFRONT_RETRIES"] as const;

/** A fault setting's refusals: the Gateway API has no fault filter, and a fault excludes a timeout and retries. */
function faultCheck<T>(name: string, describe: (value: T) => string) {
  return (value: T | undefined, earlier: Earlier): { message: string } | undefined => {
    if (value === undefined) return undefined;
    const given = `${name}=${describe(value)}`;
    if (earlier.ROUTING_API === "gateway-api") {
      return {
        message: `${given} with ROUTING_API=gateway-api: ${GATEWAY_API} has no fault injection filter (nor has its experimental channel); inject faults with ROUTING_API=istio, whose VirtualService fault is set on the ingress route`,
      };
    }
    const timeout = earlier.SHOPFRONT_TIMEOUT as string | undefined;
    const retries = earlier.SHOPFRONT_RETRIES as Retries | undefined;
    const clash =
      timeout !== undefined
        ? { name: "SHOPFRONT_TIMEOUT", text: timeout }
        : retries !== undefined
          ? { name: "SHOPFRONT_RETRIES", text: retriesText(retries) }
          : undefined;
    if (clash === undefined) return undefined;
    return {
      message: `${given} with ${clash.name}=${clash.text}: ${FAULT_RULE}; unset ${clash.name} while the fault is on, and prove the timeout and retries in a run of their own (docs/resilience.md)`,
    };
  };
}

/** `3` or `3@1s`, as SHOPFRONT_RETRIES writes retries. */
export function retriesText(retries: Retries): string {
  return retries.perTryTimeout === undefined
    ? `${retries.attempts}`
    : `${retries.attempts}@${retries.perTryTimeout}`;
}

export const RESILIENCE = section("Resilience", {
  SHOPFRONT_TIMEOUT: setting(optional(pattern(DURATION, DURATION_FORM)), {
    field: "timeout",
    description:
      "Timeout of the shopfront's route, its retries included: the VirtualService's `timeout` (ROUTING_API=istio) or the HTTPRoute's `timeouts.request` (gateway-api). Past it the gateway answers 504.",
    default: { text: "unset: the route's own in manifests/ (4s)", value: undefined },
    example: "3s",
    malformed: ["0s", "3", "1.5s", "3 s", "3h", "100000s"],
  }),
  SHOPFRONT_RETRIES: setting(
    optional(
      parsed<Retries | undefined>((name, text) => {
        const where = `${name}=${JSON.stringify(text)}`;
        const [attemptsText, perTry, ...rest] = text.split("@");
        const problems: string[] = [];
        const attempts = /^\d$/.test(attemptsText) ? Number(attemptsText) : Number.NaN;
        if (!(attempts <= MAX_RETRY_ATTEMPTS) || rest.length > 0) {
          problems.push(
            `${where} is not <attempts> or <attempts>@<per-try timeout>, attempts from 0 to ${MAX_RETRY_ATTEMPTS}, such as 2 or 3@1s`,
          );
        } else if (perTry !== undefined && duration(perTry) === undefined) {
          problems.push(`${where}: the per-try timeout ${JSON.stringify(perTry)} is not ${DURATION_FORM}`);
        } else if (perTry !== undefined && attempts === 0) {
          problems.push(`${where}: 0 attempts turn retries off, so a per-try timeout means nothing; use 0`);
        }
        return { value: { attempts, ...(perTry === undefined ? {} : { perTryTimeout: perTry }) }, problems };
      }, `<attempts> or <attempts>@<per-try timeout>, attempts from 0 to ${MAX_RETRY_ATTEMPTS}, such as 2 or 3@1s`),
    ),
    {
      field: "retries",
      description:
        "Retries of the shopfront's route (ROUTING_API=istio): the VirtualService's `retries.attempts`, and `perTryTimeout` when given; they retry connection failures only (connect-failure, refused-stream, reset...), as manifests/ does, never a status, so a version's errors still reach the counts. 0 turns retries off.",
      default: { text: "unset: the route's own in manifests/ (2 attempts of 1s)", value: undefined },
      example: "3@1s",
      malformed: ["4", "-1", "3@0s", "0@1s", "3@1", "three", "3@1s@2s"],
      check: (value, earlier) =>
        value !== undefined && earlier.ROUTING_API === "gateway-api"
          ? {
              message: `SHOPFRONT_RETRIES=${retriesText(value)} with ROUTING_API=gateway-api: HTTPRoute \`retry\` is not in ${GATEWAY_API} (it is standard from v1.7.0), so the API server would drop it; with the Gateway API, istiod's default retry policy applies (2 retries of connection failures, istio-stack), or use ROUTING_API=istio`,
            }
          : undefined,
    },
  ),
  SHOPFRONT_FAULT_DELAY: setting(
    optional(
      parsed<FaultDelay | undefined>((name, text) => {
        const read = pair("<delay>@<percent>, such as 2s@10", duration, percentOf, [
          DURATION_FORM,
          PERCENT_FORM,
        ])(name, text);
        return {
          value: read.value && { delay: read.value.left, percent: read.value.right },
          problems: read.problems,
        };
      }, `<delay>@<percent>: ${DURATION_FORM}, then ${PERCENT_FORM}; such as 2s@10`),
    ),
    {
      field: "faultDelay",
      description: `Delay injected into that share of the requests to the shopfront, at the ingress gateway: the VirtualService's \`fault.delay\` on the route bound to the ingress Gateway (ROUTING_API=istio only: the Gateway API has no fault filter). ${FAULT_RULE}: set without SHOPFRONT_TIMEOUT and SHOPFRONT_RETRIES.`,
      default: { text: "unset: no delay", value: undefined },
      example: "2s@10",
      malformed: ["2s", "2s@0", "2s@101", "0s@10", "2s@10%", "2@10", "2s@10@1"],
      check: faultCheck<FaultDelay>("SHOPFRONT_FAULT_DELAY", (value) => `${value.delay}@${value.percent}`),
      excludes: FAULT_EXCLUDES,
    },
  ),
  SHOPFRONT_FAULT_ABORT: setting(
    optional(
      parsed<FaultAbort | undefined>((name, text) => {
        const status = (code: string) => (/^[45]\d\d$/.test(code) ? Number(code) : undefined);
        const read = pair("<http status>@<percent>, such as 503@5", status, percentOf, [
          "an HTTP error status from 400 to 599",
          PERCENT_FORM,
        ])(name, text);
        return {
          value: read.value && { status: read.value.left, percent: read.value.right },
          problems: read.problems,
        };
      }, `<http status>@<percent>: an HTTP error status from 400 to 599, then ${PERCENT_FORM}; such as 503@5`),
    ),
    {
      field: "faultAbort",
      description: `Share of the requests to the shopfront that the ingress gateway answers itself with that status, without calling a version: the VirtualService's \`fault.abort\` on the route bound to the ingress Gateway (ROUTING_API=istio only). ${FAULT_RULE}: set without SHOPFRONT_TIMEOUT and SHOPFRONT_RETRIES.`,
      default: { text: "unset: no abort", value: undefined },
      example: "503@5",
      malformed: ["503", "200@5", "600@5", "503@0", "503@100.5", "abc@5"],
      check: faultCheck<FaultAbort>("SHOPFRONT_FAULT_ABORT", (value) => `${value.status}@${value.percent}`),
      excludes: FAULT_EXCLUDES,
    },
  ),
  SHOPFRONT_MIRROR: setting(
    optional(
      parsed<Mirror | undefined>(
        (name, text) => {
          const version = (given: string) =>
            (SHOPFRONT_VERSIONS as readonly string[]).includes(given) ? given : undefined;
          const read = pair("<version>@<percent>, such as v4@20", version, percentOf, [
            `a version (${SHOPFRONT_VERSIONS.join(", ")})`,
            PERCENT_FORM,
          ])(name, text);
          return {
            value: read.value && { version: read.value.left, percent: read.value.right },
            problems: read.problems,
          };
        },
        `<version>@<percent>: a version (${SHOPFRONT_VERSIONS.join(", ")}), then ${PERCENT_FORM}; such as v4@20`,
      ),
    ),
    {
      field: "mirror",
      description:
        "Copies that share of the shopfront's requests to a version, whose answers the gateway drops: the VirtualService's `mirror` and `mirrorPercentage` (ROUTING_API=istio), or a `RequestMirror` filter with `percent` (`fraction` for a decimal share) on the HTTPRoute (gateway-api).",
      default: { text: "unset: no mirroring", value: undefined },
      example: "v4@20",
      malformed: ["v4", "v9@20", "v4@0", "v4@120", "V4@20", "v4@20@1"],
    },
  ),
  INGRESS_RATE_LIMIT: setting(
    optional(
      parsed<RateLimit | undefined>((name, text) => {
        const match = /^([1-9]\d{0,5})\/(s|m)$/.exec(text);
        return match
          ? { value: { requests: Number(match[1]), per: match[2] as "s" | "m" }, problems: [] }
          : {
              value: undefined,
              problems: [
                `${name}=${JSON.stringify(text)} is not <requests>/s or <requests>/m, requests from 1 to 999999, such as 100/s`,
              ],
            };
      }, "<requests>/s or <requests>/m, requests from 1 to 999999, such as 100/s"),
    ),
    {
      field: "ingressRateLimit",
      description:
        "Local rate limit of the ingress gateway: an EnvoyFilter in istio-system (istio-config-stack) puts Envoy's local_ratelimit filter, a token bucket of that many requests refilled each second or minute, on the gateway's pods (the chart's istio-ingressgateway, or the Gateway API Gateway's). Requests past it get 429 with x-ratelimit-* headers. Each gateway pod has its own bucket: with MESH_PROFILE=production (2 pods) the ingress admits up to twice the limit.",
      default: { text: "unset: no rate limit", value: undefined },
      example: "100/s",
      malformed: ["100", "0/s", "100/h", "100 /s", "1000000/s", "1.5/s"],
    },
  ),
});
