/**
 * `npm run list`: the stacks in deploy order, each with the stacks it needs first (`cdktf list` prints
 * them alphabetically). Destroy goes the other way: `npm run destroy:all`.
 */

import { readSettings } from "../modules/settings/file";
import { ConfigError } from "../modules/settings/load";
import { deployOrder } from "./stack-order";

try {
  const order = deployOrder(readSettings());
  const width = Math.max(...order.map((stack) => stack.name.length));
  order.forEach((stack, index) => {
    const after = stack.dependsOn.length > 0 ? `after ${stack.dependsOn.join(", ")}` : "";
    const line = `${index + 1}. ${stack.name.padEnd(width)}  ${after}`;
    process.stdout.write(`${line.trimEnd()}\n`);
  });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
