/**
 * The traffic tool's flags, each declared once in FLAGS: the commands that take it, its form (a
 * SettingKind, as the project's settings are declared in modules/settings/), its default and what it
 * does. The commander options and their `--help`, the validation and its messages, the flags reference
 * in docs/traffic.md and the bad-input tests all come from this table, through tools/declared-flags.ts.
 */
import { z } from "zod";
import { oneOf, type SettingKind } from "../../modules/settings/kinds";
import { SHOPFRONT_VERSIONS } from "../../modules/settings/names";
import { SETTINGS } from "../../modules/settings/table";
import { UsageError } from "../command-line";
import {
  asGiven,
  type DeclaredFlag,
  decimal,
  duration,
  FILE,
  flag,
  SWITCH,
  type ValuesOfFlags,
  wholeNumber,
} from "../declared-flags";
import { GATEWAY_URL_FORM, gatewayUrl, ROUTE_FILES } from "./targets";
import { TOKEN_FILE, TOKEN_FILE_ENV } from "./token";

export const COMMANDS = ["count", "pods", "load", "mirror", "auth"] as const;
export type CommandName = (typeof COMMANDS)[number];
const SAMPLING = ["count", "pods", "mirror"] as const;
/** The commands that measure the target (all but auth, which checks its answers to three tokens). */
const MEASURING = ["count", "pods", "load", "mirror"] as const;

/** Requests in one run, for every command: each keeps its latency in memory until the report. */
export const MAX_REQUESTS = 1_000_000;

export interface Flag<T> extends DeclaredFlag<T> {
  readonly commands: readonly CommandName[];
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
} as const satisfies Readonly<Record<string, Flag<unknown>>>;

type Flags = typeof FLAGS;
export type FlagName = keyof Flags;

/** The flags `command` takes, in FLAGS order. */
type FlagsOf<C extends CommandName> = {
  readonly [K in FlagName as C extends Flags[K]["commands"][number] ? K : never]: Flags[K];
};

/** The values of the flags `command` takes, read and checked. */
export type FlagValues<C extends CommandName> = ValuesOfFlags<FlagsOf<C>>;

/** The flags `command` takes, in FLAGS order: what its commander command registers and reads. */
export function flagsOf<C extends CommandName>(command: C): FlagsOf<C> {
  return Object.fromEntries(
    Object.entries(FLAGS).filter(([, declared]) => (declared as Flag<unknown>).commands.includes(command)),
  ) as FlagsOf<C>;
}
