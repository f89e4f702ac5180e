/**
 * Where the traffic goes and what split to expect, from a flag, the environment, or what the
 * deployment left behind (the cdktf outputs file, the manifests). Every refusal is a UsageError whose
 * one line names the setting, the value and the accepted form.
 */
import fs from "node:fs";
import path from "node:path";
import type { Finding } from "../../modules/manifests/finding";
import {
  loadManifests,
  parseManifests,
  podsPerVersion,
  routeWeights,
  SHOPFRONT_VIRTUAL_SERVICE,
} from "../../modules/manifests/model";
import { SHOPFRONT_HTTP_ROUTE } from "../../modules/mesh/mesh-variant";
import { readValue } from "../../modules/settings/kinds";
import type { Env } from "../../modules/settings/load";
import { STACK_NAMES } from "../../modules/settings/names";
import type { Weights } from "../../modules/settings/sections/shopfront";
import { SETTINGS } from "../../modules/settings/table";
import { httpRouteWeights } from "../../modules/shopfront/variants";
import { UsageError } from "../command-line";

/** A resolved value and where it came from, for the report ("from GATEWAY_URL"). */
export interface Sourced<T> {
  readonly value: T;
  readonly source: string;
}

/** The stacks and outputs that hold the gateway and the deployed weights in `cdktf deploy --outputs-file`. */
const ISTIO_STACK = STACK_NAMES.istio;
const ISTIO_CONFIG_STACK = STACK_NAMES.istioConfig;
const SHOPFRONT_STACK = STACK_NAMES.shopfront;
/** The stacks whose outputs the tool reads, as `npm run output` takes them. */
const OUTPUT_STACKS = `${ISTIO_STACK} ${ISTIO_CONFIG_STACK} ${SHOPFRONT_STACK}`;
const OUTPUT_KEYS = {
  gatewayUrl: "gateway_url",
  ingressHostname: "ingress_hostname",
  routeWeights: "route_weights",
} as const;

type Outputs = Record<string, Record<string, unknown> | undefined>;

/** The cdktf outputs file (`outputsFile` as given, for messages), or undefined when there is none. */
function readOutputs(cwd: string, outputsFile: string): Outputs | undefined {
  const file = path.resolve(cwd, outputsFile);
  if (!fs.existsSync(file)) return undefined;
  try {
    const outputs: unknown = JSON.parse(fs.readFileSync(file, "utf8"));
    return typeof outputs === "object" && outputs !== null ? (outputs as Outputs) : {};
  } catch (error) {
    throw new UsageError(`${outputsFile} is not a cdktf outputs file: ${(error as Error).message}`);
  }
}

const VIRTUAL_SERVICE = SHOPFRONT_VIRTUAL_SERVICE;

/** Where each routing API's route is, relative to the project: `--manifests`'s default. */
export const ROUTE_FILES = {
  istio: "manifests/routing-istio/shopfront-mesh.yaml",
  "gateway-api": "manifests/routing-gateway-api/shopfront-routes.yaml",
} as const;

/**
 * A gateway URL from user text. A bare hostname gets `http://`, as the walkthrough's
 * `curl $GATEWAY_URL` does with the load balancer's hostname.
 */
export function gatewayUrl(setting: string, text: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(`${setting}=${JSON.stringify(text)} is not ${GATEWAY_URL_FORM}`);
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "") {
    throw new UsageError(`${setting}=${JSON.stringify(text)} is not ${GATEWAY_URL_FORM}`);
  }
  return url;
}

/** What `gatewayUrl` accepts, as its messages and the flags reference say it. */
export const GATEWAY_URL_FORM =
  "an http:// or https:// URL or a host name such as a1b2c3.us-east-1.elb.amazonaws.com";

export interface UrlInputs {
  /** `--url`, if given. */
  readonly flag?: string;
  readonly env: Env;
  /** The cdktf outputs file (`--outputs-file`), as given: messages name it so. */
  readonly outputsFile: string;
  /** What a relative `outputsFile` is relative to. */
  readonly cwd: string;
}

/**
 * The gateway URL: `--url`, else `GATEWAY_URL`, else the outputs file: `istio-stack`'s (the chart's
 * ingress), else `istio-config-stack`'s (the Gateway API ingress).
 */
