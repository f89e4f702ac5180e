/**
 * The bad-input matrix, generated from SETTINGS: every setting, tried with the values every setting
 * refuses (empty, blank, injection-like) and with those its kind and its declaration say it refuses.
 * Each must be refused with a message naming the setting and showing the value, and leave no cdktf.out
 * behind. A new setting gets its rows by being declared.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { MALFORMED_FOR_EVERY_SETTING } from "../../modules/settings/kinds";
import { ConfigError, loadConfig } from "../../modules/settings/load";
import { REMOVED_SETTINGS, SETTINGS } from "../../modules/settings/table";
import { synthesize } from "../../stacks/app";

const cases = [
  ...Object.entries(SETTINGS).flatMap(([name, setting]) =>
    [...MALFORMED_FOR_EVERY_SETTING, ...setting.malformed].map((value) => [name, value] as const),
  ),
  // A removed setting is refused whatever its value.
  ...Object.keys(REMOVED_SETTINGS).flatMap((name) =>
    ["true", "false", ...MALFORMED_FOR_EVERY_SETTING, "yes", "1", "TRUE"].map(
      (value) => [name, value] as const,
    ),
  ),
];

describe("bad input", () => {
  const scratch = mkdtempSync(path.join(tmpdir(), "bad-input-"));
  const outdir = path.join(scratch, "cdktf.out");
  // A value wrongly accepted writes cdktf.out: cleared after each case so it fails alone.
  afterEach(() => rmSync(outdir, { recursive: true, force: true }));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("tries, for every setting, malformed values of its own form beside the common ones", () => {
    for (const [name, setting] of Object.entries(SETTINGS)) {
      expect({ name, own: setting.malformed.length >= 2 }).toEqual({ name, own: true });
    }
  });

  it("accepts every setting's example value, so the refusals above are about the values", () => {
    for (const [name, setting] of Object.entries(SETTINGS)) {
      expect(() => loadConfig({ ...setting.exampleWith, [name]: setting.example })).not.toThrow();
    }
  });

  it.each(cases)("refuses %s=%j, naming it, and writes nothing", (name, value) => {
    let error: unknown;
    try {
      synthesize({ [name]: value }, outdir);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problem = (error as ConfigError).problems.find((p) => p.includes(name));
    expect(problem).toBeDefined();
    // The value is shown quoted (JSON), so control characters and injection attempts are shown, not
    // run; the weights' sum message quotes it as STYLE.md's example does: "(got v1=50)".
    const shown = problem?.includes(JSON.stringify(value)) || problem?.includes(`(got ${value})`);
    expect({ problem, shown }).toEqual({ problem, shown: true });
    expect(existsSync(outdir)).toBe(false);
  });
});
