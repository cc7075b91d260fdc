import { Dec } from '../domain/money.js';
import {
  type Breakdown,
  type BreakdownLine,
  RELATIONSHIP_WORDS,
  type RelatedPartyChangeKind,
  type RelatedPartyChanges,
} from '../domain/pricing/index.js';
import { gbp, html, longDate, per100, percent, type SafeHtml, signedGbp } from './html.js';
import { layout } from './layout.js';
import { CAP_SCOPE_WORDS } from './reconciliation-page.js';
import type { ChangesPage, HomePage, IndexOrganisation } from './service.js';

/** The average operating margin the CMA found among the largest private providers (context only). */
export const CMA_AVERAGE_MARGIN = '0.226';
export const CMA_SOURCE =
  "Competition and Markets Authority, Children's social care market study final report, March 2022";
const CMA_URL = 'https://www.gov.uk/cma-cases/childrens-social-care-market-study';

const CATEGORIES = ['staffing', 'property', 'running', 'central', 'surplus'] as const;
type Category = (typeof CATEGORIES)[number];
const CATEGORY_NAMES: Record<Category, string> = {
  staffing: 'Staffing',
  property: 'Property',
  running: 'Running costs',
  central: 'Central overheads',
  surplus: 'Surplus',
};
// Colours chosen for contrast against white and against each other.
const CATEGORY_COLOURS: Record<Category, string> = {
  staffing: '#1d70b8',
  property: '#00703c',
  running: '#f47738',
  central: '#6f72af',
  surplus: '#d4351c',
};

const homeUrl = (id: string) => `/transparency/homes/${encodeURIComponent(id)}`;
const scheduleJsonUrl = (id: string) => `/v1/fee-schedules/${encodeURIComponent(id)}`;
const changesUrl = (id: string) => `/transparency/fee-schedules/${encodeURIComponent(id)}/changes`;

const tableWrap = (table: SafeHtml) => html`<div class="table-wrap">${table}</div>`;

export function renderIndex(organisations: IndexOrganisation[], today: string): string {
  const sections = organisations.map(
    (organisation) => html`
<h2>${organisation.name}</h2>
<p>Surplus cap set by the organisation: ${percent(organisation.surplusCapRate)} of cost. ${CAP_SCOPE_WORDS[organisation.capScope]}</p>
${
  organisation.homes.length === 0
    ? html`<p>No homes registered.</p>`
    : tableWrap(html`<table>
<caption>Homes run by ${organisation.name}: weekly fee per child in force on ${longDate(today)}</caption>
<thead><tr><th scope="col">Home</th><th scope="col" class="num">Weekly fee per child</th><th scope="col" class="num">Surplus rate</th><th scope="col">In force from</th></tr></thead>
<tbody>
${organisation.homes.map((home) => {
  const name = html`<a href="${homeUrl(home.id)}">${home.name}</a>${home.closedOn ? html` <span class="muted">(closed ${longDate(home.closedOn)})</span>` : ''}`;
  if (!home.schedule) {
    return html`<tr><th scope="row">${name}</th><td class="num" colspan="2">no published fee yet</td><td></td></tr>\n`;
  }
  const { schedule } = home;
  return html`<tr><th scope="row">${name}</th><td class="num">${gbp(schedule.weeklyFeePerChild)}${home.inForce ? '' : html` <span class="muted">(scheduled, not yet in force)</span>`}</td><td class="num">${percent(schedule.surplusRate)}</td><td>${longDate(schedule.effectiveFrom)}</td></tr>\n`;
})}
</tbody>
</table>`)
}`,
  );
  const body = html`<h1>Children's home fees: where the money goes</h1>
<p>Each home's weekly fee per child is its planned cost plus a capped surplus, worked out by a published method. Choose a home to see every line of its fee.</p>
${organisations.length === 0 ? html`<p>No provider organisations have published here yet.</p>` : sections}`;
  return layout("Children's home fees: where the money goes", body);
}

