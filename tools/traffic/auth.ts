/**
 * `npm run traffic -- auth`: the ingress's end-user authentication as a client meets it. Three cases,
 * each sent `--requests` times over `--concurrency` connections (so over the gateway's replicas
 * behind a load balancer): no token, a malformed token (the given one with its signature altered,
 * which only a check against the issuer's keys finds), and the given token. One verdict: OK when
 * they answer 403 (200 with JWT_REQUIRED=false), 401, and 200; anything else fails, with what the
 * answer says about the mesh. The expectations come from the JWT settings the mesh was deployed with.
 */
import { ConfigError, type Env } from "../../modules/settings/load";
import type { JwtAuthentication } from "../../modules/settings/sections/authentication";
import { JWT_OBJECTS, jwtSettingsOf } from "../../modules/shopfront/authentication";
import { UsageError } from "../command-line";
import { HttpClient } from "./engine/client";
import { type RunResult, runBatch, type StopReason } from "./engine/runs";
import { table } from "./report";
import { authorizationHeaders, type BearerToken, type TokenClaims } from "./token";
import { type ExitCode, INTERRUPTED } from "./verdict";

export const AUTH_CASES = ["no token", "malformed token", "given token"] as const;
export type AuthCaseName = (typeof AUTH_CASES)[number];

export interface AuthCase {
  readonly name: AuthCaseName;
  readonly expected: number;
  readonly sent: number;
  /** HTTP status → responses. */
  readonly statuses: Record<string, number>;
  /** Requests that got no response, by cause. */
  readonly failures: Record<string, number>;
  /** Every request answered with the expected status. */
  readonly right: boolean;
}

export interface AuthSummary {
  readonly command: "auth";
  readonly url: string;
  readonly urlSource: string;
  readonly token: {
    readonly source: string;
    readonly iss: string | null;
    readonly sub: string | null;
    readonly aud: readonly string[];
    /** ISO 8601; null without an `exp` claim. */
    readonly expiresAt: string | null;
  };
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly required: boolean;
  readonly requestsPerCase: number;
  readonly concurrency: number;
  readonly cases: readonly AuthCase[];
  readonly elapsedMs: number;
  readonly stopped: StopReason | null;
  readonly exitCode: ExitCode;
  readonly problems: readonly string[];
}

/** The JWT settings the mesh was deployed with, or a UsageError: without an issuer there is nothing to check. */
export function deployedAuthentication(env: Env): JwtAuthentication {
  let authentication: JwtAuthentication | undefined;
  try {
    authentication = jwtSettingsOf(env);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.problems[0]);
    throw error;
  }
  if (authentication === undefined) {
    throw new UsageError(
      "auth checks the JWT settings the mesh was deployed with, and JWT_ISSUER is not set (settings.env or the environment): the ingress validates no token",
    );
  }
  return authentication;
}

/** The token with its signature's bytes inverted: well formed, signed by no key of the issuer. */
export function alteredSignature(token: string): string {
  const [header, payload, signature] = token.split(".");
  const bytes = Buffer.from(signature, "base64url").map((byte) => byte ^ 0xff);
  return `${header}.${payload}.${Buffer.from(bytes).toString("base64url")}`;
}

export interface AuthOptions {
  readonly url: URL;
  readonly urlSource: string;
  readonly token: { readonly value: BearerToken; readonly source: string };
  readonly authentication: JwtAuthentication;
  readonly requests: number;
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly interrupt?: AbortSignal;
  /** Now, in milliseconds since the epoch: whether the token has expired. */
  readonly now: number;
}

interface CaseRun {
  readonly result: AuthCase;
  readonly run: RunResult;
  readonly answered: number;
}

