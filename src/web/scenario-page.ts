import { Dec, penniesOf } from '../domain/money.js';
import type { GridRow, Lever, SensitivityLever, SensitivityPoint } from '../domain/scenarios/index.js';
import type { Figures, GridHead, ScenarioReport } from '../domain/scenarios/report.js';
import { gbp, html, longDate, percent, type SafeHtml, signedGbp } from './html.js';
import { layout } from './layout.js';
import { download, downloads } from './pages.js';
import { type Column, cell, code, dataTable } from './table.js';

// A scenario report as a page for the finance team: the base and the point, break-even occupancy,
// the sensitivity of the fee to each lever (a tornado chart drawn in SVG, and its table) and each
// grid. Every figure is the report's own decimal string, formatted, never recomputed in floats (the
// chart's geometry alone is presentation in numbers).

/** The chart shows at most this many levers (the widest swings); the table lists them all. */
export const CHART_LEVERS = 15;
/** A grid of two axes is a matrix of fees when it has at most this many columns and rows. */
export const MATRIX_MAX_COLUMNS = 60;
export const MATRIX_MAX_ROWS = 500;
/** A grid shown as a table of rows shows at most this many (the CSV has them all). */
export const ROW_LIMIT = 2_000;

const BASE_KIND_WORDS: Record<ScenarioReport['base']['kind'], string> = {
  costModel: 'A cost model sent with the request',
  draft: 'A cost model draft',
  feeSchedule: 'A published fee schedule',
};

const count = (n: number) => n.toLocaleString('en-GB');
const orDash = (value: string | null, show: (value: string) => string) =>
  value === null ? '—' : show(value);

/** A lever's value as a reader expects it: a share as a percentage, money in pounds. */
export function leverValue(lever: Lever, value: string): string {
  switch (lever) {
    case 'hourlyRate':
      return `${gbp(value)} an hour`;
    case 'amount':
      return gbp(value);
    case 'payUplift':
      return new Dec(value).gt(0) ? `+${percent(value)}` : percent(value);
    default:
      return percent(value);
  }
}

/**
 * A lever as a row's header: a cost line's label ("CODE Description (/running/2)") as its
 * description, its code and pointer beneath (a code may break there, so the table stays narrow).
 */
function leverHeading(lever: { lever: Lever; label: string }): SafeHtml | string {
  const match = lever.lever === 'amount' ? /^([A-Z0-9_]+) (.+) \((\/[a-z]+\/\d+)\)$/.exec(lever.label) : null;
  if (match === null) return lever.label;
  const [, lineCode, description, pointer] = match;
  return html`${description}<span class="muted note">${code(lineCode!)} ${code(pointer!)}</span>`;
}

/** A sensitivity step ("-0.10", "0.05") in words: "−10%", "+5%". */
export function stepWords(step: string): string {
  const value = new Dec(step);
  if (value.isZero()) return '0%';
  return value.isNegative() ? `−${percent(value.abs().toString())}` : `+${percent(step)}`;
}

const pointAt = (lever: SensitivityLever, step: string): SensitivityPoint | undefined =>
  lever.points.find((point) => point.step === step);

// ── the base, the changes and the point ─────────────────────────────────────────────────────────

const ABOUT_COLUMNS = {
  what: { label: 'Base' },
  value: { label: 'Value', kind: 'text' },
} as const satisfies Record<string, Column>;

function baseTable(report: ScenarioReport): SafeHtml {
  const { base } = report;
  const c = ABOUT_COLUMNS;
  const row = (what: string, value: SafeHtml | string) =>
    html`<tr><th scope="row">${what}</th>${cell(c.value, value)}</tr>\n`;
  return dataTable({
    caption: 'The base the scenario starts from',
    columns: Object.values(c),
    layout: 'fit',
    rows: [
      row('Kind', BASE_KIND_WORDS[base.kind]),
      base.id === null ? '' : row('Id', base.id), // plain text: a phone breaks it at its hyphens
      base.version === null ? '' : row('Version', String(base.version)),
      row('Period', `${base.period.label} (${longDate(base.period.start)} to ${longDate(base.period.end)})`),
      row('Registered places', String(base.registeredPlaces)),
      row('Pricing method version', String(base.figures.methodVersion)),
    ],
  });
}

