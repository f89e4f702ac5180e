import { join, relative, resolve } from "node:path";
import { checkManifests } from "../manifests/checks";
import type { Finding } from "../manifests/finding";
import { type ManifestDocument, parseManifests, readManifestFiles } from "../manifests/model";
import { DEFAULT_MESH_VARIANT, type MeshMode, type MeshVariant, type RoutingApi } from "../mesh/mesh-variant";
import { projectRoot } from "../settings/project";
import { type JwtAuthentication, jwtAuthentication } from "../settings/sections/authentication";
import { MESH_PROFILE_CHOICES } from "../settings/sections/istio";
import type { Config, ResilienceConfig, ShopfrontConfig } from "../settings/table";
import { ingressAuthentication, JWT_SETTINGS_SOURCE } from "./authentication";
import {
  type IngressSettings,
  withGatewayApiIngress,
  withHighlyAvailableGateways,
  withTlsIngressHost,
} from "./ingress";
import { ingressRateLimit } from "./rate-limit";
import { withResilience } from "./resilience";
import {
  ingressPrincipal,
  meshWideManifestPaths,
  shopfrontManifestPaths,
  withShopfrontWeights,
} from "./variants";

export interface ShopfrontManifestsProps {
  /**
   * Folder whose .yaml files make the shopfront in every mesh variant, with a folder per data plane
   * (`sidecar/`, `ambient/`), one per routing API (`routing-istio/`, `routing-gateway-api/`) and the
   * mesh-wide objects in `mesh/`. @default the repository's manifests/
   */
  readonly manifestsDir?: string;
  /** Route weights override and generator toggles, from `loadConfig`. */
  readonly config: ShopfrontConfig;
  /**
   * The route's timeout, retries, faults and mirror, and the ingress's rate limit, from `loadConfig`
   * (docs/resilience.md). @default none: the route as manifests/ writes it, no rate limit
   */
  readonly resilience?: ResilienceConfig;
  /** The data plane: which namespace labels and which of its own objects. @default "sidecar" */
  readonly meshMode?: MeshMode;
  /** The routing API: which ingress, routes and identity. @default "istio" */
  readonly routingApi?: RoutingApi;
  /**
   * The load balancer of the Gateway API ingress (routingApi gateway-api), from the same settings as
   * the chart's ingress. @default the manifest's own: an internal NLB
   */
  readonly ingress?: IngressSettings;
  /**
   * Two replicas of each Gateway API proxy (ingress, waypoint), spread over the zones, with a
   * disruption budget, as MESH_PROFILE=production gives the chart's ingress. @default false
   */
  readonly highlyAvailable?: boolean;
  /**
   * The JWT settings: the ingress validates the issuer's tokens (and requires one), through objects
   * built from them that join the mesh-wide ones. @default none: no token is validated
   */
  readonly authentication?: JwtAuthentication;
}

/** The generator Deployments, by the ShopfrontConfig toggle that deploys each, wherever they are defined. */
const GENERATOR_DEPLOYMENTS = {
  loadGenerator: "load-generator",
  errorGenerator: "error-generator",
} as const;

/** From this file's folder, wherever it runs (modules/, or the compiled app in .build/). */
const DEFAULT_MANIFESTS_DIR = join(projectRoot(__dirname), "manifests");

/**
 * The shopfront's manifests for one mesh variant, as they are deployed: the files of the variant,
 * the generators the config turns on, SHOPFRONT_WEIGHTS on the route, the ingress settings on the
 * Gateway API ingress, high availability for the Gateway API proxies. The checks run once, on the
 * whole set, so that a route and the Gateway it names are checked together wherever each is applied:
 * istio-config-stack applies the mesh-wide objects (`mesh/`), shopfront-stack the rest.
 */
export class ShopfrontManifests {
  /** The folder, relative to the working directory, so that findings name files as `manifests/shopfront.yaml`. */
  readonly manifestsDir: string;
  readonly variant: MeshVariant;
  /** Every object, as deployed, in the order of the files (kubectl apply order) and their documents. */
  readonly documents: readonly ManifestDocument[];
  private readonly meshWideFiles: Set<string>;
  private readonly parseFindings: readonly Finding[];
  private checked?: readonly Finding[];

