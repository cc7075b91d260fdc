import { gbp, html, longDate, percent, type SafeHtml } from './html.js';
import { layout } from './layout.js';
import { type Column, cell, code, dataTable } from './table.js';

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

const AMOUNT_COLUMNS = {
  measure: { label: 'Measure' },
  amount: { label: 'Amount', kind: 'num' },
} as const satisfies Record<string, Column>;

/** A row of a two-column table (the summary, the cost by category): its header and its one figure. */
const amountRow = (measure: string, amount: string) =>
  html`<tr><th scope="row">${measure}</th>${cell(AMOUNT_COLUMNS.amount, amount)}</tr>\n`;

function summaryTable(r: ReconciliationSummary['reconciliation']): SafeHtml {
  // rule 3: the adjusted figures are shown only when something was paid to a related party above market
  const adjusted = r.relatedPartyExcess !== undefined && r.relatedPartyExcess !== '0.00';
  return dataTable({
    caption: 'What was paid, what was spent, and the surplus against its cap',
    columns: Object.values(AMOUNT_COLUMNS),
    layout: 'fit',
    rows: [
      amountRow('Income from councils', gbp(r.income)),
      amountRow('Actual cost', gbp(r.actualCost)),
      amountRow('Realised surplus', gbp(r.realisedSurplus)),
      amountRow('Realised surplus as a mark-up on cost', rate(r.realisedRateOnCost)),
      ...(adjusted
        ? [
            amountRow(
              'Paid to related parties above market (counted as surplus)',
              gbp(r.relatedPartyExcess ?? '0'),
            ),
            amountRow('Adjusted cost (actual cost less that excess)', gbp(r.adjustedCost ?? r.actualCost)),
            amountRow(
              'Adjusted surplus (the surplus the cap is tested on)',
              gbp(r.adjustedSurplus ?? r.realisedSurplus),
            ),
          ]
        : []),
      amountRow('Cap on surplus (mark-up on cost)', percent(r.capRate)),
      amountRow('Surplus the cap allows', money(r.allowedSurplus)),
      amountRow('Excess returned to councils', money(r.excess)),
      ...(r.shortfall && r.shortfall !== '0.00'
        ? [amountRow('Shortfall (costs over income)', gbp(r.shortfall))]
        : []),
    ],
  });
}

const HOME_COLUMNS = {
  home: { label: 'Home' },
  income: { label: 'Income', kind: 'num' },
  cost: { label: 'Actual cost', kind: 'num' },
  surplus: { label: 'Surplus', kind: 'num' },
  markUp: { label: 'Mark-up on cost', kind: 'num' },
  excess: { label: 'Excess', kind: 'num' },
} as const satisfies Record<string, Column>;

function homesTable(summary: ReconciliationSummary): SafeHtml | '' {
  const r = summary.reconciliation;
  const homes = r.homes ?? [];
  if (homes.length === 0) return '';
  const c = HOME_COLUMNS;
  // the excess of each home only where each home's own cap test returns it
  const perHome = r.capScope === 'home';
  return dataTable({
    caption: `Each home${r.capScope === 'organisation' ? ' (for information: the cap is tested on the whole provider)' : ''}`,
    columns: Object.values(c).filter((column) => perHome || column !== c.excess),
    rows: homes.map(
      (home) =>
        html`<tr><th scope="row">${summary.homeNames.get(home.homeId) ?? home.homeId}</th>${cell(c.income, gbp(home.income))}${cell(c.cost, gbp(home.actualCost))}${cell(c.surplus, gbp(home.realisedSurplus))}${cell(c.markUp, rate(home.realisedRateOnCost))}${perHome ? cell(c.excess, money(home.excess)) : ''}</tr>\n`,
    ),
  });
}

const RELATED_COLUMNS = {
  party: { label: 'Related party' },
  code: { label: 'Cost code', kind: 'code' },
  paid: { label: 'Paid', kind: 'num' },
  allowance: { label: 'Allowed at market', kind: 'num' },
  excess: { label: 'Above market', kind: 'num' },
} as const satisfies Record<string, Column>;

function relatedTable(r: ReconciliationSummary['reconciliation']): SafeHtml | '' {
  const related = r.relatedParties ?? [];
  if (related.length === 0) return '';
  const c = RELATED_COLUMNS;
  return dataTable({
    caption: 'Payments to related parties against their market amounts (method §7)',
    columns: Object.values(c),
    rows: related.map(
      (line) =>
        html`<tr><th scope="row">${line.name ?? line.partyId}</th>${cell(c.code, code(line.code))}${cell(c.paid, gbp(line.paid))}${cell(c.allowance, gbp(line.allowance))}${cell(c.excess, gbp(line.excess))}</tr>\n`,
    ),
  });
}

const CATEGORY_COLUMNS = {
  category: { label: 'Category' },
  amount: { label: 'Amount', kind: 'num' },
} as const satisfies Record<string, Column>;

/** Where the data is: the API needs a key for it, so it is named, not linked (a browser sends no key). */
function theData(summary: ReconciliationSummary): SafeHtml {
  const id = encodeURIComponent(summary.id);
  return html`<h2 id="downloads">The data behind this page</h2>
<p>The full reconciliation is served by the API as JSON at <code>/v1/reconciliations/${id}</code>, and each council's own statement as JSON, CSV or XLSX at <code>/v1/reconciliations/${id}/statements/{council code}</code>. <strong>Both need an API key</strong> (the provider's finance team, a commissioner for its own councils only, or a regulator), sent as <code>Authorization: Bearer</code> by a program such as curl, so they are not links here; this page is the part that is public.</p>`;
}

/** The provider-level summary of a frozen reconciliation, without any council's detail. */
export function renderReconciliation(summary: ReconciliationSummary): string {
  const r = summary.reconciliation;
  const scope = summary.homeName
    ? `${summary.homeName}, ${summary.organisationName}`
    : summary.organisationName;
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
${summaryTable(r)}
${homesTable(summary)}
${relatedTable(r)}
${dataTable({
  caption: 'Actual cost by category',
  columns: Object.values(CATEGORY_COLUMNS),
  layout: 'fit',
  rows: r.costByCategory.map((line) => amountRow(line.category, gbp(line.amount))),
})}
<p>${r.rule}</p>
<h2>How to check this</h2>
<p>This reconciliation is frozen: SHA-256 <code>${summary.hash}</code>, signed with key <code>${summary.keyId}</code> (published at <a href="/.well-known/fee-schedule-keys.json" type="application/json">/.well-known/fee-schedule-keys.json</a>). Each council can ask for its own statement; no council's detail is shown here.</p>
${theData(summary)}`;
  return layout(`Year-end reconciliation: ${scope}`, body);
}
