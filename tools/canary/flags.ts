/**
 * The canary's flags, each declared once: its form (a SettingKind, as the project's settings and the
 * traffic tool's flags are declared), its default and what it does. `--help`, the validation and
 * its one-line refusals, the flags table of docs/canary.md and the bad-input tests come from here,
 * through tools/declared-flags.ts.
 */
import { z } from "zod";
import { oneOf, refuse, type SettingKind } from "../../modules/settings/kinds";
import { SHOPFRONT_VERSIONS } from "../../modules/settings/names";
import { SETTINGS } from "../../modules/settings/table";
import {
  asGiven,
  decimal,
  duration,
  FILE,
  flag,
  milliseconds,
  SWITCH,
  type ValuesOfFlags,
  wholeNumber,
} from "../declared-flags";
import { GATEWAY, MAX_REQUESTS } from "../traffic/flags";
import { TOKEN_FILE, TOKEN_FILE_ENV } from "../traffic/token";
import { DEFAULT_APPLY } from "./apply";
import { parseSteps } from "./plan";

const STEPS: SettingKind<number[]> = {
  schema: (name) =>
    z.string().transform((text, ctx) => {
      const read = parseSteps(text);
      if ("problem" in read) {
        refuse(ctx, `${name}=${JSON.stringify(text)}: ${read.problem} (${STEPS.accepted})`);
        return z.NEVER;
      }
      return read.steps;
    }),
  accepted: "whole percentages, increasing and ending at 100, such as 5,25,50,100",
  malformed: ["5,25,50", "50,25,100", "0,100", "5,5,100", "5;100", "5.5,100", "101"],
};

/** A duration from 0 (none) to `max`, in the traffic tool's form. */
function wait(max: string): SettingKind<number> {
  return {
    schema: () =>
      z
        .string()
        .transform(milliseconds)
        .pipe(z.number().min(0).max(milliseconds(max))),
    accepted: `a duration from 0s to ${max}, such as 0s, 500ms, 5s or 2m`,
    malformed: ["-1s", "soon", "5 s", `${Number.parseInt(max, 10) + 1}${max.replace(/^\d+/, "")}`],
  };
}

const COMMAND_TEXT: SettingKind<string> = {
  schema: () => z.string().refine((text) => text.trim() !== ""),
  accepted: "a shell command, such as './deploy-weights.sh'",
  malformed: [],
};

const PERCENT = (max: number, example: string, malformed: readonly string[]) =>
  decimal(z.number().min(0).max(max), `a percentage from 0 to ${max}, such as ${example}`, malformed);

export const FLAGS = {
  to: flag(oneOf(SHOPFRONT_VERSIONS), {
    argument: "vN",
    description: "the version to shift the traffic to",
    required: true,
    malformed: ["v9", "4"],
  }),
  steps: flag(STEPS, {
    argument: "list",
    description: "the target's weight at each step",
    default: "5,25,50,100",
  }),
  requests: flag(wholeNumber(1, MAX_REQUESTS), {
    short: "-n",
    argument: "n",
    description: "requests that judge each step (and the batch before the first)",
    default: "1000",
  }),
  concurrency: flag(wholeNumber(1, 1000), {
    short: "-c",
    argument: "n",
    description: "requests in flight at once",
    default: "10",
  }),
  alpha: flag(
    decimal(z.number().gt(0).lt(1), "a significance level between 0 and 1, such as 0.01", ["0", "1", "5%"]),
    { argument: "p", description: "each check fails the step when its p-value is below it", default: "0.01" },
  ),
  maxErrorRate: flag(PERCENT(100, "1 or 0.5", ["-1", "101", "1%"]), {
    argument: "percent",
    description: "the target's error rate may not be above it (exact binomial test at --alpha)",
    default: "1",
  }),
  maxLatencyIncrease: flag(PERCENT(1000, "20", ["-5", "1001", "20%"]), {
    argument: "percent",
    description: "how much slower than the baseline's median the target may be (Mann-Whitney U at --alpha)",
    default: "20",
  }),
  applyCommand: flag(COMMAND_TEXT, {
    argument: "command",
    description: "applies a step: run by the shell with the step's weights in SHOPFRONT_WEIGHTS",
    otherwise: `\`${DEFAULT_APPLY.text}\``,
  }),
  applyTimeout: flag(duration("6h"), {
    argument: "duration",
    description: "bound on one apply; past it the apply is interrupted and the canary rolls back",
    default: "30m",
    malformed: ["7h"],
  }),
  settle: flag(wait("10m"), {
    argument: "duration",
    description: "wait after each apply before the step's requests, for the gateways to take the weights",
    default: "5s",
  }),
  from: flag(asGiven(SETTINGS.SHOPFRONT_WEIGHTS), {
    argument: "weights",
    description: "the weights deployed now, which a rollback re-applies",
    otherwise:
      "shopfront-stack's route_weights in --outputs-file, else SHOPFRONT_WEIGHTS, else the route in --manifests",
  }),
  url: flag(GATEWAY, {
    argument: "url",
    description: "the gateway",
    otherwise: "GATEWAY_URL, else gateway_url in --outputs-file",
  }),
  outputsFile: flag(FILE, {
    argument: "path",
    description: "cdktf outputs file to find the gateway (and the deployed weights) in",
    default: "cdktf-outputs.json",
  }),
  manifests: flag(FILE, {
    argument: "file",
    description: "the manifest with the shopfront's route",
    otherwise: "ROUTING_API's route file, as `npm run traffic` reads it",
  }),
  tokenFile: flag(TOKEN_FILE, {
    argument: "path",
    description:
      "every request carries the JWT in this file as its bearer token (JWT_REQUIRED=true needs one)",
    otherwise: `${TOKEN_FILE_ENV}, else no token`,
  }),
  timeout: flag(duration("10m"), {
    argument: "duration",
    description: "bound on one request, from the call to the last byte",
    default: "5s",
    malformed: ["11m"],
  }),
  maxTime: flag(duration("24h"), {
    argument: "duration",
    description: "bound on each batch of requests",
    default: "5m",
    malformed: ["25h"],
  }),
  dryRun: flag(SWITCH, {
    description: "print the steps, their weights, the requests and a time estimate; apply nothing",
    otherwise: "off",
  }),
  json: flag(SWITCH, {
    description: "print one JSON object on stdout instead of the report",
    otherwise: "off",
  }),
  report: flag(FILE, {
    argument: "file",
    description: "also write a self-contained HTML report there",
    otherwise: "none",
  }),
} as const;

export type FlagName = keyof typeof FLAGS;

/** The flags' values, read and checked. */
export type CanaryFlags = ValuesOfFlags<typeof FLAGS>;
