/**
 * A teardown needs no internet (issue 18, item 4): the destroy commands synthesize the teardown
 * configuration (stacks/teardown.ts), and real Terraform, offline, destroys from it.
 *
 * The Helm, Kubernetes and HTTP providers are not mirrored here, so Terraform runs on a model of
 * istio-stack built from Terraform's own blocks: a `terraform_remote_state` over HTTP from a local
 * server stands for the Gateway API files fetched from GitHub (checked against a pinned sha256), a
 * second one on a local file for the cluster stack's outputs, and `terraform_data` for what is applied
 * from them (the namespace with a destroy-time provisioner, as a wait has). The model's
 * teardown configuration is made by the project's own teardownConfiguration, told that the HTTP
 * source is what reads the network. Without terraform these tests show as skipped; under CI=true they
 * run and fail instead.
 */

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { teardownConfiguration } from "../../stacks/teardown";
import { runCommand } from "../../tools/run-command";

const root = path.resolve(__dirname, "..", "..");
const scripts: Record<string, string> = JSON.parse(
  readFileSync(path.join(root, "package.json"), "utf8"),
).scripts;

describe("the destroy commands", () => {
  it("synthesize the teardown configuration: npm run destroy and npm run destroy:all set TEARDOWN=true", () => {
    for (const script of ["destroy", "destroy:all"]) {
      expect({ script, command: scripts[script] }).toEqual({
        script,
        command: expect.stringMatching(/(^|&& )(\w+=\S+ )*TEARDOWN=true /),
      });
    }
  });
});

