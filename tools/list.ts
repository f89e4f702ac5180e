/**
 * `npm run list`: the stacks in deploy order, each with the stacks it needs first (`cdktf list` prints
 * them alphabetically). Destroy goes the other way: `npm run destroy:all`. Takes no arguments. Runs through tools/app.js.
 */
import { Command } from "commander";
import { type CommandContext, exitWith, processContext, runTool } from "./command-line";
import { deployOrder } from "./stack-order";

export function list(argv: readonly string[], context: CommandContext = processContext()): Promise<number> {
  const program = new Command("list").description(
    "the stacks in deploy order, each with what it comes after",
  );
  return runTool(program, argv, context, ({ settings }) => {
    const order = deployOrder(settings.config);
    const width = Math.max(...order.map((stack) => stack.name.length));
    order.forEach((stack, index) => {
      const after = stack.dependsOn.length > 0 ? `after ${stack.dependsOn.join(", ")}` : "";
      context.out(`${index + 1}. ${stack.name.padEnd(width)}  ${after}`.trimEnd());
    });
    return 0;
  });
}

export function main(): void {
  exitWith("list", list);
}
