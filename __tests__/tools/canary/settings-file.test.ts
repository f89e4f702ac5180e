import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  assertWritable,
  settingsFileOf,
  withWeightsLine,
  writeWeights,
} from "../../../tools/canary/settings-file";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function folder(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "canary-settings-"));
  dirs.push(dir);
  return dir;
}

const NEW = "v1=0,v2=0,v3=0,v4=100";

describe("withWeightsLine", () => {
  it("rewrites only the SHOPFRONT_WEIGHTS line, keeping every other byte", () => {
    const text =
      "# the demo cluster\r\nCLUSTER_NAME=demo\r\nSHOPFRONT_WEIGHTS=v1=50,v2=50\r\n\r\nAWS_REGION=us-east-1";
    expect(withWeightsLine(text, NEW)).toBe(
      `# the demo cluster\r\nCLUSTER_NAME=demo\r\nSHOPFRONT_WEIGHTS=${NEW}\r\n\r\nAWS_REGION=us-east-1`,
    );
  });

  it("keeps an export prefix, quotes and a trailing comment", () => {
    expect(withWeightsLine('export SHOPFRONT_WEIGHTS="v1=100" # canary\n', NEW)).toBe(
      `export SHOPFRONT_WEIGHTS="${NEW}" # canary\n`,
    );
    expect(withWeightsLine("  SHOPFRONT_WEIGHTS = 'v1=100'\n", NEW)).toBe(`  SHOPFRONT_WEIGHTS = '${NEW}'\n`);
  });

  it("leaves a commented-out line alone and adds the setting at the end", () => {
    expect(withWeightsLine("# SHOPFRONT_WEIGHTS=v1=90,v4=10\nCLUSTER_NAME=demo", NEW)).toBe(
      `# SHOPFRONT_WEIGHTS=v1=90,v4=10\nCLUSTER_NAME=demo\nSHOPFRONT_WEIGHTS=${NEW}\n`,
    );
  });

  it("starts an empty file with the setting", () => {
    expect(withWeightsLine("", NEW)).toBe(`SHOPFRONT_WEIGHTS=${NEW}\n`);
  });
});

describe("writeWeights", () => {
  it("creates a missing file, and rewrites an existing one in place of the old, keeping its mode", () => {
    const dir = folder();
    const file = path.join(dir, "settings.env");
    writeWeights(file, NEW);
    expect(readFileSync(file, "utf8")).toBe(`SHOPFRONT_WEIGHTS=${NEW}\n`);
    writeFileSync(file, "CLUSTER_NAME=demo\nSHOPFRONT_WEIGHTS=v1=100\n");
    chmodSync(file, 0o600);
    writeWeights(file, "v1=50,v2=0,v3=0,v4=50");
    expect(readFileSync(file, "utf8")).toBe("CLUSTER_NAME=demo\nSHOPFRONT_WEIGHTS=v1=50,v2=0,v3=0,v4=50\n");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(["settings.env"]);
  });
});

describe("the settings file", () => {
  it("is SETTINGS_FILE when set, else settings.env, relative to the working folder", () => {
    expect(settingsFileOf({}, "/work/project")).toEqual({
      name: "settings.env",
      file: "/work/project/settings.env",
    });
    expect(settingsFileOf({ SETTINGS_FILE: "clusters/demo.env" }, "/work/project")).toEqual({
      name: "clusters/demo.env",
      file: "/work/project/clusters/demo.env",
    });
  });

  it("is refused before anything is applied when it cannot be written", () => {
    const dir = folder();
    const missing = path.join(dir, "no-such-folder", "settings.env");
    expect(() => assertWritable({ name: "no-such-folder/settings.env", file: missing })).toThrow(
      "no-such-folder/settings.env cannot be written (ENOENT): the promotion writes SHOPFRONT_WEIGHTS there",
    );
  });
});
