import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Manifest } from "@cdktf/provider-kubernetes/lib/manifest";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { TerraformStack, Testing } from "cdktf";
import type { MeshMode } from "../../../modules/mesh/mesh-variant";
import { ConfigError, loadConfig } from "../../../modules/settings/load";
import type { ShopfrontConfig } from "../../../modules/settings/table";
import { VERSIONS } from "../../../modules/settings/versions";
import { ShopfrontManifests } from "../../../modules/shopfront/manifest-set";
import { Shopfront, ShopfrontManifestError } from "../../../modules/shopfront/shopfront";
import { validationErrors } from "../../../stacks/app";
import "../../matchers";
import { kubernetesManifests, manifestNamed, testApp } from "../../helpers";

// biome-ignore lint/suspicious/noExplicitAny: synthesized Terraform JSON, read field by field.
type Json = any;

const INGRESS_HOST = "istio-ingressgateway.istio-system.svc.cluster.local";
const NAMESPACE = "miztiik-automation-ns";
const GATEWAY_PRINCIPAL = "cluster.local/ns/istio-system/sa/istio-ingressgateway";
/** The route's timeout and retries in manifests/routing-istio/shopfront-mesh.yaml. */
const ROUTE_RESILIENCE = {
  timeout: "4s",
  retries: {
    attempts: 2,
    perTryTimeout: "1s",
    retryOn: "connect-failure,refused-stream,unavailable,cancelled,reset",
  },
};

/** A shopfront-stack-like stack holding only the Shopfront, synthesized. */
function build(config: Partial<ShopfrontConfig> = {}, manifestsDir?: string, meshMode?: MeshMode) {
  const app = testApp();
  const stack = new TerraformStack(app, "shopfront-stack");
  new KubernetesProvider(stack, "kubernetes", {});
  const shopfront = new Shopfront(stack, "shopfront", {
    manifests: new ShopfrontManifests({
      config: { loadGenerator: false, errorGenerator: false, ...config },
      manifestsDir,
      meshMode,
    }),
  });
  // As synthesize() does: the construct's validation runs before the stack is written.
  const errors = validationErrors(app);
  const json = Testing.synth(stack);
  const manifests = kubernetesManifests(JSON.parse(json));
  /** The synthesized kubernetes_manifest of `Kind/name` (`Kind/namespace/name`), with its Terraform address. */
  const manifestOf = (resource: string) => manifestNamed(manifests, resource);
  const objects = [...manifests.keys()];
  return { shopfront, json, objects, manifestOf, errors };
}

const madeDirs: string[] = [];
afterAll(() => {
  for (const dir of madeDirs) rmSync(dir, { recursive: true, force: true });
});

/** A copy of manifests/ with `edit` applied to the text of one file (a new file when it is not there). */
function manifestsDirWith(file: string, edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), "shopfront-manifests-"));
  madeDirs.push(dir);
  cpSync("manifests", dir, { recursive: true });
  const path = join(dir, file);
  const before = existsSync(path) ? readFileSync(path, "utf8") : "";
  const edited = edit(before);
  if (edited === before) throw new Error(`the edit changed nothing in ${file}`);
  writeFileSync(path, edited);
  return dir;
}

const shopfrontVersions = [
  { version: "v1", replicas: 3, image: VERSIONS.images.shopfrontHttpd },
  { version: "v2", replicas: 2, image: VERSIONS.images.shopfrontHttpd },
  { version: "v3", replicas: 1, image: VERSIONS.images.shopfrontHttpd },
  { version: "v4", replicas: 1, image: VERSIONS.images.shopfrontNginx },
];

