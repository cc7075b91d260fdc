import type { UpliftNoticeDocument, UpliftResult } from '../domain/uplifts/index.js';
import { INDEX_NAMES } from '../domain/uplifts/index.js';
import { gbp, html, longDate, percent, type SafeHtml, signedGbp } from './html.js';
import { layout } from './layout.js';
import { download, downloads } from './pages.js';
import { type Column, cell, dataTable } from './table.js';

const FEE_COLUMNS = {
  fee: { label: 'Fee' },
  amount: { label: 'Per child per week', kind: 'num' },
} as const satisfies Record<string, Column>;

const CAUSE_COLUMNS = {
  section: { label: 'What moved' },
  words: { label: 'In words', kind: 'text' },
  effect: { label: 'Effect per week', kind: 'num' },
} as const satisfies Record<string, Column>;

const TERM_COLUMNS = {
  index: { label: 'Index' },
  rule: { label: 'Rule' },
  weight: { label: 'Weight', kind: 'num' },
  change: { label: 'Change', kind: 'num' },
  contribution: { label: 'Contribution', kind: 'num' },
  figures: { label: 'Figures used', kind: 'text' },
} as const satisfies Record<string, Column>;

const sentence = (text: string) => `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
const orDash = (value: string | null, show: (value: string) => string) =>
  value === null ? '—' : show(value);

function termRows(terms: UpliftResult['terms'], rule: string): SafeHtml[] {
  const c = TERM_COLUMNS;
  return terms.map(
    (term) =>
      html`<tr><th scope="row">${INDEX_NAMES[term.index]}</th>${cell(c.rule, rule)}${cell(c.weight, percent(term.weight))}${cell(c.change, orDash(term.change, percent))}${cell(c.contribution, orDash(term.contribution, percent))}${cell(
        c.figures,
        html`${term.figures.map(
          (figure) =>
            html`${figure.series} ${figure.value} (${figure.role.replace('_', ' ')}, ${longDate(figure.date)}, <a href="${figure.sourceUrl}">${figure.source}</a>). `,
        )}`,
      )}</tr>\n`,
  );
}

function upliftSection(uplift: UpliftResult): SafeHtml {
  const bounds = [
    uplift.lowestOf !== null && uplift.lowestOf >= 0
      ? `the lower-of rule ${uplift.lowestOf + 1} applied`
      : '',
    uplift.floorApplied ? 'the floor applied' : '',
    uplift.capApplied ? 'the cap applied' : '',
  ].filter((text) => text !== '');
  const rows = [
    ...termRows(uplift.terms, 'weighted sum'),
    ...uplift.alternatives.flatMap((alternative, index) =>
      termRows(alternative.terms, `lower of (${index + 1})`),
    ),
  ];
  return html`<h3>Uplift as at ${longDate(uplift.on)}: ${orDash(uplift.rate, percent)}</h3>
