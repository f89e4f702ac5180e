// runCompiled(): how tools/app.js and tools/traffic/launch.js run a TypeScript entry point. esbuild
// compiles it into one CommonJS file under .build/ (gitignored), named after the entry's path, so
// that two entries never share a build; the file is rebuilt only when one of its inputs changed
// since the last build, and Node runs it in this process. Node's compile cache keeps V8's compiled
// code in .build/compile-cache. No type-checking here: `npm run typecheck` does that.
const { spawnSync } = require("node:child_process");
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

/** esbuild's native binary, as its npm package installs it for this platform (or ESBUILD_BINARY_PATH). */
function esbuildBinary() {
  if (process.env.ESBUILD_BINARY_PATH) return process.env.ESBUILD_BINARY_PATH;
  const esbuild = path.dirname(require.resolve("esbuild/package.json"));
  const platform = `@esbuild/${process.platform}-${process.arch}`;
  const dir = path.dirname(require.resolve(`${platform}/package.json`, { paths: [esbuild] }));
  return path.join(dir, process.platform === "win32" ? "esbuild.exe" : path.join("bin", "esbuild"));
}

/**
 * Builds the entry into its files with esbuild's binary, each written under a temporary name and then
 * renamed, so that a parallel run (a jest worker) never reads half a file. The binary rather than
 * esbuild's JavaScript API: the API starts the same binary (twice on its first call) and would keep
 * about 25 MB of buffers in the process that then runs the app. False when esbuild failed (it said why).
 */
function buildFiles({ entry, outfile, metafile, bundlePackages, sourceMaps }) {
  const partial = `${outfile}.${process.pid}.partial`;
  const result = spawnSync(
    esbuildBinary(),
    [
      entry,
      "--bundle",
      `--packages=${bundlePackages ? "bundle" : "external"}`,
      "--platform=node",
      "--target=node20",
      "--format=cjs",
      "--log-level=warning",
      `--outfile=${partial}`,
      `--metafile=${partial}.meta`,
      ...(sourceMaps ? ["--sourcemap=external"] : []),
    ],
    { cwd: root, stdio: ["ignore", "inherit", "inherit"] },
  );
  if (result.error) throw result.error;
  if (result.status !== 0) return false;
  if (sourceMaps) fs.renameSync(`${partial}.map`, `${outfile}.map`);
  fs.renameSync(partial, outfile);
  fs.renameSync(`${partial}.meta`, metafile);
  return true;
}

/** True when `dir` exists, or can be made, and can be written to. */
function writable(dir) {
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch (error) {
    if (["EACCES", "EROFS", "EPERM"].includes(error.code)) return false;
    throw error;
  }
}

/** A checkout that cannot be written to: the build, from memory, compiled again on every run. */
function loadInMemory(build) {
  const result = require("esbuild").buildSync({
    absWorkingDir: root,
    entryPoints: [build.entry],
    outfile: build.outfile,
    write: false,
    bundle: true,
    packages: build.bundlePackages ? "bundle" : "external",
    platform: "node",
    target: "node20",
    format: "cjs",
    sourcemap: build.sourceMaps ? "external" : false,
    logLevel: "warning",
  });
  const output = (extension) => result.outputFiles.find((file) => file.path.endsWith(extension));
  build.sourceMap = () => JSON.parse(output(".js.map").text);
  const program = new Module(build.outfile);
  program.filename = build.outfile;
  program.paths = Module._nodeModulePaths(path.dirname(build.outfile));
  program._compile(output(".js").text, build.outfile);
  return program.exports;
}

/**
 * The compiled entry's exports: from its file, built first if need be, or built in memory. Sets
 * `build.sourceMap` to read the build's source map, which only a crash needs.
 */
function load(build) {
  build.sourceMap = () => JSON.parse(fs.readFileSync(`${build.outfile}.map`, "utf8"));
  if (upToDate(build)) return require(build.outfile);
  if (!writable(path.dirname(build.outfile))) return loadInMemory(build);
  if (!buildFiles(build)) process.exit(1);
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
  // Node 22.1 and later; an older Node runs without it, so that `npm run preflight` can say it is too old.
  Module.enableCompileCache?.(path.join(buildDir, "compile-cache"));
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
