/**
 * The project's one configuration module: every default (the walkthrough's values), every pinned
 * version, and the only place that reads the environment. `loadConfig` validates everything before a
 * single construct is built; a bad value throws a ConfigError whose lines each name the setting, the
 * value and the accepted form. It imports nothing from cdktf, so the command-line tools can use it too.
 */

/** Versions pinned in one place: Kubernetes, Istio, Helm charts and container images. */
export const VERSIONS = {
  /** EKS standard support until March 2027 (released on EKS January 2026). */
  kubernetes: "1.35",
  /** Kubernetes minor versions in EKS standard support that this project accepts. */
  supportedKubernetes: ["1.33", "1.34", "1.35"],
  /**
   * Istio, installed from its Helm charts (base, istiod and gateway are versioned with the release).
   * 1.31 supports Kubernetes 1.32 to 1.36 and is supported until six weeks after 1.33 (spring 2027).
   */
  istio: "1.31.1",
  /** Istio minor versions that ISTIO_VERSION may name, each with the Kubernetes minors it supports. */
  supportedIstio: { "1.31": ["1.32", "1.33", "1.34", "1.35", "1.36"] },
  /** The addons' Helm charts. */
  charts: {
    /** prometheus-community/prometheus, Prometheus v3.10.0. */
    prometheus: "28.10.0",
    /** grafana-community/grafana, Grafana 12.3.3. */
    grafana: "11.1.7",
    /** kiali/kiali-server, Kiali v2.31.0: the Kiali that Istio 1.31.1 ships as its addon. */
    kiali: "2.31.0",
  },
  /**
   * The Kubernetes Gateway API CRDs, standard channel, that istio-stack fetches at deploy time from
   * raw.githubusercontent.com at `tag`, one file of `config/crd/standard/` at a time, each checked
   * against its sha256 here (from `git show <tag>:config/crd/standard/<file> | sha256sum` on the
   * kubernetes-sigs/gateway-api repository; docs/ambient-and-gateway-api.md). v1.6.1: the release
   * that Istio 1.31 builds against (its go.mod has v1.6.0; v1.6.1 changes only the bundle-version).
   */
  gatewayApi: {
    tag: "v1.6.1",
    commit: "8bb74df00e56ec8f944d48c25e6c1c9c2f6848e3",
    files: {
      "gateway.networking.k8s.io_backendtlspolicies.yaml":
        "0d48c9e4b53dd9510cf615b9b1192d9d7afb07a1cc0498c9515627cb1c075419",
      "gateway.networking.k8s.io_gatewayclasses.yaml":
        "53710048ba26f8620eed59d5e51b157ecf040daf5c6eef31a4b991e0808c4be5",
      "gateway.networking.k8s.io_gateways.yaml":
        "25b885f5870b8fff1ae82efa2628b2761cef3745900c2aecf8fb76629a01255a",
      "gateway.networking.k8s.io_grpcroutes.yaml":
        "53a8d029da8f07e55d3fa58a5cf6de5950dab19fbb8d6a8082fb5e51ca5ef6fc",
      "gateway.networking.k8s.io_httproutes.yaml":
        "a424a0d6c953b162e71d1d97bb7e75012d8f1ac264e7274f2763d1b96ab39852",
      "gateway.networking.k8s.io_listenersets.yaml":
        "bf4d4b02564999b2558b96e31465129895db9b3a8adfb90adb9c80eac52a3a70",
      "gateway.networking.k8s.io_referencegrants.yaml":
        "8c645e9333cfa67790cc2a53e0c00076f88b2bd4230d2b49688c78bc34f9b2c3",
      "gateway.networking.k8s.io_tcproutes.yaml":
        "d5104d0cf30e924f5e3c9e2e76abd46876401c34ca33b9e79321523eee78c7f6",
      "gateway.networking.k8s.io_tlsroutes.yaml":
        "bb8b67926e5d9652cbfd2e19063b7c1d9e78806c9dd671608f57baef2f2e3bbb",
      "gateway.networking.k8s.io_udproutes.yaml":
        "4b80684c2bf8ef4b0a2a3ab45164ac9f96258fc69912645ff50ced595b0aa6de",
      /** Two documents: the ValidatingAdmissionPolicy and its binding that refuse a channel or version downgrade. */
      "gateway.networking.k8s.io_vap_safeupgrades.yaml":
        "afb0ea1b3cc2e9344d93b0926fbe741aeb48ab4439f9f7b4b77b9ac94faf6c2e",
    },
  },
  images: {
    /** Run-once SSM agent installer (uses busybox's nsenter to reach the host). */
    ssmInstaller:
      "public.ecr.aws/docker/library/busybox:1.37.0@sha256:9db7b59979c38555a39def84a31fb98b5296952f9e3afd4f6f11f05b07adfab0",
    /**
     * The images of manifests/, pinned by the digest of their multi-platform index (docs/security-kubernetes.md
     * says where each digest comes from); the manifests repeat them, a test keeps both equal.
     */
    shopfrontHttpd:
      "public.ecr.aws/docker/library/httpd:2.4.68@sha256:454942557d44332cd7e4ae415e7ec9b4dbbf01b4a042491f423fcaf10a32ce9f",
    shopfrontNginx:
      "docker.io/nginxinc/nginx-unprivileged:1.30.1@sha256:6f5c8f8836fce1eba7daa6b4f0dbfe7aa742be47e1b15386a67be7a3dbd06086",
    generators:
      "public.ecr.aws/docker/library/busybox:1.37.0@sha256:9db7b59979c38555a39def84a31fb98b5296952f9e3afd4f6f11f05b07adfab0",
  },
} as const;

