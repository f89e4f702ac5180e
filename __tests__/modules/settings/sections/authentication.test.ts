import { ConfigError, type Env, loadConfig } from "../../../../modules/settings/load";
import { jwtAuthentication } from "../../../../modules/settings/sections/authentication";

const ISSUER = "https://idp.example.com/realms/shop";
const JWKS = `${ISSUER}/protocol/openid-connect/certs`;

/** The problems loadConfig refuses `env` with. */
function problems(env: Env): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("the JWT settings", () => {
  it("change nothing while JWT_ISSUER is unset", () => {
    const { authentication } = loadConfig({});
    expect(authentication).toEqual({ audiences: [] });
    expect(jwtAuthentication(authentication)).toBeUndefined();
  });

  it("require a token by default once JWT_ISSUER is set, and read the key set and audiences", () => {
    const config = loadConfig({
      JWT_ISSUER: ISSUER,
      JWT_JWKS_URI: JWKS,
      JWT_AUDIENCES: "shop, https://api.example.com",
    });
    expect(jwtAuthentication(config.authentication)).toEqual({
      issuer: ISSUER,
      jwksUri: JWKS,
      audiences: ["shop", "https://api.example.com"],
      required: true,
    });
    expect(
      jwtAuthentication(loadConfig({ JWT_ISSUER: ISSUER, JWT_REQUIRED: "false" }).authentication)?.required,
    ).toBe(false);
  });

  it("accept email-style issuers and Auth0's trailing slash, as Istio does", () => {
    for (const issuer of ["jwt@project.iam.gserviceaccount.com", "https://shop.eu.auth0.com/"]) {
      expect(problems({ JWT_ISSUER: issuer, JWT_JWKS_URI: JWKS })).toEqual([]);
    }
  });

  it.each([
    [
      "JWT_JWKS_URI",
      JWKS,
      /^JWT_JWKS_URI=".*" is set without a valid JWT_ISSUER: a key set belongs to an issuer/,
    ],
    ["JWT_AUDIENCES", "shop", /^JWT_AUDIENCES="shop" is set without a valid JWT_ISSUER/],
    [
      "JWT_REQUIRED",
      "false",
      /^JWT_REQUIRED="false" is set without a valid JWT_ISSUER: there is no token to require/,
    ],
  ])("refuse %s without JWT_ISSUER, rather than validate nothing in silence", (name, value, message) => {
    expect(problems({ [name]: value })).toEqual([expect.stringMatching(message)]);
  });

  it("say the JWT setting depends on an issuer that was itself refused", () => {
    expect(problems({ JWT_ISSUER: "issuer-foo", JWT_JWKS_URI: JWKS })).toEqual([
      expect.stringMatching(/^JWT_ISSUER="issuer-foo" is not the `iss` of the provider's tokens/),
      expect.stringMatching(/^JWT_JWKS_URI=.* without a valid JWT_ISSUER/),
    ]);
  });

  it("refuse an email-style issuer without a key set: it has no OpenID discovery", () => {
    expect(problems({ JWT_ISSUER: "jwt@project.iam.gserviceaccount.com" })).toEqual([
      expect.stringMatching(/is email-style, which has no OpenID discovery: set JWT_JWKS_URI/),
    ]);
  });

  it("refuse requiring a token while the generators, which send none, are deployed", () => {
    expect(problems({ JWT_ISSUER: ISSUER, SHOPFRONT_LOAD_GENERATOR: "true" })).toEqual([
      "JWT_REQUIRED=true (the default once JWT_ISSUER is set) refuses the generators' requests, which carry no token (SHOPFRONT_LOAD_GENERATOR=true): every one would get 403; set JWT_REQUIRED=false or turn them off",
    ]);
    expect(
      problems({ JWT_ISSUER: ISSUER, JWT_REQUIRED: "false", SHOPFRONT_ERROR_GENERATOR: "true" }),
    ).toEqual([]);
  });

  it("refuse an audience given twice, naming it", () => {
    expect(problems({ JWT_ISSUER: ISSUER, JWT_AUDIENCES: "shop,api,shop" })).toEqual([
      'JWT_AUDIENCES="shop,api,shop": the audience shop is given twice',
    ]);
  });
});