describe("Shopfront", () => {
  const { shopfront, json, objects, manifestOf } = build();

  it("applies every object of the shared manifests, sidecar/ and routing-istio/, one kubernetes_manifest each, and none of mesh/", () => {
    expect(objects.sort()).toEqual(
      [
        `Namespace/${NAMESPACE}`,
        "ConfigMap/shopfront-ingress",
        "Service/shopfront-svc",
        "Deployment/shopfront-v1",
        "Deployment/shopfront-v2",
        "Deployment/shopfront-v3",
        "Deployment/shopfront-v4",
        "PodDisruptionBudget/shopfront-v1",
        "PodDisruptionBudget/shopfront-v2",
        "Gateway/shopfront-gateway",
        "VirtualService/shopfront-virtual-service",
        "DestinationRule/shopfront-svc",
        "PeerAuthentication/default",
        "AuthorizationPolicy/shopfront-ingress-only",
        "NetworkPolicy/default-deny",
        "NetworkPolicy/allow-dns",
        "NetworkPolicy/shopfront-from-ingress-gateway",
        "NetworkPolicy/shopfront-metrics-from-prometheus",
        "NetworkPolicy/shopfront-to-istiod",
        "NetworkPolicy/generators-to-ingress-gateway",
      ].sort(),
    );
    // Ids from the object alone. In the order of the folders (the data plane's, the shared, the routing
    // API's), their files (sorted by name) and their documents: the Namespace first.
    expect(shopfront.manifests.map((manifest) => manifest.node.id).sort()).toEqual(
      objects.map((object) => object.toLowerCase().replace(/\//g, "-")).sort(),
    );
    expect(shopfront.manifests[0].node.id).toBe(`namespace-${NAMESPACE}`);
    expect(shopfront.namespaceName).toBe(NAMESPACE);
  });

  it("labels the namespace for Istio sidecar injection", () => {
    expect(json).toHaveResourceWithProperties(Manifest, {
      manifest: {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: NAMESPACE, labels: expect.objectContaining({ "istio-injection": "enabled" }) },
      },
    });
  });

  it.each(shopfrontVersions)(
    "runs shopfront-$version: $replicas replicas of $image, as a non-root user on port 8080",
    ({ version, replicas, image }) => {
      const labels = { app: "shopfront", version };
      const { manifest } = manifestOf(`Deployment/shopfront-${version}`);
      expect(manifest).toMatchObject({
        apiVersion: "apps/v1",
        metadata: { name: `shopfront-${version}`, namespace: NAMESPACE, labels },
        spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels } } },
      });
      const [container] = (manifest as { spec: { template: { spec: { containers: Json[] } } } }).spec.template
        .spec.containers;
      expect(container.image).toBe(image);
      expect(container.ports).toEqual([{ name: "http", containerPort: 8080, protocol: "TCP" }]);
      expect(container.readinessProbe.httpGet).toEqual({ path: "/", port: "http" });
      expect(container.livenessProbe.httpGet).toEqual({ path: "/", port: "http" });
      expect(container.resources).toEqual({
        requests: { cpu: "25m", memory: "32Mi" },
        limits: { cpu: "250m", memory: "128Mi" },
      });
      // Port 8080 needs no capability: the server runs as the pod's non-root user, with none.
      expect(container.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
      });
    },
  );

  it.each([
    [
      "httpd",
      "v1",
      "/usr/local/apache2/htdocs",
      "exec httpd -DFOREGROUND -f /tmp/httpd.conf",
      [
        { name: "run", mountPath: "/usr/local/apache2/logs" },
        { name: "tmp", mountPath: "/tmp" },
      ],
    ],
    [
      "nginx",
      "v4",
      "/usr/share/nginx/html",
      "exec nginx -g 'daemon off;'",
      [{ name: "tmp", mountPath: "/tmp" }],
    ],
  ])(
    "has %s answer GET / with <pod hostname>:<version> from an otherwise empty docroot",
    (_, version, docroot, server, writable) => {
      const container = (manifestOf(`Deployment/shopfront-${version}`).manifest as Json).spec.template.spec
        .containers[0];
      const script: string = container.command.join(" ");
      expect(script).toContain(`printf '%s:%s\\n' "$(uname -n)" "$VERSION" > ${docroot}/index.html`);
      expect(script).toMatch(new RegExp(`${server.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\n$`));
      expect(container.env).toEqual([
        { name: "VERSION", valueFrom: { fieldRef: { fieldPath: "metadata.labels['version']" } } },
      ]);
      expect(container.volumeMounts).toEqual([{ name: "docroot", mountPath: docroot }, ...writable]);
    },
  );

  it("exposes the versions through shopfront-svc: ClusterIP, port 80 named http", () => {
    expect(json).toHaveResourceWithProperties(Manifest, {
      manifest: {
        apiVersion: "v1",
        kind: "Service",
        metadata: {
          name: "shopfront-svc",
          namespace: NAMESPACE,
          labels: { app: "shopfront", service: "shopfront-svc" },
        },
        spec: {
          type: "ClusterIP",
          selector: { app: "shopfront" },
          ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
        },
      },
    });
  });

  it("opens the ingress gateway to HTTP on port 80 for any host", () => {
    expect(json).toHaveResourceWithProperties(Manifest, {
      manifest: {
        apiVersion: "networking.istio.io/v1",
        kind: "Gateway",
        metadata: { name: "shopfront-gateway", namespace: NAMESPACE },
        spec: {
          selector: { istio: "ingressgateway" },
          servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }],
        },
      },
    });
  });

  it("routes the gateway's traffic 50/30/15/5 to subsets v1..v4", () => {
    const route = (weights: number[]) =>
      weights.map((weight, index) => ({
        destination: { host: "shopfront-svc", subset: `v${index + 1}` },
        weight,
      }));
    expect(json).toHaveResourceWithProperties(Manifest, {
      manifest: {
        apiVersion: "networking.istio.io/v1",
        kind: "VirtualService",
        metadata: { name: "shopfront-virtual-service", namespace: NAMESPACE },
        spec: {
          hosts: ["*"],
          gateways: ["shopfront-gateway"],
          http: [{ ...ROUTE_RESILIENCE, route: route([50, 30, 15, 5]) }],
        },
      },
    });
    expect(shopfront.routeWeights).toEqual({ v1: 50, v2: 30, v3: 15, v4: 5 });
    expect(shopfront.route.node.id).toBe("virtualservice-shopfront-virtual-service");
  });

  it("defines subsets v1..v4 by the version label, round-robin within each, behind a circuit breaker", () => {
    expect(json).toHaveResourceWithProperties(Manifest, {
      manifest: {
        apiVersion: "networking.istio.io/v1",
        kind: "DestinationRule",
        metadata: { name: "shopfront-svc", namespace: NAMESPACE },
        spec: {
          host: "shopfront-svc",
          trafficPolicy: {
            loadBalancer: { simple: "ROUND_ROBIN" },
            connectionPool: {
              tcp: { maxConnections: 100, connectTimeout: "1s" },
              http: { http1MaxPendingRequests: 100, maxRequestsPerConnection: 100, maxRetries: 10 },
            },
            outlierDetection: {
              consecutive5xxErrors: 5,
              interval: "10s",
              baseEjectionTime: "30s",
              maxEjectionPercent: 50,
              minHealthPercent: 50,
            },
          },
          subsets: ["v1", "v2", "v3", "v4"].map((version) => ({ name: version, labels: { version } })),
        },
      },
    });
  });

  it.each([
    ["v1", 3],
    ["v2", 2],
  ])("lets a node drain take one pod of shopfront-%s (%d replicas) at a time", (version) => {
    const labels = { app: "shopfront", version };
    expect(manifestOf(`PodDisruptionBudget/shopfront-${version}`).manifest).toEqual({
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: { name: `shopfront-${version}`, namespace: NAMESPACE, labels },
      spec: {
        maxUnavailable: 1,
        unhealthyPodEvictionPolicy: "AlwaysAllow",
        selector: { matchLabels: labels },
      },
    });
  });

  it("gives the single pods of v3 and v4 no disruption budget, which would block node drains", () => {
    const budgets = objects.filter((object) => object.startsWith("PodDisruptionBudget/"));
    expect(budgets.sort()).toEqual(["PodDisruptionBudget/shopfront-v1", "PodDisruptionBudget/shopfront-v2"]);
  });

  it("requires mutual TLS (STRICT) in the shopfront namespace, whatever the mesh-wide default", () => {
    expect(manifestOf("PeerAuthentication/default").manifest).toEqual({
      apiVersion: "security.istio.io/v1",
      kind: "PeerAuthentication",
      metadata: { name: "default", namespace: NAMESPACE },
      spec: { mtls: { mode: "STRICT" } },
    });
  });

  it("lets only the ingress gateway's identity call the shopfront's pods", () => {
    expect(manifestOf("AuthorizationPolicy/shopfront-ingress-only").manifest).toEqual({
      apiVersion: "security.istio.io/v1",
      kind: "AuthorizationPolicy",
      metadata: { name: "shopfront-ingress-only", namespace: NAMESPACE },
      spec: {
        selector: { matchLabels: { app: "shopfront" } },
        action: "ALLOW",
        rules: [{ from: [{ source: { principals: [GATEWAY_PRINCIPAL] } }] }],
      },
    });
  });

  it("creates the namespace, then the policies, the gateway, the subsets, the routes, then the app: destroyed in reverse", () => {
    const addressesOf = (...prefixes: string[]) =>
      objects
        .filter((o) => prefixes.some((prefix) => o.startsWith(prefix)))
        .map((o) => manifestOf(o).address);
    const namespace = manifestOf(`Namespace/${NAMESPACE}`);
    expect(namespace.depends_on).toBeUndefined();
    const tiers = [
      [namespace.address],
      addressesOf("PeerAuthentication/", "AuthorizationPolicy/", "NetworkPolicy/", "ConfigMap/"),
      addressesOf("Gateway/"),
      addressesOf("DestinationRule/"),
      addressesOf("VirtualService/"),
      addressesOf("Deployment/", "Service/", "PodDisruptionBudget/"),
    ];
    expect(tiers.flat().sort()).toEqual(objects.map((o) => manifestOf(o).address).sort());
    for (const [index, tier] of tiers.entries()) {
      if (index === 0) continue;
      for (const address of tier) {
        const object = objects.map(manifestOf).find((candidate) => candidate.address === address);
        expect([...(object?.depends_on ?? [])].sort()).toEqual([...tiers[index - 1]].sort());
      }
    }
  });

  it("waits for each Deployment's rollout, and owns its fields even after a kubectl edit", () => {
    for (const object of objects) {
      const { wait, field_manager } = manifestOf(object);
      expect(wait).toEqual(object.startsWith("Deployment/") ? { rollout: true } : undefined);
      expect(field_manager).toEqual({ name: "shopfront-stack", force_conflicts: true });
    }
  });

  it("labels the same namespace for ambient mode instead with MESH_MODE=ambient, with the same Pod Security labels", () => {
    const labelsOf = (meshMode: MeshMode) =>
      build({}, undefined, meshMode).manifestOf(`Namespace/${NAMESPACE}`).manifest.metadata.labels;
    const { "istio-injection": injection, ...shared } = labelsOf("sidecar");
    const {
      "istio.io/dataplane-mode": dataplaneMode,
      "istio.io/use-waypoint": waypoint,
      ...ambientShared
    } = labelsOf("ambient");
    expect([injection, dataplaneMode, waypoint]).toEqual(["enabled", "ambient", "waypoint"]);
    expect(ambientShared).toEqual(shared);
    expect(shared["pod-security.kubernetes.io/enforce"]).toBe("restricted");
  });
});