${dataTable({ caption: `The framework's terms as at ${longDate(uplift.on)}`, columns: Object.values(TERM_COLUMNS), rows })}
${bounds.length > 0 ? html`<p>${sentence(bounds.join('; '))}</p>` : ''}
${uplift.missing.length > 0 ? html`<p><strong>Missing:</strong> ${uplift.missing.join('; ')}.</p>` : ''}
${uplift.review?.triggered ? html`<p><strong>Review:</strong> ${uplift.review.index} at ${percent(uplift.review.change)} is above ${percent(uplift.review.above)}: the framework provides for a review.</p>` : ''}`;
}

function comparisonTable(notice: UpliftNoticeDocument): SafeHtml {
  const { comparison, framework } = notice;
  const c = FEE_COLUMNS;
  const row = (label: SafeHtml | string, amount: string) =>
    html`<tr><th scope="row">${label}</th>${cell(c.amount, amount)}</tr>\n`;
  const frameworkLabel =
    framework === null
      ? 'What a framework would allow (no uplift formula recorded for this council)'
      : `What ${framework.name} would allow${framework.percentage === null ? '' : ` (${framework.percentage}%)`}`;
  return dataTable({
    caption: 'Framework against cost-plus, per child per week',
    columns: Object.values(c),
    layout: 'fit',
    rows: [
      row(
        `Fee until now (version ${notice.previousSchedule.version}, from ${longDate(notice.previousSchedule.effectiveFrom)})`,
        gbp(comparison.oldFee),
      ),
      row(frameworkLabel, orDash(comparison.frameworkFee, gbp)),
      row(
        `New cost-plus fee (version ${notice.newSchedule.version}, from ${longDate(notice.newSchedule.effectiveFrom)}${comparison.costPlusPercentage === null ? '' : `; ${comparison.costPlusPercentage}%`})`,
        gbp(comparison.newFee),
      ),
      row('New fee less framework fee', orDash(comparison.newFeeLessFrameworkFee, signedGbp)),
    ],
  });
}

function causesTable(notice: UpliftNoticeDocument): SafeHtml {
  const c = CAUSE_COLUMNS;
  return dataTable({
    caption: 'Why the cost-plus fee moved: each input that moved, and its effect',
    columns: Object.values(c),
    rows: notice.causes.map(
      (cause) =>
        html`<tr><th scope="row">${cause.section}</th>${cell(c.words, cause.description)}${cell(c.effect, signedGbp(cause.effectOnWeeklyFee))}</tr>\n`,
    ),
    foot: html`<tr><th scope="row">Total change</th>${cell(c.words, '')}${cell(c.effect, signedGbp(notice.comparison.costPlusChange))}</tr>`,
  });
}

/** A signed uplift notice as a page to read or print (the layout's print styles give A4). */
export function renderNotice(
  notice: UpliftNoticeDocument,
  proof: { hash: string; signature: string; keyId: string; acknowledged: { by: string; at: string } | null },
): string {
  const { framework } = notice;
  const url = `/v1/uplift-notices/${encodeURIComponent(notice.id)}`;
  const body = html`<h1>Notice of a new weekly fee: ${notice.home.name}</h1>
<p>To <strong>${notice.council.name}</strong> (${notice.council.onsCode}) from <strong>${notice.organisation.name}</strong>, issued ${longDate(notice.issuedOn)}.
The new fee applies to your placements from <strong>${longDate(notice.appliesFrom)}</strong>${notice.noticeDays === null ? '' : html` (${notice.noticeDays} days’ notice under ${framework?.name ?? 'your framework'})`}.</p>
${comparisonTable(notice)}
<h2>Why the cost-plus fee moved</h2>
${causesTable(notice)}
${
  framework === null
    ? ''
    : html`<h2>The framework uplift worked out (formula version ${framework.formulaVersion})</h2>${
        framework.uplifts.length === 0
          ? html`<p>No anniversary of the framework (${framework.formula.anniversary}) falls between the two fees: the framework allows the fee until now.</p>`
          : framework.uplifts.map(upliftSection)
      }`
}
<h2>Your placements at this home</h2>
<ul>${notice.placements.map((placement) => html`<li>${placement.reference}</li>`)}</ul>
<h2>Rule and signature</h2>
<p>${notice.rule}</p>
<p>Notice ${notice.id}. SHA-256 of its canonical JSON: <code>${proof.hash}</code>; Ed25519 signature by key <code>${proof.keyId}</code>: <code class="signature">${proof.signature}</code>.</p>
<p>${proof.acknowledged === null ? 'Not yet acknowledged by the council.' : `Acknowledged by ${proof.acknowledged.by} at ${proof.acknowledged.at}.`}</p>
${downloads([
  html`${download(`${url}?format=json`, 'json', 'The signed notice as JSON')}: the notice, its hash, signature and key.`,
  html`${download(`${url}?format=csv`, 'csv', 'The notice as CSV')}: every figure, one row each.`,
])}`;
  return layout(`Uplift notice: ${notice.home.name}, ${notice.council.name}`, body);
}
