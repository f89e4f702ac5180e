/**
 * The stacks in deploy order, read from the app itself (stacks/app.ts buildStacks): each stack comes
 * after every stack it depends on (explicit dependencies and cross-stack references alike), ties kept
 * in the order buildStacks creates them. Destroy order is the reverse.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { App, TerraformStack } from "cdktf";
import type { Config } from "../modules/settings/load";
import { buildStacks } from "../stacks/app";

export interface StackNode {
  readonly name: string;
  /** The stacks it needs deployed first. */
  readonly dependsOn: readonly string[];
}

/** Orders `stacks` (given in creation order) so that each follows its dependencies. */
export function sortForDeploy(stacks: readonly StackNode[]): StackNode[] {
  const names = new Set(stacks.map((stack) => stack.name));
  const placed = new Set<string>();
  const order: StackNode[] = [];
  while (order.length < stacks.length) {
    const next = stacks.find(
      (stack) =>
        !placed.has(stack.name) && stack.dependsOn.every((dep) => placed.has(dep) || !names.has(dep)),
    );
    if (!next) {
      const left = stacks.filter((stack) => !placed.has(stack.name)).map((stack) => stack.name);
      throw new Error(`the stacks ${left.join(", ")} depend on each other in a cycle`);
    }
    placed.add(next.name);
    order.push(next);
  }
  return order;
}

/**
 * `stacks`, given in creation order, in deploy order. They must be prepared (synthesized, say):
 * cross-stack references become dependencies only then.
 */
function orderOf(stacks: readonly TerraformStack[]): StackNode[] {
  return sortForDeploy(
    stacks.map((stack) => ({
      name: stack.node.id,
      dependsOn: [...new Set(stack.dependencies.map((dep) => dep.node.id))],
    })),
  );
}

/** The app's stacks built from `config`, in deploy order. Writes nothing that stays. */
export function deployOrder(config: Config): StackNode[] {
  // App creates its output folder on construction; nothing is synthesized into it.
  const outdir = mkdtempSync(path.join(tmpdir(), "shopfront-stack-order-"));
  try {
    const app = new App({ outdir });
    buildStacks(app, config);
    const stacks = app.node.children.filter(TerraformStack.isStack);
    // As synth does: cross-stack references become dependencies here.
    for (const stack of stacks) stack.prepareStack();
    return orderOf(stacks);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
