import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * The project's folder: the nearest above `from` that holds cdktf.json, so that a file finds it
 * wherever it runs from (its source folder, or the compiled copy under .build/); the working folder
 * when none does.
 */
export function projectRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "cdktf.json"))) return dir;
    if (dirname(dir) === dir) return process.cwd();
  }
}
