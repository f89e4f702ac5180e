/**
 * The project's one configuration module: every pinned version and constant, and every setting, each
 * declared once in SETTINGS (type, default, accepted form, description). `loadConfig` validates them
 * all before a single construct is built; a bad value throws a ConfigError whose lines each name the
 * setting, the value and the accepted form. The settings reference (docs/settings.md), the example
 * settings file and the bad-input tests are generated from SETTINGS. It imports nothing from cdktf, so
 * the command-line tools can use it too.
 */
import { z } from "zod";

/** busybox, by its multi-platform index's digest: the SSM agent installer's and the generators' image. */
const BUSYBOX_IMAGE =
  "public.ecr.aws/docker/library/busybox:1.37.0@sha256:9db7b59979c38555a39def84a31fb98b5296952f9e3afd4f6f11f05b07adfab0";

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
    ssmInstaller: BUSYBOX_IMAGE,
    /**
     * The images of manifests/, pinned by the digest of their multi-platform index (docs/security-kubernetes.md
     * says where each digest comes from); the manifests repeat them, a test keeps both equal.
     */
    shopfrontHttpd:
      "public.ecr.aws/docker/library/httpd:2.4.68@sha256:454942557d44332cd7e4ae415e7ec9b4dbbf01b4a042491f423fcaf10a32ce9f",
    shopfrontNginx:
      "docker.io/nginxinc/nginx-unprivileged:1.30.1@sha256:6f5c8f8836fce1eba7daa6b4f0dbfe7aa742be47e1b15386a67be7a3dbd06086",
    generators: BUSYBOX_IMAGE,
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

/** The project name: the `project` tag and the prefix of the generated state bucket name. */
export const PROJECT = "shopfront-mesh";

/**
 * The walkthrough's node group name, also the `app` label on its nodes. A node group name is unique
 * per cluster only, so it needs no cluster prefix.
 */
export const NODE_GROUP_NAME = "miztiik_on_demand_ng";

/** What each IAM role of a cluster is for; its name is `<cluster>-<purpose>` (roleName). */
export const ROLE_PURPOSES = ["cluster", "admin", "node", "vpc-flow-logs"] as const;
export type RolePurpose = (typeof ROLE_PURPOSES)[number];

/** The name of a cluster's IAM role: unique in the account, as the cluster's name is. */
export function roleName(cluster: string, purpose: RolePurpose): string {
  return `${cluster}-${purpose}`;
}

/** The longest `-<purpose>`: IAM allows 64 characters in a role name, CLUSTER_NAME 64 minus this. */
export const ROLE_PURPOSE_MAX_LENGTH = 1 + Math.max(...ROLE_PURPOSES.map((purpose) => purpose.length));
export const IAM_ROLE_NAME_MAX_LENGTH = 64;
export const CLUSTER_NAME_MAX_LENGTH = IAM_ROLE_NAME_MAX_LENGTH - ROLE_PURPOSE_MAX_LENGTH;

export interface StateConfig {
  /** S3 bucket for remote state. Unset: every stack uses a local state file (the offline default). */
  readonly bucket?: string;
  /** Object key prefix; each stack's state is `<prefix>/<cluster name>/<stack>.tfstate`. */
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
  /** CIDRs allowed to reach the public API endpoint; empty: no public endpoint, private only. */
  readonly endpointPublicAccessCidrs: readonly string[];
}

