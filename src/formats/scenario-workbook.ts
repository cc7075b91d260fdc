import type ExcelJSModule from 'exceljs';
import type { Lever } from '../domain/scenarios/index.js';
import { type Figures, GRID_FIGURE_COLUMNS, type ScenarioReport } from '../domain/scenarios/report.js';
import { safeSheetName } from './spreadsheet.js';
import {
  type CellInput,
  type CellKind,
  cellValue,
  kindsOf,
  loadExcel,
  numFmtOf,
  POUNDS_FORMAT,
  reproducibleBytes,
} from './xlsx.js';

// A scenario as a workbook: the same figures as its JSON and CSV (src/domain/scenarios/report.ts),
// each cell of its kind (src/formats/xlsx.ts): money as numbers formatted as £, occupancies, shares
// and rates as percentages, counts as integers, the period's days as dates, every word as defused text.
//
// - Summary: where the base came from, its figures, the changes, the point's figures, the break-even
//   answer and the grids (each with its sheet's name);
// - Sensitivity: one row per lever, widest swing first: its value at the point, the fee at each step,
//   the swing and any step the method refused;
// - one sheet per grid, named from the grid's name: a column per axis, then GRID_FIGURE_COLUMNS, one
//   row per combination (the last axis varying fastest); a combination refused has empty figures and
//   its problem.

/** What a lever's value is: a fraction of one, or pounds. */
const LEVER_KINDS = {
  plannedOccupancy: 'percent',
  payUplift: 'percent',
  agencyShare: 'percent',
  employerNiRate: 'percent',
  surplusRate: 'percent',
  hourlyRate: 'money',
  amount: 'money',
} as const satisfies Record<Lever, CellKind>;

/** The kinds of a grid's figure columns. */
const FIGURE_KINDS = {
  weeklyFeePerChild: 'money',
  weeklyCostPerChild: 'money',
  weeklySurplusPerChild: 'money',
  annualIncomeAtPlannedOccupancy: 'money',
  breakEvenOccupancy: 'percent',
  problem: 'text',
} as const satisfies Record<(typeof GRID_FIGURE_COLUMNS)[number], CellKind>;

const FIXED_SHEETS = ['Summary', 'Sensitivity'] as const;
const FROZEN_HEADER = { views: [{ state: 'frozen' as const, ySplit: 1 }] };

type Sheet = ExcelJSModule.Worksheet;
/** One line of the summary: an item, its value and the value's kind; a heading has no value. */
type Item = [item: string, value: CellInput, kind: CellKind] | [heading: string];

/** A header cell's text: defused like any other text (a label may come from a cost line's words). */
function headerText(text: string): string {
  return String(cellValue('text', text) ?? '');
}

/** Sets a cell to a value of the given kind, with the kind's number format. */
function put(cell: ExcelJSModule.Cell, kind: CellKind, value: CellInput): void {
  cell.value = cellValue(kind, value);
  const numFmt = numFmtOf(kind, POUNDS_FORMAT);
  if (numFmt !== undefined) cell.numFmt = numFmt;
}

function figureItems(figures: Figures): Item[] {
  return [
    ['Planned occupancy', figures.plannedOccupancy, 'percent'],
    ['Method version', figures.methodVersion, 'integer'],
    ['Weekly fee per child', figures.weeklyFeePerChild, 'money'],
    ['Weekly cost per child', figures.weeklyCostPerChild, 'money'],
    ['Weekly surplus per child', figures.weeklySurplusPerChild, 'money'],
    ['Annual income at planned occupancy', figures.annualIncomeAtPlannedOccupancy, 'money'],
    ['Break-even occupancy at the target fee', figures.breakEvenOccupancy, 'percent'],
    ...(figures.problem === undefined ? [] : [['Problem', figures.problem, 'text'] as Item]),
  ];
}

function summaryItems(report: ScenarioReport, sheetNames: readonly string[]): Item[] {
  const { base, scenario, breakEven } = report;
  return [
    ...(scenario === undefined
      ? []
      : ([
          ['Scenario'],
          ['Name', scenario.name, 'text'],
          ['Id', scenario.id, 'text'],
          ['Cost model (draft) id', scenario.costModelId, 'text'],
          ['Saved against draft version', scenario.savedAgainstVersion, 'integer'],
          ['Saved at', scenario.createdAt, 'text'],
          ['Saved by', scenario.createdBy, 'text'],
        ] as Item[])),
    ['Base'],
    ['Source', base.kind, 'text'],
    ['Id', base.id, 'text'],
    ['Version', base.version, 'integer'],
    ['Home id', base.homeId, 'text'],
    ['Period', base.period.label, 'text'],
    ['Period start', base.period.start, 'date'],
    ['Period end', base.period.end, 'date'],
    ['Registered places', base.registeredPlaces, 'integer'],
    ...figureItems(base.figures),
    ['Changes (the point is the base with these, in this order)'],
    ...(report.changes.length === 0
      ? ([['None', null, 'text']] as Item[])
      : report.changes.map((change): Item => [change.label, change.value, LEVER_KINDS[change.lever]])),
    ['Point'],
    ...figureItems(report.point),
    ['Break-even occupancy'],
    ['Target weekly fee per child', breakEven.weeklyFee, 'money'],
    ['Target from', breakEven.source === 'given' ? 'given' : 'the base’s own fee', 'text'],
    ['Occupancy (rounded up to 6 dp)', breakEven.occupancy, 'percent'],
    ['Occupancy (10 dp)', breakEven.occupancy10, 'percent'],
    ['Occupancy, exactly', breakEven.fraction, 'text'],
    ['Occupied places', breakEven.occupiedPlaces, 'decimal'],
    ['Reachable (at most full)', breakEven.reachable, 'boolean'],
    ['Weekly fee per child at that occupancy', breakEven.weeklyFeeAtOccupancy, 'money'],
    ['Explanation', breakEven.explanation, 'text'],
    ['Grids'],
    ['Combinations over all grids', report.combinations, 'integer'],
    ...report.grids.flatMap((grid, g): Item[] => [
      [`Grid ${g + 1}`, grid.name, 'text'],
      [`Grid ${g + 1} sheet`, sheetNames[g], 'text'],
      [`Grid ${g + 1} combinations`, grid.combinations, 'integer'],
    ]),
  ];
}

