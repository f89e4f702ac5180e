/**
 * The Kubernetes part of the security issue (issue 12): one test per Checkov rule, named by its ID, on
 * the synthesized plans of shopfront-stack, istio-config-stack and ssm-agent-installer-daemonset-stack, in each variant the
 * issue scans; Pod Security Admission's restricted level; the shopfront's NetworkPolicies; and the
 * accepted findings, which must be exactly what the plans fail. Checkov's rule logic is ported in
 * ./checkov-kubernetes.ts; each test also asserts the property itself, so it fails if the manifests regress.
 */
import { readFileSync } from "node:fs";
import { SSM_AGENT_INSTALLER_ACCEPTED_FINDINGS } from "../../modules/aws/ssm-agent-installer";
import { parseManifests, readManifestFiles } from "../../modules/manifests/model";
import { MESH_VARIANTS } from "../../modules/mesh/mesh-variant";
import { INGRESS_GATEWAY_LABELS } from "../../modules/settings/names";
import { VERSIONS } from "../../modules/settings/versions";
import { shopfrontManifestPaths } from "../../modules/shopfront/variants";
import {
  failures,
  KUBERNETES_RULES,
  kubernetesObjectOf,
  type Rule,
  TERRAFORM_DAEMON_SET_RULES,
} from "../checkov-kubernetes";
import { buildTestStacks, resources } from "../helpers";

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects and Terraform JSON, read field by field.
type Json = any;

