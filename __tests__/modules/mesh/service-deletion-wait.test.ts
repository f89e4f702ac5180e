/**
 * The destroy-time wait for a Service that Terraform does not manage, run by real Terraform (its
 * built-in terraform_data needs no provider) with stand-ins for kubectl and aws on PATH that record
 * how they are called. Without terraform these tests show as skipped; under CI=true they run and fail
 * instead.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { TerraformStack } from "cdktf";
import { ServiceDeletionWait } from "../../../modules/mesh/service-deletion-wait";
import { validationErrors } from "../../../stacks/app";
import { kubeconfigJson } from "../../../stacks/cluster-connection";
import { synthScope, testApp } from "../../helpers";

// biome-ignore lint/suspicious/noExplicitAny: synthesized Terraform JSON, read field by field.
type Json = any;

const KUBECONFIG = JSON.stringify({
  apiVersion: "v1",
  kind: "Config",
  clusters: [
    { name: "c", cluster: { server: "https://example.invalid", "certificate-authority-data": "Q0E=" } },
  ],
  users: [{ name: "c", user: { exec: { command: "aws", args: ["eks", "get-token"] } } }],
  contexts: [{ name: "c", context: { cluster: "c", user: "c" } }],
  "current-context": "c",
});

function synthesized(kubeconfig = KUBECONFIG) {
  const json = JSON.parse(
    synthScope((stack) => {
      new ServiceDeletionWait(stack, "release", {
        namespace: "istio-system",
        service: "shopfront-gateway-istio",
        kubeconfig,
      });
    }),
  );
  return json.resource.terraform_data as Record<string, Json>;
}

/** Writes an executable shell script: the stand-ins for kubectl and aws. */
function writeScript(file: string, text: string): void {
  writeFileSync(file, text);
  chmodSync(file, 0o755);
}

/** A Terraform working folder `dir` holding the synthesized terraform_data, not yet initialized. */
function terraformFolder(dir: string, kubeconfig?: string): string {
  mkdirSync(dir);
  writeFileSync(
    path.join(dir, "main.tf.json"),
    JSON.stringify({ resource: { terraform_data: synthesized(kubeconfig) } }),
  );
  return dir;
}

/** Terraform's environment: `home` as its home and temp folder, an empty CLI configuration, no checkpoint calls. */
function terraformEnv(home: string, pathDirs: string): Record<string, string> {
  const cliConfig = path.join(home, "terraformrc");
  writeFileSync(cliConfig, "");
  return {
    HOME: home,
    TMPDIR: home,
    PATH: pathDirs,
    TF_CLI_CONFIG_FILE: cliConfig,
    TF_IN_AUTOMATION: "1",
    CHECKPOINT_DISABLE: "1",
  };
}