/** Helm repositories of the charts in VERSIONS. */
export const CHART_REPOSITORIES = {
  /** Istio publishes its charts here from 1.31 on (no longer on istio-release.storage.googleapis.com). */
  istio: "https://blob.istio.io/istio-release/charts",
  prometheus: "https://prometheus-community.github.io/helm-charts",
  /** The Grafana chart moved from grafana.github.io/helm-charts to the community organisation in 2026. */
  grafana: "https://grafana-community.github.io/helm-charts",
  kiali: "https://kiali.org/helm-charts",
} as const;

/** Names of the stacks, as in the walkthrough (without its "06" suffix). */
export const STACK_NAMES = {
  bootstrap: "tf-state-bootstrap",
  network: "eks-cluster-vpc-stack",
  cluster: "eks-cluster-stack",
  ssmAgent: "ssm-agent-installer-daemonset-stack",
  istio: "istio-stack",
  shopfront: "shopfront-stack",
} as const;

export interface StateConfig {
  /** S3 bucket for remote state. Unset: every stack uses a local state file (the offline default). */
  readonly bucket?: string;
  /** Object key prefix; each stack's state is `<prefix>/<stack>.tfstate`. */
  readonly keyPrefix: string;
}

export interface NetworkConfig {
  readonly vpcCidr: string;
  /** Exactly two AZ names; from config so that planning needs no AWS API call. */
  readonly availabilityZones: readonly string[];
}

export interface ClusterConfig {
  readonly name: string;
  readonly kubernetesVersion: string;
  /** IAM role given cluster-admin through an EKS access entry. Unset: the stack creates one. */
  readonly adminRoleArn?: string;
  /** CIDRs allowed to reach the public API endpoint. */
  readonly endpointPublicAccessCidrs: readonly string[];
}

export interface NodeGroupConfig {
  readonly instanceType: string;
  readonly minSize: number;
  readonly desiredSize: number;
  readonly maxSize: number;
  /** Kubernetes labels on every node, as in the walkthrough. */
  readonly labels: Readonly<Record<string, string>>;
}

/** The shopfront's versions, as the Deployments' `version` labels and the DestinationRule's subsets. */
export const SHOPFRONT_VERSIONS = ["v1", "v2", "v3", "v4"] as const;

/**
 * Release name of the ingress gateway. The gateway chart names its Deployment, Service and
 * ServiceAccount after the release: the Service name istioctl, the walkthrough and users' scripts expect.
 */
export const INGRESS_GATEWAY_NAME = "istio-ingressgateway";

