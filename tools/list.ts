/**
 * `npm run list`: the stacks in deploy order, each with the stacks it needs first (`cdktf list` prints
 * them alphabetically). Destroy goes the other way: `npm run destroy:all`. Runs through tools/app.js.
 */

import { readSettings } from "../modules/settings/file";
import { ConfigError, type Env } from "../modules/settings/load";
import { deployOrder } from "./stack-order";

/** What `npm run list` prints for these settings, a line a stack. */
export function deployOrderLines(settings: Env): string[] {
  const order = deployOrder(settings);
  const width = Math.max(...order.map((stack) => stack.name.length));
  return order.map((stack, index) => {
    const after = stack.dependsOn.length > 0 ? `after ${stack.dependsOn.join(", ")}` : "";
    return `${index + 1}. ${stack.name.padEnd(width)}  ${after}`.trimEnd();
  });
}

export function main(): void {
  try {
    process.stdout.write(`${deployOrderLines(readSettings()).join("\n")}\n`);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