describe("ServiceDeletionWait, synthesized", () => {
  it("is a terraform_data whose only action is a destroy-time local-exec, its inputs in the state", () => {
    const [resource] = Object.values(synthesized());
    expect(resource.input).toEqual({
      namespace: "istio-system",
      service: "shopfront-gateway-istio",
      timeout: "15m",
      kubeconfig: KUBECONFIG,
    });
    expect(resource.provisioner).toHaveLength(1);
    expect(resource.provisioner[0]["local-exec"]).toMatchObject({
      when: "destroy",
      interpreter: ["/bin/sh", "-c"],
      environment: {
        NAMESPACE: "${self.input.namespace}",
        SERVICE: "${self.input.service}",
        TIMEOUT: "${self.input.timeout}",
        KUBECONFIG_JSON: "${self.input.kubeconfig}",
      },
    });
    // Terraform would read `${` or `%{` in the script as a template.
    expect(resource.provisioner[0]["local-exec"].command).not.toMatch(/[$%]\{/);
  });

  it("refuses a timeout that kubectl would not take", () => {
    const app = testApp();
    const stack = new TerraformStack(app, "stack");
    new ServiceDeletionWait(stack, "release", {
      namespace: "istio-system",
      service: "s",
      kubeconfig: KUBECONFIG,
      timeout: "15 minutes",
    });
    expect(validationErrors(app)).toEqual([
      expect.stringContaining(
        "timeout=15 minutes: not a kubectl duration; use a whole number of s, m or h, such as 15m",
      ),
    ]);
  });
});

/** terraform's absolute path: one test runs it with a PATH that holds only a stand-in for aws. */
const terraform = spawnSync("/bin/sh", ["-c", "command -v terraform"], { encoding: "utf8" }).stdout.trim();
const hasTerraform =
  terraform !== "" && spawnSync(terraform, ["version"], { stdio: "ignore", timeout: 20_000 }).status === 0;
/** The real kubectl, found before any test puts its stand-in first on PATH. */
const realKubectl = spawnSync("/bin/sh", ["-c", "command -v kubectl"], { encoding: "utf8" }).stdout.trim();
const hasKubectl = realKubectl !== "";
const describeWithTerraform = hasTerraform || process.env.CI ? describe : describe.skip;

describeWithTerraform("ServiceDeletionWait, run by terraform destroy", () => {
  let scratch: string;
  let stubs: string;
  let log: string;

  /** A stand-in that records each call (arguments, and the kubeconfig it was given) and answers as told. */
  const kubectlStub = `#!/bin/sh
printf '%s\\n' "$*" >> "$STUB_LOG"
while [ $# -gt 0 ]; do
  if [ "$1" = "--kubeconfig" ]; then
    printf '%s\\n' "$2" >> "$STUB_LOG.paths"
    cat "$2" > "$STUB_LOG.kubeconfig"
  fi
  if [ "$1" = "get" ]; then printf '%s' "$STUB_GET"; exit "$STUB_GET_EXIT"; fi
  if [ "$1" = "wait" ]; then exit "$STUB_WAIT_EXIT"; fi
  shift
done
`;

  beforeAll(() => {
    if (!hasTerraform) throw new Error("CI must run real Terraform checks: no terraform on PATH");
    scratch = mkdtempSync(path.join(tmpdir(), "shopfront-deletion-wait-test-"));
    stubs = path.join(scratch, "bin");
    mkdirSync(stubs);
    writeScript(path.join(stubs, "kubectl"), kubectlStub);
    writeScript(path.join(stubs, "aws"), "#!/bin/sh\nexit 0\n");
    log = path.join(scratch, "kubectl.log");
  });

  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  /** A Terraform working folder holding the synthesized terraform_data, applied (which runs nothing). */
  function applied(name: string, kubeconfig?: string): string {
    const dir = terraformFolder(path.join(scratch, name), kubeconfig);
    for (const args of [
      ["init", "-input=false"],
      ["apply", "-auto-approve", "-input=false"],
    ]) {
      execFileSync(terraform, args, { cwd: dir, env: stubbedEnv({}), stdio: "pipe", timeout: 120_000 });
    }
    return dir;
  }

  /** Terraform's environment, with the stand-ins first on PATH and told how to answer by `stub`. */
  function stubbedEnv(stub: Record<string, string>, pathDirs = `${stubs}:${process.env.PATH}`) {
    return {
      ...terraformEnv(scratch, pathDirs),
      STUB_LOG: log,
      STUB_GET: "service/shopfront-gateway-istio",
      STUB_GET_EXIT: "0",
      STUB_WAIT_EXIT: "0",
      ...stub,
    };
  }

  function destroy(dir: string, stub: Record<string, string>, pathDirs?: string) {
    for (const file of [log, `${log}.paths`, `${log}.kubeconfig`]) rmSync(file, { force: true });
    const result = spawnSync(terraform, ["destroy", "-auto-approve", "-input=false", "-no-color"], {
      cwd: dir,
      env: stubbedEnv(stub, pathDirs),
      encoding: "utf8",
      timeout: 120_000,
    });
    const calls = existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : [];
    const state = execFileSync(terraform, ["state", "list"], {
      cwd: dir,
      env: stubbedEnv({}),
      encoding: "utf8",
    }).trim();
    return { status: result.status, output: `${result.stdout}${result.stderr}`, calls, state };
  }

  it("does nothing on apply", () => {
    rmSync(log, { force: true });
    applied("apply");
    expect(existsSync(log)).toBe(false);
  });

  it("waits for the Service's deletion with kubectl, through the given kubeconfig, then removes it", () => {
    const result = destroy(applied("waits"), {});
    expect(result.status).toBe(0);
    expect(result.calls).toEqual([
      expect.stringMatching(
        /^--kubeconfig \S+ --namespace istio-system get service\/shopfront-gateway-istio --ignore-not-found --output name$/,
      ),
      expect.stringMatching(
        /^--kubeconfig \S+ --namespace istio-system wait --for=delete service\/shopfront-gateway-istio --timeout=15m$/,
      ),
    ]);
    expect(result.output).toContain(
      "destroy: waiting up to 15m for Service istio-system/shopfront-gateway-istio to be deleted, its load balancer with it",
    );
    expect(JSON.parse(readFileSync(`${log}.kubeconfig`, "utf8"))).toEqual(JSON.parse(KUBECONFIG));
    // The kubeconfig was written to a temporary file, removed when the script ended.
    const paths = readFileSync(`${log}.paths`, "utf8").trim().split("\n");
    expect(paths.every((file) => file.startsWith(scratch) && !existsSync(file))).toBe(true);
    expect(result.state).toBe("");
  });

  (hasKubectl || process.env.CI ? it : it.skip)(
    "hands kubectl the stacks' kubeconfig, rendered by Terraform, which kubectl reads: the cluster, and aws eks get-token",
    () => {
      const cluster = {
        name: "shopfront",
        endpoint: "https://0123456789ABCDEF.gr7.us-east-1.eks.amazonaws.com",
        certificateAuthorityData: Buffer.from("not a real CA").toString("base64"),
        region: "us-east-1",
      };
      const result = destroy(applied("kubeconfig", kubeconfigJson(cluster)), {});
      expect(result.status).toBe(0);
      const rendered = path.join(scratch, "rendered-kubeconfig");
      writeFileSync(rendered, readFileSync(`${log}.kubeconfig`));
      // The real kubectl, not the stand-in: the file is a kubeconfig it understands.
      const viewed = JSON.parse(
        execFileSync(realKubectl, ["config", "view", "--raw", "--kubeconfig", rendered, "--output", "json"], {
          encoding: "utf8",
        }),
      );
      expect(viewed["current-context"]).toBe("shopfront");
      expect(viewed.clusters[0].cluster).toEqual({
        server: cluster.endpoint,
        "certificate-authority-data": cluster.certificateAuthorityData,
      });
      expect(viewed.users[0].user.exec).toMatchObject({
        apiVersion: "client.authentication.k8s.io/v1beta1",
        command: "aws",
        args: [
          "eks",
          "get-token",
          "--cluster-name",
          "shopfront",
          "--region",
          "us-east-1",
          "--output",
          "json",
        ],
        interactiveMode: "Never",
      });
    },
  );

  it("returns at once when the Service is already gone", () => {
    const result = destroy(applied("gone"), { STUB_GET: "" });
    expect(result.status).toBe(0);
    expect(result.calls).toHaveLength(1);
    expect(result.output).toContain(
      "destroy: Service istio-system/shopfront-gateway-istio is already deleted",
    );
  });

  it("fails the destroy when the wait times out, keeps itself in the state, and waits again on the next destroy", () => {
    const dir = applied("timeout");
    const failed = destroy(dir, { STUB_WAIT_EXIT: "1" });
    expect(failed.status).not.toBe(0);
    expect(failed.output).toContain(
      "destroy: Service istio-system/shopfront-gateway-istio still exists after 15m: its load balancer is not released yet.",
    );
    expect(failed.state).toMatch(/^terraform_data\.release_wait_\w+$/);
    const again = destroy(dir, {});
    expect(again.status).toBe(0);
    expect(again.calls).toHaveLength(2);
    expect(again.state).toBe("");
  });

  it("fails the destroy with what to do when the cluster cannot be read", () => {
    const result = destroy(applied("unreachable"), { STUB_GET_EXIT: "1" });
    expect(result.status).not.toBe(0);
    expect(result.output).toContain(
      "destroy: cannot read Service istio-system/shopfront-gateway-istio from the cluster (kubectl's error above)",
    );
    expect(result.calls).toHaveLength(1);
  });

  it("fails the destroy with what to do when kubectl is not on PATH", () => {
    // Only what the script needs besides kubectl: the shell is run by its absolute path.
    const bare = path.join(scratch, "bare");
    mkdirSync(bare);
    symlinkSync(path.join(stubs, "aws"), path.join(bare, "aws"));
    const result = destroy(applied("no-kubectl"), {}, bare);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain(
      "destroy: waiting for Service istio-system/shopfront-gateway-istio (and its load balancer) to be deleted needs kubectl on PATH",
    );
    expect(result.calls).toEqual([]);
    expect(result.state).toMatch(/^terraform_data\./);
  });
});

const hasOpenssl = spawnSync("openssl", ["version"], { stdio: "ignore" }).status === 0;
const describeEndToEnd =
  (hasTerraform && hasKubectl && hasOpenssl) || process.env.CI ? describe : describe.skip;

/**
 * Just enough of the Kubernetes API, over TLS, for `kubectl get` and `kubectl wait --for=delete` on
 * one Service: discovery, the object, its list and its watch. The Service is deleted (a DELETED event
 * on the watch, then 404) `deleteAfterMs` after the first watch starts, as the garbage collector and
 * the cloud controller would.
 */
async function fakeKubernetesApi(tls: { key: string; cert: string }, deleteAfterMs: number) {
  const { createServer } = await import("node:https");
  const requests: { path: string; authorization?: string }[] = [];
  let exists = true;
  let resourceVersion = 10;
  const service = () => ({
    kind: "Service",
    apiVersion: "v1",
    metadata: {
      name: "shopfront-gateway-istio",
      namespace: "istio-system",
      uid: "5d1f0c1e-0000-4000-8000-000000000001",
      resourceVersion: String(resourceVersion),
      finalizers: ["service.kubernetes.io/load-balancer-cleanup"],
    },
    spec: { type: "LoadBalancer" },
  });
  const servicePath = "/api/v1/namespaces/istio-system/services";
  const server = createServer(tls, (request, response) => {
    requests.push({ path: request.url ?? "", authorization: request.headers.authorization });
    const url = new URL(request.url ?? "/", "https://127.0.0.1");
    const json = (code: number, body: unknown) => {
      response.writeHead(code, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    const notFound = () =>
      json(404, { kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404 });
    if (url.pathname === "/api") return json(200, { kind: "APIVersions", versions: ["v1"] });
    if (url.pathname === "/apis") return json(200, { kind: "APIGroupList", apiVersion: "v1", groups: [] });
    if (url.pathname === "/api/v1") {
      return json(200, {
        kind: "APIResourceList",
        groupVersion: "v1",
        resources: [
          {
            name: "services",
            singularName: "service",
            namespaced: true,
            kind: "Service",
            verbs: ["get", "list", "watch"],
          },
        ],
      });
    }
    if (url.pathname === `${servicePath}/shopfront-gateway-istio`)
      return exists ? json(200, service()) : notFound();
    if (url.pathname === servicePath && url.searchParams.get("watch") === "true") {
      response.writeHead(200, { "content-type": "application/json" });
      setTimeout(() => {
        exists = false;
        resourceVersion++;
        response.write(`${JSON.stringify({ type: "DELETED", object: service() })}\n`);
      }, deleteAfterMs);
      return;
    }
    if (url.pathname === servicePath) {
      return json(200, {
        kind: "ServiceList",
        apiVersion: "v1",
        metadata: { resourceVersion: String(resourceVersion) },
        items: exists ? [service()] : [],
      });
    }
    notFound();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `https://127.0.0.1:${port}`,
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describeEndToEnd(
  "ServiceDeletionWait, end to end: terraform destroy, the real kubectl, a fake cluster",
  () => {
    let scratch: string;
    let api: Awaited<ReturnType<typeof fakeKubernetesApi>> | undefined;

    beforeAll(() => {
      if (!(hasTerraform && hasKubectl && hasOpenssl)) {
        throw new Error("CI must run the end-to-end wait: it needs terraform, kubectl and openssl on PATH");
      }
      scratch = mkdtempSync(path.join(tmpdir(), "shopfront-deletion-wait-e2e-"));
    });

    afterAll(async () => {
      await api?.close();
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    });

    it("returns once the cluster reports the Service deleted, authenticated through aws eks get-token and the cluster's CA", async () => {
      // A CA for 127.0.0.1, handed to kubectl the way EKS returns it: the PEM, base64-encoded.
      const key = path.join(scratch, "key.pem");
      const cert = path.join(scratch, "cert.pem");
      execFileSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "ec",
          "-pkeyopt",
          "ec_paramgen_curve:prime256v1",
          "-nodes",
          "-subj",
          "/CN=fake-eks",
          "-addext",
          "subjectAltName=IP:127.0.0.1",
          "-days",
          "1",
          "-keyout",
          key,
          "-out",
          cert,
        ],
        { stdio: "ignore" },
      );
      const pem = readFileSync(cert, "utf8");
      api = await fakeKubernetesApi({ key: readFileSync(key, "utf8"), cert: pem }, 1500);

      // Only the aws CLI is a stand-in: `aws eks get-token` answers with a token, as it would.
      const bin = path.join(scratch, "bin");
      mkdirSync(bin);
      writeScript(
        path.join(bin, "aws"),
        `#!/bin/sh\n[ "$1 $2" = "eks get-token" ] || exit 2\necho '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{},"status":{"token":"k8s-aws-v1.stand-in"}}'\n`,
      );

      const cluster = {
        name: "shopfront",
        endpoint: api.endpoint,
        certificateAuthorityData: Buffer.from(pem).toString("base64"),
        region: "us-east-1",
      };
      const dir = terraformFolder(path.join(scratch, "stack"), kubeconfigJson(cluster));
      const env = terraformEnv(scratch, `${bin}:${path.dirname(realKubectl)}:/usr/bin:/bin`);
      const run = (args: string[]) =>
        new Promise<{ code: number | null; output: string }>((resolve) => {
          const child = spawn(terraform, args, { cwd: dir, env });
          let output = "";
          child.stdout.on("data", (chunk) => (output += chunk));
          child.stderr.on("data", (chunk) => (output += chunk));
          child.on("close", (code) => resolve({ code, output }));
        });
      expect((await run(["init", "-input=false"])).code).toBe(0);
      expect((await run(["apply", "-auto-approve", "-input=false"])).code).toBe(0);
      expect(api.requests).toEqual([]);

      const started = Date.now();
      const destroyed = await run(["destroy", "-auto-approve", "-input=false", "-no-color"]);
      const seconds = (Date.now() - started) / 1000;
      expect(destroyed.output).toContain("service/shopfront-gateway-istio condition met");
      expect(destroyed.code).toBe(0);
      // It waited for the deletion, which the fake cluster made 1.5 s after the watch began.
      expect(seconds).toBeGreaterThanOrEqual(1.5);
      const paths = api.requests.map((r) => r.path.split("?")[0]);
      expect(paths).toContain("/api/v1/namespaces/istio-system/services/shopfront-gateway-istio");
      expect(api.requests.some((r) => /[?&]watch=true/.test(r.path))).toBe(true);
      // Every call after discovery carried the token that `aws eks get-token` gave.
      const calls = api.requests.filter((r) => r.path.startsWith("/api/v1/namespaces/"));
      expect(calls.length).toBeGreaterThanOrEqual(3);
      expect(calls.every((r) => r.authorization === "Bearer k8s-aws-v1.stand-in")).toBe(true);
    }, 60_000);
  },
);