interface CategoryTotal {
  category: Category;
  weekly: string;
  share: string;
}

/** Lines added up by category, in decimal (the lines already add up to the fee). */
export function categoryTotals(breakdown: Breakdown): CategoryTotal[] {
  return CATEGORIES.flatMap((category) => {
    const lines = breakdown.lines.filter((line) => line.category === category);
    if (lines.length === 0) return [];
    const weekly = lines.reduce((sum, line) => sum.plus(line.weeklyPerChild), new Dec(0)).toFixed(2);
    const share = lines.reduce((sum, line) => sum.plus(line.shareOfFee), new Dec(0)).toFixed(4);
    return [{ category, weekly, share }];
  });
}

function stackedBar(totals: CategoryTotal[]): SafeHtml {
  // Presentation only: widths in a 1000-wide view box from the share strings.
  let x = 0;
  const rects = totals.map((total) => {
    const width = Number(total.share) * 1000;
    const rect = html`<rect x="${x.toFixed(2)}" y="0" width="${width.toFixed(2)}" height="60" fill="${CATEGORY_COLOURS[total.category]}"><title>${CATEGORY_NAMES[total.category]}: ${per100(total.share)} of every £100 (${gbp(total.weekly)} a week)</title></rect>`;
    x += width;
    return rect;
  });
  return html`<svg class="bar" viewBox="0 0 1000 60" preserveAspectRatio="none" role="img" aria-labelledby="bar-title" xmlns="http://www.w3.org/2000/svg"><title id="bar-title">Where each £100 of the fee goes, by category; the same figures are in the table below</title>${rects}</svg>`;
}

