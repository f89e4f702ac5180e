/**
 * Where the traffic goes and what split to expect: each from a flag, else the environment, else what
 * the deployment left behind (the cdktf outputs file, the manifests). Every refusal is a UsageError
 * whose one line names the setting, the value and the accepted form.
 */
import fs from "node:fs";
import path from "node:path";
import { type Env, parseWeights, SHOPFRONT_VERSIONS, STACK_NAMES, type Weights } from "../../modules/config";
import type { Finding } from "../../modules/manifests/finding";
import {
  loadManifests,
  parseManifests,
  podsPerVersion,
  readManifestFiles,
  routeWeights,
  SHOPFRONT_VIRTUAL_SERVICE,
} from "../../modules/manifests/model";

/** Bad input or a target that cannot be used: the command-line tool exits with 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** A resolved value and where it came from, for the report ("from GATEWAY_URL"). */
export interface Sourced<T> {
  readonly value: T;
  readonly source: string;
}

/** The stack and outputs that hold the gateway in `cdktf deploy --outputs-file`. */
const ISTIO_STACK = STACK_NAMES.istio;
const OUTPUT_KEYS = { gatewayUrl: "gateway_url", ingressHostname: "ingress_hostname" } as const;

const VIRTUAL_SERVICE = SHOPFRONT_VIRTUAL_SERVICE;

/**
 * A gateway URL from user text. A bare hostname gets `http://`, as the walkthrough's
 * `curl $GATEWAY_URL` does with the load balancer's hostname.
 */
export function gatewayUrl(setting: string, text: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  const accepted = "an http:// or https:// URL or a host name such as a1b2c3.us-east-1.elb.amazonaws.com";
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(`${setting}=${JSON.stringify(text)} is not ${accepted}`);
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.hostname === "") {
    throw new UsageError(`${setting}=${JSON.stringify(text)} is not ${accepted}`);
  }
  return url;
}

export interface UrlInputs {
  /** `--url`, if given. */
  readonly flag?: string;
  readonly env: Env;
  /** The cdktf outputs file (`--outputs-file`), as given: messages name it so. */
  readonly outputsFile: string;
  /** What a relative `outputsFile` is relative to. */
  readonly cwd: string;
}

/** The gateway URL: `--url`, else `GATEWAY_URL`, else the `istio-stack` outputs in the outputs file. */
export function resolveUrl({ flag, env, outputsFile, cwd }: UrlInputs): Sourced<URL> {
  if (flag !== undefined) return { value: gatewayUrl("--url", flag), source: "--url" };
  const fromEnv = env.GATEWAY_URL;
  // Set but empty is an error, not "unset": `export GATEWAY_URL=$(kubectl ...)` before the load
  // balancer has a hostname leaves it empty, and the user should hear about that variable.
  if (fromEnv !== undefined) return { value: gatewayUrl("GATEWAY_URL", fromEnv), source: "GATEWAY_URL" };
  const file = path.resolve(cwd, outputsFile);
  if (!fs.existsSync(file)) {
    throw new UsageError(
      `no gateway URL: pass --url, set GATEWAY_URL, or deploy with \`cdktf deploy ${ISTIO_STACK} --outputs-file ${outputsFile}\` (${outputsFile} does not exist)`,
    );
  }
  let outputs: unknown;
  try {
    outputs = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new UsageError(`${outputsFile} is not a cdktf outputs file: ${(error as Error).message}`);
  }
  const stack = (outputs as Record<string, Record<string, unknown> | undefined> | null)?.[ISTIO_STACK];
  for (const key of [OUTPUT_KEYS.gatewayUrl, OUTPUT_KEYS.ingressHostname]) {
    const value = stack?.[key];
    if (typeof value === "string" && value.trim() !== "") {
      const setting = `${outputsFile} ${ISTIO_STACK}.${key}`;
      return { value: gatewayUrl(setting, value), source: `${outputsFile} (${ISTIO_STACK}.${key})` };
    }
  }
  throw new UsageError(
    `no gateway URL: ${outputsFile} has no ${ISTIO_STACK} output ${OUTPUT_KEYS.gatewayUrl} or ${OUTPUT_KEYS.ingressHostname}; pass --url or set GATEWAY_URL`,
  );
}

