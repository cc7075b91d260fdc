import type ExcelJSModule from 'exceljs';
import { DomainValidationError, type FieldIssue, zodIssuesToFieldIssues } from '../domain/errors.js';
import { Dec } from '../domain/money.js';
import { costModelSchema } from '../domain/pricing/schema.js';
import {
  CENTRAL_CHARGES,
  ENHANCEMENTS,
  type FieldSpec,
  MODEL_COLUMNS,
  MODEL_ROWS,
  MODEL_SHEET,
  type ModelRow,
  PROPERTY,
  RELATED_PARTIES,
  RUNNING,
  STAFFING,
  TABLES,
  type TableSpec,
} from './cost-model-sheets.js';
import { columnLetters, sheetPrefix } from './formula.js';
import { formatPlaces } from './workbook-plan.js';
import { loadExcel, savedResult } from './xlsx.js';

// A filled cost model workbook read back into the cost model document (method §1), for PUT and POST
// of a draft (docs/workbooks.md, "Round trip"). The sheets and columns are found by their names, not
// their places; every value is read as its field's kind (money and rates back to decimal strings, with
// their places checked: a number with more than the method allows is refused, never rounded). Every
// problem names its cell (`Sheet!C5`) and the JSON pointer of the field, and all are reported at once.
// The document is then checked by the method's own schema, as a JSON body is; `cellOf` names the cell
// of any pointer that check finds at fault.

export interface ReadWorkbook {
  document: Record<string, unknown>;
  /** The cell (or row, or sheet) a JSON pointer of the document came from. */
  cellOf: (pointer: string) => string | undefined;
}

/** The most a workbook may unpack to, and the most parts it may have: a zip bomb is refused unread. */
export const MAX_UNPACKED_BYTES = 8 * 1024 * 1024;
const MAX_ZIP_ENTRIES = 500;

/** Refuses what is not a zip, or would unpack beyond the bounds, from its central directory alone. */
function checkZip(bytes: Buffer): string | undefined {
  if (bytes.length < 22 || bytes.readUInt32LE(0) !== 0x04034b50) return 'the body is not an XLSX workbook';
  let end = -1;
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 65_535); at -= 1) {
    if (bytes.readUInt32LE(at) === 0x06054b50) {
      end = at;
      break;
    }
  }
  if (end < 0) return 'the body is not a whole XLSX workbook';
  const entries = bytes.readUInt16LE(end + 10);
  let at = bytes.readUInt32LE(end + 16);
  if (entries > MAX_ZIP_ENTRIES)
    return `the workbook has ${entries} parts; at most ${MAX_ZIP_ENTRIES} are read`;
  let unpacked = 0;
  for (let i = 0; i < entries; i += 1) {
    if (at + 46 > bytes.length || bytes.readUInt32LE(at) !== 0x02014b50)
      return 'the workbook’s zip directory is broken';
    unpacked += bytes.readUInt32LE(at + 24);
    at += 46 + bytes.readUInt16LE(at + 28) + bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32);
  }
  if (unpacked > MAX_UNPACKED_BYTES) {
    return `the workbook unpacks to ${unpacked} bytes; at most ${MAX_UNPACKED_BYTES} are read`;
  }
  return undefined;
}

/** Rows of a sheet below its header that are read at most (the method takes at most 500 lines of a kind). */
export const MAX_ROWS = 1_000;

/** The numbers of a sheet's rows below the header that hold anything: never every row up to the last. */
function rowsOf(sheet: ExcelJSModule.Worksheet): number[] {
  const rows: number[] = [];
  sheet.eachRow((_row, number) => {
    if (number > 1) rows.push(number);
  });
  return rows;
}

type Issue = Required<Pick<FieldIssue, 'pointer' | 'message'>> & { cell: string };

function cellName(sheet: string, col: number, row: number): string {
  return `${sheetPrefix(sheet)}${columnLetters(col)}${row}`;
}