export function renderHome(page: HomePage): string {
  const { home, organisation, schedule } = page;
  const title = `${home.name}: weekly fee per child`;
  const crumbs = html`<a href="/transparency">All homes</a> › ${home.name}`;
  const onToday = page.on === page.today;
  if (!schedule) {
    const body = html`<h1>${home.name}</h1>
<p>Run by ${organisation.name}.</p>
<p class="fee">No fee in force</p>
<p>No fee schedule was in force on ${longDate(page.on)}${page.history.length === 0 ? html`: no published fee yet` : ''}.</p>
${history(page)}`;
    return layout(title, body, crumbs);
  }
  const { breakdown } = schedule;
  const totals = categoryTotals(breakdown);
  const body = html`<h1>${home.name}</h1>
<p>Run by ${organisation.name}. Fee schedule for ${schedule.period.label}, version ${schedule.version}, in force from ${longDate(schedule.effectiveFrom)}${onToday ? '' : html` (the schedule in force on ${longDate(page.on)})`}.</p>
<p class="muted">Weekly fee per child</p>
<p class="fee">${gbp(schedule.weeklyFeePerChild)}</p>
${page.heldOver ? heldOverNotice(page, schedule) : ''}
<p>Planned occupancy: ${percent(breakdown.plannedOccupancy)} of ${breakdown.registeredPlaces} registered places, that is ${breakdown.plannedOccupiedPlaces} places filled on average. The fee is the home's planned cost for ${breakdown.daysInPeriod} days (${breakdown.weeksInPeriod} weeks) divided by the planned occupied places, plus the surplus.</p>

<h2>Where each £100 goes</h2>
${stackedBar(totals)}
${tableWrap(html`<table>
<caption>The weekly fee by category</caption>
<thead><tr><th scope="col">Category</th><th scope="col" class="num">£ per week</th><th scope="col" class="num">£ per £100 of fee</th></tr></thead>
<tbody>
${totals.map(
  (total) =>
    html`<tr data-category="${total.category}"><th scope="row"><span class="swatch ${total.category}"></span>${CATEGORY_NAMES[total.category]}</th><td class="num">${gbp(total.weekly)}</td><td class="num">${per100(total.share)}</td></tr>\n`,
)}
</tbody>
<tfoot><tr><th scope="row">Weekly fee per child</th><td class="num">${gbp(breakdown.totals.weeklyPerChild)}</td><td class="num">${per100(breakdown.totals.shareOfFee)}</td></tr></tfoot>
</table>`)}

<h2>Every line of the fee</h2>
${tableWrap(html`<table>
<caption>Every line of the fee, ${breakdown.period.label}</caption>
<thead><tr><th scope="col">Line</th><th scope="col">Code</th><th scope="col" class="num">£ a year</th><th scope="col" class="num">£ a week per child</th><th scope="col" class="num">Share of fee</th><th scope="col">How it is worked out</th></tr></thead>
<tbody>
${breakdown.lines.map(
  (line) =>
    html`<tr><th scope="row">${line.description}${relatedLineNote(breakdown, line)}</th><td><code>${line.code}</code></td><td class="num">${gbp(line.annualAmount)}</td><td class="num">${gbp(line.weeklyPerChild)}</td><td class="num">${percent(line.shareOfFee)}</td><td>${line.basis}</td></tr>\n`,
)}
</tbody>
<tfoot><tr><th scope="row">Total</th><td></td><td class="num">${gbp(breakdown.totals.annualAmount)}</td><td class="num">${gbp(breakdown.totals.weeklyPerChild)}</td><td class="num">${percent(breakdown.totals.shareOfFee)}</td><td>The annual total is the income at planned occupancy.</td></tr></tfoot>
</table>`)}

${relatedPartiesSection(page, breakdown)}<h2>Surplus</h2>
${tableWrap(html`<table>
<caption>The surplus in context</caption>
<thead><tr><th scope="col">Measure</th><th scope="col" class="num">Rate</th></tr></thead>
<tbody>
<tr><th scope="row">This home's surplus, as a mark-up on cost</th><td class="num">${percent(schedule.surplusRate)}</td></tr>
<tr><th scope="row">The same surplus as a share of the fee (a margin)</th><td class="num">${percent(breakdown.surplusShareOfFee)}</td></tr>
${adjustedRateRow(breakdown)}<tr><th scope="row">${organisation.name}'s cap on surplus</th><td class="num">${percent(organisation.surplusCapRate)}</td></tr>
<tr><th scope="row">Where the cap is tested at the year's end</th><td class="num">${organisation.cap_scope === 'home' ? 'each home' : 'the whole provider'}</td></tr>
<tr><th scope="row">Average operating margin of the largest private providers (CMA)</th><td class="num">${percent(CMA_AVERAGE_MARGIN)}</td></tr>
</tbody>
</table>`)}
<p>At the year's end the surplus actually made is checked against the cap on audited actual costs, and any excess goes back to the councils that paid. ${CAP_SCOPE_WORDS[organisation.cap_scope]}</p>
<p>For context: the Competition and Markets Authority found an average operating margin of 22.6% among the largest private providers of children's homes. Source: <a href="${CMA_URL}">${CMA_SOURCE}</a>. A margin is surplus as a share of income; compare it with this home's surplus as a share of the fee.</p>

${history(page)}

<h2>Downloads</h2>
<ul>
<li><a href="${scheduleJsonUrl(schedule.id)}">This fee schedule as JSON</a>: the frozen cost model and its breakdown.</li>
<li>The same lines as CSV: request <code>${scheduleJsonUrl(schedule.id)}</code> with the header <code>Accept: text/csv</code>.</li>
</ul>

<h2>How to check this</h2>
${
  page.proof
    ? html`<p>SHA-256 hash of this schedule: <code>${page.proof.hash}</code> (signed with key <code>${page.proof.keyId}</code>).</p>`
    : html`<p>The tamper-evidence proof (SHA-256 hash and signature) of this schedule is pending.</p>`
}
<p>Download the JSON, recompute the fee with the published pricing method and compare; check the hash and the signature as described in <code>docs/verifying.md</code> in the service's source repository. Published schedules are never changed: a new fee is a new version.</p>`;
  return layout(title, body, crumbs);
}

