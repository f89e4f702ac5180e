/**
 * An identity provider in miniature, for the traffic tests and the docs samples: an RS256 key pair
 * and its JSON Web Key Set, made with panva's `jose` (no hand-written crypto), and tokens signed with
 * it for the good and the bad cases, plus a key the provider never published.
 */
import { exportJWK, generateKeyPair, type JSONWebKeySet, type JWTPayload, SignJWT } from "jose";

/** A key, with the id a JWKS names it by. */
interface SigningKey {
  readonly kid: string;
  readonly privateKey: Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];
}

export interface TokenOptions {
  readonly sub?: string;
  /** The `iss` claim. @default the provider's issuer */
  readonly issuer?: string;
  /** The `aud` claim. @default none */
  readonly audience?: string | string[];
  /** Expiry, in seconds since the epoch. @default an hour from now */
  readonly exp?: number;
  /** Issued at, in seconds since the epoch. @default now */
  readonly iat?: number;
  /** Signed with a key that is not in the provider's key set. @default false */
  readonly unknownKey?: boolean;
}

export interface IdentityProvider {
  readonly issuer: string;
  /** The public keys, as the provider's jwks_uri serves them. */
  readonly jwks: JSONWebKeySet;
  token(options?: TokenOptions): Promise<string>;
}

async function signingKey(kid: string): Promise<{ key: SigningKey; publicJwk: Record<string, unknown> }> {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" };
  return { key: { kid, privateKey }, publicJwk };
}

/** A provider for `issuer`, its keys made for this run. */
export async function identityProvider(issuer: string): Promise<IdentityProvider> {
  const published = await signingKey("published-key");
  // Same key id, another key: what a token from a rotated-out or foreign key looks like.
  const unpublished = await signingKey("published-key");
  return {
    issuer,
    jwks: { keys: [published.publicJwk as JSONWebKeySet["keys"][number]] },
    async token(options = {}) {
      const now = Math.floor(Date.now() / 1000);
      const payload: JWTPayload = { ...(options.audience === undefined ? {} : { aud: options.audience }) };
      const { kid, privateKey } = options.unknownKey ? unpublished.key : published.key;
      return new SignJWT(payload)
        .setProtectedHeader({ alg: "RS256", kid, typ: "JWT" })
        .setIssuer(options.issuer ?? issuer)
        .setSubject(options.sub ?? "alice")
        .setIssuedAt(options.iat ?? now)
        .setExpirationTime(options.exp ?? now + 3600)
        .sign(privateKey);
    },
  };
}