const NAMESPACE = "miztiik-automation-ns";
const WORKLOAD_KINDS = ["Pod", "Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "Job", "CronJob"];
const DAEMON_SET = "kubernetes_daemon_set_v1";
/** The port of the sidecar's merged Prometheus metrics (Istio's prometheus.io/port annotation). */
const SIDECAR_METRICS_PORT = 15020;
/** istiod's port for the sidecars' xDS and certificate requests. */
const ISTIOD_XDS_PORT = 15012;
/** The ingress gateway pods' HTTP port: the gateway chart's Service maps port 80 to targetPort 80. */
const INGRESS_GATEWAY_HTTP_PORT = 80;

/** The variants of the scan. */
const VARIANTS: readonly (readonly [string, Readonly<Record<string, string>>])[] = [
  ["default settings", {}],
  ["SSM_AGENT_INSTALLER=true", { SSM_AGENT_INSTALLER: "true" }],
  ["the generators on", { SHOPFRONT_LOAD_GENERATOR: "true", SHOPFRONT_ERROR_GENERATOR: "true" }],
  ["MESH_PROFILE=production", { MESH_PROFILE: "production" }],
  [
    "MESH_MODE=ambient, ROUTING_API=gateway-api and the generators on",
    {
      MESH_MODE: "ambient",
      ROUTING_API: "gateway-api",
      SHOPFRONT_LOAD_GENERATOR: "true",
      SHOPFRONT_ERROR_GENERATOR: "true",
    },
  ],
];

/** The objects of a variant's plans: shopfront-stack's and istio-config-stack's manifests and the SSM installer's DaemonSet. */
function plansOf(env: Readonly<Record<string, string>>) {
  const stacks = buildTestStacks(env);
  const manifests: Json[] = Object.values(resources(stacks.shopfront, "kubernetes_manifest")).map(
    (resource) => resource.manifest,
  );
  const meshWide: Json[] = Object.values(resources(stacks.istioConfig, "kubernetes_manifest")).map(
    (resource) => resource.manifest,
  );
  const daemonSets = Object.fromEntries(
    Object.entries(resources(stacks.ssmAgent, DAEMON_SET)).map(([id, resource]) => [
      `ssm-agent-installer-daemonset-stack ${DAEMON_SET}.${id}`,
      resource,
    ]),
  );
  const objects: Record<string, Json> = Object.fromEntries([
    ...manifests.map((object) => [`shopfront-stack ${object.kind}/${object.metadata.name}`, object]),
    ...meshWide.map((object) => [`istio-config-stack ${object.kind}/${object.metadata.name}`, object]),
  ]);
  // The Kubernetes rules also read the DaemonSet as the API server receives it, as the scan did.
  for (const [name, daemonSet] of Object.entries(daemonSets)) {
    objects[name] = kubernetesObjectOf("DaemonSet", "apps/v1", daemonSet);
  }
  const workloads = Object.entries(objects).filter(([, object]) => WORKLOAD_KINDS.includes(object.kind));
  const meshed = workloads.filter(([name]) => name.startsWith("shopfront-stack "));
  return { manifests, objects, daemonSets, workloads, meshed };
}

const rule = (id: string): Rule => {
  const found = KUBERNETES_RULES.find((r) => r.id === id);
  if (found === undefined) throw new Error(`no rule ${id}`);
  return found;
};
const podOf = (workload: Json): Json => workload.spec.template.spec;
const containersOf = (workload: Json): Json[] => [
  ...(podOf(workload).initContainers ?? []),
  ...podOf(workload).containers,
];

/** Every rule passes on every workload, and `property` holds for each; the checks are never vacuous. */
function expectEvery(
  workloads: readonly (readonly [string, Json])[],
  id: string,
  property: (name: string, workload: Json) => void,
) {
  expect(workloads.length).toBeGreaterThan(0);
  for (const [name, workload] of workloads) {
    property(name, workload);
    expect([name, rule(id).check(workload)]).toEqual([name, "PASSED"]);
  }
}

describe.each(VARIANTS)("Checkov's Kubernetes rules with %s (issue 12)", (_, env) => {
  const { objects, daemonSets, workloads, meshed } = plansOf(env);

  it("scans the workloads this variant deploys", () => {
    const names = workloads.map(([name]) => name);
    expect(names).toEqual(expect.arrayContaining(["shopfront-stack Deployment/shopfront-v1"]));
    expect(Object.keys(daemonSets).length > 0).toBe(env.SSM_AGENT_INSTALLER === "true");
    expect(names.includes("shopfront-stack Deployment/load-generator")).toBe(
      env.SHOPFRONT_LOAD_GENERATOR === "true",
    );
    expect(names.includes("shopfront-stack Deployment/error-generator")).toBe(
      env.SHOPFRONT_ERROR_GENERATOR === "true",
    );
  });

  it("CKV_K8S_43: every image is pinned by a sha256 digest, one of VERSIONS.images", () => {
    const pinned = Object.values(VERSIONS.images) as string[];
    expectEvery(workloads, "CKV_K8S_43", (name, workload) => {
      for (const container of containersOf(workload)) {
        expect([name, container.image]).toEqual([
          name,
          expect.stringMatching(/^[^@\s]+:[^@\s]+@sha256:[0-9a-f]{64}$/),
        ]);
        expect(pinned).toContain(container.image);
      }
    });
  });

  it("CKV_K8S_15: every image is pulled by its digest (IfNotPresent is then the same bytes as Always)", () => {
    expectEvery(workloads, "CKV_K8S_15", (name, workload) => {
      for (const container of containersOf(workload)) {
        expect([name, container.imagePullPolicy]).toEqual([name, "IfNotPresent"]);
        expect(container.image).toContain("@sha256:");
      }
    });
  });

  it("CKV_K8S_38: no pod mounts a Kubernetes API token (the sidecar uses its own projected istio-token)", () => {
    expectEvery(workloads, "CKV_K8S_38", (name, workload) => {
      expect([name, podOf(workload).automountServiceAccountToken]).toEqual([name, false]);
      expect(podOf(workload).serviceAccountName).toBeUndefined();
    });
  });

  it("CKV_K8S_29: every pod has a securityContext; the shopfront's and generators' run non-root (high UID) with RuntimeDefault seccomp", () => {
    expectEvery(workloads, "CKV_K8S_29", (name, workload) => {
      expect([name, podOf(workload).securityContext]).toEqual([name, expect.any(Object)]);
    });
    for (const [name, workload] of meshed) {
      expect([name, podOf(workload).securityContext]).toEqual([
        name,
        {
          runAsNonRoot: true,
          runAsUser: expect.any(Number),
          runAsGroup: expect.any(Number),
          seccompProfile: { type: "RuntimeDefault" },
        },
      ]);
      expect(podOf(workload).securityContext.runAsUser).toBeGreaterThanOrEqual(10000);
      expect([name, rule("CKV_K8S_40").check(workload)]).toEqual([name, "PASSED"]);
    }
    // The Terraform runner's own CKV_K8S_29 on the resource as planned.
    expect(failures(TERRAFORM_DAEMON_SET_RULES, () => DAEMON_SET, daemonSets)).toEqual([]);
  });

  it("CKV_K8S_22: every container's root filesystem is read-only; what httpd, nginx and the generators write is an emptyDir", () => {
    expectEvery(workloads, "CKV_K8S_22", (name, workload) => {
      for (const container of containersOf(workload)) {
        expect([name, container.securityContext.readOnlyRootFilesystem]).toEqual([name, true]);
      }
    });
    for (const [name, workload] of meshed) {
      const volumes: Json[] = podOf(workload).volumes;
      const mounts: Json[] = podOf(workload).containers.flatMap((c: Json) => c.volumeMounts);
      expect(mounts.map((m) => m.mountPath)).toContain("/tmp");
      for (const mount of mounts) {
        const volume = volumes.find((v) => v.name === mount.name);
        expect([name, mount.mountPath, volume.emptyDir]).toEqual([name, mount.mountPath, expect.any(Object)]);
        expect(volume.emptyDir.sizeLimit).toBeDefined();
      }
    }
  });

  it("CKV_K8S_8: every container has a liveness probe (the generators': an exec probe on the loop's heartbeat)", () => {
    expectEvery(workloads, "CKV_K8S_8", (name, workload) => {
      for (const container of podOf(workload).containers) {
        expect([name, container.livenessProbe]).toEqual([name, expect.any(Object)]);
      }
    });
    for (const [name, workload] of workloads.filter(([name]) => name.includes("-generator"))) {
      const [container] = podOf(workload).containers;
      expect([name, container.livenessProbe.exec.command.join(" ")]).toEqual([
        name,
        expect.stringContaining("/tmp/heartbeat"),
      ]);
      expect(container.command.join(" ")).toContain("touch /tmp/heartbeat");
    }
  });

  it("CKV_K8S_9: every container has a readiness probe (the generators': ready while their last request got its answer)", () => {
    expectEvery(workloads, "CKV_K8S_9", (name, workload) => {
      for (const container of podOf(workload).containers) {
        expect([name, container.readinessProbe]).toEqual([name, expect.any(Object)]);
      }
    });
    for (const [name, workload] of workloads.filter(([name]) => name.includes("-generator"))) {
      const [container] = podOf(workload).containers;
      expect([name, container.readinessProbe.exec.command]).toEqual([name, ["test", "-f", "/tmp/ready"]]);
      expect(container.command.join(" ")).toContain("touch /tmp/ready");
      expect(container.command.join(" ")).toContain("rm -f /tmp/ready");
    }
  });

  it("Pod Security Admission restricted: every shopfront and generator pod passes the level its namespace enforces", () => {
    expect(meshed.length).toBeGreaterThan(0);
    for (const [name, workload] of meshed) {
      expect([name, restrictedViolations(podOf(workload))]).toEqual([name, []]);
    }
  });

  it("accepted findings: the plans fail exactly the SSM installer's accepted rules, and nothing else", () => {
    const failed = [
      ...failures(KUBERNETES_RULES, (object) => object.kind, objects),
      ...failures(TERRAFORM_DAEMON_SET_RULES, () => DAEMON_SET, daemonSets),
    ];
    const accepted = Object.keys(daemonSets).flatMap((name) =>
      Object.keys(SSM_AGENT_INSTALLER_ACCEPTED_FINDINGS).map((id) => `${id} ${name}`),
    );
    expect(failed.sort()).toEqual(accepted.sort());
  });
});

/**
 * The restricted level's checks (kubernetes.io/docs/concepts/security/pod-security-standards, baseline
 * and restricted, latest), on a pod spec as written: what it breaks, as `field: why`.
 */
function restrictedViolations(pod: Json): string[] {
  const violations: string[] = [];
  const containers: Json[] = [...(pod.initContainers ?? []), ...pod.containers];
  const context = pod.securityContext ?? {};
  for (const field of ["hostNetwork", "hostPID", "hostIPC"]) {
    if (pod[field]) violations.push(`${field}: host namespaces are forbidden`);
  }
  const allowedVolumes = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
  ];
  for (const volume of pod.volumes ?? []) {
    const type = Object.keys(volume).find((key) => key !== "name");
    if (type === undefined || !allowedVolumes.includes(type))
      violations.push(`volume ${volume.name}: ${type}`);
  }
  const podSeccomp = context.seccompProfile?.type;
  for (const container of containers) {
    const security = container.securityContext ?? {};
    const name = container.name;
    if (security.privileged) violations.push(`${name}: privileged`);
    if (security.allowPrivilegeEscalation !== false)
      violations.push(`${name}: allowPrivilegeEscalation must be false`);
    if (!(security.runAsNonRoot ?? context.runAsNonRoot))
      violations.push(`${name}: runAsNonRoot must be true`);
    if ((security.runAsUser ?? context.runAsUser) === 0) violations.push(`${name}: runAsUser 0`);
    const seccomp = security.seccompProfile?.type ?? podSeccomp;
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") violations.push(`${name}: seccompProfile`);
    if (!(security.capabilities?.drop ?? []).includes("ALL"))
      violations.push(`${name}: capabilities must drop ALL`);
    for (const cap of security.capabilities?.add ?? []) {
      if (cap !== "NET_BIND_SERVICE") violations.push(`${name}: adds ${cap}`);
    }
    for (const port of container.ports ?? []) {
      if (port.hostPort) violations.push(`${name}: hostPort ${port.hostPort}`);
    }
  }
  return violations;
}

