import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { UsageError } from "../../../tools/command-line";
import { authorizationHeaders, claimsOf, readToken } from "../../../tools/traffic/token";
import { type IdentityProvider, identityProvider } from "./identity-provider";

const ISSUER = "https://idp.example.com/realms/shop";

let provider: IdentityProvider;
let cwd: string;
beforeAll(async () => {
  provider = await identityProvider(ISSUER);
  cwd = fs.mkdtempSync(path.join(os.tmpdir(), "traffic-token-"));
});
afterAll(() => fs.rmSync(cwd, { recursive: true, force: true }));

function write(name: string, text: string): string {
  fs.writeFileSync(path.join(cwd, name), text);
  return name;
}

/** The UsageError's message for `inputs`. */
function refusal(inputs: Parameters<typeof readToken>[0]): string {
  try {
    readToken(inputs);
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error("the token was accepted");
}

describe("the bearer token", () => {
  it("is read from --token-file, else TRAFFIC_TOKEN_FILE, else there is none", async () => {
    const token = await provider.token({ sub: "carol", audience: ["a", "b"], exp: 4_102_444_800 });
    const file = write("token.jwt", `${token}\n`);
    const other = write("other.jwt", await provider.token({ sub: "dave" }));
    expect(readToken({ flag: file, env: { TRAFFIC_TOKEN_FILE: other }, cwd })).toEqual({
      value: { token, claims: { iss: ISSUER, sub: "carol", aud: ["a", "b"], exp: 4_102_444_800 } },
      source: "--token-file token.jwt",
    });
    expect(readToken({ env: { TRAFFIC_TOKEN_FILE: other }, cwd })).toMatchObject({
      value: { claims: { sub: "dave" } },
      source: "TRAFFIC_TOKEN_FILE=other.jwt",
    });
    expect(readToken({ env: {}, cwd })).toBeUndefined();
  });

  it("drops the Bearer scheme of a copied Authorization value", async () => {
    const token = await provider.token();
    expect(readToken({ flag: write("copied.txt", `Bearer ${token}`), env: {}, cwd })?.value.token).toBe(
      token,
    );
  });

  it("goes in the Authorization header as a bearer token", async () => {
    const token = await provider.token();
    const read = readToken({ flag: write("header.jwt", token), env: {}, cwd });
    expect(authorizationHeaders(read?.value)).toEqual({ authorization: `Bearer ${token}` });
    expect(authorizationHeaders(undefined)).toEqual({});
  });

  it("is refused on the command line, without being shown", async () => {
    const token = await provider.token();
    const message = refusal({ flag: token, env: {}, cwd });
    expect(message).toBe(
      "--token-file is given a token, not the path of a file holding one: a token on a command line lands in shell history and ps; write it to a file (chmod 600) and name the file",
    );
    expect(refusal({ env: { TRAFFIC_TOKEN_FILE: token }, cwd })).toMatch(
      /^TRAFFIC_TOKEN_FILE is given a token/,
    );
  });

  it("is refused when its file is missing, a folder, oversized, or holds no JWT, and never shown", async () => {
    expect(refusal({ flag: "missing.jwt", env: {}, cwd })).toBe("--token-file missing.jwt: no such file");
    fs.mkdirSync(path.join(cwd, "folder"));
    expect(refusal({ flag: "folder", env: {}, cwd })).toBe("--token-file folder: not a file");
    write("huge.jwt", "a".repeat(20_000));
    expect(refusal({ flag: "huge.jwt", env: {}, cwd })).toBe(
      "--token-file huge.jwt: 20000 bytes, more than a token (at most 16384)",
    );
    const notJwt = [
      "opaque-access-token",
      "a.b",
      "e30.e30.sig with spaces",
      "bm90IGpzb24.e30.c2ln",
      "a.b.c.d.e",
    ];
    for (const [index, text] of notJwt.entries()) {
      const message = refusal({ flag: write(`bad-${index}.jwt`, text), env: {}, cwd });
      expect(message).toBe(
        `--token-file bad-${index}.jwt: does not hold a JWT (header.payload.signature, each base64url, the first two JSON objects, on one line)`,
      );
    }
  });

  it("is refused as TRAFFIC_TOKEN_FILE when that is blank, as the flag would be", () => {
    expect(refusal({ env: { TRAFFIC_TOKEN_FILE: " " }, cwd })).toBe(
      'TRAFFIC_TOKEN_FILE=" " is not the path of a file holding the token (the token itself never goes on a command line)',
    );
  });

  it("has its claims read without verification, a single audience as a list", () => {
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
    expect(claimsOf(`${part({ alg: "none" })}.${part({ aud: "x", sub: 7 })}.c2ln`)).toEqual({
      iss: undefined,
      sub: undefined,
      aud: ["x"],
      exp: undefined,
    });
  });
});