export interface NodeGroupConfig {
  /** The node group's name (unique within the cluster). */
  readonly name: string;
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
 * An identity as AuthorizationPolicy principals name it (`<trust domain>/ns/<namespace>/sa/<ServiceAccount>`),
 * in Istio's default trust domain.
 */
export function meshPrincipal(namespace: string, serviceAccount: string): string {
  return `cluster.local/ns/${namespace}/sa/${serviceAccount}`;
}

/** Identity of that gateway, in istio-system. */
export const INGRESS_GATEWAY_PRINCIPAL = meshPrincipal("istio-system", INGRESS_GATEWAY_NAME);

/** The observability addons istio-stack can install. */
export const ISTIO_ADDONS = ["prometheus", "grafana", "kiali"] as const;
export type IstioAddon = (typeof ISTIO_ADDONS)[number];

/** The add-ons each add-on cannot work without, each with the reason: it is refused without them. */
export const ADDON_NEEDS = {
  prometheus: {},
  grafana: { prometheus: "its data source" },
  kiali: { prometheus: "the source of its graph" },
} as const satisfies Record<IstioAddon, Readonly<Partial<Record<IstioAddon, string>>>>;

export const INGRESS_SERVICE_TYPES = ["LoadBalancer", "NodePort", "ClusterIP"] as const;

/** What the sidecars do with traffic to hosts the mesh does not know (meshConfig.outboundTrafficPolicy). */
export const OUTBOUND_TRAFFIC_POLICIES = ["ALLOW_ANY", "REGISTRY_ONLY"] as const;
export type OutboundTrafficPolicy = (typeof OUTBOUND_TRAFFIC_POLICIES)[number];

/**
 * How the mesh's control plane and ingress are laid out: `demo` as the walkthrough (one replica each,
 * no disruption budget, which would block node drains with one replica); `production` two replicas of
 * istiod and the ingress gateway, PodDisruptionBudgets and a spread over the availability zones.
 */
export const MESH_PROFILES = ["demo", "production"] as const;
export type MeshProfile = (typeof MESH_PROFILES)[number];

/**
 * What MESH_PROFILE decides, in one place: whether the mesh's own workloads are highly available
 * (modules/high-availability.ts), and OUTBOUND_TRAFFIC_POLICY's default.
 */
export const MESH_PROFILE_CHOICES = {
  demo: { highlyAvailable: false, outboundTrafficPolicy: "ALLOW_ANY" },
  production: { highlyAvailable: true, outboundTrafficPolicy: "REGISTRY_ONLY" },
} as const satisfies Record<
  MeshProfile,
  { highlyAvailable: boolean; outboundTrafficPolicy: OutboundTrafficPolicy }
>;

export type IngressServiceType = (typeof INGRESS_SERVICE_TYPES)[number];

/**
 * The ingress gateway Service's default annotations: a Network Load Balancer. Whether it is internal or
 * internet-facing follows INGRESS_SOURCE_CIDRS; the Istio construct sets those annotations itself.
 */
export const NLB_ANNOTATIONS: Readonly<Record<string, string>> = {
  "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
};

/** Istio's data plane: a sidecar proxy per pod, or ambient mode (ztunnel per node, optional waypoints). */
export const MESH_MODES = ["sidecar", "ambient"] as const;
export type MeshMode = (typeof MESH_MODES)[number];

/** How routes are written: Istio's Gateway and VirtualService, or the Kubernetes Gateway API. */
export const ROUTING_APIS = ["istio", "gateway-api"] as const;
export type RoutingApi = (typeof ROUTING_APIS)[number];

export interface IstioConfig {
  /** Istio release, x.y.z, of a minor in VERSIONS.supportedIstio. */
  readonly version: string;
  /** Addons to install, listed in the order of ISTIO_ADDONS; grafana and kiali need prometheus. */
  readonly addons: readonly IstioAddon[];
  readonly ingressServiceType: IngressServiceType;
  /** Annotations on the ingress gateway Service; on AWS they choose the load balancer. */
  readonly ingressServiceAnnotations: Readonly<Record<string, string>>;
  readonly profile: MeshProfile;
  readonly meshMode: MeshMode;
  readonly routingApi: RoutingApi;
  /** CIDRs the ingress load balancer accepts; empty: an internal load balancer (VPC only). */
  readonly ingressSourceCidrs: readonly string[];
  /** ACM certificate for HTTPS on the ingress load balancer; unset: plain HTTP on port 80. */
  readonly ingressCertificateArn?: string;
  readonly outboundTrafficPolicy: OutboundTrafficPolicy;
}

/** Route weight per subset, in percent (they add up to 100). */
export type Weights = Readonly<Record<string, number>>;

/** The one wording of a split whose weights miss 100; `got` shows the split as its source writes it. */
export function weightSumProblem(sum: number, got: string): string {
  return `weights add up to ${sum}, they must add up to 100 (got ${got})`;
}

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
}

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/**
 * Parses `v1=50,v2=30,v3=15,v4=5` into weights. `setting` names the source in errors (the
 * environment variable or a command-line flag). Subsets (SHOPFRONT_VERSIONS) left out get weight 0.
 * Returns the weights, or the problems found.
 */
export function parseWeights(
  setting: string,
  text: string,
): { weights: Weights; problems: readonly string[] } {
  const subsets: readonly string[] = SHOPFRONT_VERSIONS;
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
    problems.push(`${setting}: ${weightSumProblem(sum, text)}`);
  }
  return { weights, problems };
}

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
 * Parses `prometheus,grafana` (or `none`) into addons, in the order of ISTIO_ADDONS. An add-on without
 * those it needs (ADDON_NEEDS) is refused.
 */
function parseIstioAddons(setting: string, text: string): { value: IstioAddon[]; problems: string[] } {
  const where = `${setting}=${JSON.stringify(text)}`;
  if (text.trim() === "none") return { value: [], problems: [] };
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
  for (const addon of addons) {
    for (const [needed, why] of Object.entries<string>(ADDON_NEEDS[addon])) {
      if (!named.has(needed)) {
        problems.push(`${where}: ${addon} needs ${needed}, ${why} (add it: ${needed},${addons.join(",")})`);
      }
    }
  }
  return { value: addons, problems };
}

/** Parses `key=value,key=value` (or `none`) into annotations; values may not contain commas. */
function parseAnnotations(
  setting: string,
  text: string,
): { value: Record<string, string>; problems: string[] } {
  const where = `${setting}=${JSON.stringify(text)}`;
  const annotations: Record<string, string> = {};
  const problems: string[] = [];
  if (text.trim() === "none") return { value: annotations, problems };
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
  return { value: annotations, problems };
}

