import type ExcelJS from 'exceljs';
import type { Breakdown } from '../../src/domain/pricing/index.js';
import { BREAKDOWN_COLUMNS, FIRST_LINE } from '../../src/formats/breakdown-workbook.js';
import type { Plan } from '../../src/formats/workbook-plan.js';
import { savedResult } from '../../src/formats/xlsx.js';

// The figures of a live breakdown workbook, read from its cells, in the shape of the breakdown's own
// published figures, so that one comparison checks a workbook worked out here (the plan's formulas) or
// recalculated by LibreOffice against what the service published.

/** A cell's value by sheet, column and row (1-based): a number, text, a boolean or null. */
export type CellReader = (sheet: string, col: number, row: number) => unknown;

export interface WorkbookFigures {
  lines: { code: string; weeklyPerChild: string; annualAmount: string; shareOfFee: string }[];
  weeklyFeePerChild: string;
  weeklyCostPerChild: string;
  weeklySurplusPerChild: string;
  annualIncomeAtPlannedOccupancy: string;
  surplusShareOfFee: string;
  relatedPartyExcessWeeklyPerChild?: string;
  adjustedSurplusRate?: string;
  enhancements: { loadedHourlyCost: string; weeklyCost: string; weeklyCharge: string; lines: string[] }[];
  partyExcess: string[];
}

function fixed(value: unknown, places: number): string {
  if (typeof value === 'number') return value.toFixed(places);
  if (value !== null && typeof value === 'object' && 'toFixed' in value) {
    return (value as { toFixed(places: number): string }).toFixed(places);
  }
  throw new Error(`Not a number: ${JSON.stringify(value)}`);
}

function isZero(value: unknown): boolean {
  return value === null || Number(fixed(value, 12)) === 0;
}

/** The column of a header on row 1 of a sheet. */
function columnOf(cell: CellReader, sheet: string, header: string): number {
  for (let col = 1; col < 60; col += 1) if (cell(sheet, col, 1) === header) return col;
  throw new Error(`No column ${header} on ${sheet}`);
}

function rowsOf(cell: CellReader, sheet: string): number {
  let row = 2;
  while (cell(sheet, 1, row) !== null && cell(sheet, 1, row) !== undefined) row += 1;
  return row - 2;
}

export function workbookFigures(cell: CellReader): WorkbookFigures {
  const B = BREAKDOWN_COLUMNS;
  const summary = new Map<string, unknown>();
  for (let row = 2; row < FIRST_LINE - 1; row += 1) {
    const label = cell('Breakdown', B.category, row);
    if (typeof label === 'string') summary.set(label, cell('Breakdown', B.description, row));
  }
  const lines: WorkbookFigures['lines'] = [];
  for (let row = FIRST_LINE; ; row += 1) {
    const code = cell('Breakdown', B.code, row);
    if (typeof code !== 'string' || code === '') break;
    if (!isZero(cell('Breakdown', B.annual, row))) {
      lines.push({
        code,
        weeklyPerChild: fixed(cell('Breakdown', B.weeklyPublished, row), 2),
        annualAmount: fixed(cell('Breakdown', B.annualPublished, row), 2),
        shareOfFee: fixed(cell('Breakdown', B.sharePublished, row), 4),
      });
    }
    if (code === 'SURPLUS') break;
  }
  const enhancements: WorkbookFigures['enhancements'] = [];
  const enhancementRows = rowsOf(cell, 'Enhancements');
  for (let row = 2; row < enhancementRows + 2; row += 1) {
    const at = (header: string) => cell('Enhancements', columnOf(cell, 'Enhancements', header), row);
    enhancements.push({
      loadedHourlyCost: fixed(at('loadedHourlyCost'), 2),
      weeklyCost: fixed(at('weeklyCost'), 2),
      weeklyCharge: fixed(at('weeklyCharge'), 2),
      // a line is shown when its exact amount is not 0, as the breakdown shows it
      lines: [
        ...(isZero(at('weeklyCost (exact)')) ? [] : [fixed(at('ENHANCEMENT_STAFFING'), 2)]),
        ...(isZero(at('surplus (exact)')) ? [] : [fixed(at('SURPLUS'), 2)]),
      ],
    });
  }
  const partyExcess: string[] = [];
  const parties = rowsOf(cell, 'Related parties');
  for (let row = 2; row < parties + 2; row += 1) {
    partyExcess.push(
      fixed(cell('Related parties', columnOf(cell, 'Related parties', 'excessAnnual'), row), 2),
    );
  }
  const excess = summary.get('Related-party excess per child a week');
  const adjusted = summary.get('Adjusted surplus rate');
  return {
    lines,
    weeklyFeePerChild: fixed(summary.get('Weekly fee per child'), 2),
    weeklyCostPerChild: fixed(summary.get('Weekly cost per child'), 2),
    weeklySurplusPerChild: fixed(summary.get('Weekly surplus per child'), 2),
    annualIncomeAtPlannedOccupancy: fixed(summary.get('Annual income at planned occupancy'), 2),
    surplusShareOfFee: fixed(summary.get('Surplus as a share of the fee'), 4),
    ...(excess === undefined ? {} : { relatedPartyExcessWeeklyPerChild: fixed(excess, 2) }),
    ...(adjusted === undefined ? {} : { adjustedSurplusRate: fixed(adjusted, 6) }),
    enhancements,
    partyExcess,
  };
}