/** Labels of the ingress gateway pods that istio-stack deploys; the shopfront Gateway selects them. */
export const INGRESS_GATEWAY_LABELS = { app: INGRESS_GATEWAY_NAME, istio: "ingressgateway" } as const;

/**
 * Identity of that gateway, as AuthorizationPolicy principals name it
 * (`<trust domain>/ns/<namespace>/sa/<ServiceAccount>`): Istio's default trust domain, istio-system.
 */
export const INGRESS_GATEWAY_PRINCIPAL = `cluster.local/ns/istio-system/sa/${INGRESS_GATEWAY_NAME}`;

/** The observability addons istio-stack can install. */
export const ISTIO_ADDONS = ["prometheus", "grafana", "kiali"] as const;
export type IstioAddon = (typeof ISTIO_ADDONS)[number];

export const INGRESS_SERVICE_TYPES = ["LoadBalancer", "NodePort", "ClusterIP"] as const;

/**
 * How the mesh's control plane and ingress are laid out: `demo` as the walkthrough (one replica each,
 * no disruption budget, which would block node drains with one replica); `production` two replicas of
 * istiod and the ingress gateway, PodDisruptionBudgets and a spread over the availability zones.
 */
export const MESH_PROFILES = ["demo", "production"] as const;
export type MeshProfile = (typeof MESH_PROFILES)[number];
export type IngressServiceType = (typeof INGRESS_SERVICE_TYPES)[number];

/**
 * The ingress gateway Service's default annotations: an internet-facing Network Load Balancer. EKS's
 * built-in service controller (we install no AWS Load Balancer Controller) reads the type and makes the
 * NLB internet-facing by default; the scheme keeps it so should the AWS Load Balancer Controller, whose
 * default is internal, ever take the Service over.
 */
export const NLB_ANNOTATIONS: Readonly<Record<string, string>> = {
  "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
  "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
};

export interface IstioConfig {
  /** Istio release, x.y.z, of a minor in VERSIONS.supportedIstio. */
  readonly version: string;
  /** Addons to install, listed in the order of ISTIO_ADDONS; grafana and kiali need prometheus. */
  readonly addons: readonly IstioAddon[];
  readonly ingressServiceType: IngressServiceType;
  /** Annotations on the ingress gateway Service; on AWS they choose the load balancer. */
  readonly ingressServiceAnnotations: Readonly<Record<string, string>>;
  readonly profile: MeshProfile;
}

/** Route weight per subset, in percent (they add up to 100). */
export type Weights = Readonly<Record<string, number>>;

export interface ShopfrontConfig {
  /** Route weights that override the VirtualService's in manifests/; unset: the manifest's own. */
  readonly weights?: Weights;
  /** Deploy the 2 requests/s load generator. */
  readonly loadGenerator: boolean;
  /** Deploy the 1 request/s 404 error generator. */
  readonly errorGenerator: boolean;
}

