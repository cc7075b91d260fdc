import { gbp, html, longDate, percent } from './html.js';
import { layout } from './layout.js';

interface StoredHome {
  homeId: string;
  income: string;
  actualCost: string;
  realisedSurplus: string;
  realisedRateOnCost: string | null;
  excess: string | null;
  outcome: string;
  missingMonths: string[];
}

/** Rule 3 (method §7): one related party and code, paid against its allowance. */
interface StoredRelatedPartyLine {
  partyId: string;
  name?: string;
  code: string;
  paid: string;
  allowance: string;
  excess: string;
}

export interface ReconciliationSummary {
  id: string;
  period: { start: string; end: string };
  hash: string;
  keyId: string;
  ruleVersion: number;
  supersededBy: string | null;
  supersedes: string | null;
  organisationName: string;
  homeName: string | null;
  /** Home id → name, for the homes table. */
  homeNames: ReadonlyMap<string, string>;
  reconciliation: {
    income: string;
    actualCost: string;
    realisedSurplus: string;
    realisedRateOnCost: string | null;
    capRate: string;
    /** Rule 2 only (reconciliations frozen before it have neither). */
    capScope?: 'organisation' | 'home';
    homes?: StoredHome[];
    /** Rule 3 only (method §7, related-party excess). */
    relatedPartyExcess?: string;
    adjustedSurplus?: string;
    adjustedCost?: string;
    relatedParties?: StoredRelatedPartyLine[];
    allowedSurplus: string | null;
    excess: string | null;
    outcome: string;
    shortfall: string | null;
    costByCategory: Array<{ category: string; amount: string }>;
    rule: string;
  };
}

const OUTCOME: Record<string, string> = {
  within_cap: 'The surplus stayed within the cap: nothing to return.',
  excess_rebated:
    'The surplus went over the cap: the excess goes back to the councils that paid, in proportion to what each paid.',
  overspent: 'Costs ran over the income: no surplus, nothing to return.',
  not_assessed:
    'The costs recorded total below zero (credits without the costs they offset): there is no cost base to test the cap on, and nothing is returned.',
};

/** What the cap scope means, in the words every page uses (method §7). */
export const CAP_SCOPE_WORDS: Record<'organisation' | 'home', string> = {
  organisation:
    "The cap is tested on the whole provider: one home's overspend offsets another's surplus, and each home's figures below are for information.",
  home: 'The cap is tested on each home alone: each home returns its own excess to the councils that paid it, and a home that overspent offsets nothing.',
};

const money = (amount: string | null) => (amount === null ? 'n/a' : gbp(amount));
const rate = (value: string | null) => (value === null ? 'n/a' : percent(value));

