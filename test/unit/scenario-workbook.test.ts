import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import type { ScenarioSpecInput } from '../../src/domain/scenarios/index.js';
import type { ScenarioReport } from '../../src/domain/scenarios/report.js';
import { scenarioWorkbook } from '../../src/formats/scenario-workbook.js';
import { POUNDS_FORMAT } from '../../src/formats/xlsx.js';
import { scenarioReportOf, wirralModel } from '../helpers/scenarios.js';

/** A whole report, as the service would publish it, from the Wirral example. */
const reportOf = (input: ScenarioSpecInput): ScenarioReport => scenarioReportOf(wirralModel, input);

const SPEC: ScenarioSpecInput = {
  // 0.95 × 1.10 is above 1: the occupancy lever's +10% step has no fee
  changes: [
    { lever: 'payUplift', group: 'care', value: '0.06' },
    { lever: 'plannedOccupancy', value: '0.95' },
  ],
  grids: [
    {
      name: 'Occ/NLW: 2027',
      axes: [
        { lever: 'plannedOccupancy', range: { from: '0.5', to: '1', step: '0.1' } },
        { lever: 'hourlyRate', line: 'hk', values: ['12.21', '13.00', '14.50'] },
      ],
    },
    {
      name: '=SUM(A1:A9)',
      axes: [{ lever: 'agencyShare', values: ['0', '0.1', '0.25'] }],
    },
  ],
};

async function readBack(bytes: Buffer): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  return workbook;
}

describe('scenarioWorkbook', () => {
  const report = reportOf(SPEC);

  it('writes Summary, Sensitivity and a sheet per grid, named as a sheet may be', async () => {
    const workbook = await readBack(await scenarioWorkbook(report));
    // each run of characters a sheet name may not hold ("/", ":") becomes a space
    expect(workbook.worksheets.map((sheet) => sheet.name)).toEqual([
      'Summary',
      'Sensitivity',
      'Occ NLW  2027',
      '=SUM(A1 A9)',
    ]);
    for (const sheet of workbook.worksheets) {
      expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    }
  });

  it('writes a header and one row per combination, figures as numbers', async () => {
    const workbook = await readBack(await scenarioWorkbook(report));
    const grid = report.grids[0]!;
    const sheet = workbook.getWorksheet('Occ NLW  2027')!;
    expect(grid.rows).toHaveLength(18);
    expect(sheet.rowCount).toBe(1 + grid.rows.length);
    expect(workbook.getWorksheet('=SUM(A1 A9)')!.rowCount).toBe(1 + 3);
    expect(sheet.getRow(1).values).toEqual([
      undefined,
      'Planned occupancy',
      'Hourly rate of Housekeeper and cook (hk)',
      'weeklyFeePerChild',
      'weeklyCostPerChild',
      'weeklySurplusPerChild',
      'annualIncomeAtPlannedOccupancy',
      'breakEvenOccupancy',
      'problem',
    ]);
    // combination 4: occupancy 0.6 (the second value), £13.00 (the second), the last axis fastest
    const row = grid.rows[4]!;
    expect(row.at).toEqual(['0.6', '13.00']);
    const cells = sheet.getRow(6);
    expect(cells.getCell(1).value).toBe(0.6);
    expect(cells.getCell(1).numFmt).toBe('0.0000%');
    expect(cells.getCell(2).value).toBe(13);
    expect(cells.getCell(2).numFmt).toBe(POUNDS_FORMAT);
    expect(typeof cells.getCell(3).value).toBe('number');
    expect(cells.getCell(3).value).toBe(Number(row.weeklyFeePerChild));
    expect(cells.getCell(3).numFmt).toBe(POUNDS_FORMAT);
    expect(cells.getCell(6).value).toBe(Number(row.annualIncomeAtPlannedOccupancy));
    expect(cells.getCell(7).value).toBe(Number(row.breakEvenOccupancy));
    expect(cells.getCell(8).value).toBeNull();
  });

  it('writes the summary and the sensitivity table with their kinds', async () => {
    const workbook = await readBack(await scenarioWorkbook(report));
    const summary = workbook.getWorksheet('Summary')!;
    const items = new Map<unknown, unknown>();
    summary.eachRow((row) => {
      if (!items.has(row.getCell(1).value)) items.set(row.getCell(1).value, row.getCell(2).value);
    });
    expect(items.get('Weekly fee per child')).toBe(Number(report.base.figures.weeklyFeePerChild));
    expect(items.get('Period start')).toEqual(new Date('2026-04-01T00:00:00Z'));
    expect(items.get('Pay of care staff')).toBe(0.06);
    expect(items.get('Occupancy (rounded up to 6 dp)')).toBe(Number(report.breakEven.occupancy));
    expect(items.get('Reachable (at most full)')).toBe(report.breakEven.reachable);
    // the grid's name is text, defused, never a formula
    expect(items.get('Grid 2')).toBe("'=SUM(A1:A9)");
    expect(items.get('Grid 2 sheet')).toBe("'=SUM(A1 A9)");

    const sensitivity = workbook.getWorksheet('Sensitivity')!;
    expect(sensitivity.rowCount).toBe(1 + report.sensitivity.levers.length);
    expect(sensitivity.getRow(1).values).toEqual([
      undefined,
      'Lever',
      'Key',
      'Value at the point',
      'Fee at -10%',
      'Fee at -5%',
      'Fee at +5%',
      'Fee at +10%',
      'Swing',
      'Problems',
    ]);
    const index = report.sensitivity.levers.findIndex((lever) => lever.key === 'plannedOccupancy');
    const lever = report.sensitivity.levers[index]!;
    const row = sensitivity.getRow(2 + index);
    expect(row.getCell(2).value).toBe('plannedOccupancy');
    expect(row.getCell(3).value).toBe(0.95);
    expect(row.getCell(4).value).toBe(Number(lever.points[0]!.weeklyFeePerChild));
    // 0.95 × 1.10 > 1: no fee, an empty cell, and the reason
    expect(lever.points[3]!.weeklyFeePerChild).toBeNull();
    expect(row.getCell(7).value).toBeNull();
    expect(row.getCell(8).value).toBe(Number(lever.swing));
    expect(String(row.getCell(9).value)).toMatch(/^0\.10: above the most/);
  });

  it('leaves a figure the method refused empty, with the problem as text', async () => {
    const grid = report.grids[1]!;
    const refused = {
      ...report,
      grids: [
        {
          ...grid,
          rows: [
            {
              at: grid.rows[0]!.at,
              weeklyFeePerChild: null,
              weeklyCostPerChild: null,
              weeklySurplusPerChild: null,
              annualIncomeAtPlannedOccupancy: null,
              breakEvenOccupancy: null,
              problem: '=HYPERLINK("x") the method refuses',
            },
          ],
        },
      ],
    };
    const sheet = (await readBack(await scenarioWorkbook(refused))).getWorksheet('=SUM(A1 A9)')!;
    expect(sheet.getRow(2).values).toEqual([
      undefined,
      0,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      '\'=HYPERLINK("x") the method refuses',
    ]);
  });

  it('gives the same bytes for the same report', async () => {
    const first = await scenarioWorkbook(report);
    const second = await scenarioWorkbook(reportOf(SPEC));
    expect(second.equals(first)).toBe(true);
  });
});
