/**
 * The setting kinds: how a setting's text becomes its value (a zod schema), the accepted form its
 * errors name, and the malformed values the bad-input matrix tries. `setting()` declares one setting
 * of a kind; `section()` groups the settings of one part of the configuration (modules/settings/sections/).
 */
import { z } from "zod";

/** Values every setting refuses: empty, blank, and text that would do harm if a shell ever ran it. */
export const MALFORMED_FOR_EVERY_SETTING = [
  "",
  "  ",
  "$(id)",
  "`id`",
  "x; rm -rf /",
  "${jndi:ldap://x}",
  "a\nb",
];

/**
 * A refusal with a message of its own (a parser that explains what is wrong inside the value). Other
 * refusals read `NAME="value" is not <accepted>`, with `params.accepted` overriding the setting's form.
 */
export function refuse(ctx: z.core.$RefinementCtx, message: string): void {
  ctx.addIssue({ code: "custom", message, params: { complete: true } });
}

/** How a setting's text becomes its value, the accepted form errors name, and values it refuses. */
export interface SettingKind<T> {
  /** The schema from the setting's text to its value; `name` is for parsers' own messages. */
  readonly schema: (name: string) => z.ZodType<T, string>;
  readonly accepted: string;
  /** Values of this kind's form that it must refuse (the bad-input matrix tries each). */
  readonly malformed: readonly string[];
}

/** Values of the settings declared before the one at hand, by name; a setting refused or unset is absent. */
export type Earlier = Readonly<Partial<Record<string, unknown>>>;

/** One setting: its kind, where its value goes in the Config (`field` of its section), and its docs. */
export interface Setting<T, F extends string = string> extends SettingKind<T> {
  /** The setting's field in its section of the Config: `config.<section>.<field>`. */
  readonly field: F;
  /** What it does, for docs/settings.md and settings.example.env. */
  readonly description: string;
  readonly default: {
    /** The default as the docs show it. */
    readonly text: string;
    /** The value when unset, or how it follows from settings declared before it. */
    readonly value: T | ((earlier: Earlier) => T);
  };
  /** A valid value, shown in settings.example.env and tried by the tests. */
  readonly example: string;
  /** Settings the example needs beside it (a key set belongs to an issuer); the tests set them too. */
  readonly exampleWith?: Readonly<Record<string, string>>;
  /**
   * A check against settings declared before it (`earlier`): returns the accepted form the value
   * misses, or a complete message, or undefined when it passes.
   */
  readonly check?: (value: T, earlier: Earlier) => { accepted: string } | { message: string } | undefined;
  /**
   * Settings declared before it that its `check` refuses it with, whatever their values: the docs
   * list them, and the example file's values are valid together but for these pairs.
   */
  readonly excludes?: readonly string[];
}

/** A setting of `kind`; its own `malformed` values add to those of its kind. */
export function setting<T, const F extends string>(
  kind: SettingKind<T>,
  declaration: NoInfer<
    Omit<Setting<T>, keyof SettingKind<T> | "field"> & { malformed?: readonly string[] }
  > & {
    readonly field: F;
  },
): Setting<T, F> {
  return { ...kind, ...declaration, malformed: [...kind.malformed, ...(declaration.malformed ?? [])] };
}

// biome-ignore lint/suspicious/noExplicitAny: a section holds settings of any value type.
export type AnySetting = Setting<any>;

/** The settings of one part of the configuration, by name, in the order they are read, with its title. */
export interface Section<S extends Readonly<Record<string, AnySetting>>> {
  /** The heading in docs/settings.md and settings.example.env. */
  readonly title: string;
  readonly settings: S;
}

export function section<const S extends Readonly<Record<string, AnySetting>>>(
  title: string,
  settings: S,
): Section<S> {
  return { title, settings };
}

/** The value type of a setting. */
export type ValueOf<S> = S extends SettingKind<infer T> ? T : never;

type FieldOf<S> = S extends { readonly field: infer F extends string } ? F : never;

/** A section's part of the Config: each setting's value under its `field`, optional where it may be unset. */
export type SectionValues<S> = {
  readonly [K in keyof S as undefined extends ValueOf<S[K]> ? never : FieldOf<S[K]>]: ValueOf<S[K]>;
} & {
  readonly [K in keyof S as undefined extends ValueOf<S[K]> ? FieldOf<S[K]> : never]?: ValueOf<S[K]>;
};

