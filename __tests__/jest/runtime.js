// Jest's module loader, except for the project's heavy npm packages that only build objects (cdktf,
// constructs, the providers' classes, the schema models, yaml, zod): Node loads those once per
// worker, in the worker's own realm, where Jest would load and compile them again in every test
// file's sandbox, about 2 s of CPU a file (and transform the ES-module-only schema packages, which
// Node's require() loads as they are). Everything else, the project's own modules included, loads in
// the sandbox as before, fresh for each test file. jest.mock of a shared package still applies;
// jest.resetModules does not reload one. docs/development.md (Tests) says when a package belongs here.
const { createRequire } = require("node:module");
const path = require("node:path");
const Runtime = require("jest-runtime").default;

const SHARED = [
  "cdktf",
  "constructs",
  "@cdktf/provider-aws",
  "@cdktf/provider-helm",
  "@cdktf/provider-http",
  "@cdktf/provider-kubernetes",
  "kubernetes-models",
  "@kubernetes-models/gateway-api",
  "@kubernetes-models/istio",
  "yaml",
  "zod",
  "d3-scale",
  "d3-shape",
  "jose",
];

/**
 * True for a shared package, named (`@cdktf/provider-aws/lib/vpc`) or by the path of one of its files
 * (modules/manifests/schemas.ts requires each schema model by its path).
 */
function isShared(moduleName) {
  const normalized = moduleName.split(path.sep).join("/");
  return SHARED.some(
    (name) =>
      normalized === name ||
      normalized.startsWith(`${name}/`) ||
      (path.isAbsolute(moduleName) && normalized.includes(`/node_modules/${name}/`)),
  );
}

/**
 * cdktf's captureStackTrace, except that the lines are made on first read. cdktf captures a full
 * stack for each token it makes (`creationStack`), read only by the message of a token that fails
 * to resolve; V8 formats a captured stack when it is first read, and formatting them all was a fifth
 * of building a stack. The lines, when read, are the ones cdktf's own function returns.
 */
function captureStackTraceLazily(below) {
  const holder = {};
  const limit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = Number.MAX_SAFE_INTEGER;
    Error.captureStackTrace(holder, below || captureStackTraceLazily);
  } finally {
    Error.stackTraceLimit = limit;
  }
  let lines;
  const read = () => {
    lines ??= holder.stack
      ? holder.stack
          .split("\n")
          .slice(1)
          .map((line) => line.replace(/^\s*at\s+/, ""))
      : [];
    return lines;
  };
  return new Proxy([], {
    get: (_target, key) => {
      const value = Reflect.get(read(), key);
      return typeof value === "function" ? value.bind(read()) : value;
    },
    has: (_target, key) => Reflect.has(read(), key),
    ownKeys: () => Reflect.ownKeys(read()),
    getOwnPropertyDescriptor: (_target, key) => Reflect.getOwnPropertyDescriptor(read(), key),
  });
}

// cdktf's modules look the function up on this module at each call.
require(
  path.join(path.dirname(require.resolve("cdktf")), "tokens", "private", "stack-trace.js"),
).captureStackTrace = captureStackTraceLazily;

class SharedPackagesRuntime extends Runtime {
  requireModuleOrMock(from, moduleName) {
    if (isShared(moduleName) && !this.mockState.shouldMockCjs(from, moduleName).shouldMock) {
      return createRequire(from)(moduleName);
    }
    return super.requireModuleOrMock(from, moduleName);
  }
}

module.exports = SharedPackagesRuntime;
