import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConfigError } from "../../modules/settings/load";
import { synthesize } from "../../stacks/app";
import {
  readsNetworkWhilePlanning,
  TEARDOWN_GUARD,
  teardownConfiguration,
  teardownRequested,
} from "../../stacks/teardown";
import { buildTestStacks, synthJson } from "../helpers";

// biome-ignore lint/suspicious/noExplicitAny: synthesized Terraform JSON, read field by field.
type Json = any;

/** A stack shaped like istio-stack: a fetched file, what reads it, what waits for it, and the rest. */
const STACK: Json = {
  provider: { helm: [{ kubernetes: { host: "${data.terraform_remote_state.cluster.outputs.endpoint}" } }] },
  data: {
    terraform_remote_state: { cluster: { backend: "s3", config: { key: "cluster" } } },
    http: { crd: { url: "https://example.test/crd.yaml" } },
    kubernetes_service_v1: { gateway: { metadata: { name: "gateway" }, depends_on: ["helm_release.base"] } },
  },
  resource: {
    kubernetes_manifest: {
      crd: { manifest: "${yamldecode(data.http.crd.response_body)}" },
      policy: { manifest: { kind: "PeerAuthentication" }, depends_on: ["helm_release.base"] },
    },
    helm_release: {
      base: { chart: "base", depends_on: ["kubernetes_manifest.crd", "kubernetes_namespace_v1.system"] },
    },
    kubernetes_namespace_v1: { system: { metadata: { name: "istio-system" } } },
    terraform_data: {
      wait: {
        depends_on: ["kubernetes_namespace_v1.system"],
        provisioner: [{ "local-exec": { when: "destroy", command: "kubectl wait" } }],
      },
    },
  },
  output: {
    chart: { value: "${helm_release.base.metadata.chart}" },
    namespace: { value: "${kubernetes_namespace_v1.system.metadata[0].name}" },
  },
};

describe("teardownConfiguration", () => {
  const { stack, leftOut } = teardownConfiguration(STACK);

  it("leaves out what reads the network while planning, and whatever reads or waits for what it leaves out", () => {
    expect(leftOut).toEqual([
      "data.http.crd",
      "data.kubernetes_service_v1.gateway",
      "helm_release.base",
      "kubernetes_manifest.crd",
      "kubernetes_manifest.policy",
      "output.chart",
    ]);
    expect(stack.data).toEqual({ terraform_remote_state: STACK.data.terraform_remote_state });
    expect(Object.keys(stack.resource).sort()).toEqual(["kubernetes_namespace_v1", "terraform_data"]);
    expect(Object.keys(stack.output)).toEqual(["namespace"]);
  });

  it("keeps the rest as it is, destroy-time provisioners included", () => {
    expect(stack.resource.kubernetes_namespace_v1).toEqual(STACK.resource.kubernetes_namespace_v1);
    expect(stack.resource.terraform_data.wait).toEqual(STACK.resource.terraform_data.wait);
  });

  it("keeps the providers and the upstream state they are configured from", () => {
    expect(stack.provider).toEqual(STACK.provider);
    expect(stack.data.terraform_remote_state).toEqual(STACK.data.terraform_remote_state);
  });

  it("adds a guard whose precondition fails, so that the teardown configuration never deploys", () => {
    const [type, name] = TEARDOWN_GUARD.split(".");
    expect(stack.locals).toEqual({ teardown: true });
    expect(stack.resource[type][name].lifecycle.precondition).toEqual([
      {
        condition: "${!local.teardown}",
        error_message: expect.stringContaining("it destroys, it never deploys. Deploy without TEARDOWN."),
      },
    ]);
  });

  it("leaves a stack that reads nothing over the network unchanged, without a guard", () => {
    const plain = { resource: { aws_vpc: { main: { cidr_block: "10.0.0.0/16" } } } };
    expect(teardownConfiguration(plain)).toEqual({ stack: plain, leftOut: [] });
  });

  it("refuses when a provider is configured from what it would leave out", () => {
    const broken = {
      provider: { kubernetes: [{ host: "${data.http.endpoint.response_body}" }] },
      data: { http: { endpoint: { url: "https://example.test" } } },
    };
    expect(() => teardownConfiguration(broken)).toThrow(
      "provider kubernetes is configured from data.http.endpoint, which a teardown leaves out",
    );
  });

  it("refuses to leave out a destroy-time provisioner, which Terraform would then not run", () => {
    const waiting = structuredClone(STACK);
    waiting.resource.terraform_data.wait.depends_on.push("helm_release.base");
    expect(() => teardownConfiguration(waiting)).toThrow(
      "terraform_data.wait has a destroy-time provisioner but reads or waits for what reads the network while planning",
    );
  });

  it("does not mistake a longer name for a left-out one", () => {
    const similar = {
      data: { http: { crd: { url: "https://example.test" } } },
      resource: { terraform_data: { other: { input: "${data.http.crd_mirror.response_body}" } } },
    };
    expect(teardownConfiguration(similar).leftOut).toEqual(["data.http.crd"]);
  });
});

