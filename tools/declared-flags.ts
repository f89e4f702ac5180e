/**
 * Command-line flags declared once, in a table per tool (tools/traffic/flags.ts, tools/canary/flags.ts):
 * each flag a SettingKind (its form, as the project's settings are declared in modules/settings/)
 * with its default and what it does. The commander options and their `--help`, the validation and
 * its one-line refusals, and the flags table of the tool's page in docs/ all come from the table:
 * here are the declaration, the forms the tools' flags share, and that wiring.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type Command, Option } from "commander";
import { z } from "zod";
import { readValue, refuse, type SettingKind } from "../modules/settings/kinds";
import { projectRoot } from "../modules/settings/project";
import { UsageError } from "./command-line";

/** Values every flag with a form refuses: an empty or blank value (`--rate "$RATE"` with RATE unset). */
export const MALFORMED_FOR_EVERY_FLAG = ["", "  "];

export interface DeclaredFlag<T> extends SettingKind<T> {
  /** A one-letter alias, such as `-n`. */
  readonly short?: `-${string}`;
  /** The value's name in `--help` (`n` in `--requests <n>`); a flag without one is a switch. */
  readonly argument?: string;
  /** What it does, for `--help` and the tool's page. */
  readonly description: string;
  /** A value in the accepted form, used when the flag is not given. */
  readonly default?: string;
  /** Without a default: what the command does when the flag is not given. */
  readonly otherwise?: string;
  /** The environment variable that gives the same value in the same form when the flag is not given. */
  readonly env?: string;
  readonly required?: true;
}

type Declaration = Omit<DeclaredFlag<unknown>, keyof SettingKind<unknown>> & {
  readonly malformed?: readonly string[];
};

/** A flag of `kind`; its own `malformed` values add to those of its kind. */
export function flag<T, const D extends Declaration>(
  kind: SettingKind<T>,
  declaration: D,
): DeclaredFlag<T> & D {
  return { ...kind, ...declaration, malformed: [...kind.malformed, ...(declaration.malformed ?? [])] };
}

/** A tool's flags, by their name in commander's options (`maxErrorRate` for `--max-error-rate`). */
export type FlagTable = Readonly<Record<string, DeclaredFlag<unknown>>>;

type ValueOf<F> = F extends SettingKind<infer T> ? T : never;
/** A flag with a default, or required, always has a value; any other may be absent. */
type Absent<F> = F extends { default: string } | { required: true } ? never : undefined;

/** The values of a table's flags, read and checked. */
export type ValuesOfFlags<T extends FlagTable> = { readonly [K in keyof T]: ValueOf<T[K]> | Absent<T[K]> };

/** A number in any form JavaScript reads (`0.001`, `.001`, `1e-3`); blank is no number. */
const NUMBER = z
  .string()
  .refine((text) => text.trim() !== "")
  .transform(Number);

export function wholeNumber(min: number, max: number): SettingKind<number> {
  return {
    schema: () => NUMBER.pipe(z.number().int().min(min).max(max)),
    accepted: `a whole number from ${min} to ${max}`,
    malformed: [String(min - 1), String(max + 1), "1.5", "two"],
  };
}

