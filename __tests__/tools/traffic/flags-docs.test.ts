import { readFileSync } from "node:fs";
import { meaningOf, usageOf, withFlagsReference } from "../../../tools/declared-flags";
import { COMMANDS, FLAGS, type Flag } from "../../../tools/traffic/flags";
import { renderFlagsReference, TRAFFIC_PAGE } from "../../../tools/traffic/flags-docs";

const FIX = "run `npm run docs:traffic` and commit the result";

describe("the flags reference in docs/traffic.md, generated from FLAGS", () => {
  it(`keeps ${TRAFFIC_PAGE.page} in step with the table (${FIX})`, () => {
    const page = readFileSync(TRAFFIC_PAGE.page, "utf8");
    expect(page).toBe(withFlagsReference(page, TRAFFIC_PAGE, renderFlagsReference()));
  });

  it("lists every flag once, with its commands, its default and what it accepts", () => {
    const rows = renderFlagsReference().filter((line) => line.startsWith("| `"));
    for (const [name, flag] of Object.entries(FLAGS) as [string, Flag<unknown>][]) {
      const own = rows.filter((row) => row.startsWith(`| \`${usageOf(name, flag)}\` `));
      expect({ name, rows: own.length }).toEqual({ name, rows: 1 });
      const cells = own[0]
        .slice(1, -1)
        .split("|")
        .map((cell) => cell.trim());
      expect(cells[2]).toBe(flag.default !== undefined ? `\`${flag.default}\`` : (flag.otherwise ?? ""));
      const named = COMMANDS.filter((command) => cells[1] === "all" || cells[1].includes(`\`${command}\``));
      expect({ name, commands: named }).toEqual({ name, commands: flag.commands });
      expect(cells[3]).toBe(meaningOf(flag));
      if (flag.argument !== undefined) expect(cells[3]).toContain(flag.accepted);
    }
  });

  it("names the environment variables that stand for flags, and whether they are project settings", () => {
    const lines = renderFlagsReference();
    expect(lines).toContain("- `GATEWAY_URL`, in place of `--url`: from the environment only.");
    expect(lines).toContain(
      "- `SHOPFRONT_WEIGHTS`, in place of `--expect`: a project setting ([docs/settings.md](settings.md#shopfront_weights)), which the settings file can hold too.",
    );
  });
});
