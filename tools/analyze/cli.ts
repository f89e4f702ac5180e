/**
 * `npm run analyze [-- [--mesh-mode sidecar|ambient] [--routing-api istio|gateway-api]
 * [--weights v1=25,v2=25,v3=25,v4=25] [paths...]]`: analyzes manifest files (default: the shopfront's
 * manifests for that mesh variant, as shopfront-stack deploys them) and prints one finding a line,
 * `file: Kind/name: field: message`.
 * Exit status: 0 clean or warnings only, 1 on any error finding, 2 on a usage error.
 */
import { existsSync, statSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { parseWeights } from "../../modules/config";
import {
  DEFAULT_MESH_VARIANT,
  MESH_MODES,
  type MeshMode,
  type MeshVariant,
  ROUTING_APIS,
  type RoutingApi,
} from "../../modules/mesh-variant";
import {
  ingressPrincipal,
  shopfrontManifestPaths,
  withShopfrontWeights,
} from "../../modules/shopfront-manifests";
import { analyze } from "./analyzer";
import { type Finding, formatFinding } from "./finding";
import { type ManifestDocument, manifestPathsIn, parseManifests, readManifestFiles } from "./manifests";

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
export function run(argv: readonly string[], io: Io = consoleIo): number {
  const program = new Command("analyze")
    .description("Validate Kubernetes and Istio manifests offline, as istioctl analyze would")
    .argument("[paths...]", "manifest files or folders of .yaml files (default: the variant's manifests)")
    .option(
      "--mesh-mode <mode>",
      `the data plane, as MESH_MODE: ${MESH_MODES.join(" or ")}`,
      DEFAULT_MESH_VARIANT.meshMode,
    )
    .option(
      "--routing-api <api>",
      `the routing API, as ROUTING_API: ${ROUTING_APIS.join(" or ")}`,
      DEFAULT_MESH_VARIANT.routingApi,
    )
    .option(
      "--weights <weights>",
      "route weights to apply first, as SHOPFRONT_WEIGHTS, e.g. v1=25,v2=25,v3=25,v4=25",
    )
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.out(text.trimEnd()),
      writeErr: (text) => io.err(text.trimEnd()),
    });
  try {
    program.parse([...argv], { from: "user" });
    const options = program.opts<{ weights?: string; meshMode: string; routingApi: string }>();
    const variant = variantOf(options.meshMode, options.routingApi);
    const paths =
      program.args.length > 0
        ? program.args.flatMap(expandPath)
        : shopfrontManifestPaths(DEFAULT_MANIFESTS_DIR, variant);
    const { documents, findings: parseFindings } = parseManifests(readManifestFiles(paths));
    const analyzed =
      options.weights === undefined ? documents : withWeights(documents, options.weights, variant.routingApi);
    const findings: Finding[] = [
      ...parseFindings,
      ...analyze(analyzed, { ingressGatewayPrincipal: ingressPrincipal(variant.routingApi) }),
    ];
    for (const finding of findings) io.out(formatFinding(finding));
    const errors = findings.filter((finding) => finding.severity === "error").length;
    const summary = `${paths.length} files, ${documents.length} objects: errors: ${errors}, warnings: ${findings.length - errors}`;
    io.err(summary);
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

function expandPath(path: string): string[] {
  if (!existsSync(path)) throw new UsageError(`${path}: no such file or folder`);
  return statSync(path).isDirectory() ? manifestPathsIn(path) : [path];
}

function variantOf(meshMode: string, routingApi: string): MeshVariant {
  if (!(MESH_MODES as readonly string[]).includes(meshMode)) {
    throw new UsageError(`--mesh-mode ${meshMode}: not one of ${MESH_MODES.join(", ")}`);
  }
  if (!(ROUTING_APIS as readonly string[]).includes(routingApi)) {
    throw new UsageError(`--routing-api ${routingApi}: not one of ${ROUTING_APIS.join(", ")}`);
  }
  return { meshMode: meshMode as MeshMode, routingApi: routingApi as RoutingApi };
}

/** Applies `--weights` to the shopfront's route, as SHOPFRONT_WEIGHTS does at synth time. */
function withWeights(
  documents: readonly ManifestDocument[],
  text: string,
  routingApi: RoutingApi,
): ManifestDocument[] {
  const parsed = parseWeights("--weights", text);
  if (parsed.problems.length > 0) throw new UsageError(parsed.problems.join("; "));
  try {
    return withShopfrontWeights(documents, parsed.weights, routingApi);
  } catch (error) {
    throw new UsageError(`--weights: ${(error as Error).message}`);
  }
}

if (require.main === module) process.exitCode = run(process.argv.slice(2));
