/** Istio: its version, add-ons, profile, data plane and routing API, the ingress and egress. */
import { z } from "zod";
import { CIDR_LIST, oneOf, optional, parsed, pattern, section, setting } from "../kinds";
import { VERSIONS } from "../versions";

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

const ACM_CERTIFICATE_ARN =
  /^arn:aws(-[a-z]+)*:acm:([a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d):\d{12}:certificate\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function minorOf(version: string): string {
  return version.split(".").slice(0, 2).join(".");
}

export const ISTIO = section("Istio", {
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
      field: "version",
      description: "Istio release of the base, cni, istiod, gateway and (ambient) ztunnel charts.",
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
      field: "addons",
      description: "Observability addons to install.",
      default: { text: `all three: ${ISTIO_ADDONS.join(",")}`, value: [...ISTIO_ADDONS] },
      example: ISTIO_ADDONS.join(","),
      malformed: ["jaeger", "grafana", "prometheus,,kiali"],
    },
  ),
  MESH_PROFILE: setting(oneOf(MESH_PROFILES), {
    field: "profile",
    description:
      "demo: one istiod and one ingress gateway, as the walkthrough; production: two of each, PodDisruptionBudgets, spread over the two zones.",
    default: { text: "demo", value: "demo" },
    example: "demo",
    malformed: ["prod", "Production"],
  }),
  MESH_MODE: setting(oneOf(MESH_MODES), {
    field: "meshMode",
    description:
      "Istio's data plane: a sidecar proxy in every pod, or ambient mode (a ztunnel per node, a waypoint for L7 policy); docs/ambient-and-gateway-api.md.",
    default: { text: "sidecar", value: "sidecar" },
    example: "sidecar",
    malformed: ["sidecars", "none"],
  }),
  ROUTING_API: setting(oneOf(ROUTING_APIS), {
    field: "routingApi",
    description:
      "How the shopfront's ingress and routes are written: Istio's Gateway and VirtualService, or the Kubernetes Gateway API (a Gateway of class istio and an HTTPRoute); docs/ambient-and-gateway-api.md.",
    default: { text: "istio", value: "istio" },
    example: "istio",
    malformed: ["gateway", "gatewayapi"],
  }),
  INGRESS_SERVICE_TYPE: setting(oneOf(INGRESS_SERVICE_TYPES), {
    field: "ingressServiceType",
    description: "Type of the ingress gateway's Service.",
    default: { text: "LoadBalancer", value: "LoadBalancer" },
    example: "LoadBalancer",
    malformed: ["loadbalancer", "External"],
  }),
  INGRESS_SERVICE_ANNOTATIONS: setting(
    parsed(parseAnnotations, "comma-separated key=value pairs (Kubernetes annotation keys), or none"),
    {
      field: "ingressServiceAnnotations",
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
    field: "ingressSourceCidrs",
    description:
      "CIDRs the ingress load balancer accepts. Unset, the load balancer is internal (reachable from the VPC only); set, it is internet-facing with these loadBalancerSourceRanges.",
    default: { text: "unset: an internal load balancer", value: [] },
    example: "203.0.113.0/24",
  }),
  INGRESS_CERTIFICATE_ARN: setting(
    optional(
      pattern(
        ACM_CERTIFICATE_ARN,
        "an ACM certificate ARN such as arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789",
      ),
    ),
    {
      field: "ingressCertificateArn",
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
    field: "outboundTrafficPolicy",
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
});