describe("Shopfront route weights (SHOPFRONT_WEIGHTS)", () => {
  it("overrides the manifest's weights at synth time, keeping the route's timeout and retries", () => {
    const { shopfront, manifestOf } = build(
      loadConfig({ SHOPFRONT_WEIGHTS: "v1=25,v2=25,v3=25,v4=25" }).shopfront,
    );
    const { manifest } = manifestOf("VirtualService/shopfront-virtual-service");
    expect((manifest as Json).spec.http).toEqual([
      {
        ...ROUTE_RESILIENCE,
        route: ["v1", "v2", "v3", "v4"].map((subset) => ({
          destination: { host: "shopfront-svc", subset },
          weight: 25,
        })),
      },
    ]);
    expect(shopfront.routeWeights).toEqual({ v1: 25, v2: 25, v3: 25, v4: 25 });
  });

  it("routes the versions left out with weight 0", () => {
    const { manifestOf } = build(loadConfig({ SHOPFRONT_WEIGHTS: "v4=100" }).shopfront);
    const { manifest } = manifestOf("VirtualService/shopfront-virtual-service");
    const weights = (manifest as Json).spec.http[0].route.map((r: { weight: number }) => r.weight);
    expect(weights).toEqual([0, 0, 0, 100]);
  });

  it.each([
    [
      "v1=half,v2=50",
      /SHOPFRONT_WEIGHTS="v1=half,v2=50": the weight of v1 \("half"\) is not a whole number from 0 to 100/,
    ],
    ["v1=-10,v2=110", /SHOPFRONT_WEIGHTS="v1=-10,v2=110": the weight of v1 is negative \(-10\)/],
    ["v1=60,v2=30,v3=15,v4=5", /^SHOPFRONT_WEIGHTS: weights add up to 110, they must add up to 100/],
    [
      "v1=50,v5=50",
      /SHOPFRONT_WEIGHTS="v1=50,v5=50": subset v5 does not exist \(the subsets are v1, v2, v3, v4\)/,
    ],
  ])("refuses SHOPFRONT_WEIGHTS=%s before any construct is built", (weights, message) => {
    let problems: readonly string[] = [];
    try {
      loadConfig({ SHOPFRONT_WEIGHTS: weights });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems = error.problems;
    }
    expect(problems).toContainEqual(expect.stringMatching(message));
  });

  it("refuses weights for a subset that the DestinationRule does not define", () => {
    const dir = manifestsDirWith("routing-istio/shopfront-mesh.yaml", (text) =>
      text.replace(/\n {4}- name: v4\n {6}labels:\n {8}version: v4\n/, "\n"),
    );
    expect(build({ weights: { v1: 50, v2: 30, v3: 15, v4: 5 } }, dir).errors).toEqual([
      expect.stringMatching(
        /shopfront-mesh\.yaml: VirtualService\/shopfront-virtual-service: spec\.http\[0\]\.route\[3\]\.destination\.subset: subset v4 is not defined/,
      ),
    ]);
  });
});

