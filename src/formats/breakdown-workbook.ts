import { Dec } from '../domain/money.js';
import type { Breakdown } from '../domain/pricing/breakdown.js';
import {
  CENTRAL_CHARGES,
  ENHANCEMENTS,
  type InputLayout,
  lastRow,
  MODEL_COLUMNS,
  PROPERTY,
  planInputs,
  RELATED_PARTIES,
  RUNNING,
  STAFFING,
  type TableSpec,
} from './cost-model-sheets.js';
import {
  AND,
  add,
  addAll,
  div,
  type Expr,
  eq,
  ge,
  gt,
  IF,
  INT,
  le,
  MAX,
  MIN,
  mul,
  name,
  ne,
  num,
  type Range,
  type Ref,
  ROUND,
  rankIn,
  ref,
  type Scalar,
  str,
  sub,
  sumOf,
  sumWhere,
} from './formula.js';
import { type AboutFacts, Plan, planAbout, type SheetPlan, type Shown, toXlsx } from './workbook-plan.js';

// A breakdown as a live workbook (docs/workbooks.md): the cost model on input sheets
// (cost-model-sheets.ts), and every figure of the breakdown worked out from them by spreadsheet
// formulas that follow the method step by step: each staffing line's pay, on-costs and cover (§2), each
// line a year and per child a week, the surplus and the fee, the weekly, annual and share columns
// shared out by largest remainder with their floor, remainder and rank in helper columns (§3), the
// enhancements, and §6 the related parties' excess and the adjusted surplus rate.
//
// Spreadsheets carry about 15 significant digits in binary. So that their rounding errors never reach
// a penny, every figure is first taken to a millionth of its unit (`ROUND(x*100,6)` for pennies) and
// only then floored or rounded half-up; the service's own arithmetic is exact (method §2), and the two
// agree unless a figure lies within a millionth of a penny of a rounding boundary.
//
// Each formula cell carries its result; the published figures (the columns, the fee, the totals, the
// enhancements' charges, §6's figures) carry the service's own, which the tests prove are the same.

type Json = Record<string, unknown>;

// ── rounding as the method does it, in formulas ────────────────────────────────────────────────

/** x × 10^places to a millionth: the units a figure is floored or rounded in. */
function units(x: Expr, places = 2): Expr {
  return ROUND(mul(x, num(10 ** places)), num(6));
}

/**
 * The fraction cut off by a floor, to a millionth: `units − floor` subtracts two large binary numbers,
 * so two equal remainders (4/7 of a penny on two lines) would otherwise differ in the last bits and no
 * longer tie.
 */
function fraction(unitsCell: Expr, floor: Expr): Expr {
  return ROUND(sub(unitsCell, floor), num(6));
}

/** x half-up to `places` decimals (§3), through `units`. */
function halfUp(x: Expr, places = 2): Expr {
  return div(ROUND(units(x, places), num(0)), num(10 ** places));
}

/** §2 an amount a year of its frequency: weekly × W, monthly × 12, quarterly × 4, annual × 1. */
function annualFactor(frequency: Expr): Expr {
  return IF(
    eq(frequency, str('weekly')),
    name('Weeks'),
    IF(eq(frequency, str('monthly')), num(12), IF(eq(frequency, str('quarterly')), num(4), num(1))),
  );
}

/** A column of a list's rows, for SUM, rank and lookups. */
function rangeOf(sheet: string, col: number, from: number, to: number): Range {
  return { sheet, col, from, to };
}

interface Working {
  header: string;
  note: string;
  shown: Shown;
  formula: (row: number, c: (field: string) => Expr) => Expr;
  /** The column's key, to refer to it. */
  key?: string;
}

/**
 * Working columns to the right of a list's inputs, after one empty column: one per `Working`, with
 * its header and note. Returns each keyed column's number.
 */
function addWorkings(
  layout: InputLayout,
  spec: TableSpec,
  workings: readonly Working[],
): Map<string, number> {
  const table = layout.tables.get(spec.sheet)!;
  const { sheet, columns, rows } = table;
  const start = spec.columns.length + 2;
  const keys = new Map<string, number>();
  const c = (row: number) => (field: string) => {
    const col = columns.get(field) ?? keys.get(field);
    if (col === undefined) throw new Error(`No column ${field} on ${spec.sheet}`);
    return ref(spec.sheet, col, row);
  };
  workings.forEach((working, i) => {
    const col = start + i;
    if (working.key !== undefined) keys.set(working.key, col);
    sheet.text(col, 1, working.header, 'header', working.note);
    sheet.width(col, 16);
    for (let row = 2; row < rows + 2; row += 1) {
      sheet.put(col, row, { formula: working.formula(row, c(row)) }, working.shown, 'working');
    }
  });
  return keys;
}

const W = () => name('Weeks');
const P = () => name('Places');

// ── the sheets' workings ────────────────────────────────────────────────────────────────────────