export interface WeightInputs {
  /** `--expect`, if given. */
  readonly flag?: string;
  readonly env: Env;
  /** The manifest holding the VirtualService (`--manifests`), as given: messages name it so. */
  readonly manifestsFile: string;
  /** What a relative `manifestsFile` is relative to. */
  readonly cwd: string;
}

function parsedWeights(setting: string, text: string): Weights {
  const { weights, problems } = parseWeights(setting, text, SHOPFRONT_VERSIONS);
  // One line per error, as scripts read it: the first problem is enough to act on.
  if (problems.length > 0) throw new UsageError(problems[0]);
  return weights;
}

/** The expected split: `--expect`, else `SHOPFRONT_WEIGHTS`, else the VirtualService in the manifests. */
export function resolveExpected({ flag, env, manifestsFile, cwd }: WeightInputs): Sourced<Weights> {
  if (flag !== undefined) return { value: parsedWeights("--expect", flag), source: "--expect" };
  const fromEnv = env.SHOPFRONT_WEIGHTS;
  if (fromEnv !== undefined) {
    return { value: parsedWeights("SHOPFRONT_WEIGHTS", fromEnv), source: "SHOPFRONT_WEIGHTS" };
  }
  const file = path.resolve(cwd, manifestsFile);
  if (!fs.existsSync(file)) {
    throw new UsageError(
      `no expected weights: pass --expect v1=50,v2=30,v3=15,v4=5, set SHOPFRONT_WEIGHTS, or keep the VirtualService ${VIRTUAL_SERVICE} in ${manifestsFile} (it does not exist)`,
    );
  }
  return { value: weightsFromManifest(file, manifestsFile), source: manifestsFile };
}

/** Documents that are YAML but not Kubernetes objects are not this tool's concern. */
const notYaml = (finding: Finding) => finding.message.startsWith("not valid YAML");

/** The weights of the first HTTP route of the shopfront VirtualService in `file` (`name` in messages). */
export function weightsFromManifest(file: string, name = file): Weights {
  const parsed = parseManifests(readManifestFiles([file]));
  const broken = parsed.findings.find(notYaml);
  if (broken !== undefined) throw new UsageError(`${name} is ${broken.message}`);
  const weights = routeWeights(parsed.documents);
  if (weights === undefined) {
    throw new UsageError(
      `no expected weights: ${name} has no VirtualService ${VIRTUAL_SERVICE} with spec.http[0].route; pass --expect or set SHOPFRONT_WEIGHTS`,
    );
  }
  const text = Object.entries(weights)
    .map(([subset, weight]) => `${subset}=${weight}`)
    .join(",");
  return parsedWeights(`${name} ${VIRTUAL_SERVICE}`, text);
}

/**
 * How many pods serve `version`, from the Deployments in the YAML files beside the manifest;
 * undefined when no Deployment of that version is there.
 */
export function replicasFromManifests(manifestsFile: string, version: string): number | undefined {
  const directory = path.dirname(manifestsFile);
  if (!fs.existsSync(directory)) return undefined;
  // A routing API's folder (manifests/routing-istio/) holds routes; the Deployments are in the folder above.
  const directories = /^routing-/.test(path.basename(directory))
    ? [directory, path.dirname(directory)]
    : [directory];
  let replicas: number | undefined;
  for (const dir of directories) {
    const parsed = loadManifests(dir);
    const broken = parsed.findings.find(notYaml);
    if (broken !== undefined) throw new UsageError(`${broken.file} is ${broken.message}`);
    const count = podsPerVersion(parsed.documents)[version];
    if (count !== undefined) replicas = (replicas ?? 0) + count;
  }
  return replicas;
}
