import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { SETTINGS_FILE_VARIABLE } from "../modules/settings/file";
import { ConfigError, type Env, loadConfig } from "../modules/settings/load";
import { REMOVED_SETTINGS, SETTINGS } from "../modules/settings/table";

/** The problems `read` reports in its ConfigError; fails the test when it reports none. */
export function problemsFrom(read: () => unknown, what = "the call"): readonly string[] {
  try {
    read();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error(`no error for ${what}`);
}

/** The problems `loadConfig(env)` reports; fails the test when it reports none. */
export function problemsOf(env: Env): readonly string[] {
  return problemsFrom(() => loadConfig(env), JSON.stringify(env));
}

/** What a run of main.ts printed and whether it wrote its output folder. */
export interface MainRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Whether the output folder existed when main.ts exited, looked at before any cleanup. */
  readonly wroteOutput: boolean;
  /** The output folder: in `cwd` when one was given (the caller removes it), else already removed. */
  readonly outdir: string;
}

/** Variables of this process that would reach main.ts as settings: SETTINGS_FILE and every setting. */
const SETTING_NAMES = new Set([
  SETTINGS_FILE_VARIABLE,
  ...Object.keys(SETTINGS),
  ...Object.keys(REMOVED_SETTINGS),
]);

/**
 * main.ts as cdktf runs it (tools/app.js: main.ts, compiled), with `env` as its only settings: none
 * inherited from this process, and a settings file only in `cwd` when one is given. Without `cwd` it
 * runs in an empty temporary folder, so a settings.env of the project cannot reach it.
 */
export function runMain(env: Record<string, string>, cwd?: string): MainRun {
  const scratch = cwd === undefined ? mkdtempSync(path.join(tmpdir(), "shopfront-main-")) : undefined;
  const folder = cwd ?? (scratch as string);
  const outdir = path.join(folder, "cdktf.out");
  const inherited = Object.entries(process.env).filter(([name]) => !SETTING_NAMES.has(name));
  try {
    const { status, stdout, stderr } = spawnSync(process.execPath, [path.resolve("tools/app.js")], {
      cwd: folder,
      env: { ...Object.fromEntries(inherited), ...env, CDKTF_OUTDIR: outdir },
      encoding: "utf8",
    });
    return { status, stdout, stderr, wroteOutput: existsSync(outdir), outdir };
  } finally {
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  }
}
