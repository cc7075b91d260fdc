import { Dec } from '../domain/money.js';
import {
  CENTRAL_BASES,
  FREQUENCIES,
  PENSION_BASES,
  PROPERTY_CODES,
  RELATED_PARTY_RELATIONSHIPS,
  RUNNING_BASES,
  RUNNING_CODES,
  STAFF_GROUPS,
} from '../domain/pricing/codes.js';
import type { Ref, Scalar } from './formula.js';
import { dateSerial, type Plan, type SheetPlan, type Shown } from './workbook-plan.js';

// The cost model (method §1) as input sheets, the same in every workbook that holds one: the live
// breakdown of a fee schedule or quote, and a draft's own workbook. One sheet of single fields
// ("Model", one row per field, named by its JSON pointer) and one sheet per list, one row per item and
// one column per field, headed by the field's JSON name. Every input cell is pale yellow, and each
// field carries a note saying what it is; the lists of §1 (codes, frequencies, bases, groups) are
// offered as drop-down lists. Each single field has a defined name that the formulas use.

/** A field of the cost model in a cell: how it is shown, its list of values, what it is. */
export interface FieldSpec {
  /** The field's JSON name (a list's column), or its JSON pointer (a Model row). */
  field: string;
  shown: Exclude<Shown, 'exact'>;
  /** 2 for money, 6 for rates and quantities. */
  places?: 2 | 6;
  list?: readonly string[];
  optional?: boolean;
  note: string;
}

export interface ModelRow extends FieldSpec {
  /** The defined name the formulas use, e.g. `NiRate`. */
  name: string;
  label: string;
}

const money = (field: string, note: string, optional = false): FieldSpec => ({
  field,
  shown: 'money',
  places: 2,
  note,
  ...(optional ? { optional } : {}),
});
const quantity = (field: string, note: string, optional = false): FieldSpec => ({
  field,
  shown: 'quantity',
  places: 6,
  note,
  ...(optional ? { optional } : {}),
});
const text = (field: string, note: string, optional = false): FieldSpec => ({
  field,
  shown: 'text',
  note,
  ...(optional ? { optional } : {}),
});
const list = (field: string, values: readonly string[], note: string, optional = false): FieldSpec => ({
  field,
  shown: 'text',
  list: values,
  note,
  ...(optional ? { optional } : {}),
});

function row(name: string, label: string, spec: FieldSpec): ModelRow {
  return { ...spec, name, label };
}

