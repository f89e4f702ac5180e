/** Jest through @swc/jest: TypeScript is stripped, not type-checked (`npm run typecheck` does that). */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["@swc/jest", { jsc: { parser: { syntax: "typescript" }, target: "es2022" } }] },
  testTimeout: 60000,
  // The default (cores - 1) is one worker here, every suite in turn; three overlap the suites that wait
  // on child processes (terraform, the CLIs) and measured fastest on this 2-core machine.
  maxWorkers: 3,
};