export interface Config {
  readonly project: string;
  readonly region: string;
  readonly environment: string;
  readonly owner: string;
  readonly state: StateConfig;
  readonly network: NetworkConfig;
  readonly cluster: ClusterConfig;
  readonly nodeGroup: NodeGroupConfig;
  /** Deploy the walkthrough's run-once SSM agent installer DaemonSet (AL2023 nodes already ship the agent). */
  readonly ssmAgentInstaller: boolean;
  readonly shopfront: ShopfrontConfig;
  readonly istio: IstioConfig;
  /**
   * Plan-only mode for `npm run plan`: mock credentials and the AWS provider's skip flags, so that
   * `terraform plan` runs with no AWS account. Never set it for a deploy.
   */
  readonly offlinePlan: boolean;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Every setting that `loadConfig` reads, with its meaning and default, for errors and the README. */
export const SETTINGS = {
  AWS_REGION: "AWS region to deploy to (default us-east-1)",
  AVAILABILITY_ZONES: "two AZs of the region, comma-separated (default <region>a,<region>b)",
  STATE_BUCKET: "S3 bucket for Terraform state; unset: local state files",
  STATE_KEY_PREFIX: "prefix of each stack's state key (default shopfront-mesh)",
  ENVIRONMENT: "environment tag (default demo)",
  OWNER: "owner tag (default platform-team)",
  CLUSTER_NAME: "EKS cluster name (default shopfront-eks)",
  KUBERNETES_VERSION: `Kubernetes minor version (default ${VERSIONS.kubernetes})`,
  ADMIN_ROLE_ARN: "IAM role ARN given cluster-admin; unset: the cluster stack creates one",
  ENDPOINT_PUBLIC_CIDRS: "CIDRs allowed to reach the public API endpoint (default 0.0.0.0/0)",
  NODE_INSTANCE_TYPE: "EC2 instance type of the nodes (default t3.medium)",
  NODE_MIN_SIZE: "node group minimum size (default 2)",
  NODE_DESIRED_SIZE: "node group desired size (default 2)",
  NODE_MAX_SIZE: "node group maximum size (default 2)",
  SSM_AGENT_INSTALLER: "deploy the SSM agent installer DaemonSet: true or false (default false)",
  SHOPFRONT_WEIGHTS:
    "route weights per version, e.g. v1=25,v2=25,v3=25,v4=25 (default: manifests/shopfront-mesh.yaml)",
  SHOPFRONT_LOAD_GENERATOR: "deploy the 2 requests/s load generator: true or false (default false)",
  SHOPFRONT_ERROR_GENERATOR: "deploy the 1 request/s 404 error generator: true or false (default false)",
  ISTIO_VERSION: `Istio release x.y.z of a supported minor (default ${VERSIONS.istio})`,
  ISTIO_ADDONS:
    "addons to install, comma-separated from prometheus,grafana,kiali, or none (default all three)",
  MESH_PROFILE:
    "demo (1 replica, as the walkthrough) or production (2 replicas, PDBs, AZ spread) (default demo)",
  INGRESS_SERVICE_TYPE:
    "ingress gateway Service type: LoadBalancer, NodePort or ClusterIP (default LoadBalancer)",
  INGRESS_SERVICE_ANNOTATIONS:
    "ingress gateway Service annotations, comma-separated key=value pairs, or none (default: an internet-facing NLB)",
  OFFLINE_PLAN: "plan-only mock credentials for `npm run plan`: true or false (default false)",
} as const;

export type SettingName = keyof typeof SETTINGS;

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/**
 * Reads settings from `env`, collecting every problem instead of stopping at the first, so a user
 * fixes them in one round.
 */
export class SettingsReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  /** The raw value, or undefined when unset; an empty or blank value is an error, not "unset". */
  raw(name: string): string | undefined {
    const value = this.env[name];
    if (value === undefined) return undefined;
    if (value.trim() === "") {
      this.fail(name, value, "a non-empty value (unset it to get the default)");
      return undefined;
    }
    return value;
  }

  fail(name: string, value: string, accepted: string): void {
    this.problems.push(`${name}=${JSON.stringify(value)} is not ${accepted}`);
  }

  /** A string that must match `pattern`, else `accepted` names the form in the error. */
  string(name: string, fallback: string, pattern: RegExp, accepted: string): string {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!pattern.test(value)) {
      this.fail(name, value, accepted);
      return fallback;
    }
    return value;
  }

  optionalString(name: string, pattern: RegExp, accepted: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    if (!pattern.test(value)) {
      this.fail(name, value, accepted);
      return undefined;
    }
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (value === "true") return true;
    if (value === "false") return false;
    this.fail(name, value, "a boolean: true or false");
    return fallback;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      this.fail(name, value, `a whole number from ${min} to ${max}`);
      return fallback;
    }
    return Number(value);
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      this.fail(name, value, `one of ${allowed.join(", ")}`);
      return fallback;
    }
    return value as T;
  }

  /** A comma-separated list whose every item matches `pattern`. */
  list(name: string, fallback: readonly string[], pattern: RegExp, accepted: string): readonly string[] {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const items = value.split(",").map((item) => item.trim());
    if (items.some((item) => !pattern.test(item))) {
      this.fail(name, value, accepted);
      return fallback;
    }
    return items;
  }
}

