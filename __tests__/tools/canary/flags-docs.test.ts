import { readFileSync } from "node:fs";
import { FLAGS } from "../../../tools/canary/flags";
import { CANARY_PAGE, renderFlagsReference } from "../../../tools/canary/flags-docs";
import { type DeclaredFlag, meaningOf, usageOf, withFlagsReference } from "../../../tools/declared-flags";

describe("the flags reference in docs/canary.md, generated from FLAGS", () => {
  it(`keeps ${CANARY_PAGE.page} in step with the table (run \`npm run docs:canary\` and commit the result)`, () => {
    const page = readFileSync(CANARY_PAGE.page, "utf8");
    expect(page).toBe(withFlagsReference(page, CANARY_PAGE, renderFlagsReference()));
  });

  it("lists every flag once, with its default and what it accepts", () => {
    const rows = renderFlagsReference().filter((line) => line.startsWith("| `"));
    for (const [name, flag] of Object.entries(FLAGS) as [string, DeclaredFlag<unknown>][]) {
      const own = rows.filter((row) => row.startsWith(`| \`${usageOf(name, flag)}\` `));
      expect({ name, rows: own.length }).toEqual({ name, rows: 1 });
      const cells = own[0]
        .slice(1, -1)
        .split("|")
        .map((cell) => cell.trim());
      expect(cells[2]).toBe(meaningOf(flag));
    }
  });
});
