import { readFileSync } from "node:fs";
import { parseSettingsFile } from "../../modules/settings/file";
import { loadConfig } from "../../modules/settings/load";
import { SETTINGS } from "../../modules/settings/table";
import {
  EXAMPLE_SETTINGS_FILE,
  renderExampleSettingsFile,
  renderSettingsReference,
  SETTINGS_REFERENCE,
} from "../../tools/settings-docs";

const FIX = "run `npm run docs:settings` and commit the result";

describe("settings docs, generated from SETTINGS", () => {
  it(`keeps ${SETTINGS_REFERENCE} in step with the schema (${FIX})`, () => {
    expect(readFileSync(SETTINGS_REFERENCE, "utf8")).toBe(renderSettingsReference());
  });

  it(`keeps ${EXAMPLE_SETTINGS_FILE} in step with the schema (${FIX})`, () => {
    expect(readFileSync(EXAMPLE_SETTINGS_FILE, "utf8")).toBe(renderExampleSettingsFile());
  });

  it("documents every setting once, with its default and accepted form", () => {
    const reference = renderSettingsReference();
    for (const [name, setting] of Object.entries(SETTINGS)) {
      const [, entry, ...again] = reference.split(`\n#### \`${name}\`\n`);
      expect({ name, entries: again.length + 1 }).toEqual({ name, entries: 1 });
      const [body] = entry.split("\n#");
      expect(body).toContain(`- Default: ${setting.default.text}\n`);
      expect(body).toContain(`- Accepted: ${setting.accepted}\n`);
    }
  });

  it("changes nothing as copied: every setting is commented out", () => {
    expect(parseSettingsFile(renderExampleSettingsFile(), EXAMPLE_SETTINGS_FILE)).toEqual({});
  });

  it("lists an example for every setting that is valid once uncommented, but beside a setting it excludes", () => {
    const uncommented = renderExampleSettingsFile().replace(/^#([A-Z][A-Z0-9_]*=)/gm, "$1");
    const settings = parseSettingsFile(uncommented, EXAMPLE_SETTINGS_FILE);
    expect(Object.keys(settings).sort()).toEqual(Object.keys(SETTINGS).sort());
    const without = (names: readonly string[]) =>
      Object.fromEntries(Object.entries(settings).filter(([name]) => !names.includes(name)));
    const declared: [string, { excludes?: readonly string[] }][] = Object.entries(SETTINGS);
    const excluding = declared.filter(([, setting]) => setting.excludes !== undefined);
    expect(() => loadConfig(without(excluding.map(([name]) => name)))).not.toThrow();
    // Each valid beside every other example, and refused beside those it excludes.
    for (const [name, setting] of excluding) {
      expect(() => loadConfig(without(setting.excludes ?? []))).not.toThrow();
      expect(() => loadConfig(settings)).toThrow(name);
    }
  });
});
