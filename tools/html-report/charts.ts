/**
 * Inline SVG charts for the HTML reports: a line chart over categories (the canary's steps) and a
 * grouped bar chart (the traffic tool's versions). Scales, ticks and the line's path come from
 * d3-scale and d3-shape, which compute them without a DOM; the SVG is written here. Every data point
 * is one element of class `point` (a circle or a bar) with a `<title>` naming its series and value,
 * so that a reader can hover it and a test can count it.
 */
import { scaleBand, scaleLinear } from "d3-scale";
import { line } from "d3-shape";
import { escapeHtml } from "./page";

/** Okabe and Ito's palette: told apart by people with any common colour blindness. */
const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];

export interface Series {
  readonly name: string;
  /** One value per category; null where the series has none. */
  readonly values: readonly (number | null)[];
  /** Drawn dashed: the baseline beside the target, the expected beside the observed. */
  readonly dashed?: boolean;
  /** An index into the palette, to give related series one colour. */
  readonly colour?: number;
}

export interface Chart {
  /** Names the chart in the page (`data-chart`), for links and tests. */
  readonly id: string;
  readonly title: string;
  /** The x axis: step names, versions. */
  readonly categories: readonly string[];
  readonly series: readonly Series[];
  /** The values' unit, for the axis and the points' titles: `%`, `ms`. */
  readonly unit: string;
  /** The y axis reaches at least this (100 for weights); it always starts at 0. */
  readonly yMin?: number;
}

const WIDTH = 460;
const HEIGHT = 260;
const MARGIN = { top: 12, right: 12, bottom: 28, left: 48 };
const LEGEND_ROW = 16;

const number = (value: number) =>
  Number.isInteger(value) ? String(value) : String(Math.round(value * 100) / 100);
const colourOf = (series: Series, index: number) => PALETTE[(series.colour ?? index) % PALETTE.length];

function frame(chart: Chart, body: string, legendRows: number): string {
  const height = HEIGHT + legendRows * LEGEND_ROW;
  return `<figure class="chart" data-chart="${escapeHtml(chart.id)}">
<figcaption>${escapeHtml(chart.title)}</figcaption>
<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${escapeHtml(chart.title)}">
${body}
</svg>
</figure>`;
}

/** The y axis with its grid lines, from d3's ticks. */
function yAxis(y: ReturnType<typeof scaleLinear<number, number>>, unit: string): string {
  return y
    .ticks(5)
    .map(
      (tick) =>
        `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(tick)}" y2="${y(tick)}" stroke="#d0d7de"/>` +
        `<text x="${MARGIN.left - 6}" y="${y(tick) + 4}" text-anchor="end">${escapeHtml(`${number(tick)}${unit === "%" ? "%" : ""}`)}</text>`,
    )
    .concat(
      `<text transform="translate(12 ${(MARGIN.top + HEIGHT - MARGIN.bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(unit)}</text>`,
    )
    .join("\n");
}

function legend(series: readonly Series[]): string {
  return series
    .map((s, index) => {
      const y = HEIGHT + index * LEGEND_ROW;
      const dash = s.dashed ? ' stroke-dasharray="4 3"' : "";
      return `<line x1="${MARGIN.left}" x2="${MARGIN.left + 24}" y1="${y - 4}" y2="${y - 4}" stroke="${colourOf(s, index)}" stroke-width="2"${dash}/><text x="${MARGIN.left + 30}" y="${y}">${escapeHtml(s.name)}</text>`;
    })
    .join("\n");
}

function yScale(chart: Chart) {
  const values = chart.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const top = Math.max(chart.yMin ?? 0, ...values, Number.MIN_VALUE);
  return scaleLinear()
    .domain([0, top])
    .nice()
    .range([HEIGHT - MARGIN.bottom, MARGIN.top]);
}

function pointTitle(series: Series, category: string, value: number, unit: string): string {
  return `<title>${escapeHtml(`${series.name}, ${category}: ${number(value)} ${unit}`)}</title>`;
}

/** Lines over the categories, a circle at each value. */
export function lineChart(chart: Chart): string {
  const x = scaleBand()
    .domain(chart.categories)
    .range([MARGIN.left, WIDTH - MARGIN.right])
    .padding(0.5);
  const y = yScale(chart);
  const xOf = (index: number) => (x(chart.categories[index]) ?? 0) + x.bandwidth() / 2;
  const path = line<number | null>()
    .defined((value) => value !== null)
    .x((_, index) => xOf(index))
    .y((value) => y(value ?? 0));
  const series = chart.series.map((s, index) => {
    const colour = colourOf(s, index);
    const dash = s.dashed ? ' stroke-dasharray="4 3"' : "";
    const points = s.values.flatMap((value, i) =>
      value === null
        ? []
        : [
            `<circle class="point" cx="${xOf(i)}" cy="${y(value)}" r="3.5" fill="${colour}">${pointTitle(s, chart.categories[i], value, chart.unit)}</circle>`,
          ],
    );
    return `<g class="series"><path d="${path(s.values) ?? ""}" fill="none" stroke="${colour}" stroke-width="2"${dash}/>\n${points.join("\n")}</g>`;
  });
  const labels = chart.categories.map(
    (category, i) =>
      `<text x="${xOf(i)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">${escapeHtml(category)}</text>`,
  );
  return frame(
    chart,
    [yAxis(y, chart.unit), ...labels, ...series, legend(chart.series)].join("\n"),
    chart.series.length,
  );
}

/** Bars grouped by category, one bar per series. */
export function barChart(chart: Chart): string {
  const x = scaleBand()
    .domain(chart.categories)
    .range([MARGIN.left, WIDTH - MARGIN.right])
    .padding(0.2);
  const inner = scaleBand()
    .domain(chart.series.map((s) => s.name))
    .range([0, x.bandwidth()])
    .padding(0.1);
  const y = yScale(chart);
  const bars = chart.series.flatMap((s, index) =>
    s.values.flatMap((value, i) => {
      if (value === null) return [];
      const left = (x(chart.categories[i]) ?? 0) + (inner(s.name) ?? 0);
      const top = y(value);
      const pattern = s.dashed ? ' fill-opacity="0.35" stroke-dasharray="3 2"' : "";
      return [
        `<rect class="point" x="${left}" y="${top}" width="${inner.bandwidth()}" height="${y(0) - top}" fill="${colourOf(s, index)}" stroke="${colourOf(s, index)}"${pattern}>${pointTitle(s, chart.categories[i], value, chart.unit)}</rect>`,
      ];
    }),
  );
  const labels = chart.categories.map(
    (category) =>
      `<text x="${(x(category) ?? 0) + x.bandwidth() / 2}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">${escapeHtml(category)}</text>`,
  );
  return frame(
    chart,
    [yAxis(y, chart.unit), ...labels, ...bars, legend(chart.series)].join("\n"),
    chart.series.length,
  );
}
