import { checkManifests as analyze } from "../../../modules/manifests/checks";
import type { ManifestDocument } from "../../../modules/manifests/model";
import { MESH_VARIANTS, type MeshVariant } from "../../../modules/mesh/mesh-variant";
import {
  httpRouteWeights,
  ingressPrincipal,
  meshWideManifestPaths,
  shopfrontManifestPaths,
  shopfrontRouteWeights,
  withHttpRouteWeights,
  withShopfrontWeights,
} from "../../../modules/shopfront/variants";
import type { Editable } from "../../manifest-documents";
import { variantManifests } from "../../manifest-documents";

const AMBIENT_GATEWAY_API: MeshVariant = { meshMode: "ambient", routingApi: "gateway-api" };

function documentsOf(variant: MeshVariant): ManifestDocument[] {
  const parsed = variantManifests(variant);
  expect(parsed.findings).toEqual([]);
  return parsed.documents;
}

describe("the manifests of each mesh variant", () => {
  it.each(MESH_VARIANTS)("%o: pass every check, the canary shift too", (variant) => {
    const documents = documentsOf(variant);
    const options = { ingressGatewayPrincipal: ingressPrincipal(variant.routingApi) };
    expect(analyze(documents, options)).toEqual([]);
    const canary = withShopfrontWeights(documents, { v1: 90, v2: 0, v3: 0, v4: 10 }, variant.routingApi);
    expect(analyze(canary, options)).toEqual([]);
    expect(shopfrontRouteWeights(canary, variant.routingApi)).toEqual({ v1: 90, v2: 0, v3: 0, v4: 10 });
  });

  it.each(MESH_VARIANTS)(
    "%o: the mesh-wide folders first, then the data plane's (its Namespace), the shared files, the routing API's",
    (variant) => {
      const paths = shopfrontManifestPaths("manifests", variant);
      const folderOf = (path: string) => path.split("/").slice(0, -1).join("/");
      const folders = [...new Set(paths.map(folderOf))];
      const gatewayApi = variant.routingApi === "gateway-api";
      expect(folders).toEqual([
        "manifests/mesh",
        // Only the Gateway API has mesh-wide routing objects: its ingress Gateway.
        ...(gatewayApi ? ["manifests/mesh/routing-gateway-api"] : []),
        `manifests/${variant.meshMode}`,
        "manifests",
        `manifests/routing-${variant.routingApi}`,
      ]);
      const meshWide = meshWideManifestPaths("manifests", variant);
      expect(paths.slice(0, meshWide.length)).toEqual(meshWide);
      expect(meshWide.every((path) => path.startsWith("manifests/mesh/"))).toBe(true);
      expect(paths[meshWide.length]).toBe(`manifests/${variant.meshMode}/namespace.yaml`);
    },
  );

  it("the ingress identity follows the routing API", () => {
    expect(ingressPrincipal("istio")).toBe("cluster.local/ns/istio-system/sa/istio-ingressgateway");
    expect(ingressPrincipal("gateway-api")).toBe("cluster.local/ns/istio-system/sa/shopfront-gateway-istio");
  });
});

describe("HTTPRoute weights (SHOPFRONT_WEIGHTS with ROUTING_API=gateway-api)", () => {
  const documents = documentsOf(AMBIENT_GATEWAY_API);

  it("reads each version's weight through the Service it routes to", () => {
    expect(httpRouteWeights(documents)).toEqual({ v1: 50, v2: 30, v3: 15, v4: 5 });
  });

  it("rewrites the backends to one per version, keeping the rule's match and timeout and the port", () => {
    const [route] = withHttpRouteWeights(documents, { v1: 25, v4: 75 }).filter(
      (d) => d.object.kind === "HTTPRoute",
    );
    const [rule] = (route.object.spec as Editable).rules;
    expect(rule.backendRefs).toEqual([
      { name: "shopfront-v1", port: 80, weight: 25 },
      { name: "shopfront-v4", port: 80, weight: 75 },
    ]);
    expect(rule.timeouts).toEqual({ request: "4s" });
    expect(rule.matches).toEqual([{ path: { type: "PathPrefix", value: "/" } }]);
  });

  it("refuses to rewrite when there is no such route", () => {
    expect(() =>
      withHttpRouteWeights(documentsOf({ meshMode: "sidecar", routingApi: "istio" }), { v1: 100 }),
    ).toThrow("cannot set route weights: no HTTPRoute/shopfront with a rule that has backends");
  });
});
