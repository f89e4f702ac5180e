import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ManifestDocument } from "../../../modules/manifests/model";
import { MESH_VARIANTS, type MeshVariant } from "../../../modules/mesh/mesh-variant";
import { type Env, loadConfig } from "../../../modules/settings/load";
import { ShopfrontManifests } from "../../../modules/shopfront/manifest-set";
import { ingressRateLimit, RATE_LIMIT_FILE } from "../../../modules/shopfront/rate-limit";
import { buildTestStacks, kubernetesManifests, synthJson } from "../../helpers";
import type { Editable } from "../../manifest-documents";

function manifestsWith(env: Env, variant: MeshVariant): ShopfrontManifests {
  const config = loadConfig({ ...env, MESH_MODE: variant.meshMode, ROUTING_API: variant.routingApi });
  return new ShopfrontManifests({ config: config.shopfront, resilience: config.resilience, ...variant });
}

const envoyFilters = (documents: readonly ManifestDocument[]) =>
  documents.filter((document) => document.object.kind === "EnvoyFilter");

/** The local rate limit filter's config in the EnvoyFilter. */
function localRateLimit(filter: ManifestDocument): Editable {
  const [patch] = (filter.object.spec as Editable).configPatches;
  expect(patch.patch.value.name).toBe("envoy.filters.http.local_ratelimit");
  return patch.patch.value.typed_config;
}

describe("INGRESS_RATE_LIMIT", () => {
  it("unset: no EnvoyFilter", () => {
    for (const variant of MESH_VARIANTS)
      expect(envoyFilters(manifestsWith({}, variant).documents)).toEqual([]);
  });

  it("ROUTING_API=istio: manifests/resilience's EnvoyFilter, mesh-wide, on the chart's gateway pods, with the bucket", () => {
    const manifests = manifestsWith(
      { INGRESS_RATE_LIMIT: "250/s" },
      { meshMode: "sidecar", routingApi: "istio" },
    );
    const [filter] = envoyFilters(manifests.documents);
    expect(filter.file).toBe(path.join("manifests", RATE_LIMIT_FILE));
    expect(filter.object.metadata).toEqual({ name: "ingress-rate-limit", namespace: "istio-system" });
    expect(manifests.meshWide).toContain(filter);
    expect(manifests.shopfront).not.toContain(filter);
    expect((filter.object.spec as Editable).workloadSelector).toEqual({
      labels: { istio: "ingressgateway" },
    });
    expect(localRateLimit(filter)).toMatchObject({
      token_bucket: { max_tokens: 250, tokens_per_fill: 250, fill_interval: "1s" },
      enable_x_ratelimit_headers: "DRAFT_VERSION_03",
    });
  });

  it("ROUTING_API=gateway-api: on the pods istiod deploys for the Gateway; a limit per minute refills every 60 s", () => {
    const manifests = manifestsWith(
      { INGRESS_RATE_LIMIT: "30/m" },
      { meshMode: "ambient", routingApi: "gateway-api" },
    );
    const [filter] = envoyFilters(manifests.documents);
    expect((filter.object.spec as Editable).workloadSelector).toEqual({
      labels: { "gateway.networking.k8s.io/gateway-name": "shopfront-gateway" },
    });
    expect(localRateLimit(filter).token_bucket).toEqual({
      max_tokens: 30,
      tokens_per_fill: 30,
      fill_interval: "60s",
    });
  });

  it.each(MESH_VARIANTS)("%o: passes its schema and every check", (variant) => {
    expect(manifestsWith({ INGRESS_RATE_LIMIT: "100/s" }, variant).findings()).toEqual([]);
  });

  it("needs the file's local rate limit patch: the error names the file", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "rate-limit-"));
    try {
      cpSync("manifests", dir, { recursive: true });
      writeFileSync(
        path.join(dir, RATE_LIMIT_FILE),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
      );
      expect(() => ingressRateLimit(dir, { requests: 1, per: "s" }, "istio")).toThrow(
        `cannot set INGRESS_RATE_LIMIT: ${path.join(dir, RATE_LIMIT_FILE)} has no EnvoyFilter patch of envoy.filters.http.local_ratelimit`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the stacks", () => {
  it("istio-config-stack applies the EnvoyFilter with the mesh-wide objects, before the Gateway API ingress; shopfront-stack does not", () => {
    const stacks = buildTestStacks({ INGRESS_RATE_LIMIT: "100/s", ROUTING_API: "gateway-api" });
    const meshWide = kubernetesManifests(synthJson(stacks.istioConfig));
    const filter = meshWide.get("EnvoyFilter/istio-system/ingress-rate-limit");
    expect(filter?.manifest.spec).toMatchObject({
      workloadSelector: { labels: { "gateway.networking.k8s.io/gateway-name": "shopfront-gateway" } },
    });
    const gateway = meshWide.get("Gateway/istio-system/shopfront-gateway");
    expect(gateway?.depends_on).toEqual(expect.arrayContaining([filter?.address]));
    expect(
      [...kubernetesManifests(synthJson(stacks.shopfront)).keys()].filter((key) =>
        key.startsWith("EnvoyFilter"),
      ),
    ).toEqual([]);
  });
});
