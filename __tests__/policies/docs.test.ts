import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import {
  comparable,
  MARKER,
  markedBlocks,
  renderSamples,
  SAMPLES,
  samplePages,
} from "../../tools/docs-samples";

const root = path.resolve(__dirname, "..", "..");
/** README.md and every page of docs/. */
const PAGES = samplePages();
const scripts: Record<string, string> = JSON.parse(
  readFileSync(path.join(root, "package.json"), "utf8"),
).scripts;

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
const anchor = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(path.join(root, file), "utf8").replace(/```[\s\S]*?```/g, "");
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map(([, heading]) => anchor(heading)));
}

/** The project's own folders: a path that starts with one of them is a path of this project. */
const PROJECT_FOLDERS = [".ci", "__tests__", "docs", "manifests", "modules", "stacks", "tools"];

/**
 * Paths the docs name in other repositories, whose first folder has one of the project's names:
 * Istio's own `manifests/charts/` (istio/istio), read as the source of chart values.
 */
const UPSTREAM_PATHS = [/^manifests\/charts\//];

/** The project paths `text` names: `tools/traffic/cli.ts`, `manifests/sidecar/`, with their line. */
function projectPaths(text: string): { path: string; line: number; glob: boolean }[] {
  const folders = PROJECT_FOLDERS.map((folder) => folder.replace(".", "\\.")).join("|");
  // Not inside a URL or another path (`github.com/x/tools/...`, `/tmp/docs`).
  const pattern = new RegExp(`(?<![\\w.\\-/@:~])((?:${folders})/[\\w.\\-/]*)([*<{]?)`, "g");
  return [...text.matchAll(pattern)].map((match) => ({
    // A sentence's full stop or a range's hyphen is not part of the path.
    path: match[1].replace(/[.-]+$/, ""),
    line: text.slice(0, match.index).split("\n").length,
    glob: match[2] !== "",
  }));
}

/** The scripts `text` runs with `npm run`, `npm run -s` or `npm run --silent`. */
function npmScripts(text: string): string[] {
  return [...text.matchAll(/\bnpm run (?:-s |--silent )?([\w:.-]*\w)/g)].map(([, script]) => script);
}

describe("what the docs tests look for", () => {
  it("finds the project's paths, not another repository's or a URL's, and reads a wildcard as one", () => {
    const text = [
      "`tools/traffic/cli.ts`, manifests/sidecar/ and `manifests/routing-*/`.",
      "https://github.com/istio/istio/tree/master/tools/x and /tmp/docs/y",
    ].join("\n");
    expect(projectPaths(text)).toEqual([
      { path: "tools/traffic/cli.ts", line: 1, glob: false },
      { path: "manifests/sidecar/", line: 1, glob: false },
      { path: "manifests/routing", line: 1, glob: true },
    ]);
  });

  it("finds the scripts of npm run, with or without -s, and not the arguments after them", () => {
    expect(npmScripts("`npm run -s traffic -- count`, npm run destroy:all, `npm run analyze`:")).toEqual([
      "traffic",
      "destroy:all",
      "analyze",
    ]);
  });
});

describe("the README", () => {
  it("is a front page of at most 15 KB (the rest lives in docs/)", () => {
    expect(statSync(path.join(root, "README.md")).size).toBeLessThanOrEqual(15_000);
  });
});

describe.each(PAGES)("%s", (page) => {
  const text = readFileSync(path.join(root, page), "utf8");
  const links = [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map(([, target]) => target)
    .filter((target) => !/^[a-z]+:/.test(target));

  it("links only to pages and headings that exist", () => {
    const broken = links.filter((link) => {
      const [file, hash] = link.split("#");
      const target = file === "" ? page : path.normalize(path.join(path.dirname(page), file));
      if (!existsSync(path.join(root, target))) return true;
      return hash !== undefined && target.endsWith(".md") && !anchorsOf(target).has(hash);
    });
    expect(broken).toEqual([]);
  });

  it("names only files and folders of the project that exist", () => {
    const missing = projectPaths(text)
      .filter(({ path: named }) => !UPSTREAM_PATHS.some((upstream) => upstream.test(named)))
      .filter(({ path: named, glob }) => {
        // `manifests/routing-*/`: some entry of the folder starts with what precedes the wildcard.
        if (!glob) return !existsSync(path.join(root, named));
        const folder = path.join(root, path.dirname(`${named}x`));
        const prefix = path.basename(`${named}x`).slice(0, -1);
        return !existsSync(folder) || !readdirSync(folder).some((entry) => entry.startsWith(prefix));
      })
      .map(({ path: named, line }) => `${page}:${line}: ${named}`);
    expect(missing).toEqual([]);
  });

  it("names only npm scripts that package.json has", () => {
    expect(npmScripts(text).filter((script) => !(script in scripts))).toEqual([]);
  });

  it("shows the output of a project command only as a sample that npm run docs:samples writes", () => {
    const lines = text.split("\n");
    const typed = lines
      .map((line, index) => ({ line, index }))
      .filter(({ line, index }) => /^\$ .*\bnpm run /.test(line) && lines[index - 1]?.startsWith("```"))
      .filter(({ index }) => !MARKER.test(lines[index - 2] ?? ""))
      .map(({ line, index }) => `${page}:${index + 1}: ${line}`);
    expect(typed).toEqual([]);
  });
});

describe("the sample outputs in the docs (npm run docs:samples)", () => {
  let rendered: Map<string, string>;
  beforeAll(async () => {
    rendered = await renderSamples();
  }, 60_000);

  const placed = PAGES.flatMap((page) =>
    markedBlocks(readFileSync(path.join(root, page), "utf8"), page).map((block) => ({ page, ...block })),
  );

  it("places every sample once, on its page", () => {
    const where = Object.fromEntries(Object.entries(SAMPLES).map(([name, sample]) => [name, [sample.page]]));
    const found: Record<string, string[]> = {};
    for (const { name, page } of placed) found[name] = [...(found[name] ?? []), page];
    expect(found).toEqual(where);
  });

  it.each(placed.map(({ page, name, text }) => [`${page}: ${name}`, name, text]))(
    "%s is what the command prints today (`npm run docs:samples` rewrites it)",
    (_where, name, text) => {
      expect(comparable(name, text)).toBe(comparable(name, rendered.get(name) ?? ""));
    },
  );
});