describe("Checkov rule port (./checkov-kubernetes.ts)", () => {
  it("fails the walkthrough's own pod on each rule of the issue, so a regression cannot pass unseen", () => {
    const walkthrough = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "shopfront-v1", namespace: NAMESPACE },
      spec: {
        template: {
          spec: { containers: [{ name: "web", image: "httpd:2.4", ports: [{ containerPort: 80 }] }] },
        },
      },
    };
    const failed = failures(KUBERNETES_RULES, (object) => object.kind, { walkthrough });
    expect(failed).toEqual(
      expect.arrayContaining(
        ["CKV_K8S_43", "CKV_K8S_15", "CKV_K8S_38", "CKV_K8S_29", "CKV_K8S_22", "CKV_K8S_8", "CKV_K8S_9"].map(
          (id) => `${id} walkthrough`,
        ),
      ),
    );
    expect(restrictedViolations(walkthrough.spec.template.spec)).toHaveLength(4);
  });

  it("reads the installer's DaemonSet as the API server does: Terraform's names, integer user IDs", () => {
    const object = kubernetesObjectOf("DaemonSet", "apps/v1", {
      metadata: { name: "x", namespace: "kube-system" },
      spec: {
        template: {
          spec: {
            host_pid: true,
            automount_service_account_token: false,
            security_context: { run_as_user: "0" },
            container: [
              { name: "c", image_pull_policy: "IfNotPresent", security_context: { privileged: true } },
            ],
          },
        },
      },
    });
    expect(object.spec.template.spec).toEqual({
      hostPID: true,
      automountServiceAccountToken: false,
      securityContext: { runAsUser: 0 },
      containers: [{ name: "c", imagePullPolicy: "IfNotPresent", securityContext: { privileged: true } }],
    });
  });
});