/** §2 the period, the places, absence cover and the central share, below the Model sheet's inputs. */
function modelWorkings(plan: Plan, layout: InputLayout): void {
  const sheet = layout.model;
  const { label, value, note } = MODEL_COLUMNS;
  let r = layout.modelEnd + 1;
  sheet.text(label, r, 'Workings (§2)', 'title');
  r += 1;
  const rows: [string, string, Expr, Shown, string][] = [
    [
      'Days',
      'Days in the period, D',
      add(sub(name('PeriodEnd'), name('PeriodStart')), num(1)),
      'integer',
      'Both the first and the last day counted.',
    ],
    ['Weeks', 'Weeks in the period, W', div(name('Days'), num(7)), 'exact', 'W = D ÷ 7, not rounded.'],
    [
      'Places',
      'Planned occupied places, P',
      mul(name('RegisteredPlaces'), name('PlannedOccupancy')),
      'exact',
      'P = registered places × planned occupancy.',
    ],
    [
      'AbsenceDays',
      'Absence days, A',
      addAll(name('LeaveDays'), name('SicknessDays'), name('TrainingDays')),
      'quantity',
      'A = annual leave + sickness + training.',
    ],
    [
      'CoverUplift',
      'Cover uplift, u',
      div(name('AbsenceDays'), sub(name('WorkingDays'), name('AbsenceDays'))),
      'exact',
      'u = A ÷ (working days − A).',
    ],
    [
      'AgencyFactor',
      'Agency factor',
      add(num(1), mul(name('AgencyShare'), name('AgencyPremium'))),
      'exact',
      '1 + agency share × agency premium.',
    ],
    [
      'CentralOverhead',
      'Central overhead a year',
      IF(
        ne(name('CentralShare'), str('')),
        name('CentralShare'),
        div(mul(name('CentralPool'), name('HomeUnits')), name('TotalUnits')),
      ),
      'exact',
      "The home's share (§7) when given, else pool × home units ÷ total units.",
    ],
  ];
  for (const [defined, text, formula, shown, words] of rows) {
    sheet.text(label, r, text);
    plan.define(defined, sheet.put(value, r, { formula }, shown, 'working'));
    sheet.text(note, r, words);
    r += 1;
  }
}

/** §2 each staffing line: pay per FTE, gross pay g, on-costs per person, the line's costs, cover and h. */
function staffingWorkings(layout: InputLayout): Map<string, number> {
  return addWorkings(layout, STAFFING, [
    {
      key: 'pay',
      header: 'payPerFte',
      note: 'annualSalaryFte, or hourlyRate × FTE hours × W.',
      shown: 'exact',
      formula: (_, c) =>
        IF(
          ne(c('annualSalaryFte'), str('')),
          c('annualSalaryFte'),
          mul(mul(c('hourlyRate'), name('FteHours')), W()),
        ),
    },
    {
      key: 'gross',
      header: 'grossPerPerson',
      note: 'g = pay per FTE × FTE × (1 + enhancement rate) + allowances.',
      shown: 'exact',
      formula: (_, c) =>
        add(
          mul(mul(c('pay'), c('ftePerPerson')), add(num(1), c('enhancementRate'))),
          c('allowancesAnnualPerPerson'),
        ),
    },
    {
      key: 'ni',
      header: 'niPerPerson',
      note: 'max(0, g − NI threshold) × NI rate.',
      shown: 'exact',
      formula: (_, c) => mul(MAX(num(0), sub(c('gross'), name('NiThreshold'))), name('NiRate')),
    },
    {
      key: 'pension',
      header: 'pensionPerPerson',
      note: 'g × rate; or on qualifying earnings, max(0, min(g, upper) − lower) × rate.',
      shown: 'exact',
      formula: (_, c) =>
        IF(
          eq(name('PensionBasis'), str('gross')),
          mul(c('gross'), name('PensionRate')),
          mul(
            MAX(num(0), sub(MIN(c('gross'), name('PensionUpper')), name('PensionLower'))),
            name('PensionRate'),
          ),
        ),
    },
    {
      key: 'levy',
      header: 'levyPerPerson',
      note: 'g × apprenticeship levy rate.',
      shown: 'exact',
      formula: (_, c) => mul(c('gross'), name('LevyRate')),
    },
    {
      key: 'payLine',
      header: 'STAFF_PAY',
      note: 'headcount × g: the line of the breakdown.',
      shown: 'exact',
      formula: (_, c) => mul(c('headcount'), c('gross')),
    },
    {
      key: 'niLine',
      header: 'employerNi',
      note: 'headcount × NI per person.',
      shown: 'exact',
      formula: (_, c) => mul(c('headcount'), c('ni')),
    },
    {
      key: 'pensionLine',
      header: 'employerPension',
      note: 'headcount × pension per person.',
      shown: 'exact',
      formula: (_, c) => mul(c('headcount'), c('pension')),
    },
    {
      key: 'levyLine',
      header: 'apprenticeshipLevy',
      note: 'headcount × levy per person.',
      shown: 'exact',
      formula: (_, c) => mul(c('headcount'), c('levy')),
    },
    {
      key: 'employment',
      header: 'employmentCost',
      note: 'E = pay + NI + pension + levy of the line.',
      shown: 'exact',
      formula: (_, c) => addAll(c('payLine'), c('niLine'), c('pensionLine'), c('levyLine')),
    },
    {
      key: 'cover',
      header: 'absenceCover',
      note: 'When requiresCover: E × u × agency factor.',
      shown: 'exact',
      formula: (_, c) =>
        IF(c('requiresCover'), mul(mul(c('employment'), name('CoverUplift')), name('AgencyFactor')), num(0)),
    },
    {
      key: 'loaded',
      header: 'loadedHourlyCost',
      note: 'h = (E + cover) ÷ (headcount × FTE × FTE hours × W), for enhancements.',
      shown: 'exact',
      formula: (_, c) =>
        div(
          add(c('employment'), c('cover')),
          mul(mul(mul(c('headcount'), c('ftePerPerson')), name('FteHours')), W()),
        ),
    },
  ]);
}

