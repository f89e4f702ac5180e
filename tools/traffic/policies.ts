/**
 * The resilience policies a run is judged against, from where the expected weights come from too:
 * the settings (the environment and the settings file, as synth reads them) applied to the route of
 * the manifests as synth applies them (modules/shopfront/resilience.ts), so what is checked is what
 * a deploy with those settings writes. Without the route's file, the settings alone.
 */
import fs from "node:fs";
import path from "node:path";
import {
  type ManifestDocument,
  parseManifests,
  SHOPFRONT_VIRTUAL_SERVICE,
} from "../../modules/manifests/model";
import { goDurationMs } from "../../modules/manifests/rules/route-policies";
import { replicasFor } from "../../modules/mesh/high-availability";
import { type RoutingApi, SHOPFRONT_HTTP_ROUTE } from "../../modules/mesh/mesh-variant";
import { ConfigError, type Env, loadConfig } from "../../modules/settings/load";
import { MESH_PROFILE_CHOICES, type MeshMode } from "../../modules/settings/sections/istio";
import type { FaultAbort, Mirror, RateLimit, Retries } from "../../modules/settings/sections/resilience";
import type { ResilienceConfig } from "../../modules/settings/table";
import { withResilience } from "../../modules/shopfront/resilience";
import { isHttpRoute } from "../../modules/shopfront/variants";
import { UsageError } from "../command-line";

export interface Policies {
  /** Where they come from, for the report: the settings given, and the route's file. */
  readonly source: string;
  readonly meshMode: MeshMode;
  readonly timeout?: { readonly text: string; readonly ms: number };
  readonly retries?: Retries;
  readonly faultDelay?: { readonly text: string; readonly ms: number; readonly percent: number };
  readonly faultAbort?: FaultAbort;
  readonly mirror?: Mirror;
  /** The limit of each gateway pod, and how many pods the ingress runs (MESH_PROFILE). */
  readonly rateLimit?: RateLimit & { readonly pods: number };
}

/** The settings of the resilience section, by name, as the report names its sources. */
const SETTING_OF: Readonly<Record<keyof ResilienceConfig, string>> = {
  timeout: "SHOPFRONT_TIMEOUT",
  retries: "SHOPFRONT_RETRIES",
  faultDelay: "SHOPFRONT_FAULT_DELAY",
  faultAbort: "SHOPFRONT_FAULT_ABORT",
  mirror: "SHOPFRONT_MIRROR",
  ingressRateLimit: "INGRESS_RATE_LIMIT",
};

interface RouteRule {
  readonly timeout?: string;
  readonly timeouts?: { readonly request?: string };
  readonly retries?: { readonly attempts?: number; readonly perTryTimeout?: string };
  readonly fault?: {
    readonly delay?: { readonly fixedDelay?: string; readonly percentage?: { readonly value?: number } };
    readonly abort?: { readonly httpStatus?: number; readonly percentage?: { readonly value?: number } };
  };
  readonly mirror?: { readonly subset?: string };
  readonly mirrorPercentage?: { readonly value?: number };
  readonly filters?: readonly {
    readonly type?: string;
    readonly requestMirror?: {
      readonly backendRef?: { readonly name?: string };
      readonly percent?: number;
      readonly fraction?: { readonly numerator?: number; readonly denominator?: number };
    };
  }[];
}

/** The first rule of the shopfront's route that routes traffic, and which routing API it is written in. */
function shopfrontRule(
  documents: readonly ManifestDocument[],
): { rule: RouteRule; routingApi: RoutingApi } | undefined {
  for (const document of documents) {
    const spec = (document.object.spec ?? {}) as { http?: RouteRule[]; rules?: RouteRule[] };
    if (
      document.object.kind === "VirtualService" &&
      document.object.metadata.name === SHOPFRONT_VIRTUAL_SERVICE
    ) {
      const rule = (spec.http ?? []).find((candidate) => (candidate as { route?: unknown[] }).route?.length);
      if (rule) return { rule, routingApi: "istio" };
    }
    if (isHttpRoute(document, SHOPFRONT_HTTP_ROUTE)) {
      const rule = (spec.rules ?? []).find(
        (candidate) => (candidate as { backendRefs?: unknown[] }).backendRefs?.length,
      );
      if (rule) return { rule, routingApi: "gateway-api" };
    }
  }
  return undefined;
}

/** The mirror a rule writes: the VirtualService's, or the HTTPRoute's RequestMirror (a Service shopfront-<version>). */
function mirrorOf(rule: RouteRule): Mirror | undefined {
  if (rule.mirror?.subset !== undefined) {
    return { version: rule.mirror.subset, percent: rule.mirrorPercentage?.value ?? 100 };
  }
  const filter = (rule.filters ?? []).find((candidate) => candidate.type === "RequestMirror")?.requestMirror;
  if (filter === undefined) return undefined;
  const { numerator, denominator = 100 } = filter.fraction ?? {};
  const percent = filter.percent ?? (numerator === undefined ? 100 : (100 * numerator) / denominator);
  return { version: (filter.backendRef?.name ?? "").replace(/^shopfront-/, ""), percent };
}

