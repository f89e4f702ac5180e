import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

const root = path.resolve(__dirname, "..", "..");
const PAGES = ["README.md", "docs/architecture.md", "docs/operations.md", "docs/versions.md"];

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

describe("the README", () => {
  it("is a front page of at most 12 KB", () => {
    expect(statSync(path.join(root, "README.md")).size).toBeLessThanOrEqual(12_000);
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
});
