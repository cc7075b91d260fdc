import { FAVICON_DATA_URI } from './favicon.js';
import { html, SafeHtml } from './html.js';

// One small inline stylesheet (Helmet's CSP allows inline styles, not inline scripts; the pages need none).
const STYLE = `
:root { color: #0b0c0c; background: #fff; font-family: system-ui, -apple-system, "Segoe UI", Arial, sans-serif; line-height: 1.5; }
body { margin: 0 auto; max-width: 60rem; padding: 1rem; }
a { color: #1d3f8f; }
a:focus { outline: 3px solid #ffbf47; outline-offset: 0; }
h1 { font-size: 1.8rem; line-height: 1.2; }
h2 { margin-top: 2rem; border-top: 1px solid #b1b4b6; padding-top: 1rem; }
.fee { font-size: 2.6rem; font-weight: 700; margin: 0.2rem 0; }
.muted { color: #434648; }
.note { display: block; font-weight: 400; font-size: 0.9rem; white-space: normal; }
/* Sideways scrolling is the fallback of a table too wide for its screen: shadows at the edges that
   hide more columns are the cue (the white covers scroll with the table and hide each shadow when
   its edge is reached), and stacked tables never need it. */
.table-wrap { overflow-x: auto; margin: 1rem 0; background-color: #fff;
  background-image: linear-gradient(to right, #fff 40%, rgba(255, 255, 255, 0)), linear-gradient(to left, #fff 40%, rgba(255, 255, 255, 0)),
    radial-gradient(farthest-side at 0 50%, rgba(11, 12, 12, 0.3), rgba(11, 12, 12, 0)), radial-gradient(farthest-side at 100% 50%, rgba(11, 12, 12, 0.3), rgba(11, 12, 12, 0));
  background-position: left center, right center, left center, right center;
  background-size: 2.5rem 100%, 2.5rem 100%, 1rem 100%, 1rem 100%;
  background-repeat: no-repeat;
  background-attachment: local, local, scroll, scroll; }
table { border-collapse: collapse; width: 100%; }
caption { text-align: left; font-weight: 700; padding: 0.4rem 0; }
th, td { border-bottom: 1px solid #b1b4b6; padding: 0.4rem 0.5rem; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
/* a code never wraps: its column takes only the width it needs, and leaves the rest to prose */
td.code { width: 1%; }
tfoot th, tfoot td { font-weight: 700; border-top: 2px solid #0b0c0c; }
code { font-size: 0.9em; overflow-wrap: anywhere; }
/* a line code is one word: never broken at a letter or an underscore */
td.code, td code { white-space: nowrap; overflow-wrap: normal; word-break: keep-all; }
.bar { width: 100%; height: auto; max-height: 4rem; display: block; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.4em; vertical-align: -0.1em; border: 1px solid #0b0c0c; }
.staffing { background: #1d70b8; } .property { background: #00703c; } .running { background: #f47738; }
.central { background: #6f72af; } .surplus { background: #d4351c; }
nav.crumbs { font-size: 0.95rem; }
.held-over { border-left: 5px solid #f47738; background: #fef4ec; padding: 0.5rem 0.8rem; }
.downloads li { margin: 0.3rem 0; }
footer { margin-top: 3rem; font-size: 0.9rem; color: #434648; }
/* On a phone (or a narrow window) each row of a wide table is a block: its header in bold, then each
   cell with its column's name (data-label) beside its value, or above it for prose. The column
   headers stay in the document for screen readers, out of sight. */
@media screen and (max-width: 48em) {
  table.stack, table.stack > tbody, table.stack > tfoot, table.stack tr, table.stack th, table.stack td { display: block; }
  table.stack caption { display: block; }
  table.stack > thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
  table.stack tr { border-bottom: 1px solid #b1b4b6; padding: 0.5rem 0; }
  table.stack > tbody > tr:first-child { border-top: 2px solid #0b0c0c; }
  table.stack > tfoot > tr { border-top: 2px solid #0b0c0c; border-bottom: 0; }
  table.stack th, table.stack td { border: 0; padding: 0.1rem 0; }
  table.stack td { display: flow-root; width: auto; text-align: right; }
  table.stack td::before { content: attr(data-label); float: left; max-width: 60%; margin-right: 1rem; text-align: left; font-weight: 400; color: #434648; }
  table.stack td.text { text-align: left; }
  table.stack td.text::before { float: none; display: block; max-width: none; }
  table.stack td:empty { display: none; }
}
@media print {
  :root { font-size: 11pt; }
  body { max-width: none; padding: 0; }
  a { color: #0b0c0c; text-decoration: none; }
  nav.crumbs, .no-print { display: none; }
  .table-wrap { overflow: visible; background: none; }
  h2 { break-after: avoid; }
  tr { break-inside: avoid; }
  .swatch, .bar rect { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
}
`;

/** The whole document: one h1 is the caller's job (the body starts with it). */
export function layout(title: string, body: SafeHtml, crumbs: SafeHtml | null = null): string {
  return html`<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" type="image/svg+xml" href="${FAVICON_DATA_URI}">
<style>${new SafeHtml(STYLE)}</style>
</head>
<body>
${crumbs ? html`<nav class="crumbs" aria-label="Breadcrumb">${crumbs}</nav>` : ''}
<main>
${body}
</main>
<footer>
<p>Fees are worked out by the published cost-plus pricing method; every figure on this page can be checked with a calculator. The same data is available from the API (<a href="/docs">API documentation</a>).</p>
</footer>
</body>
</html>
`.value;
}