/** A kind whose value may be absent: a setting of it defaults to undefined. */
export function optional<T>(kind: SettingKind<T>): SettingKind<T | undefined> {
  return kind as SettingKind<T | undefined>;
}

export function pattern(regex: RegExp, accepted: string): SettingKind<string> {
  return { schema: () => z.string().regex(regex), accepted, malformed: [] };
}

export const BOOLEAN: SettingKind<boolean> = {
  schema: () =>
    z
      .string()
      .pipe(z.enum(["true", "false"]))
      .transform((text) => text === "true"),
  accepted: "a boolean: true or false",
  malformed: ["yes", "1", "TRUE"],
};

export function wholeNumber(min: number, max: number): SettingKind<number> {
  return {
    schema: () => z.string().regex(/^\d+$/).transform(Number).pipe(z.number().min(min).max(max)),
    accepted: `a whole number from ${min} to ${max}`,
    malformed: [String(min - 1), String(max + 1), "-1", "1.5", "two", "1e2"],
  };
}

export function oneOf<const T extends string>(values: readonly [T, ...T[]]): SettingKind<T> {
  const [first] = values;
  const otherCase = [first.toUpperCase(), first.toLowerCase()].filter((text) => text !== first);
  return {
    schema: () => z.string().pipe(z.enum(values)) as unknown as z.ZodType<T, string>,
    accepted: `one of ${values.join(", ")}`,
    malformed: [...otherCase.slice(0, 1), `${first}x`],
  };
}

const IPV4_CIDR =
  /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\/(3[0-2]|[12]?\d)$/;

/** True when a valid IPv4 CIDR's host bits are all zero, as AWS and Kubernetes expect of a range. */
function isNetworkAddress(cidr: string): boolean {
  const [address, prefix] = cidr.split("/");
  const value = address.split(".").reduce((sum, octet) => sum * 256 + Number(octet), 0);
  return value % 2 ** (32 - Number(prefix)) === 0;
}

/** An IPv4 CIDR in network form (host bits zero). */
export const ipv4Cidr = z.string().regex(IPV4_CIDR).refine(isNetworkAddress);

export const CIDR_LIST: SettingKind<string[]> = {
  schema: () =>
    z
      .string()
      .transform((text) => text.split(",").map((item) => item.trim()))
      .pipe(z.array(ipv4Cidr)),
  accepted:
    "a comma-separated list of IPv4 CIDRs in network form, such as 203.0.113.0/24,198.51.100.7/32 (0.0.0.0/0 for the whole internet)",
  malformed: ["0.0.0.0", "300.1.1.1/32", "10.0.0.0/33", "::/0", "10.0.0.0/8,", "10.0.0.1/8"],
};

/** A kind whose parser reports its own problems, each a complete message naming the setting. */
export function parsed<T>(
  parse: (name: string, text: string) => { value: T; problems: readonly string[] },
  accepted: string,
): SettingKind<T> {
  return {
    schema: (name) =>
      z.string().transform((text, ctx) => {
        const { value, problems } = parse(name, text);
        for (const problem of problems) refuse(ctx, problem);
        return value;
      }),
    accepted,
    malformed: [],
  };
}

/** What `refuse` and `refine(..., { params })` attach to an issue. */
function paramsOf(issue: z.core.$ZodIssue): { complete?: boolean; accepted?: string } {
  return (issue as { params?: { complete?: boolean; accepted?: string } }).params ?? {};
}

/**
 * `text` read as a value of `kind`, or the problems found, each naming `name` (a setting, or a
 * command-line flag), the text and the accepted form: `NAME="text" is not <accepted form>`.
 */
export function readValue<T>(
  name: string,
  kind: SettingKind<T>,
  text: string,
): { value: T } | { problems: string[] } {
  const result = kind.schema(name).safeParse(text);
  if (result.success) return { value: result.data };
  const { issues } = result.error;
  const complete = issues.filter((issue) => paramsOf(issue).complete);
  // A parser's own messages say more than the generic one; otherwise the first refusal is enough.
  if (complete.length > 0) return { problems: complete.map((issue) => issue.message) };
  const accepted = paramsOf(issues[0]).accepted ?? kind.accepted;
  return { problems: [`${name}=${JSON.stringify(text)} is not ${accepted}`] };
}
