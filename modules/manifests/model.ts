/**
 * The one model of the manifests: loads Kubernetes manifests (multi-document YAML) keeping each
 * document's file, reads and rewrites the route weights of a VirtualService, and counts pods per
 * version. The shopfront construct, `npm run analyze` and the traffic tool all read the manifests
 * through it, so that what is checked is exactly what is deployed and measured.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import type { Weights } from "../settings/sections/shopfront";
import { type Finding, resourceName } from "./finding";

/** The VirtualService whose route weights SHOPFRONT_WEIGHTS (and the analyzer's --weights) set. */
export const SHOPFRONT_VIRTUAL_SERVICE = "shopfront-virtual-service";

/** A manifest file: its path as shown in findings, and its text. */
export interface ManifestFile {
  readonly path: string;
  readonly text: string;
}

/** What every Kubernetes object has; the checks validate the rest against the object's schema. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
  };
  readonly [field: string]: unknown;
}

/** One YAML document of a manifest file. */
export interface ManifestDocument {
  readonly file: string;
  /** Position in the file, from 0. */
  readonly index: number;
  readonly object: KubeObject;
}

/** The documents of a set of files, and what could not be read as Kubernetes objects. */
export interface ParsedManifests {
  readonly documents: ManifestDocument[];
  readonly findings: Finding[];
}

/** The `.yaml` and `.yml` files of a folder, sorted, as paths under `dir`. */
export function manifestPathsIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => join(dir, name));
}

export function readManifestFiles(paths: readonly string[]): ManifestFile[] {
  return paths.map((path) => ({ path, text: readFileSync(path, "utf8") }));
}

/** Every document of the YAML files of `dir`, named by path under `dir`. */
export function loadManifests(dir: string): ParsedManifests {
  return parseManifests(readManifestFiles(manifestPathsIn(dir)));
}

/** A YAML parser's message can quote a whole line of the input: findings keep it short. */
const MAX_MESSAGE = 120;

function shortened(text: string): string {
  const line = text.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
  return line.length > MAX_MESSAGE ? `${line.slice(0, MAX_MESSAGE - 3)}...` : line;
}

/**
 * Parses every document of every file. A document that is not YAML, or not a Kubernetes object with
 * a string apiVersion, kind and metadata.name, becomes a finding instead; empty documents are skipped.
 * A file that is not YAML at all (a README, a binary) gives one finding, on its first error.
 */
export function parseManifests(files: readonly ManifestFile[]): ParsedManifests {
  const documents: ManifestDocument[] = [];
  const findings: Finding[] = [];
  for (const file of files) {
    parseAllDocuments(file.text, { version: "1.1" }).some((document, index) => {
      const problem = (field: string, message: string) =>
        findings.push({
          severity: "error",
          file: file.path,
          resource: `document ${index + 1}`,
          field,
          message,
        });
      if (document.errors.length > 0) {
        const [error] = document.errors;
        problem(`line ${error.linePos?.[0].line ?? "?"}`, `not valid YAML: ${shortened(error.message)}`);
        // Later documents of a broken file only repeat the mistake.
        return true;
      }
      const object: unknown = document.toJS();
      if (object === null || object === undefined) return false;
      if (!isKubeObject(object)) {
        problem("", "not a Kubernetes object: apiVersion, kind and metadata.name must be strings");
        return false;
      }
      documents.push({ file: file.path, index, object });
      return false;
    });
  }
  return { documents, findings };
}

function isKubeObject(value: unknown): value is KubeObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const { apiVersion, kind, metadata } = value as Record<string, unknown>;
  return (
    typeof apiVersion === "string" &&
    typeof kind === "string" &&
    typeof metadata === "object" &&
    metadata !== null &&
    typeof (metadata as Record<string, unknown>).name === "string"
  );
}

interface RouteDestination {
  readonly destination?: { readonly host?: string; readonly subset?: string };
  readonly weight?: number;
}

interface RoutedSpec {
  readonly http?: readonly { readonly route?: readonly RouteDestination[] }[];
}

function isVirtualService(document: ManifestDocument, name: string): boolean {
  return document.object.kind === "VirtualService" && document.object.metadata.name === name;
}

/**
 * Subset weights of the first HTTP route of VirtualService `virtualService`, as Istio splits them: a
 * lone destination without a weight takes everything, an unweighted one among several nothing.
 * Undefined when there is no such VirtualService or it has no HTTP route.
 */
export function routeWeights(
  documents: readonly ManifestDocument[],
  virtualService = SHOPFRONT_VIRTUAL_SERVICE,
): Weights | undefined {
  const document = documents.find((candidate) => isVirtualService(candidate, virtualService));
  const route = (document?.object.spec as RoutedSpec | undefined)?.http?.[0]?.route;
  if (route === undefined || route.length === 0) return undefined;
  return Object.fromEntries(
    route.map((entry) => [String(entry.destination?.subset), entry.weight ?? (route.length === 1 ? 100 : 0)]),
  );
}

/**
 * Returns the documents with the HTTP routes of VirtualService `virtualService` that go to subsets
 * replaced by one destination per entry of `weights`, in its order, keeping the route's host and
 * port and the rule's other fields (its timeout and retries). Subsets missing from the manifest's
 * route are added, so the weights alone decide the split; the checks then verify that each one is
 * defined. Throws if there is no such route to rewrite.
 */
export function withRouteWeights(
  documents: readonly ManifestDocument[],
  weights: Weights,
  virtualService = SHOPFRONT_VIRTUAL_SERVICE,
): ManifestDocument[] {
  let rewritten = 0;
  const result = documents.map((document) => {
    const { object } = document;
    if (!isVirtualService(document, virtualService)) return document;
    const spec = (object.spec ?? {}) as RoutedSpec;
    const http = (spec.http ?? []).map((rule) => {
      const route = rule.route ?? [];
      if (!route.some((entry) => entry.destination?.subset !== undefined)) return rule;
      const hosts = new Set(route.map((entry) => entry.destination?.host));
      if (hosts.size !== 1) {
        throw new Error(
          `cannot set route weights in ${document.file}: ${resourceName(object)} has a route to several hosts (${[...hosts].join(", ")})`,
        );
      }
      rewritten++;
      return {
        ...rule,
        route: Object.entries(weights).map(([subset, weight]) => ({
          destination: { ...route[0].destination, subset },
          weight,
        })),
      };
    });
    return { ...document, object: { ...object, spec: { ...spec, http } } };
  });
  if (rewritten === 0) {
    throw new Error(
      `cannot set route weights: no VirtualService/${virtualService} with an HTTP route to subsets`,
    );
  }
  return result;
}

interface DeploymentSpec {
  readonly replicas?: unknown;
  readonly template?: { readonly metadata?: { readonly labels?: Readonly<Record<string, unknown>> } };
}

/**
 * How many pods run each version: the Deployments' `replicas` (1 when unset, as in Kubernetes) summed
 * by their pod template's `version` label. Deployments without that label are left out.
 */
export function podsPerVersion(documents: readonly ManifestDocument[]): Record<string, number> {
  const pods: Record<string, number> = {};
  for (const { object } of documents) {
    if (object.kind !== "Deployment") continue;
    const spec = (object.spec ?? {}) as DeploymentSpec;
    const version = spec.template?.metadata?.labels?.version;
    if (typeof version !== "string") continue;
    pods[version] = (pods[version] ?? 0) + (typeof spec.replicas === "number" ? spec.replicas : 1);
  }
  return pods;
}