/** §2 a property or running line a year, §6 its market amount and excess (each also half-up to pennies). */
function lineWorkings(layout: InputLayout, spec: TableSpec, perChild?: (c: (field: string) => Expr) => Expr) {
  const paidTo = (c: (field: string) => Expr) => ne(c('relatedPartyId'), str(''));
  const annual = (amount: Expr, c: (field: string) => Expr) => {
    const yearly = mul(amount, annualFactor(c('frequency')));
    return perChild === undefined ? yearly : mul(yearly, perChild(c));
  };
  return addWorkings(layout, spec, [
    {
      key: 'annual',
      header: 'annualAmount',
      note: 'amount × 52.14… (W), 12, 4 or 1 by frequency; a per_child line × P too.',
      shown: 'exact',
      formula: (_, c) => annual(c('amount'), c),
    },
    {
      key: 'market',
      header: 'marketAnnualAmount',
      note: '§6: the market amount a year, the same way.',
      shown: 'exact',
      formula: (_, c) => IF(paidTo(c), annual(c('marketAmount'), c), num(0)),
    },
    {
      key: 'excess',
      header: 'excessAnnual',
      note: '§6: max(0, amount − market amount) a year.',
      shown: 'exact',
      formula: (_, c) => IF(paidTo(c), MAX(num(0), sub(c('annual'), c('market'))), num(0)),
    },
    {
      key: 'excessPennies',
      header: 'excessAnnual (pennies)',
      note: '§6: the excess half-up to pennies, as the breakdown lists it.',
      shown: 'money',
      formula: (_, c) => halfUp(c('excess')),
    },
  ]);
}

/** §6 a part of the central pool paid to a related party: this home's share of it and of its excess. */
function chargeWorkings(layout: InputLayout) {
  const share = (x: Expr) => div(mul(x, name('HomeUnits')), name('TotalUnits'));
  return addWorkings(layout, CENTRAL_CHARGES, [
    {
      key: 'paid',
      header: 'homeShare',
      note: 'amountAnnual × home units ÷ total units.',
      shown: 'exact',
      formula: (_, c) => share(c('amountAnnual')),
    },
    {
      key: 'market',
      header: 'marketHomeShare',
      note: 'marketAmountAnnual × home units ÷ total units.',
      shown: 'exact',
      formula: (_, c) => share(c('marketAmountAnnual')),
    },
    {
      key: 'excess',
      header: 'excessAnnual',
      note: 'max(0, share − market share).',
      shown: 'exact',
      formula: (_, c) => MAX(num(0), sub(c('paid'), c('market'))),
    },
    {
      key: 'excessPennies',
      header: 'excessAnnual (pennies)',
      note: 'The excess half-up to pennies.',
      shown: 'money',
      formula: (_, c) => halfUp(c('excess')),
    },
  ]);
}

// ── the breakdown ───────────────────────────────────────────────────────────────────────────────

/** The breakdown sheet's columns. */
export const BREAKDOWN_COLUMNS = {
  code: 1,
  category: 2,
  description: 3,
  annual: 4,
  weekly: 5,
  weeklyUnits: 6,
  weeklyFloor: 7,
  weeklyRemainder: 8,
  weeklyRank: 9,
  weeklyPublished: 10,
  annualUnits: 11,
  annualFloor: 12,
  annualRemainder: 13,
  annualRank: 14,
  annualPublished: 15,
  shareUnits: 16,
  shareFloor: 17,
  shareRemainder: 18,
  shareRank: 19,
  sharePublished: 20,
  basis: 21,
} as const;
const B = BREAKDOWN_COLUMNS;

