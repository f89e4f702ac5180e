/**
 * Validates each object against its kind's upstream schema, from the kubernetes-models packages,
 * with unknown fields an error: the API server prunes unknown fields from Istio's CRDs, so a typo
 * would silently vanish. A kind that no registered package models is validated as far as it can be
 * (apiVersion, kind, metadata), never refused for being unknown.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { type Finding, finding } from "./finding";
import type { ManifestDocument } from "./model";

/**
 * The schema packages, searched in this order. Each lays out one model per kind as
 * `<group>/<version>/<Kind>.js` (the core group as `<version>/<Kind>.js`); registering another such
 * package (say @kubernetes-models/cert-manager) is one line here.
 */
export const SCHEMA_PACKAGES = [
  "kubernetes-models",
  "@kubernetes-models/istio",
  "@kubernetes-models/gateway-api",
] as const;

/** The shape of the errors that the models' validators (Ajv) report. */
interface SchemaError {
  readonly instancePath: string;
  readonly keyword: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly message?: string;
}

type Validator = (object: unknown) => readonly SchemaError[];

// The packages are ES modules, which Node 20.19+, 22.12+ and 24 load synchronously through require()
// (jest compiles them instead: package.json); their "exports" offer only the "import" condition, so
// each model is required by its file path.
const nativeRequire = createRequire(__filename);
const packageDirs = new Map<string, string | undefined>();
const validators = new Map<string, Validator | undefined>();

function packageDir(name: string): string | undefined {
  if (!packageDirs.has(name)) {
    const found = (nativeRequire.resolve.paths(name) ?? [])
      .map((modules) => join(modules, name))
      .find((dir) => existsSync(join(dir, "package.json")));
    packageDirs.set(name, found);
  }
  return packageDirs.get(name);
}

/** The validator of `apiVersion` `kind` from the first package that models it, or undefined. */
function validatorFor(apiVersion: string, kind: string): Validator | undefined {
  const key = `${apiVersion}/${kind}`;
  if (validators.has(key)) return validators.get(key);
  // Path segments only: an apiVersion such as "../x" must not reach outside the package.
  const safe = /^([a-z0-9.-]+\/)?v[a-z0-9]+$/.test(apiVersion) && /^[A-Z][A-Za-z0-9]*$/.test(kind);
  let validator: Validator | undefined;
  for (const name of safe ? SCHEMA_PACKAGES : []) {
    const dir = packageDir(name);
    const file = dir === undefined ? undefined : join(dir, apiVersion, `${kind}.js`);
    if (file === undefined || !existsSync(file)) continue;
    const model = (nativeRequire(file) as Record<string, { prototype: { validate(): void } }>)[kind];
    if (model === undefined) continue;
    validator = (object) => {
      try {
        // The model's validate() runs the kind's compiled schema on `this`.
        model.prototype.validate.call(object);
        return [];
      } catch (error) {
        const errors = (error as { errors?: unknown }).errors;
        if (!Array.isArray(errors)) throw error;
        return errors as SchemaError[];
      }
    };
    break;
  }
  validators.set(key, validator);
  return validator;
}

/** Schema findings for one object: its kind's schema, or the fields every object has. */
export function checkSchema(document: ManifestDocument): Finding[] {
  const { object } = document;
  const validator = validatorFor(object.apiVersion, object.kind);
  if (validator === undefined) return checkObjectBasics(document);
  const { proxy, unknownFields } = readTracker(object);
  const findings = [
    ...validator(proxy).map((error) => schemaFinding(document, error)),
    ...unknownFields().map((segments) =>
      finding(document, segments, "is not a field of this kind: the API server would drop it"),
    ),
  ];
  // Ajv can report one mistake through several schema branches with the same text.
  const seen = new Set<string>();
  return findings.filter(
    (f) => !seen.has(`${f.field}: ${f.message}`) && seen.add(`${f.field}: ${f.message}`),
  );
}

/** What the API server checks of any object: a group/version, a kind, and a metadata object. */
function checkObjectBasics(document: ManifestDocument): Finding[] {
  const { apiVersion, kind } = document.object;
  const findings: Finding[] = [];
  if (
    !/^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?v\d+([a-z]+\d+)?$/.test(apiVersion)
  ) {
    findings.push(
      finding(
        document,
        ["apiVersion"],
        `${JSON.stringify(apiVersion)} is not a group/version such as apps/v1`,
      ),
    );
  }
  if (!/^[A-Z][A-Za-z0-9]*$/.test(kind)) {
    findings.push(finding(document, ["kind"], `${JSON.stringify(kind)} is not a kind such as ConfigMap`));
  }
  return findings;
}

/**
 * A view of `object` that records which fields a validator reads. The models' compiled schemas read
 * every field their schema declares, and enumerate the keys of maps (labels, free-form values); a
 * field of an object that the validator read others of, but never this one, is unknown to the schema.
 */
function readTracker(object: object): { proxy: unknown; unknownFields: () => (string | number)[][] } {
  interface Node {
    readonly value: Record<string, unknown>;
    readonly path: (string | number)[];
    readonly read: Set<string>;
    enumerated: boolean;
  }
  const nodes: Node[] = [];
  const proxies = new WeakMap<object, unknown>();
  const wrap = (value: unknown, path: (string | number)[]): unknown => {
    if (typeof value !== "object" || value === null) return value;
    const cached = proxies.get(value);
    if (cached !== undefined) return cached;
    const node: Node = { value: value as Record<string, unknown>, path, read: new Set(), enumerated: false };
    if (!Array.isArray(value)) nodes.push(node);
    const proxy = new Proxy(value, {
      get(target, key, receiver) {
        const item = Reflect.get(target, key, receiver);
        if (typeof key !== "string") return item;
        node.read.add(key);
        const segment = Array.isArray(target) && /^\d+$/.test(key) ? Number(key) : key;
        return Object.hasOwn(target, key) ? wrap(item, [...path, segment]) : item;
      },
      has(target, key) {
        if (typeof key === "string") node.read.add(key);
        return Reflect.has(target, key);
      },
      ownKeys(target) {
        node.enumerated = true;
        return Reflect.ownKeys(target);
      },
    });
    proxies.set(value, proxy);
    return proxy;
  };
  const proxy = wrap(object, []);
  const unknownFields = () =>
    nodes
      .filter((node) => !node.enumerated && node.read.size > 0)
      .flatMap((node) =>
        Object.keys(node.value)
          .filter((key) => !node.read.has(key))
          .map((key) => [...node.path, key]),
      );
  return { proxy, unknownFields };
}

function schemaFinding(document: ManifestDocument, error: SchemaError): Finding {
  const segments: (string | number)[] = error.instancePath
    .split("/")
    .slice(1)
    .map((segment) => segment.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
  if (error.keyword === "required") {
    return finding(document, [...segments, String(error.params.missingProperty)], "is required");
  }
  const got = JSON.stringify(valueAt(document.object, segments));
  if (error.keyword === "enum") {
    const allowed = (error.params.allowedValues as readonly unknown[]).join(", ");
    return finding(document, segments, `must be one of ${allowed} (got ${got})`);
  }
  return finding(document, segments, `${error.message ?? error.keyword} (got ${got})`);
}

function valueAt(value: unknown, segments: readonly (string | number)[]): unknown {
  return segments.reduce<unknown>(
    (current, segment) =>
      typeof current === "object" && current !== null
        ? (current as Record<string, unknown>)[segment]
        : undefined,
    value,
  );
}