/** The Model sheet's rows: the cost model's single fields, in the order of §1. */
export const MODEL_ROWS: readonly (ModelRow | { heading: string })[] = [
  { heading: 'Period (§1): one year' },
  row('PeriodLabel', 'Label', text('/period/label', 'A label for the period, e.g. 2026-27.')),
  row('PeriodStart', 'First day', {
    field: '/period/start',
    shown: 'date',
    note: 'The first day of the period.',
  }),
  row('PeriodEnd', 'Last day', {
    field: '/period/end',
    shown: 'date',
    note: 'The last day: the day before the anniversary of the first.',
  }),
  { heading: 'Home' },
  row('RegisteredPlaces', 'Registered places', {
    field: '/home/registeredPlaces',
    shown: 'integer',
    note: 'A whole number, 1 or more.',
  }),
  row(
    'PlannedOccupancy',
    'Planned occupancy',
    quantity('/home/plannedOccupancy', 'A fraction above 0 and at most 1 (0.9 is 90%).'),
  ),
  row(
    'FteHours',
    'Hours of one FTE a week',
    quantity('/home/fteHoursPerWeek', 'Hours a week of one full-time post.'),
  ),
  { heading: 'Employment rates' },
  row(
    'RatesFrom',
    'Rates from the table of tax year',
    text(
      '/ratesFrom',
      'A tax year such as 2026-27 whose published rate table gives the rates; leave it empty to give the rates below.',
      true,
    ),
  ),
  row(
    'NiRate',
    'Employer NI rate',
    quantity('/rates/employerNiRate', 'Employer National Insurance rate, e.g. 0.15.'),
  ),
  row(
    'NiThreshold',
    'NI secondary threshold a year',
    money('/rates/niSecondaryThresholdAnnual', 'Pay a year above which employer NI is due.'),
  ),
  row('PensionRate', 'Employer pension rate', quantity('/rates/employerPensionRate', 'e.g. 0.06.')),
  row(
    'PensionBasis',
    'Pension paid on',
    list(
      '/rates/pensionBasis',
      PENSION_BASES,
      'gross: on all gross pay; qualifying_earnings: on the band only.',
    ),
  ),
  row(
    'PensionLower',
    'Qualifying earnings, lower limit',
    money('/rates/pensionQualifyingLowerAnnual', 'A year; used with qualifying_earnings.'),
  ),
  row(
    'PensionUpper',
    'Qualifying earnings, upper limit',
    money('/rates/pensionQualifyingUpperAnnual', 'A year; used with qualifying_earnings.'),
  ),
  row('LevyRate', 'Apprenticeship levy rate', quantity('/rates/apprenticeshipLevyRate', 'e.g. 0 or 0.005.')),
  { heading: 'Absence cover' },
  row('WorkingDays', 'Working days a year', quantity('/cover/workingDaysPerYear', 'e.g. 260.')),
  row('LeaveDays', 'Annual leave days', quantity('/cover/annualLeaveDays', 'Days a year.')),
  row('SicknessDays', 'Sickness days', quantity('/cover/sicknessDays', 'Days a year.')),
  row('TrainingDays', 'Training days', quantity('/cover/trainingDays', 'Days a year.')),
  row(
    'AgencyShare',
    'Share of cover from agencies',
    quantity('/cover/agencyShare', 'A fraction from 0 to 1.'),
  ),
  row(
    'AgencyPremium',
    'Agency premium',
    quantity('/cover/agencyPremiumRate', 'e.g. 0.4 for 40% above own staff.'),
  ),
  { heading: 'Central costs' },
  row(
    'CentralPool',
    'Central pool a year',
    money('/central/poolAnnual', "The provider's central costs for the year."),
  ),
  row(
    'CentralBasis',
    'Units counted by',
    list('/central/basis', CENTRAL_BASES, 'What the units count; it does not enter the arithmetic.'),
  ),
  row('HomeUnits', "This home's units", quantity('/central/homeUnits', 'At most the total units.')),
  row('TotalUnits', 'Total units', quantity('/central/totalUnits', 'Above 0.')),
  row(
    'CentralShare',
    "This home's share, in pounds (§7)",
    money(
      '/central/annualAmount',
      'Optional (method version 2, §7): the penny share in place of pool × home units ÷ total units, within a penny of it.',
      true,
    ),
  ),
  { heading: 'Surplus' },
  row('SurplusRate', 'Surplus rate', quantity('/surplus/rate', 'A mark-up on cost, e.g. 0.04.')),
  row(
    'CapRate',
    'Cap on the surplus rate',
    quantity('/surplus/capRate', 'The surplus rate may not be above it.'),
  ),
  { heading: 'Related parties (§6)' },
  row('PartiesListed', 'Related parties listed', {
    field: '/relatedParties',
    shown: 'boolean',
    note: 'TRUE when the model lists its related parties (on the Related parties sheet), even none: it is then priced by method version 2.',
  }),
];

/** A list of the cost model as a sheet: its name, its JSON pointer and its columns in order. */
export interface TableSpec {
  sheet: string;
  pointer: string;
  columns: readonly FieldSpec[];
}

const relatedPartyColumns = (what: string): FieldSpec[] => [
  text(
    'relatedPartyId',
    'Only for a line paid to a related party (§6): its id on the Related parties sheet.',
    true,
  ),
  money('marketAmount', `What the same ${what} would cost at market, in the same frequency and basis.`, true),
  text('marketEvidence', 'Where the market amount comes from (1 to 300 characters).', true),
];

