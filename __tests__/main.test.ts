/**
 * The synth gate through the cdktf CLI and the app itself, in copies of the project.
 * @slow
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { copyProject, ROOT } from "./project-copy";

const WEIGHTS_110 = join(ROOT, "__tests__", "fixtures", "analyzer", "shopfront-mesh-weights-110.yaml");
const BROKEN_ROUTE =
  "shopfront-stack/shopfront: manifests/routing-istio/shopfront-mesh.yaml: VirtualService/shopfront-virtual-service: spec.http[0].route: weights add up to 110, they must add up to 100 (got v1=50, v2=30, v3=15, v4=15)";

/** A copy of the project in the OS temp folder, its manifests/routing-istio/shopfront-mesh.yaml weighing 110. */
function brokenProject(edit: (project: string) => void = () => {}): string {
  return copyProject((dir) => {
    cpSync(WEIGHTS_110, join(dir, "manifests", "routing-istio", "shopfront-mesh.yaml"));
    edit(dir);
  });
}

describe("the synth gate, as cdktf runs it", () => {
  it("reports a broken mesh in one clean line per error, with no stack trace, exits 1 and writes no stack", () => {
    const project = brokenProject();
    // `npm run synth`, the documented command: the cdktf CLI, which runs the app.
    const result = spawnSync("npm", ["run", "-s", "synth"], {
      cwd: project,
      encoding: "utf8",
      env: { ...process.env, CHECKPOINT_DISABLE: "1", FORCE_COLOR: "0", CI: "1" },
    });
    const output = `${result.stdout}\n${result.stderr}`;
    // cdktf's exit code for any failed synth, a refusal of the settings included (policies/bad-settings).
    expect(result.status).toBe(1);
    expect(output).toContain(`synth refused, fix these first:\n  ${BROKEN_ROUTE}`);
    expect(output).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    expect(existsSync(join(project, "cdktf.out"))).toBe(false);
  });

  it("prints only the refusal from the app itself, exits 1 and writes nothing", () => {
    const project = brokenProject();
    const result = spawnSync(process.execPath, ["tools/app.js"], { cwd: project, encoding: "utf8" });
    expect(result).toMatchObject({
      status: 1,
      stdout: "",
      stderr: `synth refused, fix these first:\n  ${BROKEN_ROUTE}\n`,
    });
    expect(readdirSync(project)).not.toContain("cdktf.out");
  });

  it("leaves nothing behind when the manifests cannot make a shopfront at all", () => {
    const project = brokenProject((dir) => {
      const namespace = join(dir, "manifests", "sidecar", "namespace.yaml");
      writeFileSync(
        namespace,
        readFileSync(namespace, "utf8").replace("kind: Namespace\n", "kind: ConfigMap\n"),
      );
    });
    const result = spawnSync(process.execPath, ["tools/app.js"], { cwd: project, encoding: "utf8" });
    expect(result).toMatchObject({
      status: 1,
      stdout: "",
      stderr: "manifests (with sidecar/) must define exactly one Namespace, the shopfront's (found 0)\n",
    });
    expect(existsSync(join(project, "cdktf.out"))).toBe(false);
  });
});
