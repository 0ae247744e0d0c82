/**
 * The report's style sheet (inlined). Plain and quiet: system fonts, one accent per meaning, no
 * chart borders or backgrounds. The print rules make "print to PDF" a clean document: no
 * tooltips or buttons, charts kept whole on a page, colours printed as shown.
 */
export const STYLES = `
:root {
  --ink: #1a1a1a; --muted: #5c5c5c; --rule: #d9d9d9; --grid: #ececec; --bg: #fff;
  --pass: #007a5a; --pass-bg: #e6f4ef; --fail: #b34700; --fail-bg: #fbeee6;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink); background: var(--bg); font-size: 15px; line-height: 1.45;
}
body { margin: 0 auto; max-width: 1180px; padding: 24px 28px 48px; }
h1 { font-size: 1.7rem; margin: 0 0 4px; }
h2 { font-size: 1.25rem; margin: 36px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--rule); }
h3 { font-size: 1rem; margin: 0; }
p { margin: 6px 0; }
.kicker { text-transform: uppercase; letter-spacing: .06em; font-size: .75rem; color: var(--muted); margin: 0; }
.description { font-size: 1.05rem; color: var(--muted); margin-bottom: 12px; }
.muted, .hint { color: var(--muted); }
.hint { font-size: .85rem; }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: 4px 24px; margin: 10px 0; }
.facts div { display: flex; gap: 8px; min-width: 0; }
.facts dt { color: var(--muted); flex: 0 0 auto; white-space: nowrap; }
.facts dt::after { content: ":"; }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.verdict { border: 2px solid var(--pass); background: var(--pass-bg); border-radius: 6px; padding: 10px 14px; margin: 14px 0; }
.verdict.fail { border-color: var(--fail); background: var(--fail-bg); }
.verdict.none { border-color: var(--rule); background: #f6f6f6; }
.verdict-head { font-weight: 700; font-size: 1.1rem; margin: 0 0 6px; }
.verdict ul { list-style: none; margin: 0; padding: 0; display: grid; gap: 3px; }
.verdict li { display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }
.badge { display: inline-block; min-width: 3.2em; text-align: center; font-weight: 700; font-size: .78rem;
  border-radius: 3px; padding: 1px 6px; color: #fff; background: var(--pass); }
.fail > .badge, li.fail .badge, .badge.fail { background: var(--fail); }
.observed { color: var(--muted); font-size: .9rem; }
.story { font-size: 1rem; max-width: 80ch; }
.table-wrap { overflow-x: auto; margin: 12px 0; }
table { border-collapse: collapse; font-size: .88rem; min-width: 50%; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { padding: 4px 10px; text-align: left; border-bottom: 1px solid var(--grid); vertical-align: top; }
thead th { border-bottom: 1px solid var(--ink); font-weight: 600; white-space: nowrap; }
tbody th { font-weight: 600; white-space: nowrap; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.sig { font-size: .8rem; color: var(--muted); }
#ranking-table { font-size: .82rem; }
#ranking-table td, #ranking-table th { padding: 4px 6px; }
#ranking-table thead th { white-space: normal; vertical-align: bottom; }
#ranking-table td:nth-child(2) { min-width: 8em; max-width: 16em; }
.nobr { white-space: nowrap; }
#ranking-table .ci, #ranking-table .sig { display: block; font-size: .74rem; color: var(--muted); }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 18px 28px; }
.stack { display: grid; gap: 14px; }
figure.chart { margin: 0; min-width: 0; break-inside: avoid; }
figure.chart figcaption p { margin: 0; font-size: .82rem; color: var(--muted); }
.plot { width: 100%; }
.plot:empty::before { content: "This chart needs JavaScript; the tables give the figures."; display: block;
  color: var(--muted); font-size: .85rem; padding: 8px 0; }
.plot svg { display: block; width: 100%; height: auto; overflow: visible; }
.legend { display: flex; flex-wrap: wrap; gap: 2px 12px; margin: 4px 0 0; font-size: .82rem; }
.legend:empty { display: none; }
.legend button { font: inherit; color: inherit; background: none; border: 0; padding: 1px 2px; cursor: pointer;
  display: inline-flex; align-items: center; gap: 5px; border-radius: 3px; }
.legend button:hover { background: #f0f0f0; }
.legend button:focus-visible { outline: 2px solid #0072B2; }
.legend button[aria-pressed="false"] { opacity: .45; text-decoration: line-through; }
.legend svg { width: 22px; height: 10px; }
.axis text { font-size: 11px; fill: var(--muted); font-family: inherit; }
.axis path, .axis line { stroke: #9a9a9a; }
.grid line { stroke: var(--grid); }
.grid path { display: none; }
.band-label { font-size: 10px; fill: #444; paint-order: stroke; stroke: rgba(255,255,255,.85); stroke-width: 3px;
  stroke-linejoin: round; }
.ref-label { font-size: 10px; }
.lane-label { font-size: 11px; fill: var(--ink); }
.hover-line { stroke: #777; stroke-width: 1; pointer-events: none; }
.toolbar { display: flex; align-items: center; gap: 12px; margin: 4px 0 10px; }
.toolbar button { font: inherit; font-size: .85rem; padding: 3px 10px; border: 1px solid var(--rule); border-radius: 4px;
  background: #fafafa; cursor: pointer; }
.toolbar button[hidden] { display: none; }
#tooltip { position: fixed; z-index: 10; pointer-events: none; background: #fff; border: 1px solid #bbb;
  border-radius: 4px; box-shadow: 0 2px 8px rgba(0,0,0,.15); padding: 6px 8px; font-size: 12px; max-width: 340px; }
#tooltip .tt-head { font-weight: 600; margin-bottom: 3px; }
#tooltip table { font-size: 12px; min-width: 0; }
#tooltip td { padding: 1px 4px; border: 0; }
#tooltip .sw { display: inline-block; width: 10px; height: 3px; vertical-align: middle; }
details { margin: 10px 0; }
summary { cursor: pointer; color: var(--muted); font-size: .9rem; }
footer { margin-top: 40px; font-size: .8rem; color: var(--muted); border-top: 1px solid var(--rule); padding-top: 8px; }
@media (max-width: 720px) { body { padding: 14px; } .charts { grid-template-columns: 1fr; } }
@media print {
  :root { font-size: 10pt; }
  body { max-width: none; padding: 0; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  #tooltip, .toolbar, .hint { display: none !important; }
  .legend button { cursor: default; }
  .legend button[aria-pressed="false"] { display: none; }
  h2 { break-after: avoid; }
  figure.chart, table, .verdict { break-inside: avoid; }
  .charts { grid-template-columns: 1fr 1fr; }
  .table-wrap { overflow: visible; }
  @page { size: A4; margin: 12mm; }
}
`;
