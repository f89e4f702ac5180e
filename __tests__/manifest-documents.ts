/**
 * The manifests as the manifest model parses them, for the tests of the model, its checks and the
 * mesh variants' manifests: a variant's documents, a deep copy of them edited, and the error finding
 * the checks report.
 */
import type { Finding } from "../modules/manifests/finding";
import {
  type ManifestDocument,
  type ParsedManifests,
  parseManifests,
  readManifestFiles,
} from "../modules/manifests/model";
import { DEFAULT_MESH_VARIANT, type MeshVariant } from "../modules/mesh/mesh-variant";
import { shopfrontManifestPaths } from "../modules/shopfront/variants";

// biome-ignore lint/suspicious/noExplicitAny: the tests break parsed objects in ways no type allows.
export type Editable = any;

/** The shopfront's namespace, where objectOf looks unless told another. */
const NAMESPACE = "miztiik-automation-ns";

/** The manifests of `variant`, parsed: by default the walkthrough's, the shared files, sidecar/ and routing-istio/. */
export function variantManifests(variant: MeshVariant = DEFAULT_MESH_VARIANT): ParsedManifests {
  return parseManifests(readManifestFiles(shopfrontManifestPaths("manifests", variant)));
}

/** True when `document` is the object `kind`/`name` of `namespace` (a Namespace is in its own). */
export function isObject(document: ManifestDocument, kind: string, name: string, namespace = NAMESPACE) {
  const { metadata } = document.object;
  return (
    document.object.kind === kind && metadata.name === name && (metadata.namespace ?? name) === namespace
  );
}

/** Finds an object by kind and name, in the shopfront's namespace unless told another. */
export type ObjectOf = (kind: string, name: string, namespace?: string) => Editable;

/** `documents`, deep-copied, after `edit` changed their parsed objects, found with `objectOf`. */
export function editedCopy(
  documents: readonly ManifestDocument[],
  edit: (objectOf: ObjectOf) => void,
): ManifestDocument[] {
  const copy = structuredClone([...documents]);
  edit((kind, name, namespace = NAMESPACE) => {
    const document = copy.find((d) => isObject(d, kind, name, namespace));
    if (document === undefined) throw new Error(`no ${kind}/${name} in namespace ${namespace} in manifests/`);
    return document.object as Editable;
  });
  return copy;
}

/** The error finding on `field` of `resource` in `file`, its message matching `message`. */
export function error(file: string, resource: string, field: string, message: RegExp): Finding {
  return { severity: "error", file, resource, field, message: expect.stringMatching(message) };
}
