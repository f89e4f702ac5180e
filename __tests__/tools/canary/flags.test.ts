/**
 * The canary's flags, declared once in FLAGS. The bad-input matrix is generated from it: every flag
 * with a form, tried with the values every flag refuses and those its declaration lists, must exit
 * 2 with one line naming the flag and the value, before anything is looked up or applied.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { run } from "../../../tools/canary/cli";
import { FLAGS, type FlagName } from "../../../tools/canary/flags";
import {
  type DeclaredFlag,
  longFlag,
  MALFORMED_FOR_EVERY_FLAG,
  meaningOf,
  usageOf,
} from "../../../tools/declared-flags";

const declared = Object.entries(FLAGS) as [FlagName, DeclaredFlag<unknown>][];

/** Flags that take any text (a path, checked when it is used) or none (a switch). */
const FREE_FORM: FlagName[] = ["outputsFile", "manifests", "report", "dryRun", "json", "tokenFile"];
/** Their parsers say what is wrong inside the value. */
const EXPLAINS_ITSELF: FlagName[] = ["steps", "from"];

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), "canary-flags-"));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function canary(argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await run(argv, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    stderrIsTTY: false,
    env: {},
    cwd: scratch,
  });
  return { code, stdout, stderr };
}

describe("the flags table", () => {
  it("lists each flag in --help, with what it accepts and its default", async () => {
    const { code, stdout } = await canary(["--help"]);
    expect(code).toBe(0);
    const help = stdout.replace(/\s+/g, " ");
    for (const [name, flag] of declared) {
      expect({ name, listed: help.includes(`${usageOf(name, flag)} ${meaningOf(flag)}`) }).toEqual({
        name,
        listed: true,
      });
    }
  });
});

const cases = declared.flatMap(([name, flag]) =>
  FREE_FORM.includes(name)
    ? []
    : [...MALFORMED_FOR_EVERY_FLAG, ...flag.malformed].map((value) => [longFlag(name), value, name] as const),
);

describe("bad input to the canary exits 2, naming the flag and the value, before anything is applied", () => {
  it.each(cases)("%s %j", async (flag, value, name) => {
    const required = name === "to" ? [] : ["--to", "v4"];
    const { code, stdout, stderr } = await canary([...required, flag, value]);
    expect({ code, stdout }).toEqual({ code: 2, stdout: "" });
    expect(stderr.endsWith("\n") && stderr.trimEnd().split("\n").length === 1).toBe(true);
    if (EXPLAINS_ITSELF.includes(name)) {
      expect(
        stderr.startsWith(`error: ${flag}=${JSON.stringify(value)}: `) ||
          stderr.startsWith(`error: ${flag}: `),
      ).toBe(true);
    } else {
      expect(stderr).toBe(`error: ${flag}=${JSON.stringify(value)} is not ${FLAGS[name].accepted}\n`);
    }
  });
});
