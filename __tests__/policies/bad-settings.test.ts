/**
 * Every command treats a bad value in settings.env alike: it refuses it before doing anything, names
 * the setting, the value and the line of the file it is on, and exits with the code docs/settings.md
 * states (2; the cdktf commands 1, cdktf's code for any failed synth). Each command runs as npm runs
 * its script (package.json's command line, in a shell, with node_modules/.bin on PATH), without npm's
 * own process, whose passing on of the exit code the traffic tool's launch test shows; the cdktf
 * commands run the app that cdktf.json names, as cdktf does, and main.test.ts shows `npm run synth`
 * passing the app's refusal on, with exit 1.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { copyProject, ROOT } from "../project-copy";

const REFUSAL = 'MESH_MODE="ambiant" is not one of sidecar, ambient (settings.env:2)';

const scripts: Record<string, string> = JSON.parse(
  readFileSync(path.join(ROOT, "package.json"), "utf8"),
).scripts;
const cdktfApp: string = JSON.parse(readFileSync(path.join(ROOT, "cdktf.json"), "utf8")).app;

/** Each command: what runs it, its arguments, its exit code, and where it reports the refusal. */
const COMMANDS: readonly (readonly [string, string, readonly string[], number, "stdout" | "stderr"])[] = [
  // preflight reports it among its checks, on stdout; the others refuse it on stderr.
  ["preflight", scripts.preflight, ["--timeout", "5"], 2, "stdout"],
  ["synth (the app cdktf runs)", cdktfApp, [], 1, "stderr"],
  ["list", scripts.list, [], 2, "stderr"],
  ["plan", scripts.plan, [], 2, "stderr"],
  ["analyze", scripts.analyze, [], 2, "stderr"],
  // A port nothing listens on: the run must stop before it sends a request.
  ["traffic", scripts.traffic, ["count", "--url", "http://127.0.0.1:9", "-n", "10"], 2, "stderr"],
  ["destroy:all", scripts["destroy:all"], [], 2, "stderr"],
  ["canary", scripts.canary, ["--to", "v4", "--dry-run"], 2, "stderr"],
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
    (_command, commandLine, args, code, stream) => {
      const run = spawnSync("/bin/sh", ["-c", `${commandLine} "$@"`, "sh", ...args], {
        cwd: project,
        encoding: "utf8",
        env: {
          PATH: `${path.join(project, "node_modules", ".bin")}:${process.env.PATH}`,
          HOME: project,
          TMPDIR: tmpdir(),
          NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE,
          CI: "true",
        },
        timeout: 120_000,
      });
      expect(run[stream]).toContain(REFUSAL);
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
