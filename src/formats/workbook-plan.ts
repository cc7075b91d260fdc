import type ExcelJSModule from 'exceljs';
import { Dec } from '../domain/money.js';
import { address, Book, type Content, formulaText, type Ref, type Scalar } from './formula.js';
import {
  DATE_FORMAT,
  DECIMAL_FORMAT,
  INTEGER_FORMAT,
  loadExcel,
  MONEY_FORMAT,
  reproducibleBytes,
} from './xlsx.js';

// A workbook planned as plain data before exceljs sees it: each sheet's cells (a value typed in, or a
// formula from src/formats/formula.ts), how each is shown, notes, lists a cell must take a value from,
// and the defined names formulas use. The plan works out every formula itself (`Book`), so each formula
// cell is written with its result cached; `toXlsx` then writes it.

/**
 * How a cell is shown: `money` 2 places; `quantity` a rate or quantity with up to 6; `integer`; `date`;
 * `text`; `boolean`; `exact` a working figure shown to 6 places (its cell holds every digit).
 */
export type Shown = 'money' | 'quantity' | 'integer' | 'date' | 'text' | 'boolean' | 'exact';
/** What a cell is for: an input a reader may change, a heading, a label, a working or a published figure. */
export type Role = 'input' | 'header' | 'label' | 'working' | 'published' | 'title';

export interface CellPlan {
  col: number;
  row: number;
  shown: Shown;
  role: Role;
  note?: string;
  /** A number format of the cell's own, in place of its kind's. */
  numFmt?: string;
}

const NUMBER_FORMATS: Partial<Record<Shown, string>> = {
  money: MONEY_FORMAT,
  quantity: DECIMAL_FORMAT,
  integer: INTEGER_FORMAT,
  date: DATE_FORMAT,
  exact: '#,##0.000000',
};

