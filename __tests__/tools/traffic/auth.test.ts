/**
 * `npm run traffic -- auth` against the loopback mesh behind a gateway that applies the project's own
 * RequestAuthentication and AuthorizationPolicy as Istio does (./jwt-gateway.ts), with keys, a key
 * set and tokens made in the test (./identity-provider.ts).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ManifestDocument } from "../../../modules/manifests/model";
import type { JwtAuthentication } from "../../../modules/settings/sections/authentication";
import { ingressAuthentication, USER_HEADER } from "../../../modules/shopfront/authentication";
import { type AuthSummary, alteredSignature } from "../../../tools/traffic/auth";
import { traffic } from "../../traffic-run";
import { type IdentityProvider, identityProvider } from "./identity-provider";
import { closeJwtGateways, startJwtGateway } from "./jwt-gateway";
import { closeAll, startPods, startRouter, WALKTHROUGH_REPLICAS, WALKTHROUGH_WEIGHTS } from "./mesh";

const ISSUER = "https://idp.example.com/realms/shop";
const AUDIENCE = "shopfront-api";
/** The settings the mesh was deployed with, as settings.env holds them. */
const SETTINGS = { JWT_ISSUER: ISSUER, JWT_AUDIENCES: AUDIENCE };
const DEPLOYED: JwtAuthentication = { issuer: ISSUER, audiences: [AUDIENCE], required: true };

let provider: IdentityProvider;
let router: string;
let scratch: string;

beforeAll(async () => {
  provider = await identityProvider(ISSUER);
  router = await startRouter(await startPods(WALKTHROUGH_REPLICAS), { weights: WALKTHROUGH_WEIGHTS });
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "traffic-auth-"));
});
afterAll(async () => {
  await closeJwtGateways();
  await closeAll();
  fs.rmSync(scratch, { recursive: true, force: true });
});

/** A gateway applying `documents` (default: the objects the project deploys for DEPLOYED). */
async function gateway(documents: readonly ManifestDocument[] = ingressAuthentication(DEPLOYED, "istio")) {
  return startJwtGateway(router, documents, provider.jwks);
}

let files = 0;
/** `token` in a file of its own, as a user keeps it; its path. */
function tokenFile(token: string): string {
  const file = path.join(scratch, `token-${files++}.jwt`);
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return file;
}

async function auth(
  url: string,
  token: string,
  env: Record<string, string> = SETTINGS,
  extra: string[] = [],
) {
  const run = await traffic(
    ["auth", "--url", url, "--token-file", tokenFile(token), "-n", "20", "-c", "4", ...extra],
    {
      env,
    },
  );
  return { ...run, token };
}

async function authJson(url: string, token: string, env: Record<string, string> = SETTINGS) {
  const run = await auth(url, token, env, ["--json"]);
  return { ...run, summary: JSON.parse(run.stdout) as AuthSummary };
}

const statuses = (summary: AuthSummary) => summary.cases.map((item) => [item.name, item.statuses]);

