// runCompiled(): how tools/app.js and tools/traffic/launch.js run a TypeScript entry point. esbuild
// compiles it into one CommonJS file under .build/ (gitignored), named after the entry's path, so
// that two entries never share a build; the file is rebuilt only when one of its inputs changed
// since the last build, and Node runs it in this process. Node's compile cache (Node 22.1 and
// later; Node 20 runs without) keeps V8's compiled code in .build/compile-cache. No type-checking
// here: `npm run typecheck` does that.
const fs = require("node:fs");
const Module = require("node:module");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const buildDir = path.join(root, ".build");
// npm rewrites it on every install: it stands for the dependencies' files, whose own times npm fixes.
const installed = path.join("node_modules", ".package-lock.json");

/** True when the last build's output exists and none of its inputs is newer than it. */
function upToDate({ outfile, metafile, bundlePackages }) {
  try {
    const built = fs.statSync(outfile).mtimeMs;
    const inputs = Object.keys(JSON.parse(fs.readFileSync(metafile, "utf8")).inputs);
    const files = bundlePackages
      ? [...inputs.filter((input) => !input.startsWith("node_modules/")), installed]
      : inputs;
    return files.every((file) => fs.statSync(path.join(root, file)).mtimeMs <= built);
  } catch {
    return false;
  }
}

function compile({ entry, outfile, bundlePackages, sourceMaps }) {
  return require("esbuild").buildSync({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile,
    write: false,
    bundle: true,
    packages: bundlePackages ? "bundle" : "external",
    platform: "node",
    target: "node20",
    format: "cjs",
    sourcemap: sourceMaps ? "inline" : false,
    metafile: true,
    logLevel: "warning",
  });
}

/** Write then rename: a parallel run (a jest worker) never reads half a file. */
function writeAtomically(file, contents) {
  const partial = `${file}.${process.pid}.partial`;
  fs.writeFileSync(partial, contents);
  fs.renameSync(partial, file);
}

/** The compiled entry's exports: from its file, built first if need be, or built in memory. */
function load(build) {
  if (upToDate(build)) return require(build.outfile);
  const result = compile(build);
  try {
    fs.mkdirSync(path.dirname(build.outfile), { recursive: true });
    writeAtomically(build.outfile, result.outputFiles[0].contents);
    writeAtomically(build.metafile, JSON.stringify(result.metafile));
  } catch (error) {
    if (!["EACCES", "EROFS", "EPERM"].includes(error.code)) throw error;
    // A checkout that cannot be written to: run the build from memory, compiled again every run.
    const program = new Module(build.outfile);
    program.filename = build.outfile;
    program.paths = Module._nodeModulePaths(path.dirname(build.outfile));
    program._compile(result.outputFiles[0].text, build.outfile);
    return program.exports;
  }
  return require(build.outfile);
}

/**
 * Runs a TypeScript entry point of the project, compiled, and calls its `main` if it exports one.
 * @param {object} options
 * @param {string} options.entry the .ts file, from the project's root (`tools/traffic/cli.ts`)
 * @param {boolean} options.bundlePackages true: npm packages go into the file too, so that start-up
 *   loads one file (then an install, node_modules/.package-lock.json, makes it stale); false: Node
 *   loads them from node_modules itself, ES-module-only packages included
 * @param {boolean} [options.sourceMaps] an inline source map, and stack traces that follow it
 */
function runCompiled({ entry, bundlePackages, sourceMaps = false }) {
  const name = path.relative(root, path.resolve(root, entry)).replace(/\.ts$/, "");
  const build = {
    entry,
    outfile: path.join(buildDir, `${name}.js`),
    metafile: path.join(buildDir, `${name}.meta.json`),
    bundlePackages,
    sourceMaps,
  };
  Module.enableCompileCache?.(path.join(buildDir, "compile-cache"));
  if (sourceMaps) process.setSourceMapsEnabled(true);
  const program = load(build);
  if (typeof program.main === "function") program.main();
}

module.exports = { runCompiled };