/** Input cells are pale yellow, as finance teams colour what may be typed over; published figures bold. */
const ROLE_STYLES: Record<Role, { fill?: ExcelJSModule.Fill; font?: Partial<ExcelJSModule.Font> }> = {
  input: { fill: { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFFF2CC' } } },
  header: {
    fill: { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFD9E1F2' } },
    font: { bold: true },
  },
  published: { font: { bold: true } },
  title: { font: { bold: true, size: 14 } },
  label: {},
  working: {},
};

export class SheetPlan {
  readonly cells = new Map<string, CellPlan>();
  readonly widths = new Map<number, number>();
  readonly lists: { col: number; from: number; to: number; values: readonly string[] }[] = [];
  frozen: { cols: number; rows: number } | undefined;

  constructor(
    readonly name: string,
    private readonly book: Book,
  ) {}

  ref(col: number, row: number): Ref {
    return { sheet: this.name, col, row };
  }

  put(col: number, row: number, content: Content, shown: Shown, role: Role, note?: string): Ref {
    const ref = this.ref(col, row);
    this.book.set(ref, content);
    this.cells.set(`${col}:${row}`, { col, row, shown, role, ...(note === undefined ? {} : { note }) });
    return ref;
  }

  /** A value typed in; an empty value leaves an empty cell (still shown as its kind). */
  value(col: number, row: number, value: Scalar, shown: Shown, role: Role, note?: string): Ref {
    return this.put(col, row, { value }, shown, role, note);
  }

  /**
   * A decimal typed in (money, a rate, a quantity), shown with exactly the places its text has: "13.00"
   * as 13.00, "2400" as 2,400, so that reading the cell back (cost-model-reader.ts) gives the same text.
   */
  decimal(
    col: number,
    row: number,
    text: string,
    shown: 'money' | 'quantity',
    role: Role,
    note?: string,
  ): Ref {
    const ref = this.value(col, row, new Dec(text), shown, role, note);
    this.cells.get(`${col}:${row}`)!.numFmt = decimalFormat(text);
    return ref;
  }

  text(col: number, row: number, text: string, role: Role = 'label', note?: string): Ref {
    return this.value(col, row, text, 'text', role, note);
  }

  width(col: number, width: number): void {
    this.widths.set(col, width);
  }

  /** Cells in a column whose value must be one of `values` (a list a spreadsheet offers). */
  list(col: number, from: number, to: number, values: readonly string[]): void {
    this.lists.push({ col, from, to, values });
  }
}

export class Plan {
  readonly book = new Book();
  readonly sheets: SheetPlan[] = [];

  sheet(name: string): SheetPlan {
    const sheet = new SheetPlan(name, this.book);
    this.sheets.push(sheet);
    return sheet;
  }

  define(defined: string, ref: Ref): void {
    this.book.define(defined, ref);
  }

  /** A cell's value: typed, or its formula's result (or, where given, the service's published figure). */
  shownValue(ref: Ref): Scalar {
    const content = this.book.content(ref);
    if (content !== undefined && 'formula' in content && content.published !== undefined)
      return content.published;
    return this.book.value(ref);
  }
}

/** What a workbook's About sheet says of the document. */
export interface AboutFacts {
  title: string;
  /** What the document is, in a sentence. */
  summary: string;
  /** Label and value, in order. */
  facts: readonly (readonly [string, string])[];
  /** How to check the document is the one published; absent for a quote. */
  verify?: readonly string[];
  /** The day the workbook's properties carry (a day the data names). */
  asOf: string;
}

/** The About sheet: the title, what the document is, its facts, how to verify it and how to use it. */
export function planAbout(sheet: SheetPlan, about: AboutFacts, howToUse: readonly string[]): void {
  sheet.width(1, 30);
  sheet.width(2, 110);
  sheet.text(1, 1, about.title, 'title');
  sheet.text(1, 2, about.summary);
  let row = 4;
  for (const [label, value] of about.facts) {
    sheet.text(1, row, label);
    sheet.text(2, row, value);
    row += 1;
  }
  row += 1;
  if (about.verify !== undefined) {
    sheet.text(1, row, 'How to verify it', 'title');
    row += 1;
    for (const line of about.verify) {
      sheet.text(2, row, line);
      row += 1;
    }
    row += 1;
  }
  sheet.text(1, row, 'How to use it', 'title');
  row += 1;
  for (const line of howToUse) {
    sheet.text(2, row, line);
    row += 1;
  }
}

/** The number format that shows a decimal string's places exactly: "12.50" → `#,##0.00`, "2400" → `#,##0`. */
export function decimalFormat(text: string): string {
  const dot = text.indexOf('.');
  const places = dot < 0 ? 0 : text.length - dot - 1;
  return places === 0 ? '#,##0' : `#,##0.${'0'.repeat(places)}`;
}

/** The places a number format shows when it is one `decimalFormat` writes (or `0.00`-like); else undefined. */
export function formatPlaces(numFmt: string | undefined): number | undefined {
  const match = /^(?:#,##)?0(?:\.(0+))?$/.exec(numFmt ?? '');
  return match === null ? undefined : (match[1]?.length ?? 0);
}

/** Days from 1899-12-30, the serial a spreadsheet holds for a date (1970-01-01 is 25569). */
export function dateSerial(iso: string): Dec {
  return new Dec(Date.parse(`${iso}T00:00:00Z`) / 86_400_000 + 25_569);
}

function cellValueOf(shown: Shown, value: Scalar): ExcelJSModule.CellValue {
  if (value === null) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (shown === 'date') return new Date((value.toNumber() - 25_569) * 86_400_000);
  return value.toNumber();
}

/** One cell as exceljs writes it: its value (a formula with its cached result), format, fill and note. */
function writeCell(plan: Plan, sheetPlan: SheetPlan, cellPlan: CellPlan, cell: ExcelJSModule.Cell): void {
  const ref = sheetPlan.ref(cellPlan.col, cellPlan.row);
  const content = plan.book.content(ref)!;
  if ('formula' in content) {
    const result = cellValueOf(cellPlan.shown, plan.shownValue(ref));
    cell.value = {
      formula: formulaText(content.formula, sheetPlan.name),
      ...(result === null ? {} : { result }),
    } as ExcelJSModule.CellFormulaValue;
  } else {
    cell.value = cellValueOf(cellPlan.shown, content.value);
  }
  const numFmt = cellPlan.numFmt ?? NUMBER_FORMATS[cellPlan.shown];
  if (numFmt !== undefined) cell.numFmt = numFmt;
  const style = ROLE_STYLES[cellPlan.role];
  if (style.fill !== undefined) cell.fill = style.fill;
  if (style.font !== undefined) cell.font = style.font;
  if (cellPlan.note !== undefined) cell.note = cellPlan.note;
}

/** The drop-down lists of a sheet. */
function writeLists(sheetPlan: SheetPlan, sheet: ExcelJSModule.Worksheet): void {
  const validations = (
    sheet as unknown as {
      dataValidations: { add(range: string, validation: ExcelJSModule.DataValidation): void };
    }
  ).dataValidations;
  for (const { col, from, to, values } of sheetPlan.lists) {
    const range = `${address({ sheet: '', col, row: from })}:${address({ sheet: '', col, row: to })}`;
    validations.add(range, {
      type: 'list',
      allowBlank: true,
      formulae: [`"${values.join(',')}"`],
      showErrorMessage: true,
      errorStyle: 'stop',
      errorTitle: 'Not on the list',
      error: `Use one of ${values.join(', ')}`,
    });
  }
}

/**
 * The workbook's bytes: every sheet in plan order, each formula with its cached result, the same bytes
 * for the same plan (`reproducibleBytes`, dated `asOf`).
 */
export async function toXlsx(plan: Plan, asOf: string): Promise<Buffer> {
  const ExcelJS = await loadExcel();
  const workbook = new ExcelJS.Workbook();
  for (const sheetPlan of plan.sheets) {
    const frozen = sheetPlan.frozen;
    const sheet = workbook.addWorksheet(
      sheetPlan.name,
      frozen === undefined ? {} : { views: [{ state: 'frozen', xSplit: frozen.cols, ySplit: frozen.rows }] },
    );
    for (const [col, width] of sheetPlan.widths) sheet.getColumn(col).width = width;
    for (const cellPlan of sheetPlan.cells.values()) {
      writeCell(plan, sheetPlan, cellPlan, sheet.getCell(cellPlan.row, cellPlan.col));
    }
    writeLists(sheetPlan, sheet);
  }
  for (const [defined, ref] of plan.book.names) {
    workbook.definedNames.add(`${quoteSheet(ref.sheet)}!${address(ref, true)}`, defined);
  }
  return reproducibleBytes(workbook, asOf);
}

function quoteSheet(sheet: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(sheet) ? sheet : `'${sheet.replaceAll("'", "''")}'`;
}
