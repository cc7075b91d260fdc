import { gbp, html, longDate, percent } from './html.js';
import { layout } from './layout.js';

interface Summary {
  id: string;
  period: { start: string; end: string };
  hash: string;
  keyId: string;
  organisationName: string;
  homeName: string | null;
  reconciliation: {
    income: string;
    actualCost: string;
    realisedSurplus: string;
    realisedRateOnCost: string | null;
    capRate: string;
    allowedSurplus: string;
    excess: string;
    outcome: 'within_cap' | 'excess_rebated' | 'overspent';
    shortfall: string | null;
    costByCategory: Array<{ category: string; amount: string }>;
    rule: string;
  };
}

const OUTCOME: Record<Summary['reconciliation']['outcome'], string> = {
  within_cap: 'The surplus stayed within the cap: nothing to return.',
  excess_rebated:
    'The surplus went over the cap: the excess goes back to the councils that paid, in proportion to what each paid.',
  overspent: 'Costs ran over the income: no surplus, nothing to return.',
};

/** The provider-level summary of a frozen reconciliation, without any council's detail. */
export function renderReconciliation(summary: Summary): string {
  const r = summary.reconciliation;
  const scope = summary.homeName
    ? `${summary.homeName}, ${summary.organisationName}`
    : summary.organisationName;
  const body = html`<h1>Year-end reconciliation: ${scope}</h1>
<p>${longDate(summary.period.start)} to ${longDate(summary.period.end)}. ${OUTCOME[r.outcome]}</p>
<div class="table-wrap"><table>
<caption>What was paid, what was spent, and the surplus against its cap</caption>
<thead><tr><th scope="col">Measure</th><th scope="col" class="num">Amount</th></tr></thead>
<tbody>
<tr><th scope="row">Income from councils</th><td class="num">${gbp(r.income)}</td></tr>
<tr><th scope="row">Actual cost</th><td class="num">${gbp(r.actualCost)}</td></tr>
<tr><th scope="row">Realised surplus</th><td class="num">${gbp(r.realisedSurplus)}</td></tr>
<tr><th scope="row">Realised surplus as a mark-up on cost</th><td class="num">${r.realisedRateOnCost === null ? 'n/a' : percent(r.realisedRateOnCost)}</td></tr>
<tr><th scope="row">Cap on surplus (mark-up on cost)</th><td class="num">${percent(r.capRate)}</td></tr>
<tr><th scope="row">Surplus the cap allows</th><td class="num">${gbp(r.allowedSurplus)}</td></tr>
<tr><th scope="row">Excess returned to councils</th><td class="num">${gbp(r.excess)}</td></tr>
${r.shortfall ? html`<tr><th scope="row">Shortfall (costs over income)</th><td class="num">${gbp(r.shortfall)}</td></tr>` : ''}
</tbody>
</table></div>
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
