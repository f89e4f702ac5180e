/**
 * `npm run analyze [-- [--mesh-mode sidecar|ambient] [--routing-api istio|gateway-api]
 * [--weights v1=25,v2=25,v3=25,v4=25] [paths...]]`: runs the manifest checks of modules/manifests on
 * manifest files (default: the shopfront's manifests for that mesh variant as synth deploys them,
 * built from the settings by shopfrontManifestsOf: mesh-wide ones included, generators as set, the
 * resilience, ingress and JWT settings applied; a folder laid out as manifests/ gives the variant's
 * files in it, read whole) and prints one finding a line,
 * `file: Kind/name: field: message`. The variant comes
 * from the flags, else MESH_MODE and ROUTING_API; the weights from --weights, else SHOPFRONT_WEIGHTS,
 * as at synth. Exit status: 0 clean or warnings only, 1 on any error finding, 2 on a usage error.
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { Command, CommanderError } from "commander";
import { checkManifests } from "../../modules/manifests/checks";
import { type Finding, formatFinding } from "../../modules/manifests/finding";
import {
  type ManifestDocument,
  manifestPathsIn,
  parseManifests,
  readManifestFiles,
} from "../../modules/manifests/model";
import {
  DEFAULT_MESH_VARIANT,
  MESH_MODES,
  MESH_VARIANTS,
  type MeshVariant,
  ROUTING_APIS,
  type RoutingApi,
  variantFolders,
} from "../../modules/mesh/mesh-variant";
import { readValue, type SettingKind } from "../../modules/settings/kinds";
import { type Config, ConfigError, type Env, loadConfig } from "../../modules/settings/load";
import { parseWeights, type Weights } from "../../modules/settings/sections/shopfront";
import { SETTINGS } from "../../modules/settings/table";
import { type ShopfrontManifests, shopfrontManifestsOf } from "../../modules/shopfront/manifest-set";
import {
  ingressPrincipal,
  shopfrontManifestPaths,
  withShopfrontWeights,
} from "../../modules/shopfront/variants";
import { InputRefusal, REFUSED, readCommandSettings } from "../command-line";

/** Where the command writes: the console, or a test's buffers. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
}

const consoleIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Relative, so that findings name files as `manifests/shopfront.yaml`. */
const DEFAULT_MANIFESTS_DIR = "manifests";

class UsageError extends Error {}

/** Runs the command with `argv` (the arguments after the script name); returns the exit status. */
export function run(argv: readonly string[], io: Io = consoleIo, env: Env = process.env): number {
  const program = new Command("analyze")
    .description("Validate Kubernetes and Istio manifests offline, as istioctl analyze would")
    .argument(
      "[paths...]",
      "manifest files or folders of .yaml files (default: the variant's manifests); a folder laid out as manifests/ (sidecar/, routing-istio/, ...) gives the variant's files in it",
    )
    .option(
      "--mesh-mode <mode>",
      `the data plane: ${MESH_MODES.join(" or ")} (default: MESH_MODE, else sidecar)`,
    )
    .option(
      "--routing-api <api>",
      `the routing API: ${ROUTING_APIS.join(" or ")} (default: ROUTING_API, else istio)`,
    )
    .option(
      "--weights <weights>",
      "route weights to apply first, e.g. v1=25,v2=25,v3=25,v4=25 (default: SHOPFRONT_WEIGHTS)",
    )
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.out(text.trimEnd()),
      writeErr: (text) => io.err(text.trimEnd()),
    });
  try {
    program.parse([...argv], { from: "user" });
    const options = program.opts<{ weights?: string; meshMode?: string; routingApi?: string }>();
    // Where each of the variant's settings comes from: its flag, else the setting itself.
    const sources: Record<"MESH_MODE" | "ROUTING_API", [string, string | undefined]> = {
      MESH_MODE:
        options.meshMode === undefined ? ["MESH_MODE", env.MESH_MODE] : ["--mesh-mode", options.meshMode],
      ROUTING_API:
        options.routingApi === undefined
          ? ["ROUTING_API", env.ROUTING_API]
          : ["--routing-api", options.routingApi],
    };
    const variant = variantOf(sources.MESH_MODE, sources.ROUTING_API);
    const given = program.args;
    const flag = options.weights;
    const weights =
      flag !== undefined
        ? { setting: "--weights", text: flag }
        : env.SHOPFRONT_WEIGHTS !== undefined
          ? { setting: "SHOPFRONT_WEIGHTS", text: env.SHOPFRONT_WEIGHTS }
          : undefined;
    // The settings a flag stands in for, so that a refusal naming one says where its value came from.
    const flagged = Object.fromEntries(
      Object.entries(sources)
        .filter(([setting, [from]]) => from !== setting)
        .map(([setting, [from]]) => [setting, from]),
    );
    const { paths, documents, findings } =
      given.length > 0
        ? analyzeGiven(given, variant, weights)
        : analyzeDeployed(env, variant, weights, flagged);
    for (const finding of findings) io.out(formatFinding(finding));
    const errors = findings.filter((finding) => finding.severity === "error").length;
    io.err(
      `${paths.length} files, ${documents.length} objects: errors: ${errors}, warnings: ${findings.length - errors}`,
    );
    return errors > 0 ? 1 : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof UsageError) {
      io.err(`analyze: ${error.message}`);
      return 2;
    }
    throw error;
  }
}

