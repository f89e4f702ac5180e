/**
 * Loads Kubernetes manifests (multi-document YAML) keeping each document's file, and rewrites the
 * route weights of a VirtualService. Shared by the analyzer's command line and modules/shopfront.ts,
 * so that what is analyzed is exactly what is deployed.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import type { Weights } from "../../modules/config";
import type { Finding } from "./finding";

/** The VirtualService whose route weights SHOPFRONT_WEIGHTS (and the analyzer's --weights) set. */
export const SHOPFRONT_VIRTUAL_SERVICE = "shopfront-virtual-service";

/** A manifest file: its path as shown in findings, and its text. */
export interface ManifestFile {
  readonly path: string;
  readonly text: string;
}

/** What every Kubernetes object has; the analyzer checks the rest against the object's schema. */
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

/** `Kind/name`, as findings and error messages name a resource. */
export function resourceName(object: KubeObject): string {
  return `${object.kind}/${object.metadata.name}`;
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

/**
 * Parses every document of every file. A document that is not YAML, or not a Kubernetes object with
 * a string apiVersion, kind and metadata.name, becomes a finding instead; empty documents are skipped.
 */
export function parseManifests(files: readonly ManifestFile[]): {
  documents: ManifestDocument[];
  findings: Finding[];
} {
  const documents: ManifestDocument[] = [];
  const findings: Finding[] = [];
  for (const file of files) {
    parseAllDocuments(file.text, { version: "1.1" }).forEach((document, index) => {
      const problem = (field: string, message: string) =>
        findings.push({
          severity: "error",
          file: file.path,
          resource: `document ${index + 1}`,
          field,
          message,
        });
      if (document.errors.length > 0) {
        for (const error of document.errors) {
          problem(
            `line ${error.linePos?.[0].line ?? "?"}`,
            `not valid YAML: ${error.message.split("\n")[0].replace(/ at line \d+, column \d+:$/, "")}`,
          );
        }
        return;
      }
      const object: unknown = document.toJS();
      if (object === null || object === undefined) return;
      if (!isKubeObject(object)) {
        problem("", "not a Kubernetes object: apiVersion, kind and metadata.name must be strings");
        return;
      }
      documents.push({ file: file.path, index, object });
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

/**
 * Returns the documents with the HTTP routes of VirtualService `virtualService` that go to subsets
 * replaced by one destination per entry of `weights`, in its order, keeping the route's host and
 * port and the rule's other fields (its timeout and retries). Subsets missing from the manifest's
 * route are added, so the weights alone decide the split; the analyzer then checks that each one is
 * defined. Throws if there is no such route to rewrite.
 */
export function withRouteWeights(
  documents: readonly ManifestDocument[],
  weights: Weights,
  virtualService: string,
): ManifestDocument[] {
  let rewritten = 0;
  const result = documents.map((document) => {
    const { object } = document;
    if (object.kind !== "VirtualService" || object.metadata.name !== virtualService) return document;
    const spec = (object.spec ?? {}) as {
      readonly http?: readonly { readonly route?: readonly RouteDestination[] }[];
    };
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