function writeSummary(sheet: Sheet, report: ScenarioReport, sheetNames: readonly string[]): void {
  sheet.columns = [
    { header: 'Item', width: 46 },
    { header: 'Value', width: 60 },
  ];
  sheet.getRow(1).font = { bold: true };
  for (const item of summaryItems(report, sheetNames)) {
    if (item.length === 1) {
      sheet.addRow([]);
      sheet.addRow([cellValue('text', item[0])]).font = { bold: true };
      continue;
    }
    const [label, value, kind] = item;
    const row = sheet.addRow([cellValue('text', label)]);
    put(row.getCell(2), kind, value);
  }
}

function writeSensitivity(sheet: Sheet, report: ScenarioReport): void {
  const { steps, levers } = report.sensitivity;
  sheet.columns = [
    { header: 'Lever', width: 46 },
    { header: 'Key', width: 24 },
    { header: 'Value at the point', width: 18 },
    ...steps.map((step) => ({
      header: `Fee at ${Number(step) > 0 ? '+' : ''}${Math.round(Number(step) * 100)}%`,
      width: 14,
      style: { numFmt: POUNDS_FORMAT },
    })),
    { header: 'Swing', width: 14, style: { numFmt: POUNDS_FORMAT } },
    { header: 'Problems', width: 60 },
  ];
  sheet.getRow(1).font = { bold: true };
  for (const lever of levers) {
    const problems = lever.points
      .filter((point) => point.problem !== undefined)
      .map((point) => `${point.step}: ${point.problem}`)
      .join('; ');
    const row = sheet.addRow([cellValue('text', lever.label), cellValue('text', lever.key)]);
    put(row.getCell(3), LEVER_KINDS[lever.lever], lever.value);
    // a lever's points are in the order of the steps (sensitivityOf)
    steps.forEach((_step, s) => {
      put(row.getCell(4 + s), 'money', lever.points[s]?.weeklyFeePerChild);
    });
    put(row.getCell(4 + steps.length), 'money', lever.swing);
    put(row.getCell(5 + steps.length), 'text', problems);
  }
}

function writeGrid(sheet: Sheet, grid: ScenarioReport['grids'][number]): void {
  const kinds = [
    ...grid.axes.map((axis) => LEVER_KINDS[axis.lever]),
    ...kindsOf(GRID_FIGURE_COLUMNS, FIGURE_KINDS),
  ];
  const headers = [...grid.axes.map((axis) => axis.label), ...GRID_FIGURE_COLUMNS];
  // the column's number format is every cell's below the header (exceljs gives it to each new cell)
  sheet.columns = headers.map((header, index) => {
    const numFmt = numFmtOf(kinds[index]!, POUNDS_FORMAT);
    return {
      header: headerText(header),
      width: Math.min(48, Math.max(14, header.length + 2)),
      ...(numFmt ? { style: { numFmt } } : {}),
    };
  });
  sheet.getRow(1).font = { bold: true };
  const axes = grid.axes.length;
  for (const row of grid.rows) {
    const cells = new Array(headers.length);
    for (let a = 0; a < axes; a++) cells[a] = cellValue(kinds[a]!, row.at[a]);
    GRID_FIGURE_COLUMNS.forEach((column, c) => {
      cells[axes + c] = cellValue(kinds[axes + c]!, row[column]);
    });
    sheet.addRow(cells);
  }
}

/**
 * The scenario as a workbook (see above), the same bytes for the same report: its document dates are
 * the base period's first day.
 */
export async function scenarioWorkbook(report: ScenarioReport): Promise<Buffer> {
  const ExcelJS = await loadExcel();
  const workbook = new ExcelJS.Workbook();
  // the fixed sheets' names are kept out of the grids': a grid called "Summary" gets "Summary 2"
  const used = new Set<string>(FIXED_SHEETS);
  const gridNames = report.grids.map((grid, g) => safeSheetName(grid.name, used, `Grid ${g + 1}`));
  writeSummary(workbook.addWorksheet('Summary', FROZEN_HEADER), report, gridNames);
  writeSensitivity(workbook.addWorksheet('Sensitivity', FROZEN_HEADER), report);
  report.grids.forEach((grid, g) => {
    writeGrid(workbook.addWorksheet(gridNames[g]!, FROZEN_HEADER), grid);
  });
  return reproducibleBytes(workbook, report.base.period.start);
}
