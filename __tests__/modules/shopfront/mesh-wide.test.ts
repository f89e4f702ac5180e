import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { DataResource, TerraformStack, Testing } from "cdktf";
import type { RoutingApi } from "../../../modules/mesh/mesh-variant";
import type { IngressSettings } from "../../../modules/shopfront/ingress";
import { ShopfrontManifests } from "../../../modules/shopfront/manifest-set";
import { MeshWideObjects } from "../../../modules/shopfront/mesh-wide";
import { Shopfront } from "../../../modules/shopfront/shopfront";
import { validationErrors } from "../../../stacks/app";
import { kubernetesManifests, manifestNamed, testApp } from "../../helpers";

const CONFIG = { loadGenerator: false, errorGenerator: false };
const MESH_MTLS = {
  apiVersion: "security.istio.io/v1",
  kind: "PeerAuthentication",
  metadata: { name: "default", namespace: "istio-system" },
  spec: { mtls: { mode: "STRICT" } },
};

interface BuildOptions {
  readonly routingApi?: RoutingApi;
  readonly ingress?: IngressSettings;
  readonly manifestsDir?: string;
  /** Builds the Shopfront too, on the same manifests, as the app does in the stack after. */
  readonly withShopfront?: boolean;
}

/** An istio-config-stack-like stack holding only the MeshWideObjects, synthesized. */
function build(options: BuildOptions = {}) {
  const app = testApp();
  const stack = new TerraformStack(app, "istio-config-stack");
  new KubernetesProvider(stack, "kubernetes", {});
  const manifests = new ShopfrontManifests({
    config: CONFIG,
    routingApi: options.routingApi,
    ingress: options.ingress,
    manifestsDir: options.manifestsDir,
  });
  const loadBalancerGone = new DataResource(stack, "load-balancer-gone", {});
  const meshWide = new MeshWideObjects(stack, "mesh-wide", {
    manifests,
    ingressGatewayDependsOn: [loadBalancerGone],
  });
  if (options.withShopfront) {
    const shopfrontStack = new TerraformStack(app, "shopfront-stack");
    new KubernetesProvider(shopfrontStack, "kubernetes", {});
    new Shopfront(shopfrontStack, "shopfront", { manifests });
  }
  const errors = validationErrors(app);
  const manifestsByName = kubernetesManifests(JSON.parse(Testing.synth(stack)));
  return {
    meshWide,
    errors,
    objects: [...manifestsByName.keys()],
    manifestOf: (key: string) => manifestNamed(manifestsByName, key),
  };
}

const madeDirs: string[] = [];
afterAll(() => {
  for (const dir of madeDirs) rmSync(dir, { recursive: true, force: true });
});

/** A copy of manifests/ with `edit` applied to the text of one file. */
function manifestsDirWith(file: string, edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), "shopfront-manifests-"));
  madeDirs.push(dir);
  cpSync("manifests", dir, { recursive: true });
  const before = readFileSync(join(dir, file), "utf8");
  const edited = edit(before);
  if (edited === before) throw new Error(`the edit changed nothing in ${file}`);
  writeFileSync(join(dir, file), edited);
  return dir;
}

