// Runs the CDKTF app (main.ts) as compiled JavaScript, the fastest cold synth this project measured
// (npm run bench; docs/development.md): esbuild compiles the project's own TypeScript into one file
// (npm packages stay external, so Node loads them natively) and Node runs it in this process. The
// file is rebuilt only when one of its inputs changed since the last build. No type-checking here:
// `npm run typecheck` does that.
const fs = require("node:fs");
const path = require("node:path");
const { enableCompileCache } = require("node:module");

const root = path.resolve(__dirname, "..");
const buildDir = path.join(root, ".build");
const outfile = path.join(buildDir, "main.js");
const metafile = path.join(buildDir, "main.meta.json");

// Node 22.1 and later keep V8's compiled code between runs (cdktf alone takes a third of a second
// to load); Node 20 has no such cache and runs without it.
enableCompileCache?.(path.join(buildDir, "compile-cache"));

/** True when the last build's output exists and none of its inputs is newer than it. */
function upToDate() {
  try {
    const built = fs.statSync(outfile).mtimeMs;
    const { inputs } = JSON.parse(fs.readFileSync(metafile, "utf8"));
    return Object.keys(inputs).every((input) => fs.statSync(path.join(root, input)).mtimeMs <= built);
  } catch {
    return false;
  }
}

if (!upToDate()) {
  const result = require("esbuild").buildSync({
    absWorkingDir: root,
    entryPoints: ["main.ts"],
    outfile,
    bundle: true,
    packages: "external",
    platform: "node",
    target: "node20",
    format: "cjs",
    sourcemap: "inline",
    metafile: true,
    logLevel: "warning",
  });
  fs.writeFileSync(metafile, JSON.stringify(result.metafile));
}
process.setSourceMapsEnabled(true);
require(outfile);