/** The policies a route rule writes. */
function policiesOf(rule: RouteRule): Omit<Policies, "source" | "meshMode" | "rateLimit"> {
  const timeout = rule.timeout ?? rule.timeouts?.request;
  const { delay, abort } = rule.fault ?? {};
  const attempts = rule.retries?.attempts;
  return {
    ...(timeout === undefined ? {} : { timeout: { text: timeout, ms: goDurationMs(timeout) } }),
    ...(attempts === undefined
      ? {}
      : {
          retries: {
            attempts,
            ...(rule.retries?.perTryTimeout ? { perTryTimeout: rule.retries.perTryTimeout } : {}),
          },
        }),
    ...(delay?.fixedDelay === undefined
      ? {}
      : {
          faultDelay: {
            text: delay.fixedDelay,
            ms: goDurationMs(delay.fixedDelay),
            percent: delay.percentage?.value ?? 100,
          },
        }),
    ...(abort?.httpStatus === undefined
      ? {}
      : { faultAbort: { status: abort.httpStatus, percent: abort.percentage?.value ?? 100 } }),
    ...(mirrorOf(rule) === undefined ? {} : { mirror: mirrorOf(rule) }),
  };
}

/** The policies of a route written only from the settings (no route's file to apply them to). */
function policiesOfSettings(
  resilience: ResilienceConfig,
): Omit<Policies, "source" | "meshMode" | "rateLimit"> {
  const { timeout, retries, faultDelay, faultAbort, mirror } = resilience;
  return {
    ...(timeout === undefined ? {} : { timeout: { text: timeout, ms: goDurationMs(timeout) } }),
    ...(retries === undefined ? {} : { retries }),
    ...(faultDelay === undefined
      ? {}
      : {
          faultDelay: {
            text: faultDelay.delay,
            ms: goDurationMs(faultDelay.delay),
            percent: faultDelay.percent,
          },
        }),
    ...(faultAbort === undefined ? {} : { faultAbort }),
    ...(mirror === undefined ? {} : { mirror }),
  };
}

/** Where the policies come from: the settings given, then the route's file when it was read. */
function sources(settings: readonly string[], route: unknown, manifestsFile: string): string {
  const all = [...settings, ...(route === undefined ? [] : [manifestsFile])];
  return all.length === 0 ? "no setting and no route (none configured)" : all.join(", ");
}

export interface PolicyInputs {
  readonly env: Env;
  /** The route's manifest (`--manifests`, else ROUTING_API's), as given: the report names it so. */
  readonly manifestsFile: string;
  readonly cwd: string;
  /** The tool's bound on a request (`--timeout`): a delay as long is one it cannot measure. */
  readonly timeoutMs: number;
}

/**
 * The policies: the resilience settings of `env`, on the route of `manifestsFile` when it is there.
 * A route that cannot take the settings (a fault on an HTTPRoute) is a UsageError naming the file.
 */
export function resolvePolicies({ env, manifestsFile, cwd, timeoutMs }: PolicyInputs): Policies {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.problems[0]);
    throw error;
  }
  const settings = (Object.keys(SETTING_OF) as (keyof ResilienceConfig)[])
    .filter((key) => config.resilience[key] !== undefined)
    .map((key) => SETTING_OF[key]);
  const file = path.resolve(cwd, manifestsFile);
  const documents = fs.statSync(file, { throwIfNoEntry: false })?.isFile()
    ? parseManifests([{ path: file, text: fs.readFileSync(file, "utf8") }]).documents
    : [];
  const found = shopfrontRule(documents);
  let route: Omit<Policies, "source" | "meshMode" | "rateLimit">;
  if (found === undefined) route = policiesOfSettings(config.resilience);
  else {
    let applied: ReturnType<typeof shopfrontRule>;
    try {
      applied = shopfrontRule(withResilience(documents, config.resilience, found.routingApi));
    } catch (error) {
      throw new UsageError(`${manifestsFile}: ${(error as Error).message}`);
    }
    route = policiesOf(applied?.rule ?? found.rule);
  }
  if (route.faultDelay !== undefined && route.faultDelay.ms >= timeoutMs) {
    throw new UsageError(
      `--timeout ${timeoutMs / 1000}s is not longer than the injected delay ${route.faultDelay.text} (from ${sources(settings, found, manifestsFile)}): delayed requests would time out here before their answer; raise --timeout above it`,
    );
  }
  const limit = config.resilience.ingressRateLimit;
  const pods = replicasFor(MESH_PROFILE_CHOICES[config.istio.profile].highlyAvailable);
  return {
    source: sources(settings, found, manifestsFile),
    meshMode: config.istio.meshMode,
    ...route,
    ...(limit === undefined ? {} : { rateLimit: { ...limit, pods } }),
  };
}
