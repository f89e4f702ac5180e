// `npm run traffic`: runs the traffic tool as one prebuilt JavaScript file. Compiling its TypeScript
// on every run (tsx) cost about 0.6 CPU seconds, more than the requests of a short run: esbuild
// bundles cli.ts with its dependencies into .build/traffic/ once, and again only when an input
// changed (a source file, or node_modules after an install). Node's compile cache, where the Node
// version has one, keeps V8's compiled code beside it. No type-checking here: `npm run typecheck`.
const fs = require("node:fs");
const Module = require("node:module");
const path = require("node:path");

const root = path.resolve(__dirname, "..", "..");
const buildDir = path.join(root, ".build", "traffic");
const outfile = path.join(buildDir, "cli.js");
const metafile = path.join(buildDir, "meta.json");
// npm rewrites it on every install: it stands for the dependencies' files, whose own times npm fixes.
const installed = path.join(root, "node_modules", ".package-lock.json");

/** True when the last build exists and none of its inputs is newer than it. */
function upToDate() {
  try {
    const built = fs.statSync(outfile).mtimeMs;
    const { inputs } = JSON.parse(fs.readFileSync(metafile, "utf8"));
    const own = Object.keys(inputs).filter((input) => !input.startsWith("node_modules/"));
    return [...own.map((input) => path.join(root, input)), installed].every(
      (file) => fs.statSync(file).mtimeMs <= built,
    );
  } catch {
    return false;
  }
}

function build(write) {
  return require("esbuild").buildSync({
    absWorkingDir: root,
    entryPoints: ["tools/traffic/cli.ts"],
    outfile,
    write,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    metafile: true,
    logLevel: "warning",
  });
}

function load() {
  if (upToDate()) return require(outfile);
  try {
    fs.mkdirSync(buildDir, { recursive: true });
    // Built beside its final name and renamed, so that a run started meanwhile never reads half a file.
    const result = build(false);
    const partial = `${outfile}.${process.pid}`;
    fs.writeFileSync(partial, result.outputFiles[0].contents);
    fs.writeFileSync(metafile, JSON.stringify(result.metafile));
    fs.renameSync(partial, outfile);
    return require(outfile);
  } catch (error) {
    if (!["EACCES", "EROFS", "EPERM"].includes(error.code)) throw error;
    // A checkout that cannot be written to: build in memory, every run.
    const bundle = new Module(outfile);
    bundle.filename = outfile;
    bundle.paths = Module._nodeModulePaths(path.dirname(outfile));
    bundle._compile(build(false).outputFiles[0].text, outfile);
    return bundle.exports;
  }
}

// Its HTTP client, undici 8, needs Node 22.19 or later, and fails to load on older versions.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  process.stderr.write(
    `error: the traffic tool needs Node 22.19 or later; this is Node ${process.versions.node}\n`,
  );
  process.exit(2);
}
Module.enableCompileCache?.(path.join(buildDir, "compile-cache"));
load().main();