export function decimal(
  number: z.ZodNumber,
  accepted: string,
  malformed: readonly string[],
): SettingKind<number> {
  return { schema: () => NUMBER.pipe(number), accepted, malformed };
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds in `500ms`, `5s`, `2m`, `1h`, or a bare number of seconds (as curl's `--max-time`). */
export function milliseconds(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text);
  return match ? Number(match[1]) * UNIT_MS[match[2] ?? "s"] : Number.NaN;
}

/** A duration in milliseconds, from 1 ms to `max`. */
export function duration(max: string): SettingKind<number> {
  return {
    schema: () =>
      z
        .string()
        .transform(milliseconds)
        .pipe(z.number().min(1).max(milliseconds(max))),
    accepted: `a duration from 1ms to ${max}, such as 500ms, 5s or 2m`,
    malformed: ["0", "0.5ms", "forever", "5 s", "-1s"],
  };
}

/**
 * `kind`'s form and messages, keeping the text as given: for a flag that the tool reads again
 * with the other sources of the same value.
 */
export function asGiven(kind: SettingKind<unknown>): SettingKind<string> {
  return {
    accepted: kind.accepted,
    malformed: kind.malformed,
    schema: (name) =>
      z.string().superRefine((text, ctx) => {
        const read = readValue(name, kind, text);
        if ("problems" in read) for (const problem of read.problems) refuse(ctx, problem);
      }),
  };
}

/** Any text: a file's path, relative to the working folder; what is there is checked when it is read. */
export const FILE: SettingKind<string> = {
  schema: () => z.string(),
  accepted: "a file's path, relative to the working folder",
  malformed: [],
};

/** Present or not: commander sets a switch that is given to true, which readFlags reads as "true". */
export const SWITCH: SettingKind<boolean> = {
  schema: () => z.literal("true").transform(() => true),
  accepted: "no value",
  malformed: [],
};

/** `maxErrorRate` as the user types it: `--max-error-rate`. */
export function longFlag(name: string): string {
  return `--${name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}

/** `-n, --requests <n>`, as commander and the docs write a flag. */
export function usageOf(name: string, declared: DeclaredFlag<unknown>): string {
  const short = declared.short ? `${declared.short}, ` : "";
  const argument = declared.argument ? ` <${declared.argument}>` : "";
  return `${short}${longFlag(name)}${argument}`;
}

/** What a flag does and accepts, as `--help` and the docs say it. */
export function meaningOf(declared: DeclaredFlag<unknown>): string {
  return declared.argument ? `${declared.description}: ${declared.accepted}` : declared.description;
}

/** Registers the flags of `table` on a commander command, with their help and defaults. */
export function addFlags(command: Command, table: FlagTable): Command {
  for (const [name, declared] of Object.entries(table)) {
    const otherwise = declared.otherwise ? ` (default: ${declared.otherwise})` : "";
    const option = new Option(usageOf(name, declared), `${meaningOf(declared)}${otherwise}`);
    if (declared.default !== undefined) option.default(declared.default);
    if (declared.required) option.makeOptionMandatory();
    command.addOption(option);
  }
  return command;
}

/**
 * Reads and checks the flags of `table` from commander's options, in the table's order; throws a
 * UsageError naming the first bad flag, its value and the accepted form. An option the table does
 * not hold is not read.
 */
export function readFlags<T extends FlagTable>(
  table: T,
  options: Readonly<Record<string, string | boolean | undefined>>,
): ValuesOfFlags<T> {
  const values: Record<string, unknown> = {};
  for (const [name, declared] of Object.entries(table)) {
    const given = options[name];
    if (given === undefined) continue;
    const read = readValue(longFlag(name), declared, String(given));
    if ("problems" in read) throw new UsageError(read.problems[0]);
    values[name] = read.value;
  }
  return values as ValuesOfFlags<T>;
}

/** A Markdown table with its columns padded, as a reader of the raw page sees it. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column].length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column])).join(" | ")} |`;
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)];
}

/** A page of docs/ whose flags reference is generated from a tool's table, between two markers. */
export interface FlagsPage {
  /** From the project's root: `docs/traffic.md`. */
  readonly page: string;
  /** The line that opens the reference, naming the script that writes it and the table. */
  readonly begin: string;
  /** The line that closes it. */
  readonly end: string;
}

/** `text`, the page's, with what is between its markers replaced by `lines`. */
export function withFlagsReference(text: string, page: FlagsPage, lines: readonly string[]): string {
  const begin = text.indexOf(page.begin);
  const end = text.indexOf(page.end);
  if (begin === -1 || end < begin) {
    throw new Error(`${page.page} needs the markers ${page.begin} and ${page.end}, in that order`);
  }
  const generated = [page.begin, "", ...lines, "", ""].join("\n");
  return `${text.slice(0, begin)}${generated}${text.slice(end)}`;
}

/** Rewrites the reference of `page` in the project's docs with `lines`, and says so. */
export function writeFlagsReference(page: FlagsPage, lines: readonly string[]): void {
  const file = path.join(projectRoot(__dirname), page.page);
  writeFileSync(file, withFlagsReference(readFileSync(file, "utf8"), page, lines));
  process.stdout.write(`wrote the flags reference in ${page.page}\n`);
}