describe("npm run traffic -- auth", () => {
  it("is OK when no token gets 403, a malformed one 401 and the token 200, and says so in one verdict", async () => {
    const { code, stdout, stderr, token } = await auth(
      (await gateway()).url,
      await provider.token({ audience: AUDIENCE }),
    );
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(stdout).toMatch(/^no token +403 +403 ×20$/m);
    expect(stdout).toMatch(/^malformed token +401 +401 ×20$/m);
    expect(stdout).toMatch(/^given token +200 +200 ×20$/m);
    expect(stdout).toContain(`iss ${ISSUER}, sub alice, aud ${AUDIENCE}`);
    expect(stdout.trimEnd().split("\n").at(-1)).toMatch(
      /^verdict: OK, the ingress refuses requests without a token \(403\)/,
    );
    expect(stdout).not.toContain(token);
  });

  it("passes the token's sub on to the shopfront in a header, and the token itself not at all", async () => {
    const ingress = await gateway();
    await auth(ingress.url, await provider.token({ audience: AUDIENCE, sub: "bob" }));
    expect(ingress.forwarded).toHaveLength(20);
    for (const headers of ingress.forwarded) {
      expect(headers[USER_HEADER]).toBe("bob");
      expect(headers.authorization).toBeUndefined();
    }
  });

  it("is never OK when the mesh lets requests without a token through while JWT_REQUIRED=true", async () => {
    const optional = await gateway(ingressAuthentication({ ...DEPLOYED, required: false }, "istio"));
    const { code, summary } = await authJson(optional.url, await provider.token({ audience: AUDIENCE }));
    expect(code).toBe(1);
    expect(statuses(summary)).toEqual([
      ["no token", { 200: 20 }],
      ["malformed token", { 401: 20 }],
      ["given token", { 200: 20 }],
    ]);
    expect(summary.problems).toEqual([
      expect.stringMatching(
        /^no token: expected 403, got 200 ×20: the mesh lets requests without a token through, but JWT_REQUIRED=true: the AuthorizationPolicy shopfront-require-jwt is missing/,
      ),
    ]);
  });

  it("expects 200 without a token when JWT_REQUIRED=false, and is OK with such a mesh", async () => {
    const optional = await gateway(ingressAuthentication({ ...DEPLOYED, required: false }, "istio"));
    const { code, summary } = await authJson(optional.url, await provider.token({ audience: AUDIENCE }), {
      ...SETTINGS,
      JWT_REQUIRED: "false",
    });
    expect({ code, problems: summary.problems }).toEqual({ code: 0, problems: [] });
    expect(summary.cases.map((item) => item.expected)).toEqual([200, 401, 200]);
  });

  it.each([
    ["an expired token", { audience: AUDIENCE, exp: Math.floor(Date.now() / 1000) - 60 }, /it expired at /],
    [
      "another issuer's token",
      { audience: AUDIENCE, issuer: "https://other.example.com" },
      /its iss is "https:\/\/other\.example\.com", not JWT_ISSUER/,
    ],
    [
      "a token for another audience",
      { audience: "billing" },
      /its aud \(billing\) holds none of JWT_AUDIENCES \(shopfront-api\)/,
    ],
    [
      "a token signed by a key the issuer does not publish",
      { audience: AUDIENCE, unknownKey: true },
      /its key is not in the key set/,
    ],
  ])("fails %s with the gateway's 401, and says why the token was refused", async (_, options, why) => {
    const { code, summary } = await authJson((await gateway()).url, await provider.token(options));
    expect(code).toBe(1);
    expect(summary.cases.map((item) => [item.name, item.right])).toEqual([
      ["no token", true],
      ["malformed token", true],
      ["given token", false],
    ]);
    expect(summary.problems).toEqual([
      expect.stringMatching(/^given token: expected 200, got 401 ×20: the gateway refused the token: /),
    ]);
    expect(summary.problems[0]).toMatch(why);
  });

  it("fails a mesh that requires a token but validates none: the malformed token is denied (403), not refused (401)", async () => {
    const [, policy] = ingressAuthentication(DEPLOYED, "istio");
    const { code, summary } = await authJson(
      (await gateway([policy])).url,
      await provider.token({ audience: AUDIENCE }),
    );
    expect(code).toBe(1);
    expect(summary.problems).toEqual([
      expect.stringMatching(
        /^malformed token: expected 401, got 403 ×20: the mesh did not validate the token/,
      ),
      expect.stringMatching(/^given token: expected 200, got 403 ×20/),
    ]);
  });

  it("fails a mesh with no authentication at all, on every case that should be refused", async () => {
    const { code, summary } = await authJson(router, await provider.token({ audience: AUDIENCE }));
    expect(code).toBe(1);
    expect(summary.problems).toEqual([
      expect.stringMatching(
        /^no token: expected 403, got 200 ×20: the mesh lets requests without a token through/,
      ),
      expect.stringMatching(
        /^malformed token: expected 401, got 200 ×20: the mesh accepts a token no key of the issuer signed/,
      ),
    ]);
  });

  it("prints one JSON object that names the token's file and claims, never the token", async () => {
    const token = await provider.token({ audience: AUDIENCE });
    const { stdout, summary } = await authJson((await gateway()).url, token);
    expect(summary).toMatchObject({
      command: "auth",
      token: {
        iss: ISSUER,
        sub: "alice",
        aud: [AUDIENCE],
        source: expect.stringMatching(/^--token-file .*\.jwt$/),
      },
      issuer: ISSUER,
      required: true,
      requestsPerCase: 20,
      exitCode: 0,
    });
    expect(summary.token.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(stdout).not.toContain(token.split(".")[2]);
  });

  it("alters only the signature of the malformed token", () => {
    const [header, payload, signature] = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl".split(".");
    const altered = alteredSignature(`${header}.${payload}.${signature}`).split(".");
    expect(altered.slice(0, 2)).toEqual([header, payload]);
    expect(altered[2]).not.toBe(signature);
    expect(Buffer.from(altered[2], "base64url")).toHaveLength(Buffer.from(signature, "base64url").length);
  });
});

describe("npm run traffic -- auth refuses to start", () => {
  it("without JWT_ISSUER: there is nothing to check", async () => {
    const { code, stdout, stderr } = await auth("http://127.0.0.1:9/", await provider.token(), {});
    expect({ code, stdout }).toEqual({ code: 2, stdout: "" });
    expect(stderr).toMatch(
      /^error: auth checks the JWT settings the mesh was deployed with, and JWT_ISSUER is not set/,
    );
  });

  it("without a token file", async () => {
    const { code, stderr } = await traffic(["auth", "--url", "http://127.0.0.1:9/"], { env: SETTINGS });
    expect(code).toBe(2);
    expect(stderr).toBe(
      "error: auth sends the token you give it, from a file: pass --token-file <path> or set TRAFFIC_TOKEN_FILE (docs/security.md says how to get one)\n",
    );
  });

  it("with a token on the command line instead of a file, and does not print it", async () => {
    const token = await provider.token();
    const { code, stderr } = await traffic(["auth", "--url", "http://127.0.0.1:9/", "--token-file", token], {
      env: SETTINGS,
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(/^error: --token-file is given a token, not the path of a file holding one/);
    expect(stderr).not.toContain(token.split(".")[1]);
  });
});

describe("the test gateway", () => {
  it("denies a request without a token that names a user in the header, when tokens are optional", async () => {
    const optional = await gateway(ingressAuthentication({ ...DEPLOYED, required: false }, "istio"));
    const anonymous = await fetch(optional.url);
    const spoofed = await fetch(optional.url, { headers: { [USER_HEADER]: "admin" } });
    expect([anonymous.status, spoofed.status]).toEqual([200, 403]);
  });

  it("refuses a policy field it does not model, rather than pass it", async () => {
    const [requestAuthentication, policy] = ingressAuthentication(DEPLOYED, "istio");
    const spec = policy.object.spec as { rules: Record<string, unknown>[] };
    const unknown = {
      ...policy,
      object: {
        ...policy.object,
        spec: { ...spec, rules: [{ ...spec.rules[0], to: [{ operation: { paths: ["/"] } }] }] },
      },
    };
    await expect(gateway([requestAuthentication, unknown])).rejects.toThrow(
      "the test gateway does not model operation field paths",
    );
  });
});
