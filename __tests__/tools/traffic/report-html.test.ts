/** `npm run traffic -- count|load --report FILE.html`, opened in headless Chromium. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { type Browser, startChromium } from "../../chromium";
import { traffic } from "../../traffic-run";
import { closeAll, startPods, startRouter, WALKTHROUGH_REPLICAS, WALKTHROUGH_WEIGHTS } from "./mesh";

let browser: Browser;
let dir: string;
let gateway: string;
beforeAll(async () => {
  browser = await startChromium();
  dir = mkdtempSync(path.join(os.tmpdir(), "traffic-report-"));
  gateway = await startRouter(await startPods(WALKTHROUGH_REPLICAS), { weights: WALKTHROUGH_WEIGHTS });
});
afterAll(async () => {
  await browser.close();
  await closeAll();
  rmSync(dir, { recursive: true, force: true });
});

describe("the traffic tool's HTML report", () => {
  it("of count: the split and the latency of each of the 4 versions, no console error, nothing fetched", async () => {
    const file = path.join(dir, "count.html");
    const run = await traffic(
      ["count", "--url", gateway, "--expect", "v1=50,v2=30,v3=15,v4=5", "--report", file],
      {
        cwd: dir,
      },
    );
    expect(run.code).toBe(0);
    const page = await browser.open(file);
    expect(page.errors).toEqual([]);
    expect(page.requests).toEqual([pathToFileURL(file).href]);
    // Observed and expected per version; p50, p95 and p99 per version.
    expect(page.points).toEqual({ split: 2 * 4, latency: 3 * 4 });
    // The resilience lines of the text report, status codes by who answered first.
    expect(readFileSync(file, "utf8")).toMatch(
      /<h2>Resilience<\/h2>\n<ul><li>status codes: 200 ×100 \(v1 ×\d+, v2 ×\d+, v3 ×\d+, v4 ×\d+\)<\/li><li>policies from no setting and no route/,
    );
  });

  it("of load: a bar per status and the 3 percentiles", async () => {
    const file = path.join(dir, "load.html");
    const run = await traffic(
      [
        "load",
        "--url",
        gateway,
        "--rate",
        "20",
        "--duration",
        "1s",
        "--path",
        "/miztiik-error-generator",
        "--report",
        file,
      ],
      { cwd: dir },
    );
    expect(run.code).toBe(0);
    const page = await browser.open(file);
    expect(page.errors).toEqual([]);
    expect(page.points).toEqual({ statuses: 1, latency: 3 });
    expect(page.title).toBe("Steady load through the gateway");
  });

  it("refuses, before sending anything, a report whose folder does not exist", async () => {
    const run = await traffic(["count", "--url", gateway, "--report", path.join(dir, "missing", "r.html")], {
      cwd: dir,
    });
    expect(run.stderr).toBe(
      `error: --report=${JSON.stringify(path.join(dir, "missing", "r.html"))}: its folder ${path.join(dir, "missing")} cannot be written (ENOENT)\n`,
    );
    expect(run.code).toBe(2);
  });
});