describe("images pinned in one place", () => {
  it("every image in manifests/ is one of VERSIONS.images, whichever generators are on", () => {
    const files = [
      ...new Set(MESH_VARIANTS.flatMap((variant) => shopfrontManifestPaths("manifests", variant))),
    ];
    const { documents } = parseManifests(readManifestFiles(files));
    const images = documents
      .filter((document) => WORKLOAD_KINDS.includes(document.object.kind))
      .flatMap((document) =>
        (document.object.spec as Json).template.spec.containers.map((c: Json) => c.image),
      );
    expect(images.length).toBeGreaterThanOrEqual(6);
    for (const image of images) expect(Object.values(VERSIONS.images)).toContain(image);
  });

  it("the shopfront's nginx is the unprivileged variant and httpd the official image, at the walkthrough's versions", () => {
    expect(VERSIONS.images.shopfrontNginx).toMatch(
      /^docker\.io\/nginxinc\/nginx-unprivileged:1\.30\.1@sha256:/,
    );
    expect(VERSIONS.images.shopfrontHttpd).toMatch(
      /^public\.ecr\.aws\/docker\/library\/httpd:2\.4\.68@sha256:/,
    );
    expect(VERSIONS.images.generators).toBe(VERSIONS.images.ssmInstaller);
  });
});

