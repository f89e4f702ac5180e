// Runs the CDKTF app (main.ts) as compiled JavaScript, the fastest way this project measured
// (npm run bench): esbuild compiles the project's own TypeScript into one file (npm packages stay
// external) and Node runs it in this same process. The file is rebuilt only when one of its inputs
// changed since the last build. No type-checking here: `npm run typecheck` does that.

// V8's compiled code for every module this process loads (cdktf alone takes a third of a second to
// load), kept between runs in the OS temp folder.
require("v8-compile-cache");
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const outfile = path.join(root, ".build", "main.js");
const metafile = path.join(root, ".build", "main.meta.json");

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