export function resolveUrl({ flag, env, outputsFile, cwd }: UrlInputs): Sourced<URL> {
  if (flag !== undefined) return { value: gatewayUrl("--url", flag), source: "--url" };
  const fromEnv = env.GATEWAY_URL;
  // Set but empty is an error, not "unset": `export GATEWAY_URL=$(kubectl ...)` before the load
  // balancer has a hostname leaves it empty, and the user should hear about that variable.
  if (fromEnv !== undefined) return { value: gatewayUrl("GATEWAY_URL", fromEnv), source: "GATEWAY_URL" };
  const outputs = readOutputs(cwd, outputsFile);
  if (outputs === undefined) {
    throw new UsageError(
      `no gateway URL: pass --url, set GATEWAY_URL, or write it with \`npm run output -- ${OUTPUT_STACKS} --outputs-file ${outputsFile}\` (${outputsFile} does not exist)`,
    );
  }
  // The chart's ingress is istio-stack's; with ROUTING_API=gateway-api the Gateway, and its address,
  // are istio-config-stack's.
  for (const stackName of [ISTIO_STACK, ISTIO_CONFIG_STACK]) {
    for (const key of [OUTPUT_KEYS.gatewayUrl, OUTPUT_KEYS.ingressHostname]) {
      const value = outputs[stackName]?.[key];
      if (typeof value === "string" && value.trim() !== "") {
        const setting = `${outputsFile} ${stackName}.${key}`;
        return { value: gatewayUrl(setting, value), source: `${outputsFile} (${stackName}.${key})` };
      }
    }
  }
  // `cdktf deploy --outputs-file` writes the outputs of the stacks it deployed, and only those.
  const others = Object.keys(outputs);
  const hint =
    others.length > 0
      ? ` (it holds ${others.join(", ")} only: write them all with \`npm run output -- ${OUTPUT_STACKS} --outputs-file ${outputsFile}\`)`
      : "";
  throw new UsageError(
    `no gateway URL: ${outputsFile} has no ${ISTIO_STACK} or ${ISTIO_CONFIG_STACK} output ${OUTPUT_KEYS.gatewayUrl} or ${OUTPUT_KEYS.ingressHostname}${hint}; pass --url or set GATEWAY_URL`,
  );
}

export interface WeightInputs {
  /** `--expect`, if given. */
  readonly flag?: string;
  readonly env: Env;
  /** The cdktf outputs file (`--outputs-file`), as given: messages name it so. */
  readonly outputsFile: string;
  /** The manifest holding the VirtualService (`--manifests`), as given: messages name it so. */
  readonly manifestsFile: string;
  /** What a relative `manifestsFile` is relative to. */
  readonly cwd: string;
}

/** Weights from any source, read as the project's SHOPFRONT_WEIGHTS setting is declared. */
function parsedWeights(setting: string, text: string): Weights {
  const read = readValue(setting, SETTINGS.SHOPFRONT_WEIGHTS, text);
  // One line per error, as scripts read it: the first problem is enough to act on.
  if ("problems" in read) throw new UsageError(read.problems[0]);
  // Undefined is the setting's value when unset; a text always reads as weights.
  return read.value as Weights;
}

/**
 * The expected split: `--expect`, else the weights deployed (`shopfront-stack`'s `route_weights` in
 * the outputs file), else `SHOPFRONT_WEIGHTS`, else the VirtualService in the manifests.
 */
export function resolveExpected({
  flag,
  env,
  outputsFile,
  manifestsFile,
  cwd,
}: WeightInputs): Sourced<Weights> {
  if (flag !== undefined) return { value: parsedWeights("--expect", flag), source: "--expect" };
  const deployed = readOutputs(cwd, outputsFile)?.[SHOPFRONT_STACK]?.[OUTPUT_KEYS.routeWeights];
  if (typeof deployed === "string") {
    const source = `${outputsFile} (${SHOPFRONT_STACK}.${OUTPUT_KEYS.routeWeights})`;
    return {
      value: parsedWeights(`${outputsFile} ${SHOPFRONT_STACK}.${OUTPUT_KEYS.routeWeights}`, deployed),
      source,
    };
  }
  const fromEnv = env.SHOPFRONT_WEIGHTS;
  if (fromEnv !== undefined) {
    return { value: parsedWeights("SHOPFRONT_WEIGHTS", fromEnv), source: "SHOPFRONT_WEIGHTS" };
  }
  const file = path.resolve(cwd, manifestsFile);
  if (!fs.existsSync(file)) {
    throw new UsageError(
      `no expected weights: pass --expect v1=50,v2=30,v3=15,v4=5, set SHOPFRONT_WEIGHTS, or keep the shopfront's route in ${manifestsFile} (it does not exist)`,
    );
  }
  return { value: weightsFromManifest(file, manifestsFile), source: manifestsFile };
}