/** What a cell shows: a formula by its saved result, rich text and links by their text. */
function shownValue(cell: ExcelJSModule.Cell): { value: unknown } | { problem: string } {
  const value = cell.value;
  if (value === null || value === undefined) return { value: null };
  if (typeof value !== 'object' || value instanceof Date) return { value };
  if ('error' in value) return { problem: `holds the error ${String(value.error)}` };
  if ('formula' in value || 'sharedFormula' in value) {
    const result = savedResult(cell);
    if (result === undefined)
      return { problem: 'holds a formula with no saved result: recalculate and save it' };
    return typeof result === 'object' && result !== null && 'error' in result
      ? { problem: `holds a formula giving ${String((result as { error: unknown }).error)}` }
      : { value: result };
  }
  if ('richText' in value) return { value: value.richText.map((part) => part.text).join('') };
  if ('text' in value) return { value: String(value.text) };
  return { problem: 'holds something that is not a value' };
}

/** A number as the decimal string it shows, e.g. 29500 → "29500", 0.15 → "0.15", 1e-7 → "0.0000001". */
function decimalText(value: number): string {
  return new Dec(value).toFixed();
}

type Read = { value: unknown } | { problem: string };

/**
 * A number as money or a rate: its decimal string, refused when it has more places than the method
 * allows, and given the places its cell shows ("13.00") when its format shows a fixed number of them.
 */
function decimalField(value: number, allowed: number, numFmt: string | undefined): Read {
  if (!Number.isFinite(value)) return { problem: 'is not a number' };
  const text = decimalText(value);
  const places = text.includes('.') ? text.length - text.indexOf('.') - 1 : 0;
  if (places > allowed) {
    return {
      problem: `${text} has ${places} decimal places; ${allowed === 2 ? 'money has' : 'a rate or quantity has'} at most ${allowed} (it is refused, not rounded)`,
    };
  }
  const shownPlaces = Math.min(formatPlaces(numFmt) ?? places, allowed);
  return { value: shownPlaces > places ? new Dec(text).toFixed(shownPlaces) : text };
}

/** A cell's text as a date (a date cell as its ISO day), trimmed. */
function dayText(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return typeof value === 'string' ? value.trim() : value;
}

/**
 * A cell's value as its field takes it: decimal strings for money and rates (with at most the method's
 * places), a whole number for a count, an ISO date, TRUE/FALSE, text as it is. Undefined when empty.
 */
function fieldValue(spec: Pick<FieldSpec, 'shown' | 'places'>, value: unknown, numFmt?: string): Read {
  if (value === null || value === '') return { value: undefined };
  switch (spec.shown) {
    case 'money':
    case 'quantity':
      if (typeof value === 'number') return decimalField(value, spec.places ?? 6, numFmt);
      return { value: typeof value === 'string' ? value.trim() : value };
    case 'integer':
      return { value: typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value };
    case 'date':
      return { value: dayText(value) };
    case 'boolean':
      if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) {
        return { value: value.trim().toLowerCase() === 'true' };
      }
      return { value };
    default:
      if (value instanceof Date) return { value: dayText(value) };
      return { value: typeof value === 'string' ? value : String(value) };
  }
}

/** Sets `value` at a JSON pointer of `document`, making the objects on the way. */
function setAt(document: Record<string, unknown>, pointer: string, value: unknown): void {
  const parts = pointer.slice(1).split('/');
  let node = document;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts.at(-1)!] = value;
}

class Reading {
  readonly issues: Issue[] = [];
  readonly cells = new Map<string, string>();
  readonly document: Record<string, unknown> = {};
  /** A sheet, a column or a Model row is missing: the document is not whole, so its rules are not checked. */
  structural = false;

  constructor(private readonly workbook: ExcelJSModule.Workbook) {}

  problem(pointer: string, cell: string, message: string): void {
    this.issues.push({ pointer, cell, message });
  }

  sheet(name: string, pointer: string, required: boolean): ExcelJSModule.Worksheet | undefined {
    const sheet = this.workbook.getWorksheet(name);
    if (sheet === undefined && required) {
      this.structural = true;
      const names = this.workbook.worksheets.map((each) => JSON.stringify(each.name)).join(', ');
      this.problem(
        pointer,
        `${sheetPrefix(name)}A1`,
        `the workbook has no sheet named "${name}" (its sheets: ${names}); keep the template’s sheet names`,
      );
    }
    return sheet;
  }

