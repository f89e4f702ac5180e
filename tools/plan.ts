/**
 * `npm run plan`: terraform init (from the local provider mirror) and plan (validation included), offline, for
 * every stack whose providers are mirrored, with the settings every command reads. Plans are written to
 * cdktf.out/offline-plan/<stack>.txt for review; the synthesized plan-only code (mock credentials) stays
 * in a scratch folder, removed at the end, and is never deployable.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { readSettings } from "../modules/settings/file";
import { ConfigError } from "../modules/settings/load";
import { checkAll, findToolchainSync } from "./terraform";

async function plan(): Promise<number> {
  const settings = readSettings();
  const toolchain = findToolchainSync();
  if ("missing" in toolchain) {
    process.stderr.write(`plan: ${toolchain.missing}\n`);
    return 2;
  }
  const { checks, close } = await checkAll(toolchain, settings);
  await close();
  const outDir = path.resolve("cdktf.out", "offline-plan");
  mkdirSync(outDir, { recursive: true });
  for (const check of checks) {
    const status = check.plan
      ? `planned: ${check.plan.create} to add, ${check.plan.update} to change, ${check.plan.delete} to destroy${check.note ? ` (${check.note})` : ""}`
      : `skipped: ${check.note}`;
    process.stdout.write(`${check.stack.padEnd(38)} ${status}\n`);
    if (check.plan) writeFileSync(path.join(outDir, `${check.stack}.txt`), check.plan.text);
  }
  process.stdout.write(`\nPlans for review: ${outDir}\n`);
  return 0;
}

/**
 * The command, as tools/app.js runs it: the schema packages that the synth checks the manifests with
 * load natively there, not under tsx.
 */
export function main(): void {
  plan().then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`${error instanceof ConfigError ? error.message : error}\n`);
      process.exit(1);
    },
  );
}
