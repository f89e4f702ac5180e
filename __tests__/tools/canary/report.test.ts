/** The canary's --report, opened in headless Chromium. */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { readSettings } from "../../../modules/settings/file";
import { run } from "../../../tools/canary/cli";
import type { CanarySummary } from "../../../tools/canary/summary";
import { escapeHtml } from "../../../tools/html-report/page";
import { type Browser, startChromium } from "../../chromium";
import { type StandIn, type StandInOptions, startStandIn } from "./stand-in";

let browser: Browser;
const standIns: StandIn[] = [];
beforeAll(async () => {
  browser = await startChromium();
});
afterAll(async () => {
  await browser.close();
  for (const standIn of standIns) await standIn.close();
});

/** A canary with --json and --report against a stand-in: its summary and the report's file. */
async function canaryWithReport(options: Partial<StandInOptions>) {
  const mesh = await startStandIn({ weights: { v1: 60, v2: 40 }, ...options });
  standIns.push(mesh);
  writeFileSync(path.join(mesh.dir, "settings.env"), "SHOPFRONT_WEIGHTS=v1=60,v2=40\n");
  let stdout = "";
  const argv = ["--to", "v3", "--url", mesh.url, "--apply-command", mesh.applyCommand, "--settle", "0s"];
  await run([...argv, "--steps", "25,50,100", "-n", "400", "--json", "--report", "canary.html"], {
    stdout: (text) => {
      stdout += text;
    },
    stderr: () => {},
    stderrIsTTY: false,
    env: readSettings({}, mesh.dir),
    cwd: mesh.dir,
  });
  return { summary: JSON.parse(stdout) as CanarySummary, file: path.join(mesh.dir, "canary.html") };
}

describe("the canary's HTML report", () => {
  it("of a promotion renders with no console error, fetches nothing, and charts every step", async () => {
    const { summary, file } = await canaryWithReport({});
    expect(summary.verdict).toBe("promoted");
    const page = await browser.open(file);
    expect(page.errors).toEqual([]);
    expect(page.requests).toEqual([pathToFileURL(file).href]);
    expect(page.title).toBe("Canary of v3: promoted");
    // Weights: v1, v2 and v3 at the start and at each of the 3 steps. Errors: target and baseline
    // at each step. Latency: p50, p95 and p99 of both at each step.
    expect(page.points).toEqual({ weights: 3 * 4, errors: 2 * 3, latency: 6 * 3 });
  });

  it("of a rollback charts the weights back to the start, and the steps judged only", async () => {
    const { summary, file } = await canaryWithReport({ behaviour: { v3: { errorEvery: 4 } } });
    expect(summary).toMatchObject({ verdict: "rolled back", stoppedAt: 1 });
    const page = await browser.open(file);
    expect(page.errors).toEqual([]);
    expect(page.points).toEqual({ weights: 3 * 3, errors: 2, latency: 6 });
    const html = readFileSync(file, "utf8");
    expect(html).toContain(escapeHtml(summary.lastLine));
    expect(html).not.toMatch(/<script|<link|src=|href=/);
  });
});
