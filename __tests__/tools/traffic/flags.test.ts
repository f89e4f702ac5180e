/**
 * The traffic tool's flags, declared once in FLAGS: what the table says is what the tool does. The
 * bad-input matrix is generated from it, as __tests__/policies/bad-input.test.ts is from SETTINGS:
 * every flag with a form, tried with the values every flag refuses and with those its declaration
 * says it refuses, and every environment variable that stands for a flag, with the same values. A
 * new flag gets its rows by being declared.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { readValue } from "../../../modules/settings/kinds";
import { UsageError } from "../../../tools/command-line";
import {
  longFlag,
  MALFORMED_FOR_EVERY_FLAG,
  meaningOf,
  readFlags,
  usageOf,
} from "../../../tools/declared-flags";
import {
  COMMANDS,
  type CommandName,
  FLAGS,
  type Flag,
  type FlagName,
  flagsOf,
} from "../../../tools/traffic/flags";
import { traffic } from "../../traffic-run";

const declared = Object.entries(FLAGS) as [FlagName, Flag<unknown>][];

/** Valid values for the flags a run needs beside the one under test: required ones, and the target. */
const VALID: Partial<Record<FlagName, string>> = {
  version: "v2",
  prometheus: "http://127.0.0.1:9/",
  url: "http://127.0.0.1:9/",
  expect: "v1=100",
  tokenFile: "token.jwt",
};

/**
 * Flags that take any text: a path, checked when the file is read (cli.test.ts, token.test.ts), or a
 * switch.
 */
const FREE_FORM: FlagName[] = ["outputsFile", "json", "manifests", "report", "tokenFile"];

/** The weights' parser says what is wrong inside the value, as it does for SHOPFRONT_WEIGHTS. */
const EXPLAINS_ITSELF: FlagName[] = ["expect"];

let scratch: string;
beforeAll(() => {
  // No outputs file and no manifests: a value wrongly accepted ends in another error, never a request.
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "traffic-flags-"));
});
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** The flags `command` needs besides `except`, with valid values. */
function needed(command: CommandName, except: FlagName, which: (flag: Flag<unknown>) => boolean): string[] {
  return declared
    .filter(([name, flag]) => name !== except && flag.commands.includes(command) && which(flag))
    .flatMap(([name]) => [longFlag(name), VALID[name] as string]);
}

describe("the flags table", () => {
  it("has a valid value in VALID for every required flag and every flag an environment variable stands for", () => {
    const needing = declared.filter(([, flag]) => flag.required || flag.env).map(([name]) => name);
    expect(needing.filter((name) => VALID[name] === undefined)).toEqual([]);
    for (const [name, flag] of declared) {
      const text = VALID[name];
      if (text === undefined) continue;
      expect({ name, read: readValue(longFlag(name), flag, text) }).toEqual({
        name,
        read: { value: expect.anything() },
      });
    }
  });

  it("tries, for every flag with a form, malformed values of its own beside the common ones", () => {
    const withoutOwn = declared.filter(([, flag]) => flag.malformed.length < 2).map(([name]) => name);
    expect(withoutOwn.sort()).toEqual([...FREE_FORM].sort());
  });

  it("reads durations in milliseconds and numbers in any form JavaScript reads", () => {
    const flags = readFlags(flagsOf("count"), {
      timeout: "500ms",
      maxTime: "2",
      requests: "1e3",
      concurrency: "10",
      alpha: ".001",
      maxErrorRate: "0.5",
      outputsFile: "cdktf-outputs.json",
      manifests: "manifests/shopfront-mesh.yaml",
      json: true,
    });
    expect(flags).toEqual({
      timeout: 500,
      maxTime: 2000,
      requests: 1000,
      concurrency: 10,
      alpha: 0.001,
      maxErrorRate: 0.5,
      outputsFile: "cdktf-outputs.json",
      manifests: "manifests/shopfront-mesh.yaml",
      json: true,
    });
  });

  it("keeps --url and --expect as given, for targets.ts to weigh against their other sources", () => {
    const flags = readFlags(flagsOf("count"), { url: "gw.example.com", expect: "v1=90,v4=10" });
    expect(flags).toMatchObject({ url: "gw.example.com", expect: "v1=90,v4=10" });
  });

  it("reads only the flags of the command: another command's flag is not checked", () => {
    expect(readFlags(flagsOf("load"), { rate: "2", requests: "0" })).toEqual({ rate: 2 });
    expect(() => readFlags(flagsOf("count"), { requests: "0" })).toThrow(UsageError);
  });

  it.each(COMMANDS)(
    "lists each flag of %s in its --help, with what it accepts and its default",
    async (command) => {
      const { code, stdout } = await traffic([command, "--help"], { cwd: scratch });
      expect(code).toBe(0);
      // Commander wraps the help to the terminal's width.
      const help = stdout.replace(/\s+/g, " ");
      for (const [name, flag] of declared) {
        const listed = help.includes(`${usageOf(name, flag)} ${meaningOf(flag)}`);
        expect({ name, listed }).toEqual({ name, listed: flag.commands.includes(command) });
        if (!listed) continue;
        const fallback = flag.default !== undefined ? JSON.stringify(flag.default) : flag.otherwise;
        if (fallback !== undefined) expect(help).toContain(`${meaningOf(flag)} (default: ${fallback})`);
      }
    },
  );
});

