/**
 * Every documented setting, tried with malformed values: wrong type, out of range, injection-like
 * strings, empty. Each must be refused with a message naming the setting and the value, and leave no
 * cdktf.out behind. A setting added to SETTINGS without rows here fails the completeness test.
 */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConfigError, SETTINGS, type SettingName } from "../../modules/config";
import { synthesize } from "../../stacks/app";

const INJECTION = ["$(id)", "`id`", "x; rm -rf /", "${jndi:ldap://x}", "a\nb"];
const BOOLEAN = ["", "yes", "1", "TRUE", ...INJECTION];
const SIZE = ["", "0", "-1", "1.5", "two", "101", "1e2", ...INJECTION];
const TAG = ["", "x".repeat(129), "a;b", "<script>", "a\nb"];

const MALFORMED: Record<SettingName, readonly string[]> = {
  AWS_REGION: ["", "us-east", "US-EAST-1", "moon-base-9!", ...INJECTION],
  AVAILABILITY_ZONES: [
    "",
    "us-east-1a",
    "us-east-1a,us-east-1a",
    "us-east-1a,us-east-1b,us-east-1c",
    "eu-west-1a,eu-west-1b",
    ...INJECTION,
  ],
  STATE_BUCKET: ["", "ab", "My_Bucket", "b".repeat(64), "192.168.0.1", "a..b", "-bucket", ...INJECTION],
  STATE_KEY_PREFIX: ["", "/abs", "a b", "x".repeat(201), ...INJECTION],
  ENVIRONMENT: TAG,
  OWNER: TAG,
  CLUSTER_NAME: ["", "-x", "a b", "x".repeat(101), ...INJECTION],
  KUBERNETES_VERSION: ["", "1.35.0", "latest", "2", "1.22", ...INJECTION],
  ADMIN_ROLE_ARN: ["", "role/x", "arn:aws:iam::123:role/x", "arn:aws:iam::123456789012:user/x", ...INJECTION],
  ENDPOINT_PUBLIC_CIDRS: ["", "0.0.0.0", "300.1.1.1/32", "10.0.0.0/33", "::/0", "10.0.0.0/8,", ...INJECTION],
  NODE_INSTANCE_TYPE: ["", "t3", "T3.MEDIUM", "t3.medium;id", ...INJECTION],
  NODE_MIN_SIZE: SIZE,
  NODE_DESIRED_SIZE: SIZE,
  NODE_MAX_SIZE: SIZE,
  SSM_AGENT_INSTALLER: BOOLEAN,
  SHOPFRONT_WEIGHTS: ["", "v1=100,v2=x", "v1=-5,v2=105", "v9=100", "v1=50", "v1=100.0", "v1", ...INJECTION],
  SHOPFRONT_LOAD_GENERATOR: BOOLEAN,
  SHOPFRONT_ERROR_GENERATOR: BOOLEAN,
  ISTIO_VERSION: ["", "1.31", "latest", "v1.31.1", "1.29.4", ...INJECTION],
  ISTIO_ADDONS: ["", "jaeger", "grafana", "prometheus,,kiali", ...INJECTION],
  MESH_PROFILE: ["", "prod", "Production", ...INJECTION],
  INGRESS_SERVICE_TYPE: ["", "loadbalancer", "External", ...INJECTION],
  INGRESS_SERVICE_ANNOTATIONS: [
    "",
    "noequals",
    "bad key=1",
    "=x",
    ...INJECTION.filter((v) => !v.includes("=")),
  ],
  OFFLINE_PLAN: BOOLEAN,
};

const cases = Object.entries(MALFORMED).flatMap(([name, values]) =>
  values.map((value) => [name, value] as const),
);

describe("bad input", () => {
  it("has malformed values for every documented setting", () => {
    expect(Object.keys(MALFORMED).sort()).toEqual(Object.keys(SETTINGS).sort());
  });

  it.each(cases)("refuses %s=%j, naming it, and writes nothing", (name, value) => {
    const outdir = path.join(mkdtempSync(path.join(tmpdir(), "bad-input-")), "cdktf.out");
    let error: unknown;
    try {
      synthesize({ [name]: value }, outdir);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problem = (error as ConfigError).problems.find((p) => p.includes(name));
    expect(problem).toBeDefined();
    // The value is shown quoted (JSON), so control characters and injection attempts are shown, not
    // run; the weights' sum message quotes it as STYLE.md's example does: "(got v1=50)".
    const shown = problem?.includes(JSON.stringify(value)) || problem?.includes(`(got ${value})`);
    expect({ problem, shown }).toEqual({ problem, shown: true });
    expect(existsSync(outdir)).toBe(false);
  });
});
