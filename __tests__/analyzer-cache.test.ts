import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_MESH_VARIANT } from "../modules/mesh-variant";
import { shopfrontManifestPaths } from "../modules/shopfront-manifests";
import { analyze } from "../tools/analyze/analyzer";
import { analyzeCached } from "../tools/analyze/cache";
import { parseManifests, readManifestFiles, withRouteWeights } from "../tools/analyze/manifests";

const documents = parseManifests(
  readManifestFiles(shopfrontManifestPaths("manifests", DEFAULT_MESH_VARIANT)),
).documents;
const freshDir = () => mkdtempSync(join(tmpdir(), "analysis-cache-"));

describe("analyzeCached", () => {
  it("analyzes on a miss, as analyze does, and remembers the verdict", () => {
    const dir = freshDir();
    expect(analyzeCached(documents, {}, dir)).toEqual(analyze(documents, {}));
    expect(readdirSync(dir)).toHaveLength(1);
  });

  it("reuses the remembered verdict for the same inputs", () => {
    const dir = freshDir();
    analyzeCached(documents, {}, dir);
    const [file] = readdirSync(dir);
    const remembered = [
      { severity: "warning", file: "x.yaml", resource: "Kind/x", field: "f", message: "from the cache" },
    ];
    writeFileSync(join(dir, file), JSON.stringify(remembered));
    expect(analyzeCached(documents, {}, dir)).toEqual(remembered);
  });

  it("analyzes anew when a document or an option changes, so errors are never hidden", () => {
    const dir = freshDir();
    analyzeCached(documents, {}, dir);
    const broken = withRouteWeights(
      documents,
      { v1: 60, v2: 30, v3: 15, v4: 5 },
      "shopfront-virtual-service",
    );
    const findings = analyzeCached(broken, {}, dir);
    expect(findings.filter((f) => f.severity === "error").map((f) => f.message)).toEqual([
      expect.stringContaining("weights add up to 110"),
    ]);
    analyzeCached(documents, { ingressGatewayPrincipal: "cluster.local/ns/other/sa/gateway" }, dir);
    expect(readdirSync(dir)).toHaveLength(3);
  });
});
