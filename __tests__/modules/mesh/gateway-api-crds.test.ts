import {
  GatewayApiCrds,
  type GatewayApiRelease,
  gatewayApiFileUrl,
} from "../../../modules/mesh/gateway-api-crds";
import { VERSIONS } from "../../../modules/settings/versions";
import { teardownConfiguration } from "../../../stacks/teardown";
import { synthScope } from "../../helpers";

// biome-ignore lint/suspicious/noExplicitAny: synthesized Terraform JSON, read field by field.
type Json = any;

function synthesize(release: GatewayApiRelease = VERSIONS.gatewayApi): Json {
  return JSON.parse(
    synthScope((stack) => {
      new GatewayApiCrds(stack, "crds", { release });
    }),
  );
}

describe("GatewayApiCrds", () => {
  const json = synthesize();
  const sources: Record<string, Json> = json.data.http;
  const manifests: Record<string, Json> = json.resource.kubernetes_manifest;

  it("pins one Gateway API release, standard channel, by tag, commit and the sha256 of each of its 11 files", () => {
    const { tag, commit, files } = VERSIONS.gatewayApi;
    expect(tag).toBe("v1.6.1");
    expect(commit).toMatch(/^[0-9a-f]{40}$/);
    expect(Object.keys(files)).toHaveLength(11);
    for (const [file, sha256] of Object.entries(files)) {
      expect(file).toMatch(/^gateway\.networking\.k8s\.io_[a-z_]+\.yaml$/);
      expect(sha256).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it("fetches each file from the tagged tree at deploy time, and refuses it unless its sha256 is the pinned one", () => {
    expect(Object.keys(sources)).toHaveLength(11);
    for (const [file, sha256] of Object.entries(VERSIONS.gatewayApi.files)) {
      const source = Object.values(sources).find(
        (s) => s.url === gatewayApiFileUrl(VERSIONS.gatewayApi, file),
      );
      expect(source.url).toBe(
        `https://raw.githubusercontent.com/kubernetes-sigs/gateway-api/v1.6.1/config/crd/standard/${file}`,
      );
      const [status, digest] = source.lifecycle.postcondition;
      expect(status.condition).toBe("${self.status_code == 200}");
      expect(digest.condition).toBe(`\${sha256(self.response_body) == "${sha256}"}`);
      expect(digest.error_message).toContain(file);
      expect(digest.error_message).toContain(sha256);
    }
  });

  it("applies each CRD file as one object, and the admission policy file as its two documents", () => {
    expect(Object.keys(manifests)).toHaveLength(12);
    const decoded = Object.values(manifests).map((m) => m.manifest as string);
    for (const [id] of Object.entries(sources)) {
      const uses = decoded.filter((expression) => expression.includes(`data.http.${id}.response_body`));
      expect(uses).toHaveLength(id.includes("vap_safeupgrades") ? 2 : 1);
    }
    const vap = decoded.filter((expression) => expression.includes("vap_safeupgrades"));
    expect(vap.sort()).toEqual([
      expect.stringMatching(
        /^\$\{yamldecode\(element\(split\("\\n---\\n", data\.http\.[^)]+\.response_body\), 0\)\)\}$/,
      ),
      expect.stringMatching(
        /^\$\{yamldecode\(element\(split\("\\n---\\n", data\.http\.[^)]+\.response_body\), 1\)\)\}$/,
      ),
    ]);
    for (const manifest of Object.values(manifests)) {
      expect(manifest.field_manager).toEqual({ name: "istio-stack", force_conflicts: true });
    }
  });

  it("is read at deploy only: the teardown configuration leaves out every source and every manifest, which a destroy removes from the state", () => {
    const { stack, leftOut } = teardownConfiguration(json);
    expect(leftOut).toEqual(
      [
        ...Object.keys(sources).map((id) => `data.http.${id}`),
        ...Object.keys(manifests).map((id) => `kubernetes_manifest.${id}`),
      ].sort(),
    );
    expect(stack.data).toBeUndefined();
    expect(Object.keys(stack.resource)).toEqual(["terraform_data"]);
  });

  it("follows another release's table", () => {
    const other = synthesize({ tag: "v9.9.9", commit: "0".repeat(40), files: { "x.yaml": "a".repeat(64) } });
    expect(Object.values(other.data.http as Record<string, Json>).map((s) => s.url)).toEqual([
      "https://raw.githubusercontent.com/kubernetes-sigs/gateway-api/v9.9.9/config/crd/standard/x.yaml",
    ]);
  });
});