const CHANGE_COLUMNS = {
  lever: { label: 'Lever' },
  value: { label: 'Set to', kind: 'num' },
} as const satisfies Record<string, Column>;

function changesSection(report: ScenarioReport): SafeHtml {
  if (report.changes.length === 0) {
    return html`<p>No changes: the point is the base itself, and the grids and sensitivity vary the base.</p>`;
  }
  const c = CHANGE_COLUMNS;
  return html`<p>The point is the base with these changes applied, in this order (a pay uplift multiplies the pay it names, and uplifts compound).</p>
${dataTable({
  caption: 'The changes applied to the base',
  columns: Object.values(c),
  layout: 'fit',
  rows: report.changes.map(
    (change) =>
      html`<tr><th scope="row">${leverHeading(change)}</th>${cell(c.value, leverValue(change.lever, change.value))}</tr>\n`,
  ),
})}`;
}

const FIGURE_COLUMNS = {
  figure: { label: 'Figure' },
  base: { label: 'Base', kind: 'num' },
  point: { label: 'Point', kind: 'num' },
  difference: { label: 'Point less base', kind: 'num' },
} as const satisfies Record<string, Column>;

const MONEY_FIGURES = [
  ['weeklyFeePerChild', 'Weekly fee per child'],
  ['weeklyCostPerChild', 'Weekly cost per child'],
  ['weeklySurplusPerChild', 'Weekly surplus per child'],
  ['annualIncomeAtPlannedOccupancy', 'Annual income at planned occupancy'],
] as const satisfies readonly (readonly [keyof Figures, string])[];

function figuresTable(report: ScenarioReport): SafeHtml {
  const c = FIGURE_COLUMNS;
  const base = report.base.figures;
  const { point } = report;
  const money = MONEY_FIGURES.map(([key, label]) => {
    const [from, to] = [base[key], point[key]];
    const difference = from === null || to === null ? '—' : signedGbp(new Dec(to).minus(from).toFixed(2));
    return html`<tr><th scope="row">${label}</th>${cell(c.base, orDash(from, gbp))}${cell(c.point, orDash(to, gbp))}${cell(c.difference, difference)}</tr>\n`;
  });
  const share = (label: string, from: string | null, to: string | null) =>
    html`<tr><th scope="row">${label}</th>${cell(c.base, orDash(from, percent))}${cell(c.point, orDash(to, percent))}<td></td></tr>\n`;
  return dataTable({
    caption: 'The figures of the base and of the point',
    columns: Object.values(c),
    rows: [
      ...money,
      share('Planned occupancy', base.plannedOccupancy, point.plannedOccupancy),
      share(
        `Break-even occupancy at ${gbp(report.breakEven.weeklyFee)} a week`,
        base.breakEvenOccupancy,
        point.breakEvenOccupancy,
      ),
    ],
  });
}

// ── break-even occupancy ────────────────────────────────────────────────────────────────────────

const MEASURE_COLUMNS = {
  measure: { label: 'Measure' },
  value: { label: 'Value', kind: 'num' },
} as const satisfies Record<string, Column>;

/** n/d, breakable after the slash on a narrow screen (each part is at most a few dozen digits). */
function fractionText(fraction: string): SafeHtml {
  const [numerator, denominator] = fraction.split('/');
  return html`${numerator}/<wbr>${denominator}`;
}

