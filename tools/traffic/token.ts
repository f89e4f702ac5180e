/**
 * The bearer token the traffic tool's requests carry: read from a file (`--token-file`, else
 * TRAFFIC_TOKEN_FILE), never from the command line, where it would land in shell history and in
 * `ps` for every user of the machine. No message ever shows it. Its claims are read, not verified
 * (the gateway verifies it), to say what the gateway will think of it.
 */
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { readValue, type SettingKind } from "../../modules/settings/kinds";
import { UsageError } from "../command-line";
import type { Sourced } from "./targets";

/** The environment variable that names the token file when `--token-file` is not given. */
export const TOKEN_FILE_ENV = "TRAFFIC_TOKEN_FILE";

/** A token file's text is a token, and headers have a bound: Envoy's default is 60 KiB for all of them. */
const MAX_TOKEN_BYTES = 16 * 1024;

/** A JWS in compact form: three base64url parts. A JWE (five) is not a bearer token a gateway reads. */
const COMPACT_JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** The token file flag's form: a path, never blank; what it holds is checked when it is read. */
export const TOKEN_FILE: SettingKind<string> = {
  schema: () => z.string().refine((text) => text.trim() !== ""),
  accepted: "the path of a file holding the token (the token itself never goes on a command line)",
  malformed: [],
};

/** What the token says of itself, unverified: enough to explain a 401. */
export interface TokenClaims {
  readonly iss?: string;
  readonly sub?: string;
  readonly aud: readonly string[];
  /** Expiry, in seconds since the epoch. */
  readonly exp?: number;
}

export interface BearerToken {
  /** The token itself: request headers only, never a message, a report or JSON. */
  readonly token: string;
  readonly claims: TokenClaims;
}

function decodePart(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The claims of a compact JWT, or undefined when its header or payload is not a JSON object. */
export function claimsOf(token: string): TokenClaims | undefined {
  if (!COMPACT_JWT.test(token)) return undefined;
  const [header, payload] = token.split(".").map(decodePart);
  if (!isObject(header) || !isObject(payload)) return undefined;
  const text = (value: unknown) => (typeof value === "string" ? value : undefined);
  const aud = payload.aud;
  return {
    iss: text(payload.iss),
    sub: text(payload.sub),
    aud: typeof aud === "string" ? [aud] : Array.isArray(aud) ? aud.filter((a) => typeof a === "string") : [],
    exp: typeof payload.exp === "number" ? payload.exp : undefined,
  };
}

export interface TokenInputs {
  /** `--token-file`, if given. */
  readonly flag?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** What a relative path is relative to. */
  readonly cwd: string;
}

/**
 * The token to send: from `--token-file`, else TRAFFIC_TOKEN_FILE, else none. A path that is itself
 * a token, a missing or oversized file, or one that does not hold a JWT is a UsageError that names
 * where the path came from, and never shows the token.
 */
export function readToken({ flag, env, cwd }: TokenInputs): Sourced<BearerToken> | undefined {
  const given =
    flag !== undefined
      ? { name: "--token-file", text: flag }
      : env[TOKEN_FILE_ENV] !== undefined
        ? { name: TOKEN_FILE_ENV, text: env[TOKEN_FILE_ENV] as string }
        : undefined;
  if (given === undefined) return undefined;
  const where = `${given.name} ${given.text}`;
  if (COMPACT_JWT.test(given.text.trim())) {
    throw new UsageError(
      `${given.name} is given a token, not the path of a file holding one: a token on a command line lands in shell history and ps; write it to a file (chmod 600) and name the file`,
    );
  }
  const read = readValue(given.name, TOKEN_FILE, given.text);
  if ("problems" in read) throw new UsageError(read.problems[0]);
  const file = path.resolve(cwd, given.text);
  let size: number;
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) throw new UsageError(`${where}: not a file`);
    size = stat.size;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${where}: no such file`);
  }
  if (size > MAX_TOKEN_BYTES) {
    throw new UsageError(`${where}: ${size} bytes, more than a token (at most ${MAX_TOKEN_BYTES})`);
  }
  // One line; a copied `Authorization` value's scheme is dropped.
  const token = fs
    .readFileSync(file, "utf8")
    .trim()
    .replace(/^Bearer\s+/i, "");
  const claims = claimsOf(token);
  if (claims === undefined) {
    throw new UsageError(
      `${where}: does not hold a JWT (header.payload.signature, each base64url, the first two JSON objects, on one line)`,
    );
  }
  return {
    value: { token, claims },
    source: given.name === "--token-file" ? where : `${TOKEN_FILE_ENV}=${given.text}`,
  };
}

/** The request headers that carry `token`, none without one. */
export function authorizationHeaders(token: BearerToken | undefined): Readonly<Record<string, string>> {
  return token === undefined ? {} : { authorization: `Bearer ${token.token}` };
}
