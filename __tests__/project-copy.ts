import { cpSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/** The project folder, of which copyProject copies what a synth reads. */
export const ROOT = path.resolve(__dirname, "..");

/** What the app and cdktf read: the project's sources, manifests, tools and configuration. */
const PROJECT_FILES = [
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
  for (const entry of PROJECT_FILES)
    cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
  symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  edit(dir);
  return dir;
}
