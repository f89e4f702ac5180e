// Jest's Node environment with two changes for the shared packages (__tests__/jest/runtime.js):
// - cdktf records where every token was made: a full stack, captured on a plain object, for its
//   error messages. Jest formats every stack through the test files' source maps, which made those
//   captures about a fifth of the suite's CPU time; they get V8's plain format, and Errors, from
//   either realm, keep the source-mapped one, so failures still point at the TypeScript line.
// - cdktf's jest matchers (Testing.setupJest) look for `expect` on their own global object, which for
//   the shared cdktf is the worker's: it answers with the running test file's `expect`.
const { isNativeError } = require("node:util/types");
const NodeEnvironment = require("jest-environment-node").default;

const plainStack = (frames) => `Error${frames.map((frame) => `\n    at ${frame}`).join("")}`;

class ProjectEnvironment extends NodeEnvironment {
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
    if (this.sourceMapped) Error.prepareStackTrace = this.sourceMapped;
    delete globalThis.expect;
    await super.teardown();
  }
}

module.exports = ProjectEnvironment;
