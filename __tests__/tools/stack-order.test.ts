import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig } from "../../modules/settings/load";
import { STACK_NAMES } from "../../modules/settings/names";
import { deployOrder, sortForDeploy } from "../../tools/stack-order";

const root = path.resolve(__dirname, "..", "..");

describe("deploy order", () => {
  it("puts every stack after the stacks it depends on, from the app's own wiring", () => {
    const order = deployOrder(loadConfig({}));
    const names = order.map((stack) => stack.name);
    expect(names).toEqual([
      STACK_NAMES.bootstrap,
      STACK_NAMES.network,
      STACK_NAMES.cluster,
      STACK_NAMES.ssmAgent,
      STACK_NAMES.istio,
      STACK_NAMES.istioConfig,
      STACK_NAMES.shopfront,
    ]);
    for (const [index, stack] of order.entries()) {
      for (const dependency of stack.dependsOn) expect(names.indexOf(dependency)).toBeLessThan(index);
    }
    expect(order.find((stack) => stack.name === STACK_NAMES.shopfront)?.dependsOn).toEqual(
      expect.arrayContaining([STACK_NAMES.istio, STACK_NAMES.istioConfig]),
    );
    expect(order.find((stack) => stack.name === STACK_NAMES.istioConfig)?.dependsOn).toContain(
      STACK_NAMES.istio,
    );
  });

  it("orders by dependency, not by the order given, and keeps that order between equals", () => {
    const sorted = sortForDeploy([
      { name: "app", dependsOn: ["mesh"] },
      { name: "zeta", dependsOn: [] },
      { name: "mesh", dependsOn: ["cluster"] },
      { name: "cluster", dependsOn: [] },
    ]);
    expect(sorted.map((stack) => stack.name)).toEqual(["zeta", "cluster", "mesh", "app"]);
  });

  it("refuses a cycle, naming the stacks in it", () => {
    expect(() =>
      sortForDeploy([
        { name: "a", dependsOn: ["b"] },
        { name: "b", dependsOn: ["a"] },
      ]),
    ).toThrow("the stacks a, b depend on each other in a cycle");
  });
});

describe("npm run list", () => {
  /** tools/list.ts as npm runs it (through tools/app.js), with only `env` as settings and arguments `args`. */
  function list(args: readonly string[] = [], env: Record<string, string> = {}) {
    return spawnSync(process.execPath, ["tools/app.js", "tools/list.ts", ...args], {
      cwd: root,
      encoding: "utf8",
      env: {
        PATH: process.env.PATH,
        TMPDIR: process.env.TMPDIR,
        NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE,
        ...env,
      },
    });
  }

  it("prints the stacks numbered in deploy order, each with what it comes after", () => {
    const run = list();
    expect(run.stderr).toBe("");
    expect(run.stdout.split("\n").filter(Boolean)).toEqual([
      "1. tf-state-bootstrap",
      "2. eks-cluster-vpc-stack",
      "3. eks-cluster-stack                    after eks-cluster-vpc-stack",
      "4. ssm-agent-installer-daemonset-stack  after eks-cluster-stack",
      "5. istio-stack                          after eks-cluster-stack",
      "6. istio-config-stack                   after istio-stack, eks-cluster-stack",
      "7. shopfront-stack                      after istio-config-stack, istio-stack, eks-cluster-stack",
    ]);
    expect(run.status).toBe(0);
  });

  it("refuses a bad setting with the config's message, exit 2", () => {
    const run = list([], { AWS_REGION: "moon-base-9!" });
    expect(run.stderr).toMatch(/^list: invalid configuration:\n {2}- AWS_REGION="moon-base-9!"/);
    expect(run.stdout).toBe("");
    expect(run.status).toBe(2);
  });

  it("reads the settings file, as deploy does: refuses its bad setting or key, naming where it is written, exit 2", () => {
    const folder = mkdtempSync(path.join(tmpdir(), "stack-order-test-"));
    try {
      const file = path.join(folder, "cluster.settings.env");
      writeFileSync(file, "OWNER=me\nAWS_REGION=moon-base-9!\n");
      const run = list([], { SETTINGS_FILE: file });
      expect(run.stderr).toMatch(new RegExp(`AWS_REGION="moon-base-9!" .*\\(${file}:2\\)`));
      expect(run.stdout).toBe("");
      expect(run.status).toBe(2);
      writeFileSync(file, "CLUSTER_NAM=typo\n");
      const typo = list([], { SETTINGS_FILE: file });
      expect(typo.stderr).toContain(`${file}:1: CLUSTER_NAM is not a setting (did you mean CLUSTER_NAME?`);
      expect(typo.stdout).toBe("");
      expect(typo.status).toBe(2);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it("refuses an unknown option, exit 2", () => {
    const run = list(["--bogus"]);
    expect(run.stderr).toBe(
      "list: unknown option '--bogus' (usage: npm run list -- [options]; --help says more)\n",
    );
    expect(run.stdout).toBe("");
    expect(run.status).toBe(2);
  });

  it("refuses an argument, as it takes none, exit 2", () => {
    const run = list(["istio-stack"]);
    expect(run.stderr).toBe(
      "list: unexpected argument istio-stack (usage: npm run list -- [options]; --help says more)\n",
    );
    expect(run.status).toBe(2);
  });
});