describe("Pod Security Admission labels (issue 12)", () => {
  const { manifests } = plansOf({});
  const namespace = manifests.find((object) => object.kind === "Namespace");

  it("enforces restricted on the shopfront's namespace, and warns and audits at the same level", () => {
    expect(namespace.metadata.labels).toMatchObject({
      "istio-injection": "enabled",
      "pod-security.kubernetes.io/enforce": "restricted",
      "pod-security.kubernetes.io/warn": "restricted",
      "pod-security.kubernetes.io/audit": "restricted",
    });
  });
});

describe("NetworkPolicies of the shopfront's namespace (issue 12)", () => {
  const { manifests } = plansOf({ SHOPFRONT_LOAD_GENERATOR: "true", SHOPFRONT_ERROR_GENERATOR: "true" });
  const policies: Json[] = manifests.filter((object) => object.kind === "NetworkPolicy");
  const deployments: Json[] = manifests.filter((object) => object.kind === "Deployment");
  const selects = (selector: Json, labels: Record<string, string>) =>
    Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value) &&
    (selector.matchExpressions ?? []).every(
      (e: Json) => e.operator === "In" && e.values.includes(labels[e.key]),
    );
  /** The allows of `direction` that apply to pods with `labels`. */
  const rulesFor = (labels: Record<string, string>, direction: "ingress" | "egress") =>
    policies
      .filter((p) => p.metadata.namespace === NAMESPACE && selects(p.spec.podSelector, labels))
      .filter((p) => p.spec.policyTypes.includes(direction === "ingress" ? "Ingress" : "Egress"))
      .flatMap((p) => p.spec[direction] ?? []);
  /** Whether a rule admits pods with `labels` in `namespace` on `protocol`/`port`. */
  const admits = (
    rules: Json[],
    peerSide: "from" | "to",
    namespace: string,
    labels: Record<string, string>,
    protocol: string,
    port: number,
  ) =>
    rules.some(
      (r) =>
        (r[peerSide] ?? []).some(
          (peer: Json) =>
            selects(peer.namespaceSelector ?? {}, { "kubernetes.io/metadata.name": namespace }) &&
            selects(peer.podSelector ?? {}, labels),
        ) && (r.ports ?? []).some((p: Json) => p.protocol === protocol && p.port === port),
    );
  const shopfrontPods = deployments.filter((d) => d.spec.template.metadata.labels.app === "shopfront");
  const generatorPods = deployments.filter((d) => d.metadata.name.endsWith("-generator"));
  const labelsOf = (deployment: Json): Record<string, string> => deployment.spec.template.metadata.labels;

  it("denies all ingress and egress by default, for every pod of the namespace", () => {
    const denyAll = policies.filter((p) => p.metadata.name === "default-deny");
    expect(denyAll.map((p) => p.spec)).toEqual([{ podSelector: {}, policyTypes: ["Ingress", "Egress"] }]);
  });

  it("admits the ingress gateway to each shopfront pod's http container port (the sidecar intercepts it inside the pod)", () => {
    expect(shopfrontPods).toHaveLength(4);
    for (const deployment of shopfrontPods) {
      const [http] = deployment.spec.template.spec.containers[0].ports.filter((p: Json) => p.name === "http");
      expect(
        admits(
          rulesFor(labelsOf(deployment), "ingress"),
          "from",
          "istio-system",
          INGRESS_GATEWAY_LABELS,
          "TCP",
          http.containerPort,
        ),
      ).toBe(true);
      // Nothing else in the namespace may call it directly.
      expect(
        admits(
          rulesFor(labelsOf(deployment), "ingress"),
          "from",
          NAMESPACE,
          labelsOf(deployment),
          "TCP",
          http.containerPort,
        ),
      ).toBe(false);
    }
  });

  it("admits Prometheus to scrape each shopfront pod's sidecar metrics on 15020", () => {
    const prometheus = { "app.kubernetes.io/name": "prometheus", "app.kubernetes.io/component": "server" };
    for (const deployment of shopfrontPods) {
      expect(
        admits(
          rulesFor(labelsOf(deployment), "ingress"),
          "from",
          "istio-system",
          prometheus,
          "TCP",
          SIDECAR_METRICS_PORT,
        ),
      ).toBe(true);
    }
  });

  it("lets each shopfront sidecar reach istiod (xDS and certificates on 15012)", () => {
    for (const deployment of shopfrontPods) {
      expect(
        admits(
          rulesFor(labelsOf(deployment), "egress"),
          "to",
          "istio-system",
          { app: "istiod", istio: "pilot" },
          "TCP",
          ISTIOD_XDS_PORT,
        ),
      ).toBe(true);
    }
  });

  it("lets every pod resolve names through kube-dns, over UDP and TCP", () => {
    for (const deployment of [...shopfrontPods, ...generatorPods]) {
      for (const protocol of ["UDP", "TCP"]) {
        expect(
          admits(
            rulesFor(labelsOf(deployment), "egress"),
            "to",
            "kube-system",
            { "k8s-app": "kube-dns" },
            protocol,
            53,
          ),
        ).toBe(true);
      }
    }
  });

  it("lets the generators, and only them, call the ingress gateway pods they send their traffic to", () => {
    expect(generatorPods).toHaveLength(2);
    const callGateway = (deployment: Json) =>
      admits(
        rulesFor(labelsOf(deployment), "egress"),
        "to",
        "istio-system",
        INGRESS_GATEWAY_LABELS,
        "TCP",
        INGRESS_GATEWAY_HTTP_PORT,
      );
    for (const deployment of generatorPods) {
      expect(callGateway(deployment)).toBe(true);
      const [container] = deployment.spec.template.spec.containers;
      expect(container.command.join(" ")).toContain("http://$INGRESS_HOST/");
      expect(container.env).toEqual([
        { name: "INGRESS_HOST", valueFrom: { configMapKeyRef: { name: "shopfront-ingress", key: "host" } } },
      ]);
    }
    for (const deployment of shopfrontPods) expect(callGateway(deployment)).toBe(false);
  });
});