/** The provider-level summary of a frozen reconciliation, without any council's detail. */
export function renderReconciliation(summary: ReconciliationSummary): string {
  const r = summary.reconciliation;
  const scope = summary.homeName
    ? `${summary.homeName}, ${summary.organisationName}`
    : summary.organisationName;
  const homes = r.homes ?? [];
  const related = r.relatedParties ?? [];
  // rule 3: the adjusted figures are shown only when something was paid to a related party above market
  const adjusted = r.relatedPartyExcess !== undefined && r.relatedPartyExcess !== '0.00';
  const body = html`<h1>Year-end reconciliation: ${scope}</h1>
${
  summary.supersededBy
    ? html`<p role="status"><strong>Superseded.</strong> A later reconciliation of this period replaces this one: <a href="/transparency/reconciliations/${summary.supersededBy}">read the current reconciliation</a>.</p>`
    : ''
}
<p>${longDate(summary.period.start)} to ${longDate(summary.period.end)}. ${OUTCOME[r.outcome] ?? ''}</p>
<p>${
    r.capScope
      ? CAP_SCOPE_WORDS[r.capScope]
      : 'Worked out under settlement rule 1, before the year-end settlement of the method (§7): each reconciliation tested its own scope.'
  } Settlement rule version ${summary.ruleVersion}.${
    summary.supersedes
      ? html` It replaces <a href="/transparency/reconciliations/${summary.supersedes}">an earlier reconciliation of this period</a>.`
      : ''
  }</p>
<div class="table-wrap"><table>
<caption>What was paid, what was spent, and the surplus against its cap</caption>
<thead><tr><th scope="col">Measure</th><th scope="col" class="num">Amount</th></tr></thead>
<tbody>
<tr><th scope="row">Income from councils</th><td class="num">${gbp(r.income)}</td></tr>
<tr><th scope="row">Actual cost</th><td class="num">${gbp(r.actualCost)}</td></tr>
<tr><th scope="row">Realised surplus</th><td class="num">${gbp(r.realisedSurplus)}</td></tr>
<tr><th scope="row">Realised surplus as a mark-up on cost</th><td class="num">${rate(r.realisedRateOnCost)}</td></tr>
${
  adjusted
    ? html`<tr><th scope="row">Paid to related parties above market (counted as surplus)</th><td class="num">${gbp(r.relatedPartyExcess!)}</td></tr>
<tr><th scope="row">Adjusted cost (actual cost less that excess)</th><td class="num">${gbp(r.adjustedCost ?? r.actualCost)}</td></tr>
<tr><th scope="row">Adjusted surplus (the surplus the cap is tested on)</th><td class="num">${gbp(r.adjustedSurplus ?? r.realisedSurplus)}</td></tr>
`
    : ''
}<tr><th scope="row">Cap on surplus (mark-up on cost)</th><td class="num">${percent(r.capRate)}</td></tr>
<tr><th scope="row">Surplus the cap allows</th><td class="num">${money(r.allowedSurplus)}</td></tr>
<tr><th scope="row">Excess returned to councils</th><td class="num">${money(r.excess)}</td></tr>
${r.shortfall && r.shortfall !== '0.00' ? html`<tr><th scope="row">Shortfall (costs over income)</th><td class="num">${gbp(r.shortfall)}</td></tr>` : ''}
</tbody>
</table></div>
${
  homes.length > 0
    ? html`<div class="table-wrap"><table>
<caption>Each home${r.capScope === 'organisation' ? ' (for information: the cap is tested on the whole provider)' : ''}</caption>
<thead><tr><th scope="col">Home</th><th scope="col" class="num">Income</th><th scope="col" class="num">Actual cost</th><th scope="col" class="num">Surplus</th><th scope="col" class="num">Mark-up on cost</th>${r.capScope === 'home' ? html`<th scope="col" class="num">Excess</th>` : ''}</tr></thead>
<tbody>
${homes.map(
  (home) =>
    html`<tr><th scope="row">${summary.homeNames.get(home.homeId) ?? home.homeId}</th><td class="num">${gbp(home.income)}</td><td class="num">${gbp(home.actualCost)}</td><td class="num">${gbp(home.realisedSurplus)}</td><td class="num">${rate(home.realisedRateOnCost)}</td>${r.capScope === 'home' ? html`<td class="num">${money(home.excess)}</td>` : ''}</tr>\n`,
)}
</tbody>
</table></div>`
    : ''
}
${
  related.length > 0
    ? html`<div class="table-wrap"><table>
<caption>Payments to related parties against their market amounts (method §7)</caption>
<thead><tr><th scope="col">Related party</th><th scope="col">Cost code</th><th scope="col" class="num">Paid</th><th scope="col" class="num">Allowed at market</th><th scope="col" class="num">Above market</th></tr></thead>
<tbody>
${related.map(
  (line) =>
    html`<tr><th scope="row">${line.name ?? line.partyId}</th><td>${line.code}</td><td class="num">${gbp(line.paid)}</td><td class="num">${gbp(line.allowance)}</td><td class="num">${gbp(line.excess)}</td></tr>\n`,
)}
</tbody>
</table></div>`
    : ''
}
<div class="table-wrap"><table>
<caption>Actual cost by category</caption>
<thead><tr><th scope="col">Category</th><th scope="col" class="num">Amount</th></tr></thead>
<tbody>
${r.costByCategory.map((line) => html`<tr><th scope="row">${line.category}</th><td class="num">${gbp(line.amount)}</td></tr>\n`)}
</tbody>
</table></div>
<p>${r.rule}</p>
<h2>How to check this</h2>
<p>This reconciliation is frozen: SHA-256 <code>${summary.hash}</code>, signed with key <code>${summary.keyId}</code> (published at <a href="/.well-known/fee-schedule-keys.json">/.well-known/fee-schedule-keys.json</a>). Each council can ask for its own statement; no council's detail is shown here.</p>`;
  return layout(`Year-end reconciliation: ${scope}`, body);
}