export const STAFFING: TableSpec = {
  sheet: 'Staffing',
  pointer: '/staffing',
  columns: [
    text('id', 'A short id, unique in the model; enhancements name it.'),
    text('role', 'The role, e.g. Residential Child Care Worker.'),
    list('group', STAFF_GROUPS, 'management, care or support.'),
    { field: 'headcount', shown: 'integer', note: 'How many people, a whole number.' },
    quantity('ftePerPerson', 'The FTE of each person, above 0.'),
    money('annualSalaryFte', 'Salary a year of one FTE; give this or hourlyRate.', true),
    money('hourlyRate', 'Pay an hour; give this or annualSalaryFte.', true),
    quantity('enhancementRate', 'Extra on pay for nights and weekends, e.g. 0.05.'),
    money('allowancesAnnualPerPerson', 'Allowances a year per person.'),
    { field: 'requiresCover', shown: 'boolean', note: 'TRUE when the role needs cover when absent.' },
  ],
};

export const PROPERTY: TableSpec = {
  sheet: 'Property',
  pointer: '/property',
  columns: [
    list('code', PROPERTY_CODES, 'A property code of §1.'),
    text('description', 'What the line is.'),
    money('amount', 'The amount, in its frequency.'),
    list('frequency', FREQUENCIES, 'weekly, monthly, quarterly or annual.'),
    ...relatedPartyColumns('property cost'),
  ],
};

export const RUNNING: TableSpec = {
  sheet: 'Running',
  pointer: '/running',
  columns: [
    list('code', RUNNING_CODES, 'A running code of §1.'),
    text('description', 'What the line is.'),
    money('amount', 'The amount, in its frequency (for each child, with per_child).'),
    list('frequency', FREQUENCIES, 'weekly, monthly, quarterly or annual.'),
    list('basis', RUNNING_BASES, 'per_home (when empty) or per_child.', true),
    ...relatedPartyColumns('goods or service'),
  ],
};

export const CENTRAL_CHARGES: TableSpec = {
  sheet: 'Central charges',
  pointer: '/central/relatedPartyCharges',
  columns: [
    text('relatedPartyId', 'The related party paid (§6), by its id.'),
    text('description', 'What the pool pays it for, e.g. Group management fee.'),
    money('amountAnnual', 'What the pool pays the party in the year: part of the central pool.'),
    money('marketAmountAnnual', 'What the same service would cost at market in the year.'),
    text('marketEvidence', 'Where the market amount comes from.'),
  ],
};

export const RELATED_PARTIES: TableSpec = {
  sheet: 'Related parties',
  pointer: '/relatedParties',
  columns: [
    text('id', 'An id the lines name in relatedPartyId.'),
    text('name', 'The party’s name.'),
    text(
      'companiesHouseNumber',
      'When the party is a company: 8 digits, or 2 capital letters and 6 digits.',
      true,
    ),
    list('relationship', RELATED_PARTY_RELATIONSHIPS, 'How the party is related to the provider.'),
  ],
};

export const ENHANCEMENTS: TableSpec = {
  sheet: 'Enhancements',
  pointer: '/enhancements',
  columns: [
    text('description', 'What the extra staffing is for, e.g. 1:1 support during school hours.'),
    text('roleId', 'The staffing line whose time it is, by its id.'),
    quantity('hoursPerWeek', 'Extra hours a week.'),
  ],
};

/** The list sheets in workbook order. */
export const TABLES = [STAFFING, PROPERTY, RUNNING, CENTRAL_CHARGES, RELATED_PARTIES, ENHANCEMENTS] as const;

export const MODEL_SHEET = 'Model';
/** Model sheet columns: the field's pointer, its label, its value, its note. */
export const MODEL_COLUMNS = { pointer: 1, label: 2, value: 3, note: 4 } as const;

/** Where the inputs were put: each single field's cell, each list's rows and columns. */
export interface InputLayout {
  model: SheetPlan;
  /** The next free row of the Model sheet. */
  modelEnd: number;
  tables: Map<string, { sheet: SheetPlan; spec: TableSpec; rows: number; columns: Map<string, number> }>;
}

type Json = Record<string, unknown>;

/** A field's value as a cell holds it; text as it is (a text cell is never read as a formula). */
export function inputScalar(spec: Pick<FieldSpec, 'shown'>, value: unknown): Scalar {
  if (value === undefined || value === null) return null;
  switch (spec.shown) {
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date':
      return typeof value === 'string' ? dateSerial(value) : null;
    case 'text':
      return String(value);
    default:
      return typeof value === 'string' || typeof value === 'number' ? new Dec(value) : null;
  }
}