  /** The Model sheet: each field by the pointer in column A. */
  model(): void {
    const sheet = this.sheet(MODEL_SHEET, '', true);
    if (sheet === undefined) return;
    const rows = new Map<string, number>();
    for (const row of rowsOf(sheet)) {
      const key = sheet.getCell(row, MODEL_COLUMNS.pointer).value;
      if (typeof key === 'string' && key.startsWith('/')) rows.set(key.trim(), row);
    }
    const fields = MODEL_ROWS.filter((entry): entry is ModelRow => !('heading' in entry));
    for (const field of fields) {
      const row = rows.get(field.field);
      if (row === undefined) {
        this.structural = true;
        this.problem(
          field.field,
          `${sheetPrefix(MODEL_SHEET)}A:A`,
          `the Model sheet has no row for ${field.field} in column A`,
        );
        continue;
      }
      this.modelField(sheet, field, row);
    }
    // a block's pointer names its first field's row
    for (const field of fields) {
      const block = field.field.split('/').slice(0, 2).join('/');
      if (!this.cells.has(block))
        this.cells.set(block, this.cells.get(field.field) ?? `${sheetPrefix(MODEL_SHEET)}A:A`);
    }
  }

  /** One field of the Model sheet, from its value cell (column C) of `row`. */
  private modelField(sheet: ExcelJSModule.Worksheet, field: ModelRow, row: number): void {
    const cell = cellName(MODEL_SHEET, MODEL_COLUMNS.value, row);
    this.cells.set(field.field, cell);
    const source = sheet.getCell(row, MODEL_COLUMNS.value);
    const shown = shownValue(source);
    const read = 'problem' in shown ? shown : fieldValue(field, shown.value, source.numFmt);
    if ('problem' in read) this.problem(field.field, cell, read.problem);
    else if (field.field === '/relatedParties') {
      if (read.value === true) this.document.relatedParties = [];
    } else if (read.value !== undefined) setAt(this.document, field.field, read.value);
  }

  /** A list sheet: the columns by their headers, one item a non-empty row. */
  table(spec: TableSpec, required: boolean): Record<string, unknown>[] | undefined {
    const sheet = this.sheet(spec.sheet, spec.pointer, required);
    if (sheet === undefined) return undefined;
    this.cells.set(spec.pointer, `${sheetPrefix(spec.sheet)}1:1`);
    const columns = this.columns(sheet, spec);
    if (columns === undefined) return [];
    const items: Record<string, unknown>[] = [];
    const rows = rowsOf(sheet);
    if (rows.length > MAX_ROWS) {
      this.problem(
        spec.pointer,
        `${sheetPrefix(spec.sheet)}${rows[MAX_ROWS]}:${rows[MAX_ROWS]}`,
        `${spec.sheet} has ${rows.length} rows below its header; at most ${MAX_ROWS} are read`,
      );
      this.structural = true;
      return [];
    }
    for (const row of rows) {
      const index = items.length;
      const item: Record<string, unknown> = {};
      let filled = false;
      for (const [field, col] of columns) {
        const column = spec.columns.find((each) => each.field === field)!;
        const pointer = `${spec.pointer}/${index}/${field}`;
        const cell = cellName(spec.sheet, col, row);
        const shown = shownValue(sheet.getCell(row, col));
        const read =
          'problem' in shown ? shown : fieldValue(column, shown.value, sheet.getCell(row, col).numFmt);
        if ('problem' in read) {
          this.problem(pointer, cell, read.problem);
          filled = true;
        } else if (read.value !== undefined) {
          item[field] = read.value;
          filled = true;
        }
        this.cells.set(pointer, cell);
      }
      if (!filled) continue;
      this.cells.set(`${spec.pointer}/${index}`, `${sheetPrefix(spec.sheet)}${row}:${row}`);
      items.push(item);
    }
    return items;
  }

