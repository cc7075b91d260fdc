import { toCsv } from '../../formats/csv.js';
import { safeSheetName } from '../../formats/spreadsheet.js';
import {
  type CellInput,
  type CellKind,
  type CellValue,
  cellValue,
  loadExcel,
  numFmtOf,
  POUNDS_FORMAT,
  reproducibleBytes,
} from '../../formats/xlsx.js';
import type { Statement } from './schemas.js';

const CSV_HEADER = [
  'council',
  'home',
  'placement_reference',
  'placement_id',
  'kind',
  'description',
  'from',
  'to',
  'days',
  'held_over',
  'fee_schedule_version',
  'weekly_rate',
  'amount',
];

/**
 * One row per charged line, then a TOTAL row: the statement as RFC 4180 CSV. `held_over` is `true` on
 * lines charged at a fee schedule after its own period's end (method §7), beside the days it qualifies.
 */
export function statementCsv(statement: Statement): string {
  const rows = statement.placements.flatMap((placement) =>
    placement.lines.map((line) => [
      statement.council.onsCode,
      placement.homeName,
      placement.reference,
      placement.placementId,
      line.kind,
      line.description,
      line.from,
      line.to,
      String(line.days),
      String(line.heldOver),
      String(line.scheduleVersion),
      line.weeklyRate,
      line.amount,
    ]),
  );
  return toCsv([
    CSV_HEADER,
    ...rows,
    [
      statement.council.onsCode,
      '',
      '',
      '',
      'TOTAL',
      '',
      statement.from,
      statement.to,
      '',
      '',
      '',
      '',
      statement.total,
    ],
  ]);
}

/**
 * What each column of the statement's sheets holds (src/formats/xlsx.ts): counts are integers, amounts
 * numbers formatted as £ (2 dp, exact in a spreadsheet's double), the lines' From and To real dates,
 * "Held over" a real TRUE/FALSE (which a filter or COUNTIF can use), names and references text.
 */
const COLUMN_KINDS = {
  home: 'text',
  placements: 'integer',
  days: 'integer',
  unpriced: 'integer',
  total: 'money',
  heldOverDays: 'integer',
  reference: 'text',
  description: 'text',
  from: 'date',
  to: 'date',
  version: 'integer',
  weekly: 'money',
  amount: 'money',
  heldOver: 'boolean',
} as const satisfies Record<string, CellKind>;
type ColumnKey = keyof typeof COLUMN_KINDS;

/** Columns with the number format of their kind, which exceljs gives every cell below the header. */
function columnsOf(specs: ReadonlyArray<{ header: string; key: ColumnKey; width: number }>) {
  return specs.map((spec) => {
    const numFmt = numFmtOf(COLUMN_KINDS[spec.key], POUNDS_FORMAT);
    return { ...spec, ...(numFmt ? { style: { numFmt } } : {}) };
  });
}

/** A row's cells, each as its column's kind says. */
function cellsOf(row: Partial<Record<ColumnKey, CellInput>>): Record<string, CellValue> {
  return Object.fromEntries(
    Object.entries(row).map(([key, value]) => [key, cellValue(COLUMN_KINDS[key as ColumnKey], value)]),
  );
}

/**
 * The statement as a workbook: a summary sheet with each home's total, and a sheet per home with
 * every line (cell types: COLUMN_KINDS). Held-over columns come last so that the earlier columns keep
 * their places for existing workbooks' formulas.
 */
export async function statementXlsx(statement: Statement): Promise<Buffer> {
  const ExcelJS = await loadExcel();
  const workbook = new ExcelJS.Workbook();
  const summary = workbook.addWorksheet('Summary');
  summary.columns = columnsOf([
    { header: 'Home', key: 'home', width: 36 },
    { header: 'Placements', key: 'placements', width: 12 },
    { header: 'Days charged', key: 'days', width: 14 },
    { header: 'Days not priced', key: 'unpriced', width: 16 },
    { header: 'Total', key: 'total', width: 16 },
    { header: 'Days held over', key: 'heldOverDays', width: 16 },
  ]);
  summary.getRow(1).font = { bold: true };
  for (const home of statement.homes) {
    summary.addRow(
      cellsOf({
        home: home.homeName,
        placements: home.placements,
        days: home.daysCharged,
        unpriced: home.unpricedDays,
        total: home.total,
        heldOverDays: home.heldOverDays,
      }),
    );
  }
  const totalRow = summary.addRow(
    cellsOf({
      home: `Total for ${statement.council.name}, ${statement.from} to ${statement.to}`,
      total: statement.total,
    }),
  );
  totalRow.font = { bold: true };
  summary.addRow([]);
  summary.addRow([statement.rule]);

  // 'Summary' is kept out of the homes' names: a home called "Summary" gets "Summary 2".
  const usedNames = new Set<string>(['Summary']);
  for (const home of statement.homes) {
    const sheet = workbook.addWorksheet(safeSheetName(home.homeName, usedNames, home.homeId));
    sheet.columns = columnsOf([
      { header: 'Reference', key: 'reference', width: 16 },
      { header: 'Line', key: 'description', width: 36 },
      { header: 'From', key: 'from', width: 12 },
      { header: 'To', key: 'to', width: 12 },
      { header: 'Days', key: 'days', width: 8 },
      { header: 'Fee schedule version', key: 'version', width: 10 },
      { header: 'Weekly rate', key: 'weekly', width: 14 },
      { header: 'Amount', key: 'amount', width: 14 },
      { header: 'Held over', key: 'heldOver', width: 10 },
    ]);
    sheet.getRow(1).font = { bold: true };
    for (const placement of statement.placements.filter((p) => p.homeId === home.homeId)) {
      for (const line of placement.lines) {
        sheet.addRow(
          cellsOf({
            reference: placement.reference,
            description: line.description,
            from: line.from,
            to: line.to,
            days: line.days,
            version: line.scheduleVersion,
            weekly: line.weeklyRate,
            amount: line.amount,
            heldOver: line.heldOver,
          }),
        );
      }
      const subtotal = sheet.addRow(
        cellsOf({ reference: placement.reference, description: 'Placement total', amount: placement.total }),
      );
      subtotal.font = { italic: true };
    }
    const total = sheet.addRow(cellsOf({ description: 'Home total', amount: home.total }));
    total.font = { bold: true };
  }
  return reproducibleBytes(workbook, statement.to);
}
