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

class SharedPackagesRuntime extends Runtime {
  requireModuleOrMock(from, moduleName) {
    if (isShared(moduleName) && !this.mockState.shouldMockCjs(from, moduleName).shouldMock) {
      return createRequire(from)(moduleName);
    }
    return super.requireModuleOrMock(from, moduleName);
  }
}

module.exports = SharedPackagesRuntime;
