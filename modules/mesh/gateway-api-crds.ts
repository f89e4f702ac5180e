import { DataHttp } from "@cdktf/provider-http/lib/data-http";
import { Manifest } from "@cdktf/provider-kubernetes/lib/manifest";
import { Fn, type ITerraformDependable, Token } from "cdktf";
import { Construct } from "constructs";
import { STACK_NAMES } from "../settings/names";
import { VERSIONS } from "../settings/versions";

/** A pinned release of the Gateway API's standard-channel CRDs: tag, commit, and each file's sha256. */
export interface GatewayApiRelease {
  readonly tag: string;
  readonly commit: string;
  readonly files: Readonly<Record<string, string>>;
}

/** Where a file of the release is fetched from: GitHub's raw view of the tagged tree. */
export function gatewayApiFileUrl(release: GatewayApiRelease, file: string): string {
  return `https://raw.githubusercontent.com/kubernetes-sigs/gateway-api/${release.tag}/config/crd/standard/${file}`;
}

/** The release's ValidatingAdmissionPolicy file: two YAML documents, the policy and its binding. */
const MULTI_DOCUMENT_FILES: Readonly<Record<string, readonly string[]>> = {
  "gateway.networking.k8s.io_vap_safeupgrades.yaml": ["policy", "binding"],
};

export interface GatewayApiCrdsProps {
  /** The release to install. @default VERSIONS.gatewayApi */
  readonly release?: GatewayApiRelease;
  /** What must exist first (the namespace-free CRDs need only the API server). @default [] */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * The Kubernetes Gateway API CRDs (standard channel), fetched at deploy time file by file from the
 * tagged release and refused unless each file's sha256 is the pinned one: nothing vendored, nothing
 * unchecked applied. Each document becomes a kubernetes_manifest, applied server-side (the
 * HTTPRoute CRD is larger than `kubectl apply`'s client-side annotation allows). Istio's waypoints
 * need these CRDs in either routing API, so they are installed before Istio and removed after it.
 *
 * Only a deploy (or a plan) reads GitHub. The destroy commands synthesize the teardown configuration
 * (stacks/teardown.ts), which leaves these sources and manifests out: Terraform destroys the CRDs from
 * its state, after the Istio releases that the state records as depending on them. An npm package of
 * these files would spare the deploy the fetch too, but none ships them at this release; the options
 * weighed are in docs/ambient-and-gateway-api.md.
 */
export class GatewayApiCrds extends Construct {
  /** Every object of the release, CRDs and admission policy: depend on these to come after. */
  readonly manifests: readonly Manifest[];

  constructor(scope: Construct, id: string, props: GatewayApiCrdsProps = {}) {
    super(scope, id);
    const release = props.release ?? VERSIONS.gatewayApi;
    const manifests: Manifest[] = [];
    for (const [file, sha256] of Object.entries(release.files)) {
      const name = file.replace(/^gateway\.networking\.k8s\.io_/, "").replace(/\.yaml$/, "");
      const url = gatewayApiFileUrl(release, file);
      const source = new DataHttp(this, `${name}-source`, {
        url,
        requestHeaders: { Accept: "text/plain" },
        retry: { attempts: 3, minDelayMs: 1000 },
        lifecycle: {
          postcondition: [
            {
              condition: "${self.status_code == 200}",
              errorMessage: `Gateway API ${release.tag}: ${url} answered \${self.status_code}, not 200`,
            },
            {
              condition: `\${sha256(self.response_body) == "${sha256}"}`,
              errorMessage: `Gateway API ${release.tag}: ${file} has sha256 \${sha256(self.response_body)}, not the pinned ${sha256} (VERSIONS.gatewayApi): refusing to apply it`,
            },
          ],
        },
      });
      const documents = MULTI_DOCUMENT_FILES[file] ?? [undefined];
      documents.forEach((document, index) => {
        // A pinned file's documents are known: split on the YAML separator, decode each.
        const text =
          document === undefined
            ? source.responseBody
            : Fn.element(Fn.split("\n---\n", source.responseBody), index);
        manifests.push(
          new Manifest(this, document === undefined ? name : `${name}-${document}`, {
            manifest: Token.asAnyMap(Fn.yamldecode(text)),
            fieldManager: { name: STACK_NAMES.istio, forceConflicts: true },
            dependsOn: props.dependsOn,
          }),
        );
      });
    }
    this.manifests = manifests;
  }
}
