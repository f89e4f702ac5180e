/**
 * Writes the promoted weights into the settings file (settings.env, or the file SETTINGS_FILE
 * names), so that the next `cdktf deploy` keeps them: only the SHOPFRONT_WEIGHTS line changes (its
 * `export`, quotes and comment kept), every other byte stays; a file without that line gets it at
 * the end; a missing file is created. The write is atomic: a new file renamed over the old one.
 */
import {
  accessSync,
  constants,
  existsSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { DEFAULT_SETTINGS_FILE, SETTINGS_FILE_VARIABLE } from "../../modules/settings/file";
import type { Env } from "../../modules/settings/load";
import { UsageError } from "../command-line";

export const SETTING = "SHOPFRONT_WEIGHTS";

/** The settings file every command reads, as named in messages and as an absolute path. */
export function settingsFileOf(env: Env, cwd: string): { readonly name: string; readonly file: string } {
  const name = env[SETTINGS_FILE_VARIABLE] ?? DEFAULT_SETTINGS_FILE;
  return { name, file: path.resolve(cwd, name) };
}

/** Refuses, before anything is applied, a settings file that the promotion could not write. */
export function assertWritable(settings: { readonly name: string; readonly file: string }): void {
  const target = existsSync(settings.file) ? settings.file : path.dirname(settings.file);
  try {
    accessSync(target, constants.W_OK);
    // The new file is written beside the old one, then renamed over it.
    accessSync(path.dirname(settings.file), constants.W_OK);
  } catch (error) {
    throw new UsageError(
      `${settings.name} cannot be written (${(error as NodeJS.ErrnoException).code}): the promotion writes ${SETTING} there`,
    );
  }
}

const LINE = new RegExp(`^(\\s*(?:export\\s+)?${SETTING}\\s*=\\s*)("[^"]*"|'[^']*'|[^\\s#]*)(.*)$`);

/** `text` with the SHOPFRONT_WEIGHTS line set to `value`, or the line added at the end. */
export function withWeightsLine(text: string, value: string): string {
  const lines = text.split("\n");
  const index = lines.findIndex((line) => LINE.test(line.replace(/\r$/, "")));
  if (index !== -1) {
    const carriageReturn = lines[index].endsWith("\r") ? "\r" : "";
    lines[index] =
      lines[index].replace(/\r$/, "").replace(LINE, (_, head: string, old: string, tail: string) => {
        const quote = old.startsWith('"') || old.startsWith("'") ? old[0] : "";
        return `${head}${quote}${value}${quote}${tail}`;
      }) + carriageReturn;
    return lines.join("\n");
  }
  const newline = text.includes("\r\n") ? "\r\n" : "\n";
  const separator = text === "" || text.endsWith("\n") ? "" : newline;
  return `${text}${separator}${SETTING}=${value}${newline}`;
}

export function writeWeights(file: string, value: string): void {
  const exists = existsSync(file);
  const text = exists ? readFileSync(file, "utf8") : "";
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, withWeightsLine(text, value), exists ? { mode: statSync(file).mode } : {});
  renameSync(partial, file);
}
