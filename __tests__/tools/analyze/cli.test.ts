import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MESH_VARIANTS } from "../../../modules/mesh/mesh-variant";
import type { Env } from "../../../modules/settings/load";
import { type Io, run } from "../../../tools/analyze/cli";

const APP = "manifests/shopfront.yaml";
const MESH = "manifests/routing-istio/shopfront-mesh.yaml";
const SECURITY = "manifests/shopfront-security.yaml";
const WEIGHTS_110 = "__tests__/fixtures/analyzer/shopfront-mesh-weights-110.yaml";

const made: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "analyze-"));
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function runCli(argv: string[], env: Env = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (line) => out.push(line), err: (line) => err.push(line) };
  return { status: run(argv, io, env), out, err };
}

describe("npm run analyze (tools/analyze/cli.ts)", () => {
  it("exits 0 on the real manifests and prints nothing but the summary", () => {
    // 23 objects in the files; the two traffic generators are off by default, so not deployed.
    const result = runCli([]);
    expect(result).toEqual({ status: 0, out: [], err: ["9 files, 21 objects: errors: 0, warnings: 0"] });
  });

  it("prints each error as file: Kind/name: field: message and exits 1", () => {
    const result = runCli([APP, SECURITY, WEIGHTS_110]);
    expect(result.status).toBe(1);
    expect(result.out).toEqual([
      `${WEIGHTS_110}: VirtualService/shopfront-virtual-service: spec.http[0].route: weights add up to 110, they must add up to 100 (got v1=50, v2=30, v3=15, v4=15)`,
    ]);
  });

  it("exits 0 when there are only warnings, and marks them", () => {
    const dir = tempDir();
    const file = join(dir, "extra.yaml");
    writeFileSync(
      file,
      [
        "apiVersion: apps/v1",
        "kind: Deployment",
        "metadata: {name: admin, namespace: miztiik-automation-ns}",
        "spec:",
        "  selector: {matchLabels: {app: admin}}",
        "  template:",
        "    metadata: {labels: {app: admin}}",
        "    spec: {containers: [{name: admin, image: public.ecr.aws/docker/library/busybox:1.37.0}]}",
      ].join("\n"),
    );
    const result = runCli(["manifests/sidecar", "manifests", "manifests/routing-istio", file]);
    expect(result.status).toBe(0);
    expect(result.out).toEqual([
      `${file}: Deployment/admin: spec.template.metadata.labels: warning: has no version label, which Istio telemetry and Kiali use to name the workload`,
    ]);
  });

  it.each(MESH_VARIANTS)(
    "`npm run analyze -- manifests` analyzes what $meshMode × $routingApi composes from the folder, and passes",
    ({ meshMode, routingApi }) => {
      // A folder is read whole; the default set is what synth deploys: the same with both generators on.
      const env = {
        MESH_MODE: meshMode,
        ROUTING_API: routingApi,
        SHOPFRONT_LOAD_GENERATOR: "true",
        SHOPFRONT_ERROR_GENERATOR: "true",
      };
      const folder = runCli(["manifests"], env);
      expect(folder).toEqual(runCli([], env));
      expect(folder).toMatchObject({ status: 0, out: [] });
    },
  );

  it("reads a file once however many times the arguments name it", () => {
    const result = runCli(["manifests/sidecar", "manifests", "manifests/routing-istio", APP]);
    expect(result).toEqual({ status: 0, out: [], err: ["9 files, 23 objects: errors: 0, warnings: 0"] });
  });

  it("reads a folder not laid out as manifests/ as its own .yaml files", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "mesh.yaml"), readFileSync(MESH, "utf8"));
    expect(runCli([dir]).err).toEqual([expect.stringMatching(/^1 files, \d+ objects: /)]);
  });

  it("checks a canary shift given with --weights", () => {
    expect(runCli(["--weights", "v1=70,v2=30"]).status).toBe(0);
  });

  it.each([
    [["--weights", "v1=70,v2=20"], /--weights: weights add up to 90/],
    [["--weights", "v1=50,v9=50"], /subset v9 does not exist/],
    [["--weights", "v1=100", MESH.replace("mesh", "mesh-missing")], /no such file or folder/],
    [
      ["--weights", "v1=100", APP],
      /--weights: cannot set route weights: no VirtualService\/shopfront-virtual-service/,
    ],
    [["--no-such-option"], /unknown option '--no-such-option'/],
  ])("exits 2 on a usage error: %j", (argv, message) => {
    const result = runCli(argv);
    expect(result.status).toBe(2);
    expect(result.err.join("\n")).toMatch(message);
  });

  it("runs as a command: npm run analyze", () => {
    const broken = spawnSync("npm", ["run", "--silent", "analyze", "--", APP, SECURITY, WEIGHTS_110], {
      encoding: "utf8",
    });
    expect(broken.status).toBe(1);
    expect(broken.stdout).toContain(
      `${WEIGHTS_110}: VirtualService/shopfront-virtual-service: spec.http[0].route:`,
    );
    expect(broken.stderr).toContain("3 files, 11 objects: errors: 1, warnings: 0");
  });

  it("reads the settings file as every command does, the environment over it", () => {
    const dir = mkdtempSync(join(tmpdir(), "analyze-settings-"));
    try {
      const settings = join(dir, "settings.env");
      writeFileSync(settings, "ROUTING_API=gateway-api\nSHOPFRONT_WEIGHTS=v1=90,v4=20\n");
      const analyze = (env: Record<string, string>) =>
        spawnSync("npm", ["run", "--silent", "analyze"], {
          encoding: "utf8",
          env: { ...process.env, SETTINGS_FILE: settings, ...env },
        });
      const fromFile = analyze({});
      expect(fromFile.status).toBe(2);
      expect(fromFile.stderr).toMatch(/SHOPFRONT_WEIGHTS: .*add up to 110/);
      const overridden = analyze({ SHOPFRONT_WEIGHTS: "v1=90,v4=10" });
      expect(overridden.status).toBe(0);
      // ROUTING_API=gateway-api from the file: the HTTPRoute's files, not the VirtualService's.
      expect(overridden.stderr).toContain("10 files, 29 objects: errors: 0, warnings: 0");
      writeFileSync(settings, "NOT_A_SETTING=1\n");
      const unknown = analyze({});
      expect(unknown.status).toBe(2);
      expect(unknown.stderr).toContain("NOT_A_SETTING");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("applies SHOPFRONT_WEIGHTS, as synth and the traffic tool do, unless --weights is given", () => {
    expect(runCli([], { SHOPFRONT_WEIGHTS: "v1=90,v4=10" }).status).toBe(0);
    const refused = runCli([], { SHOPFRONT_WEIGHTS: "v1=90,v4=20" });
    expect(refused.status).toBe(2);
    expect(refused.err.join("\n")).toMatch(/SHOPFRONT_WEIGHTS: weights add up to 110/);
    expect(runCli(["--weights", "v1=100"], { SHOPFRONT_WEIGHTS: "v1=90,v4=20" }).status).toBe(0);
  });

  it("checks the objects the JWT settings add, as synth deploys them, with the chosen manifests", () => {
    const jwt = { JWT_ISSUER: "https://idp.example.com/realms/shop" };
    const objects = (result: { err: string[] }) => Number(/, (\d+) objects/.exec(result.err[0])?.[1]);
    for (const routingApi of ["istio", "gateway-api"]) {
      const withJwt = runCli(["--routing-api", routingApi], jwt);
      expect(withJwt).toMatchObject({ status: 0, out: [] });
      expect(objects(withJwt)).toBe(objects(runCli(["--routing-api", routingApi])) + 2);
    }
    // Files chosen one by one are what is checked: the settings add nothing to them.
    expect(runCli([APP], jwt).err).toEqual([expect.stringMatching(/^1 files, \d+ objects/)]);
    expect(runCli([APP], jwt).err).toEqual(runCli([APP]).err);
  });

  it("checks the manifests as the settings deploy them: resilience settings applied, refused as synth refuses them", () => {
    const objects = (result: { err: string[] }) => Number(/, (\d+) objects/.exec(result.err[0])?.[1]);
    // INGRESS_RATE_LIMIT adds the ingress's local rate limit (an EnvoyFilter in istio-system).
    const limited = runCli([], { INGRESS_RATE_LIMIT: "100/s" });
    expect(limited).toMatchObject({ status: 0, out: [] });
    expect(objects(limited)).toBe(objects(runCli([])) + 1);
    // A fault is refused with the Gateway API at synth; so it is here, the API chosen by flag.
    const refused = runCli(["--routing-api", "gateway-api"], { SHOPFRONT_FAULT_ABORT: "503@5" });
    expect(refused).toMatchObject({ status: 2, out: [] });
    expect(refused.err).toEqual([
      expect.stringMatching(
        /^analyze: SHOPFRONT_FAULT_ABORT=503@5 with ROUTING_API=gateway-api: .*no fault injection.*\(ROUTING_API from --routing-api\)$/,
      ),
    ]);
    // Files chosen one by one are checked as they are.
    expect(runCli([APP], { INGRESS_RATE_LIMIT: "100/s" }).err).toEqual(runCli([APP]).err);
  });

  it("refuses JWT settings that synth refuses, in one line", () => {
    const refused = runCli([], { JWT_JWKS_URI: "https://idp.example.com/certs" });
    expect(refused).toMatchObject({ status: 2, out: [] });
    expect(refused.err).toEqual([
      expect.stringMatching(/^analyze: JWT_JWKS_URI=.* is set without a valid JWT_ISSUER/),
    ]);
  });

  it("analyzes each mesh variant's manifests, chosen by flag or by setting", () => {
    const summary = (result: { err: string[] }) => result.err.join("\n");
    for (const [meshMode, routingApi, files] of [
      ["sidecar", "istio", 9],
      ["ambient", "istio", 10],
      ["sidecar", "gateway-api", 10],
      ["ambient", "gateway-api", 11],
    ] as const) {
      const byFlag = runCli([
        "--mesh-mode",
        meshMode,
        "--routing-api",
        routingApi,
        "--weights",
        "v1=90,v4=10",
      ]);
      expect(byFlag).toMatchObject({ status: 0, out: [] });
      expect(summary(byFlag)).toMatch(new RegExp(`^${files} files, \\d+ objects: errors: 0, warnings: 0$`));
      expect(runCli([], { MESH_MODE: meshMode, ROUTING_API: routingApi })).toEqual(byFlag);
    }
  });

  it.each<[string[], RegExp, Env]>([
    [["--mesh-mode", "sidecars"], /--mesh-mode="sidecars" is not one of sidecar, ambient/, {}],
    [[], /ROUTING_API="gateway" is not one of istio, gateway-api/, { ROUTING_API: "gateway" }],
  ])("refuses an unknown mesh variant: %j", (argv, message, env) => {
    const result = runCli(argv, env);
    expect(result.status).toBe(2);
    expect(result.err.join("\n")).toMatch(message);
  });

  it.each([APP, MESH, SECURITY, "manifests/generators.yaml"])(
    "analyzes %s alone without errors about the objects of the files left out",
    (file) => {
      expect(runCli([file])).toEqual({
        status: 0,
        out: [],
        err: [expect.stringMatching(/^1 files, \d+ objects: errors: 0, warnings: 0$/)],
      });
    },
  );

  it("still checks a reference to a kind that the chosen files do define", () => {
    const dir = tempDir();
    const file = join(dir, "mesh.yaml");
    writeFileSync(file, readFileSync(MESH, "utf8").replace("host: shopfront-svc\n", "host: shopfront-api\n"));
    const result = runCli([APP, file]);
    expect(result.status).toBe(1);
    expect(result.out).toContainEqual(
      expect.stringMatching(
        /host shopfront-api \(shopfront-api\.miztiik-automation-ns\.svc\.cluster\.local\) is not a Service in the manifests/,
      ),
    );
  });

  it("names a file that is not YAML in one short line, not its whole text", () => {
    const result = runCli(["README.md"]);
    expect(result.status).toBe(1);
    expect(result.out).toHaveLength(1);
    expect(result.out[0]).toMatch(/^README\.md: document \d+: line \d+: not valid YAML: /);
    expect(result.out[0].length).toBeLessThan(200);
  });
});
