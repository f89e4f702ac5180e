import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { SHOPFRONT_VERSIONS } from "../../../modules/settings/names";
import { UsageError } from "../../../tools/command-line";
import {
  defaultRouteFile,
  gatewayUrl,
  replicasFromManifests,
  resolveExpected,
  resolveUrl,
  weightsFromManifest,
} from "../../../tools/traffic/targets";

const FIXTURES = path.join(__dirname, "..", "..", "fixtures", "traffic", "manifests");
const MESH = path.join(FIXTURES, "routing-istio", "shopfront-mesh.yaml");
const OUTPUTS = "cdktf-outputs.json";

let workdir: string;
beforeEach(() => {
  workdir = fs.mkdtempSync(path.join(os.tmpdir(), "traffic-targets-"));
});
afterEach(() => fs.rmSync(workdir, { recursive: true, force: true }));

function writeOutputs(outputs: unknown, name = "cdktf-outputs.json"): void {
  fs.writeFileSync(path.join(workdir, name), JSON.stringify(outputs));
}

function message(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error("expected a UsageError");
}

describe("gateway URL", () => {
  test("a bare hostname gets http://, as `curl $GATEWAY_URL` does", () => {
    expect(gatewayUrl("GATEWAY_URL", "a1b2c3.us-east-1.elb.amazonaws.com").href).toBe(
      "http://a1b2c3.us-east-1.elb.amazonaws.com/",
    );
    expect(gatewayUrl("--url", "gw.example.com:8080").href).toBe("http://gw.example.com:8080/");
    expect(gatewayUrl("--url", "https://gw.example.com/shop").href).toBe("https://gw.example.com/shop");
  });

  test.each(["ftp://gw.example.com", "http://", "not a host"])(
    "%j is refused, naming the setting",
    (text) => {
      expect(message(() => gatewayUrl("--url", text))).toBe(
        `--url=${JSON.stringify(text)} is not an http:// or https:// URL or a host name such as a1b2c3.us-east-1.elb.amazonaws.com`,
      );
    },
  );

  test("--url wins over GATEWAY_URL and the outputs file", () => {
    writeOutputs({ "istio-stack": { gateway_url: "http://from-file.example.com" } });
    const resolved = resolveUrl({
      flag: "from-flag.example.com",
      env: { GATEWAY_URL: "from-env.example.com" },
      cwd: workdir,
      outputsFile: "cdktf-outputs.json",
    });
    expect(resolved).toEqual({ value: new URL("http://from-flag.example.com/"), source: "--url" });
  });

  test("GATEWAY_URL wins over the outputs file", () => {
    writeOutputs({ "istio-stack": { gateway_url: "http://from-file.example.com" } });
    const resolved = resolveUrl({
      env: { GATEWAY_URL: "from-env.example.com" },
      cwd: workdir,
      outputsFile: "cdktf-outputs.json",
    });
    expect(resolved).toEqual({ value: new URL("http://from-env.example.com/"), source: "GATEWAY_URL" });
  });

  test("the istio-stack gateway_url output, else its ingress_hostname, from the outputs file", () => {
    writeOutputs({
      "istio-stack": { gateway_url: "http://gw.example.com", ingress_hostname: "other.example.com" },
    });
    expect(resolveUrl({ env: {}, cwd: workdir, outputsFile: "cdktf-outputs.json" })).toEqual({
      value: new URL("http://gw.example.com/"),
      source: "cdktf-outputs.json (istio-stack.gateway_url)",
    });
    writeOutputs({ "istio-stack": { ingress_hostname: "a1b2c3.elb.amazonaws.com" } }, "other.json");
    expect(resolveUrl({ env: {}, cwd: workdir, outputsFile: "other.json" }).value.href).toBe(
      "http://a1b2c3.elb.amazonaws.com/",
    );
  });

  test("an empty GATEWAY_URL (the load balancer had no hostname yet) is an error, not unset", () => {
    writeOutputs({ "istio-stack": { gateway_url: "http://from-file.example.com" } });
    expect(
      message(() =>
        resolveUrl({ env: { GATEWAY_URL: "" }, cwd: workdir, outputsFile: "cdktf-outputs.json" }),
      ),
    ).toMatch(/^GATEWAY_URL="" is not an http:\/\/ or https:\/\/ URL/);
  });

  test("with no URL anywhere, the error names the three ways to give one", () => {
    expect(message(() => resolveUrl({ env: {}, cwd: workdir, outputsFile: "cdktf-outputs.json" }))).toBe(
      "no gateway URL: pass --url, set GATEWAY_URL, or write it with `npm run output -- istio-stack istio-config-stack shopfront-stack --outputs-file cdktf-outputs.json` (cdktf-outputs.json does not exist)",
    );
  });

  test("an outputs file without the istio-stack outputs, or not JSON, is named in the error", () => {
    writeOutputs({ "eks-cluster-stack": { cluster_name: "shopfront-eks" } });
    expect(message(() => resolveUrl({ env: {}, cwd: workdir, outputsFile: "cdktf-outputs.json" }))).toMatch(
      /^no gateway URL: cdktf-outputs\.json has no istio-stack or istio-config-stack output gateway_url or ingress_hostname/,
    );
    // `cdktf deploy shopfront-stack --outputs-file` rewrites the file with that stack's outputs alone.
    writeOutputs({ "shopfront-stack": { route_weights: "v1=90,v4=10" } });
    expect(message(() => resolveUrl({ env: {}, cwd: workdir, outputsFile: "cdktf-outputs.json" }))).toBe(
      "no gateway URL: cdktf-outputs.json has no istio-stack or istio-config-stack output gateway_url or ingress_hostname (it holds shopfront-stack only: write them all with `npm run output -- istio-stack istio-config-stack shopfront-stack --outputs-file cdktf-outputs.json`); pass --url or set GATEWAY_URL",
    );
    fs.writeFileSync(path.join(workdir, "broken.json"), "{");
    expect(message(() => resolveUrl({ env: {}, cwd: workdir, outputsFile: "broken.json" }))).toMatch(
      /^broken\.json is not a cdktf outputs file: /,
    );
  });
});

