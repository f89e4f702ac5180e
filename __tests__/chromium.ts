/**
 * Headless Chromium for the tests of the HTML reports: Debian's `chromium` (/usr/bin/chromium; CI
 * installs it in .ci/run), driven by playwright-core, which never downloads a browser of its own.
 * Each test file gets a fresh profile folder, removed when it closes the browser.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { pathToFileURL } from "node:url";
import { type BrowserContext, chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/** No sandbox (CI runs as root), no GPU, and nothing that reaches out on its own. */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** What a page did when it was opened. */
export interface Rendered {
  /** Console messages of type error, and uncaught page errors. */
  readonly errors: readonly string[];
  /** Every URL the page asked for, the page itself included. */
  readonly requests: readonly string[];
  /** Data points (elements of class `point`) per chart, by its data-chart name. */
  readonly points: Readonly<Record<string, number>>;
  readonly title: string;
}

export interface Browser {
  open(file: string): Promise<Rendered>;
  close(): Promise<void>;
}

export async function startChromium(): Promise<Browser> {
  const profile = mkdtempSync(`${os.tmpdir()}/chromium-profile-`);
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  return {
    async open(file) {
      const page = await context.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(message.text());
      });
      page.on("pageerror", (error) => errors.push(error.message));
      page.on("request", (request) => requests.push(request.url()));
      await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
      const points = await page.$$eval("figure.chart", (figures) =>
        Object.fromEntries(
          figures.map((figure) => [
            figure.getAttribute("data-chart"),
            figure.querySelectorAll(".point").length,
          ]),
        ),
      );
      const title = await page.title();
      await page.close();
      return { errors, requests, points, title };
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
