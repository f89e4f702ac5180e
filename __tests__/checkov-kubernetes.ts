/**
 * Checkov's Kubernetes rules for workloads, ported to TypeScript with their own logic so that the tests
 * can run them on the synthesized plans (no Python registry is reachable here, so Checkov itself is not).
 * Read from bridgecrewio/checkov at 03d5fdad8d6154b1565799a7b1fb8070c158866f:
 * - the Kubernetes runner's checks, checkov/kubernetes/checks/resource/k8s/<Rule>.py, with
 *   base_container_check.py (containers and initContainers of Pod, Deployment, DaemonSet, ...) and
 *   base_root_container_check.py (CKV_K8S_23, CKV_K8S_40);
 * - the Terraform runner's checks on kubernetes_* resources, checkov/terraform/checks/resource/kubernetes/,
 *   of which only CKV_K8S_21, CKV_K8S_27 and CKV_K8S_29 list kubernetes_daemon_set_v1.
 * Ported: every pod and container rule that applies to any workload. Left out: the rules that look for
 * one piece of software by image or command (Tiller, the dashboard, git-sync, kube-apiserver, etcd and
 * kubelet flags) and the PodSecurityPolicy and RBAC rules, whose kinds the project does not create.
 */

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects and Terraform JSON, read field by field.
type Json = any;

export type Result = "PASSED" | "FAILED" | "UNKNOWN";

export interface Rule {
  readonly id: string;
  /** The check's file in bridgecrewio/checkov. */
  readonly source: string;
  /** The kinds (Kubernetes runner) or resource types (Terraform runner) it scans. */
  readonly supports: readonly string[];
  readonly check: (object: Json) => Result;
}

const K8S = "checkov/kubernetes/checks/resource/k8s";
const TERRAFORM = "checkov/terraform/checks/resource/kubernetes";

const TEMPLATE_ENTITIES = [
  "Deployment",
  "DeploymentConfig",
  "DaemonSet",
  "Job",
  "ReplicaSet",
  "ReplicationController",
  "StatefulSet",
];
const CONTAINER_ENTITIES = ["CronJob", "Pod", "PodTemplate", ...TEMPLATE_ENTITIES];
const SPEC_ENTITIES = [
  "Pod",
  "Deployment",
  "DaemonSet",
  "StatefulSet",
  "ReplicaSet",
  "ReplicationController",
  "Job",
  "CronJob",
];
const PROBED_ENTITIES = CONTAINER_ENTITIES.filter((kind) => kind !== "CronJob" && kind !== "Job");

/** The pod spec of a workload, as BaseK8Check's scan_spec_conf finds it. */
function podSpec(object: Json): Json {
  if (object.kind === "Pod") return object.spec ?? {};
  if (object.kind === "CronJob") return object.spec?.jobTemplate?.spec?.template?.spec ?? {};
  return object.spec?.template?.spec ?? {};
}

/** BaseK8sContainerCheck: the first failing container fails; PASSED if any passed, else UNKNOWN. */
function containerRule(
  id: string,
  file: string,
  scan: (container: Json) => Result,
  options: { containersOnly?: boolean; supports?: readonly string[] } = {},
): Rule {
  return {
    id,
    source: `${K8S}/${file}.py`,
    supports: options.supports ?? CONTAINER_ENTITIES,
    check: (object) => {
      const spec = podSpec(object);
      const groups = [spec.containers ?? [], options.containersOnly ? [] : (spec.initContainers ?? [])];
      const results = new Set<Result>();
      for (const containers of groups) {
        for (const container of containers) {
          const result = scan(container);
          if (result === "FAILED") return "FAILED";
          results.add(result);
        }
      }
      return results.has("PASSED") ? "PASSED" : "UNKNOWN";
    },
  };
}

function specRule(id: string, file: string, scan: (spec: Json, object: Json) => Result): Rule {
  return { id, source: `${K8S}/${file}.py`, supports: SPEC_ENTITIES, check: (o) => scan(podSpec(o), o) };
}