const flagCases = declared.flatMap(([name, flag]) =>
  FREE_FORM.includes(name)
    ? []
    : [...MALFORMED_FOR_EVERY_FLAG, ...flag.malformed].map((value) => [longFlag(name), value, name] as const),
);

const environmentCases = declared.flatMap(([name, { env, malformed }]) =>
  env === undefined
    ? []
    : [...MALFORMED_FOR_EVERY_FLAG, ...malformed].map((value) => [env, value, name] as const),
);

/** The one line the tool prints for `setting=value`, from the flag's declaration. */
function expectRefused(stderr: string, setting: string, name: FlagName, value: string): void {
  expect(stderr.endsWith("\n") && stderr.trimEnd().split("\n").length === 1).toBe(true);
  if (EXPLAINS_ITSELF.includes(name)) {
    // "--expect: weights add up to 50, ... (got v1=50)" shows the value as STYLE.md's example does.
    expect(
      stderr.startsWith(`error: ${setting}=${JSON.stringify(value)}: `) ||
        stderr.startsWith(`error: ${setting}: `),
    ).toBe(true);
    expect(stderr.includes(JSON.stringify(value)) || stderr.includes(`(got ${value})`)).toBe(true);
  } else {
    expect(stderr).toBe(`error: ${setting}=${JSON.stringify(value)} is not ${FLAGS[name].accepted}\n`);
  }
}

describe("bad input to the traffic tool exits 2, naming the flag, the value and the accepted form", () => {
  it.each(flagCases)("%s %j", async (flag, value, name) => {
    const command = FLAGS[name].commands[0];
    const required = needed(command, name, (other) => other.required === true);
    const { code, stdout, stderr } = await traffic([command, ...required, flag, value], { cwd: scratch });
    expect({ code, stdout }).toEqual({ code: 2, stdout: "" });
    expectRefused(stderr, flag, name, value);
  });
});

describe("an environment variable that stands for a flag is refused as the flag is, naming the variable", () => {
  it.each(environmentCases)("%s=%j", async (variable, value, name) => {
    const command = FLAGS[name].commands[0];
    // The other sources this command reads first are given, so that the run reaches the variable.
    const others = needed(command, name, (other) => other.required === true || other.env !== undefined);
    const { code, stdout, stderr } = await traffic([command, ...others], {
      env: { [variable]: value },
      cwd: scratch,
    });
    expect({ code, stdout }).toEqual({ code: 2, stdout: "" });
    expectRefused(stderr, variable, name, value);
  });
});
