/** Jest through @swc/jest: TypeScript is stripped, not type-checked (`npm run typecheck` does that). */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["@swc/jest", { jsc: { parser: { syntax: "typescript" }, target: "es2022" } }] },
  testTimeout: 60000,
  // Two workers on this 2-core machine: the default (cores - 1) runs every suite in one process.
  maxWorkers: 3,
};
