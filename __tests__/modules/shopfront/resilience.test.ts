import type { ManifestDocument } from "../../../modules/manifests/model";
import { MESH_VARIANTS, type MeshVariant } from "../../../modules/mesh/mesh-variant";
import { type Env, loadConfig } from "../../../modules/settings/load";
import { ShopfrontManifests } from "../../../modules/shopfront/manifest-set";
import { withShopfrontRules } from "../../../modules/shopfront/resilience";
import { type Editable, variantManifests } from "../../manifest-documents";

const ISTIO: MeshVariant = { meshMode: "sidecar", routingApi: "istio" };
const GATEWAY_API: MeshVariant = { meshMode: "sidecar", routingApi: "gateway-api" };

/** The shopfront's manifests as synth builds them from `env` for `variant`. */
function manifestsWith(env: Env, variant: MeshVariant): ShopfrontManifests {
  const config = loadConfig({ ...env, MESH_MODE: variant.meshMode, ROUTING_API: variant.routingApi });
  return new ShopfrontManifests({
    config: config.shopfront,
    resilience: config.resilience,
    meshMode: variant.meshMode,
    routingApi: variant.routingApi,
  });
}

/** The one routing rule of the shopfront's route: the VirtualService's or the HTTPRoute's. */
function routeRule(documents: readonly ManifestDocument[], variant: MeshVariant): Editable {
  const [kind, rules] = variant.routingApi === "istio" ? ["VirtualService", "http"] : ["HTTPRoute", "rules"];
  const route = documents.filter((document) => document.object.kind === kind);
  expect(route).toHaveLength(1);
  const spec = route[0].object.spec as Editable;
  expect(spec[rules]).toHaveLength(1);
  return spec[rules][0];
}

const errorsOf = (manifests: ShopfrontManifests) =>
  manifests.findings().filter((finding) => finding.severity === "error");

describe("unset, the resilience settings change nothing", () => {
  it.each(MESH_VARIANTS)("%o: the route is the manifests' own", (variant) => {
    expect(routeRule(manifestsWith({}, variant).documents, variant)).toEqual(
      routeRule(variantManifests(variant).documents, variant),
    );
  });
});

describe("SHOPFRONT_TIMEOUT", () => {
  it("ROUTING_API=istio: the VirtualService's timeout, its retries kept", () => {
    const rule = routeRule(manifestsWith({ SHOPFRONT_TIMEOUT: "3s" }, ISTIO).documents, ISTIO);
    expect(rule.timeout).toBe("3s");
    expect(rule.retries).toEqual({
      attempts: 2,
      perTryTimeout: "1s",
      retryOn: "connect-failure,refused-stream,unavailable,cancelled,reset",
    });
  });

  it("ROUTING_API=gateway-api: the HTTPRoute's timeouts.request", () => {
    const rule = routeRule(
      manifestsWith({ SHOPFRONT_TIMEOUT: "2500ms" }, GATEWAY_API).documents,
      GATEWAY_API,
    );
    expect(rule.timeouts).toEqual({ request: "2500ms" });
    expect(rule.backendRefs).toHaveLength(4);
  });

  it.each(MESH_VARIANTS)("%o: the route passes its schema and every check", (variant) => {
    expect(errorsOf(manifestsWith({ SHOPFRONT_TIMEOUT: "2m" }, variant))).toEqual([]);
  });
});

describe("the shopfront's route", () => {
  it("must be there to be rewritten: the error names it", () => {
    expect(() => withShopfrontRules([], "istio", (rule) => rule)).toThrow(
      "cannot apply the resilience settings: no VirtualService/shopfront-virtual-service with a rule that routes traffic",
    );
    expect(() => withShopfrontRules([], "gateway-api", (rule) => rule)).toThrow(
      "no HTTPRoute/shopfront with a rule that routes traffic",
    );
  });
});