function breakEvenSection(report: ScenarioReport): SafeHtml {
  const answer = report.breakEven;
  const c = MEASURE_COLUMNS;
  const row = (measure: string, value: SafeHtml | string) =>
    html`<tr><th scope="row">${measure}</th>${cell(c.value, value)}</tr>\n`;
  const source =
    answer.source === 'base' ? 'the base’s own fee, the fee quoted' : 'the fee the scenario names';
  const fraction =
    answer.fraction === null
      ? '—'
      : html`${fractionText(answer.fraction)}${answer.occupancy10 === null ? '' : html`<span class="muted note">${answer.occupancy10} to 10 decimal places</span>`}`;
  return html`<h2 id="break-even">Break-even occupancy</h2>
<p>The lowest occupancy at which a weekly fee of <strong>${gbp(answer.weeklyFee)}</strong> (${source}) covers the point’s cost plus its surplus, worked out exactly and rounded up to 6 decimal places.</p>
${dataTable({
  caption: `Break-even occupancy at ${gbp(answer.weeklyFee)} a week`,
  columns: Object.values(c),

  rows: [
    row('Target weekly fee per child', gbp(answer.weeklyFee)),
    row('Break-even occupancy', orDash(answer.occupancy, percent)),
    row(
      'Occupied places needed',
      answer.occupiedPlaces === null
        ? '—'
        : `${answer.occupiedPlaces} of ${report.base.registeredPlaces} registered`,
    ),
    row(
      'Reachable',
      answer.reachable
        ? 'Yes: at or below full occupancy'
        : answer.occupancy === null
          ? 'No: no occupancy breaks even at this fee'
          : 'No: not even with the home full',
    ),
    row('Fee priced back at that occupancy', orDash(answer.weeklyFeeAtOccupancy, gbp)),
    html`<tr><th scope="row">Exact break-even occupancy (a fraction)</th>${cell({ ...c.value, kind: 'text' }, fraction)}</tr>\n`,
  ],
})}
<p data-reachable="${String(answer.reachable)}">${answer.explanation}</p>`;
}

// ── sensitivity: the tornado chart and its table ────────────────────────────────────────────────

const LOW_STEP = '-0.10';
const HIGH_STEP = '0.10';
const CHART = {
  width: 520,
  /** Room each side of the widest bar for its label. */
  labelRoom: 130,
  top: 46,
  name: 18,
  bar: 15,
  gap: 3,
  after: 12,
  font: 13,
  ink: '#0b0c0c',
  muted: '#434648',
  /** Colours differ, and each bar also says in words which step it is. */
  fill: { [LOW_STEP]: '#1d70b8', [HIGH_STEP]: '#d4351c' } as Record<string, string>,
  /** A lever's name longer than this is cut short in the chart (the table has it whole). */
  nameLength: 56,
} as const;
const ROW_HEIGHT = CHART.name + 2 * (CHART.bar + CHART.gap) + CHART.after;

/**
 * The lever's name in the chart, short: a cost line by its description alone (the table gives its
 * code and pointer too), cut short if long, then its value at the point (a pay uplift's is nil).
 */
function chartName(lever: SensitivityLever): string {
  const value = lever.lever === 'payUplift' ? '' : ` (${leverValue(lever.lever, lever.value)})`;
  const label =
    lever.lever === 'amount' && lever.line !== undefined
      ? lever.label.replace(/^[A-Z0-9_]+ /, '').replace(` (${lever.line})`, '')
      : lever.label;
  const room = Math.max(CHART.nameLength - value.length, 12);
  return `${label.length > room ? `${label.slice(0, room - 1)}…` : label}${value}`;
}

interface Scale {
  centre: number;
  pennies: bigint;
  x: (fee: string) => number;
}

function scaleOf(levers: SensitivityLever[], pointFee: string): Scale {
  const pennies = penniesOf(pointFee);
  let widest = 0n;
  for (const lever of levers) {
    for (const step of [LOW_STEP, HIGH_STEP]) {
      const fee = pointAt(lever, step)?.weeklyFeePerChild;
      if (fee === null || fee === undefined) continue;
      const delta = penniesOf(fee) - pennies;
      const size = delta < 0n ? -delta : delta;
      if (size > widest) widest = size;
    }
  }
  const centre = CHART.width / 2;
  const half = centre - CHART.labelRoom;
  return {
    centre,
    pennies,
    x: (fee) =>
      widest === 0n ? centre : centre + (Number(penniesOf(fee) - pennies) / Number(widest)) * half,
  };
}