const passIf = (condition: boolean): Result => (condition ? "PASSED" : "FAILED");
const dropsAny = (container: Json, caps: readonly string[]) =>
  (container.securityContext?.capabilities?.drop ?? []).some((drop: string) =>
    caps.some((cap) => drop.includes(cap)),
  );

/** checkov/common/models/consts.py DOCKER_IMAGE_REGEX, as re.findall applies it. */
function imageTags(image: string): [string, string][] {
  return [...image.matchAll(/(?:[^\s/]+\/)?([^\s:]+):?(\S*)/g)].map((m) => [m[1], m[2]]);
}

/** base_root_container_check.py's check_runAsNonRoot and check_runAsUser. */
function runAsNonRoot(context: Json): "PASSED" | "FAILED" | "ABSENT" {
  const value = context?.securityContext?.runAsNonRoot;
  return value === undefined ? "ABSENT" : value ? "PASSED" : "FAILED";
}
function runAsUser(context: Json, uid: number): "PASSED" | "FAILED" | "ABSENT" {
  const value = context?.securityContext?.runAsUser;
  if (value === undefined) return "ABSENT";
  return Number.isInteger(value) && value >= uid ? "PASSED" : "FAILED";
}

function resourceRule(id: string, file: string, group: "requests" | "limits", resource: string): Rule {
  return containerRule(id, file, (container) => {
    const resources = container.resources;
    if (!resources) return "FAILED";
    const values = resources[group];
    if (group === "requests" && (typeof values !== "object" || values === null)) return "UNKNOWN";
    return passIf(Boolean(values?.[resource]));
  });
}

