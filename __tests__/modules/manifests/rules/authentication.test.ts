import { checkManifests } from "../../../../modules/manifests/checks";
import type { ManifestDocument } from "../../../../modules/manifests/model";
import type { MeshVariant } from "../../../../modules/mesh/mesh-variant";
import type { JwtAuthentication } from "../../../../modules/settings/sections/authentication";
import {
  ingressAuthentication,
  JWT_OBJECTS,
  JWT_SETTINGS_SOURCE,
} from "../../../../modules/shopfront/authentication";
import { ingressPrincipal } from "../../../../modules/shopfront/variants";
import { type Editable, editedCopy, error, variantManifests } from "../../../manifest-documents";

const ISSUER = "https://idp.example.com/realms/shop";
const JWT: JwtAuthentication = { issuer: ISSUER, audiences: [], required: true };
const RA = `RequestAuthentication/${JWT_OBJECTS.requestAuthentication}`;
const POLICY = `AuthorizationPolicy/${JWT_OBJECTS.requireToken}`;

/** The variant's real manifests with the JWT objects, deep-copied, after `edit` changed them. */
function withJwt(
  edit: (objects: { ra: Editable; policy: Editable }) => void = () => {},
  variant: MeshVariant = { meshMode: "sidecar", routingApi: "istio" },
): ManifestDocument[] {
  const documents = [
    ...variantManifests(variant).documents,
    ...ingressAuthentication(JWT, variant.routingApi),
  ];
  return editedCopy(documents, (objectOf) =>
    edit({
      ra: objectOf("RequestAuthentication", JWT_OBJECTS.requestAuthentication, "istio-system"),
      policy: objectOf("AuthorizationPolicy", JWT_OBJECTS.requireToken, "istio-system"),
    }),
  );
}

function check(
  documents: ManifestDocument[],
  variant: MeshVariant = { meshMode: "sidecar", routingApi: "istio" },
) {
  return checkManifests(documents, { ingressGatewayPrincipal: ingressPrincipal(variant.routingApi) });
}

const without = (documents: ManifestDocument[], kind: string) =>
  documents.filter((document) => document.object.kind !== kind);

describe("request authentication rules", () => {
  it.each([
    { meshMode: "sidecar", routingApi: "istio" },
    { meshMode: "ambient", routingApi: "gateway-api" },
  ] as const)("find nothing wrong with the JWT settings' objects (%o)", (variant) => {
    expect(
      check(
        withJwt(() => {}, variant),
        variant,
      ),
    ).toEqual([]);
  });

  it("refuse a policy on request principals with no RequestAuthentication for its workload", () => {
    expect(check(without(withJwt(), "RequestAuthentication"))).toEqual([
      error(
        JWT_SETTINGS_SOURCE,
        POLICY,
        "spec.rules[0].from[0].source.notRequestPrincipals",
        /no RequestAuthentication selects the same workload .*every request is denied, those with a valid token too/,
      ),
    ]);
  });

  it("refuse it when the RequestAuthentication selects another workload", () => {
    const documents = withJwt(({ ra }) => {
      ra.spec.selector.matchLabels = { app: "istio-egressgateway" };
    });
    expect(check(documents)).toEqual([
      error(
        JWT_SETTINGS_SOURCE,
        POLICY,
        "spec.rules[0].from[0].source.notRequestPrincipals",
        /no RequestAuthentication/,
      ),
    ]);
  });

  it("accept a RequestAuthentication of the whole mesh (the root namespace, no selector)", () => {
    const documents = withJwt(({ ra }) => {
      delete ra.spec.selector;
    });
    expect(check(documents)).toEqual([]);
  });

  it("match a Gateway's targetRefs with a selector of the label istiod gives its pods", () => {
    const variant = { meshMode: "sidecar", routingApi: "gateway-api" } as const;
    const documents = withJwt(({ ra }) => {
      delete ra.spec.targetRefs;
      ra.spec.selector = { matchLabels: { "gateway.networking.k8s.io/gateway-name": "shopfront-gateway" } };
    }, variant);
    expect(check(documents, variant)).toEqual([]);
  });

  it("refuse a principal of an issuer that no RequestAuthentication of the workload accepts", () => {
    const documents = withJwt(({ policy }) => {
      policy.spec.rules[0].from[0].source.notRequestPrincipals = ["https://other.example.com/*"];
    });
    expect(check(documents)).toEqual([
      error(
        JWT_SETTINGS_SOURCE,
        POLICY,
        "spec.rules[0].from[0].source.notRequestPrincipals[0]",
        new RegExp(`"https://other.example.com/\\*" names no issuer .*\\(${ISSUER}\\)`),
      ),
    ]);
  });

  it("read an ALLOW rule's requestPrincipals the same way, and accept * and the issuer's exact principals", () => {
    const allow = (principals: string[]) =>
      withJwt(({ policy }) => {
        policy.spec.action = "ALLOW";
        policy.spec.rules = [{ from: [{ source: { requestPrincipals: principals } }] }];
      });
    expect(check(allow(["*", `${ISSUER}/alice`, `${ISSUER}/*`]))).toEqual([]);
    expect(check(allow([`${ISSUER}`]))).toEqual([
      error(
        JWT_SETTINGS_SOURCE,
        POLICY,
        "spec.rules[0].from[0].source.requestPrincipals[0]",
        /names no issuer .*the rule admits no request/,
      ),
    ]);
  });

  it("refuse a key set fetched without TLS", () => {
    const documents = withJwt(({ ra }) => {
      ra.spec.jwtRules[0].jwksUri = "http://idp.example.com/certs";
    });
    expect(check(documents)).toEqual([
      error(JWT_SETTINGS_SOURCE, RA, "spec.jwtRules[0].jwksUri", /without TLS/),
    ]);
  });

  it("leave the ingress's DENY policy to these rules: the shopfront's rule that policies ALLOW the gateway only skips it", () => {
    const documents = withJwt(({ policy }) => {
      policy.spec.selector.matchLabels = { app: "shopfront" };
      policy.metadata.namespace = "miztiik-automation-ns";
    });
    const findings = check(documents).map((finding) => `${finding.field}: ${finding.message}`);
    expect(findings).toEqual(
      expect.arrayContaining([expect.stringMatching(/^spec.action: is DENY, it must be ALLOW/)]),
    );
  });
});