/** Weights from a flag or a setting: where they came from and their text. */
interface WeightsSource {
  readonly setting: string;
  readonly text: string;
}

interface Analysis {
  readonly paths: readonly string[];
  readonly documents: readonly ManifestDocument[];
  readonly findings: readonly Finding[];
}

/** The files the user named, as they are, with the weights applied to their route. */
function analyzeGiven(given: readonly string[], variant: MeshVariant, weights?: WeightsSource): Analysis {
  // A file named twice, or by a folder and again on its own, is read once.
  const paths = [...new Set(given.flatMap((path) => expandPath(path, variant)))];
  const parsed = parseManifests(readManifestFiles(paths));
  const documents =
    weights === undefined
      ? parsed.documents
      : withWeights(parsed.documents, weights.setting, weights.text, variant.routingApi);
  // Files chosen one by one are some of the manifests: references to kinds none of them defines
  // belong to the files left out.
  const partial = given.some((path) => !statSync(path).isDirectory());
  const findings = [
    ...parsed.findings,
    ...checkManifests(documents, { partial, ingressGatewayPrincipal: ingressPrincipal(variant.routingApi) }),
  ];
  return { paths, documents: parsed.documents, findings };
}

/**
 * The default set: the variant's manifests as synth deploys them, built from the settings by the
 * same code as synth (shopfrontManifestsOf): the weights, the resilience settings, the ingress
 * settings and the JWT settings' objects applied; the settings refused as synth refuses them.
 */
function analyzeDeployed(
  env: Env,
  variant: MeshVariant,
  weights: WeightsSource | undefined,
  flagged: Readonly<Record<string, string>>,
): Analysis {
  const parsedWeights = weights === undefined ? undefined : parsedWeightsOf(weights);
  let config: Config;
  try {
    // The weights are read above, from --weights or SHOPFRONT_WEIGHTS, and named by their source.
    const { SHOPFRONT_WEIGHTS: _weights, ...settings } = env;
    config = loadConfig({ ...settings, MESH_MODE: variant.meshMode, ROUTING_API: variant.routingApi });
  } catch (error) {
    if (error instanceof ConfigError) {
      const problems = error.problems.map((problem) => {
        const named = Object.entries(flagged).filter(([setting]) => problem.includes(`${setting}=`));
        const from = named.map(([setting, flag]) => `${setting} from ${flag}`).join(", ");
        return named.length === 0 ? problem : `${problem} (${from})`;
      });
      throw new UsageError(problems.join("; "));
    }
    throw error;
  }
  const shopfront =
    parsedWeights === undefined ? config.shopfront : { ...config.shopfront, weights: parsedWeights };
  let manifests: ShopfrontManifests;
  try {
    manifests = shopfrontManifestsOf({ ...config, shopfront }, DEFAULT_MANIFESTS_DIR);
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    // The manifests under manifests/ lack what a setting changes (a hand-edited route).
    const from = weights !== undefined && /route weights/.test(error.message) ? `${weights.setting}: ` : "";
    throw new UsageError(`${from}${error.message}`);
  }
  return {
    paths: shopfrontManifestPaths(DEFAULT_MANIFESTS_DIR, variant),
    documents: manifests.documents,
    findings: manifests.findings(),
  };
}

