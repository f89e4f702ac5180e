import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const root = path.resolve(__dirname, "..", "..");

let project: string;
beforeAll(() => {
  // The launcher alone, in a folder of its own: what it builds goes to that folder's .build.
  project = mkdtempSync(path.join(tmpdir(), "compiled-test-"));
  mkdirSync(path.join(project, "tools"));
  for (const file of ["app.js", "compiled.js"])
    copyFileSync(path.join(root, "tools", file), path.join(project, "tools", file));
  symlinkSync(path.join(root, "node_modules"), path.join(project, "node_modules"), "dir");
});
afterAll(() => rmSync(project, { recursive: true, force: true }));

/**
 * `node tools/app.js <entry>` in the test's project, `source` written as the entry first; `node`
 * holds Node's own options (`--require` a file that changes it before the launcher runs).
 */
function run(entry: string, source?: string, node: readonly string[] = []) {
  if (source !== undefined) writeFileSync(path.join(project, entry), source);
  return spawnSync(process.execPath, [...node, "tools/app.js", entry], { cwd: project, encoding: "utf8" });
}

describe("runCompiled, through tools/app.js", () => {
  it("shows a crash's stack at the TypeScript lines, and exits 1", () => {
    const result = run(
      "crash.ts",
      [
        "export function main(): void {",
        "  fail();",
        "}",
        "function fail(): never {",
        '  throw new Error("unexpected");',
        "}",
        "",
      ].join("\n"),
    );
    const crash = path.join(project, "crash.ts");
    expect(result.stderr).toMatch(
      new RegExp(
        `^Error: unexpected\\n    at fail \\(${crash}:5:9\\)\\n    at Object\\.main \\(${crash}:2:3\\)\\n`,
      ),
    );
    expect(result.status).toBe(1);
  });

  it("does the same for a rejected promise", () => {
    const result = run(
      "rejects.ts",
      [
        "export async function main(): Promise<void> {",
        "  await Promise.resolve();",
        '  throw new Error("later");',
        "}",
        "",
      ].join("\n"),
    );
    expect(result.stderr).toContain(
      `Error: later\n    at Object.main (${path.join(project, "rejects.ts")}:3:9)`,
    );
    expect(result.status).toBe(1);
  });

  it("compiles once, and again when the entry or the launcher itself changed", () => {
    const built = path.join(project, ".build", "hello.js");
    expect(
      run("hello.ts", 'export function main(): void {\n  process.stdout.write("hello\\n");\n}\n'),
    ).toMatchObject({
      status: 0,
      stdout: "hello\n",
    });
    const first = statSync(built).mtimeMs;
    run("hello.ts");
    expect(statSync(built).mtimeMs).toBe(first);
    const later = new Date(Date.now() + 5_000);
    utimesSync(path.join(project, "tools", "compiled.js"), later, later);
    run("hello.ts");
    expect(statSync(built).mtimeMs).toBeGreaterThan(first);
  });

  it("runs on a Node without the compile cache (older than 22.1), so that preflight can name it", () => {
    // Such a Node is what the compile cache's API missing stands for: the launcher must not need it.
    const older = path.join(project, "older-node.js");
    writeFileSync(older, 'delete require("node:module").enableCompileCache;\n');
    const result = run("older.ts", 'export function main(): void {\n  process.stdout.write("ran\\n");\n}\n', [
      "--require",
      older,
    ]);
    expect(result).toMatchObject({ status: 0, stdout: "ran\n", stderr: "" });
  });
});
