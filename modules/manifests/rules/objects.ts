import { type Finding, finding, resourceName } from "../finding";
import { namespaceOf } from "../inventory";
import type { ManifestDocument } from "../model";

// The API server's name rules, which the schemas leave out: DNS labels for namespaces and Services
// (a Service's name becomes a DNS label and must start with a letter), DNS subdomains otherwise.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const SERVICE_NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function checkNames(documents: readonly ManifestDocument[]): Finding[] {
  return documents.flatMap((document) => {
    const { kind, metadata } = document.object;
    const [pattern, accepted] =
      kind === "Service"
        ? [SERVICE_NAME, "a DNS label starting with a letter: up to 63 lower-case letters, digits and '-'"]
        : kind === "Namespace"
          ? [DNS_LABEL, "a DNS label: up to 63 lower-case letters, digits and '-'"]
          : [DNS_SUBDOMAIN, "a DNS subdomain: lower-case letters, digits, '-' and '.'"];
    const findings: Finding[] = [];
    if (!pattern.test(metadata.name)) {
      findings.push(
        finding(document, ["metadata", "name"], `${JSON.stringify(metadata.name)} is not ${accepted}`),
      );
    }
    if (metadata.namespace !== undefined && !DNS_LABEL.test(metadata.namespace)) {
      findings.push(
        finding(
          document,
          ["metadata", "namespace"],
          `${JSON.stringify(metadata.namespace)} is not a DNS label: up to 63 lower-case letters, digits and '-'`,
        ),
      );
    }
    return findings;
  });
}

export function checkDuplicates(documents: readonly ManifestDocument[]): Finding[] {
  const firstSeen = new Map<string, ManifestDocument>();
  return documents.flatMap((document) => {
    const key = `${document.object.kind}/${namespaceOf(document)}/${document.object.metadata.name}`;
    const first = firstSeen.get(key);
    if (first === undefined) {
      firstSeen.set(key, document);
      return [];
    }
    return [
      finding(
        document,
        ["metadata", "name"],
        `${resourceName(document.object)} is already defined in namespace ${namespaceOf(document)} by ${first.file} (document ${first.index + 1})`,
      ),
    ];
  });
}
