// `npm run canary`: runs the canary as one prebuilt JavaScript file, as `npm run traffic` runs the
// traffic tool (tools/traffic/launch.js): esbuild bundles cli.ts and its dependencies once into
// .build/tools/canary/, and again only when an input changed (tools/compiled.js).

// Its HTTP client, the traffic tool's undici 8, needs Node 22.19 or later.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  process.stderr.write(
    `error: the canary needs Node 22.19 or later; this is Node ${process.versions.node}\n`,
  );
  process.exit(2);
}
require("../compiled").runCompiled({ entry: "tools/canary/cli.ts", bundlePackages: true });
