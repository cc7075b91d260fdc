import type ExcelJSModule from 'exceljs';
import { isDateInRange } from '../core/dates.js';
import { safeCell } from './csv.js';
import { fixZipTimestampsInBuffer } from './zip-timestamps.js';

type ExcelJS = typeof ExcelJSModule;
let loading: Promise<ExcelJS> | undefined;

/**
 * exceljs, loaded on the first XLSX response rather than at start-up: it and what it brings (archiver,
 * jszip …) add about 30 MiB to the process, which a service that never writes a workbook need not carry.
 */
export function loadExcel(): Promise<ExcelJS> {
  loading ??= import('exceljs').then((module) => (module as { default?: ExcelJS }).default ?? module);
  return loading;
}

// ── cell types ──────────────────────────────────────────────────────────────────────────────────
//
// Analysts sum, sort and filter the workbooks: every number is written as a number and every date as a
// date, so that SUM and a date filter see them. What a cell is follows from its column (or item), never
// from what the value looks like: an identifier that happens to be all digits (a Companies House
// number, an Ofsted URN) stays text. The CSV and JSON remain the record; a workbook's numbers are
// `Number(decimal string)`, exact to the penny for money (2 dp) and to the sixth place for ratios.

/**
 * - `money`: pounds, 2 dp;
 * - `percent`: a ratio, rate or share of one (0.05 is 5%), shown as a percentage;
 * - `decimal`: a quantity that is not a fraction of one (FTE);
 * - `integer`: a count (homes, places, people, days, months) or a version number;
 * - `date`: an ISO calendar date (YYYY-MM-DD), written as a real date;
 * - `boolean`: a real TRUE/FALSE;
 * - `text`: everything else (identifiers, codes, names, labels such as `2025-26`), defused by `safeCell`.
 */
export type CellKind = 'money' | 'percent' | 'decimal' | 'integer' | 'date' | 'boolean' | 'text';

/** Money without a currency sign (the annual return's sheets). */
export const MONEY_FORMAT = '#,##0.00';
/** Money as pounds (the statements). */
export const POUNDS_FORMAT = '"£"#,##0.00';
/**
 * Ratios are carried to six decimal places (0.386986, a `rate6` of the annual return; the cost
 * models' shares and rates have at most six): four places of a percentage (38.6986%) show every one.
 */
export const PERCENT_FORMAT = '0.0000%';
/**
 * Quantities such as FTE have up to six places but are mostly whole or halves: at least two places
 * and up to six, so that 12.5 reads 12.50 and 2.333333 is shown whole.
 */
export const DECIMAL_FORMAT = '0.00####';
export const INTEGER_FORMAT = '0';
export const DATE_FORMAT = 'yyyy-mm-dd';

/** The number format of a kind (`money` as `moneyFormat`); none for text and booleans. */
export function numFmtOf(kind: CellKind, moneyFormat: string = MONEY_FORMAT): string | undefined {
  switch (kind) {
    case 'money':
      return moneyFormat;
    case 'percent':
      return PERCENT_FORMAT;
    case 'decimal':
      return DECIMAL_FORMAT;
    case 'integer':
      return INTEGER_FORMAT;
    case 'date':
      return DATE_FORMAT;
    default:
      return undefined;
  }
}

export type CellInput = string | number | boolean | null | undefined;
export type CellValue = string | number | boolean | Date | null;

/**
 * A calendar date as exceljs should write it: midnight UTC of that day. exceljs turns a Date into the
 * serial 25569 + milliseconds ÷ 86,400,000 (1970-01-01 is 25569), so UTC midnight is a whole serial,
 * the same day in every time zone, and it reads back as the same UTC midnight.
 */
export function excelDate(iso: string): Date {
  if (!isDateInRange(iso))
    throw new TypeError(`Not an ISO calendar date for a date cell: ${JSON.stringify(iso)}`);
  return new Date(`${iso}T00:00:00Z`);
}

function numberOf(value: string | number | boolean): number {
  const number = typeof value === 'number' ? value : Number(value);
  if (typeof value === 'boolean' || !Number.isFinite(number)) {
    throw new TypeError(`Not a number for a numeric cell: ${JSON.stringify(value)}`);
  }
  return number;
}

/**
 * The value of a cell of the given kind: a number for money, percent, decimal and integer
 * (`Number(string)`), a Date for a date, a boolean for a boolean, defused text for text. A null, absent
 * or empty value stays an empty cell whatever the kind. A value that does not fit its kind is a bug of
 * the caller, and throws rather than being written as something else.
 */
export function cellValue(kind: CellKind, value: CellInput): CellValue {
  if (value === null || value === undefined || value === '') return null;
  switch (kind) {
    case 'text':
      return safeCell(String(value));
    case 'date':
      return excelDate(String(value));
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      throw new TypeError(`Not a boolean for a boolean cell: ${JSON.stringify(value)}`);
    default:
      return numberOf(value);
  }
}

/** The kind of each column of `header`, from one map for the workbook; a column it lacks is a bug. */
export function kindsOf(header: readonly string[], kinds: Readonly<Record<string, CellKind>>): CellKind[] {
  return header.map((key) => {
    const kind = kinds[key];
    if (kind === undefined) throw new Error(`No cell kind for the column ${key}`);
    return kind;
  });
}

/**
 * A formula cell's saved result, undefined when it has none: exceljs's `cell.value` leaves a saved
 * result of 0 out, while the cell's model keeps it.
 */
export function savedResult(cell: ExcelJSModule.Cell): unknown {
  return (cell.model as { result?: unknown }).result;
}

// ── reproducible bytes ──────────────────────────────────────────────────────────────────────────

/** The time every zip entry of a workbook carries: the zip format's own epoch (see zip-timestamps). */
export const FIXED_ZIP_TIME = new Date('1980-01-01T00:00:00Z');

/**
 * A workbook's document properties, the same for the same data: written by this service, created and
 * last modified on `asOf` (a day the data names, not the clock).
 */
export function workbookProperties(asOf: string) {
  const day = excelDate(asOf);
  return {
    creator: 'cost-plus-care-pricing',
    lastModifiedBy: 'cost-plus-care-pricing',
    created: day,
    modified: day,
  };
}

/**
 * The bytes of a workbook built in memory, the same for the same data: its document properties are
 * `workbookProperties(asOf)` and its zip entries carry FIXED_ZIP_TIME, so that two downloads of one
 * statement can be compared, or hashed, byte for byte.
 */
export async function reproducibleBytes(workbook: ExcelJSModule.Workbook, asOf: string): Promise<Buffer> {
  Object.assign(workbook, workbookProperties(asOf));
  return fixZipTimestampsInBuffer(new Uint8Array(await workbook.xlsx.writeBuffer()), FIXED_ZIP_TIME);
}