describe("expected weights", () => {
  const quarter = { v1: 25, v2: 25, v3: 25, v4: 25 };

  test("--expect wins over SHOPFRONT_WEIGHTS and the manifests", () => {
    const resolved = resolveExpected({
      outputsFile: OUTPUTS,
      flag: "v1=25,v2=25,v3=25,v4=25",
      env: { SHOPFRONT_WEIGHTS: "v1=100" },
      cwd: workdir,
      manifestsFile: MESH,
    });
    expect(resolved).toEqual({ value: quarter, source: "--expect" });
  });

  test("SHOPFRONT_WEIGHTS wins over the manifests; subsets left out weigh 0", () => {
    const resolved = resolveExpected({
      outputsFile: OUTPUTS,
      env: { SHOPFRONT_WEIGHTS: "v1=90,v2=10" },
      cwd: workdir,
      manifestsFile: MESH,
    });
    expect(resolved).toEqual({ value: { v1: 90, v2: 10, v3: 0, v4: 0 }, source: "SHOPFRONT_WEIGHTS" });
  });

  test("else the VirtualService's first HTTP route in the manifests", () => {
    expect(
      resolveExpected({
        outputsFile: OUTPUTS,
        env: {},
        cwd: FIXTURES,
        manifestsFile: "routing-istio/shopfront-mesh.yaml",
      }),
    ).toEqual({
      value: { v1: 50, v2: 30, v3: 15, v4: 5 },
      source: "routing-istio/shopfront-mesh.yaml",
    });
  });

  test("the weights deployed (shopfront-stack's route_weights in the outputs file) win over SHOPFRONT_WEIGHTS and the manifests", () => {
    writeOutputs({ "shopfront-stack": { namespace: "shopfront", route_weights: "v1=90,v2=0,v3=0,v4=10" } });
    const resolved = resolveExpected({
      outputsFile: OUTPUTS,
      env: { SHOPFRONT_WEIGHTS: "v1=50,v2=50" },
      cwd: workdir,
      manifestsFile: MESH,
    });
    expect(resolved).toEqual({
      value: { v1: 90, v2: 0, v3: 0, v4: 10 },
      source: "cdktf-outputs.json (shopfront-stack.route_weights)",
    });
    const flagged = resolveExpected({
      outputsFile: OUTPUTS,
      flag: "v1=100",
      env: {},
      cwd: workdir,
      manifestsFile: MESH,
    });
    expect(flagged.source).toBe("--expect");
  });

  test("an outputs file without shopfront-stack (istio-stack only) leaves the choice to SHOPFRONT_WEIGHTS", () => {
    writeOutputs({ "istio-stack": { gateway_url: "http://gw.example.com" } });
    const resolved = resolveExpected({
      outputsFile: OUTPUTS,
      env: { SHOPFRONT_WEIGHTS: "v1=90,v4=10" },
      cwd: workdir,
      manifestsFile: MESH,
    });
    expect(resolved.source).toBe("SHOPFRONT_WEIGHTS");
  });

  test("a malformed route_weights output is refused, naming the file and the output", () => {
    writeOutputs({ "shopfront-stack": { route_weights: "v1=90,v4=20" } });
    expect(
      message(() => resolveExpected({ outputsFile: OUTPUTS, env: {}, cwd: workdir, manifestsFile: MESH })),
    ).toBe(
      "cdktf-outputs.json shopfront-stack.route_weights: weights add up to 110, they must add up to 100 (got v1=90,v4=20)",
    );
  });

  test("a directory as the manifest is refused, naming --manifests and the path", () => {
    expect(
      message(() => resolveExpected({ outputsFile: OUTPUTS, env: {}, cwd: workdir, manifestsFile: "." })),
    ).toBe(
      '--manifests="." is a directory; it names the YAML file with the shopfront\'s route, such as manifests/routing-istio/shopfront-mesh.yaml',
    );
    expect(message(() => replicasFromManifests(workdir, "v2", "."))).toMatch(
      /^--manifests="\." is a directory/,
    );
  });

  test("the project's own manifests/routing-istio/shopfront-mesh.yaml gives a weight to each version, adding up to 100", () => {
    const weights = weightsFromManifest(
      path.join(__dirname, "..", "..", "..", "manifests", "routing-istio", "shopfront-mesh.yaml"),
    );
    expect(Object.keys(weights)).toEqual([...SHOPFRONT_VERSIONS]);
    expect(Object.values(weights).reduce((a, b) => a + b, 0)).toBe(100);
  });

  test("malformed --expect and SHOPFRONT_WEIGHTS are refused with config's messages", () => {
    expect(
      message(() =>
        resolveExpected({
          outputsFile: OUTPUTS,
          flag: "v1=60,v2=50",
          env: {},
          cwd: workdir,
          manifestsFile: MESH,
        }),
      ),
    ).toBe("--expect: weights add up to 110, they must add up to 100 (got v1=60,v2=50)");
    expect(
      message(() =>
        resolveExpected({
          outputsFile: OUTPUTS,
          env: { SHOPFRONT_WEIGHTS: "v9=100" },
          cwd: workdir,
          manifestsFile: MESH,
        }),
      ),
    ).toBe('SHOPFRONT_WEIGHTS="v9=100": subset v9 does not exist (the subsets are v1, v2, v3, v4)');
  });

  test("with no weights anywhere, the error names the three ways to give them", () => {
    expect(
      message(() =>
        resolveExpected({
          outputsFile: OUTPUTS,
          env: {},
          cwd: workdir,
          manifestsFile: "manifests/shopfront-mesh.yaml",
        }),
      ),
    ).toBe(
      "no expected weights: pass --expect v1=50,v2=30,v3=15,v4=5, set SHOPFRONT_WEIGHTS, or keep the shopfront's route in manifests/shopfront-mesh.yaml (it does not exist)",
    );
  });

  test("a manifest without the VirtualService, or not YAML, is named in the error", () => {
    fs.writeFileSync(
      path.join(workdir, "mesh.yaml"),
      "apiVersion: v1\nkind: Service\nmetadata:\n  name: shopfront-svc\n",
    );
    expect(
      message(() =>
        resolveExpected({ outputsFile: OUTPUTS, env: {}, cwd: workdir, manifestsFile: "mesh.yaml" }),
      ),
    ).toMatch(
      /^no expected weights: mesh\.yaml has no VirtualService shopfront-virtual-service with spec\.http\[0\]\.route/,
    );
    fs.writeFileSync(path.join(workdir, "broken.yaml"), "kind: [VirtualService\n");
    expect(
      message(() =>
        resolveExpected({ outputsFile: OUTPUTS, env: {}, cwd: workdir, manifestsFile: "broken.yaml" }),
      ),
    ).toMatch(/^broken\.yaml is not valid YAML: /);
  });

  test("a lone destination without a weight gets all the traffic", () => {
    fs.writeFileSync(
      path.join(workdir, "mesh.yaml"),
      [
        "apiVersion: networking.istio.io/v1",
        "kind: VirtualService",
        "metadata: { name: shopfront-virtual-service }",
        "spec:",
        "  http:",
        "    - route:",
        "        - destination: { host: shopfront-svc, subset: v3 }",
      ].join("\n"),
    );
    expect(weightsFromManifest(path.join(workdir, "mesh.yaml"))).toEqual({ v1: 0, v2: 0, v3: 100, v4: 0 });
  });
});