/** The same figures as the breakdown publishes them. */
export function publishedFigures(breakdown: Breakdown): WorkbookFigures {
  return {
    lines: breakdown.lines.map(({ code, weeklyPerChild, annualAmount, shareOfFee }) => ({
      code,
      weeklyPerChild,
      annualAmount,
      shareOfFee,
    })),
    weeklyFeePerChild: breakdown.weeklyFeePerChild,
    weeklyCostPerChild: breakdown.weeklyCostPerChild,
    weeklySurplusPerChild: breakdown.weeklySurplusPerChild,
    annualIncomeAtPlannedOccupancy: breakdown.annualIncomeAtPlannedOccupancy,
    surplusShareOfFee: breakdown.surplusShareOfFee,
    ...(breakdown.relatedPartyExcessWeeklyPerChild === undefined
      ? {}
      : { relatedPartyExcessWeeklyPerChild: breakdown.relatedPartyExcessWeeklyPerChild }),
    ...(breakdown.adjustedSurplusRate === undefined
      ? {}
      : { adjustedSurplusRate: breakdown.adjustedSurplusRate }),
    enhancements: breakdown.enhancements.map((enhancement) => ({
      loadedHourlyCost: enhancement.loadedHourlyCost,
      weeklyCost: enhancement.weeklyCost,
      weeklyCharge: enhancement.weeklyCharge,
      lines: enhancement.lines.map((line) => line.weeklyAmount),
    })),
    partyExcess: (breakdown.relatedParties ?? []).map((party) => party.excessAnnual),
  };
}

/** The plan's cells as its own formulas work them out (not the published figures it caches). */
export function planReader(plan: Plan): CellReader {
  return (sheet, col, row) => {
    const value = plan.book.value({ sheet, col, row });
    return value;
  };
}

/**
 * A workbook's cells as read back (a formula cell by its cached result). exceljs's `cell.value` leaves
 * out a formula's cached result of 0, so the reader takes the cell's model's result: LibreOffice writes
 * a result for every formula it saves.
 */
export function workbookReader(workbook: ExcelJS.Workbook): CellReader {
  return (sheet, col, row) => {
    const cell = workbook.getWorksheet(sheet)?.getCell(row, col);
    const value = cell?.value;
    if (value === undefined || value === null) return null;
    if (typeof value === 'object' && ('formula' in value || 'sharedFormula' in value)) {
      return savedResult(cell!) ?? null;
    }
    return value;
  };
}
