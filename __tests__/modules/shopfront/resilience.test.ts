import type { ManifestDocument } from "../../../modules/manifests/model";
import { MESH_VARIANTS, type MeshVariant } from "../../../modules/mesh/mesh-variant";
import { type Env, loadConfig } from "../../../modules/settings/load";
import { ShopfrontManifests } from "../../../modules/shopfront/manifest-set";
import { withRouteFault, withShopfrontRules } from "../../../modules/shopfront/resilience";
import { type Editable, editedCopy, variantManifests } from "../../manifest-documents";

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

describe("SHOPFRONT_RETRIES (ROUTING_API=istio)", () => {
  it("3@2s: three retries of at most 2 s each, of connection failures as before", () => {
    const rule = routeRule(manifestsWith({ SHOPFRONT_RETRIES: "3@2s" }, ISTIO).documents, ISTIO);
    expect(rule.retries).toEqual({
      attempts: 3,
      perTryTimeout: "2s",
      retryOn: "connect-failure,refused-stream,unavailable,cancelled,reset",
    });
  });

  it("3: the attempts, the route's own per-try timeout kept", () => {
    expect(
      routeRule(manifestsWith({ SHOPFRONT_RETRIES: "3" }, ISTIO).documents, ISTIO).retries,
    ).toMatchObject({
      attempts: 3,
      perTryTimeout: "1s",
    });
  });

  it("0: retries off, written as attempts 0 so that Istio's default policy does not apply", () => {
    expect(routeRule(manifestsWith({ SHOPFRONT_RETRIES: "0" }, ISTIO).documents, ISTIO).retries).toEqual({
      attempts: 0,
    });
  });

  it("with SHOPFRONT_TIMEOUT, passes every check; 3 tries of 2 s past a 4 s timeout is a warning", () => {
    expect(errorsOf(manifestsWith({ SHOPFRONT_RETRIES: "3@1s", SHOPFRONT_TIMEOUT: "4s" }, ISTIO))).toEqual(
      [],
    );
    const tight = manifestsWith({ SHOPFRONT_RETRIES: "2@2s" }, ISTIO).findings();
    expect(tight).toEqual([
      expect.objectContaining({
        severity: "warning",
        field: "spec.http[0].retries.perTryTimeout",
        message: expect.stringMatching(/^is 2s for 3 tries, 6 s, over the route's timeout 4s/),
      }),
    ]);
  });
});

describe("SHOPFRONT_FAULT_DELAY and SHOPFRONT_FAULT_ABORT (ROUTING_API=istio)", () => {
  const env = { SHOPFRONT_FAULT_DELAY: "2s@10", SHOPFRONT_FAULT_ABORT: "503@5.5" };

  it("the fault on the VirtualService bound to the ingress Gateway, with no timeout and retries off", () => {
    const manifests = manifestsWith(env, ISTIO);
    const route = manifests.documents.find((document) => document.object.kind === "VirtualService");
    expect((route?.object.spec as Editable | undefined)?.gateways).toEqual(["shopfront-gateway"]);
    const rule = routeRule(manifests.documents, ISTIO);
    expect(rule.fault).toEqual({
      delay: { fixedDelay: "2s", percentage: { value: 10 } },
      abort: { httpStatus: 503, percentage: { value: 5.5 } },
    });
    expect(rule.timeout).toBeUndefined();
    expect(rule.retries).toEqual({ attempts: 0 });
    expect(rule.route).toHaveLength(4);
  });

  it.each([{ SHOPFRONT_FAULT_DELAY: "1s@100" }, { SHOPFRONT_FAULT_ABORT: "500@1" }])(
    "%o alone: only its own part of the fault",
    (one) => {
      const { fault } = routeRule(manifestsWith(one, ISTIO).documents, ISTIO);
      expect(Object.keys(fault)).toEqual([
        Object.keys(one)[0] === "SHOPFRONT_FAULT_DELAY" ? "delay" : "abort",
      ]);
    },
  );

  it.each([ISTIO, { meshMode: "ambient", routingApi: "istio" } as MeshVariant])(
    "%o: the route passes its schema and every check",
    (variant) => {
      expect(manifestsWith(env, variant).findings()).toEqual([]);
    },
  );

  it("refuses a route bound to no Gateway: a fault there never meets ingress traffic", () => {
    const unbound = editedCopy(variantManifests(ISTIO).documents, (objectOf) => {
      objectOf("VirtualService", "shopfront-virtual-service").spec.gateways = ["mesh"];
    });
    expect(() => withRouteFault(unbound, { abort: { status: 503, percent: 5 } })).toThrow(
      "cannot inject faults into ingress traffic: VirtualService/shopfront-virtual-service is bound to no ingress Gateway (gateways: mesh)",
    );
  });
});

describe("SHOPFRONT_MIRROR", () => {
  it("ROUTING_API=istio: mirror to the version's subset of the route's host, and its share", () => {
    const rule = routeRule(manifestsWith({ SHOPFRONT_MIRROR: "v4@20" }, ISTIO).documents, ISTIO);
    expect(rule.mirror).toEqual({ host: "shopfront-svc", subset: "v4" });
    expect(rule.mirrorPercentage).toEqual({ value: 20 });
  });

  it("ROUTING_API=gateway-api: a RequestMirror to the version's Service with percent", () => {
    const rule = routeRule(manifestsWith({ SHOPFRONT_MIRROR: "v3@20" }, GATEWAY_API).documents, GATEWAY_API);
    expect(rule.filters).toEqual([
      {
        type: "RequestMirror",
        requestMirror: { backendRef: { name: "shopfront-v3", port: 80 }, percent: 20 },
      },
    ]);
  });

  it("ROUTING_API=gateway-api: a share that is not a whole number as a fraction (percent is whole)", () => {
    const rule = routeRule(
      manifestsWith({ SHOPFRONT_MIRROR: "v4@12.5" }, GATEWAY_API).documents,
      GATEWAY_API,
    );
    expect(rule.filters[0].requestMirror).toMatchObject({
      fraction: { numerator: 125_000, denominator: 1_000_000 },
    });
    expect(rule.filters[0].requestMirror.percent).toBeUndefined();
  });

  it.each(MESH_VARIANTS)("%o: the route passes its schema and every check", (variant) => {
    expect(
      manifestsWith({ SHOPFRONT_MIRROR: "v2@0.5", SHOPFRONT_TIMEOUT: "3s" }, variant).findings(),
    ).toEqual([]);
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