describe("the teardown configuration of the project's stacks", () => {
  const stacks = buildTestStacks();

  it("changes istio-stack alone: it leaves out the Gateway API files, their manifests and every Helm release", () => {
    const istio = synthJson(stacks.istio);
    const { stack, leftOut } = teardownConfiguration(istio);
    const count = (type: string) => Object.keys(istio.resource[type] ?? {}).length;
    expect(leftOut.filter((address) => address.startsWith("data.http."))).toHaveLength(11);
    expect(leftOut.filter((address) => address.startsWith("kubernetes_manifest."))).toHaveLength(
      count("kubernetes_manifest"),
    );
    expect(leftOut.filter((address) => address.startsWith("helm_release."))).toHaveLength(
      count("helm_release"),
    );
    expect(stack.data.http).toBeUndefined();
    expect(stack.resource.helm_release).toBeUndefined();
    expect(stack.provider).toEqual(istio.provider);
    expect(stack.data.terraform_remote_state).toEqual(istio.data.terraform_remote_state);
    for (const other of Object.values(stacks).filter((s) => s !== stacks.istio)) {
      expect({ stack: other.stackName, leftOut: teardownConfiguration(synthJson(other)).leftOut }).toEqual({
        stack: other.stackName,
        leftOut: [],
      });
    }
  });

  it("reads no network source in any stack's teardown configuration", () => {
    for (const built of Object.values(stacks)) {
      const { stack } = teardownConfiguration(synthJson(built));
      for (const kind of ["data", "resource"] as const) {
        for (const [type, byName] of Object.entries((stack[kind] ?? {}) as Json)) {
          for (const [name, body] of Object.entries(byName as Record<string, Json>)) {
            expect({
              address: `${kind}.${type}.${name}`,
              reads: readsNetworkWhilePlanning({ kind, type, name, body }),
            }).toEqual({ address: `${kind}.${type}.${name}`, reads: false });
          }
        }
      }
    }
  });
});

describe("TEARDOWN", () => {
  it("is off unless set, on with true", () => {
    expect(teardownRequested({})).toBe(false);
    expect(teardownRequested({ TEARDOWN: "" })).toBe(false);
    expect(teardownRequested({ TEARDOWN: "true" })).toBe(true);
  });

  it("refuses any other value in one line naming the variable, the value and the accepted form", () => {
    expect(() => teardownRequested({ TEARDOWN: "1" })).toThrow(ConfigError);
    expect(() => teardownRequested({ TEARDOWN: "1" })).toThrow(
      'TEARDOWN="1": accepted: true (npm run destroy and npm run destroy:all set it), or unset',
    );
  });

  describe("synthesize", () => {
    const outdir = mkdtempSync(path.join(tmpdir(), "shopfront-teardown-"));
    afterAll(() => rmSync(outdir, { recursive: true, force: true }));
    const istioFile = () => path.join(outdir, "stacks", "istio-stack", "cdk.tf.json");

    it("writes the teardown configuration with TEARDOWN=true", () => {
      synthesize({ TEARDOWN: "true" }, outdir);
      const written = JSON.parse(readFileSync(istioFile(), "utf8"));
      expect(written.data.http).toBeUndefined();
      expect(written.resource.terraform_data.teardown_only).toBeDefined();
    });

    it("refuses a bad TEARDOWN before writing anything", () => {
      const fresh = path.join(outdir, "refused");
      expect(() => synthesize({ TEARDOWN: "yes" }, fresh)).toThrow(ConfigError);
      expect(existsSync(fresh)).toBe(false);
    });
  });
});