  constructor(props: ShopfrontManifestsProps) {
    this.manifestsDir = relative(process.cwd(), resolve(props.manifestsDir ?? DEFAULT_MANIFESTS_DIR)) || ".";
    this.variant = {
      meshMode: props.meshMode ?? DEFAULT_MESH_VARIANT.meshMode,
      routingApi: props.routingApi ?? DEFAULT_MESH_VARIANT.routingApi,
    };
    const { routingApi } = this.variant;
    const resilience = props.resilience ?? {};
    const rateLimit =
      resilience.ingressRateLimit === undefined
        ? []
        : ingressRateLimit(this.manifestsDir, resilience.ingressRateLimit, routingApi);
    this.meshWideFiles = new Set([
      ...meshWideManifestPaths(this.manifestsDir, this.variant),
      ...rateLimit.map((document) => document.file),
    ]);
    const parsed = parseManifests(readManifestFiles(shopfrontManifestPaths(this.manifestsDir, this.variant)));
    this.parseFindings = parsed.findings;
    const selected = parsed.documents.filter((document) => generatorEnabled(document, props.config));
    const weighted =
      props.config.weights === undefined
        ? selected
        : withShopfrontWeights(selected, props.config.weights, routingApi);
    // The rate limit is istio-system's, with the mesh-wide objects: applied first, as their files are.
    const resilient = [...rateLimit, ...withResilience(weighted, resilience, routingApi)];
    const ingressSet =
      props.ingress !== undefined && routingApi === "gateway-api"
        ? withGatewayApiIngress(resilient, props.ingress)
        : resilient;
    const tlsSet = props.ingress?.certificateArn !== undefined ? withTlsIngressHost(ingressSet) : ingressSet;
    const available = props.highlyAvailable ? withHighlyAvailableGateways(tlsSet) : tlsSet;
    const { authentication } = props;
    if (authentication !== undefined) this.meshWideFiles.add(JWT_SETTINGS_SOURCE);
    this.documents =
      authentication === undefined
        ? available
        : [...available, ...ingressAuthentication(authentication, routingApi)];
  }

  /**
   * Whether `file` is a mesh-wide file of the variant (under `mesh/`), or the JWT settings' objects,
   * which istio-config-stack applies.
   */
  isMeshWide(file: string): boolean {
    return this.meshWideFiles.has(file);
  }

  /**
   * The mesh-wide objects (istio-system): the mesh's mutual TLS default, with the Gateway API the
   * ingress, and with the JWT settings the ingress's request authentication.
   */
  get meshWide(): readonly ManifestDocument[] {
    return this.documents.filter((document) => this.isMeshWide(document.file));
  }

  /** The shopfront's own objects: its namespace, app, routes and policies. */
  get shopfront(): readonly ManifestDocument[] {
    return this.documents.filter((document) => !this.isMeshWide(document.file));
  }

  /** What parsing and the checks found, on the whole set; the checks run on the first call only. */
  findings(): readonly Finding[] {
    this.checked ??= [
      ...this.parseFindings,
      ...checkManifests(this.documents, {
        ingressGatewayPrincipal: ingressPrincipal(this.variant.routingApi),
      }),
    ];
    return this.checked;
  }
}

/**
 * The shopfront's manifests as the settings deploy them (`config` from loadConfig): what synth
 * applies and what `npm run analyze` checks by default, from this one reading of the settings.
 */
export function shopfrontManifestsOf(config: Config, manifestsDir?: string): ShopfrontManifests {
  const { istio } = config;
  return new ShopfrontManifests({
    manifestsDir,
    config: config.shopfront,
    resilience: config.resilience,
    meshMode: istio.meshMode,
    routingApi: istio.routingApi,
    ingress: {
      serviceType: istio.ingressServiceType,
      annotations: istio.ingressServiceAnnotations,
      sourceCidrs: istio.ingressSourceCidrs,
      certificateArn: istio.ingressCertificateArn,
    },
    highlyAvailable: MESH_PROFILE_CHOICES[istio.profile].highlyAvailable,
    authentication: jwtAuthentication(config.authentication),
  });
}

function generatorToggle(document: ManifestDocument): keyof typeof GENERATOR_DEPLOYMENTS | undefined {
  if (document.object.kind !== "Deployment") return undefined;
  return (Object.keys(GENERATOR_DEPLOYMENTS) as (keyof typeof GENERATOR_DEPLOYMENTS)[]).find(
    (key) => GENERATOR_DEPLOYMENTS[key] === document.object.metadata.name,
  );
}

/** One of the generator Deployments, which SHOPFRONT_LOAD_GENERATOR and SHOPFRONT_ERROR_GENERATOR toggle. */
export function isGenerator(document: ManifestDocument): boolean {
  return generatorToggle(document) !== undefined;
}

function generatorEnabled(document: ManifestDocument, config: ShopfrontConfig): boolean {
  const toggle = generatorToggle(document);
  return toggle === undefined || config[toggle];
}
