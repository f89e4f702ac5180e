/**
 * `npm run analyze [-- [--weights v1=25,v2=25,v3=25,v4=25] [paths...]]`: analyzes manifest files
 * (default: manifests/*.yaml) and prints one finding a line, `file: Kind/name: field: message`.
 * Exit status: 0 clean or warnings only, 1 on any error finding, 2 on a usage error.
 */
import { existsSync, statSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { parseWeights } from "../../modules/config";
import { analyze } from "./analyzer";
import { type Finding, formatFinding } from "./finding";
import {
  type ManifestDocument,
  manifestPathsIn,
  parseManifests,
  readManifestFiles,
  SHOPFRONT_VIRTUAL_SERVICE,
  withRouteWeights,
} from "./manifests";

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
    .argument("[paths...]", "manifest files or folders of .yaml files", [DEFAULT_MANIFESTS_DIR])
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
    const paths = (program.args.length > 0 ? program.args : [DEFAULT_MANIFESTS_DIR]).flatMap(expandPath);
    const { documents, findings: parseFindings } = parseManifests(readManifestFiles(paths));
    const weightsText = program.opts<{ weights?: string }>().weights;
    const analyzed = weightsText === undefined ? documents : withWeights(documents, weightsText);
    const findings: Finding[] = [...parseFindings, ...analyze(analyzed)];
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

/** Applies `--weights` to the shopfront's VirtualService, as SHOPFRONT_WEIGHTS does at synth time. */
function withWeights(documents: readonly ManifestDocument[], text: string): ManifestDocument[] {
  const parsed = parseWeights("--weights", text);
  if (parsed.problems.length > 0) throw new UsageError(parsed.problems.join("; "));
  try {
    return withRouteWeights(documents, parsed.weights, SHOPFRONT_VIRTUAL_SERVICE);
  } catch (error) {
    throw new UsageError(`--weights: ${(error as Error).message}`);
  }
}

if (require.main === module) process.exitCode = run(process.argv.slice(2));