describe("README.md's Security section", () => {
  it("names every accepted Kubernetes finding, and no other", () => {
    const readme = readFileSync("README.md", "utf8");
    const section = readme.slice(readme.indexOf("## Security"), readme.indexOf("## Documentation"));
    const line = section.split("\n").find((l) => l.includes("CKV_K8S_")) ?? "";
    const numbers = [...line.matchAll(/(?:CKV_K8S_)?(\d+)[,:]/g)].map(([, n]) => `CKV_K8S_${n}`);
    expect(numbers.sort()).toEqual(Object.keys(SSM_AGENT_INSTALLER_ACCEPTED_FINDINGS).sort());
  });
});

describe("docs/security-kubernetes.md", () => {
  const docs = readFileSync("docs/security-kubernetes.md", "utf8");

  it("lists every accepted finding with its reason, and no other", () => {
    const section = docs.slice(docs.indexOf("## Accepted findings"));
    const rows = section
      .split("\n")
      .filter((line) => /^\| CKV/.test(line))
      .map((line) => line.split("|").map((cell) => cell.trim()));
    expect(Object.fromEntries(rows.map((cells) => [cells[1], cells[2]]))).toEqual(
      SSM_AGENT_INSTALLER_ACCEPTED_FINDINGS,
    );
  });

  it("states the digest of every pinned image", () => {
    for (const image of Object.values(VERSIONS.images)) expect(docs).toContain(image.split("@")[1]);
  });
});
