// `npm run traffic`: runs the traffic tool as one prebuilt JavaScript file. Compiling its TypeScript
// on every run (tsx) cost about 0.6 CPU seconds, more than the requests of a short run: esbuild
// bundles cli.ts with its dependencies, npm packages included, into .build/tools/traffic/ once,
// and again only when an input changed (a source file, or node_modules after an install), through
// tools/compiled.js.

// Its HTTP client, undici 8, needs Node 22.19 or later, and fails to load on older versions.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  process.stderr.write(
    `error: the traffic tool needs Node 22.19 or later; this is Node ${process.versions.node}\n`,
  );
  process.exit(2);
}
require("../compiled").runCompiled({ entry: "tools/traffic/cli.ts", bundlePackages: true });
