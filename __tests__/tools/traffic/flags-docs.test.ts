import { readFileSync } from "node:fs";
import { COMMANDS, FLAGS, type Flag, meaningOf, usageOf } from "../../../tools/traffic/flags";
import {
  BEGIN,
  END,
  renderFlagsReference,
  TRAFFIC_PAGE,
  withFlagsReference,
} from "../../../tools/traffic/flags-docs";

const FIX = "run `npm run docs:traffic` and commit the result";

describe("the flags reference in docs/traffic.md, generated from FLAGS", () => {
  it(`keeps ${TRAFFIC_PAGE} in step with the table (${FIX})`, () => {
    const page = readFileSync(TRAFFIC_PAGE, "utf8");
    expect(page).toBe(withFlagsReference(page));
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

  it("rewrites only what is between the markers", () => {
    const page = `# Title\n\nbefore\n${BEGIN}\nstale\n${END}\nafter\n`;
    const rewritten = withFlagsReference(page);
    expect(rewritten.startsWith(`# Title\n\nbefore\n${BEGIN}\n\n| flag `)).toBe(true);
    expect(rewritten.endsWith(`\n\n${END}\nafter\n`)).toBe(true);
    expect(rewritten).not.toContain("stale");
  });

  it("refuses a page without its markers, rather than writing the reference nowhere", () => {
    expect(() => withFlagsReference("# Traffic\n")).toThrow(
      `${TRAFFIC_PAGE} needs the markers ${BEGIN} and ${END}, in that order`,
    );
  });
});