/** One bar: from the point's fee to the fee at `step`, its label at its outer end. */
function chartBar(lever: SensitivityLever, step: string, y: number, scale: Scale): SafeHtml {
  const point = pointAt(lever, step);
  const words = stepWords(step);
  const textY = (y + CHART.bar / 2 + CHART.font * 0.35).toFixed(1);
  const fee = point?.weeklyFeePerChild ?? null;
  if (fee === null) {
    return html`<text x="${(scale.centre + 4).toFixed(1)}" y="${textY}" font-size="${CHART.font}" fill="${CHART.muted}" font-style="italic">${words}: not priced (see the table)</text>`;
  }
  const end = scale.x(fee);
  const lower = penniesOf(fee) < scale.pennies;
  const left = Math.min(end, scale.centre);
  const width = Math.abs(end - scale.centre);
  const textX = lower ? end - 4 : end + 4;
  return html`<rect x="${left.toFixed(1)}" y="${y.toFixed(1)}" width="${width.toFixed(1)}" height="${CHART.bar}" fill="${CHART.fill[step] ?? CHART.muted}"/><text x="${textX.toFixed(1)}" y="${textY}" font-size="${CHART.font}" fill="${CHART.ink}" text-anchor="${lower ? 'end' : 'start'}">${words} ${gbp(fee)}</text>`;
}

function chartRow(lever: SensitivityLever, index: number, scale: Scale): SafeHtml {
  const top = CHART.top + index * ROW_HEIGHT;
  const lowY = top + CHART.name;
  const highY = lowY + CHART.bar + CHART.gap;
  return html`<g data-lever="${lever.key}"><title>${lever.label}: swing ${gbp(lever.swing)}</title><text x="0" y="${(top + CHART.font).toFixed(1)}" font-size="${CHART.font + 1}" font-weight="700" fill="${CHART.ink}">${chartName(lever)}</text>
<line x1="${scale.centre}" x2="${scale.centre}" y1="${(lowY - 2).toFixed(1)}" y2="${(highY + CHART.bar + 2).toFixed(1)}" stroke="${CHART.ink}" stroke-width="2"/>
${chartBar(lever, LOW_STEP, lowY, scale)}
${chartBar(lever, HIGH_STEP, highY, scale)}</g>
`;
}

/** What the chart shows, in words (a role="img" hides its text from assistive technology). */
function chartDescription(levers: SensitivityLever[], pointFee: string): string {
  const fee = (lever: SensitivityLever, step: string) => {
    const value = pointAt(lever, step)?.weeklyFeePerChild ?? null;
    return `${value === null ? 'not priced' : gbp(value)} at ${stepWords(step)}`;
  };
  const each = levers.map(
    (lever) =>
      `${lever.label}: ${fee(lever, LOW_STEP)}, ${fee(lever, HIGH_STEP)}, a swing of ${gbp(lever.swing)}`,
  );
  return `For each lever, the weekly fee per child with the lever 10% lower (upper bar) and 10% higher (lower bar), drawn from the point's fee of ${gbp(pointFee)}: a bar to the left is a lower fee, to the right a higher one. Widest swing first. ${each.join('; ')}.`;
}

/** The tornado chart: inline SVG, no script; every bar labelled with its step and fee. */
export function tornadoChart(levers: SensitivityLever[], pointFee: string): SafeHtml {
  const shown = levers.slice(0, CHART_LEVERS);
  const scale = scaleOf(shown, pointFee);
  const height = CHART.top + shown.length * ROW_HEIGHT;
  const { centre } = scale;
  return html`<svg class="tornado" viewBox="0 0 ${CHART.width} ${height}" width="100%" style="max-width: 40rem; height: auto; display: block;" role="img" aria-labelledby="tornado-title tornado-desc" xmlns="http://www.w3.org/2000/svg" font-family="system-ui, -apple-system, 'Segoe UI', Arial, sans-serif">
<title id="tornado-title">How the weekly fee per child moves with each lever, 10% either way</title>
<desc id="tornado-desc">${chartDescription(shown, pointFee)}</desc>
<text x="${centre}" y="16" font-size="${CHART.font}" font-weight="700" fill="${CHART.ink}" text-anchor="middle">Fee at the point: ${gbp(pointFee)}</text>
<text x="0" y="34" font-size="${CHART.font}" fill="${CHART.muted}">← lower fee</text>
<text x="${CHART.width}" y="34" font-size="${CHART.font}" fill="${CHART.muted}" text-anchor="end">higher fee →</text>
${shown.map((lever, index) => chartRow(lever, index, scale))}</svg>`;
}

