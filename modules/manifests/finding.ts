/** What a finding needs of a manifest document: its file and its object's kind and name. */
interface LocatedObject {
  readonly file: string;
  readonly object: { readonly kind: string; readonly metadata: { readonly name: string } };
}

/** `Kind/name`, as findings and error messages name a resource. */
export function resourceName(object: LocatedObject["object"]): string {
  return `${object.kind}/${object.metadata.name}`;
}

/** One problem the manifest checks found, located as precisely as a user needs to fix it. */
export interface Finding {
  /** Errors make `npm run analyze` exit non-zero and synth refuse to write; warnings are only reported. */
  readonly severity: "error" | "warning";
  /** The manifest file, as given (relative to the working directory for the defaults). */
  readonly file: string;
  /** `Kind/name`, or `document N` for a document that is not a Kubernetes object. */
  readonly resource: string;
  /** Path of the offending field, such as `spec.http[0].route[1].weight`. */
  readonly field: string;
  readonly message: string;
}

/** `file: Kind/name: field: message`, with a `warning:` marker before the message of warnings. */
export function formatFinding(finding: Finding): string {
  const message = finding.severity === "warning" ? `warning: ${finding.message}` : finding.message;
  return [finding.file, finding.resource, finding.field, message].join(": ");
}

/** A field path from its segments: `["spec", "http", 0, "route"]` gives `spec.http[0].route`. */
export function fieldPath(segments: readonly (string | number)[]): string {
  return segments
    .map((segment, index) => {
      if (typeof segment === "number") return `[${segment}]`;
      if (/^[A-Za-z_][\w-]*$/.test(segment)) return index === 0 ? segment : `.${segment}`;
      return `[${JSON.stringify(segment)}]`;
    })
    .join("");
}

/** A finding on `document`, at the field whose path segments are `field`. */
export function finding(
  document: LocatedObject,
  field: readonly (string | number)[],
  message: string,
  severity: Finding["severity"] = "error",
): Finding {
  return {
    severity,
    file: document.file,
    resource: resourceName(document.object),
    field: fieldPath(field),
    message,
  };
}
