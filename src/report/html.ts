/**
 * HTML building blocks for the report: escaping, tables, figures for the browser code to fill,
 * and the page shell that inlines the style sheet, the chart data and the bundled script. The
 * header, verdicts and tables are real HTML so the page reads without JavaScript.
 */
import type { ReportData } from './model.ts';
import { STYLES } from './styles.ts';

/** Escapes text for element content and double-quoted attributes. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;',
  );
}

/** A table cell: plain text (escaped) or HTML already built. */
export type Cell = string | { html: string };

const cell = (c: Cell) => (typeof c === 'string' ? esc(c) : c.html);

/**
 * A table with a header row; columns from `numericFrom` on are right-aligned numbers. The first
 * column of each body row is a row header.
 */
export function table(o: {
  caption?: string;
  head: string[];
  rows: Cell[][];
  numericFrom?: number;
  /** Columns at or after `numericFrom` that hold text, not numbers. */
  textColumns?: number[];
  id?: string;
  className?: string;
}): string {
  const from = o.numericFrom ?? 1;
  const isNum = (i: number) => i >= from && !o.textColumns?.includes(i);
  const th = o.head.map((h, i) => `<th scope="col"${isNum(i) ? ' class="num"' : ''}>${esc(h)}</th>`).join('');
  const body = o.rows
    .map(
      (r) =>
        `<tr>${r
          .map((c, i) =>
            i === 0
              ? `<th scope="row">${cell(c)}</th>`
              : `<td${isNum(i) ? ' class="num"' : ''}>${cell(c)}</td>`,
          )
          .join('')}</tr>`,
    )
    .join('\n');
  return `<div class="table-wrap"><table${o.id ? ` id="${esc(o.id)}"` : ''}${o.className ? ` class="${esc(o.className)}"` : ''}>${
    o.caption ? `<caption>${esc(o.caption)}</caption>` : ''
  }<thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

/** A definition list of facts (label, value). */
export function facts(items: [string, Cell][]): string {
  return `<dl class="facts">${items.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${cell(v)}</dd></div>`).join('')}</dl>`;
}

/** A figure the browser code draws into (`data-chart` names the chart in the embedded data). */
export function figure(id: string, title: string, note: string, wide = false): string {
  return `<figure class="chart${wide ? ' wide' : ''}" data-chart="${esc(id)}"><figcaption><h3>${esc(title)}</h3>${
    note ? `<p>${esc(note)}</p>` : ''
  }</figcaption><div class="legend" role="group" aria-label="series"></div><div class="plot"></div></figure>`;
}

/** Makes a script safe inside <script>: no `</script` or `<!--` can end or confuse the element. */
export function inlineScript(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** JSON safe inside <script type="application/json">. */
export function inlineJson(data: unknown): string {
  return JSON.stringify(data)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The whole page: one self-contained file (style, data and script inline; nothing fetched). */
export function page(o: { title: string; body: string; data: ReportData; script: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="floodgate">
<title>${esc(o.title)}</title>
<style>${STYLES}</style>
</head>
<body>
${o.body}
<div id="tooltip" role="tooltip" hidden></div>
<script id="fg-data" type="application/json">${inlineJson(o.data)}</script>
<script>/* Charts drawn with d3 (ISC License, Copyright 2010-2023 Mike Bostock). */
${inlineScript(o.script)}</script>
</body>
</html>
`;
}
