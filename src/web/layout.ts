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
.note { display: block; font-weight: 400; font-size: 0.9rem; }
.table-wrap { overflow-x: auto; -webkit-overflow-scrolling: touch; margin: 1rem 0; }
table { border-collapse: collapse; width: 100%; }
caption { text-align: left; font-weight: 700; padding: 0.4rem 0; }
th, td { border-bottom: 1px solid #b1b4b6; padding: 0.4rem 0.5rem; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
tfoot th, tfoot td { font-weight: 700; border-top: 2px solid #0b0c0c; }
code { font-size: 0.9em; overflow-wrap: anywhere; }
.bar { width: 100%; height: auto; max-height: 4rem; display: block; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.4em; vertical-align: -0.1em; border: 1px solid #0b0c0c; }
.staffing { background: #1d70b8; } .property { background: #00703c; } .running { background: #f47738; }
.central { background: #6f72af; } .surplus { background: #d4351c; }
nav.crumbs { font-size: 0.95rem; }
.held-over { border-left: 5px solid #f47738; background: #fef4ec; padding: 0.5rem 0.8rem; }
footer { margin-top: 3rem; font-size: 0.9rem; color: #434648; }
@media print {
  :root { font-size: 11pt; }
  body { max-width: none; padding: 0; }
  a { color: #0b0c0c; text-decoration: none; }
  nav.crumbs, .no-print { display: none; }
  .table-wrap { overflow: visible; }
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
<style>${new SafeHtml(STYLE)}</style>
</head>
<body>
${crumbs ? html`<nav class="crumbs" aria-label="Breadcrumb">${crumbs}</nav>` : ''}
<main>
${body}
</main>
<footer>
<p>Fees are worked out by the published cost-plus pricing method; every figure on this page can be checked with a calculator. The same data is available as JSON from the API (<a href="/docs">API documentation</a>).</p>
</footer>
</body>
</html>
`.value;
}
