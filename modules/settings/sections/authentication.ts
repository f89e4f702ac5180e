/**
 * End-user authentication at the ingress: the JSON Web Tokens the ingress gateway validates
 * (RequestAuthentication) and whether it refuses requests without one (AuthorizationPolicy).
 * docs/security.md, "End-user authentication (JWT)", says which values an identity provider gives.
 */
import { z } from "zod";
import { BOOLEAN, optional, parsed, type SettingKind, section, setting } from "../kinds";

/** Istio's bound on a JWKS URI (RequestAuthentication's CRD), and ours on an issuer. */
const MAX_URL_LENGTH = 2048;

// Host (no credentials), optional port, path of URL-safe characters: no query or fragment (OpenID
// Connect's rule for an issuer), no `*` (the issuer prefixes the AuthorizationPolicy's principals).
const ISSUER_URL = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/[A-Za-z0-9._~:@!&+,;=%-]*)*$/;
const ISSUER_EMAIL = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;
// As the issuer, https only, a query allowed (some providers' key set URLs carry one).
const JWKS_URL =
  /^https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/[A-Za-z0-9._~:@!&+,;=%-]*)*(\?[A-Za-z0-9._~:@!&+,;=%/?-]*)?$/;
// URL-safe characters: an audience is a client id or an API's URL.
const AUDIENCE = /^[A-Za-z0-9._~:/?#@!&+=%-]{1,256}$/;

/** Whether an issuer is email-style (a Google service account's): it has no OpenID discovery. */
export function isEmailIssuer(issuer: string): boolean {
  return ISSUER_EMAIL.test(issuer);
}

const ISSUER: SettingKind<string> = {
  schema: () =>
    z
      .string()
      .max(MAX_URL_LENGTH)
      .refine((text) => ISSUER_URL.test(text) || ISSUER_EMAIL.test(text)),
  accepted:
    "the `iss` of the provider's tokens: an http(s) URL with no query, fragment, credentials or *, such as https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123, or an email-style issuer such as jwt@project.iam.gserviceaccount.com",
  malformed: [],
};

const JWKS_URI: SettingKind<string> = {
  schema: () => z.string().max(MAX_URL_LENGTH).regex(JWKS_URL),
  accepted: `an https:// URL of the provider's JSON Web Key Set, with no credentials or fragment, up to ${MAX_URL_LENGTH} characters`,
  malformed: [],
};

/** Parses `a,b` into audiences: URL-safe characters, none given twice. */
function parseAudiences(setting: string, text: string): { value: string[]; problems: string[] } {
  const where = `${setting}=${JSON.stringify(text)}`;
  const problems: string[] = [];
  const audiences: string[] = [];
  for (const item of text.split(",").map((part) => part.trim())) {
    if (!AUDIENCE.test(item)) {
      problems.push(
        `${where}: ${JSON.stringify(item)} is not an audience: 1-256 letters, digits or URL characters (._~:/?#@!&+=%-), such as shopfront-api`,
      );
    } else if (audiences.includes(item)) {
      problems.push(`${where}: the audience ${item} is given twice`);
    } else {
      audiences.push(item);
    }
  }
  return { value: audiences, problems };
}

/** The refusal of a JWT setting given without the issuer it belongs to. */
function withoutIssuer(name: string, value: string, why: string): { message: string } {
  return {
    message: `${name}=${JSON.stringify(value)} is set without a valid JWT_ISSUER: ${why}; set JWT_ISSUER to the iss of the provider's tokens`,
  };
}

const EXAMPLE_ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123";

export const AUTHENTICATION = section("End-user authentication (JWT)", {
  JWT_ISSUER: setting(optional(ISSUER), {
    field: "issuer",
    description:
      "The issuer whose JSON Web Tokens the ingress gateway validates (a RequestAuthentication in istio-system); a request with an invalid token gets 401. Unset, the ingress validates no token.",
    default: { text: "unset: no token is validated", value: undefined },
    example: EXAMPLE_ISSUER,
    malformed: [
      "issuer-foo",
      "ftp://idp.example.com",
      "https://",
      "https://idp.example.com/realms/shop?x=1",
      "https://idp.example.com/#top",
      "https://user:secret@idp.example.com",
      "https://idp.example.com/*",
      "jwt@",
      "x".repeat(MAX_URL_LENGTH + 1),
    ],
  }),
  JWT_JWKS_URI: setting(optional(JWKS_URI), {
    field: "jwksUri",
    description:
      "Where istiod fetches the issuer's signing keys (JWKS); istiod, not the gateway, reaches it, and refreshes it every 20 minutes.",
    default: {
      text: "unset: istiod finds it through the issuer's OpenID discovery (<JWT_ISSUER>/.well-known/openid-configuration)",
      value: undefined,
    },
    example: `${EXAMPLE_ISSUER}/.well-known/jwks.json`,
    exampleWith: { JWT_ISSUER: EXAMPLE_ISSUER },
    malformed: [
      "http://idp.example.com/jwks.json",
      "idp.example.com/jwks.json",
      "https://",
      "https://idp.example.com/jwks.json#keys",
      "https://user:secret@idp.example.com/jwks.json",
      "file:///etc/jwks.json",
      `https://idp.example.com/${"k".repeat(MAX_URL_LENGTH)}`,
    ],
    check: (uri, { JWT_ISSUER: issuer }) => {
      if (uri !== undefined && issuer === undefined) {
        return withoutIssuer("JWT_JWKS_URI", uri, "a key set belongs to an issuer");
      }
      if (uri === undefined && typeof issuer === "string" && isEmailIssuer(issuer)) {
        return {
          message: `JWT_ISSUER=${JSON.stringify(issuer)} is email-style, which has no OpenID discovery: set JWT_JWKS_URI to the https URL of its key set`,
        };
      }
      return undefined;
    },
  }),
  JWT_AUDIENCES: setting(
    parsed(
      parseAudiences,
      "comma-separated audiences, one of which a token's `aud` must hold, such as shopfront-api or https://shopfront.example.com",
    ),
    {
      field: "audiences",
      description:
        "Audiences the ingress accepts; a token for none of them gets 401. Unset, Istio checks no audience: any token of the issuer passes.",
      default: { text: "unset: no audience is checked", value: [] as string[] },
      example: "shopfront-api",
      exampleWith: { JWT_ISSUER: EXAMPLE_ISSUER },
      malformed: ["a,,b", "api,", "shop api", "api,api", "*"],
      check: (audiences, { JWT_ISSUER: issuer }) =>
        audiences.length > 0 && issuer === undefined
          ? withoutIssuer(
              "JWT_AUDIENCES",
              audiences.join(","),
              "an audience is checked in the issuer's tokens",
            )
          : undefined,
    },
  ),
  JWT_REQUIRED: setting(optional(BOOLEAN), {
    field: "required",
    description:
      "Refuse requests without a valid token with 403 (an AuthorizationPolicy on the ingress gateway, its health port left open); false lets them through without a user.",
    default: {
      text: "true once JWT_ISSUER is set",
      value: ({ JWT_ISSUER }) => (JWT_ISSUER === undefined ? undefined : true),
    },
    example: "true",
    exampleWith: { JWT_ISSUER: EXAMPLE_ISSUER },
    check: (required, earlier) => {
      if (required !== undefined && earlier.JWT_ISSUER === undefined) {
        return withoutIssuer("JWT_REQUIRED", String(required), "there is no token to require");
      }
      const generators = (["SHOPFRONT_LOAD_GENERATOR", "SHOPFRONT_ERROR_GENERATOR"] as const).filter(
        (name) => earlier[name] === true,
      );
      if (required === true && generators.length > 0) {
        return {
          message: `JWT_REQUIRED=true (the default once JWT_ISSUER is set) refuses the generators' requests, which carry no token (${generators.map((name) => `${name}=true`).join(", ")}): every one would get 403; set JWT_REQUIRED=false or turn them off`,
        };
      }
      return undefined;
    },
  }),
});

/** The authentication settings as the manifests use them: none, or the issuer's and the requirement. */
export interface JwtAuthentication {
  readonly issuer: string;
  readonly jwksUri?: string;
  readonly audiences: readonly string[];
  readonly required: boolean;
}

/** The JWT settings of a Config section, or undefined when no issuer is set (nothing is validated). */
export function jwtAuthentication(config: {
  readonly issuer?: string;
  readonly jwksUri?: string;
  readonly audiences: readonly string[];
  readonly required?: boolean;
}): JwtAuthentication | undefined {
  if (config.issuer === undefined) return undefined;
  return {
    issuer: config.issuer,
    ...(config.jwksUri === undefined ? {} : { jwksUri: config.jwksUri }),
    audiences: config.audiences,
    required: config.required ?? true,
  };
}