/** Values every setting refuses: empty, blank, and text that would do harm if a shell ever ran it. */
export const MALFORMED_FOR_EVERY_SETTING = [
  "",
  "  ",
  "$(id)",
  "`id`",
  "x; rm -rf /",
  "${jndi:ldap://x}",
  "a\nb",
];

/**
 * A refusal with a message of its own (a parser that explains what is wrong inside the value). Other
 * refusals read `NAME="value" is not <accepted>`, with `params.accepted` overriding the setting's form.
 */
export function refuse(ctx: z.core.$RefinementCtx, message: string): void {
  ctx.addIssue({ code: "custom", message, params: { complete: true } });
}

/** How a setting's text becomes its value, the accepted form errors name, and values it refuses. */
export interface SettingKind<T> {
  /** The schema from the setting's text to its value; `name` is for parsers' own messages. */
  readonly schema: (name: string) => z.ZodType<T, string>;
  readonly accepted: string;
  /** Values of this kind's form that it must refuse (the bad-input matrix tries each). */
  readonly malformed: readonly string[];
}

export const SECTIONS = {
  aws: "AWS and state",
  network: "Network",
  cluster: "Cluster",
  nodes: "Nodes",
  istio: "Istio",
  shopfront: "Shopfront",
} as const;

/** Values of the settings declared before the one at hand; a setting refused or unset is absent. */
export type Earlier = Readonly<Partial<Record<string, unknown>>>;

export interface Setting<T> extends SettingKind<T> {
  readonly section: keyof typeof SECTIONS;
  /** What it does, for docs/settings.md and settings.example.env. */
  readonly description: string;
  readonly default: {
    /** The default as the docs show it. */
    readonly text: string;
    /** The value when unset, or how it follows from settings declared before it. */
    readonly value: T | ((earlier: Earlier) => T);
  };
  /** A valid value, shown in settings.example.env and tried by the tests. */
  readonly example: string;
  /**
   * A check against settings declared before it (`earlier`): returns the accepted form the value
   * misses, or a complete message, or undefined when it passes.
   */
  readonly check?: (value: T, earlier: Earlier) => { accepted: string } | { message: string } | undefined;
}

/** A setting of `kind`; its own `malformed` values add to those of its kind. */
function setting<T>(
  kind: SettingKind<T>,
  declaration: NoInfer<Omit<Setting<T>, keyof SettingKind<T>> & { malformed?: readonly string[] }>,
): Setting<T> {
  return { ...kind, ...declaration, malformed: [...kind.malformed, ...(declaration.malformed ?? [])] };
}

function pattern(regex: RegExp, accepted: string): SettingKind<string> {
  return { schema: () => z.string().regex(regex), accepted, malformed: [] };
}

const BOOLEAN: SettingKind<boolean> = {
  schema: () =>
    z
      .string()
      .pipe(z.enum(["true", "false"]))
      .transform((text) => text === "true"),
  accepted: "a boolean: true or false",
  malformed: ["yes", "1", "TRUE"],
};

function wholeNumber(min: number, max: number): SettingKind<number> {
  return {
    schema: () => z.string().regex(/^\d+$/).transform(Number).pipe(z.number().min(min).max(max)),
    accepted: `a whole number from ${min} to ${max}`,
    malformed: [String(min - 1), String(max + 1), "-1", "1.5", "two", "1e2"],
  };
}

export function oneOf<const T extends string>(values: readonly [T, ...T[]]): SettingKind<T> {
  const [first] = values;
  const otherCase = [first.toUpperCase(), first.toLowerCase()].filter((text) => text !== first);
  return {
    schema: () => z.string().pipe(z.enum(values)) as unknown as z.ZodType<T, string>,
    accepted: `one of ${values.join(", ")}`,
    malformed: [...otherCase.slice(0, 1), `${first}x`],
  };
}

const IPV4_CIDR =
  /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\/(3[0-2]|[12]?\d)$/;

/** True when a valid IPv4 CIDR's host bits are all zero, as AWS and Kubernetes expect of a range. */
function isNetworkAddress(cidr: string): boolean {
  const [address, prefix] = cidr.split("/");
  const value = address.split(".").reduce((sum, octet) => sum * 256 + Number(octet), 0);
  return value % 2 ** (32 - Number(prefix)) === 0;
}

const ipv4Cidr = z.string().regex(IPV4_CIDR).refine(isNetworkAddress);

const CIDR_LIST: SettingKind<string[]> = {
  schema: () =>
    z
      .string()
      .transform((text) => text.split(",").map((item) => item.trim()))
      .pipe(z.array(ipv4Cidr)),
  accepted:
    "a comma-separated list of IPv4 CIDRs in network form, such as 203.0.113.0/24,198.51.100.7/32 (0.0.0.0/0 for the whole internet)",
  malformed: ["0.0.0.0", "300.1.1.1/32", "10.0.0.0/33", "::/0", "10.0.0.0/8,", "10.0.0.1/8"],
};

