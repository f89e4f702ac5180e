/**
 * `npm run plan`: terraform init (from the local provider mirror) and plan (validation included), offline, for
 * every stack whose providers are mirrored, with the settings every command reads. Plans are written to
 * cdktf.out/offline-plan/<stack>.txt for review; the synthesized plan-only code (mock credentials) stays
 * in a scratch folder, removed at the end, and is never deployable. Takes no arguments.
 *
 * Exit codes: 0 planned, 1 a fault, 2 bad input (an argument, a setting) or no terraform.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Command } from "commander";
import { type CommandContext, exitWith, processContext, REFUSED, runTool } from "./command-line";
import { checkAll, findToolchainSync } from "./terraform";

export function plan(argv: readonly string[], context: CommandContext = processContext()): Promise<number> {
  const program = new Command("plan").description(
    "terraform validate and plan of every stack whose providers are mirrored, offline, for review",
  );
  return runTool(program, argv, context, async ({ settings }) => {
    if (settings.config.state.bucket) {
      // An S3 backend needs AWS credentials, which an offline plan never has.
      context.out(
        `note: STATE_BUCKET=${settings.config.state.bucket} is not read here: these plans start from empty local state, as a first deploy does`,
      );
    }
    const toolchain = findToolchainSync(context.env);
    if ("missing" in toolchain) {
      context.err(`plan: ${toolchain.missing}`);
      return REFUSED;
    }
    const { checks, close } = await checkAll(toolchain, settings.env);
    await close();
    const outDir = path.resolve(context.cwd, "cdktf.out", "offline-plan");
    mkdirSync(outDir, { recursive: true });
    for (const check of checks) {
      const status = check.plan
        ? `planned: ${check.plan.create} to add, ${check.plan.update} to change, ${check.plan.delete} to destroy${check.note ? ` (${check.note})` : ""}`
        : `skipped: ${check.note}`;
      context.out(`${check.stack.padEnd(38)} ${status}`);
      if (check.plan) writeFileSync(path.join(outDir, `${check.stack}.txt`), check.plan.text);
    }
    context.out(`\nPlans for review: ${outDir}`);
    return 0;
  });
}

/**
 * The command, as tools/app.js runs it: the schema packages that the synth checks the manifests with
 * load natively there, not under tsx.
 */
export function main(): void {
  exitWith("plan", plan);
}
