/**
 * The settings file that every command reads (cdktf through main.ts, `npm run plan`, the tools):
 * `settings.env` in the working folder, or the file SETTINGS_FILE names, so that settings outlive the
 * shell that set them. Environment variables override the file. Like config.ts, it imports nothing from
 * cdktf.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { ConfigError, type Env, withSources } from "./load";
import { REMOVED_SETTINGS, SETTINGS } from "./table";

/** The settings file read when SETTINGS_FILE is unset; missing, the settings come from the environment only. */
export const DEFAULT_SETTINGS_FILE = "settings.env";

/** Names another settings file (one per cluster, say); only the environment can set it. */
export const SETTINGS_FILE_VARIABLE = "SETTINGS_FILE";

const LINE = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/;

/** Edit distance, to suggest the setting a typo meant. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length];
}

function unknownKey(where: string, key: string): string {
  const names = Object.keys(SETTINGS);
  const closest = names
    .map((name) => ({ name, cost: distance(key.toUpperCase(), name) }))
    .sort((a, b) => a.cost - b.cost)[0];
  const hint = closest && closest.cost <= 3 ? `did you mean ${closest.name}? ` : "";
  return `${where}: ${key} is not a setting (${hint}the settings are listed in docs/settings.md)`;
}

/** `"text"` or `'text'` as text; otherwise the value up to a ` #` comment, trimmed. */
function unquote(raw: string): string | undefined {
  const quote = raw[0];
  if (quote === '"' || quote === "'") {
    const end = raw.indexOf(quote, 1);
    if (end === -1 || !/^\s*(#.*)?$/.test(raw.slice(end + 1))) return undefined;
    return raw.slice(1, end);
  }
  return raw.replace(/\s+#.*$/, "").trim();
}

/**
 * Parses a settings file: `KEY=value` lines (an `export ` prefix and quotes allowed), blank lines and
 * `#` comments. `file` names the file in messages. A line that is not KEY=value, a key that is not a
 * setting, or a key given twice is refused with the file, line and key: a typo must not be ignored.
 */
export function parseSettingsFile(text: string, file: string): Record<string, string> {
  return parseSettingsLines(text, file).settings;
}

function parseSettingsLines(text: string, file: string) {
  const settings: Record<string, string> = {};
  const lineOf: Record<string, number> = {};
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const where = `${file}:${index + 1}`;
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const match = LINE.exec(trimmed);
    const value = match ? unquote(match[2]) : undefined;
    if (!match || value === undefined) {
      problems.push(`${where}: ${JSON.stringify(line)} is not a KEY=value line, a # comment or blank`);
      return;
    }
    const key = match[1];
    if (key === SETTINGS_FILE_VARIABLE) {
      problems.push(`${where}: ${key} cannot be set in a settings file, only in the environment`);
    } else if (!(key in SETTINGS) && !(key in REMOVED_SETTINGS)) {
      problems.push(unknownKey(where, key));
    } else if (key in settings) {
      problems.push(`${where}: ${key} is already set on line ${lineOf[key]}`);
    } else {
      settings[key] = value;
      lineOf[key] = index + 1;
    }
  });
  if (problems.length > 0) throw new ConfigError(problems);
  const sources = Object.fromEntries(Object.entries(lineOf).map(([key, line]) => [key, `${file}:${line}`]));
  return { settings, sources };
}

/**
 * The settings every command uses: the settings file's, overridden by `env` (a variable set in the
 * environment wins, even when set empty). Messages about a value from the file say where it is. The file is SETTINGS_FILE, relative to `cwd`, else
 * settings.env in `cwd` when it exists. Throws ConfigError when the file is missing or malformed.
 */
export function readSettings(env: Env = process.env, cwd: string = process.cwd()): Env {
  const named = env[SETTINGS_FILE_VARIABLE];
  const file = path.resolve(cwd, named ?? DEFAULT_SETTINGS_FILE);
  if (named === undefined && !existsSync(file)) return env;
  if (named !== undefined && (named.trim() === "" || !existsSync(file) || statSync(file).isDirectory())) {
    throw new ConfigError([
      `${SETTINGS_FILE_VARIABLE}=${JSON.stringify(named)} is not a settings file that exists (a file of KEY=value lines such as settings.env)`,
    ]);
  }
  const { settings, sources } = parseSettingsLines(
    readFileSync(file, "utf8"),
    named ?? DEFAULT_SETTINGS_FILE,
  );
  const overrides = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
  const fromFile = Object.fromEntries(Object.entries(sources).filter(([key]) => !(key in overrides)));
  return withSources({ ...settings, ...overrides }, fromFile);
}