async function runCase(
  name: AuthCaseName,
  expected: number,
  token: BearerToken | undefined,
  options: AuthOptions,
): Promise<CaseRun> {
  const client = new HttpClient(options.url, {
    maxSockets: options.concurrency,
    timeoutMs: options.timeoutMs,
    headers: authorizationHeaders(token),
  });
  const statuses = new Map<string, number>();
  const failures = new Map<string, number>();
  const bump = (counts: Map<string, number>, key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  let answered = 0;
  try {
    const run = await runBatch(client, {
      requests: options.requests,
      concurrency: options.concurrency,
      maxTimeMs: options.timeoutMs * Math.ceil(options.requests / options.concurrency) + 1000,
      unreachableAfter: Math.min(options.requests, options.concurrency),
      interrupt: options.interrupt,
      onOutcome: (outcome) => {
        if (outcome.kind === "response") {
          answered++;
          bump(statuses, String(outcome.status));
        } else if (outcome.cause !== "cancelled") {
          bump(failures, outcome.cause);
        }
      },
    });
    const right = failures.size === 0 && statuses.size === 1 && statuses.has(String(expected));
    return {
      result: {
        name,
        expected,
        sent: run.sent,
        statuses: Object.fromEntries(statuses),
        failures: Object.fromEntries(failures),
        right: right && run.stopped === undefined,
      },
      run,
      answered,
    };
  } finally {
    await client.close();
  }
}

/** `403 ×98, timeout ×2`: what a case got. */
export function answersText(result: AuthCase): string {
  const parts = [
    ...Object.entries(result.statuses).map(([status, n]) => `${status} ×${n}`),
    ...Object.entries(result.failures).map(([cause, n]) => `${cause} ×${n}`),
  ];
  return parts.length > 0 ? parts.join(", ") : "none";
}

/** Why the given token may have been refused, from its claims against the settings. */
function refusalHints(claims: TokenClaims, authentication: JwtAuthentication, now: number): string[] {
  const hints: string[] = [];
  if (claims.exp !== undefined && claims.exp * 1000 <= now) {
    hints.push(`it expired at ${new Date(claims.exp * 1000).toISOString()}`);
  }
  if (claims.iss !== authentication.issuer) {
    hints.push(`its iss is ${JSON.stringify(claims.iss ?? null)}, not JWT_ISSUER ${authentication.issuer}`);
  }
  const { audiences } = authentication;
  if (audiences.length > 0 && !claims.aud.some((aud) => audiences.includes(aud))) {
    hints.push(
      `its aud (${claims.aud.join(", ") || "none"}) holds none of JWT_AUDIENCES (${audiences.join(", ")})`,
    );
  }
  return hints.length > 0
    ? hints
    : [
        "its claims match the settings, so its key is not in the key set istiod fetched (JWT_JWKS_URI), or istiod could not fetch it",
      ];
}

/** What a wrong case says about the mesh. */
function problemOf(result: AuthCase, options: AuthOptions): string {
  const got = `${result.name}: expected ${result.expected}, got ${answersText(result)}`;
  const policy = `AuthorizationPolicy ${JWT_OBJECTS.requireToken}`;
  const requestAuthentication = `RequestAuthentication ${JWT_OBJECTS.requestAuthentication}`;
  const statuses = Object.keys(result.statuses);
  if (result.name === "no token") {
    if (options.authentication.required && statuses.includes("200")) {
      return `${got}: the mesh lets requests without a token through, but JWT_REQUIRED=true: the ${policy} is missing or does not apply to the ingress gateway`;
    }
    if (!options.authentication.required && statuses.includes("403")) {
      return `${got}: the mesh refuses requests without a token, but JWT_REQUIRED=false: a policy that requires one (${policy}?) still applies to the ingress gateway`;
    }
  }
  if (result.name === "malformed token") {
    if (statuses.includes("200")) {
      return `${got}: the mesh accepts a token no key of the issuer signed: no ${requestAuthentication} validates tokens at the ingress gateway`;
    }
    if (statuses.includes("403")) {
      return `${got}: the mesh did not validate the token (no ${requestAuthentication} for the issuer applies to the ingress gateway) and denied the request as one without a token`;
    }
  }
  if (result.name === "given token") {
    if (statuses.includes("401")) {
      return `${got}: the gateway refused the token: ${refusalHints(options.token.value.claims, options.authentication, options.now).join("; ")}`;
    }
    if (statuses.includes("403")) {
      return `${got}: the token was valid but the request denied: another issuer in the ${policy}, or another AuthorizationPolicy of the ingress gateway`;
    }
  }
  return got;
}

function tokenSummary(token: AuthOptions["token"]): AuthSummary["token"] {
  const { claims } = token.value;
  return {
    source: token.source,
    iss: claims.iss ?? null,
    sub: claims.sub ?? null,
    aud: claims.aud,
    expiresAt: claims.exp === undefined ? null : new Date(claims.exp * 1000).toISOString(),
  };
}

/** Runs the three cases in turn; an unreachable gateway or Ctrl-C ends the check at the case it happens in. */
export async function checkAuthentication(options: AuthOptions): Promise<AuthSummary> {
  const started = performance.now();
  const given = options.token.value;
  const plan: [AuthCaseName, number, BearerToken | undefined][] = [
    ["no token", options.authentication.required ? 403 : 200, undefined],
    ["malformed token", 401, { ...given, token: alteredSignature(given.token) }],
    ["given token", 200, given],
  ];
  const cases: AuthCase[] = [];
  let stopped: StopReason | undefined;
  let unreachable: string | undefined;
  for (const [name, expected, token] of plan) {
    const { result, run, answered } = await runCase(name, expected, token, options);
    cases.push(result);
    if (run.stopped === "interrupted" || (run.stopped === "unreachable" && answered === 0)) {
      stopped = run.stopped;
      if (stopped === "unreachable") {
        unreachable = `cannot reach ${options.url.href}: ${answersText(result)} (no answer to ${result.name})`;
      }
      break;
    }
  }
  const sent = cases.reduce((sum, item) => sum + item.sent, 0);
  let exitCode: ExitCode;
  let problems: string[];
  if (stopped === "interrupted") {
    exitCode = INTERRUPTED;
    problems = [`interrupted by Ctrl-C (SIGINT) after ${sent} requests`];
  } else if (unreachable !== undefined) {
    exitCode = 2;
    problems = [unreachable];
  } else {
    problems = cases.filter((item) => !item.right).map((item) => problemOf(item, options));
    exitCode = problems.length > 0 ? 1 : 0;
  }
  return {
    command: "auth",
    url: options.url.href,
    urlSource: options.urlSource,
    token: tokenSummary(options.token),
    issuer: options.authentication.issuer,
    audiences: options.authentication.audiences,
    required: options.authentication.required,
    requestsPerCase: options.requests,
    concurrency: options.concurrency,
    cases,
    elapsedMs: Math.round(performance.now() - started),
    stopped: stopped ?? null,
    exitCode,
    problems,
  };
}

/** The report of `auth`: the token as read, a row per case, and the verdict. */
export function authText(summary: AuthSummary): string {
  const { token } = summary;
  const expires = token.expiresAt === null ? "no expiry" : `expires ${token.expiresAt}`;
  const audiences = summary.audiences.length > 0 ? summary.audiences.join(", ") : "any (JWT_AUDIENCES unset)";
  const rows = [
    ["case", "expected", "answers"],
    ...summary.cases.map((item) => [item.name, String(item.expected), answersText(item)]),
  ];
  const verdict =
    summary.exitCode === 0
      ? [
          `verdict: OK, the ingress ${summary.required ? "refuses requests without a token (403)" : "lets requests without a token through (200)"}, refuses a malformed token (401) and lets the token through (200)`,
        ]
      : summary.exitCode === INTERRUPTED
        ? [`verdict: ${summary.problems[0].replace(/^interrupted/, "INTERRUPTED")}`]
        : ["verdict: FAIL", ...summary.problems.map((problem) => `  - ${problem}`)];
  return [
    `${summary.requestsPerCase} requests a case to ${summary.url} (from ${summary.urlSource}), concurrency ${summary.concurrency}, ${(summary.elapsedMs / 1000).toFixed(2)} s`,
    `token from ${token.source}: iss ${token.iss ?? "none"}, sub ${token.sub ?? "none"}, aud ${token.aud.join(", ") || "none"}, ${expires}`,
    `the mesh's settings: JWT_ISSUER ${summary.issuer}, audiences ${audiences}, JWT_REQUIRED=${summary.required}`,
    "",
    table(rows, "lrl"),
    "",
    ...verdict,
    "",
  ].join("\n");
}