const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
// S3 bucket naming rules: 3-63 chars, lower-case letters, digits, dots and hyphens, letter or digit at
// both ends, no "..", not an IP address, none of the reserved prefixes and suffixes.
const BUCKET =
  /^(?!xn--|sthree-|amzn-s3-demo-)(?!.*(-s3alias|--ol-s3|--x-s3|--table-s3)$)(?!\d+\.\d+\.\d+\.\d+$)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const KEY_PREFIX = /^[A-Za-z0-9][A-Za-z0-9._\-/]{0,199}$/;
const TAG_VALUE = /^[A-Za-z0-9 _.:/=+\-@]{1,128}$/;
const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;
const ROLE_ARN = /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[A-Za-z0-9+=,.@_\-/]{1,512}$/;
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
const IPV4_CIDR =
  /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\/(3[0-2]|[12]?\d)$/;

/**
 * Parses `v1=50,v2=30,v3=15,v4=5` into weights. `setting` names the source in errors (the
 * environment variable or a command-line flag). Subsets left out get weight 0. Returns the weights,
 * or the problems found.
 */
export function parseWeights(
  setting: string,
  text: string,
  subsets: readonly string[] = SHOPFRONT_VERSIONS,
): { weights: Weights; problems: readonly string[] } {
  const problems: string[] = [];
  const weights: Record<string, number> = Object.fromEntries(subsets.map((s) => [s, 0]));
  const seen = new Set<string>();
  const where = `${setting}=${JSON.stringify(text)}`;
  for (const pair of text.split(",")) {
    const match = /^\s*([^=\s]*)\s*=\s*(\S*)\s*$/.exec(pair);
    if (!match || match[1] === "") {
      problems.push(`${where}: "${pair}" is not a subset=weight pair such as v1=50`);
      continue;
    }
    const [, subset, value] = match;
    if (!subsets.includes(subset)) {
      problems.push(`${where}: subset ${subset} does not exist (the subsets are ${subsets.join(", ")})`);
      continue;
    }
    if (seen.has(subset)) problems.push(`${where}: subset ${subset} is given twice`);
    seen.add(subset);
    if (/^-\d+$/.test(value)) {
      problems.push(
        `${where}: the weight of ${subset} is negative (${value}); weights are whole numbers from 0 to 100`,
      );
    } else if (!/^\d+$/.test(value) || Number(value) > 100) {
      problems.push(
        `${where}: the weight of ${subset} (${JSON.stringify(value)}) is not a whole number from 0 to 100`,
      );
    } else {
      weights[subset] = Number(value);
    }
  }
  const sum = Object.values(weights).reduce((a, b) => a + b, 0);
  if (problems.length === 0 && sum !== 100) {
    problems.push(`${setting}: weights add up to ${sum}, they must add up to 100 (got ${text})`);
  }
  return { weights, problems };
}

const ISTIO_RELEASE = /^\d+\.\d+\.\d+$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const ANNOTATION_KEY_FORM =
  'an annotation key: an optional DNS prefix and "/", then up to 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit';

/** A Kubernetes annotation key: `[prefix/]name`, the prefix a DNS subdomain, the name a qualified name. */
function isAnnotationKey(key: string): boolean {
  const slash = key.indexOf("/");
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = key.slice(slash + 1);
  const prefixValid = prefix === undefined || (prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix));
  return prefixValid && name.length <= 63 && QUALIFIED_NAME.test(name);
}

/**
 * Parses `prometheus,grafana` (or `none`) into addons, in the order of ISTIO_ADDONS. Grafana and Kiali read
 * Prometheus, so either one without it is refused.
 */