const BREAKDOWN_HEADERS: Record<keyof typeof B, [string, string]> = {
  code: ['code', 'The line code of §1.'],
  category: ['category', ''],
  description: ['description', ''],
  annual: ['annual (exact)', 'The line a year, not rounded: from the input sheets.'],
  weekly: ['weekly per child (exact)', 'annual ÷ W ÷ P, not rounded.'],
  weeklyUnits: ['weekly, pennies', 'The weekly figure in pennies, to a millionth of a penny.'],
  weeklyFloor: ['floor', 'Whole pennies, rounded down (§3).'],
  weeklyRemainder: [
    'remainder',
    'The fraction of a penny cut off; −1 for a line that is exactly 0 (not shown).',
  ],
  weeklyRank: ['rank', 'Largest remainder first; between equal remainders, the line that comes first.'],
  weeklyPublished: [
    'weeklyPerChild',
    'Floor + 1 penny when the rank is within the pennies missing: the published column.',
  ],
  annualUnits: ['annual, pennies', 'The annual figure in pennies, to a millionth of a penny.'],
  annualFloor: ['floor', 'Whole pennies, rounded down.'],
  annualRemainder: ['remainder', 'The fraction of a penny cut off; −1 for a line that is exactly 0.'],
  annualRank: ['rank', 'Largest remainder first; ties to the line that comes first.'],
  annualPublished: ['annualAmount', 'The published annual column.'],
  shareUnits: ['share, 1/10000', 'The published weekly figure as ten-thousandths of the fee.'],
  shareFloor: ['floor', 'Whole ten-thousandths, rounded down.'],
  shareRemainder: ['remainder', 'The fraction cut off; −1 for a line that is exactly 0.'],
  shareRank: ['rank', 'Largest remainder first; ties to the line that comes first.'],
  sharePublished: ['shareOfFee', 'The published share of the fee.'],
  basis: ['basis (as published)', "The service's sentence for the line, as published."],
};

interface LineRow {
  code: Expr | string;
  category: string;
  description: Expr | string;
  annual: Expr;
}

/** The first row of the breakdown's lines. */
export const FIRST_LINE = 18;

function breakdownLines(
  layout: InputLayout,
  staffing: Map<string, number>,
  property: Map<string, number>,
  running: Map<string, number>,
): LineRow[] {
  const staffRows = layout.tables.get(STAFFING.sheet)!.rows;
  const propertyRows = layout.tables.get(PROPERTY.sheet)!.rows;
  const runningRows = layout.tables.get(RUNNING.sheet)!.rows;
  const staffColumn = (key: string) => rangeOf(STAFFING.sheet, staffing.get(key)!, 2, lastRow(staffRows));
  const lines: LineRow[] = [];
  for (let r = 2; r < staffRows + 2; r += 1) {
    lines.push({
      code: 'STAFF_PAY',
      category: 'staffing',
      description: ref(STAFFING.sheet, 2, r),
      annual: ref(STAFFING.sheet, staffing.get('payLine')!, r),
    });
  }
  lines.push(
    {
      code: 'STAFF_EMPLOYER_NI',
      category: 'staffing',
      description: 'Employer National Insurance',
      annual: sumOf(staffColumn('niLine')),
    },
    {
      code: 'STAFF_EMPLOYER_PENSION',
      category: 'staffing',
      description: 'Employer pension',
      annual: sumOf(staffColumn('pensionLine')),
    },
    {
      code: 'STAFF_APPRENTICESHIP_LEVY',
      category: 'staffing',
      description: 'Apprenticeship levy',
      annual: sumOf(staffColumn('levyLine')),
    },
    {
      code: 'STAFF_ABSENCE_COVER',
      category: 'staffing',
      description: 'Absence cover',
      annual: sumOf(staffColumn('cover')),
    },
  );
  for (let r = 2; r < propertyRows + 2; r += 1) {
    lines.push({
      code: ref(PROPERTY.sheet, 1, r),
      category: 'property',
      description: ref(PROPERTY.sheet, 2, r),
      annual: ref(PROPERTY.sheet, property.get('annual')!, r),
    });
  }
  for (let r = 2; r < runningRows + 2; r += 1) {
    lines.push({
      code: ref(RUNNING.sheet, 1, r),
      category: 'running',
      description: ref(RUNNING.sheet, 2, r),
      annual: ref(RUNNING.sheet, running.get('annual')!, r),
    });
  }
  lines.push({
    code: 'CENTRAL_OVERHEAD',
    category: 'central',
    description: 'Central overhead',
    annual: name('CentralOverhead'),
  });
  return lines;
}

/** A cell that is text typed in, or a formula giving text. */
function textCell(sheet: SheetPlan, col: number, row: number, value: Expr | string): void {
  if (typeof value === 'string') sheet.text(col, row, value);
  else sheet.put(col, row, { formula: value }, 'text', 'working');
}

