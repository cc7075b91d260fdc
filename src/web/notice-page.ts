import type { UpliftNoticeDocument, UpliftResult } from '../domain/uplifts/index.js';
import { INDEX_NAMES } from '../domain/uplifts/index.js';
import { gbp, html, longDate, percent, type SafeHtml, signedGbp } from './html.js';
import { layout } from './layout.js';

function upliftSection(uplift: UpliftResult): SafeHtml {
  const termRows = (terms: UpliftResult['terms'], label: string) =>
    terms.map(
      (
        term,
      ) => html`<tr><td>${label}</td><td>${INDEX_NAMES[term.index]}</td><td class="num">${percent(term.weight)}</td>
<td class="num">${term.change === null ? '—' : percent(term.change)}</td><td class="num">${term.contribution === null ? '—' : percent(term.contribution)}</td>
<td>${term.figures.map((figure) => html`${figure.series} ${figure.value} (${figure.role.replace('_', ' ')}, ${longDate(figure.date)}, <a href="${figure.sourceUrl}">${figure.source}</a>) `)}</td></tr>`,
    );
  const bounds = [
    uplift.lowestOf !== null && uplift.lowestOf >= 0
      ? `the lower-of rule ${uplift.lowestOf + 1} applied`
      : '',
    uplift.floorApplied ? 'the floor applied' : '',
    uplift.capApplied ? 'the cap applied' : '',
  ].filter((text) => text !== '');
  return html`<h3>Uplift as at ${longDate(uplift.on)}: ${uplift.rate === null ? 'not worked out' : percent(uplift.rate)}</h3>
<table><thead><tr><th>Rule</th><th>Index</th><th class="num">Weight</th><th class="num">Change</th><th class="num">Contribution</th><th>Figures used</th></tr></thead>
<tbody>${termRows(uplift.terms, 'weighted sum')}${uplift.alternatives.map((alternative, index) => termRows(alternative.terms, `lower of (${index + 1})`))}</tbody></table>
${bounds.length > 0 ? html`<p>${bounds.join('; ')}.</p>` : ''}
${uplift.missing.length > 0 ? html`<p><strong>Missing:</strong> ${uplift.missing.join('; ')}.</p>` : ''}
${uplift.review?.triggered ? html`<p><strong>Review:</strong> ${uplift.review.index} at ${percent(uplift.review.change)} is above ${percent(uplift.review.above)}: the framework provides for a review.</p>` : ''}`;
}

/** A signed uplift notice as a printable page (A4 through the layout's print styles). */
export function renderNotice(
  notice: UpliftNoticeDocument,
  proof: { hash: string; signature: string; keyId: string; acknowledged: { by: string; at: string } | null },
): string {
  const { comparison, framework } = notice;
  const body = html`<h1>Notice of a new weekly fee: ${notice.home.name}</h1>
<p>To <strong>${notice.council.name}</strong> (${notice.council.onsCode}) from <strong>${notice.organisation.name}</strong>, issued ${longDate(notice.issuedOn)}.
The new fee applies to your placements from <strong>${longDate(notice.appliesFrom)}</strong>${notice.noticeDays === null ? '' : html` (${notice.noticeDays} days’ notice under ${framework?.name ?? 'your framework'})`}.</p>
<table><caption>Framework against cost-plus, per child per week</caption><tbody>
<tr><th scope="row">Fee until now (version ${notice.previousSchedule.version}, from ${longDate(notice.previousSchedule.effectiveFrom)})</th><td class="num">${gbp(comparison.oldFee)}</td></tr>
<tr><th scope="row">What the framework would allow${framework === null ? ' (no uplift formula recorded for this council)' : html` (${framework.name}${framework.percentage === null ? '' : html`, ${framework.percentage}%`})`}</th><td class="num">${comparison.frameworkFee === null ? '—' : gbp(comparison.frameworkFee)}</td></tr>
<tr><th scope="row">New cost-plus fee (version ${notice.newSchedule.version}, from ${longDate(notice.newSchedule.effectiveFrom)}; ${comparison.costPlusPercentage ?? '—'}%)</th><td class="num">${gbp(comparison.newFee)}</td></tr>
<tr><th scope="row">New fee less framework fee</th><td class="num">${comparison.newFeeLessFrameworkFee === null ? '—' : signedGbp(comparison.newFeeLessFrameworkFee)}</td></tr>
</tbody></table>
<h2>Why the cost-plus fee moved</h2>
<table><thead><tr><th>What moved</th><th>In words</th><th class="num">Effect per week</th></tr></thead><tbody>
${notice.causes.map((cause) => html`<tr><td>${cause.section}</td><td>${cause.description}</td><td class="num">${signedGbp(cause.effectOnWeeklyFee)}</td></tr>`)}
<tr><th scope="row" colspan="2">Total change</th><td class="num">${signedGbp(comparison.costPlusChange)}</td></tr></tbody></table>
${framework === null ? '' : html`<h2>The framework uplift worked out (formula version ${framework.formulaVersion})</h2>${framework.uplifts.length === 0 ? html`<p>No anniversary of the framework (${framework.formula.anniversary}) falls between the two fees: the framework allows the fee until now.</p>` : framework.uplifts.map(upliftSection)}`}
<h2>Your placements at this home</h2>
<ul>${notice.placements.map((placement) => html`<li>${placement.reference}</li>`)}</ul>
<h2>Rule and signature</h2>
<p>${notice.rule}</p>
<p>Notice ${notice.id}. SHA-256 of its canonical JSON: <code>${proof.hash}</code>; Ed25519 signature by key <code>${proof.keyId}</code>: <code style="word-break:break-all">${proof.signature}</code>.</p>
<p>${proof.acknowledged === null ? 'Not yet acknowledged by the council.' : `Acknowledged by ${proof.acknowledged.by} at ${proof.acknowledged.at}.`}</p>`;
  return layout(`Uplift notice: ${notice.home.name}, ${notice.council.name}`, body);
}