function parseIstioAddons(setting: string, text: string): { addons: IstioAddon[]; problems: string[] } {
  const where = `${setting}=${JSON.stringify(text)}`;
  if (text.trim() === "none") return { addons: [], problems: [] };
  const problems: string[] = [];
  const named = new Set(text.split(",").map((item) => item.trim()));
  for (const name of named) {
    if (!(ISTIO_ADDONS as readonly string[]).includes(name)) {
      problems.push(
        `${where}: ${JSON.stringify(name)} is not an addon (the addons are ${ISTIO_ADDONS.join(", ")}; or none for no addon)`,
      );
    }
  }
  const addons = ISTIO_ADDONS.filter((addon) => named.has(addon));
  const needers = { grafana: "its data source", kiali: "the source of its graph" } as const;
  for (const [addon, why] of Object.entries(needers)) {
    if (named.has(addon) && !named.has("prometheus")) {
      problems.push(`${where}: ${addon} needs prometheus, ${why} (add it: prometheus,${addons.join(",")})`);
    }
  }
  return { addons, problems };
}

/** Parses `key=value,key=value` (or `none`) into annotations; values may not contain commas. */
function parseAnnotations(
  setting: string,
  text: string,
): { annotations: Record<string, string>; problems: string[] } {
  const where = `${setting}=${JSON.stringify(text)}`;
  const annotations: Record<string, string> = {};
  const problems: string[] = [];
  if (text.trim() === "none") return { annotations, problems };
  for (const pair of text.split(",")) {
    const equals = pair.indexOf("=");
    if (equals === -1) {
      problems.push(
        `${where}: ${JSON.stringify(pair)} is not a key=value pair such as service.beta.kubernetes.io/aws-load-balancer-type=nlb`,
      );
      continue;
    }
    const key = pair.slice(0, equals).trim();
    if (!isAnnotationKey(key)) {
      problems.push(`${where}: ${JSON.stringify(key)} is not ${ANNOTATION_KEY_FORM}`);
    } else if (key in annotations) {
      problems.push(`${where}: the key ${key} is given twice`);
    } else {
      annotations[key] = pair.slice(equals + 1).trim();
    }
  }
  return { annotations, problems };
}

/** The istio-stack settings. */
function readIstio(read: SettingsReader): IstioConfig {
  const version = read.string(
    "ISTIO_VERSION",
    VERSIONS.istio,
    ISTIO_RELEASE,
    `an Istio release version x.y.z such as ${VERSIONS.istio}`,
  );
  const minors = Object.keys(VERSIONS.supportedIstio);
  if (!minors.includes(version.split(".").slice(0, 2).join("."))) {
    read.fail(
      "ISTIO_VERSION",
      version,
      `a release of an Istio minor this project supports (${minors.map((minor) => `${minor}.x`).join(", ")})`,
    );
  }

  const addonsText = read.raw("ISTIO_ADDONS");
  const parsedAddons = addonsText === undefined ? undefined : parseIstioAddons("ISTIO_ADDONS", addonsText);
  read.problems.push(...(parsedAddons?.problems ?? []));

  const annotationsText = read.raw("INGRESS_SERVICE_ANNOTATIONS");
  const parsedAnnotations =
    annotationsText === undefined
      ? undefined
      : parseAnnotations("INGRESS_SERVICE_ANNOTATIONS", annotationsText);
  read.problems.push(...(parsedAnnotations?.problems ?? []));

  return {
    version,
    addons: parsedAddons?.addons ?? [...ISTIO_ADDONS],
    ingressServiceType: read.oneOf("INGRESS_SERVICE_TYPE", "LoadBalancer", INGRESS_SERVICE_TYPES),
    ingressServiceAnnotations: parsedAnnotations?.annotations ?? NLB_ANNOTATIONS,
    profile: read.oneOf("MESH_PROFILE", "demo", MESH_PROFILES),
  };
}