/** §3 one column shared out by largest remainder: units, floor, remainder, rank, published. */
function allocate(
  sheet: SheetPlan,
  rows: { from: number; to: number },
  cols: { units: number; floor: number; remainder: number; rank: number; published: number },
  source: (row: number) => Expr,
  missing: string,
  scale: number,
): void {
  const host = sheet.name;
  const remainders = rangeOf(host, cols.remainder, rows.from, rows.to);
  for (let row = rows.from; row <= rows.to; row += 1) {
    const at = (col: number) => ref(host, col, row);
    sheet.put(cols.units, row, { formula: source(row) }, 'exact', 'working');
    sheet.put(cols.floor, row, { formula: INT(at(cols.units)) }, 'integer', 'working');
    sheet.put(
      cols.remainder,
      row,
      { formula: IF(eq(at(B.annual), num(0)), num(-1), fraction(at(cols.units), at(cols.floor))) },
      'exact',
      'working',
    );
    sheet.put(
      cols.rank,
      row,
      { formula: rankIn(remainders, { sheet: host, col: cols.remainder, row }) },
      'integer',
      'working',
    );
    sheet.put(
      cols.published,
      row,
      { formula: div(add(at(cols.floor), IF(le(at(cols.rank), name(missing)), num(1), num(0))), num(scale)) },
      scale === 100 ? 'money' : 'quantity',
      'published',
    );
  }
}

function planBreakdown(
  plan: Plan,
  sheet: SheetPlan,
  layout: InputLayout,
  keys: {
    staffing: Map<string, number>;
    property: Map<string, number>;
    running: Map<string, number>;
    charges: Map<string, number>;
  },
  hasParties: boolean,
): { first: number; surplusRow: number } {
  const lines = breakdownLines(layout, keys.staffing, keys.property, keys.running);
  const first = FIRST_LINE;
  const surplusRow = first + lines.length;
  const last = surplusRow;
  const at = (col: number, row: number) => ref(sheet.name, col, row);
  const column = (col: number, to = last) => rangeOf(sheet.name, col, first, to);

  // the header and the lines
  for (const [key, col] of Object.entries(B)) {
    const [header, note] = BREAKDOWN_HEADERS[key as keyof typeof B];
    sheet.text(col, first - 1, header, 'header', note === '' ? undefined : note);
    sheet.width(col, col === B.description || col === B.basis ? 36 : 14);
  }
  lines.forEach((line, i) => {
    const row = first + i;
    textCell(sheet, B.code, row, line.code);
    sheet.text(B.category, row, line.category);
    textCell(sheet, B.description, row, line.description);
    sheet.put(B.annual, row, { formula: line.annual }, 'exact', 'working');
  });
  sheet.text(B.code, surplusRow, 'SURPLUS');
  sheet.text(B.category, surplusRow, 'surplus');
  sheet.text(B.description, surplusRow, 'Surplus');
  sheet.put(
    B.annual,
    surplusRow,
    { formula: mul(sumOf(column(B.annual, surplusRow - 1)), name('SurplusRate')) },
    'exact',
    'working',
  );
  for (let row = first; row <= last; row += 1) {
    sheet.put(B.weekly, row, { formula: div(div(at(B.annual, row), W()), P()) }, 'exact', 'working');
  }
  const rows = { from: first, to: last };
  allocate(
    sheet,
    rows,
    {
      units: B.weeklyUnits,
      floor: B.weeklyFloor,
      remainder: B.weeklyRemainder,
      rank: B.weeklyRank,
      published: B.weeklyPublished,
    },
    (row) => units(at(B.weekly, row)),
    'WeeklyMissing',
    100,
  );
  allocate(
    sheet,
    rows,
    {
      units: B.annualUnits,
      floor: B.annualFloor,
      remainder: B.annualRemainder,
      rank: B.annualRank,
      published: B.annualPublished,
    },
    (row) => units(at(B.annual, row)),
    'AnnualMissing',
    100,
  );
  allocate(
    sheet,
    rows,
    {
      units: B.shareUnits,
      floor: B.shareFloor,
      remainder: B.shareRemainder,
      rank: B.shareRank,
      published: B.sharePublished,
    },
    (row) =>
      IF(
        gt(name('FeeWeekly'), num(0)),
        ROUND(div(mul(at(B.weeklyPublished, row), num(10000)), name('FeeWeekly')), num(6)),
        num(0),
      ),
    'ShareMissing',
    10000,
  );
  // totals
  const totals = last + 1;
  sheet.text(B.description, totals, 'Total', 'header');
  for (const col of [B.annual, B.weekly, B.weeklyPublished, B.annualPublished, B.sharePublished]) {
    sheet.put(
      col,
      totals,
      { formula: sumOf(column(col)) },
      col === B.sharePublished ? 'quantity' : col === B.annual || col === B.weekly ? 'exact' : 'money',
      'published',
    );
  }

  // the summary above the lines
  const summary: [string, string, Expr, Shown, 'published' | 'working', string][] = [
    [
      'FeeWeekly',
      'Weekly fee per child',
      halfUp(sumOf(column(B.weekly))),
      'money',
      'published',
      'The sum of the exact weekly figures (cost + surplus), half-up to pennies (§3.1).',
    ],
    [
      'CostWeekly',
      'Weekly cost per child',
      sub(name('FeeWeekly'), at(B.weeklyPublished, surplusRow)),
      'money',
      'published',
      'The fee less the published surplus line.',
    ],
    [
      'SurplusWeekly',
      'Weekly surplus per child',
      at(B.weeklyPublished, surplusRow),
      'money',
      'published',
      'The SURPLUS line of the weekly column.',
    ],
    [
      'Income',
      'Annual income at planned occupancy',
      halfUp(sumOf(column(B.annual))),
      'money',
      'published',
      'F × W × P: the sum of the exact annual figures, half-up (§3.3).',
    ],
    [
      'SurplusShare',
      'Surplus as a share of the fee',
      halfUp(div(name('SurplusRate'), add(num(1), name('SurplusRate'))), 4),
      'quantity',
      'published',
      'rate ÷ (1 + rate), 4 places.',
    ],
    [
      'WeeklyMissing',
      'Pennies the weekly floors fall short',
      sub(ROUND(mul(name('FeeWeekly'), num(100)), num(0)), sumOf(column(B.weeklyFloor))),
      'integer',
      'working',
      'Given one each to the lines ranked 1, 2, … by remainder.',
    ],
    [
      'AnnualMissing',
      'Pennies the annual floors fall short',
      sub(ROUND(mul(name('Income'), num(100)), num(0)), sumOf(column(B.annualFloor))),
      'integer',
      'working',
      'Given one each by rank.',
    ],
    [
      'ShareMissing',
      'Ten-thousandths the share floors fall short',
      IF(gt(name('FeeWeekly'), num(0)), sub(num(10000), sumOf(column(B.shareFloor))), num(0)),
      'integer',
      'working',
      'Given one each by rank.',
    ],
    [
      'CostExact',
      'Cost per child a week, C (exact)',
      sumOf(column(B.weekly, surplusRow - 1)),
      'exact',
      'working',
      'The sum of the cost lines, not rounded.',
    ],
    [
      'SurplusExact',
      'Surplus per child a week, S (exact)',
      at(B.weekly, surplusRow),
      'exact',
      'working',
      'C × surplus rate, not rounded.',
    ],
  ];
  if (hasParties) {
    const tables = layout.tables;
    const excessOf = (spec: TableSpec, key: string, map: Map<string, number>) =>
      sumOf(rangeOf(spec.sheet, map.get(key)!, 2, lastRow(tables.get(spec.sheet)!.rows)));
    summary.push(
      [
        'ExcessExact',
        'Paid to related parties above market, per child a week, X (exact)',
        div(
          div(
            addAll(
              excessOf(PROPERTY, 'excess', keys.property),
              excessOf(RUNNING, 'excess', keys.running),
              excessOf(CENTRAL_CHARGES, 'excess', keys.charges),
            ),
            W(),
          ),
          P(),
        ),
        'exact',
        'working',
        '§6: the excesses a year ÷ W ÷ P.',
      ],
      [
        'ExcessWeekly',
        'Related-party excess per child a week',
        halfUp(name('ExcessExact')),
        'money',
        'published',
        '§6: X half-up.',
      ],
      [
        'AdjustedRate',
        'Adjusted surplus rate',
        IF(
          gt(sub(name('CostExact'), name('ExcessExact')), num(0)),
          halfUp(
            div(add(name('SurplusExact'), name('ExcessExact')), sub(name('CostExact'), name('ExcessExact'))),
            6,
          ),
          num(0),
        ),
        'quantity',
        'published',
        '§6: (S + X) ÷ (C − X), 6 places; it may not be above the cap.',
      ],
    );
  }
  sheet.text(1, 1, 'Breakdown', 'title');
  sheet.width(1, 26);
  summary.forEach(([defined, label, formula, shown, role, note], i) => {
    const row = 2 + i;
    sheet.text(B.category, row, label);
    plan.define(defined, sheet.put(B.description, row, { formula }, shown, role));
    sheet.text(B.annual, row, note);
  });
  return { first, surplusRow };
}

