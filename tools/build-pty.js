// The cdktf CLI loads node-pty when it starts, and cdktf-cli 0.21 (the last release: HashiCorp archived
// CDKTF) ships node-pty binaries for Node up to 22 only. On a newer Node (24), this builds node-pty from
// its source in node_modules, once, with the running Node's own headers when it ships them (the npm
// registry's `node` package does), else with node-gyp's. Run by `npm ci` (postinstall) and by CI for
// each Node line; a no-op when a binary for this Node exists.
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const pkg = path.dirname(require.resolve("@cdktf/node-pty-prebuilt-multiarch/package.json"));
const { ptyPath } = require(path.join(pkg, "lib", "prebuild-file-path"));
const built = path.join(pkg, "build", "Release", "pty.node");

function loads(file) {
  try {
    require(file);
    return true;
  } catch {
    return false;
  }
}

if ((ptyPath && loads(ptyPath)) || (fs.existsSync(built) && loads(built))) process.exit(0);

// Headers of this Node: beside its binary (official tarballs), or in the platform package that the
// npm registry's `node` package installs.
const prefix = path.dirname(path.dirname(process.execPath));
const nodedir = [prefix, path.join(prefix, "node_modules", `node-${process.platform}-${process.arch}`)].find(
  (dir) => fs.existsSync(path.join(dir, "include", "node", "node.h")),
);
// npm sets npm_config_node_gyp to its bundled node-gyp when it runs a script; else node-gyp from PATH.
const gyp = process.env.npm_config_node_gyp;
const [command, args] = gyp ? [process.execPath, [gyp]] : ["node-gyp", []];
process.stdout.write(`building node-pty for Node ${process.version} (no binary ships for it)\n`);
const result = spawnSync(command, [...args, "rebuild", ...(nodedir ? [`--nodedir=${nodedir}`] : [])], {
  cwd: pkg,
  encoding: "utf8",
  maxBuffer: 16 * 1024 * 1024,
  env: { ...process.env, npm_config_nodedir: nodedir ?? process.env.npm_config_nodedir },
});
if (result.status !== 0 || !loads(built)) {
  process.stderr.write(`${result.stdout ?? ""}${result.stderr ?? ""}${result.error ?? ""}\n`);
  process.stderr.write(
    `error: could not build node-pty for Node ${process.version}; the cdktf CLI needs it. Install a C++ ` +
      "toolchain and python3 (node-gyp), or use Node 22.\n",
  );
  process.exit(1);
}