function sensitivityColumns(steps: string[]) {
  return {
    lever: { label: 'Lever' } as Column,
    value: { label: 'Value at the point', kind: 'num' } as Column,
    steps: steps.map((step): Column => ({ label: `Fee at ${stepWords(step)}`, kind: 'num' })),
    swing: { label: 'Swing', kind: 'num' } as Column,
  };
}

function sensitivityCell(column: Column, lever: SensitivityLever, point: SensitivityPoint | undefined) {
  if (point === undefined) return cell(column, '—');
  const value = html`<span class="muted note">at\u00a0${leverValue(lever.lever, point.value)}</span>`;
  if (point.weeklyFeePerChild === null) {
    return cell(column, html`<span class="note">${point.problem ?? '—'}</span>${value}`);
  }
  return cell(column, html`${gbp(point.weeklyFeePerChild)}${value}`);
}

/** A lever's value at the point; a pay group's is its pay as it stands there (an uplift of nil). */
const pointValue = (lever: SensitivityLever): SafeHtml | string =>
  lever.lever === 'payUplift'
    ? html`<span class="note">as at the point</span>`
    : leverValue(lever.lever, lever.value);

function sensitivityTable(report: ScenarioReport): SafeHtml {
  const { steps, levers } = report.sensitivity;
  const c = sensitivityColumns(steps);
  return dataTable({
    caption: 'The weekly fee per child with each lever moved, widest swing first',
    columns: [c.lever, c.value, ...c.steps, c.swing],
    rows: levers.map(
      (lever) =>
        html`<tr><th scope="row">${leverHeading(lever)}</th>${cell(c.value, pointValue(lever))}${steps.map((step, i) => sensitivityCell(c.steps[i]!, lever, pointAt(lever, step)))}${cell(c.swing, gbp(lever.swing))}</tr>\n`,
    ),
  });
}

function sensitivitySection(report: ScenarioReport): SafeHtml {
  const { levers } = report.sensitivity;
  const heading = html`<h2 id="sensitivity">Sensitivity: which lever moves the fee most</h2>`;
  const pointFee = report.point.weeklyFeePerChild;
  if (levers.length === 0 || pointFee === null) {
    return html`${heading}<p>No lever to vary: every lever of the point is nil.</p>`;
  }
  const more =
    levers.length > CHART_LEVERS
      ? html` The chart shows the ${CHART_LEVERS} levers with the widest swing; the table lists all ${count(levers.length)}.`
      : '';
  return html`${heading}
<p>Each lever is moved 10% and 5% either way from its value at the point (a pay group’s pay by an uplift of that much), one at a time, and the point priced again. The swing is the highest fee less the lowest, the point’s own fee included.${more}</p>
<figure style="margin: 1rem 0;">
${tornadoChart(levers, pointFee)}
<figcaption class="muted">Each lever’s upper bar is the fee with the lever 10% lower, its lower bar the fee with it 10% higher; the line is the point’s fee, ${gbp(pointFee)}.</figcaption>
</figure>
${sensitivityTable(report)}`;
}

// ── grids ───────────────────────────────────────────────────────────────────────────────────────

type ReportGrid = ScenarioReport['grids'][number];

function axisWords(grid: GridHead): string {
  return grid.axes
    .map((axis) => `${axis.label} (${count(axis.values.length)} value${axis.values.length === 1 ? '' : 's'})`)
    .join(' by ');
}