/** §2–§3 an enhancement: h of its staffing line, its cost and surplus a week, its charge and two lines. */
function enhancementWorkings(layout: InputLayout, staffing: Map<string, number>) {
  const staffRows = layout.tables.get(STAFFING.sheet)!.rows;
  const ids = rangeOf(STAFFING.sheet, 1, 2, lastRow(staffRows));
  const loaded = rangeOf(STAFFING.sheet, staffing.get('loaded')!, 2, lastRow(staffRows));
  return addWorkings(layout, ENHANCEMENTS, [
    {
      key: 'h',
      header: 'loadedHourlyCost (exact)',
      note: "h of the staffing line it names (Staffing's loadedHourlyCost).",
      shown: 'exact',
      formula: (_, c) => sumWhere(ids, c('roleId'), loaded),
    },
    {
      key: 'cost',
      header: 'weeklyCost (exact)',
      note: 'hours × h, h not rounded.',
      shown: 'exact',
      formula: (_, c) => mul(c('hoursPerWeek'), c('h')),
    },
    {
      key: 'surplus',
      header: 'surplus (exact)',
      note: 'The cost × the surplus rate.',
      shown: 'exact',
      formula: (_, c) => mul(c('cost'), name('SurplusRate')),
    },
    {
      key: 'charge',
      header: 'weeklyCharge',
      note: 'Cost + surplus, half-up (§3.4).',
      shown: 'money',
      formula: (_, c) => halfUp(add(c('cost'), c('surplus'))),
    },
    {
      key: 'loadedPublished',
      header: 'loadedHourlyCost',
      note: 'h half-up.',
      shown: 'money',
      formula: (_, c) => halfUp(c('h')),
    },
    {
      key: 'costPublished',
      header: 'weeklyCost',
      note: 'The cost half-up (for information).',
      shown: 'money',
      formula: (_, c) => halfUp(c('cost')),
    },
    {
      key: 'costUnits',
      header: 'cost, pennies',
      note: 'To a millionth of a penny.',
      shown: 'exact',
      formula: (_, c) => units(c('cost')),
    },
    {
      key: 'surplusUnits',
      header: 'surplus, pennies',
      note: 'To a millionth of a penny.',
      shown: 'exact',
      formula: (_, c) => units(c('surplus')),
    },
    {
      key: 'missing',
      header: 'missing pennies',
      note: 'The charge in pennies less the two floors.',
      shown: 'integer',
      formula: (_, c) =>
        sub(sub(ROUND(mul(c('charge'), num(100)), num(0)), INT(c('costUnits'))), INT(c('surplusUnits'))),
    },
    {
      key: 'costRemainder',
      header: 'cost remainder',
      note: '−1 when the cost is 0.',
      shown: 'exact',
      formula: (_, c) => IF(eq(c('cost'), num(0)), num(-1), fraction(c('costUnits'), INT(c('costUnits')))),
    },
    {
      key: 'surplusRemainder',
      header: 'surplus remainder',
      note: '−1 when the surplus is 0.',
      shown: 'exact',
      formula: (_, c) =>
        IF(eq(c('surplus'), num(0)), num(-1), fraction(c('surplusUnits'), INT(c('surplusUnits')))),
    },
    {
      key: 'staffLine',
      header: 'ENHANCEMENT_STAFFING',
      note: 'Floor + a penny when 2 are missing, or 1 and its remainder is not below the surplus’s.',
      shown: 'money',
      formula: (_, c) =>
        div(
          add(
            INT(c('costUnits')),
            IF(
              ge(c('missing'), num(2)),
              num(1),
              IF(
                AND(eq(c('missing'), num(1)), ge(c('costRemainder'), c('surplusRemainder'))),
                num(1),
                num(0),
              ),
            ),
          ),
          num(100),
        ),
    },
    {
      key: 'surplusLine',
      header: 'SURPLUS',
      note: 'Floor + a penny when 2 are missing, or 1 and its remainder is above the cost’s.',
      shown: 'money',
      formula: (_, c) =>
        div(
          add(
            INT(c('surplusUnits')),
            IF(
              ge(c('missing'), num(2)),
              num(1),
              IF(
                AND(eq(c('missing'), num(1)), gt(c('surplusRemainder'), c('costRemainder'))),
                num(1),
                num(0),
              ),
            ),
          ),
          num(100),
        ),
    },
  ]);
}

