/**
 * A self-contained HTML report page: inline CSS and inline SVG only, no script, and a Content
 * Security Policy that forbids every fetch, so that the file shows the same offline, in a mail
 * attachment or in a CI artifact viewer. The canary's and the traffic tool's reports are built on it.
 */
import { accessSync, constants } from "node:fs";
import path from "node:path";

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Text safe inside HTML and SVG elements and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ESCAPES[character]);
}

/** Nothing may be loaded: styles are inline, images are inline SVG. */
const POLICY = "default-src 'none'; style-src 'unsafe-inline'";

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; color: #1b1f24; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: 0.25rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #d0d7de; }
.verdict { font-weight: 600; padding: 0.5rem 0.75rem; border-radius: 4px; display: inline-block; }
.verdict.good { background: #dafbe1; } .verdict.bad { background: #ffebe9; }
table { border-collapse: collapse; margin: 0.5rem 0; font-size: 12px; }
.scroll { overflow-x: auto; }
th, td { border: 1px solid #d0d7de; padding: 0.2rem 0.5rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; }
figure.chart { margin: 0; } figcaption { font-weight: 600; }
svg text { font: 11px system-ui, sans-serif; fill: #1b1f24; }
dl { display: grid; grid-template-columns: max-content auto; gap: 0.1rem 1rem; } dt { color: #57606a; } dd { margin: 0; }
`;

export interface Page {
  readonly title: string;
  /** One line under the title: what was run, when. */
  readonly subtitle: string;
  /** The verdict, and whether it is good news. */
  readonly verdict: { readonly text: string; readonly good: boolean };
  /** HTML fragments, in order. */
  readonly sections: readonly string[];
}

export function htmlPage(page: Page): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(page.title)}</h1>
<p>${escapeHtml(page.subtitle)}</p>
<p class="verdict ${page.verdict.good ? "good" : "bad"}">${escapeHtml(page.verdict.text)}</p>
${page.sections.join("\n")}
</body>
</html>
`;
}

/** A section with a heading. */
export function section(heading: string, ...content: string[]): string {
  return `<section>\n<h2>${escapeHtml(heading)}</h2>\n${content.join("\n")}\n</section>`;
}

/** A table of text cells; the first row is the header. */
export function table(rows: readonly (readonly string[])[]): string {
  const [header, ...body] = rows;
  const cells = (row: readonly string[], tag: "th" | "td") =>
    `<tr>${row.map((cell) => `<${tag}>${escapeHtml(cell)}</${tag}>`).join("")}</tr>`;
  return `<div class="scroll"><table>\n<thead>${cells(header, "th")}</thead>\n<tbody>\n${body.map((row) => cells(row, "td")).join("\n")}\n</tbody>\n</table></div>`;
}

/** Name: value pairs. */
export function facts(pairs: readonly (readonly [string, string])[]): string {
  return `<dl>${pairs.map(([name, value]) => `<dt>${escapeHtml(name)}</dt><dd>${escapeHtml(value)}</dd>`).join("")}</dl>`;
}

/** A list of lines. */
export function list(lines: readonly string[]): string {
  return `<ul>${lines.map((line) => `<li>${escapeHtml(line)}</li>`).join("")}</ul>`;
}

/** Charts side by side. */
export function charts(...figures: string[]): string {
  return `<div class="charts">\n${figures.join("\n")}\n</div>`;
}

/**
 * Why a report could not be written to `report` (relative to `cwd`), or undefined when its folder
 * can be written: checked before a run, so that a long run does not end without its report.
 */
export function reportFolderProblem(report: string, cwd: string): string | undefined {
  const folder = path.dirname(path.resolve(cwd, report));
  try {
    accessSync(folder, constants.W_OK);
    return undefined;
  } catch (error) {
    return `--report=${JSON.stringify(report)}: its folder ${folder} cannot be written (${(error as NodeJS.ErrnoException).code})`;
  }
}
