// runCompiled(): how tools/app.js and tools/traffic/launch.js run a TypeScript entry point. esbuild
// compiles it into one CommonJS file under .build/ (gitignored), named after the entry's path, so
// that two entries never share a build; the file is rebuilt only when one of its inputs changed
// since the last build, and Node runs it in this process. Node's compile cache keeps V8's compiled
// code in .build/compile-cache. No type-checking here: `npm run typecheck` does that.
const fs = require("node:fs");
const Module = require("node:module");
const path = require("node:path");
const { inspect } = require("node:util");

const root = path.resolve(__dirname, "..");
const buildDir = path.join(root, ".build");
// npm rewrites it on every install: it stands for the dependencies' files, whose own times npm fixes.
const installed = path.join("node_modules", ".package-lock.json");

/**
 * True when the last build's output exists and none of its inputs is newer than it, nor this file,
 * which says how to build.
 */
function upToDate({ outfile, metafile, bundlePackages }) {
  try {
    const built = fs.statSync(outfile).mtimeMs;
    const inputs = Object.keys(JSON.parse(fs.readFileSync(metafile, "utf8")).inputs);
    const files = [
      ...(bundlePackages
        ? [...inputs.filter((input) => !input.startsWith("node_modules/")), installed]
        : inputs),
      path.relative(root, __filename),
    ];
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
    sourcemap: sourceMaps ? "external" : false,
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

/**
 * The compiled entry's exports: from its file, built first if need be, or built in memory. Sets
 * `build.sourceMap` to read the build's source map, which only a crash needs.
 */
function load(build) {
  build.sourceMap = () => JSON.parse(fs.readFileSync(`${build.outfile}.map`, "utf8"));
  if (upToDate(build)) return require(build.outfile);
  const result = compile(build);
  const output = (extension) => result.outputFiles.find((file) => file.path.endsWith(extension));
  const map = output(".js.map");
  try {
    fs.mkdirSync(path.dirname(build.outfile), { recursive: true });
    if (map) writeAtomically(`${build.outfile}.map`, map.contents);
    writeAtomically(build.outfile, output(".js").contents);
    writeAtomically(build.metafile, JSON.stringify(result.metafile));
  } catch (error) {
    if (!["EACCES", "EROFS", "EPERM"].includes(error.code)) throw error;
    // A checkout that cannot be written to: run the build from memory, compiled again every run.
    build.sourceMap = () => JSON.parse(map.text);
    const program = new Module(build.outfile);
    program.filename = build.outfile;
    program.paths = Module._nodeModulePaths(path.dirname(build.outfile));
    program._compile(output(".js").text, build.outfile);
    return program.exports;
  }
  return require(build.outfile);
}

/**
 * `stack` with each frame in the compiled file pointed back at its TypeScript line. Node could do
 * this itself (--enable-source-maps), but then it maps every stack that any code captures, and cdktf
 * captures one for every token it makes: a third of a synth's time. This maps only a crash.
 */
function mapStack(stack, outfile, sourceMap) {
  let map;
  try {
    map = new Module.SourceMap(sourceMap());
  } catch {
    return stack;
  }
  const escaped = outfile.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return stack.replace(new RegExp(`${escaped}:(\\d+):(\\d+)`, "g"), (frame, line, column) => {
    const entry = map.findEntry(Number(line) - 1, Number(column) - 1);
    if (entry.originalSource === undefined) return frame;
    const source = path.resolve(path.dirname(outfile), entry.originalSource);
    return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });
}

/**
 * Runs a TypeScript entry point of the project, compiled, and calls its `main` if it exports one.
 * @param {object} options
 * @param {string} options.entry the .ts file, from the project's root (`tools/traffic/cli.ts`)
 * @param {boolean} options.bundlePackages true: npm packages go into the file too, so that start-up
 *   loads one file (then an install, node_modules/.package-lock.json, makes it stale); false: Node
 *   loads them from node_modules itself, ES-module-only packages included
 * @param {boolean} [options.sourceMaps] a source map beside the build, and a crash's stack trace that
 *   follows it
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
  Module.enableCompileCache(path.join(buildDir, "compile-cache"));
  if (sourceMaps) {
    // Exits 1, as Node does on an uncaught error (a rejected promise included), with the stack mapped.
    process.on("uncaughtException", (error) => {
      const text = error instanceof Error && error.stack ? error.stack : `Uncaught ${inspect(error)}`;
      process.stderr.write(`${mapStack(text, build.outfile, build.sourceMap)}\n`);
      process.exit(1);
    });
  }
  const program = load(build);
  if (typeof program.main === "function") program.main();
}

module.exports = { runCompiled };
