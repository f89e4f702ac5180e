/**
 * Every command treats a bad value in settings.env alike: it refuses it before doing anything, names
 * the setting, the value and the line of the file it is on, and exits with the code docs/settings.md
 * states (2; the cdktf commands 1, cdktf's code for any failed synth).
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { copyProject, ROOT } from "../project-copy";

const REFUSAL = 'MESH_MODE="ambiant" is not one of sidecar, ambient (settings.env:2)';

const COMMANDS: readonly (readonly [string, readonly string[], number])[] = [
  ["preflight", ["--timeout", "5"], 2],
  ["synth", [], 1],
  ["list", [], 2],
  ["plan", [], 2],
  ["analyze", [], 2],
  // A port nothing listens on: the run must stop before it sends a request.
  ["traffic", ["count", "--url", "http://127.0.0.1:9", "-n", "10"], 2],
  ["destroy:all", [], 2],
  ["canary", ["--to", "v4", "--dry-run"], 2],
];

describe("a bad value in settings.env", () => {
  let project: string;
  beforeAll(() => {
    project = copyProject((dir) =>
      writeFileSync(path.join(dir, "settings.env"), "OWNER=me\nMESH_MODE=ambiant\n"),
    );
  });

  it.each(COMMANDS)(
    "stops npm run %s, naming its line, with the documented exit code",
    (command, args, code) => {
      const run = spawnSync("npm", ["run", "-s", command, "--", ...args], {
        cwd: project,
        encoding: "utf8",
        env: { PATH: process.env.PATH, HOME: project, TMPDIR: tmpdir(), CI: "true" },
        timeout: 120_000,
      });
      // preflight reports it among its checks, on stdout; the others refuse it on stderr.
      expect(`${run.stdout}${run.stderr}`).toContain(REFUSAL);
      expect(`${run.stdout}${run.stderr}`).not.toMatch(
        /^(planned|destroyed|done:|verdict:|canary plan:)|ready to deploy/m,
      );
      expect(run.status).toBe(code);
    },
  );

  it("is documented with those exit codes", () => {
    const settingsPage = readFileSync(path.join(ROOT, "docs", "settings.md"), "utf8");
    expect(settingsPage).toContain("exits with 2");
    expect(settingsPage).toContain("`synth`, `deploy`, `destroy` and `output` exit with 1");
  });
});
