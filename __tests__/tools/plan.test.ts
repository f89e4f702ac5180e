import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { plan } from "../../tools/plan";

/** `npm run plan` in this process, in an empty folder, with only `env` as settings; terraform missing. */
async function planIn(argv: readonly string[], env: Record<string, string> = {}, settingsFile?: string) {
  const cwd = mkdtempSync(path.join(tmpdir(), "plan-test-"));
  try {
    if (settingsFile !== undefined) writeFileSync(path.join(cwd, "settings.env"), settingsFile);
    const out: string[] = [];
    const err: string[] = [];
    // No terraform here: a run that gets past its input stops at the toolchain, before any synth.
    const code = await plan(argv, {
      env: { TERRAFORM_BINARY: path.join(cwd, "no-terraform"), ...env },
      cwd,
      out: (line) => out.push(line),
      err: (line) => err.push(line),
    });
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

describe("npm run plan", () => {
  it("refuses an unknown option, exit 2", async () => {
    const run = await planIn(["--bogus"]);
    expect(run.err).toBe(
      "plan: unknown option '--bogus' (usage: npm run plan -- [options]; --help says more)",
    );
    expect(run.code).toBe(2);
  });

  it("refuses an argument, as it plans every stack and takes none, exit 2", async () => {
    const run = await planIn(["nosuchstack"]);
    expect(run.err).toBe(
      "plan: unexpected argument nosuchstack (usage: npm run plan -- [options]; --help says more)",
    );
    expect(run.code).toBe(2);
  });

  it("refuses a bad value in settings.env, naming its line, exit 2", async () => {
    const run = await planIn([], {}, "OWNER=me\nMESH_MODE=ambiant\n");
    expect(run.err).toBe(
      'plan: invalid configuration:\n  - MESH_MODE="ambiant" is not one of sidecar, ambient (settings.env:2)',
    );
    expect(run.out).toBe("");
    expect(run.code).toBe(2);
  });

  it("says on a line that it does not read STATE_BUCKET, whose S3 backend needs credentials", async () => {
    const run = await planIn([], { STATE_BUCKET: "acme-tfstate" });
    expect(run.out).toBe(
      "note: STATE_BUCKET=acme-tfstate is not read here: these plans start from empty local state, as a first deploy does",
    );
    expect(run.err).toMatch(/^plan: no terraform binary/);
    expect(run.code).toBe(2);
  });
});
