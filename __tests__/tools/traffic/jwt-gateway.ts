/**
 * The ingress gateway's end-user authentication in miniature, on 127.0.0.1, in front of a gateway of
 * ./mesh.ts: it reads the RequestAuthentication and AuthorizationPolicy objects it is given (the
 * manifests the project deploys) and applies them to each request as Istio's Envoy does. A token in
 * `Authorization: Bearer` is verified against the key set (signature, issuer, audiences, expiry, with
 * `jose`): a bad one gets 401; a missing one is allowed through without a principal. Then the
 * AuthorizationPolicies decide, DENY before ALLOW, on the principal `<iss>/<sub>`: 403 when denied.
 * A request that passes goes upstream with the claims' headers set and without the token.
 *
 * It models only the fields the project's policies use, and refuses to start on any other, so that
 * it never passes a policy it does not understand.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createLocalJWKSet, errors, type JSONWebKeySet, jwtVerify } from "jose";
import type { ManifestDocument } from "../../../modules/manifests/model";
import { listenOnLoopback } from "./mesh";

interface JwtRule {
  readonly issuer: string;
  readonly audiences?: readonly string[];
  readonly outputClaimToHeaders?: readonly { readonly header: string; readonly claim: string }[];
}

interface Source {
  readonly requestPrincipals?: readonly string[];
  readonly notRequestPrincipals?: readonly string[];
}

interface Rule {
  readonly from?: readonly { readonly source: Source }[];
  readonly to?: readonly {
    readonly operation: { readonly ports?: string[]; readonly notPorts?: string[] };
  }[];
  readonly when?: readonly { readonly key: string; readonly values: readonly string[] }[];
}

interface Policy {
  readonly action: "ALLOW" | "DENY";
  readonly rules: readonly Rule[];
}

const KNOWN = {
  jwtRule: ["issuer", "jwksUri", "audiences", "outputClaimToHeaders"],
  rule: ["from", "to", "when"],
  source: ["requestPrincipals", "notRequestPrincipals"],
  operation: ["ports", "notPorts"],
};

function assertKnown(what: string, object: object, known: readonly string[]): void {
  const unknown = Object.keys(object).filter((key) => !known.includes(key));
  if (unknown.length > 0) throw new Error(`the test gateway does not model ${what} ${unknown.join(", ")}`);
}

/** Istio's string match: exact, `prefix*`, `*suffix`, or `*` for any non-empty value. */
function matches(pattern: string, value: string): boolean {
  if (pattern === "*") return value !== "";
  if (pattern.endsWith("*")) return value.startsWith(pattern.slice(0, -1));
  if (pattern.startsWith("*")) return value.endsWith(pattern.slice(1));
  return value === pattern;
}

interface RequestFacts {
  /** `<iss>/<sub>` of a valid token; "" without one. */
  readonly principal: string;
  readonly port: string;
  readonly headers: http.IncomingHttpHeaders;
}

function sourceMatches(source: Source, facts: RequestFacts): boolean {
  const { requestPrincipals, notRequestPrincipals } = source;
  if (requestPrincipals && !requestPrincipals.some((p) => matches(p, facts.principal))) return false;
  if (notRequestPrincipals?.some((p) => matches(p, facts.principal))) return false;
  return true;
}

function ruleMatches(rule: Rule, facts: RequestFacts): boolean {
  const from = rule.from === undefined || rule.from.some(({ source }) => sourceMatches(source, facts));
  const to =
    rule.to === undefined ||
    rule.to.some(({ operation }) => {
      if (operation.ports && !operation.ports.includes(facts.port)) return false;
      return !operation.notPorts?.includes(facts.port);
    });
  const when = (rule.when ?? []).every(({ key, values }) => {
    const header = /^request\.headers\[(.+)\]$/.exec(key)?.[1] ?? "";
    const value = String(facts.headers[header.toLowerCase()] ?? "");
    return values.some((pattern) => matches(pattern, value));
  });
  return from && to && when;
}

