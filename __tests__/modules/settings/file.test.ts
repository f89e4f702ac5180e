import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseSettingsFile, readSettings } from "../../../modules/settings/file";
import { loadConfig } from "../../../modules/settings/load";
import { problemsFrom, runMain } from "../../config-problems";

describe("settings file", () => {
  let folder: string;
  beforeEach(() => {
    folder = mkdtempSync(path.join(tmpdir(), "shopfront-settings-"));
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  const write = (name: string, text: string) => writeFileSync(path.join(folder, name), text);

  it("reads settings.env from the working folder", () => {
    write("settings.env", "# a comment\n\nCLUSTER_NAME=from-file\nexport NODE_MAX_SIZE=3\n");
    const settings = readSettings({}, folder);
    expect(settings).toMatchObject({ CLUSTER_NAME: "from-file", NODE_MAX_SIZE: "3" });
    expect(loadConfig(settings).cluster.name).toBe("from-file");
  });

  it("lets the environment override the file, and passes other variables through", () => {
    write("settings.env", "CLUSTER_NAME=from-file\nOWNER=file-team\n");
    expect(readSettings({ CLUSTER_NAME: "from-env", GATEWAY_URL: "http://x" }, folder)).toEqual({
      CLUSTER_NAME: "from-env",
      OWNER: "file-team",
      GATEWAY_URL: "http://x",
    });
  });

  it("reads the file SETTINGS_FILE names instead, relative to the working folder", () => {
    write("settings.env", "CLUSTER_NAME=default-file\n");
    mkdirSync(path.join(folder, "clusters"));
    write("clusters/staging.settings.env", "CLUSTER_NAME=staging\n");
    const settings = readSettings({ SETTINGS_FILE: "clusters/staging.settings.env" }, folder);
    expect(settings.CLUSTER_NAME).toBe("staging");
  });

  it("uses the environment alone when there is no settings.env", () => {
    expect(readSettings({ OWNER: "env-team" }, folder)).toEqual({ OWNER: "env-team" });
  });

  it("takes quoted values as written and drops trailing comments of bare ones", () => {
    expect(
      parseSettingsFile(
        ['ENVIRONMENT="staging # not a comment"', "OWNER='mesh team'", "NODE_MAX_SIZE=3  # three"].join("\n"),
        "settings.env",
      ),
    ).toEqual({ ENVIRONMENT: "staging # not a comment", OWNER: "mesh team", NODE_MAX_SIZE: "3" });
  });

  // One case per error path: the message names the file, the line and the key.
  it.each([
    [
      "NODE_MAX_SZE=3",
      "settings.env:1: NODE_MAX_SZE is not a setting (did you mean NODE_MAX_SIZE? the settings are listed in docs/settings.md)",
    ],
    [
      "GATEWAY_URL=http://x",
      "settings.env:1: GATEWAY_URL is not a setting (the settings are listed in docs/settings.md)",
    ],
    ["just some words", 'settings.env:1: "just some words" is not a KEY=value line, a # comment or blank'],
    [
      'OWNER="unterminated',
      'settings.env:1: "OWNER=\\"unterminated" is not a KEY=value line, a # comment or blank',
    ],
    ["OWNER=a\nOWNER=b", "settings.env:2: OWNER is already set on line 1"],
    [
      "SETTINGS_FILE=other.env",
      "settings.env:1: SETTINGS_FILE cannot be set in a settings file, only in the environment",
    ],
  ])("refuses %j", (text, message) => {
    expect(problemsFrom(() => parseSettingsFile(text, "settings.env"))).toContain(message);
  });

  it("reports every bad line at once", () => {
    expect(problemsFrom(() => parseSettingsFile("A=1\nnonsense\nB=2\n", "settings.env"))).toHaveLength(3);
  });

  it("refuses a SETTINGS_FILE that does not exist", () => {
    expect(problemsFrom(() => readSettings({ SETTINGS_FILE: "missing.env" }, folder))).toEqual([
      'SETTINGS_FILE="missing.env" is not a settings file that exists (a file of KEY=value lines such as settings.env)',
    ]);
  });

  it("refuses a setting's bad value from the file as from the environment, saying where it is", () => {
    write("settings.env", "# sizes\nNODE_MAX_SIZE=lots\nOFFLINE_PLAN=true\nOWNER=bad;owner\n");
    expect(problemsFrom(() => loadConfig(readSettings({ OWNER: "also;bad" }, folder)))).toEqual([
      'OFFLINE_PLAN="true" is no longer a setting: npm run plan makes plan-only stacks in its own folder (settings.env:3)',
      'OWNER="also;bad" is not a tag value of 1-128 letters, digits, spaces or _.:/=+-@',
      'NODE_MAX_SIZE="lots" is not a whole number from 1 to 100 (settings.env:2)',
    ]);
  });

  describe("through cdktf's app (main.ts)", () => {
    it("synthesizes with the file's settings", () => {
      write("settings.env", "CLUSTER_NAME=from-file\nSTATE_BUCKET=acme-tfstate\n");
      const { status, stderr, outdir } = runMain({}, folder);
      expect({ status, stderr }).toEqual({ status: 0, stderr: "" });
      const stack = JSON.parse(
        readFileSync(path.join(outdir, "stacks", "eks-cluster-stack", "cdk.tf.json"), "utf8"),
      );
      expect(stack.terraform.backend.s3.key).toBe("shopfront-mesh/from-file/eks-cluster-stack.tfstate");
    });

    it("exits non-zero on a typo in the file, naming file, line and key, and writes nothing", () => {
      write("settings.env", "OWNER=me\nCLUSTER_NAM=typo\n");
      const { status, stderr, wroteOutput } = runMain({}, folder);
      expect(status).toBe(1);
      expect(stderr).toContain("settings.env:2: CLUSTER_NAM is not a setting (did you mean CLUSTER_NAME?");
      expect(wroteOutput).toBe(false);
    });
  });
});