/** Two axes: the weekly fee of each combination, the first axis down and the second across. */
function matrixTable(grid: ReportGrid): SafeHtml {
  const [down, across] = grid.axes as [GridHead['axes'][number], GridHead['axes'][number]];
  const columns: Column[] = across.values.map((value) => ({
    label: leverValue(across.lever, value),
    kind: 'num',
  }));
  const rows = down.values.map((value, i) => {
    const cells = columns.map((column, j) => {
      const row = grid.rows[i * across.values.length + j];
      if (row === undefined) return cell(column, '—');
      if (row.weeklyFeePerChild !== null) return cell(column, gbp(row.weeklyFeePerChild));
      return cell(column, html`not priced<span class="muted note">${row.problem ?? ''}</span>`);
    });
    return html`<tr><th scope="row">${leverValue(down.lever, value)}</th>${cells}</tr>\n`;
  });
  return dataTable({
    caption: `${grid.name}: weekly fee per child, ${down.label} down, ${across.label} across`,
    columns: [{ label: `${down.label} ↓ · ${across.label} →` }, ...columns],
    rows,
  });
}

/** Short labels: on a phone each sits beside its value (the caption says per child per week). */
function rowsColumns(grid: GridHead) {
  return {
    // the first axis heads its row; the others may be long, so on a phone their label goes above
    axes: grid.axes.map((axis, a): Column => ({ label: axis.label, ...(a === 0 ? {} : { kind: 'text' }) })),
    fee: { label: 'Weekly fee', kind: 'num' } as Column,
    cost: { label: 'Weekly cost', kind: 'num' } as Column,
    surplus: { label: 'Weekly surplus', kind: 'num' } as Column,
    income: { label: 'Annual income', kind: 'num' } as Column,
    breakEven: { label: 'Break-even occupancy', kind: 'num' } as Column,
    problem: { label: 'Problem', kind: 'text' } as Column,
  };
}

function rowsTable(grid: ReportGrid, target: string, shown: GridRow[]): SafeHtml {
  const c = rowsColumns(grid);
  const rows = shown.map((row) => {
    const [first, ...rest] = row.at.map((value, a) => leverValue(grid.axes[a]!.lever, value));
    return html`<tr><th scope="row">${first ?? ''}</th>${rest.map((value, a) => cell(c.axes[a + 1]!, value))}${cell(c.fee, orDash(row.weeklyFeePerChild, gbp))}${cell(c.cost, orDash(row.weeklyCostPerChild, gbp))}${cell(c.surplus, orDash(row.weeklySurplusPerChild, gbp))}${cell(c.income, orDash(row.annualIncomeAtPlannedOccupancy, gbp))}${cell(c.breakEven, orDash(row.breakEvenOccupancy, percent))}${cell(c.problem, row.problem ?? '')}</tr>\n`;
  });
  return dataTable({
    caption: `${grid.name}: each combination; fee, cost and surplus per child per week, annual income at planned occupancy, break-even occupancy at ${gbp(target)} a week`,
    columns: [...c.axes, c.fee, c.cost, c.surplus, c.income, c.breakEven, c.problem],
    rows,
  });
}

const isMatrix = (grid: ReportGrid) =>
  grid.axes.length === 2 &&
  grid.axes[1]!.values.length <= MATRIX_MAX_COLUMNS &&
  grid.axes[0]!.values.length <= MATRIX_MAX_ROWS;