/**
 * The manifest files that `path` names: a file itself; a folder laid out as manifests/ (a folder per
 * data plane and per routing API beside the shared files), the files that `variant` composes from
 * it, as synth does; any other folder, its .yaml files.
 */
function expandPath(path: string, variant: MeshVariant): string[] {
  if (!existsSync(path)) throw new UsageError(`${path}: no such file or folder`);
  if (!statSync(path).isDirectory()) return [path];
  return hasVariantFolders(path) ? shopfrontManifestPaths(path, variant) : manifestPathsIn(path);
}

function hasVariantFolders(dir: string): boolean {
  return MESH_VARIANTS.some((variant) =>
    Object.values(variantFolders(variant)).some((folder) => existsSync(join(dir, folder))),
  );
}

/**
 * The mesh variant from a flag or a setting, each as [where it came from, its value], read as the
 * project's MESH_MODE and ROUTING_API are declared, so the analyzer accepts and refuses what synth does.
 */
function variantOf(
  [meshModeFrom, meshMode]: [string, string | undefined],
  [routingApiFrom, routingApi]: [string, string | undefined],
): MeshVariant {
  const read = <T>(from: string, kind: SettingKind<T>, text: string | undefined, otherwise: T): T => {
    if (text === undefined) return otherwise;
    const value = readValue(from, kind, text);
    if ("problems" in value) throw new UsageError(value.problems[0]);
    return value.value;
  };
  return {
    meshMode: read(meshModeFrom, SETTINGS.MESH_MODE, meshMode, DEFAULT_MESH_VARIANT.meshMode),
    routingApi: read(routingApiFrom, SETTINGS.ROUTING_API, routingApi, DEFAULT_MESH_VARIANT.routingApi),
  };
}

/** The weights `weights` gives, or a usage error naming where they came from. */
function parsedWeightsOf(weights: WeightsSource): Weights {
  const parsed = parseWeights(weights.setting, weights.text);
  if (parsed.problems.length > 0) throw new UsageError(parsed.problems.join("; "));
  return parsed.weights;
}

/** Applies the weights to the shopfront's route, as SHOPFRONT_WEIGHTS does at synth time. */
function withWeights(
  documents: readonly ManifestDocument[],
  setting: string,
  text: string,
  routingApi: RoutingApi,
): ManifestDocument[] {
  const weights = parsedWeightsOf({ setting, text });
  try {
    return withShopfrontWeights(documents, weights, routingApi);
  } catch (error) {
    throw new UsageError(`${setting}: ${(error as Error).message}`);
  }
}

/** The command, on the process's arguments: `node tools/app.js tools/analyze/cli.ts` calls it. */
export function main(): void {
  let env: Env;
  try {
    // Read and validated as every command of the project reads them, a flag or not.
    env = readCommandSettings(process.env, process.cwd()).env;
  } catch (error) {
    if (!(error instanceof InputRefusal)) throw error;
    consoleIo.err(`analyze: ${error.message}`);
    process.exitCode = REFUSED;
    return;
  }
  process.exitCode = run(process.argv.slice(2), consoleIo, env);
}

if (require.main === module) main();
