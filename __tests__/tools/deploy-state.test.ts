/**
 * The deploy record as real Terraform writes it: the output a synthesized stack declares, applied
 * and destroyed with terraform's built-in provider only (offline), then read by parseState as
 * destroy:all reads it. Without terraform these tests show as skipped; under CI=true they run.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseState } from "../../tools/deploy-state";
import { buildTestStacks, synthJson } from "../helpers";

const terraform = spawnSync("/bin/sh", ["-c", "command -v terraform"], { encoding: "utf8" }).stdout.trim();
const hasTerraform = terraform !== "" && spawnSync(terraform, ["version"], { stdio: "ignore" }).status === 0;
const describeWithTerraform = hasTerraform || process.env.CI ? describe : describe.skip;

describeWithTerraform("the deploy record in a state terraform wrote", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "deploy-state-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** terraform in `dir`, offline: no CLI configuration, no checkpoint call. */
  function run(...args: string[]) {
    return spawnSync(terraform, [...args, "-input=false", "-no-color"], {
      cwd: dir,
      encoding: "utf8",
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        TMPDIR: dir,
        CHECKPOINT_DISABLE: "1",
        TF_CLI_CONFIG_FILE: path.join(dir, "none.tfrc"),
      },
      timeout: 120_000,
    });
  }

  it("holds the stack's record once applied, even when the first apply fails part way, and none once destroyed", () => {
    writeFileSync(path.join(dir, "none.tfrc"), "");
    const { output } = synthJson(buildTestStacks({ CLUSTER_NAME: "shop-a" }).network);
    writeFileSync(
      path.join(dir, "main.tf.json"),
      JSON.stringify({
        output: { deploy_record: output.deploy_record },
        resource: {
          terraform_data: {
            made: { input: "x" },
            // A deploy that fails after its first resource, as a real one can.
            failing: {
              depends_on: ["terraform_data.made"],
              provisioner: [{ "local-exec": { command: "exit 1" } }],
            },
          },
        },
        terraform: { backend: { local: { path: "stack.tfstate" } } },
      }),
    );
    expect(run("init").status).toBe(0);
    expect(run("apply", "-auto-approve").status).toBe(1);
    const state = () => parseState(readFileSync(path.join(dir, "stack.tfstate"), "utf8"));
    expect(state()).toEqual({
      resources: 2,
      record: { CLUSTER_NAME: "shop-a", AWS_REGION: "us-east-1" },
    });
    expect(run("destroy", "-auto-approve").status).toBe(0);
    expect(state()).toEqual({ resources: 0 });
  });
});