  /** The input columns of a list: every header up to the first empty one; each field's must be there. */
  private columns(sheet: ExcelJSModule.Worksheet, spec: TableSpec): Map<string, number> | undefined {
    const columns = new Map<string, number>();
    let complete = true;
    for (let col = 1; col <= Math.max(sheet.columnCount, 1); col += 1) {
      const header = sheet.getCell(1, col).value;
      if (header === null || header === undefined || header === '') break;
      const name = String(header).trim();
      const known = spec.columns.some((column) => column.field === name);
      if (!known) {
        this.problem(
          spec.pointer,
          cellName(spec.sheet, col, 1),
          `"${name}" is not a column of ${spec.sheet}; its columns are ${spec.columns.map((column) => column.field).join(', ')}`,
        );
        complete = false;
      } else if (columns.has(name)) {
        this.problem(spec.pointer, cellName(spec.sheet, col, 1), `the column ${name} is given twice`);
        complete = false;
      } else columns.set(name, col);
    }
    for (const column of spec.columns) {
      if (!columns.has(column.field)) {
        this.problem(
          spec.pointer,
          `${sheetPrefix(spec.sheet)}1:1`,
          `the column ${column.field} is missing from the header row of ${spec.sheet}`,
        );
        complete = false;
      }
    }
    if (!complete) this.structural = true;
    return complete ? columns : undefined;
  }
}

/** Whether one pointer is the other, or holds it, or is held by it. */
function related(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}

/**
 * Reads a filled cost model workbook. Throws DomainValidationError (each issue with its cell) for a
 * body that is not a workbook, a missing sheet or column, or a cell that cannot be its field; what
 * the method's rules say of the document is left to the caller's check, with `cellOf` to name cells.
 */
export async function readCostModelWorkbook(bytes: Buffer): Promise<ReadWorkbook> {
  const refused = checkZip(bytes);
  if (refused !== undefined) throw new DomainValidationError([{ pointer: '', message: refused }]);
  const ExcelJS = await loadExcel();
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  } catch {
    throw new DomainValidationError([
      { pointer: '', message: 'the body is not an XLSX workbook that can be read' },
    ]);
  }
  const reading = new Reading(workbook);
  reading.model();
  const lists: [TableSpec, boolean, (items: Record<string, unknown>[]) => void][] = [
    [STAFFING, true, (items) => (reading.document.staffing = items)],
    [PROPERTY, true, (items) => (reading.document.property = items)],
    [RUNNING, true, (items) => (reading.document.running = items)],
    [
      CENTRAL_CHARGES,
      false,
      (items) => {
        if (items.length > 0) setAt(reading.document, '/central/relatedPartyCharges', items);
      },
    ],
    [
      RELATED_PARTIES,
      false,
      (items) => {
        if (items.length > 0 || reading.document.relatedParties !== undefined)
          reading.document.relatedParties = items;
      },
    ],
    [
      ENHANCEMENTS,
      false,
      (items) => {
        if (items.length > 0) reading.document.enhancements = items;
      },
    ],
  ];
  for (const [spec, required, put] of lists) {
    const items = reading.table(spec, required);
    if (items !== undefined) put(items);
  }
  const cells = reading.cells;
  const cellOf = (pointer: string) => {
    for (let at = pointer; ; at = at.slice(0, at.lastIndexOf('/'))) {
      const cell = cells.get(at);
      if (cell !== undefined) return cell;
      if (at === '') return undefined;
    }
  };
  if (reading.issues.length > 0) {
    // every problem at once: the cells that could not be read, and what the method's schema says of
    // the rest (a field already named, left out of the document for it, is not named again, nor is
    // what its absence breaks in the item holding it)
    const named = new Set(reading.issues.map((issue) => issue.pointer));
    const parsed = reading.structural ? undefined : costModelSchema.safeParse(reading.document);
    const more =
      parsed === undefined || parsed.success
        ? []
        : zodIssuesToFieldIssues(parsed.error)
            .filter((issue) => ![...named].some((pointer) => related(issue.pointer, pointer)))
            .map((issue) => {
              const cell = cellOf(issue.pointer);
              return cell === undefined ? issue : { ...issue, cell };
            });
    throw new DomainValidationError([...reading.issues, ...more]);
  }
  return { document: reading.document, cellOf };
}

/** The list sheets the reader knows, for the docs and tests. */
export const LIST_SHEETS = TABLES.map((table) => table.sheet);
