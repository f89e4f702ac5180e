// `node tools/app.js [entry.ts] [args...]`: runs a TypeScript entry point of the project (default
// main.ts, the CDKTF app that cdktf.json names) as compiled JavaScript, the fastest cold synth this
// project measured (npm run bench; docs/development.md). esbuild compiles the project's own
// TypeScript into one file (npm packages stay external, so Node loads them natively, the ES-module
// schema packages included) and Node runs it in this process; an entry that exports `main` is
// called. The file is rebuilt only when one of its inputs changed since the last build. No
// type-checking here: `npm run typecheck` does that.
const fs = require("node:fs");
const path = require("node:path");
const { enableCompileCache } = require("node:module");

const root = path.resolve(__dirname, "..");
const buildDir = path.join(root, ".build");
const entry = process.argv[2]?.endsWith(".ts") ? process.argv.splice(2, 1)[0] : "main.ts";
const name = path.basename(entry, ".ts");
const outfile = path.join(buildDir, `${name}.js`);
const metafile = path.join(buildDir, `${name}.meta.json`);

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

/** Write then rename: a parallel run (a jest worker) never reads half a file. */
function writeAtomically(file, contents) {
  const partial = `${file}.${process.pid}.partial`;
  fs.writeFileSync(partial, contents);
  fs.renameSync(partial, file);
}

if (!upToDate()) {
  const result = require("esbuild").buildSync({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile,
    bundle: true,
    packages: "external",
    platform: "node",
    target: "node20",
    format: "cjs",
    sourcemap: "inline",
    metafile: true,
    write: false,
    logLevel: "warning",
  });
  fs.mkdirSync(buildDir, { recursive: true });
  writeAtomically(outfile, result.outputFiles[0].contents);
  writeAtomically(metafile, JSON.stringify(result.metafile));
}
process.setSourceMapsEnabled(true);
const loaded = require(outfile);
if (typeof loaded.main === "function") loaded.main();