/** An input cell: a decimal string as a number shown with its own places, anything else by its kind. */
function putInput(
  sheet: SheetPlan,
  col: number,
  row: number,
  spec: FieldSpec,
  raw: unknown,
  note?: string,
): Ref {
  if (
    (spec.shown === 'money' || spec.shown === 'quantity') &&
    typeof raw === 'string' &&
    /^\d+(\.\d+)?$/.test(raw)
  ) {
    return sheet.decimal(col, row, raw, spec.shown, 'input', note);
  }
  return sheet.value(col, row, inputScalar(spec, raw), spec.shown, 'input', note);
}

function pointerValue(model: Json, pointer: string): unknown {
  let node: unknown = model;
  for (const part of pointer.slice(1).split('/')) {
    node = typeof node === 'object' && node !== null ? (node as Json)[part] : undefined;
  }
  return node;
}

/** The rows a list's formulas cover: at least row 2, so that a range is never empty. */
export function lastRow(rows: number): number {
  return Math.max(2, rows + 1);
}

/**
 * Puts a cost model (as a client writes it: decimal strings, or the validated model) on the input
 * sheets of `plan`, with a defined name per single field. `rows` gives each list's items.
 */
export function planInputs(plan: Plan, model: Json, extraRows = 0): InputLayout {
  const sheet = plan.sheet(MODEL_SHEET);
  const { pointer, label, value, note } = MODEL_COLUMNS;
  sheet.text(pointer, 1, 'field', 'header');
  sheet.text(label, 1, 'what it is', 'header');
  sheet.text(value, 1, 'value', 'header');
  sheet.text(note, 1, 'note', 'header');
  sheet.width(pointer, 34);
  sheet.width(label, 36);
  sheet.width(value, 16);
  sheet.width(note, 80);
  sheet.frozen = { cols: 0, rows: 1 };
  let r = 2;
  for (const entry of MODEL_ROWS) {
    if ('heading' in entry) {
      sheet.text(label, r, entry.heading, 'title');
      r += 1;
      continue;
    }
    sheet.text(pointer, r, entry.field);
    sheet.text(label, r, entry.label);
    const raw =
      entry.field === '/relatedParties'
        ? model.relatedParties !== undefined
        : pointerValue(model, entry.field);
    const cell = putInput(sheet, value, r, entry, raw, entry.note);
    if (entry.list !== undefined) sheet.list(value, r, r, entry.list);
    sheet.text(note, r, entry.note);
    plan.define(entry.name, cell);
    r += 1;
  }
  const tables: InputLayout['tables'] = new Map();
  for (const spec of TABLES) {
    const items = listAt(model, spec.pointer);
    const tableSheet = plan.sheet(spec.sheet);
    tableSheet.frozen = { cols: 0, rows: 1 };
    const columns = new Map<string, number>();
    spec.columns.forEach((column, i) => {
      const col = i + 1;
      columns.set(column.field, col);
      tableSheet.text(col, 1, column.field, 'header', column.note);
      tableSheet.width(col, column.shown === 'text' && column.list === undefined ? 28 : 16);
      items.forEach((item, index) => {
        putInput(tableSheet, col, index + 2, column, item[column.field]);
      });
      if (column.list !== undefined)
        tableSheet.list(col, 2, Math.max(2, items.length + 1 + extraRows), column.list);
    });
    tables.set(spec.sheet, { sheet: tableSheet, spec, rows: items.length, columns });
  }
  return { model: sheet, modelEnd: r, tables };
}

function listAt(model: Json, pointer: string): Json[] {
  const value = pointerValue(model, pointer);
  return Array.isArray(value) ? (value as Json[]) : [];
}

/** A single field's cell, by its defined name. */
export function named(plan: Plan, defined: string): Ref {
  const ref = plan.book.names.get(defined);
  if (ref === undefined) throw new Error(`No defined name ${defined}`);
  return ref;
}
