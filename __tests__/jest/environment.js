// Jest's Node environment with four changes:
// - at the end of each test file the worker writes what its compile cache (NODE_COMPILE_CACHE, set for
//   the run by __tests__/temp-folder/guard.ts) gained, where Node would write it all when the worker
//   exits: megabytes that can take longer than the 500 ms jest gives a worker to exit, after which
//   jest forces it ("A worker process has failed to exit gracefully");
// - the test file's realm has an ordinary global object (vm.constants.DONT_CONTEXTIFY, Node 22.8+)
//   where Jest gives it one behind V8's interceptors and a Proxy: there, every read of a global
//   (Math, Number, Date) in a hot loop cost about 20 times as much (a simulation of 10 million draws
//   took 11 s, now 2 s). Jest's teardown of what a test file left on its global then has nothing to
//   delete; the realm goes with the environment all the same.
// and two for the shared packages (__tests__/jest/runtime.js):
// - cdktf records where every token was made: a full stack, captured on a plain object, for its
//   error messages. Jest formats every stack through the test files' source maps, which made those
//   captures about a fifth of the suite's CPU time; they get V8's plain format, and Errors, from
//   either realm, keep the source-mapped one, so failures still point at the TypeScript line.
// - cdktf's jest matchers (Testing.setupJest) look for `expect` on their own global object, which for
//   the shared cdktf is the worker's: it answers with the running test file's `expect`.
const Module = require("node:module");
const { isNativeError } = require("node:util/types");
const vm = require("node:vm");
const NodeEnvironment = require("jest-environment-node").default;

const plainStack = (frames) => `Error${frames.map((frame) => `\n    at ${frame}`).join("")}`;

class ProjectEnvironment extends NodeEnvironment {
  constructor(config, context) {
    // Jest's constructor makes the context, then fills its global: it gets a plain one to fill.
    const createContext = vm.createContext;
    vm.createContext = () => createContext(vm.constants.DONT_CONTEXTIFY);
    try {
      super(config, context);
    } finally {
      vm.createContext = createContext;
    }
  }

  async setup() {
    await super.setup();
    const sandbox = this.global;
    Object.defineProperty(globalThis, "expect", { configurable: true, get: () => sandbox.expect });
    // Jest installs its source-mapped formatter before setup, for each test file.
    this.sourceMapped = Error.prepareStackTrace;
    const sourceMapped = this.sourceMapped;
    if (sourceMapped) {
      Error.prepareStackTrace = (error, frames) =>
        isNativeError(error) ? sourceMapped(error, frames) : plainStack(frames);
    }
  }

  async teardown() {
    Module.flushCompileCache(); // Node 22.10 and later: the floor is 22.19
    if (this.sourceMapped) Error.prepareStackTrace = this.sourceMapped;
    delete globalThis.expect;
    await super.teardown();
  }
}

module.exports = ProjectEnvironment;