/** The Kubernetes runner's rules, by ID. */
export const KUBERNETES_RULES: readonly Rule[] = [
  containerRule("CKV_K8S_8", "LivenessProbe", (c) => passIf(Boolean(c.livenessProbe)), {
    containersOnly: true,
    supports: PROBED_ENTITIES,
  }),
  containerRule("CKV_K8S_9", "ReadinessProbe", (c) => passIf(Boolean(c.readinessProbe)), {
    containersOnly: true,
    supports: PROBED_ENTITIES,
  }),
  resourceRule("CKV_K8S_10", "CPURequests", "requests", "cpu"),
  resourceRule("CKV_K8S_11", "CPULimits", "limits", "cpu"),
  resourceRule("CKV_K8S_12", "MemoryRequests", "requests", "memory"),
  resourceRule("CKV_K8S_13", "MemoryLimits", "limits", "memory"),
  containerRule("CKV_K8S_14", "ImageTagFixed", (c) => {
    if (!c.image) return "FAILED";
    if (c.image.includes("@")) return "PASSED";
    const tags = imageTags(c.image);
    if (tags.length === 0) return "UNKNOWN";
    return passIf(tags[0][1] !== "latest" && tags[0][1] !== "");
  }),
  containerRule("CKV_K8S_15", "ImagePullPolicyAlways", (c) => {
    if (!c.image) return "FAILED";
    const digest = c.image.includes("@");
    const image = digest ? c.image.slice(0, c.image.indexOf("@")) : c.image;
    if (c.imagePullPolicy === undefined) {
      const tags = imageTags(image);
      if (tags.length !== 1) return "UNKNOWN";
      return passIf(tags[0][1] === "latest" || tags[0][1] === "" || digest);
    }
    return passIf(digest || c.imagePullPolicy === "Always");
  }),
  containerRule("CKV_K8S_16", "PrivilegedContainers", (c) => passIf(!c.securityContext?.privileged)),
  specRule("CKV_K8S_17", "ShareHostPID", (spec) => passIf(!spec.hostPID)),
  specRule("CKV_K8S_18", "ShareHostIPC", (spec) => passIf(!spec.hostIPC)),
  specRule("CKV_K8S_19", "SharedHostNetworkNamespace", (spec) => passIf(!spec.hostNetwork)),
  containerRule("CKV_K8S_20", "AllowPrivilegeEscalation", (c) =>
    passIf(c.securityContext?.allowPrivilegeEscalation === false),
  ),
  {
    id: "CKV_K8S_21",
    source: `${K8S}/DefaultNamespace.py`,
    supports: [
      ...SPEC_ENTITIES,
      "Service",
      "Secret",
      "ServiceAccount",
      "Role",
      "RoleBinding",
      "ConfigMap",
      "Ingress",
    ],
    check: ({ metadata }) => passIf(metadata?.namespace !== undefined && metadata.namespace !== "default"),
  },
  containerRule("CKV_K8S_22", "ReadOnlyFilesystem", (c) =>
    passIf(Boolean(c.securityContext?.readOnlyRootFilesystem)),
  ),
  specRule("CKV_K8S_23", "RootContainers", (spec) => {
    const containers: Json[] = spec.containers ?? [];
    if (runAsNonRoot(spec) === "PASSED") {
      return passIf(!containers.some((c) => runAsNonRoot(c) === "FAILED" && runAsUser(c, 1) !== "PASSED"));
    }
    if (runAsUser(spec, 1) === "PASSED") return passIf(!containers.some((c) => runAsUser(c, 1) === "FAILED"));
    return passIf(containers.every((c) => runAsNonRoot(c) === "PASSED" || runAsUser(c, 1) === "PASSED"));
  }),
  containerRule("CKV_K8S_25", "AllowedCapabilities", (c) =>
    passIf(!c.securityContext?.capabilities?.add?.length),
  ),
  containerRule("CKV_K8S_26", "HostPort", (c) => passIf(!(c.ports ?? []).some((p: Json) => "hostPort" in p))),
  specRule("CKV_K8S_27", "DockerSocketVolume", (spec) =>
    passIf(!(spec.volumes ?? []).some((v: Json) => v.hostPath?.path === "/var/run/docker.sock")),
  ),
  containerRule("CKV_K8S_28", "DropCapabilities", (c) => passIf(dropsAny(c, ["ALL", "all", "NET_RAW"]))),
  specRule("CKV_K8S_29", "PodSecurityContext", (spec) => passIf(Boolean(spec.securityContext))),
  containerRule("CKV_K8S_30", "ContainerSecurityContext", (c) => passIf(Boolean(c.securityContext))),
  specRule("CKV_K8S_31", "Seccomp", (spec, object) => {
    const podProfile = spec.securityContext?.seccompProfile?.type;
    if (podProfile) return passIf(podProfile === "RuntimeDefault");
    const containers: Json[] = spec.containers ?? [];
    const profiles = containers.map((c) => c.securityContext?.seccompProfile?.type);
    if (profiles.some((p) => p !== undefined && p !== "RuntimeDefault")) return "FAILED";
    if (containers.length > 0 && profiles.every((p) => p === "RuntimeDefault")) return "PASSED";
    const annotations = object.spec?.template?.metadata?.annotations ?? {};
    return passIf(
      Object.entries(annotations).some(
        ([key, value]) =>
          key.includes("seccomp.security.alpha.kubernetes.io/pod") &&
          /docker\/default|runtime\/default/.test(String(value)),
      ),
    );
  }),
  containerRule("CKV_K8S_35", "Secrets", (c) =>
    passIf(
      !(c.env ?? []).some((e: Json) => e.valueFrom?.secretKeyRef !== undefined) &&
        !(c.envFrom ?? []).some((e: Json) => e.secretRef !== undefined),
    ),
  ),
  containerRule("CKV_K8S_37", "MinimizeCapabilities", (c) => passIf(dropsAny(c, ["ALL", "all"]))),
  specRule("CKV_K8S_38", "ServiceAccountTokens", (spec) =>
    passIf(spec.automountServiceAccountToken === false),
  ),
  containerRule("CKV_K8S_39", "AllowedCapabilitiesSysAdmin", (c) =>
    passIf(!(c.securityContext?.capabilities?.add ?? []).includes("SYS_ADMIN")),
  ),
  specRule("CKV_K8S_40", "RootContainersHighUID", (spec) => {
    if (spec.hostUsers === false) return "PASSED";
    const containers: Json[] = spec.containers ?? [];
    const pod = runAsUser(spec, 10000);
    if (pod === "PASSED") return passIf(!containers.some((c) => runAsUser(c, 10000) === "FAILED"));
    return passIf(containers.length > 0 && containers.every((c) => runAsUser(c, 10000) === "PASSED"));
  }),
  containerRule("CKV_K8S_43", "ImageDigest", (c) =>
    passIf(typeof c.image === "string" && c.image.includes("@")),
  ),
];