/** The RequestAuthentication rules and AuthorizationPolicies of `documents`, read as Istio reads them. */
function configOf(documents: readonly ManifestDocument[]) {
  const jwtRules: JwtRule[] = [];
  const policies: Policy[] = [];
  for (const { object } of documents) {
    const spec = (object.spec ?? {}) as Record<string, unknown>;
    if (object.kind === "RequestAuthentication") {
      for (const rule of (spec.jwtRules ?? []) as JwtRule[]) {
        assertKnown("jwtRule field", rule, KNOWN.jwtRule);
        jwtRules.push(rule);
      }
    } else if (object.kind === "AuthorizationPolicy") {
      const rules = (spec.rules ?? []) as Rule[];
      for (const rule of rules) {
        assertKnown("rule field", rule, KNOWN.rule);
        for (const { source } of rule.from ?? []) assertKnown("source field", source, KNOWN.source);
        for (const { operation } of rule.to ?? []) assertKnown("operation field", operation, KNOWN.operation);
        for (const { key } of rule.when ?? []) {
          if (!/^request\.headers\[.+\]$/.test(key))
            throw new Error(`the test gateway does not model the condition ${key}`);
        }
      }
      const action = (spec.action ?? "ALLOW") as string;
      if (action !== "ALLOW" && action !== "DENY")
        throw new Error(`the test gateway does not model ${action}`);
      policies.push({ action, rules });
    }
  }
  return { jwtRules, policies };
}

/** Envoy's jwt_authn answer for a token it refuses. */
async function verify(
  token: string,
  rules: readonly JwtRule[],
  keys: ReturnType<typeof createLocalJWKSet>,
): Promise<{ principal: string; headers: Record<string, string> } | { refused: string }> {
  let issuer: unknown;
  try {
    issuer = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()).iss;
  } catch {
    return { refused: "Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections" };
  }
  const rule = rules.find((candidate) => candidate.issuer === issuer);
  if (rule === undefined) return { refused: "Jwt issuer is not configured" };
  try {
    const { payload } = await jwtVerify(token, keys, {
      issuer: rule.issuer,
      ...(rule.audiences && rule.audiences.length > 0 ? { audience: [...rule.audiences] } : {}),
    });
    const headers: Record<string, string> = {};
    for (const { header, claim } of rule.outputClaimToHeaders ?? []) {
      const value = payload[claim];
      if (["string", "number", "boolean"].includes(typeof value))
        headers[header.toLowerCase()] = String(value);
    }
    return { principal: `${payload.iss}/${payload.sub}`, headers };
  } catch (error) {
    if (error instanceof errors.JWTExpired) return { refused: "Jwt is expired" };
    if (error instanceof errors.JWTClaimValidationFailed && error.claim === "aud") {
      return { refused: "Audiences in Jwt are not allowed" };
    }
    return { refused: "Jwt verification fails" };
  }
}

export interface JwtGateway {
  readonly url: string;
  /** The headers of each request sent upstream, in order. */
  readonly forwarded: http.IncomingHttpHeaders[];
}

const servers: http.Server[] = [];

/**
 * A gateway on 127.0.0.1 applying `documents` (RequestAuthentication and AuthorizationPolicy objects)
 * with the key set `jwks`, in front of `upstream`.
 */
export async function startJwtGateway(
  upstream: string,
  documents: readonly ManifestDocument[],
  jwks: JSONWebKeySet,
): Promise<JwtGateway> {
  const { jwtRules, policies } = configOf(documents);
  const keys = createLocalJWKSet(jwks);
  const target = new URL(upstream);
  const agent = new http.Agent({ keepAlive: true });
  const forwarded: http.IncomingHttpHeaders[] = [];
  const server = http.createServer(async (request, response) => {
    const headers = { ...request.headers };
    const bearer = /^Bearer (.+)$/.exec(headers.authorization ?? "")?.[1];
    let principal = "";
    if (bearer !== undefined && jwtRules.length > 0) {
      const verdict = await verify(bearer, jwtRules, keys);
      if ("refused" in verdict) {
        response
          .writeHead(401, { "content-type": "text/plain", "www-authenticate": "Bearer" })
          .end(verdict.refused);
        return;
      }
      principal = verdict.principal;
      Object.assign(headers, verdict.headers);
      // forwardOriginalToken is false: the token stops here.
      delete headers.authorization;
    }
    const facts = { principal, port: String((server.address() as AddressInfo).port), headers };
    const denied = policies.some(
      (p) => p.action === "DENY" && p.rules.some((rule) => ruleMatches(rule, facts)),
    );
    const allows = policies.filter((p) => p.action === "ALLOW");
    const allowed =
      allows.length === 0 || allows.some((p) => p.rules.some((rule) => ruleMatches(rule, facts)));
    if (denied || !allowed) {
      response.writeHead(403, { "content-type": "text/plain" }).end("RBAC: access denied");
      return;
    }
    forwarded.push(headers);
    const upstreamRequest = http.request(
      { host: target.hostname, port: target.port, path: request.url, headers, agent },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstreamRequest.on("error", () => response.writeHead(502).end("upstream error"));
    upstreamRequest.end();
  });
  servers.push(server);
  return { url: `http://127.0.0.1:${await listenOnLoopback(server)}/`, forwarded };
}

/** Closes every gateway a test started. */
export async function closeJwtGateways(): Promise<void> {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    ),
  );
}