describe("MeshWideObjects", () => {
  it("applies the mesh's default of STRICT mutual TLS, in Istio's root namespace, and nothing else with Istio's routing API", () => {
    const { objects, manifestOf, meshWide } = build();
    expect(objects).toEqual(["PeerAuthentication/istio-system/default"]);
    const mtls = manifestOf("PeerAuthentication/istio-system/default");
    expect(mtls.manifest).toEqual(MESH_MTLS);
    // The id names the namespace: the shopfront's namespace-wide policy is also PeerAuthentication/default.
    expect(meshWide.manifests.map((manifest) => manifest.node.id)).toEqual([
      "peerauthentication-istio-system-default",
    ]);
    expect(mtls.depends_on).toBeUndefined();
    expect(meshWide.ingressGateway).toBeUndefined();
  });

  describe("with the Gateway API", () => {
    const { objects, manifestOf, meshWide } = build({ routingApi: "gateway-api" });
    const gateway = manifestOf("Gateway/istio-system/shopfront-gateway");

    it("also applies the ingress Gateway, class istio, and its parameters ConfigMap, in istio-system", () => {
      expect(objects.sort()).toEqual([
        "ConfigMap/istio-system/shopfront-gateway",
        "Gateway/istio-system/shopfront-gateway",
        "PeerAuthentication/istio-system/default",
      ]);
      expect(gateway.manifest).toMatchObject({
        apiVersion: "gateway.networking.k8s.io/v1",
        spec: {
          gatewayClassName: "istio",
          infrastructure: { parametersRef: { group: "", kind: "ConfigMap", name: "shopfront-gateway" } },
        },
      });
      expect(manifestOf("PeerAuthentication/istio-system/default").manifest).toEqual(MESH_MTLS);
      expect(meshWide.ingressGateway?.node.id).toBe("gateway-istio-system-shopfront-gateway");
    });

    it("creates the Gateway after its ConfigMap, the mTLS default and what ingressGatewayDependsOn names: deleted before them", () => {
      expect([...(gateway.depends_on ?? [])].sort()).toEqual(
        [
          manifestOf("ConfigMap/istio-system/shopfront-gateway").address,
          manifestOf("PeerAuthentication/istio-system/default").address,
          "terraform_data.load-balancer-gone",
        ].sort(),
      );
      expect(manifestOf("ConfigMap/istio-system/shopfront-gateway").depends_on).toBeUndefined();
    });

    it("waits until istiod has deployed the Gateway's proxy (Programmed), and owns every field as istio-config-stack", () => {
      expect(gateway.wait).toEqual({ condition: [{ type: "Programmed", status: "True" }] });
      for (const object of objects) {
        expect(manifestOf(object).field_manager).toEqual({
          name: "istio-config-stack",
          force_conflicts: true,
        });
      }
    });

    it("makes the load balancer internal without source ranges", () => {
      const internal = build({
        routingApi: "gateway-api",
        ingress: { serviceType: "LoadBalancer", sourceCidrs: [] },
      });
      const annotations = internal.manifestOf("Gateway/istio-system/shopfront-gateway").manifest.spec
        .infrastructure.annotations;
      expect(annotations).toMatchObject({
        "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
        "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
      });
      expect(internal.manifestOf("ConfigMap/istio-system/shopfront-gateway").manifest.data).toEqual({});
    });
  });

  describe("validation: the checks run on the whole set, each finding reported by the construct that applies its file", () => {
    it("reports an error in a mesh-wide file here, and only here", () => {
      const dir = manifestsDirWith("mesh/mesh-security.yaml", (text) =>
        text.replace("mode: STRICT", "mode: DISABLE"),
      );
      const { errors } = build({ manifestsDir: dir, withShopfront: true });
      expect(errors).toEqual([
        expect.stringMatching(
          /^istio-config-stack\/mesh-wide: .*mesh\/mesh-security\.yaml: PeerAuthentication\/default: spec\.mtls\.mode: is "DISABLE", it must be STRICT/,
        ),
      ]);
    });

    it("leaves to the Shopfront an error in its route about the mesh-wide Gateway it names", () => {
      const dir = manifestsDirWith("mesh/routing-gateway-api/shopfront-gateway.yaml", (text) =>
        text.replace("    - name: http\n", "    - name: web\n"),
      );
      const { errors } = build({ manifestsDir: dir, routingApi: "gateway-api", withShopfront: true });
      expect(errors).toEqual([
        expect.stringMatching(
          /^shopfront-stack\/shopfront: .*routing-gateway-api\/shopfront-routes\.yaml: HTTPRoute\/shopfront: spec\.parentRefs\[0\]\.sectionName: .*has no listener named http$/,
        ),
      ]);
    });
  });
});
