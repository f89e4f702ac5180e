import { checkSchema } from "../../../modules/manifests/schemas";
import { MESH_VARIANTS, type RoutingApi } from "../../../modules/mesh/mesh-variant";
import { INGRESS_GATEWAY_LABELS } from "../../../modules/settings/names";
import type { JwtAuthentication } from "../../../modules/settings/sections/authentication";
import {
  ingressAuthentication,
  JWT_OBJECTS,
  JWT_SETTINGS_SOURCE,
  USER_HEADER,
} from "../../../modules/shopfront/authentication";
import { ShopfrontManifests } from "../../../modules/shopfront/manifest-set";

const ISSUER = "https://idp.example.com/realms/shop";
const REQUIRED: JwtAuthentication = {
  issuer: ISSUER,
  jwksUri: `${ISSUER}/protocol/openid-connect/certs`,
  audiences: ["shopfront-api"],
  required: true,
};
const CONFIG = { loadGenerator: false, errorGenerator: false };

// biome-ignore lint/suspicious/noExplicitAny: the tests walk the generated objects freely.
type Spec = Record<string, any>;

function objects(authentication: JwtAuthentication, routingApi: RoutingApi = "istio") {
  const [requestAuthentication, policy] = ingressAuthentication(authentication, routingApi).map(
    (document) => document.object,
  );
  return {
    requestAuthentication,
    policy,
    raSpec: requestAuthentication.spec as Spec,
    policySpec: policy.spec as Spec,
  };
}

describe("the JWT settings' objects at the ingress", () => {
  it("validate the issuer's tokens against its key set and audiences, and pass the token's sub on in a header", () => {
    const { requestAuthentication, raSpec } = objects(REQUIRED);
    expect(requestAuthentication).toMatchObject({
      apiVersion: "security.istio.io/v1",
      kind: "RequestAuthentication",
      metadata: { name: JWT_OBJECTS.requestAuthentication, namespace: "istio-system" },
    });
    expect(raSpec.jwtRules).toEqual([
      {
        issuer: ISSUER,
        jwksUri: REQUIRED.jwksUri,
        audiences: ["shopfront-api"],
        outputClaimToHeaders: [{ header: USER_HEADER, claim: "sub" }],
      },
    ]);
    // The original token is not forwarded: the shopfront gets the user, not a credential.
    expect(raSpec.jwtRules[0].forwardOriginalToken).toBeUndefined();
  });

  it("leave out the key set (OpenID discovery) and the audiences (none checked) when they are unset", () => {
    const { raSpec } = objects({ issuer: ISSUER, audiences: [], required: true });
    expect(raSpec.jwtRules[0]).not.toHaveProperty("jwksUri");
    expect(raSpec.jwtRules[0]).not.toHaveProperty("audiences");
  });

  it("with tokens required, deny every request without one of the issuer's principals, but on the status port", () => {
    const { policy, policySpec } = objects(REQUIRED);
    expect(policy.metadata).toEqual({ name: JWT_OBJECTS.requireToken, namespace: "istio-system" });
    expect(policySpec.action).toBe("DENY");
    expect(policySpec.rules).toEqual([
      {
        from: [{ source: { notRequestPrincipals: [`${ISSUER}/*`] } }],
        to: [{ operation: { notPorts: ["15021"] } }],
      },
    ]);
  });

  it("with tokens optional, deny only requests without a principal that name a user in the header", () => {
    const { policy, policySpec } = objects({ ...REQUIRED, required: false });
    expect(policy.metadata.name).toBe(JWT_OBJECTS.guardUserHeader);
    expect(policySpec).toMatchObject({
      action: "DENY",
      rules: [
        {
          from: [{ source: { notRequestPrincipals: [`${ISSUER}/*`] } }],
          when: [{ key: `request.headers[${USER_HEADER}]`, values: ["*"] }],
        },
      ],
    });
    expect(policySpec.rules[0].to).toBeUndefined();
  });

  it("select the gateway chart's pods with Istio's routing API", () => {
    const { raSpec, policySpec } = objects(REQUIRED, "istio");
    for (const spec of [raSpec, policySpec]) {
      expect(spec.selector).toEqual({ matchLabels: INGRESS_GATEWAY_LABELS });
      expect(spec.targetRefs).toBeUndefined();
    }
  });

  it("target the Gateway API ingress Gateway, in its own namespace, with the Gateway API", () => {
    const { requestAuthentication, raSpec, policySpec } = objects(REQUIRED, "gateway-api");
    const ref = { group: "gateway.networking.k8s.io", kind: "Gateway", name: "shopfront-gateway" };
    for (const spec of [raSpec, policySpec]) {
      expect(spec.targetRefs).toEqual([ref]);
      expect(spec.selector).toBeUndefined();
    }
    const gateway = new ShopfrontManifests({ config: CONFIG, routingApi: "gateway-api" }).documents.find(
      ({ object }) => object.kind === "Gateway" && object.metadata.name === ref.name,
    );
    expect(gateway?.object.metadata.namespace).toBe(requestAuthentication.metadata.namespace);
  });

  it("are valid against the Istio v1 schemas the manifest checks use, which do check these kinds", () => {
    for (const authentication of [REQUIRED, { ...REQUIRED, required: false }]) {
      for (const routingApi of ["istio", "gateway-api"] as const) {
        for (const document of ingressAuthentication(authentication, routingApi)) {
          expect(checkSchema(document)).toEqual([]);
        }
      }
    }
    const [document] = ingressAuthentication(REQUIRED, "istio");
    const spec = document.object.spec as Spec;
    const misspelt = {
      ...document,
      object: { ...document.object, spec: { ...spec, jwtRules: [{ ...spec.jwtRules[0], jwksURI: "x" }] } },
    };
    expect(checkSchema(misspelt).map((finding) => finding.field)).toEqual(["spec.jwtRules[0].jwksURI"]);
  });
});

describe("the shopfront's manifests with the JWT settings", () => {
  it.each(MESH_VARIANTS)("add them to the mesh-wide objects, and pass every check (%o)", (variant) => {
    const manifests = new ShopfrontManifests({ config: CONFIG, ...variant, authentication: REQUIRED });
    const names = (documents: typeof manifests.documents) =>
      documents.map(({ object }) => `${object.kind}/${object.metadata.name}`);
    expect(names(manifests.meshWide)).toEqual(
      expect.arrayContaining([
        `RequestAuthentication/${JWT_OBJECTS.requestAuthentication}`,
        `AuthorizationPolicy/${JWT_OBJECTS.requireToken}`,
      ]),
    );
    expect(names(manifests.shopfront).filter((name) => name.includes("jwt"))).toEqual([]);
    expect(manifests.isMeshWide(JWT_SETTINGS_SOURCE)).toBe(true);
    expect(manifests.findings()).toEqual([]);
  });

  it("are the same as without them when no issuer is set", () => {
    const without = new ShopfrontManifests({ config: CONFIG });
    expect(without.documents.some(({ object }) => object.kind === "RequestAuthentication")).toBe(false);
    expect(without.isMeshWide(JWT_SETTINGS_SOURCE)).toBe(false);
  });
});
