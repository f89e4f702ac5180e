// Runs the CDKTF app (main.ts) as compiled JavaScript, the fastest way this project measured
// (npm run bench): esbuild compiles the project's own TypeScript into one file in a few tens of
// milliseconds, npm packages stay external, and Node runs it in this same process. No type-checking
// here: `npm run typecheck` does that.
const path = require("node:path");
const { buildSync } = require("esbuild");

const root = path.resolve(__dirname, "..");
const outfile = path.join(root, ".build", "main.js");
buildSync({
  entryPoints: [path.join(root, "main.ts")],
  outfile,
  bundle: true,
  packages: "external",
  platform: "node",
  target: "node20",
  format: "cjs",
  sourcemap: "inline",
  logLevel: "warning",
});
process.setSourceMapsEnabled(true);
require(outfile);