const terraformBinary = process.env.TERRAFORM_BINARY ?? "terraform";
const haveTerraform = (() => {
  try {
    execFileSync(terraformBinary, ["version"], { timeout: 20_000, stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();
const describeWithTerraform = haveTerraform || process.env.CI ? describe : describe.skip;

const CRD = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n";
const CRD_SHA256 = createHash("sha256").update(CRD).digest("hex");

/** A Terraform state (format 4) holding only `outputs`, as a remote state backend serves it. */
const stateWith = (outputs: Record<string, string>) =>
  JSON.stringify({
    version: 4,
    terraform_version: "1.11.0",
    serial: 1,
    lineage: "offline-destroy",
    outputs: Object.fromEntries(Object.entries(outputs).map(([k, value]) => [k, { value, type: "string" }])),
    resources: [],
  });

/** The model of istio-stack's deploy configuration, reading the Gateway API source from `url`. */
function deployConfiguration(url: string) {
  return {
    data: {
      terraform_remote_state: {
        cluster: { backend: "local", config: { path: "cluster.tfstate" } },
        gateway_api: {
          backend: "http",
          config: { address: url },
          lifecycle: {
            postcondition: [
              {
                condition: `\${sha256(self.outputs.crd) == "${CRD_SHA256}"}`,
                error_message: "not the pinned file",
              },
            ],
          },
        },
      },
    },
    resource: {
      terraform_data: {
        // Stands for istio-system: kept in the teardown configuration, with a destroy-time provisioner.
        namespace: {
          provisioner: [{ "local-exec": { when: "destroy", command: "echo namespace >> destroyed.log" } }],
        },
        gateway_api_crds: { input: "${data.terraform_remote_state.gateway_api.outputs.crd}" },
        // Stands for a Helm release: configured from the cluster, after the CRDs, in the namespace.
        istiod: {
          input: "${data.terraform_remote_state.cluster.outputs.endpoint}",
          depends_on: ["terraform_data.gateway_api_crds", "terraform_data.namespace"],
        },
      },
    },
    output: {
      crd_kind: { value: "${yamldecode(data.terraform_remote_state.gateway_api.outputs.crd).kind}" },
    },
  };
}

describeWithTerraform("a destroy of the teardown configuration, with real Terraform and no network", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "shopfront-offline-destroy-"));
  let server: Server | undefined;

  const terraform = async (...args: string[]) => {
    const env = {
      PATH: process.env.PATH,
      HOME: dir,
      // An empty CLI configuration: nothing of this machine's, no provider to install (all built in).
      TF_CLI_CONFIG_FILE: path.join(dir, "terraform.rc"),
      CHECKPOINT_DISABLE: "1",
      TF_IN_AUTOMATION: "1",
    };
    const result = await runCommand(terraformBinary, [...args, "-no-color"], {
      cwd: dir,
      env,
      timeoutMs: 120_000,
    });
    if (result.kind !== "exited") throw new Error(`terraform ${args[0]}: ${result.message}`);
    return result;
  };
  const managed = async () =>
    (await terraform("state", "list")).stdout
      .split("\n")
      .filter((line) => line.startsWith("terraform_data."))
      .sort();
  const configure = (configuration: object) =>
    writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify(configuration, null, 2));

  beforeAll(async () => {
    if (!haveTerraform) throw new Error(`CI must run real Terraform: no ${terraformBinary} on PATH`);
    writeFileSync(path.join(dir, "terraform.rc"), "");
    writeFileSync(path.join(dir, "cluster.tfstate"), stateWith({ endpoint: "https://cluster.example" }));
    const listening = createServer((_, response) => {
      response.setHeader("content-type", "application/json");
      response.end(stateWith({ crd: CRD }));
    });
    server = listening;
    await new Promise<void>((resolve) => listening.listen(0, "127.0.0.1", resolve));
    const { port } = listening.address() as AddressInfo;
    configure(deployConfiguration(`http://127.0.0.1:${port}/gateway-api`));
    for (const step of [
      ["init", "-input=false"],
      ["apply", "-auto-approve", "-input=false"],
    ]) {
      const result = await terraform(...step);
      if (result.code !== 0)
        throw new Error(`terraform ${step[0]} failed:\n${result.stderr || result.stdout}`);
    }
    // From here on the Gateway API source is down, as GitHub in an outage.
    await new Promise<void>((resolve) => listening.close(() => resolve()));
    server = undefined;
  }, 180_000);

  afterAll(async () => {
    if (server) await new Promise<void>((resolve) => server?.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it("with the deploy configuration, the destroy stops at the refresh: the source is down, nothing is destroyed", async () => {
    const result = await terraform("destroy", "-auto-approve", "-input=false");
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Failed to get state: GET http:\/\/127\.0\.0\.1:\d+\/gateway-api/);
    expect(await managed()).toEqual([
      "terraform_data.gateway_api_crds",
      "terraform_data.istiod",
      "terraform_data.namespace",
    ]);
  }, 120_000);

  it("a deploy of the teardown configuration is refused by its guard, before anything changes", async () => {
    const { stack, leftOut } = teardownConfiguration(
      deployConfiguration("http://127.0.0.1:9/gateway-api"),
      (block) => block.kind === "data" && block.body.backend === "http",
    );
    expect(leftOut).toEqual([
      "data.terraform_remote_state.gateway_api",
      "output.crd_kind",
      "terraform_data.gateway_api_crds",
      "terraform_data.istiod",
    ]);
    configure(stack);
    const result = await terraform("apply", "-auto-approve", "-input=false");
    expect(result.code).not.toBe(0);
    // Terraform wraps long messages: compare with single spaces.
    expect(result.stderr.replace(/\s+/g, " ")).toContain(
      "it destroys, it never deploys. Deploy without TEARDOWN.",
    );
    expect(await managed()).toHaveLength(3);
  }, 120_000);

  it("its destroy reads nothing from the network and destroys everything from the state, in the order recorded at apply", async () => {
    const result = await terraform("destroy", "-auto-approve", "-input=false");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const completed = [...result.stdout.matchAll(/^(terraform_data\.\w+): Destruction complete/gm)].map(
      (match) => match[1],
    );
    // The left-out release first, then what it waited for, by the dependencies in the state: the
    // configuration no longer names the release nor the CRDs.
    expect(completed[0]).toBe("terraform_data.istiod");
    expect(completed.slice(1).sort()).toEqual([
      "terraform_data.gateway_api_crds",
      "terraform_data.namespace",
    ]);
    // The namespace stayed in the configuration, so its destroy-time provisioner ran.
    expect(readFileSync(path.join(dir, "destroyed.log"), "utf8")).toBe("namespace\n");
    expect(await managed()).toEqual([]);
  }, 120_000);
});