/** A kind whose parser reports its own problems, each a complete message naming the setting. */
function parsed<T>(
  parse: (name: string, text: string) => { value: T; problems: readonly string[] },
  accepted: string,
): SettingKind<T> {
  return {
    schema: (name) =>
      z.string().transform((text, ctx) => {
        const { value, problems } = parse(name, text);
        for (const problem of problems) refuse(ctx, problem);
        return value;
      }),
    accepted,
    malformed: [],
  };
}

const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
const AVAILABILITY_ZONE = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d[a-z]$/;
// S3 bucket naming rules: 3-63 chars, lower-case letters, digits, dots and hyphens, letter or digit at
// both ends, no "..", not an IP address, none of the reserved prefixes and suffixes.
const BUCKET =
  /^(?!xn--|sthree-|amzn-s3-demo-)(?!.*(-s3alias|--ol-s3|--x-s3|--table-s3)$)(?!\d+\.\d+\.\d+\.\d+$)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const KEY_PREFIX = /^[A-Za-z0-9][A-Za-z0-9._\-/]{0,199}$/;
const TAG_VALUE = /^[A-Za-z0-9 _.:/=+\-@]{1,128}$/;
const TAG_VALUE_FORM = "a tag value of 1-128 letters, digits, spaces or _.:/=+-@";
// EKS allows 100 characters; IAM role names derived from it (`<name>-<purpose>`) cap it lower.
const CLUSTER_NAME = new RegExp(`^[A-Za-z0-9][A-Za-z0-9_-]{0,${CLUSTER_NAME_MAX_LENGTH - 1}}$`);
const ROLE_ARN = /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[A-Za-z0-9+=,.@_\-/]{1,512}$/;
const ACM_CERTIFICATE_ARN =
  /^arn:aws(-[a-z]+)*:acm:([a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d):\d{12}:certificate\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
/** Graviton (arm64) instance families: a1, and a "g" after the generation (m7g, c6gn, t4g, r8gd). */
const GRAVITON_FAMILY = /^(a1|[a-z]+\d+g[a-z-]*)$/;
/** The VPC's six subnets are a sixteenth of it each: /16 gives /20 subnets, /22 gives /26 (64 addresses). */
const VPC_PREFIX = { min: 16, max: 22 } as const;

/**
 * Every setting `loadConfig` reads, in the order it reads them: a default may follow from settings
 * above it. Each declaration is the one place its name, type, default, accepted form and meaning live.
 */
export const SETTINGS = {
  AWS_REGION: setting(pattern(REGION, "an AWS region such as us-east-1"), {
    section: "aws",
    description: "AWS region to deploy to.",
    default: { text: "us-east-1", value: "us-east-1" },
    example: "us-east-1",
    malformed: ["us-east", "US-EAST-1", "moon-base-9!"],
  }),
  STATE_BUCKET: setting<string | undefined>(
    pattern(
      BUCKET,
      "a valid S3 bucket name: 3-63 lower-case letters, digits, dots or hyphens, starting and ending with a letter or digit",
    ),
    {
      section: "aws",
      description:
        "S3 bucket for every stack's Terraform state but tf-state-bootstrap's (encrypted, locked with S3's lock file). Two clusters may share one bucket: their keys differ.",
      default: { text: "unset: local state files `terraform.<stack>.tfstate`", value: undefined },
      example: "shopfront-mesh-tfstate-123456789012-us-east-1",
      malformed: ["ab", "My_Bucket", "b".repeat(64), "192.168.0.1", "a..b", "-bucket"],
    },
  ),
  STATE_KEY_PREFIX: setting(
    pattern(KEY_PREFIX, "an S3 key prefix of letters, digits, '.', '_', '-' and '/' (up to 200 characters)"),
    {
      section: "aws",
      description: "First part of each stack's state key: `<prefix>/<CLUSTER_NAME>/<stack>.tfstate`.",
      default: { text: PROJECT, value: PROJECT },
      example: PROJECT,
      malformed: ["/abs", "a b", "../state", "x".repeat(201)],
    },
  ),
  ENVIRONMENT: setting(pattern(TAG_VALUE, TAG_VALUE_FORM), {
    section: "aws",
    description: "The `environment` tag on every AWS resource.",
    default: { text: "demo", value: "demo" },
    example: "demo",
    malformed: ["x".repeat(129), "a;b", "<script>"],
  }),
  OWNER: setting(pattern(TAG_VALUE, TAG_VALUE_FORM), {
    section: "aws",
    description: "The `owner` tag on every AWS resource.",
    default: { text: "platform-team", value: "platform-team" },
    example: "platform-team",
    malformed: ["x".repeat(129), "a;b", "<script>"],
  }),
  VPC_CIDR: setting(
    {
      schema: () =>
        ipv4Cidr.refine((cidr) => {
          const prefix = Number(cidr.split("/")[1]);
          return prefix >= VPC_PREFIX.min && prefix <= VPC_PREFIX.max;
        }),
      accepted: `an IPv4 CIDR in network form from /${VPC_PREFIX.min} to /${VPC_PREFIX.max}, such as 10.10.0.0/16`,
      malformed: ["10.10.0.0", "10.10.0.1/16", "10.0.0.0/8", "10.10.0.0/24", "300.10.0.0/16"],
    },
    {
      section: "network",
      description:
        "The VPC's address range; its six subnets (public, private, isolated in two zones) take a sixteenth each.",
      default: { text: "10.10.0.0/16 (the walkthrough's)", value: "10.10.0.0/16" },
      example: "10.10.0.0/16",
    },
  ),
  AVAILABILITY_ZONES: setting(
    {
      schema: () =>
        z
          .string()
          .transform((text) => text.split(",").map((item) => item.trim()))
          .pipe(
            z
              .array(z.string().regex(AVAILABILITY_ZONE))
              .length(2)
              .refine((zones) => zones[0] !== zones[1]),
          ),
      accepted:
        "exactly two different availability zones of AWS_REGION, comma-separated, such as us-east-1a,us-east-1b",
      malformed: [
        "us-east-1a",
        "us-east-1a,us-east-1a",
        "us-east-1a,us-east-1b,us-east-1c",
        "eu-west-1a,eu-west-1b",
      ],
    },
    {
      section: "network",
      description:
        "The two availability zones of the subnets; given, not looked up, so a plan needs no AWS call.",
      default: {
        text: "`<region>a,<region>b`",
        value: ({ AWS_REGION }) => [`${AWS_REGION}a`, `${AWS_REGION}b`],
      },
      example: "us-east-1a,us-east-1b",
      check: (zones, { AWS_REGION: region }) =>
        typeof region === "string" && zones.some((zone) => zone.slice(0, -1) !== region)
          ? {
              accepted: `two availability zones of ${region}, comma-separated, such as ${region}a,${region}b`,
            }
          : undefined,
    },
  ),
  CLUSTER_NAME: setting(
    pattern(
      CLUSTER_NAME,
      `an EKS cluster name: 1-${CLUSTER_NAME_MAX_LENGTH} letters, digits, '-' or '_', starting with a letter or digit (IAM role names <name>-<purpose> must fit ${IAM_ROLE_NAME_MAX_LENGTH})`,
    ),
    {
      section: "cluster",
      description:
        "EKS cluster name. Every name that must be unique in the account or the state bucket derives from it: the state keys, IAM roles `<name>-cluster`, `<name>-admin`, `<name>-node`, the KMS alias, the log group.",
      default: { text: "shopfront-eks", value: "shopfront-eks" },
      example: "shopfront-eks",
      malformed: ["-x", "a b", "x".repeat(CLUSTER_NAME_MAX_LENGTH + 1), "x".repeat(101)],
    },
  ),
  KUBERNETES_VERSION: setting(oneOf(VERSIONS.supportedKubernetes), {
    section: "cluster",
    description: "Kubernetes minor version of the control plane and nodes (EKS standard support only).",
    default: { text: VERSIONS.kubernetes, value: VERSIONS.kubernetes },
    example: VERSIONS.kubernetes,
    malformed: ["1.35.0", "latest", "2", "1.22"],
  }),
  ADMIN_ROLE_ARN: setting<string | undefined>(
    pattern(ROLE_ARN, "an IAM role ARN such as arn:aws:iam::123456789012:role/c_admin"),
    {
      section: "cluster",
      description: "IAM role given cluster-admin through an EKS access entry.",
      default: { text: "unset: the cluster stack creates `<CLUSTER_NAME>-admin`", value: undefined },
      example: "arn:aws:iam::123456789012:role/c_admin",
      malformed: ["role/x", "arn:aws:iam::123:role/x", "arn:aws:iam::123456789012:user/x"],
    },
  ),
  ENDPOINT_PUBLIC_CIDRS: setting(CIDR_LIST, {
    section: "cluster",
    description:
      "CIDRs allowed to reach the Kubernetes API's public endpoint. Unset, there is no public endpoint: kubectl and the deploy of istio-stack, shopfront-stack and ssm-agent-installer-daemonset-stack must then run from inside the VPC (or over a VPN, Direct Connect or a bastion); to deploy from your machine, set your own address, such as 203.0.113.7/32. 0.0.0.0/0 opens the endpoint to the whole internet (authentication still applies) only when written so.",
    default: { text: "unset: no public endpoint, private only", value: [] },
    example: "203.0.113.0/24",
  }),
  NODE_INSTANCE_TYPE: setting(
    {
      schema: () =>
        z
          .string()
          .regex(INSTANCE_TYPE)
          .refine((type) => !GRAVITON_FAMILY.test(type.split(".")[0]), {
            params: {
              accepted:
                "an x86_64 EC2 instance type such as t3.medium: the nodes run the AL2023 x86_64 AMI, which Graviton (arm64) types cannot boot",
            },
          }),
      accepted: "an EC2 instance type such as t3.medium",
      malformed: ["t3", "T3.MEDIUM", "t3.medium;id", "large", "m7g.large", "t4g.medium", "c6gn.xlarge"],
    },
    {
      section: "nodes",
      description: "EC2 instance type of the nodes: x86_64, as the nodes run the AL2023 x86_64 AMI.",
      default: { text: "t3.medium", value: "t3.medium" },
      example: "t3.medium",
    },
  ),
  NODE_MIN_SIZE: setting(wholeNumber(1, 100), {
    section: "nodes",
    description: "Node group minimum size.",
    default: { text: "2", value: 2 },
    example: "2",
  }),
  NODE_DESIRED_SIZE: setting(wholeNumber(1, 100), {
    section: "nodes",
    description: "Node group desired size.",
    default: { text: "2", value: 2 },
    example: "2",
  }),
  NODE_MAX_SIZE: setting(wholeNumber(1, 100), {
    section: "nodes",
    description: "Node group maximum size; NODE_MIN_SIZE <= NODE_DESIRED_SIZE <= NODE_MAX_SIZE.",
    default: { text: "2", value: 2 },
    example: "2",
    check: (max, { NODE_MIN_SIZE: min, NODE_DESIRED_SIZE: desired }) =>
      typeof min === "number" && typeof desired === "number" && !(min <= desired && desired <= max)
        ? {
            message: `NODE_MIN_SIZE=${min}, NODE_DESIRED_SIZE=${desired}, NODE_MAX_SIZE=${max} are not sizes with min <= desired <= max`,
          }
        : undefined,
  }),
  SSM_AGENT_INSTALLER: setting(BOOLEAN, {
    section: "nodes",
    description:
      "Deploy the walkthrough's run-once SSM agent installer DaemonSet (AL2023 nodes already ship the agent).",
    default: { text: "false", value: false },
    example: "false",
  }),
  ISTIO_VERSION: setting(
    {
      schema: () =>
        z
          .string()
          .regex(/^\d+\.\d+\.\d+$/)
          .refine((version) => Object.keys(VERSIONS.supportedIstio).includes(minorOf(version)), {
            params: {
              accepted: `a release of an Istio minor this project supports (${Object.keys(
                VERSIONS.supportedIstio,
              )
                .map((minor) => `${minor}.x`)
                .join(", ")})`,
            },
          }),
      accepted: `an Istio release version x.y.z such as ${VERSIONS.istio}`,
      malformed: ["1.31", "latest", "v1.31.1", "1.29.4"],
    },
    {
      section: "istio",
      description: "Istio release of the base, istiod and gateway charts.",
      default: { text: VERSIONS.istio, value: VERSIONS.istio },
      example: VERSIONS.istio,
    },
  ),
  ISTIO_ADDONS: setting(
    parsed(
      parseIstioAddons,
      `addons to install, comma-separated from ${ISTIO_ADDONS.join(",")}, or none; grafana and kiali need prometheus`,
    ),
    {
      section: "istio",
      description: "Observability addons to install.",
      default: { text: `all three: ${ISTIO_ADDONS.join(",")}`, value: [...ISTIO_ADDONS] },
      example: ISTIO_ADDONS.join(","),
      malformed: ["jaeger", "grafana", "prometheus,,kiali"],
    },
  ),
  MESH_PROFILE: setting(oneOf(MESH_PROFILES), {
    section: "istio",
    description:
      "demo: one istiod and one ingress gateway, as the walkthrough; production: two of each, PodDisruptionBudgets, spread over the two zones.",
    default: { text: "demo", value: "demo" },
    example: "demo",
    malformed: ["prod", "Production"],
  }),
  MESH_MODE: setting(oneOf(MESH_MODES), {
    section: "istio",
    description:
      "Istio's data plane: a sidecar proxy in every pod, or ambient mode (a ztunnel per node, a waypoint for L7 policy); docs/ambient-and-gateway-api.md.",
    default: { text: "sidecar", value: "sidecar" },
    example: "sidecar",
    malformed: ["sidecars", "none"],
  }),
  ROUTING_API: setting(oneOf(ROUTING_APIS), {
    section: "istio",
    description:
      "How the shopfront's ingress and routes are written: Istio's Gateway and VirtualService, or the Kubernetes Gateway API (a Gateway of class istio and an HTTPRoute); docs/ambient-and-gateway-api.md.",
    default: { text: "istio", value: "istio" },
    example: "istio",
    malformed: ["gateway", "gatewayapi"],
  }),
  INGRESS_SERVICE_TYPE: setting(oneOf(INGRESS_SERVICE_TYPES), {
    section: "istio",
    description: "Type of the ingress gateway's Service.",
    default: { text: "LoadBalancer", value: "LoadBalancer" },
    example: "LoadBalancer",
    malformed: ["loadbalancer", "External"],
  }),
  INGRESS_SERVICE_ANNOTATIONS: setting(
    parsed(parseAnnotations, "comma-separated key=value pairs (Kubernetes annotation keys), or none"),
    {
      section: "istio",
      description: "Annotations on the ingress gateway's Service; on AWS they choose the load balancer.",
      default: {
        text: "a Network Load Balancer (internal or internet-facing per INGRESS_SOURCE_CIDRS)",
        value: NLB_ANNOTATIONS as Record<string, string>,
      },
      example: Object.entries(NLB_ANNOTATIONS)
        .map(([key, value]) => `${key}=${value}`)
        .join(","),
      malformed: ["noequals", "bad key=1", "=x"],
    },
  ),
  INGRESS_SOURCE_CIDRS: setting(CIDR_LIST, {
    section: "istio",
    description:
      "CIDRs the ingress load balancer accepts. Unset, the load balancer is internal (reachable from the VPC only); set, it is internet-facing with these loadBalancerSourceRanges.",
    default: { text: "unset: an internal load balancer", value: [] },
    example: "203.0.113.0/24",
  }),
  INGRESS_CERTIFICATE_ARN: setting<string | undefined>(
    pattern(
      ACM_CERTIFICATE_ARN,
      "an ACM certificate ARN such as arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789",
    ),
    {
      section: "istio",
      description:
        "ACM certificate for HTTPS on the ingress load balancer, in AWS_REGION: TLS ends at the NLB on 443, and port 80 is closed (gateway_url becomes https://).",
      default: { text: "unset: plain HTTP on port 80", value: undefined },
      example: "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789",
      malformed: [
        "arn:aws:acm:us-east-1:123456789012:certificate/not-a-uuid",
        "arn:aws:iam::123456789012:server-certificate/x",
        "arn:aws:acm:us-east-1:1234:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789",
        "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789",
      ],
      check: (arn, { AWS_REGION: region }) => {
        const certificateRegion = arn === undefined ? undefined : ACM_CERTIFICATE_ARN.exec(arn)?.[2];
        return typeof region === "string" && certificateRegion !== undefined && certificateRegion !== region
          ? {
              accepted: `an ACM certificate of ${region} (AWS_REGION): a load balancer uses certificates of its own region only`,
            }
          : undefined;
      },
    },
  ),
  OUTBOUND_TRAFFIC_POLICY: setting(oneOf(OUTBOUND_TRAFFIC_POLICIES), {
    section: "istio",
    description:
      "What sidecars do with traffic to hosts the mesh does not know: let it out, or only to registered services (ServiceEntries).",
    default: {
      text: "ALLOW_ANY with MESH_PROFILE=demo, REGISTRY_ONLY with production",
      // MESH_PROFILE is absent when it was refused.
      value: ({ MESH_PROFILE }) =>
        MESH_PROFILE_CHOICES[(MESH_PROFILE as MeshProfile | undefined) ?? "demo"].outboundTrafficPolicy,
    },
    example: "ALLOW_ANY",
    malformed: ["allow_any", "DENY"],
  }),
  SHOPFRONT_WEIGHTS: setting<Weights | undefined>(
    parsed((name, text) => {
      const { weights, problems } = parseWeights(name, text);
      return { value: weights, problems };
    }, `route weights per version, such as v1=25,v2=25,v3=25,v4=25: whole numbers adding up to 100 (versions left out get 0)`),
    {
      section: "shopfront",
      description:
        "Route weights of the shopfront's versions, overriding the VirtualService's (ROUTING_API=istio) or the HTTPRoute's (gateway-api).",
      default: {
        text: "unset: those of the route in manifests/routing-istio/ or manifests/routing-gateway-api/ (50/30/15/5)",
        value: undefined,
      },
      example: "v1=50,v2=30,v3=15,v4=5",
      malformed: ["v1=100,v2=x", "v1=-5,v2=105", "v9=100", "v1=50", "v1=100.0", "v1"],
    },
  ),
  SHOPFRONT_LOAD_GENERATOR: setting(BOOLEAN, {
    section: "shopfront",
    description: "Deploy the 2 requests/s load generator.",
    default: { text: "false", value: false },
    example: "false",
  }),
  SHOPFRONT_ERROR_GENERATOR: setting(BOOLEAN, {
    section: "shopfront",
    description: "Deploy the 1 request/s 404 error generator.",
    default: { text: "false", value: false },
    example: "false",
  }),
} as const;

export type SettingName = keyof typeof SETTINGS;
type SettingValues = {
  readonly [K in SettingName]: (typeof SETTINGS)[K] extends Setting<infer T> ? T : never;
};

/** Settings that no longer exist: setting one is an error that says what to do instead. */
export const REMOVED_SETTINGS: Readonly<Record<string, string>> = {
  OFFLINE_PLAN: "a setting: npm run plan makes plan-only stacks in its own folder",
};

function minorOf(version: string): string {
  return version.split(".").slice(0, 2).join(".");
}

/** What `refuse` and `refine(..., { params })` attach to an issue. */
function paramsOf(issue: z.core.$ZodIssue): { complete?: boolean; accepted?: string } {
  return (issue as { params?: { complete?: boolean; accepted?: string } }).params ?? {};
}

/** Where settings of an Env came from, when not the environment (`settings.env:3`), for messages. */
const settingSources = new WeakMap<Env, Readonly<Record<string, string>>>();

/** Records where `env`'s settings came from (setting name to `file:line`); returns `env`. */
export function withSources(env: Env, sources: Readonly<Record<string, string>>): Env {
  settingSources.set(env, sources);
  return env;
}

/**
 * `text` read as a value of `kind`, or the problems found, each naming `name` (a setting, or a
 * command-line flag), the text and the accepted form: `NAME="text" is not <accepted form>`.
 */
export function readValue<T>(
  name: string,
  kind: SettingKind<T>,
  text: string,
): { value: T } | { problems: string[] } {
  const result = kind.schema(name).safeParse(text);
  if (result.success) return { value: result.data };
  const { issues } = result.error;
  const complete = issues.filter((issue) => paramsOf(issue).complete);
  // A parser's own messages say more than the generic one; otherwise the first refusal is enough.
  if (complete.length > 0) return { problems: complete.map((issue) => issue.message) };
  const accepted = paramsOf(issues[0]).accepted ?? kind.accepted;
  return { problems: [`${name}=${JSON.stringify(text)} is not ${accepted}`] };
}

/** One setting's value (its text parsed, else its default), checked, or the problems found. */
function readSetting(
  name: string,
  declaration: Setting<unknown>,
  text: string | undefined,
  earlier: Earlier,
): { value: unknown } | { problems: string[] } {
  let value: unknown;
  if (text === undefined) {
    const fallback = declaration.default.value;
    value = typeof fallback === "function" ? fallback(earlier) : fallback;
  } else if (text.trim() === "") {
    return {
      problems: [`${name}=${JSON.stringify(text)} is not a non-empty value (unset it to get the default)`],
    };
  } else {
    const read = readValue(name, declaration, text);
    if ("problems" in read) return read;
    value = read.value;
  }
  // Defaults are checked too: a default may clash with a setting given above it.
  const refusal = declaration.check?.(value, earlier);
  if (!refusal) return { value };
  if ("message" in refusal) return { problems: [refusal.message] };
  return { problems: [`${name}=${JSON.stringify(text ?? String(value))} is not ${refusal.accepted}`] };
}

/**
 * Reads every setting from `env`, in SETTINGS order, collecting every problem instead of stopping at
 * the first, so a user fixes them in one round. Throws ConfigError listing them; a value from a
 * settings file is followed by where it is written.
 */
function readSettingValues(env: Env): SettingValues {
  const sources = settingSources.get(env) ?? {};
  const located = (name: string, problems: readonly string[]) =>
    problems.map((problem) => (sources[name] ? `${problem} (${sources[name]})` : problem));
  const problems: string[] = [];
  for (const [name, instead] of Object.entries(REMOVED_SETTINGS)) {
    const text = env[name];
    if (text !== undefined) {
      problems.push(...located(name, [`${name}=${JSON.stringify(text)} is no longer ${instead}`]));
    }
  }
  const values: Record<string, unknown> = {};
  for (const [name, declaration] of Object.entries(SETTINGS) as [string, Setting<unknown>][]) {
    const read = readSetting(name, declaration, env[name], values);
    if ("problems" in read) problems.push(...located(name, read.problems));
    else if (read.value !== undefined) values[name] = read.value;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return values as SettingValues;
}

/** Reads and validates the whole configuration; throws ConfigError listing every problem. */
export function loadConfig(env: Env = process.env): Config {
  const v = readSettingValues(env);
  return {
    project: PROJECT,
    region: v.AWS_REGION,
    environment: v.ENVIRONMENT,
    owner: v.OWNER,
    state: { bucket: v.STATE_BUCKET, keyPrefix: v.STATE_KEY_PREFIX },
    network: { vpcCidr: v.VPC_CIDR, availabilityZones: v.AVAILABILITY_ZONES },
    cluster: {
      name: v.CLUSTER_NAME,
      kubernetesVersion: v.KUBERNETES_VERSION,
      adminRoleArn: v.ADMIN_ROLE_ARN,
      endpointPublicAccessCidrs: v.ENDPOINT_PUBLIC_CIDRS,
    },
    nodeGroup: {
      name: NODE_GROUP_NAME,
      instanceType: v.NODE_INSTANCE_TYPE,
      minSize: v.NODE_MIN_SIZE,
      desiredSize: v.NODE_DESIRED_SIZE,
      maxSize: v.NODE_MAX_SIZE,
      labels: { app: NODE_GROUP_NAME },
    },
    ssmAgentInstaller: v.SSM_AGENT_INSTALLER,
    shopfront: {
      weights: v.SHOPFRONT_WEIGHTS,
      loadGenerator: v.SHOPFRONT_LOAD_GENERATOR,
      errorGenerator: v.SHOPFRONT_ERROR_GENERATOR,
    },
    istio: {
      version: v.ISTIO_VERSION,
      addons: v.ISTIO_ADDONS,
      ingressServiceType: v.INGRESS_SERVICE_TYPE,
      ingressServiceAnnotations: v.INGRESS_SERVICE_ANNOTATIONS,
      profile: v.MESH_PROFILE,
      meshMode: v.MESH_MODE,
      routingApi: v.ROUTING_API,
      ingressSourceCidrs: v.INGRESS_SOURCE_CIDRS,
      ingressCertificateArn: v.INGRESS_CERTIFICATE_ARN,
      outboundTrafficPolicy: v.OUTBOUND_TRAFFIC_POLICY,
    },
  };
}
