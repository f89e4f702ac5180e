/**
 * The analyzer's verdict, remembered on disk by what decides it: the documents, the options, the
 * analyzer's own source and the schema packages' versions. Schema validation compiles the Istio
 * schemas with ajv on every run (about 0.2 s, a quarter of a synth); a synth of unchanged manifests
 * reuses the verdict instead. Any change to any of those inputs misses the cache and analyzes anew.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AnalyzeOptions } from "./analyzer";
import type { Finding } from "./finding";
import type { ManifestDocument } from "./manifests";

/** This folder, whether this file runs from here or from the esbuild bundle in .build/. */
const ANALYZER_DIR = existsSync(join(__dirname, "analyzer.ts"))
  ? __dirname
  : join(__dirname, "..", "tools", "analyze");

function analyzerIdentity(): string {
  const hash = createHash("sha256");
  const dir = ANALYZER_DIR;
  for (const file of readdirSync(dir).sort()) {
    if (file.endsWith(".ts")) hash.update(file).update(readFileSync(join(dir, file)));
  }
  for (const pkg of ["kubernetes-models", "@kubernetes-models/istio"]) {
    hash.update(pkg).update(JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), "utf8")).version);
  }
  return hash.digest("hex");
}

/** `analyze(documents, options)`, or its remembered verdict for exactly these inputs. */
export function analyzeCached(
  documents: readonly ManifestDocument[],
  options: AnalyzeOptions,
  cacheDir: string,
): Finding[] {
  const key = createHash("sha256")
    .update(analyzerIdentity())
    .update(JSON.stringify({ documents, options }))
    .digest("hex");
  const file = join(cacheDir, `${key}.json`);
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Finding[];
  } catch {
    // Not analyzed yet with these inputs.
  }
  // Loaded only on a miss: the schema packages and ajv take a tenth of a second just to load.
  const { analyze } = require("./analyzer") as typeof import("./analyzer");
  const findings = analyze(documents, options);
  mkdirSync(cacheDir, { recursive: true });
  // Write then rename: parallel synths (jest workers) never read half a file.
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, JSON.stringify(findings));
  renameSync(partial, file);
  return findings;
}
