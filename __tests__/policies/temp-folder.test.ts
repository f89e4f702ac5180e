import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { leftoverReport, leftoversIn } from "../temp-folder/guard";

const root = path.resolve(__dirname, "..", "..");
let work: string;
beforeEach(() => {
  work = mkdtempSync(path.join(tmpdir(), "temp-folder-test-"));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

describe("leftoversIn", () => {
  it("fails on an unknown entry, sorts known ones under their test, ignores tool caches", () => {
    for (const name of ["leak-a1", "bad-input-x", "tsx-0", "node-compile-cache"])
      mkdirSync(path.join(work, name));
    const leftovers = leftoversIn(work, [{ prefix: "bad-input-", test: "bad-input.test.ts" }]);
    expect(leftovers.unexpected).toEqual(["leak-a1"]);
    expect(leftovers.pending.get("bad-input.test.ts")).toEqual(["bad-input-x"]);
    expect(leftoverReport(leftovers)).toBe(
      "the tests left 1 entries in the temp folder (a test or tool must remove what it creates):\n  leak-a1",
    );
  });

  it("reports nothing for an empty folder", () => {
    expect(leftoverReport(leftoversIn(work))).toBeUndefined();
  });
});

describe("jest with the temp-folder guard", () => {
  /** Runs jest on one test file, with the project's guard and transform, in a folder of its own. */
  function runJest(testSource: string) {
    const project = path.join(work, "project");
    mkdirSync(project);
    writeFileSync(path.join(project, "probe.test.js"), testSource);
    const config = {
      rootDir: project,
      testMatch: ["**/probe.test.js"],
      cacheDirectory: path.join(work, "jest-cache"),
      globalSetup: path.join(root, "__tests__/temp-folder/setup.ts"),
      globalTeardown: path.join(root, "__tests__/temp-folder/teardown.ts"),
      transform: {
        "^.+\\.ts$": [require.resolve("@swc/jest"), { jsc: { parser: { syntax: "typescript" } } }],
      },
    };
    const outer = path.join(work, "outer-tmp");
    mkdirSync(outer);
    const result = spawnSync(
      process.execPath,
      [require.resolve("jest/bin/jest"), "--config", JSON.stringify(config), "--ci"],
      { cwd: project, encoding: "utf8", env: { ...process.env, TMPDIR: outer }, timeout: 60_000 },
    );
    return { ...result, outerLeft: readdirSync(outer) };
  }

  it("fails the run, listing what a test left in the temp folder, and removes it", () => {
    const run = runJest(`
      const fs = require("node:fs"), os = require("node:os"), path = require("node:path");
      test("leaks", () => { fs.mkdtempSync(path.join(os.tmpdir(), "leaky-probe-")); });
    `);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/the tests left 1 entries in the temp folder[^\n]*\n\s+leaky-probe-\w{6}/);
    // The private folder (and the leak in it) is gone: the temp folder is as jest found it.
    expect(run.outerLeft).toEqual([]);
  });

  it("passes a run whose tests clean up, and leaves nothing behind", () => {
    const run = runJest(`
      const fs = require("node:fs"), os = require("node:os"), path = require("node:path");
      test("cleans up", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tidy-probe-"));
        fs.rmSync(dir, { recursive: true });
      });
    `);
    expect(run.stderr).toContain("1 passed");
    expect(run.status).toBe(0);
    expect(run.outerLeft).toEqual([]);
  });
});