/** Wraps a cdktf JSON block (an object, or a list of them) as the HCL parser's list. */
const blocks = (value: Json): Json[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** The Terraform runner's rules that scan kubernetes_daemon_set_v1, by ID. */
export const TERRAFORM_DAEMON_SET_RULES: readonly Rule[] = [
  {
    id: "CKV_K8S_21",
    source: `${TERRAFORM}/DefaultNamespace.py`,
    supports: ["kubernetes_daemon_set_v1"],
    check: ({ metadata }) => {
      const namespace = blocks(metadata)[0]?.namespace;
      return passIf(Boolean(namespace) && namespace !== "default");
    },
  },
  {
    id: "CKV_K8S_27",
    source: `${TERRAFORM}/DockerSocketVolume.py`,
    supports: ["kubernetes_daemon_set_v1"],
    check: ({ spec }) => {
      const template = blocks(blocks(spec)[0]?.template)[0];
      const volumes = blocks(blocks(template?.spec)[0]?.volume);
      return passIf(!volumes.some((v) => blocks(v.host_path)[0]?.path === "/var/run/docker.sock"));
    },
  },
  {
    id: "CKV_K8S_29",
    source: `${TERRAFORM}/PodSecurityContext.py`,
    supports: ["kubernetes_daemon_set_v1"],
    // Despite its name, the Terraform check wants a security_context on every container.
    check: ({ spec }) => {
      const template = blocks(blocks(spec)[0]?.template)[0];
      const containers = blocks(blocks(template?.spec)[0]?.container);
      return passIf(containers.length > 0 && containers.every((c) => blocks(c.security_context).length > 0));
    },
  },
];

/** Terraform's names for the fields whose Kubernetes name is not the plain camelCase of theirs. */
const KUBERNETES_NAMES: Readonly<Record<string, string>> = {
  host_pid: "hostPID",
  host_ipc: "hostIPC",
  host_network: "hostNetwork",
  container: "containers",
  init_container: "initContainers",
  toleration: "tolerations",
  volume: "volumes",
  volume_mount: "volumeMounts",
  port: "ports",
};

/** A kubernetes_* resource's Terraform JSON as the API server receives the object. */
export function kubernetesObjectOf(kind: string, apiVersion: string, resource: Json): Json {
  const convert = (value: Json, key?: string): Json => {
    if (Array.isArray(value)) return value.map((item) => convert(item));
    if (typeof value === "object" && value !== null) {
      return Object.fromEntries(
        Object.entries(value).map(([name, item]) => {
          const kubernetesName =
            KUBERNETES_NAMES[name] ?? name.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
          return [kubernetesName, convert(item, name)];
        }),
      );
    }
    // The provider takes user and group IDs as strings; the API has integers.
    if (key !== undefined && /^run_as_(user|group)$/.test(key)) return Number(value);
    return value;
  };
  return { apiVersion, kind, ...convert({ metadata: resource.metadata, spec: resource.spec }) };
}

/** A failed (rule, resource) pair, as `RULE resource`. */
export function failures(
  rules: readonly Rule[],
  kindOf: (object: Json) => string,
  objects: Record<string, Json>,
) {
  return Object.entries(objects).flatMap(([name, object]) =>
    rules
      .filter((rule) => rule.supports.includes(kindOf(object)))
      .filter((rule) => rule.check(object) === "FAILED")
      .map((rule) => `${rule.id} ${name}`),
  );
}
