// `node tools/app.js [entry.ts] [args...]`: runs a TypeScript entry point of the project (default
// main.ts, the CDKTF app that cdktf.json names) as compiled JavaScript, the fastest cold synth this
// project measured (npm run bench; docs/development.md), through tools/compiled.js. npm packages
// stay external, so Node loads them natively, the ES-module schema packages included; an entry that
// exports `main` is called.
const { runCompiled } = require("./compiled");

const entry = process.argv[2]?.endsWith(".ts") ? process.argv.splice(2, 1)[0] : "main.ts";
runCompiled({ entry, bundlePackages: false, sourceMaps: true });
