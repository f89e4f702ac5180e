import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/** The project folder, of which copyProject copies what a synth reads. */
export const ROOT = path.resolve(__dirname, "..");

/**
 * What the app and cdktf read: the project's sources, manifests, tools and configuration; and the
 * compiled app (.build, tools/compiled.js), which stays valid in the copy where the sources are
 * unchanged (times are kept), so that a copy does not compile again what the project already has.
 */
const PROJECT_FILES = [
  ".build",
  "main.ts",
  "stacks",
  "modules",
  "manifests",
  "tools",
  "cdktf.json",
  "package.json",
  "tsconfig.json",
];

/** The copies made in this test file, removed after its tests. */
const copies: string[] = [];
afterAll(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

/**
 * A copy of the project in the OS temp folder, node_modules linked, after `edit` changed it: a test
 * runs cdktf or the app there and writes nothing into the working tree. Removed after the file's tests.
 */
export function copyProject(edit: (project: string) => void = () => {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), "shopfront-project-"));
  copies.push(dir);
  for (const entry of PROJECT_FILES.filter((name) => existsSync(path.join(ROOT, name)))) {
    cpSync(path.join(ROOT, entry), path.join(dir, entry), {
      recursive: true,
      preserveTimestamps: true,
      // Node's compile cache is keyed by path, so of no use to the copy; a .partial is a build being written.
      filter: (source) => !/[/\\](compile-cache$|[^/\\]+\.partial$)/.test(source),
    });
  }
  symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  edit(dir);
  return dir;
}