describe("Shopfront generators", () => {
  it("deploys neither generator by default", () => {
    const { objects } = build(loadConfig({}).shopfront);
    expect(
      objects.filter((object) => object.startsWith("Deployment/") && object.includes("generator")),
    ).toEqual([]);
  });

  it.each([
    ["load-generator", { loadGenerator: true }, "http://\\$INGRESS_HOST/", "sleep 0.5"],
    [
      "error-generator",
      { errorGenerator: true },
      "http://\\$INGRESS_HOST/miztiik-error-generator",
      "sleep 1",
    ],
  ])(
    "deploys the %s alone when toggled, outside the mesh, calling the ingress gateway once the app is up",
    (name, toggle, url, pace) => {
      const { objects, manifestOf } = build(toggle);
      expect(
        objects.filter((object) => object.startsWith("Deployment/") && object.includes("generator")),
      ).toEqual([`Deployment/${name}`]);
      const generator = manifestOf(`Deployment/${name}`);
      const pod = (generator.manifest as Json).spec.template;
      expect(pod.metadata.labels).toEqual({
        app: name,
        "sidecar.istio.io/inject": "false",
        "istio.io/dataplane-mode": "none",
      });
      const [container] = pod.spec.containers;
      expect(container.env).toEqual([
        { name: "INGRESS_HOST", valueFrom: { configMapKeyRef: { name: "shopfront-ingress", key: "host" } } },
      ]);
      expect((manifestOf("ConfigMap/shopfront-ingress").manifest as Json).data).toEqual({
        host: INGRESS_HOST,
      });
      expect(container.image).toBe(VERSIONS.images.generators);
      expect(container.command.join(" ")).toContain(`wget -q -T 5 -O`);
      expect(container.command.join(" ")).toMatch(new RegExp(` ${url}[; ]`));
      expect(container.command.join(" ")).toContain(`\n  ${pace}\n`);
      expect(generator.depends_on).toEqual(
        expect.arrayContaining([
          manifestOf("Deployment/shopfront-v1").address,
          manifestOf("Service/shopfront-svc").address,
        ]),
      );
    },
  );

  it("deploys both when both are toggled", () => {
    const { objects } = build(
      loadConfig({ SHOPFRONT_LOAD_GENERATOR: "true", SHOPFRONT_ERROR_GENERATOR: "true" }).shopfront,
    );
    expect(
      objects.filter((object) => object.startsWith("Deployment/") && object.includes("generator")).sort(),
    ).toEqual(["Deployment/error-generator", "Deployment/load-generator"]);
  });

  it("keys each toggle by its Deployment's name, in whichever file it is defined", () => {
    const dir = manifestsDirWith("generators.yaml", (text) =>
      text.replace("name: error-generator\n", "name: spam-generator\n"),
    );
    const moved = manifestsDirWith(
      "shopfront.yaml",
      (text) => `${text}---\n${readFileSync("manifests/generators.yaml", "utf8")}`,
    );
    rmSync(join(moved, "generators.yaml"));
    // A Deployment that no toggle names is the shopfront's like any other object: always deployed.
    const generatorDeployments = (objects: readonly string[]) =>
      objects.filter((object) => object.startsWith("Deployment/") && object.includes("generator"));
    expect(generatorDeployments(build({}, dir).objects)).toEqual(["Deployment/spam-generator"]);
    expect(generatorDeployments(build({ loadGenerator: true }, moved).objects)).toEqual([
      "Deployment/load-generator",
    ]);
  });
});

