/**
 * Loading: reads every setting of the table from an environment (the settings file under the process
 * environment, modules/settings/file.ts), validates them all before a construct is built, and returns
 * the Config. A bad value throws a ConfigError whose lines each name the setting, the value and the
 * accepted form. Nothing here imports cdktf, so the command-line tools use it too.
 */
import { type AnySetting, type Earlier, readValue } from "./kinds";
import { PROJECT } from "./names";
import { type Config, REMOVED_SETTINGS, SECTIONS } from "./table";

export type { Config } from "./table";

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Where settings of an Env came from, when not the environment (`settings.env:3`), for messages. */
const settingSources = new WeakMap<Env, Readonly<Record<string, string>>>();

/** Records where `env`'s settings came from (setting name to `file:line`); returns `env`. */
export function withSources(env: Env, sources: Readonly<Record<string, string>>): Env {
  settingSources.set(env, sources);
  return env;
}

/** Where `env`'s settings came from, by name, for those read from a settings file. */
export function sourcesOf(env: Env): Readonly<Record<string, string>> {
  return settingSources.get(env) ?? {};
}

/** One setting's value (its text parsed, else its default), checked, or the problems found. */
function readSetting(
  name: string,
  declaration: AnySetting,
  text: string | undefined,
  earlier: Earlier,
): { value: unknown } | { problems: string[] } {
  let value: unknown;
  if (text === undefined) {
    const fallback = declaration.default.value;
    value = typeof fallback === "function" ? fallback(earlier) : fallback;
  } else if (text.trim() === "") {
    return {
      problems: [`${name}=${JSON.stringify(text)} is not a non-empty value (unset it to get the default)`],
    };
  } else {
    const read = readValue(name, declaration, text);
    if ("problems" in read) return read;
    value = read.value;
  }
  // Defaults are checked too: a default may clash with a setting given above it.
  const refusal = declaration.check?.(value, earlier);
  if (!refusal) return { value };
  if ("message" in refusal) return { problems: [refusal.message] };
  return { problems: [`${name}=${JSON.stringify(text ?? String(value))} is not ${refusal.accepted}`] };
}

/**
 * Reads and validates the whole configuration, section by section in table order, collecting every
 * problem instead of stopping at the first, so a user fixes them in one round. Throws ConfigError
 * listing them; a value from a settings file is followed by where it is written.
 */
export function loadConfig(env: Env = process.env): Config {
  const sources = sourcesOf(env);
  const located = (name: string, problems: readonly string[]) =>
    problems.map((problem) => (sources[name] ? `${problem} (${sources[name]})` : problem));
  const problems: string[] = [];
  for (const [name, instead] of Object.entries(REMOVED_SETTINGS)) {
    const text = env[name];
    if (text !== undefined) {
      problems.push(...located(name, [`${name}=${JSON.stringify(text)} is no longer ${instead}`]));
    }
  }
  const values: Record<string, unknown> = {};
  const config: Record<string, Record<string, unknown>> = {};
  for (const [sectionName, { settings }] of Object.entries(SECTIONS)) {
    const fields: Record<string, unknown> = {};
    for (const [name, declaration] of Object.entries<AnySetting>(settings)) {
      const read = readSetting(name, declaration, env[name], values);
      if ("problems" in read) {
        problems.push(...located(name, read.problems));
        continue;
      }
      if (read.value !== undefined) values[name] = read.value;
      fields[declaration.field] = read.value;
    }
    config[sectionName] = fields;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { project: PROJECT, ...config } as unknown as Config;
}