/** §6 each related party's excess a year: the sum of its lines' excesses, each half-up. */
function partyWorkings(
  layout: InputLayout,
  keys: { property: Map<string, number>; running: Map<string, number>; charges: Map<string, number> },
) {
  const tables = layout.tables;
  const keyed = (spec: TableSpec, map: Map<string, number>, c: (field: string) => Expr) => {
    const rows = lastRow(tables.get(spec.sheet)!.rows);
    const partyCol = tables.get(spec.sheet)!.columns.get('relatedPartyId')!;
    return sumWhere(
      rangeOf(spec.sheet, partyCol, 2, rows),
      c('id'),
      rangeOf(spec.sheet, map.get('excessPennies')!, 2, rows),
    );
  };
  return addWorkings(layout, RELATED_PARTIES, [
    {
      key: 'excess',
      header: 'excessAnnual',
      note: 'The sum of the excesses of the lines and central charges paid to the party, each half-up.',
      shown: 'money',
      formula: (_, c) =>
        addAll(
          keyed(PROPERTY, keys.property, c),
          keyed(RUNNING, keys.running, c),
          keyed(CENTRAL_CHARGES, keys.charges, c),
        ),
    },
  ]);
}

// ── the service's figures as the cached results ──────────────────────────────────────────────────

function money(text: string): Scalar {
  return new Dec(text);
}

/**
 * The published cells carry the breakdown's own figures: the lines that are not exactly zero are
 * the breakdown's lines in order; the summary's and the enhancements' figures are its figures.
 */
