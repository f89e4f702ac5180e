/**
 * The traffic tool's flags, each declared once in FLAGS: the commands that take it, its form (a
 * SettingKind, as the project's settings are declared in modules/settings/), its default and what it
 * does. The commander options and their `--help`, the validation and its messages, the flags reference
 * in docs/traffic.md and the bad-input tests all come from this table.
 */
import { type Command, Option } from "commander";
import { z } from "zod";
import { oneOf, readValue, refuse, type SettingKind } from "../../modules/settings/kinds";
import { SHOPFRONT_VERSIONS } from "../../modules/settings/names";
import { SETTINGS } from "../../modules/settings/table";
import { UsageError } from "../command-line";
import { GATEWAY_URL_FORM, gatewayUrl, ROUTE_FILES } from "./targets";
import { TOKEN_FILE, TOKEN_FILE_ENV } from "./token";

export const COMMANDS = ["count", "pods", "load", "mirror", "auth"] as const;
export type CommandName = (typeof COMMANDS)[number];
const SAMPLING = ["count", "pods", "mirror"] as const;
/** The commands that measure the target (all but auth, which checks its answers to three tokens). */
const MEASURING = ["count", "pods", "load", "mirror"] as const;

/** Requests in one run, for every command: each keeps its latency in memory until the report. */
export const MAX_REQUESTS = 1_000_000;

/** Values every flag with a form refuses: an empty or blank value (`--rate "$RATE"` with RATE unset). */
export const MALFORMED_FOR_EVERY_FLAG = ["", "  "];

export interface Flag<T> extends SettingKind<T> {
  readonly commands: readonly CommandName[];
  /** A one-letter alias, such as `-n`. */
  readonly short?: `-${string}`;
  /** The value's name in `--help` (`n` in `--requests <n>`); a flag without one is a switch. */
  readonly argument?: string;
  /** What it does, for `--help` and docs/traffic.md. */
  readonly description: string;
  /** A value in the accepted form, used when the flag is not given. */
  readonly default?: string;
  /** Without a default: what the command does when the flag is not given. */
  readonly otherwise?: string;
  /** The environment variable that gives the same value in the same form when the flag is not given. */
  readonly env?: string;
  readonly required?: true;
}

type Declaration = Omit<Flag<unknown>, keyof SettingKind<unknown>> & {
  readonly malformed?: readonly string[];
};

/** A flag of `kind`; its own `malformed` values add to those of its kind. */
function flag<T, const D extends Declaration>(kind: SettingKind<T>, declaration: D): Flag<T> & D {
  return { ...kind, ...declaration, malformed: [...kind.malformed, ...(declaration.malformed ?? [])] };
}

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

/** The gateway, kept as given: targets.ts reads it again beside GATEWAY_URL and the outputs file. */
export const GATEWAY: SettingKind<string> = {
  schema: (name) =>
    z.string().refine((text) => {
      try {
        gatewayUrl(name, text);
        return true;
      } catch (error) {
        if (error instanceof UsageError) return false;
        throw error;
      }
    }),
  accepted: GATEWAY_URL_FORM,
  malformed: ["ftp://gw.example.com", "http://", "not a host"],
};

/**
 * `kind`'s form and messages, keeping the text as given: for a flag that targets.ts reads again
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

/** Prometheus's HTTP API: an http:// or https:// URL. */
export const PROMETHEUS: SettingKind<URL> = {
  schema: () =>
    z.string().transform((text, ctx) => {
      let url: URL | undefined;
      try {
        url = new URL(text);
      } catch {
        url = undefined;
      }
      if (url === undefined || !/^https?:$/.test(url.protocol) || url.hostname === "") {
        ctx.addIssue({ code: "custom", message: "not an http(s) URL" });
        return z.NEVER;
      }
      return url;
    }),
  accepted: "an http:// or https:// URL, such as http://localhost:9090",
  malformed: ["localhost:9090", "ftp://prometheus", "http://"],
};

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

/**
 * Every flag of the tool, in the order `--help` lists them and the commands check them: one bad
 * flag is reported before any target or weight is looked up, so a typo is not hidden behind a
 * missing URL.
 */
