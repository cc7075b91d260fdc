import { Dec } from '../domain/money.js';
import {
  type Breakdown,
  type BreakdownLine,
  RELATIONSHIP_WORDS,
  type RelatedPartyChangeKind,
  type RelatedPartyChanges,
} from '../domain/pricing/index.js';
import { FORMAT_MEDIA_TYPES } from '../http/negotiate.js';
import { gbp, html, longDate, per100, percent, type SafeHtml, signedGbp } from './html.js';
import { layout } from './layout.js';
import { CAP_SCOPE_WORDS } from './reconciliation-page.js';
import type { ChangesPage, HomePage, IndexHome, IndexOrganisation } from './service.js';
import { type Column, cell, code, dataTable } from './table.js';

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
const scheduleUrl = (id: string) => `/v1/fee-schedules/${encodeURIComponent(id)}`;
/** The API's schedule as a file: `?format=` asks for what `Accept` would. */
const scheduleJsonUrl = (id: string) => `${scheduleUrl(id)}?format=json`;
const scheduleCsvUrl = (id: string) => `${scheduleUrl(id)}?format=csv`;
const historyJsonUrl = (homeId: string) => `/v1/homes/${encodeURIComponent(homeId)}/fee-schedules`;
const changesUrl = (id: string) => `/transparency/fee-schedules/${encodeURIComponent(id)}/changes`;
const changesJsonUrl = (id: string, fromId: string) =>
  `${scheduleUrl(id)}/changes?from=${encodeURIComponent(fromId)}`;

/** A link to a download, the file's type named in the link and in `type`. */
export const download = (href: string, type: 'json' | 'csv' | 'xlsx', text: string | SafeHtml) =>
  html`<a href="${href}" type="${FORMAT_MEDIA_TYPES[type]}">${text}</a>`;

/** The "Downloads" section: a heading and its list. */
export const downloads = (items: SafeHtml[]) => html`<h2 id="downloads">Downloads</h2>
<ul class="downloads">
${items.map((item) => html`<li>${item}</li>\n`)}</ul>`;

const HOMES = {
  home: { label: 'Home' },
  fee: { label: 'Weekly fee per child', kind: 'num' },
  surplus: { label: 'Surplus rate', kind: 'num' },
  from: { label: 'In force from' },
} as const satisfies Record<string, Column>;

function homeRow(home: IndexHome): SafeHtml {
  const name = html`<a href="${homeUrl(home.id)}">${home.name}</a>${home.closedOn ? html` <span class="muted">(closed ${longDate(home.closedOn)})</span>` : ''}`;
  if (!home.schedule) {
    return html`<tr><th scope="row">${name}</th><td class="num" colspan="2" data-label="${HOMES.fee.label}">no published fee yet</td><td></td></tr>\n`;
  }
  const { schedule } = home;
  const fee = html`${gbp(schedule.weeklyFeePerChild)}${home.inForce ? '' : html`<span class="muted note">(scheduled, not yet in force)</span>`}`;
  return html`<tr><th scope="row">${name}</th>${cell(HOMES.fee, fee)}${cell(HOMES.surplus, percent(schedule.surplusRate))}${cell(HOMES.from, longDate(schedule.effectiveFrom))}</tr>\n`;
}