/** Documents that are YAML but not Kubernetes objects are not this tool's concern. */
const notYaml = (finding: Finding) => finding.message.startsWith("not valid YAML");

/** `--manifests` names a file: a directory there is a UsageError, not a stack trace. */
function assertManifestFile(file: string, given: string): void {
  if (fs.statSync(file, { throwIfNoEntry: false })?.isDirectory()) {
    throw new UsageError(
      `--manifests=${JSON.stringify(given)} is a directory; it names the YAML file with the shopfront's route, such as ${ROUTE_FILES.istio}`,
    );
  }
}

/** The manifest file's text; a file that cannot be read is a UsageError naming it and the flag. */
function readManifestText(file: string, name: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    throw new UsageError(`cannot read ${name} (from --manifests): ${code ?? message}`);
  }
}

/**
 * The weights of the shopfront's route in `file` (`name` in messages): the first HTTP route of the
 * VirtualService (ROUTING_API=istio), else the HTTPRoute's backends, each version's through the
 * Service it names (ROUTING_API=gateway-api).
 */
export function weightsFromManifest(file: string, name = file): Weights {
  assertManifestFile(file, name);
  const parsed = parseManifests([{ path: file, text: readManifestText(file, name) }]);
  const broken = parsed.findings.find(notYaml);
  if (broken !== undefined) throw new UsageError(`${name} is ${broken.message}`);
  const fromVirtualService = routeWeights(parsed.documents);
  const route =
    fromVirtualService === undefined
      ? { resource: `HTTPRoute ${SHOPFRONT_HTTP_ROUTE}`, weights: httpRouteWeights(parsed.documents) }
      : { resource: VIRTUAL_SERVICE, weights: fromVirtualService };
  if (route.weights === undefined) {
    throw new UsageError(
      `no expected weights: ${name} has no VirtualService ${VIRTUAL_SERVICE} with spec.http[0].route, nor an HTTPRoute ${SHOPFRONT_HTTP_ROUTE} with backendRefs; pass --expect or set SHOPFRONT_WEIGHTS`,
    );
  }
  const text = Object.entries(route.weights)
    .map(([version, weight]) => `${version}=${weight}`)
    .join(",");
  return parsedWeights(`${name} ${route.resource}`, text);
}

/** The file of the shopfront's route for ROUTING_API (unset: the walkthrough's VirtualService). */
export function defaultRouteFile(env: Env): string {
  const text = env.ROUTING_API;
  if (text === undefined) return ROUTE_FILES.istio;
  // Read as the project's ROUTING_API setting is declared, so the tool accepts and refuses what synth does.
  const read = readValue("ROUTING_API", SETTINGS.ROUTING_API, text);
  if ("problems" in read) throw new UsageError(read.problems[0]);
  return ROUTE_FILES[read.value as keyof typeof ROUTE_FILES];
}

/**
 * How many pods serve `version`, from the Deployments in the YAML files beside the manifest, and
 * which folders (named as `given` names the manifest) they are in; undefined when no Deployment of
 * that version is there.
 */
export function replicasFromManifests(
  manifestsFile: string,
  version: string,
  given = manifestsFile,
): { count: number; source: string } | undefined {
  assertManifestFile(manifestsFile, given);
  const directory = path.dirname(manifestsFile);
  if (!fs.existsSync(directory)) return undefined;
  // A routing API's folder (manifests/routing-istio/) holds routes; the Deployments are in the folder above.
  const routing = /^routing-/.test(path.basename(directory));
  const directories = routing ? [directory, path.dirname(directory)] : [directory];
  const named = routing ? [path.dirname(given), path.dirname(path.dirname(given))] : [path.dirname(given)];
  let replicas: number | undefined;
  const found: string[] = [];
  directories.forEach((dir, index) => {
    const parsed = loadManifests(dir);
    const broken = parsed.findings.find(notYaml);
    if (broken !== undefined) throw new UsageError(`${broken.file} is ${broken.message}`);
    const count = podsPerVersion(parsed.documents)[version];
    if (count === undefined) return;
    replicas = (replicas ?? 0) + count;
    found.push(`${named[index]}/`);
  });
  return replicas === undefined
    ? undefined
    : { count: replicas, source: `the Deployments in ${found.join(" and ")}` };
}
