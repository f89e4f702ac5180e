import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { UsageError } from "../../../tools/command-line";
import { resolvePolicies } from "../../../tools/traffic/policies";

const ISTIO_ROUTE = "manifests/routing-istio/shopfront-mesh.yaml";
const GATEWAY_API_ROUTE = "manifests/routing-gateway-api/shopfront-routes.yaml";
const cwd = process.cwd();

const policies = (env: Record<string, string>, manifestsFile = ISTIO_ROUTE, at = cwd) =>
  resolvePolicies({ env, manifestsFile, cwd: at, timeoutMs: 5000 });

let scratch: string;
beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "traffic-policies-"));
});
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

describe("the policies a run is judged against", () => {
  it("unset settings: the route's own, as manifests/ writes it", () => {
    expect(policies({})).toEqual({
      source: ISTIO_ROUTE,
      meshMode: "sidecar",
      timeout: { text: "4s", ms: 4000 },
      retries: { attempts: 2, perTryTimeout: "1s" },
    });
  });

  it("the settings on the route, as synth writes them: a fault takes the timeout and retries off", () => {
    expect(
      policies({ SHOPFRONT_FAULT_ABORT: "503@5", SHOPFRONT_MIRROR: "v4@20", INGRESS_RATE_LIMIT: "100/s" }),
    ).toEqual({
      source: `SHOPFRONT_FAULT_ABORT, SHOPFRONT_MIRROR, INGRESS_RATE_LIMIT, ${ISTIO_ROUTE}`,
      meshMode: "sidecar",
      retries: { attempts: 0 },
      faultAbort: { status: 503, percent: 5 },
      mirror: { version: "v4", percent: 20 },
      rateLimit: { requests: 100, per: "s", pods: 1 },
    });
  });

  it("the Gateway API's route: its timeouts.request, its RequestMirror's fraction as a percentage", () => {
    expect(
      policies(
        {
          ROUTING_API: "gateway-api",
          SHOPFRONT_MIRROR: "v3@12.5",
          MESH_PROFILE: "production",
          INGRESS_RATE_LIMIT: "6/m",
        },
        GATEWAY_API_ROUTE,
      ),
    ).toMatchObject({
      timeout: { text: "4s", ms: 4000 },
      mirror: { version: "v3", percent: 12.5 },
      rateLimit: { requests: 6, per: "m", pods: 2 },
    });
  });

  it("a hand-edited route's fault and mirror, from the file itself", () => {
    const file = path.join(scratch, "edited.yaml");
    const route = fs
      .readFileSync(ISTIO_ROUTE, "utf8")
      .replace(
        "    - timeout: 4s\n",
        "    - fault:\n        delay:\n          fixedDelay: 1500ms\n          percentage:\n            value: 2.5\n      mirror:\n        host: shopfront-svc\n        subset: v2\n",
      );
    fs.writeFileSync(file, route);
    expect(policies({}, file)).toMatchObject({
      source: file,
      faultDelay: { text: "1500ms", ms: 1500, percent: 2.5 },
      mirror: { version: "v2", percent: 100 },
    });
  });

  it("without the route's file, the settings alone", () => {
    expect(policies({ SHOPFRONT_TIMEOUT: "2s" }, "missing.yaml", scratch)).toEqual({
      source: "SHOPFRONT_TIMEOUT",
      meshMode: "sidecar",
      timeout: { text: "2s", ms: 2000 },
    });
    expect(policies({}, "missing.yaml", scratch).source).toBe("no setting and no route (none configured)");
  });

  it("refuses settings the route's routing API cannot take, naming the file", () => {
    expect(() => policies({ SHOPFRONT_FAULT_ABORT: "503@5" }, GATEWAY_API_ROUTE)).toThrow(
      new UsageError(
        `${GATEWAY_API_ROUTE}: cannot apply the resilience settings: no VirtualService/shopfront-virtual-service with a rule that routes traffic`,
      ),
    );
  });

  it("refuses a bad setting as every command does: its one line", () => {
    expect(() => policies({ SHOPFRONT_MIRROR: "v9@5" })).toThrow(
      new UsageError('SHOPFRONT_MIRROR="v9@5": "v9" is not a version (v1, v2, v3, v4)'),
    );
  });
});