describe("Shopfront synth guard", () => {
  it("refuses manifests with errors through the construct's validation, listing each with file, resource and field", () => {
    const dir = manifestsDirWith("routing-istio/shopfront-mesh.yaml", (text) =>
      text.replace("weight: 5\n", "weight: 15\n"),
    );
    const { shopfront, errors } = build({}, dir);
    expect(errors).toEqual([
      expect.stringMatching(
        /^shopfront-stack\/shopfront: .*shopfront-mesh\.yaml: VirtualService\/shopfront-virtual-service: spec\.http\[0\]\.route: weights add up to 110/,
      ),
    ]);
    expect(shopfront.node.validate()).toHaveLength(1);
  });

  it("refuses manifests without the shopfront's Namespace or VirtualService, naming the folder", () => {
    const noNamespace = manifestsDirWith("sidecar/namespace.yaml", (text) =>
      text.replace("kind: Namespace\n", "kind: ConfigMap\n"),
    );
    expect(() => build({}, noNamespace)).toThrow(ShopfrontManifestError);
    expect(() => build({}, noNamespace)).toThrow(
      /must define exactly one Namespace, the shopfront's \(found 0\)/,
    );
    const noRoute = manifestsDirWith("routing-istio/shopfront-mesh.yaml", (text) =>
      text.replace("name: shopfront-virtual-service\n", "name: other-virtual-service\n"),
    );
    expect(() => build({}, noRoute)).toThrow(
      /must define VirtualService\/shopfront-virtual-service with a weighted route \(ROUTING_API=istio\)/,
    );
  });

  it("deploys any Kubernetes kind added to a file of manifests/, with one file and nothing else", () => {
    const extra = [
      "apiVersion: v1",
      "kind: ServiceAccount",
      `metadata: {name: shopfront, namespace: ${NAMESPACE}}`,
      "---",
      "apiVersion: v1",
      "kind: ConfigMap",
      `metadata: {name: shopfront-settings, namespace: ${NAMESPACE}}`,
      "data: {greeting: hello}",
      "---",
      "apiVersion: autoscaling/v2",
      "kind: HorizontalPodAutoscaler",
      `metadata: {name: shopfront-v1, namespace: ${NAMESPACE}}`,
      "spec:",
      "  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: shopfront-v1}",
      "  minReplicas: 3",
      "  maxReplicas: 6",
      "",
    ].join("\n");
    const dir = manifestsDirWith("shopfront-extras.yaml", () => extra);
    const { objects, errors, manifestOf } = build({}, dir);
    expect(errors).toEqual([]);
    expect(objects).toEqual(
      expect.arrayContaining([
        "ServiceAccount/shopfront",
        "ConfigMap/shopfront-settings",
        "HorizontalPodAutoscaler/shopfront-v1",
      ]),
    );
    // A ConfigMap is settings: beside the policies, right after the namespace.
    expect(manifestOf("ConfigMap/shopfront-settings").depends_on).toEqual([
      manifestOf(`Namespace/${NAMESPACE}`).address,
    ]);
  });

  it("refuses a field that the API server would silently drop", () => {
    const dir = manifestsDirWith("routing-istio/shopfront-mesh.yaml", (text) =>
      text.replace("perTryTimeout: 1s\n", "perTryTimeout: 1s\n        perTryTimout: 1s\n"),
    );
    expect(build({}, dir).errors).toEqual([
      expect.stringMatching(
        /VirtualService\/shopfront-virtual-service: spec\.http\[0\]\.retries\.perTryTimout: is not a field of this kind/,
      ),
    ]);
  });

  it("reports the checks' warnings as synth warnings", () => {
    const admin = [
      "---",
      "apiVersion: apps/v1",
      "kind: Deployment",
      `metadata: {name: shopfront-admin, namespace: ${NAMESPACE}}`,
      "spec:",
      "  selector: {matchLabels: {app: shopfront-admin}}",
      "  template:",
      "    metadata: {labels: {app: shopfront-admin}}",
      "    spec: {containers: [{name: admin, image: public.ecr.aws/docker/library/busybox:1.37.0}]}",
      "",
    ].join("\n");
    const dir = manifestsDirWith("shopfront.yaml", (text) => text + admin);
    const { shopfront } = build({}, dir);
    expect(
      shopfront.node.metadata.filter((entry) => entry.type === "@cdktf/warn").map((entry) => entry.data),
    ).toEqual([
      expect.stringMatching(
        /shopfront\.yaml: Deployment\/shopfront-admin: spec\.template\.metadata\.labels: warning: has no version label/,
      ),
    ]);
  });

  it("passes shell ${...} and %{...} to the cluster as written, not as Terraform templates", () => {
    const dir = manifestsDirWith("shopfront.yaml", (text) =>
      text.replace('"$VERSION" > /usr/share', '"${VERSION}" > /usr/share'),
    );
    const { manifestOf } = build({}, dir);
    const container = (manifestOf("Deployment/shopfront-v4").manifest as Json).spec.template.spec
      .containers[0];
    expect(container.command[2]).toContain('"$${VERSION}" > /usr/share/nginx/html/index.html');
  });
});