export const FLAGS = {
  url: flag(GATEWAY, {
    commands: COMMANDS,
    argument: "url",
    description: "the gateway",
    otherwise: "GATEWAY_URL, else gateway_url in --outputs-file (istio-stack's, else istio-config-stack's)",
    env: "GATEWAY_URL",
  }),
  outputsFile: flag(FILE, {
    commands: COMMANDS,
    argument: "path",
    description: "cdktf outputs file to find the gateway (and the deployed weights) in",
    default: "cdktf-outputs.json",
  }),
  timeout: flag(duration("10m"), {
    commands: COMMANDS,
    argument: "duration",
    description: "bound on one request, from the call to the last byte (a bare number is seconds)",
    default: "5s",
    malformed: ["11m", "soon"],
  }),
  maxErrorRate: flag(
    decimal(z.number().min(0).max(100), "a percentage from 0 to 100, such as 1 or 0.5", ["-1", "101", "1%"]),
    {
      commands: MEASURING,
      argument: "percent",
      description: "errors allowed, in percent of requests",
      default: "1",
    },
  ),
  tokenFile: flag(TOKEN_FILE, {
    commands: COMMANDS,
    argument: "path",
    description: "every request carries the JWT in this file as its bearer token",
    otherwise: `${TOKEN_FILE_ENV}, else no token (auth needs one)`,
    env: TOKEN_FILE_ENV,
  }),
  json: flag(SWITCH, {
    commands: COMMANDS,
    description: "print one JSON object on stdout instead of the report",
    otherwise: "off",
  }),
  report: flag(FILE, {
    commands: ["count", "load"],
    argument: "file",
    description: "also write a self-contained HTML report of the run there",
    otherwise: "none",
  }),
  requests: flag(wholeNumber(1, MAX_REQUESTS), {
    commands: [...SAMPLING, "auth"],
    short: "-n",
    argument: "n",
    description: "requests to send (auth: for each of its three cases)",
    default: "100",
  }),
  concurrency: flag(wholeNumber(1, 1000), {
    commands: [...SAMPLING, "auth"],
    short: "-c",
    argument: "n",
    description: "requests in flight at once, over as many keep-alive connections",
    default: "10",
  }),
  maxTime: flag(duration("24h"), {
    commands: SAMPLING,
    argument: "duration",
    description: "bound on the whole run",
    default: "5m",
    malformed: ["25h"],
  }),
  alpha: flag(
    decimal(z.number().gt(0).lt(1), "a significance level between 0 and 1, such as 0.01", ["0", "1", "5%"]),
    {
      commands: MEASURING,
      argument: "p",
      description: "the check fails when the p-value is below it",
      default: "0.01",
    },
  ),
  manifests: flag(FILE, {
    commands: MEASURING,
    argument: "file",
    description: "the manifest with the shopfront's route, whose policies the resilience settings apply to",
    otherwise: `ROUTING_API's: ${ROUTE_FILES.istio}, or ${ROUTE_FILES["gateway-api"]}`,
  }),
  expect: flag(asGiven(SETTINGS.SHOPFRONT_WEIGHTS), {
    commands: ["count"],
    argument: "weights",
    description: "expected split",
    otherwise:
      "shopfront-stack's route_weights in --outputs-file, else SHOPFRONT_WEIGHTS, else the VirtualService in --manifests",
    env: "SHOPFRONT_WEIGHTS",
  }),
  version: flag(oneOf(SHOPFRONT_VERSIONS), {
    commands: ["pods"],
    argument: "vN",
    description: "the version whose pods to check",
    required: true,
    malformed: ["v9", "2"],
  }),
  replicas: flag(wholeNumber(1, 1000), {
    commands: ["pods"],
    argument: "n",
    description: "pods the version runs",
    otherwise: "its Deployments in the YAML files beside --manifests",
  }),
  rate: flag(
    decimal(z.number().min(0.1).max(1000), "a rate from 0.1 to 1000 requests/s, such as 2", [
      "0",
      "0.05",
      "1001",
      "2/s",
    ]),
    {
      commands: ["load"],
      argument: "r",
      description: "requests per second",
      default: "2",
    },
  ),
  duration: flag(duration("24h"), {
    commands: ["load"],
    argument: "duration",
    description: `how long to send, at most ${MAX_REQUESTS} requests in all (--rate × --duration)`,
    default: "60s",
    malformed: ["25h"],
  }),
  prometheus: flag(PROMETHEUS, {
    commands: ["mirror"],
    argument: "url",
    description:
      "Prometheus's HTTP API, such as http://localhost:9090 from `istioctl dashboard prometheus` or a port-forward",
    required: true,
  }),
  settle: flag(duration("10m"), {
    commands: ["mirror"],
    argument: "duration",
    description:
      "how long Prometheus's counts must stay unchanged after the run: at least its scrape interval (15s)",
    default: "30s",
    malformed: ["11m"],
  }),
  scrapeWait: flag(duration("1h"), {
    commands: ["mirror"],
    argument: "duration",
    description: "bound on the wait for Prometheus to count the run's requests",
    default: "3m",
    malformed: ["2h"],
  }),
  path: flag(
    {
      schema: () => z.string().startsWith("/"),
      accepted: "a path starting with /, such as /miztiik-error-generator",
      malformed: ["miztiik-error-generator", "http://host/path"],
    },
    {
      commands: ["load"],
      argument: "path",
      description: "path to request instead of the URL's",
      otherwise: "the URL's path",
    },
  ),
} as const;