export function renderIndex(organisations: IndexOrganisation[], today: string): string {
  const sections = organisations.map(
    (organisation) => html`
<h2>${organisation.name}</h2>
<p>Surplus cap set by the organisation: ${percent(organisation.surplusCapRate)} of cost. ${CAP_SCOPE_WORDS[organisation.capScope]}</p>
${
  organisation.homes.length === 0
    ? html`<p>No homes registered.</p>`
    : dataTable({
        caption: html`Homes run by ${organisation.name}: weekly fee per child in force on ${longDate(today)}`,
        columns: Object.values(HOMES),
        rows: organisation.homes.map(homeRow),
      })
}`,
  );
  const body = html`<h1>Children's home fees: where the money goes</h1>
<p>Each home's weekly fee per child is its planned cost plus a capped surplus, worked out by a published method. Choose a home to see every line of its fee.</p>
${organisations.length === 0 ? html`<p>No provider organisations have published here yet.</p>` : sections}
${downloads([html`${download('/v1/fee-schedules?limit=200', 'json', 'Every published fee schedule as JSON')}: a summary of each, newest first, 200 at a time.`])}`;
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

const CATEGORY_COLUMNS = {
  category: { label: 'Category' },
  weekly: { label: '£ per week', kind: 'num' },
  per100: { label: '£ per £100 of fee', kind: 'num' },
} as const satisfies Record<string, Column>;

function categoryTable(breakdown: Breakdown, totals: CategoryTotal[]): SafeHtml {
  const c = CATEGORY_COLUMNS;
  return dataTable({
    caption: 'The weekly fee by category',
    columns: Object.values(c),
    layout: 'fit',
    rows: totals.map(
      (total) =>
        html`<tr data-category="${total.category}"><th scope="row"><span class="swatch ${total.category}"></span>${CATEGORY_NAMES[total.category]}</th>${cell(c.weekly, gbp(total.weekly))}${cell(c.per100, per100(total.share))}</tr>\n`,
    ),
    foot: html`<tr><th scope="row">Weekly fee per child</th>${cell(c.weekly, gbp(breakdown.totals.weeklyPerChild))}${cell(c.per100, per100(breakdown.totals.shareOfFee))}</tr>`,
  });
}

const LINE_COLUMNS = {
  line: { label: 'Line' },
  code: { label: 'Code', kind: 'code' },
  annual: { label: '£ a year', kind: 'num' },
  weekly: { label: '£ a week per child', kind: 'num' },
  share: { label: 'Share of fee', kind: 'num' },
  basis: { label: 'How it is worked out', kind: 'text' },
} as const satisfies Record<string, Column>;

function linesTable(breakdown: Breakdown): SafeHtml {
  const c = LINE_COLUMNS;
  return dataTable({
    caption: `Every line of the fee, ${breakdown.period.label}`,
    columns: Object.values(c),
    rows: breakdown.lines.map(
      (line) =>
        html`<tr><th scope="row">${line.description}${relatedLineNote(breakdown, line)}</th>${cell(c.code, code(line.code))}${cell(c.annual, gbp(line.annualAmount))}${cell(c.weekly, gbp(line.weeklyPerChild))}${cell(c.share, percent(line.shareOfFee))}${cell(c.basis, line.basis)}</tr>\n`,
    ),
    foot: html`<tr><th scope="row">Total</th><td></td>${cell(c.annual, gbp(breakdown.totals.annualAmount))}${cell(c.weekly, gbp(breakdown.totals.weeklyPerChild))}${cell(c.share, percent(breakdown.totals.shareOfFee))}${cell(c.basis, 'The annual total is the income at planned occupancy.')}</tr>`,
  });
}

const MEASURE_COLUMNS = {
  measure: { label: 'Measure' },
  rate: { label: 'Rate', kind: 'num' },
} as const satisfies Record<string, Column>;

function surplusTable(page: HomePage, schedule: NonNullable<HomePage['schedule']>): SafeHtml {
  const { organisation } = page;
  const { breakdown } = schedule;
  const row = (measure: SafeHtml | string, value: string) =>
    html`<tr><th scope="row">${measure}</th>${cell(MEASURE_COLUMNS.rate, value)}</tr>\n`;
  return dataTable({
    caption: 'The surplus in context',
    columns: Object.values(MEASURE_COLUMNS),
    layout: 'fit',
    rows: [
      row("This home's surplus, as a mark-up on cost", percent(schedule.surplusRate)),
      row('The same surplus as a share of the fee (a margin)', percent(breakdown.surplusShareOfFee)),
      adjustedRateRow(breakdown),
      row(`${organisation.name}'s cap on surplus`, percent(organisation.surplusCapRate)),
      row(
        "Where the cap is tested at the year's end",
        organisation.cap_scope === 'home' ? 'each home' : 'the whole provider',
      ),
      row('Average operating margin of the largest private providers (CMA)', percent(CMA_AVERAGE_MARGIN)),
    ],
  });
}

/** The home page's downloads: the schedule shown as JSON and CSV, its proof, and every version. */
function homeDownloads(page: HomePage): SafeHtml {
  const { schedule } = page;
  const history = html`${download(historyJsonUrl(page.home.id), 'json', "Every published version of this home's fee as JSON")}: a summary of each, newest first.`;
  if (!schedule) return downloads([history]);
  return downloads([
    html`${download(scheduleJsonUrl(schedule.id), 'json', 'This fee schedule as JSON')}: the frozen cost model and its breakdown (this is what is hashed and signed).`,
    html`${download(scheduleCsvUrl(schedule.id), 'csv', 'Its lines as CSV')}: one row per line, as in the table above, ending in a <code>TOTAL</code> row; opens in a spreadsheet.`,
    ...(page.proof
      ? [
          html`${download(`${scheduleUrl(schedule.id)}/proof`, 'json', 'Its proof as JSON')}: the hash, its signature and the hash of the schedule before it in the organisation's chain, to check with ${download('/.well-known/fee-schedule-keys.json', 'json', 'the signing keys (JSON)')}.`,
        ]
      : []),
    history,
  ]);
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
${history(page)}
${page.history.length === 0 ? '' : homeDownloads(page)}`;
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
<p class="no-print"><a href="#downloads">Download this fee schedule as JSON or CSV</a></p>

<h2>Where each £100 goes</h2>
${stackedBar(totals)}
${categoryTable(breakdown, totals)}

<h2>Every line of the fee</h2>
${linesTable(breakdown)}

${relatedPartiesSection(page, breakdown)}<h2>Surplus</h2>
${surplusTable(page, schedule)}
<p>At the year's end the surplus actually made is checked against the cap on audited actual costs, and any excess goes back to the councils that paid. ${CAP_SCOPE_WORDS[organisation.cap_scope]}</p>
<p>For context: the Competition and Markets Authority found an average operating margin of 22.6% among the largest private providers of children's homes. Source: <a href="${CMA_URL}">${CMA_SOURCE}</a>. A margin is surplus as a share of income; compare it with this home's surplus as a share of the fee.</p>

${history(page)}

${homeDownloads(page)}

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
  return html`<tr><th scope="row">The surplus counting what is paid to related parties above market as surplus (the adjusted rate)</th>${cell(MEASURE_COLUMNS.rate, percent(breakdown.adjustedSurplusRate))}</tr>\n`;
}

const PARTY_COLUMNS = {
  party: { label: 'Party' },
  relationship: { label: 'Relationship', kind: 'text' },
  what: { label: 'What for', kind: 'text' },
  paid: { label: 'Paid £ a year', kind: 'num' },
  market: { label: 'Market £ a year', kind: 'num' },
  evidence: { label: 'Evidence for the market amount', kind: 'text' },
  excess: { label: 'Excess £ a year', kind: 'num' },
} as const satisfies Record<string, Column>;

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
  const c = PARTY_COLUMNS;
  const rows = parties.flatMap((party) => {
    const number = party.companiesHouseNumber;
    const who = html`${party.name}${
      number === undefined
        ? ''
        : html`<br><a href="${COMPANIES_HOUSE_URL}${encodeURIComponent(number)}">Companies House ${number}</a>`
    }`;
    const relationship = capitalised(RELATIONSHIP_WORDS[party.relationship]);
    return party.lines.map((line) => {
      const what = html`${line.description} ${code(line.code)}${line.code === 'CENTRAL_OVERHEAD' ? html`<span class="muted note">this home's share of a central overhead component</span>` : ''}`;
      return html`<tr data-related-party="${party.id}"><th scope="row">${who}</th>${cell(c.relationship, relationship)}${cell(c.what, what)}${cell(c.paid, gbp(line.annualAmount))}${cell(c.market, gbp(line.marketAnnualAmount))}${cell(c.evidence, line.marketEvidence)}${cell(c.excess, gbp(line.excessAnnual))}</tr>\n`;
    });
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
${dataTable({
  caption: `Payments to related parties, ${breakdown.period.label}, against their market amounts`,
  columns: Object.values(c),
  rows,
  foot: html`<tr><th scope="row">Total</th><td></td><td></td>${cell(c.paid, gbp(paid))}${cell(c.market, gbp(market))}<td></td>${cell(c.excess, gbp(excess))}</tr>`,
})}
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

const HISTORY_COLUMNS = {
  from: { label: 'In force from' },
  period: { label: 'Period' },
  version: { label: 'Version', kind: 'num' },
  fee: { label: 'Weekly fee per child', kind: 'num' },
  status: { label: 'Status' },
  links: { label: 'Links' },
} as const satisfies Record<string, Column>;

function history(page: HomePage): SafeHtml {
  if (page.history.length === 0) return html`<h2>Version history</h2><p>No fee schedules published yet.</p>`;
  const statusText = { current: 'in force', superseded: 'superseded', scheduled: 'scheduled' } as const;
  const c = HISTORY_COLUMNS;
  const rows = page.history.map((entry, index) => {
    // the oldest schedule has nothing before it to compare with
    const first = index === page.history.length - 1 && !page.moreHistory;
    const links = html`${download(scheduleJsonUrl(entry.id), 'json', 'JSON')} · ${download(scheduleCsvUrl(entry.id), 'csv', 'CSV')}${first ? '' : html` · <a href="${changesUrl(entry.id)}">what changed</a>`}`;
    return html`<tr><th scope="row"><a href="${homeUrl(page.home.id)}?on=${entry.effectiveFrom}">${longDate(entry.effectiveFrom)}</a></th>${cell(c.period, entry.period.label)}${cell(c.version, String(entry.version))}${cell(c.fee, gbp(entry.weeklyFeePerChild))}${cell(c.status, statusText[entry.status])}${cell(c.links, links)}</tr>\n`;
  });
  return html`<h2>Version history</h2>
${dataTable({ caption: `Published fee schedules for ${page.home.name}, newest first`, columns: Object.values(c), rows })}
${page.moreHistory ? html`<p>Only the latest versions are listed; the API lists them all: ${download(historyJsonUrl(page.home.id), 'json', "every version of this home's fee as JSON")}.</p>` : ''}`;
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

const FEE_COLUMNS = {
  schedule: { label: 'Schedule' },
  fee: { label: 'Weekly fee per child', kind: 'num' },
} as const satisfies Record<string, Column>;

function beforeAfterTable(page: ChangesPage): SafeHtml {
  const { from, to, change } = page;
  const versionName = (schedule: typeof from) =>
    `${schedule.period.label} version ${schedule.version}, from ${longDate(schedule.effectiveFrom)}`;
  const percentage =
    change.percentage === null
      ? ''
      : ` (${change.percentage.startsWith('-') ? '' : '+'}${change.percentage}%)`;
  return dataTable({
    caption: 'The weekly fee per child before and after',
    columns: Object.values(FEE_COLUMNS),
    layout: 'fit',
    rows: [
      html`<tr><th scope="row">Before: <a href="${scheduleJsonUrl(from.id)}">${versionName(from)}</a></th>${cell(FEE_COLUMNS.fee, gbp(change.fromWeeklyFee))}</tr>\n`,
      html`<tr><th scope="row">After: <a href="${scheduleJsonUrl(to.id)}">${versionName(to)}</a></th>${cell(FEE_COLUMNS.fee, gbp(change.toWeeklyFee))}</tr>\n`,
    ],
    foot: html`<tr><th scope="row">Difference</th><td class="num" data-label="${FEE_COLUMNS.fee.label}" data-difference="${change.difference}">${signedGbp(change.difference)}${percentage}</td></tr>`,
  });
}

const CAUSE_COLUMNS = {
  what: { label: 'What moved' },
  section: { label: 'Part of the cost model' },
  effect: { label: 'Effect on the weekly fee', kind: 'num' },
} as const satisfies Record<string, Column>;

function causesTable(change: ChangesPage['change']): SafeHtml {
  if (change.causes.length === 0) return html`<p>No input of the cost model moved.</p>`;
  const c = CAUSE_COLUMNS;
  return dataTable({
    caption:
      'Each input that moved, with its effect on the weekly fee per child (the effects add up to the difference)',
    columns: Object.values(c),
    rows: change.causes.map(
      (cause) =>
        html`<tr><th scope="row">${cause.description}</th>${cell(c.section, SECTION_NAMES[cause.section] ?? cause.section)}${cell(c.effect, signedGbp(cause.effectOnWeeklyFee))}</tr>\n`,
    ),
    foot: html`<tr><th scope="row">Total</th><td></td>${cell(c.effect, signedGbp(change.difference))}</tr>`,
  });
}

const CHANGED_LINE_COLUMNS = {
  line: { label: 'Line' },
  code: { label: 'Code', kind: 'code' },
  before: { label: 'Before', kind: 'num' },
  after: { label: 'After', kind: 'num' },
  difference: { label: 'Difference', kind: 'num' },
  status: { label: 'Status' },
} as const satisfies Record<string, Column>;

function changedLinesTable(change: ChangesPage['change']): SafeHtml {
  const c = CHANGED_LINE_COLUMNS;
  return dataTable({
    caption: 'Every line of either schedule, a week per child',
    columns: Object.values(c),
    rows: change.lines.map(
      (line) =>
        html`<tr><th scope="row">${line.description}</th>${cell(c.code, code(line.code))}${cell(c.before, gbp(line.fromWeekly))}${cell(c.after, gbp(line.toWeekly))}${cell(c.difference, signedGbp(line.difference))}${cell(c.status, line.status)}</tr>\n`,
    ),
    foot: html`<tr><th scope="row">Weekly fee per child</th><td></td>${cell(c.before, gbp(change.fromWeeklyFee))}${cell(c.after, gbp(change.toWeeklyFee))}${cell(c.difference, signedGbp(change.difference))}<td></td></tr>`,
  });
}

export function renderChanges(page: ChangesPage): string {
  const { from, to, change } = page;
  const title = `${page.homeName}: why the fee changed`;
  const crumbs = html`<a href="/transparency">All homes</a> › <a href="${homeUrl(to.homeId)}">${page.homeName}</a> › What changed`;
  const body = html`<h1>${page.homeName}: why the fee changed</h1>
${beforeAfterTable(page)}

<h2>What moved, and its effect on the fee</h2>
${causesTable(change)}
<p>Effects are worked out by changing the inputs one at a time, in the order of the cost model document; another order could split the same total differently.</p>

${change.relatedParties === undefined ? '' : relatedPartyChanges(change.relatedParties, from, to)}<h2>Line by line</h2>
${changedLinesTable(change)}

${downloads([
  html`${download(changesJsonUrl(to.id, from.id), 'json', 'This explanation as JSON')}: the lines, the inputs that moved and their effects.`,
  html`The schedule before: ${download(scheduleJsonUrl(from.id), 'json', html`version ${from.version} as JSON`)} or ${download(scheduleCsvUrl(from.id), 'csv', html`its lines as CSV`)}.`,
  html`The schedule after: ${download(scheduleJsonUrl(to.id), 'json', html`version ${to.version} as JSON`)} or ${download(scheduleCsvUrl(to.id), 'csv', html`its lines as CSV`)}.`,
])}`;
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

const RELATED_MEASURE_COLUMNS = {
  measure: { label: 'Measure' },
  before: { label: 'Before', kind: 'num' },
  after: { label: 'After', kind: 'num' },
  difference: { label: 'Difference', kind: 'num' },
} as const satisfies Record<string, Column>;

const RELATED_CHANGE_COLUMNS = {
  change: { label: 'Change' },
  party: { label: 'Related party' },
  detail: { label: 'In detail', kind: 'text' },
} as const satisfies Record<string, Column>;

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
  const m = RELATED_MEASURE_COLUMNS;
  const c = RELATED_CHANGE_COLUMNS;
  return html`<h2 id="related-parties">Payments to related parties</h2>
<p>These changes do not move the fee, which never depends on market amounts or on who is paid, so they are not among the causes above. They change how much of the fee counts as surplus: whatever is paid to related parties above market counts as surplus when the surplus is tested against the cap.</p>
<p data-related-excess-difference="${related.excessDifference}">${related.description}.</p>
${dataTable({
  caption: 'Paid to related parties above market, and the adjusted surplus rate, before and after',
  columns: Object.values(m),
  rows: [
    html`<tr><th scope="row">Paid to related parties above market, a week per child</th>${cell(m.before, excess(related.fromExcessWeeklyPerChild))}${cell(m.after, excess(related.toExcessWeeklyPerChild))}${cell(m.difference, signedGbp(related.excessDifference))}</tr>\n`,
    html`<tr><th scope="row">Surplus rate counting that as surplus (the adjusted rate)</th>${cell(m.before, rate(related.fromAdjustedSurplusRate))}${cell(m.after, rate(related.toAdjustedSurplusRate))}<td></td></tr>\n`,
    html`<tr><th scope="row">Surplus cap</th>${cell(m.before, percent(from.breakdown.capRate))}${cell(m.after, percent(to.breakdown.capRate))}<td></td></tr>\n`,
  ],
})}
${
  related.changes.length === 0
    ? html`<p>No related party, payment to one or market amount changed.</p>`
    : dataTable({
        caption: 'What changed in the payments to related parties (none of these moves the fee)',
        columns: Object.values(c),
        rows: related.changes.map(
          (item) =>
            html`<tr data-related-change="${item.kind}"><th scope="row">${RELATED_CHANGE_WORDS[item.kind]}</th>${cell(c.party, partyName(item.partyId))}${cell(c.detail, item.description)}</tr>\n`,
        ),
      })
}

`;
}