function publish(
  plan: Plan,
  sheet: SheetPlan,
  rows: { first: number; surplusRow: number },
  breakdown: Breakdown,
  layout: InputLayout,
  enhancementKeys: Map<string, number>,
  partyKeys: Map<string, number>,
): void {
  const set = (ref_: Ref, value: string) => {
    const content = plan.book.content(ref_);
    if (content !== undefined && 'formula' in content)
      plan.book.set(ref_, { formula: content.formula, published: money(value) });
  };
  let next = 0;
  for (let row = rows.first; row <= rows.surplusRow; row += 1) {
    const annual = plan.book.value(sheet.ref(B.annual, row));
    if (annual === null || (typeof annual === 'object' && annual.isZero())) continue;
    const line = breakdown.lines[next];
    next += 1;
    if (line === undefined) continue;
    set(sheet.ref(B.weeklyPublished, row), line.weeklyPerChild);
    set(sheet.ref(B.annualPublished, row), line.annualAmount);
    set(sheet.ref(B.sharePublished, row), line.shareOfFee);
    sheet.text(B.basis, row, line.basis);
  }
  const byName = (defined: string, value: string | undefined) => {
    const target = plan.book.names.get(defined);
    if (target !== undefined && value !== undefined) set(target, value);
  };
  byName('FeeWeekly', breakdown.weeklyFeePerChild);
  byName('CostWeekly', breakdown.weeklyCostPerChild);
  byName('SurplusWeekly', breakdown.weeklySurplusPerChild);
  byName('Income', breakdown.annualIncomeAtPlannedOccupancy);
  byName('SurplusShare', breakdown.surplusShareOfFee);
  byName('ExcessWeekly', breakdown.relatedPartyExcessWeeklyPerChild);
  byName('AdjustedRate', breakdown.adjustedSurplusRate);
  const enhancements = layout.tables.get(ENHANCEMENTS.sheet)!.sheet;
  breakdown.enhancements.forEach((enhancement, i) => {
    const row = 2 + i;
    const at = (key: string) => enhancements.ref(enhancementKeys.get(key)!, row);
    set(at('charge'), enhancement.weeklyCharge);
    set(at('loadedPublished'), enhancement.loadedHourlyCost);
    set(at('costPublished'), enhancement.weeklyCost);
    for (const line of enhancement.lines)
      set(at(line.code === 'SURPLUS' ? 'surplusLine' : 'staffLine'), line.weeklyAmount);
  });
  const parties = layout.tables.get(RELATED_PARTIES.sheet)!.sheet;
  (breakdown.relatedParties ?? []).forEach((party, i) => {
    set(parties.ref(partyKeys.get('excess')!, 2 + i), party.excessAnnual);
  });
}

// ── the About sheet: how to use it ─────────────────────────────────────────────────────────────────────────────

const HOW_TO_USE = [
  'The yellow cells on the Model, Staffing, Property, Running, Central charges, Related parties and Enhancements sheets are the cost model, as the method (§1) defines it.',
  'The Breakdown sheet works out every line, the weekly and annual columns, the shares, the surplus and the fee from them with formulas; the columns are shared out by largest remainder (§3) in the floor, remainder and rank columns beside them.',
  'Change an input and recalculate (LibreOffice: Data ▸ Calculate ▸ Recalculate Hard, Ctrl+Shift+F9; Excel: Ctrl+Alt+F9): the Breakdown gives the fee the service would quote for the changed model (POST /v1/quotes).',
  'The figures saved in this file are the service’s own, so a reader that does not recalculate sees the published figures.',
  'Spreadsheets carry about 15 significant digits, so each figure is taken to a millionth of a penny (ROUND(x*100,6)) before it is floored or rounded; the service works exactly, and the two agree unless a figure falls within a millionth of a penny of a rounding boundary.',
  'Adding a line: insert a row within a list and extend the formulas of the sheets that sum it, or change the model through the service and download the workbook again.',
];

// ── the workbook ────────────────────────────────────────────────────────────────────────────────

/**
 * The plan of a breakdown's live workbook: About, Breakdown, then the input sheets with their
 * workings. `model` is the cost model as stored; a model that names `ratesFrom` is shown with the
 * rates its table gave (the breakdown's `rates`).
 */
export function planBreakdownWorkbook(model: Json, breakdown: Breakdown, about: AboutFacts): Plan {
  const plan = new Plan();
  const aboutSheet = plan.sheet('About');
  const breakdownSheet = plan.sheet('Breakdown');
  const layout = planInputs(plan, { ...model, rates: breakdown.rates });
  modelWorkings(plan, layout);
  const staffing = staffingWorkings(layout);
  const property = lineWorkings(layout, PROPERTY);
  const running = lineWorkings(layout, RUNNING, (c) => IF(eq(c('basis'), str('per_child')), P(), num(1)));
  const charges = chargeWorkings(layout);
  const keys = { staffing, property, running, charges };
  const rows = planBreakdown(plan, breakdownSheet, layout, keys, model.relatedParties !== undefined);
  const enhancements = enhancementWorkings(layout, staffing);
  const parties = partyWorkings(layout, keys);
  publish(plan, breakdownSheet, rows, breakdown, layout, enhancements, parties);
  breakdownSheet.frozen = { cols: 1, rows: FIRST_LINE - 1 };
  planAbout(aboutSheet, about, HOW_TO_USE);
  return plan;
}

/** The live workbook of a breakdown, as bytes (the same bytes for the same schedule). */
export function breakdownWorkbook(model: Json, breakdown: Breakdown, about: AboutFacts): Promise<Buffer> {
  return toXlsx(planBreakdownWorkbook(model, breakdown, about), about.asOf);
}