function gridSection(grid: ReportGrid, report: ScenarioReport): SafeHtml {
  const csv = report.scenario === undefined ? null : `${scenarioUrl(report.scenario.id)}?format=csv`;
  const heading = html`<h3>${grid.name}</h3>
<p>${axisWords(grid)}: ${count(grid.combinations)} combination${grid.combinations === 1 ? '' : 's'}, each priced from the point.</p>`;
  if (isMatrix(grid)) {
    const rest =
      csv === null
        ? 'the other figures of each combination are in the scenario as JSON or CSV'
        : html`the other figures of each combination are in the ${download(csv, 'csv', 'CSV')}`;
    return html`${heading}
${matrixTable(grid)}
<p class="muted">Each cell is the weekly fee per child; ${rest}.</p>`;
  }
  const shown = grid.rows.length > ROW_LIMIT ? grid.rows.slice(0, ROW_LIMIT) : grid.rows;
  const hidden = grid.rows.length - shown.length;
  const limit =
    hidden === 0
      ? ''
      : html`<p class="held-over" role="note" data-more-rows="${hidden}">Only the first ${count(shown.length)} of ${count(grid.rows.length)} combinations are shown: ${count(hidden)} more are not. ${csv === null ? 'Ask for the scenario as CSV to have them all.' : html`Download the ${download(csv, 'csv', 'CSV')} for all of them.`}</p>`;
  return html`${heading}
${limit}
${rowsTable(grid, report.breakEven.weeklyFee, shown)}`;
}

function gridsSection(report: ScenarioReport): SafeHtml | '' {
  if (report.grids.length === 0) return '';
  return html`<h2 id="grids">Grids</h2>
<p>Each grid prices every combination of its axes’ values, applied to the point. A combination the pricing method refuses is shown with its reason and no fee.</p>
${report.grids.map((grid) => gridSection(grid, report))}`;
}

// ── the page ────────────────────────────────────────────────────────────────────────────────────

const scenarioUrl = (id: string) => `/v1/scenarios/${encodeURIComponent(id)}`;

function scenarioDownloads(report: ScenarioReport): SafeHtml | '' {
  if (report.scenario === undefined) return '';
  const url = scenarioUrl(report.scenario.id);
  return downloads([
    html`${download(`${url}?format=json`, 'json', 'This scenario as JSON')}: the base, the changes, the point, break-even, sensitivity and every row of every grid.`,
    html`${download(`${url}?format=csv`, 'csv', 'This scenario as CSV')}: the same figures, every combination of every grid; opens in a spreadsheet.`,
    html`${download(`${url}?format=xlsx`, 'xlsx', 'This scenario as a workbook (XLSX)')}: a sheet for each part and for each grid.`,
  ]);
}

function savedFacts(report: ScenarioReport): SafeHtml | '' {
  const { scenario, base } = report;
  if (scenario === undefined) return '';
  const changed =
    base.kind === 'draft' && base.version !== null && base.version !== scenario.savedAgainstVersion;
  return html`<p>Saved by ${scenario.createdBy} on ${longDate(scenario.createdAt.slice(0, 10))}, against version ${scenario.savedAgainstVersion} of cost model draft ${code(scenario.costModelId)}.</p>
${changed ? html`<p class="held-over" role="note" data-draft-changed="true"><strong>The draft has changed</strong> since this scenario was saved (version ${scenario.savedAgainstVersion} then, version ${String(base.version)} now): the figures below are worked out from version ${String(base.version)}.</p>` : ''}`;
}

/** A scenario report (what a fee does as occupancy, pay, agency use or a cost line move) as a page. */
export function renderScenarioPage(report: ScenarioReport): string {
  const name = report.scenario?.name ?? 'Scenario';
  const pointFee = report.point.weeklyFeePerChild;
  const body = html`<h1>${name}</h1>
<p>A what-if on a cost model: the base with some levers moved, priced by the published pricing method. None of these figures is a published fee: nothing here is charged or signed.</p>
${savedFacts(report)}
<p class="muted">Weekly fee per child at the point</p>
<p class="fee">${orDash(pointFee, gbp)}</p>
${report.scenario === undefined ? '' : html`<p class="no-print"><a href="#downloads">Download this scenario as JSON, CSV or a workbook</a></p>`}

<h2 id="base">The base and the point</h2>
${baseTable(report)}
${changesSection(report)}
${figuresTable(report)}

${breakEvenSection(report)}

${sensitivitySection(report)}

${gridsSection(report)}

${scenarioDownloads(report)}`;
  return layout(report.scenario === undefined ? 'Scenario' : `Scenario: ${name}`, body);
}
