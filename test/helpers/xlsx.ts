import ExcelJS from 'exceljs';

export const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** A workbook read back with exceljs, as an analyst's spreadsheet would open it. */
export async function readWorkbook(payload: Buffer): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(payload as unknown as ArrayBuffer);
  return workbook;
}

/** What a cell holds as read back: its value (null when empty) and its number format. */
export interface ReadCell {
  value: unknown;
  numFmt: string | undefined;
}

/** The cell of a row, empty cells as null. */
export function readCell(row: ExcelJS.Row, column: number): ReadCell {
  const cell = row.getCell(column);
  const value = cell.value === undefined || cell.value === '' ? null : cell.value;
  return { value, numFmt: cell.numFmt };
}

/** A sheet's header (row 1) and every row below it as header → cell (rows that are wholly empty left out). */
export function sheetTable(sheet: ExcelJS.Worksheet): {
  header: string[];
  rows: Array<Record<string, ReadCell>>;
} {
  const header = (sheet.getRow(1).values as unknown[]).slice(1).map(String);
  const rows: Array<Record<string, ReadCell>> = [];
  sheet.eachRow((row, number) => {
    if (number === 1) return;
    rows.push(Object.fromEntries(header.map((key, index) => [key, readCell(row, index + 1)])));
  });
  return { header, rows };
}

/** Every row of a sheet as its cells, from column 1 to `columns` (header included). */
export function sheetCells(sheet: ExcelJS.Worksheet, columns: number): ReadCell[][] {
  const rows: ReadCell[][] = [];
  sheet.eachRow((row) => {
    rows.push(Array.from({ length: columns }, (_, index) => readCell(row, index + 1)));
  });
  return rows;
}

/** The calendar day (YYYY-MM-DD) of a date read back, which must be UTC midnight: no time, no shift. */
export function dayOf(value: unknown): string {
  if (!(value instanceof Date)) throw new Error(`not a Date: ${JSON.stringify(value)}`);
  const iso = value.toISOString();
  if (!iso.endsWith('T00:00:00.000Z')) throw new Error(`not midnight UTC: ${iso}`);
  return iso.slice(0, 10);
}