const COMPANIES_HOUSE_URL = 'https://find-and-update.company-information.service.gov.uk/company/';
const RELATED_PARTIES_ID = 'related-parties';

/** "parent of the provider" → "Parent of the provider". */
function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** "A", "A and B", "A, B and C". */
function listWords(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** The related parties a line of the breakdown is paid to (method v2 §6), by id. */
function lineParties(line: BreakdownLine): string[] {
  return line.relatedPartyIds ?? (line.relatedPartyId === undefined ? [] : [line.relatedPartyId]);
}

/**
 * Method v2 §6: beneath a line paid to a related party, the party named in words (not marked by
 * colour), linking to the section that sets the payment against its market amount.
 */
function relatedLineNote(breakdown: Breakdown, line: BreakdownLine): SafeHtml | '' {
  const ids = lineParties(line);
  if (ids.length === 0 || breakdown.relatedParties === undefined) return '';
  const names = ids.map((id) => breakdown.relatedParties?.find((party) => party.id === id)?.name ?? id);
  const plural = names.length > 1 ? 'related parties' : 'a related party';
  const words =
    line.category === 'central'
      ? `Includes payments to ${plural}: ${listWords(names)}`
      : `Paid to ${plural}: ${listWords(names)}`;
  return html`<span class="muted note" data-related-party="${ids.join(';')}">${words} (<a href="#${RELATED_PARTIES_ID}">see payments to related parties</a>)</span>`;
}

/** Method v2 §6: the surplus table's row for the adjusted rate, when the schedule has one. */
function adjustedRateRow(breakdown: Breakdown): SafeHtml | '' {
  if (breakdown.relatedParties === undefined || breakdown.adjustedSurplusRate === undefined) return '';
  return html`<tr><th scope="row">The surplus counting what is paid to related parties above market as surplus (the adjusted rate)</th><td class="num">${percent(breakdown.adjustedSurplusRate)}</td></tr>\n`;
}

/**
 * Method v2 §6: what the schedule pays related parties, each payment against its market amount and
 * evidence, and the surplus rate counting the excess as surplus. Nothing for a version 1 schedule
 * (no `relatedParties`); a plain statement when the provider declares none.
 */
function relatedPartiesSection(page: HomePage, breakdown: Breakdown): SafeHtml | '' {
  const parties = breakdown.relatedParties;
  if (parties === undefined) return '';
  const heading = html`<h2 id="${RELATED_PARTIES_ID}">Paid to related parties</h2>`;
  if (parties.length === 0) {
    return html`${heading}
<p data-related-parties="none">The provider, ${page.organisation.name}, declares no payments to related parties for this period (${breakdown.period.label}).</p>

`;
  }
  const rows = parties.flatMap((party) => {
    const number = party.companiesHouseNumber;
    const who = html`${party.name}${
      number === undefined
        ? ''
        : html`<br><a href="${COMPANIES_HOUSE_URL}${encodeURIComponent(number)}">Companies House ${number}</a>`
    }`;
    const relationship = capitalised(RELATIONSHIP_WORDS[party.relationship]);
    return party.lines.map(
      (line) =>
        html`<tr data-related-party="${party.id}"><th scope="row">${who}</th><td>${relationship}</td><td>${line.description} <code>${line.code}</code>${line.code === 'CENTRAL_OVERHEAD' ? html`<span class="muted note">this home's share of a central overhead component</span>` : ''}</td><td class="num">${gbp(line.annualAmount)}</td><td class="num">${gbp(line.marketAnnualAmount)}</td><td>${line.marketEvidence}</td><td class="num">${gbp(line.excessAnnual)}</td></tr>\n`,
    );
  });
  const sum = (values: string[]) => values.reduce((total, value) => total.plus(value), new Dec(0)).toFixed(2);
  const lines = parties.flatMap((party) => party.lines);
  const paid = sum(lines.map((line) => line.annualAmount));
  const market = sum(lines.map((line) => line.marketAnnualAmount));
  const excess = sum(parties.map((party) => party.excessAnnual));
  const x = breakdown.relatedPartyExcessWeeklyPerChild ?? '0.00';
  const adjusted = breakdown.adjustedSurplusRate ?? breakdown.surplusRate;
  const againstCap = new Dec(adjusted).eq(breakdown.capRate) ? 'at' : 'within';
  return html`${heading}
<p>A related party is a person or body connected with the provider: its parent or a subsidiary, a company under the same control, a director or trustee, key management or their family. The pricing method (version 2, §6) sets each payment to a related party against what the same goods or service would cost at market, on the evidence given. The fee itself does not depend on the market amounts: whatever is paid above market (the excess) counts as surplus when the surplus is tested against the cap.</p>
${tableWrap(html`<table>
<caption>Payments to related parties, ${breakdown.period.label}, against their market amounts</caption>
<thead><tr><th scope="col">Party</th><th scope="col">Relationship</th><th scope="col">What for</th><th scope="col" class="num">Paid £ a year</th><th scope="col" class="num">Market £ a year</th><th scope="col">Evidence for the market amount</th><th scope="col" class="num">Excess £ a year</th></tr></thead>
<tbody>
${rows}
</tbody>
<tfoot><tr><th scope="row">Total</th><td></td><td></td><td class="num">${gbp(paid)}</td><td class="num">${gbp(market)}</td><td></td><td class="num">${gbp(excess)}</td></tr></tfoot>
</table>`)}
<p data-adjusted-surplus-rate="${adjusted}">Surplus rate ${percent(breakdown.surplusRate)} of cost; counting ${gbp(x)} a week per child paid to related parties above market as surplus, the adjusted rate is ${percent(adjusted)}, ${againstCap} the ${percent(breakdown.capRate)} cap.</p>

`;
}

/**
 * Method §7: a fee used after its own period's end is still charged (the last agreed fee holds), and
 * the reader is told so in words beside the fee, not by colour alone.
 */
function heldOverNotice(page: HomePage, schedule: NonNullable<HomePage['schedule']>): SafeHtml {
  const period = html`${schedule.period.label} (${longDate(schedule.period.start)} to ${longDate(schedule.period.end)})`;
  const charged =
    page.on === page.today
      ? html` and is still charged until a new fee is published`
      : html`; on ${longDate(page.on)}, after that period's end, it is still charged, as the last agreed fee holds until a new fee is published`;
  return html`<p class="held-over" role="note" data-held-over="true"><strong>Held over:</strong> this fee was set for ${period}${charged}. Statements mark these days as held over.</p>`;
}

function history(page: HomePage): SafeHtml {
  if (page.history.length === 0) return html`<h2>Version history</h2><p>No fee schedules published yet.</p>`;
  const statusText = { current: 'in force', superseded: 'superseded', scheduled: 'scheduled' } as const;
  return html`<h2>Version history</h2>
${tableWrap(html`<table>
<caption>Published fee schedules for ${page.home.name}, newest first</caption>
<thead><tr><th scope="col">In force from</th><th scope="col">Period</th><th scope="col" class="num">Version</th><th scope="col" class="num">Weekly fee per child</th><th scope="col">Status</th><th scope="col">Links</th></tr></thead>
<tbody>
${page.history.map((entry, index) => {
  // the oldest schedule has nothing before it to compare with
  const first = index === page.history.length - 1 && !page.moreHistory;
  return html`<tr><th scope="row"><a href="${homeUrl(page.home.id)}?on=${entry.effectiveFrom}">${longDate(entry.effectiveFrom)}</a></th><td>${entry.period.label}</td><td class="num">${entry.version}</td><td class="num">${gbp(entry.weeklyFeePerChild)}</td><td>${statusText[entry.status]}</td><td><a href="${scheduleJsonUrl(entry.id)}">JSON</a>${first ? '' : html` · <a href="${changesUrl(entry.id)}">what changed</a>`}</td></tr>\n`;
})}
</tbody>
</table>`)}
${page.moreHistory ? html`<p>Only the latest versions are listed; the API lists them all: <code>/v1/homes/${page.home.id}/fee-schedules</code>.</p>` : ''}`;
}

const SECTION_NAMES: Record<string, string> = {
  period: 'Period',
  home: 'Home and occupancy',
  rates: 'Employment rates',
  cover: 'Absence cover',
  staffing: 'Staffing',
  property: 'Property',
  running: 'Running costs',
  central: 'Central overheads',
  surplus: 'Surplus',
  enhancements: 'Enhancements',
  recalculation: 'Recalculation',
};

export function renderChanges(page: ChangesPage): string {
  const { from, to, change } = page;
  const title = `${page.homeName}: why the fee changed`;
  const crumbs = html`<a href="/transparency">All homes</a> › <a href="${homeUrl(to.homeId)}">${page.homeName}</a> › What changed`;
  const versionName = (schedule: typeof from) =>
    `${schedule.period.label} version ${schedule.version}, from ${longDate(schedule.effectiveFrom)}`;
  const body = html`<h1>${page.homeName}: why the fee changed</h1>
${tableWrap(html`<table>
<caption>The weekly fee per child before and after</caption>
<thead><tr><th scope="col">Schedule</th><th scope="col" class="num">Weekly fee per child</th></tr></thead>
<tbody>
<tr><th scope="row">Before: <a href="${scheduleJsonUrl(from.id)}">${versionName(from)}</a></th><td class="num">${gbp(change.fromWeeklyFee)}</td></tr>
<tr><th scope="row">After: <a href="${scheduleJsonUrl(to.id)}">${versionName(to)}</a></th><td class="num">${gbp(change.toWeeklyFee)}</td></tr>
</tbody>
<tfoot><tr><th scope="row">Difference</th><td class="num" data-difference="${change.difference}">${signedGbp(change.difference)}${change.percentage === null ? '' : ` (${change.percentage.startsWith('-') ? '' : '+'}${change.percentage}%)`}</td></tr></tfoot>
</table>`)}

<h2>What moved, and its effect on the fee</h2>
${
  change.causes.length === 0
    ? html`<p>No input of the cost model moved.</p>`
    : tableWrap(html`<table>
<caption>Each input that moved, with its effect on the weekly fee per child (the effects add up to the difference)</caption>
<thead><tr><th scope="col">What moved</th><th scope="col">Part of the cost model</th><th scope="col" class="num">Effect on the weekly fee</th></tr></thead>
<tbody>
${change.causes.map(
  (cause) =>
    html`<tr><th scope="row">${cause.description}</th><td>${SECTION_NAMES[cause.section] ?? cause.section}</td><td class="num">${signedGbp(cause.effectOnWeeklyFee)}</td></tr>\n`,
)}
</tbody>
<tfoot><tr><th scope="row">Total</th><td></td><td class="num">${signedGbp(change.difference)}</td></tr></tfoot>
</table>`)
}
<p>Effects are worked out by changing the inputs one at a time, in the order of the cost model document; another order could split the same total differently.</p>

${change.relatedParties === undefined ? '' : relatedPartyChanges(change.relatedParties, from, to)}<h2>Line by line</h2>
${tableWrap(html`<table>
<caption>Every line of either schedule, a week per child</caption>
<thead><tr><th scope="col">Line</th><th scope="col">Code</th><th scope="col" class="num">Before</th><th scope="col" class="num">After</th><th scope="col" class="num">Difference</th><th scope="col">Status</th></tr></thead>
<tbody>
${change.lines.map(
  (line) =>
    html`<tr><th scope="row">${line.description}</th><td><code>${line.code}</code></td><td class="num">${gbp(line.fromWeekly)}</td><td class="num">${gbp(line.toWeekly)}</td><td class="num">${signedGbp(line.difference)}</td><td>${line.status}</td></tr>\n`,
)}
</tbody>
<tfoot><tr><th scope="row">Weekly fee per child</th><td></td><td class="num">${gbp(change.fromWeeklyFee)}</td><td class="num">${gbp(change.toWeeklyFee)}</td><td class="num">${signedGbp(change.difference)}</td><td></td></tr></tfoot>
</table>`)}
<p><a href="${scheduleJsonUrl(to.id)}/changes?from=${from.id}">This explanation as JSON</a></p>`;
  return layout(title, body, crumbs);
}

const RELATED_CHANGE_WORDS: Record<RelatedPartyChangeKind, string> = {
  party_added: 'Related party added',
  party_removed: 'Related party no longer paid',
  party_changed: 'Related party details changed',
  payment_added: 'Now paid to a related party',
  payment_removed: 'No longer paid to a related party',
  payment_changed: 'Amount paid to a related party changed',
  market_changed: 'Market amount or evidence changed',
};

/**
 * Method v2 §6 on the changes page: what changed in the payments to related parties, beside the
 * causes and not among them (the fee never depends on market amounts), with X and the adjusted
 * surplus rate before and after.
 */
function relatedPartyChanges(
  related: RelatedPartyChanges,
  from: ChangesPage['from'],
  to: ChangesPage['to'],
): SafeHtml {
  const none = 'no related parties declared';
  const excess = (value: string | null) => (value === null ? none : gbp(value));
  const rate = (value: string | null) => (value === null ? none : percent(value));
  const partyName = (id: string) =>
    to.breakdown.relatedParties?.find((party) => party.id === id)?.name ??
    from.breakdown.relatedParties?.find((party) => party.id === id)?.name ??
    id;
  return html`<h2 id="related-parties">Payments to related parties</h2>
<p>These changes do not move the fee, which never depends on market amounts or on who is paid, so they are not among the causes above. They change how much of the fee counts as surplus: whatever is paid to related parties above market counts as surplus when the surplus is tested against the cap.</p>
<p data-related-excess-difference="${related.excessDifference}">${related.description}.</p>
${tableWrap(html`<table>
<caption>Paid to related parties above market, and the adjusted surplus rate, before and after</caption>
<thead><tr><th scope="col">Measure</th><th scope="col" class="num">Before</th><th scope="col" class="num">After</th><th scope="col" class="num">Difference</th></tr></thead>
<tbody>
<tr><th scope="row">Paid to related parties above market, a week per child</th><td class="num">${excess(related.fromExcessWeeklyPerChild)}</td><td class="num">${excess(related.toExcessWeeklyPerChild)}</td><td class="num">${signedGbp(related.excessDifference)}</td></tr>
<tr><th scope="row">Surplus rate counting that as surplus (the adjusted rate)</th><td class="num">${rate(related.fromAdjustedSurplusRate)}</td><td class="num">${rate(related.toAdjustedSurplusRate)}</td><td></td></tr>
<tr><th scope="row">Surplus cap</th><td class="num">${percent(from.breakdown.capRate)}</td><td class="num">${percent(to.breakdown.capRate)}</td><td></td></tr>
</tbody>
</table>`)}
${
  related.changes.length === 0
    ? html`<p>No related party, payment to one or market amount changed.</p>`
    : tableWrap(html`<table>
<caption>What changed in the payments to related parties (none of these moves the fee)</caption>
<thead><tr><th scope="col">Change</th><th scope="col">Related party</th><th scope="col">In detail</th></tr></thead>
<tbody>
${related.changes.map(
  (item) =>
    html`<tr data-related-change="${item.kind}"><th scope="row">${RELATED_CHANGE_WORDS[item.kind]}</th><td>${partyName(item.partyId)}</td><td>${item.description}</td></tr>\n`,
)}
</tbody>
</table>`)
}

`;
}
