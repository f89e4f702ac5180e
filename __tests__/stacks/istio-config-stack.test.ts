import { readFileSync } from "node:fs";
import path from "node:path";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { loadConfig } from "../../modules/settings/load";
import { buildStacks } from "../../stacks/app";
import {
  buildTestStacks,
  dependenciesOf,
  kubernetesManifests,
  manifestNamed,
  synth,
  synthJson,
  testApp,
} from "../helpers";

describe("istio-config-stack", () => {
  const stacks = buildTestStacks();
  const json = synth(stacks.istioConfig);
  const stack = synthJson(stacks.istioConfig);

  it("talks to the cluster through the cluster stack's remote state, with aws eks get-token", () => {
    const remote = "data.terraform_remote_state.cross-stack-reference-input-eks-cluster-stack.outputs";
    expect(json).toHaveProviderWithProperties(KubernetesProvider, {
      host: expect.stringContaining(remote),
      exec: [expect.objectContaining({ command: "aws", args: expect.arrayContaining(["eks", "get-token"]) })],
    });
    expect(Object.keys(stack.data.terraform_remote_state)).toEqual([
      "cross-stack-reference-input-eks-cluster-stack",
    ]);
  });

  it("is deployed after istio-stack, whose CRDs kubernetes_manifest needs at plan time, and before shopfront-stack", () => {
    expect(stacks.istioConfig.dependencies).toEqual(expect.arrayContaining([stacks.istio, stacks.cluster]));
    expect(stacks.shopfront.dependencies).toContain(stacks.istioConfig);
    expect(stacks.istio.dependencies).not.toContain(stacks.istioConfig);
  });

  it("records that order in cdktf's manifest, which orders `cdktf deploy` and `cdktf destroy`", () => {
    const app = testApp();
    buildStacks(app, loadConfig({}));
    app.synth();
    const manifest = JSON.parse(readFileSync(path.join(app.outdir, "manifest.json"), "utf8"));
    expect(manifest.stacks["istio-config-stack"].dependencies.sort()).toEqual([
      "eks-cluster-stack",
      "istio-stack",
    ]);
    expect(manifest.stacks["shopfront-stack"].dependencies).toEqual(
      expect.arrayContaining(["istio-config-stack", "istio-stack"]),
    );
  });

  it("holds the mesh's STRICT mutual TLS default; with Istio's routing API the ingress and its outputs are istio-stack's", () => {
    expect([...kubernetesManifests(stack).keys()]).toEqual(["PeerAuthentication/istio-system/default"]);
    expect(Object.keys(stack.output)).toEqual(["deploy_record"]);
    expect(stack.resource.terraform_data).toBeUndefined();
  });

  it("has the addresses that docs/operations.md imports into it when a deploy upgrades (gateway-api's)", () => {
    const page = readFileSync(path.join(__dirname, "..", "..", "docs", "operations.md"), "utf8");
    const named = [...page.matchAll(/terraform import '([^']+)'/g)].map(([, address]) => address);
    expect(named).toHaveLength(3);
    const gatewayApi = synthJson(buildTestStacks({ ROUTING_API: "gateway-api" }).istioConfig);
    const addresses = Object.entries(gatewayApi.resource).flatMap(([type, byName]) =>
      Object.keys(byName as object).map((name) => `${type}.${name}`),
    );
    expect(addresses).toEqual(expect.arrayContaining(named));
    // The load balancer wait keeps its address from shopfront-stack: the docs remove it there by it.
    expect(page).toContain(addresses.find((address) => address.startsWith("terraform_data.")));
  });

  it("matches the reviewed plan", () => {
    expect(stack).toMatchSnapshot();
  });
});

describe("istio-config-stack with the JWT settings", () => {
  const JWT = { JWT_ISSUER: "https://idp.example.com/realms/shop", JWT_AUDIENCES: "shopfront-api" };
  const OBJECTS = [
    "RequestAuthentication/istio-system/shopfront-jwt",
    "AuthorizationPolicy/istio-system/shopfront-require-jwt",
  ];

  it.each(["istio", "gateway-api"])(
    "applies the ingress's RequestAuthentication and policy, which shopfront-stack does not (ROUTING_API=%s)",
    (routingApi) => {
      const stacks = buildTestStacks({ ...JWT, ROUTING_API: routingApi });
      const mesh = kubernetesManifests(synthJson(stacks.istioConfig));
      expect([...mesh.keys()]).toEqual(expect.arrayContaining(OBJECTS));
      const app = [...kubernetesManifests(synthJson(stacks.shopfront)).keys()];
      expect(app.filter((key) => key.includes("jwt"))).toEqual([]);
      for (const key of OBJECTS) {
        expect(manifestNamed(mesh, key).field_manager).toEqual(
          expect.objectContaining({ name: "istio-config-stack" }),
        );
      }
    },
  );

  it("creates the Gateway API ingress only after them, so it never serves without them, and deletes it first", () => {
    const stack = synthJson(buildTestStacks({ ...JWT, ROUTING_API: "gateway-api" }).istioConfig);
    const mesh = kubernetesManifests(stack);
    const gateway = manifestNamed(mesh, "Gateway/istio-system/shopfront-gateway").address;
    const before = dependenciesOf(stack, gateway);
    for (const key of OBJECTS) expect(before).toContain(manifestNamed(mesh, key).address);
  });
});