type Flags = typeof FLAGS;
export type FlagName = keyof Flags;

type ValueOf<F> = F extends SettingKind<infer T> ? T : never;
/** A flag with a default, or required, always has a value; any other may be absent. */
type Absent<F> = F extends { default: string } | { required: true } ? never : undefined;

/** The values of the flags `command` takes, read and checked. */
export type FlagValues<C extends CommandName> = {
  readonly [K in FlagName as C extends Flags[K]["commands"][number] ? K : never]:
    | ValueOf<Flags[K]>
    | Absent<Flags[K]>;
};

/** `maxErrorRate` as the user types it: `--max-error-rate`. */
export function longFlag(name: string): string {
  return `--${name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}

function flagsOf(command: CommandName): [FlagName, Flag<unknown>][] {
  return (Object.entries(FLAGS) as [FlagName, Flag<unknown>][]).filter(([, declared]) =>
    declared.commands.includes(command),
  );
}

/** `-n, --requests <n>`, as commander and the docs write a flag. */
export function usageOf(name: string, declared: Flag<unknown>): string {
  const short = declared.short ? `${declared.short}, ` : "";
  const argument = declared.argument ? ` <${declared.argument}>` : "";
  return `${short}${longFlag(name)}${argument}`;
}

/** What a flag does and accepts, as `--help` and the docs say it. */
export function meaningOf(declared: Flag<unknown>): string {
  return declared.argument ? `${declared.description}: ${declared.accepted}` : declared.description;
}

/** Registers the flags `name` takes on its commander command, with their help and defaults. */
export function addFlags(command: Command, name: CommandName): Command {
  for (const [flagName, declared] of flagsOf(name)) {
    const otherwise = declared.otherwise ? ` (default: ${declared.otherwise})` : "";
    const option = new Option(usageOf(flagName, declared), `${meaningOf(declared)}${otherwise}`);
    if (declared.default !== undefined) option.default(declared.default);
    if (declared.required) option.makeOptionMandatory();
    command.addOption(option);
  }
  return command;
}

/**
 * Reads and checks the flags of `command` from commander's options, in FLAGS order; throws a
 * UsageError naming the first bad flag, its value and the accepted form.
 */
export function readFlags<C extends CommandName>(
  command: C,
  options: Readonly<Record<string, string | boolean | undefined>>,
): FlagValues<C> {
  const values: Record<string, unknown> = {};
  for (const [name, declared] of flagsOf(command)) {
    const given = options[name];
    if (given === undefined) continue;
    const read = readValue(longFlag(name), declared, String(given));
    if ("problems" in read) throw new UsageError(read.problems[0]);
    values[name] = read.value;
  }
  return values as FlagValues<C>;
}