describe("replicas of a version", () => {
  test("from the Deployments beside the manifest: replicas, or 1 when unset", () => {
    expect(replicasFromManifests(MESH, "v2")?.count).toBe(2);
    expect(replicasFromManifests(MESH, "v3")?.count).toBe(1);
  });

  test("named by the folder they are in, as the manifest was named: above a routing folder", () => {
    const given = "manifests/routing-istio/shopfront-mesh.yaml";
    expect(replicasFromManifests(MESH, "v2", given)).toEqual({
      count: 2,
      source: "the Deployments in manifests/",
    });
  });

  test("unknown when no Deployment of that version is there", () => {
    expect(replicasFromManifests(MESH, "v1")).toBeUndefined();
    expect(replicasFromManifests(path.join(workdir, "none", "shopfront-mesh.yaml"), "v2")).toBeUndefined();
  });
});

describe("ROUTING_API=gateway-api", () => {
  const ROUTES = path.join(FIXTURES, "routing-gateway-api", "shopfront-routes.yaml");

  test("the HTTPRoute's backends give the expected split, each version through the Service it names", () => {
    expect(weightsFromManifest(ROUTES)).toEqual({ v1: 50, v2: 30, v3: 15, v4: 5 });
    const own = path.join(
      __dirname,
      "..",
      "..",
      "..",
      "manifests",
      "routing-gateway-api",
      "shopfront-routes.yaml",
    );
    expect(weightsFromManifest(own)).toEqual(weightsFromManifest(MESH));
  });

  test("the default route file follows ROUTING_API", () => {
    expect(defaultRouteFile({})).toBe("manifests/routing-istio/shopfront-mesh.yaml");
    expect(defaultRouteFile({ ROUTING_API: "istio" })).toBe("manifests/routing-istio/shopfront-mesh.yaml");
    expect(defaultRouteFile({ ROUTING_API: "gateway-api" })).toBe(
      "manifests/routing-gateway-api/shopfront-routes.yaml",
    );
    expect(message(() => defaultRouteFile({ ROUTING_API: "gateway" }))).toBe(
      'ROUTING_API="gateway" is not one of istio, gateway-api',
    );
  });

  test("the gateway URL from istio-config-stack's outputs, the mesh's Gateway API ingress, when istio-stack has none", () => {
    writeOutputs({
      "istio-stack": {},
      "istio-config-stack": { gateway_url: "http://gw-api.example.com" },
      "shopfront-stack": { route_weights: "v1=50,v2=30,v3=15,v4=5" },
    });
    expect(resolveUrl({ env: {}, outputsFile: OUTPUTS, cwd: workdir })).toEqual({
      value: new URL("http://gw-api.example.com"),
      source: "cdktf-outputs.json (istio-config-stack.gateway_url)",
    });
  });

  test("a file with neither route names both", () => {
    const file = path.join(workdir, "nothing.yaml");
    fs.writeFileSync(file, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n");
    expect(message(() => weightsFromManifest(file, "nothing.yaml"))).toBe(
      "no expected weights: nothing.yaml has no VirtualService shopfront-virtual-service with spec.http[0].route, nor an HTTPRoute shopfront with backendRefs; pass --expect or set SHOPFRONT_WEIGHTS",
    );
  });
});