/** Reads and validates the whole configuration; throws ConfigError listing every problem. */
export function loadConfig(env: Env = process.env): Config {
  const read = new SettingsReader(env);

  const region = read.string("AWS_REGION", "us-east-1", REGION, "an AWS region such as us-east-1");
  const availabilityZones = read.list(
    "AVAILABILITY_ZONES",
    [`${region}a`, `${region}b`],
    new RegExp(`^${region.replace(/[-]/g, "\\-")}[a-z]$`),
    `two availability zones of ${region}, comma-separated, such as ${region}a,${region}b`,
  );
  if (availabilityZones.length !== 2 || new Set(availabilityZones).size !== 2) {
    read.fail(
      "AVAILABILITY_ZONES",
      availabilityZones.join(","),
      `exactly two different availability zones, such as ${region}a,${region}b`,
    );
  }

  const bucket = read.optionalString(
    "STATE_BUCKET",
    BUCKET,
    "a valid S3 bucket name: 3-63 lower-case letters, digits, dots or hyphens, starting and ending with a letter or digit",
  );
  const keyPrefix = read.string(
    "STATE_KEY_PREFIX",
    "shopfront-mesh",
    KEY_PREFIX,
    "an S3 key prefix of letters, digits, '.', '_', '-' and '/' (up to 200 characters)",
  );

  const environment = read.string(
    "ENVIRONMENT",
    "demo",
    TAG_VALUE,
    "a tag value of 1-128 letters, digits, spaces or _.:/=+-@",
  );
  const owner = read.string(
    "OWNER",
    "platform-team",
    TAG_VALUE,
    "a tag value of 1-128 letters, digits, spaces or _.:/=+-@",
  );

  const clusterName = read.string(
    "CLUSTER_NAME",
    "shopfront-eks",
    CLUSTER_NAME,
    "an EKS cluster name: 1-100 letters, digits, '-' or '_', starting with a letter or digit",
  );
  const kubernetesVersion = read.oneOf(
    "KUBERNETES_VERSION",
    VERSIONS.kubernetes,
    VERSIONS.supportedKubernetes,
  );
  const adminRoleArn = read.optionalString(
    "ADMIN_ROLE_ARN",
    ROLE_ARN,
    "an IAM role ARN such as arn:aws:iam::123456789012:role/c_admin",
  );
  const endpointPublicAccessCidrs = read.list(
    "ENDPOINT_PUBLIC_CIDRS",
    ["0.0.0.0/0"],
    IPV4_CIDR,
    "a comma-separated list of IPv4 CIDRs such as 203.0.113.0/24,198.51.100.7/32",
  );

  const instanceType = read.string(
    "NODE_INSTANCE_TYPE",
    "t3.medium",
    INSTANCE_TYPE,
    "an EC2 instance type such as t3.medium",
  );
  const minSize = read.integer("NODE_MIN_SIZE", 2, 1, 100);
  const desiredSize = read.integer("NODE_DESIRED_SIZE", 2, 1, 100);
  const maxSize = read.integer("NODE_MAX_SIZE", 2, 1, 100);
  if (!(minSize <= desiredSize && desiredSize <= maxSize)) {
    read.problems.push(
      `NODE_MIN_SIZE=${minSize}, NODE_DESIRED_SIZE=${desiredSize}, NODE_MAX_SIZE=${maxSize} are not sizes with min <= desired <= max`,
    );
  }

  const ssmAgentInstaller = read.boolean("SSM_AGENT_INSTALLER", false);
  const offlinePlan = read.boolean("OFFLINE_PLAN", false);

  const weightsText = read.raw("SHOPFRONT_WEIGHTS");
  const parsedWeights =
    weightsText === undefined ? undefined : parseWeights("SHOPFRONT_WEIGHTS", weightsText);
  read.problems.push(...(parsedWeights?.problems ?? []));
  const shopfront: ShopfrontConfig = {
    weights: parsedWeights?.weights,
    loadGenerator: read.boolean("SHOPFRONT_LOAD_GENERATOR", false),
    errorGenerator: read.boolean("SHOPFRONT_ERROR_GENERATOR", false),
  };
  const istio = readIstio(read);

  if (read.problems.length > 0) throw new ConfigError(read.problems);

  return {
    project: "shopfront-mesh",
    region,
    environment,
    owner,
    state: { bucket, keyPrefix },
    network: { vpcCidr: "10.10.0.0/16", availabilityZones },
    cluster: { name: clusterName, kubernetesVersion, adminRoleArn, endpointPublicAccessCidrs },
    nodeGroup: { instanceType, minSize, desiredSize, maxSize, labels: { app: "miztiik_on_demand_ng" } },
    ssmAgentInstaller,
    shopfront,
    istio,
    offlinePlan,
  };
}
