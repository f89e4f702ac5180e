import { readFileSync } from "node:fs";
import { type CanaryFlag, FLAGS, meaningOf, usageOf } from "../../../tools/canary/flags";
import {
  BEGIN,
  CANARY_PAGE,
  END,
  renderFlagsReference,
  withFlagsReference,
} from "../../../tools/canary/flags-docs";

describe("the flags reference in docs/canary.md, generated from FLAGS", () => {
  it(`keeps ${CANARY_PAGE} in step with the table (run \`npm run docs:canary\` and commit the result)`, () => {
    const page = readFileSync(CANARY_PAGE, "utf8");
    expect(page).toBe(withFlagsReference(page));
  });

  it("lists every flag once, with its default and what it accepts", () => {
    const rows = renderFlagsReference().filter((line) => line.startsWith("| `"));
    for (const [name, flag] of Object.entries(FLAGS) as [string, CanaryFlag<unknown>][]) {
      const own = rows.filter((row) => row.startsWith(`| \`${usageOf(name, flag)}\` `));
      expect({ name, rows: own.length }).toEqual({ name, rows: 1 });
      const cells = own[0]
        .slice(1, -1)
        .split("|")
        .map((cell) => cell.trim());
      expect(cells[2]).toBe(meaningOf(flag));
    }
  });

  it("rewrites only what is between the markers, and refuses a page without them", () => {
    const rewritten = withFlagsReference(`# Canary\n${BEGIN}\nstale\n${END}\nafter\n`);
    expect(rewritten.startsWith(`# Canary\n${BEGIN}\n\n| flag `)).toBe(true);
    expect(rewritten.endsWith(`\n\n${END}\nafter\n`)).toBe(true);
    expect(() => withFlagsReference("# Canary\n")).toThrow(`${CANARY_PAGE} needs the markers`);
  });
});
