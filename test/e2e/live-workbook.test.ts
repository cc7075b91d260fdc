import { readFileSync } from 'node:fs';
import type ExcelJS from 'exceljs';
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainValidationError } from '../../src/domain/errors.js';
import { type Breakdown, costModelSchema, priceCostModel } from '../../src/domain/pricing/index.js';
import { breakdownWorkbook } from '../../src/formats/breakdown-workbook.js';
import { createTestApp, injectOk, type TestApp } from '../helpers/app.js';
import { bearer, createKey, createOrganisation } from '../helpers/keys.js';
import { libreOfficeAvailable, recalculate, withoutResults } from '../helpers/libreoffice.js';
import { publishedFigures, workbookFigures, workbookReader } from '../helpers/live-workbook.js';
import { modelArb, relatedModelArb } from '../helpers/model-arbitrary.js';
import { XLSX } from '../helpers/xlsx.js';

// The live breakdown workbook in a real spreadsheet: LibreOffice Calc opens it with every cached result
// taken out, recalculates, and each figure must be the published one to the penny; and a workbook
// whose input is changed gives, once recalculated, the fee POST /v1/quotes gives for the same change.

type Json = Record<string, unknown>;

const example = (name: string): Json =>
  JSON.parse(readFileSync(new URL(`../../fixtures/examples/${name}.model.json`, import.meta.url), 'utf8'));
const EXAMPLES = ['wirral-four-bed-2026-27', 'halton-three-bed-2025-26', 'wirral-related-parties-2026-27'];
const about = { title: 'Test', summary: 'A workbook under test.', facts: [], asOf: '2026-04-01' };

/**
 * The workbook's range (docs/workbooks.md): figures below £10,000,000, so that a figure in pennies to a
 * millionth (9 + 6 digits) fits a spreadsheet's 15 significant digits. A model whose fee or income is
 * not (a weekly fee of millions, at an occupancy of a millionth) is outside it.
 */
const WITHIN_RANGE = 10_000_000;

/** Models the engine prices (a §6 model above its cap is refused) within the workbook's range. */
function priced(models: Json[]): { model: Json; breakdown: Breakdown }[] {
  const out: { model: Json; breakdown: Breakdown }[] = [];
  for (const model of models) {
    try {
      const breakdown = priceCostModel(costModelSchema.parse(model));
      const largest = Math.max(
        Number(breakdown.weeklyFeePerChild),
        Number(breakdown.annualIncomeAtPlannedOccupancy),
      );
      if (largest < WITHIN_RANGE) out.push({ model, breakdown });
    } catch (error) {
      if (!(error instanceof DomainValidationError)) throw error;
    }
  }
  return out;
}

/** Where two documents differ: each path with the value found and the value expected. */
function differencesOf(found: unknown, expected: unknown, at = ''): string[] {
  if (typeof found === 'object' && found !== null && typeof expected === 'object' && expected !== null) {
    const keys = new Set([...Object.keys(found), ...Object.keys(expected)]);
    return [...keys].flatMap((key) =>
      differencesOf((found as Json)[key], (expected as Json)[key], `${at}/${key}`),
    );
  }
  return found === expected ? [] : [`${at}: ${JSON.stringify(found)}, published ${JSON.stringify(expected)}`];
}

describe.skipIf(!libreOfficeAvailable)('live breakdown workbooks recalculated by LibreOffice', () => {
  it('gives every published figure to the penny: the three examples and over 250 generated models', async () => {
    // the examples' cached results are taken out (every figure then comes from a formula); the
    // generated ones keep theirs, as the service writes them, and LibreOffice recalculates on loading
    // (the changed inputs of the test below prove it does)
    const examples = priced(EXAMPLES.map(example));
    const cases = [
      ...examples,
      ...priced(fc.sample(modelArb, { numRuns: 230, seed: 2201 })),
      ...priced(fc.sample(relatedModelArb, { numRuns: 180, seed: 2202 })),
    ];
    expect(cases.length).toBeGreaterThan(250);
    const workbooks = await Promise.all(
      cases.map(async ({ model, breakdown }, i) => {
        const bytes = await breakdownWorkbook(model, breakdown, about);
        return i < examples.length ? withoutResults(bytes) : bytes;
      }),
    );
    const recalculated = await recalculate(workbooks);
    const mismatches = cases.flatMap(({ model, breakdown }, i) => {
      const expected = publishedFigures(breakdown);
      let figures: unknown;
      try {
        figures = workbookFigures(workbookReader(recalculated[i]!));
      } catch (error) {
        figures = String(error);
      }
      const differences = differencesOf(figures, expected);
      return differences.length === 0 ? [] : [{ i, differences, model }];
    });
    expect(mismatches.slice(0, 2)).toEqual([]);
  }, 600_000);
});

/** A cell found by the header of its column (row 1) and a row whose first column holds `key`. */
function cellOf(workbook: ExcelJS.Workbook, sheet: string, header: string, row: number): ExcelJS.Cell {
  const worksheet = workbook.getWorksheet(sheet)!;
  const headers = worksheet.getRow(1).values as unknown[];
  const col = headers.indexOf(header);
  if (col < 1) throw new Error(`No column ${header} on ${sheet}`);
  return worksheet.getCell(row, col);
}

/** The Model sheet's value cell of a field, by its JSON pointer. */
function modelCell(workbook: ExcelJS.Workbook, pointer: string): ExcelJS.Cell {
  const sheet = workbook.getWorksheet('Model')!;
  for (let row = 2; row <= sheet.rowCount; row += 1) {
    if (sheet.getCell(row, 1).value === pointer) return sheet.getCell(row, 3);
  }
  throw new Error(`No row ${pointer} on Model`);
}

/** One change made twice: to the workbook's input cell, and to the model POST /v1/quotes is sent. */
interface Change {
  what: string;
  workbook: (workbook: ExcelJS.Workbook) => void;
  model: (model: Json) => void;
}

const lines = (model: Json, kind: string) => model[kind] as Json[];
const CHANGES: Change[] = [
  {
    what: 'the lease, £2,400 → £2,650 a month',
    workbook: (w) => {
      cellOf(w, 'Property', 'amount', 2).value = 2650;
    },
    model: (m) => {
      lines(m, 'property')[0]!.amount = '2650';
    },
  },
  {
    what: 'planned occupancy 0.9 → 0.75',
    workbook: (w) => {
      modelCell(w, '/home/plannedOccupancy').value = 0.75;
    },
    model: (m) => {
      (m.home as Json).plannedOccupancy = '0.75';
    },
  },
  {
    what: 'the care workers’ salary → £31,250.50',
    workbook: (w) => {
      cellOf(w, 'Staffing', 'annualSalaryFte', 5).value = 31250.5;
    },
    model: (m) => {
      lines(m, 'staffing')[3]!.annualSalaryFte = '31250.50';
    },
  },
  {
    what: 'the surplus rate 0.04 → 0.045 (the organisation’s cap is 0.05)',
    workbook: (w) => {
      modelCell(w, '/surplus/rate').value = 0.045;
    },
    model: (m) => {
      (m.surplus as Json).rate = '0.045';
    },
  },
  {
    what: 'employer NI 0.15 → 0.138 and agency share 0.1 → 0.25',
    workbook: (w) => {
      modelCell(w, '/rates/employerNiRate').value = 0.138;
      modelCell(w, '/cover/agencyShare').value = 0.25;
    },
    model: (m) => {
      (m.rates as Json).employerNiRate = '0.138';
      (m.cover as Json).agencyShare = '0.25';
    },
  },
  {
    what: 'a per-child running line £75 → £82.40 a week, and the enhancement 25 → 31.5 hours',
    workbook: (w) => {
      cellOf(w, 'Running', 'amount', 2).value = 82.4;
      cellOf(w, 'Enhancements', 'hoursPerWeek', 2).value = 31.5;
    },
    model: (m) => {
      lines(m, 'running')[0]!.amount = '82.40';
      lines(m, 'enhancements')[0]!.hoursPerWeek = '31.5';
    },
  },
];

describe.skipIf(!libreOfficeAvailable)('a published schedule’s workbook, changed and recalculated', () => {
  let testApp: TestApp;
  let finance: Record<string, string>;
  let schedule: { id: string; model: Json };

  beforeAll(async () => {
    testApp = await createTestApp('pglite');
    const organisationId = await createOrganisation(testApp.app, 'Wirral Homes CIC');
    finance = bearer((await createKey(testApp.app, { role: 'finance', organisationId })).key);
    const ok = (options: InjectOptions, status: number) => injectOk(testApp.app, options, status);
    const homeId = (
      await ok(
        {
          method: 'POST',
          url: '/v1/homes',
          headers: finance,
          payload: {
            name: 'Oxton House',
            hostCouncil: 'E08000015',
            registeredPlaces: 4,
            openedOn: '2021-05-01',
          },
        },
        201,
      )
    ).json().id;
    const draftId = (
      await ok(
        {
          method: 'POST',
          url: `/v1/homes/${homeId}/cost-models`,
          headers: finance,
          payload: example('wirral-four-bed-2026-27'),
        },
        201,
      )
    ).json().id;
    const published = (
      await ok(
        {
          method: 'POST',
          url: `/v1/cost-models/${draftId}/publish`,
          headers: { ...finance, 'idempotency-key': 'live-workbook' },
          payload: { effectiveFrom: '2026-04-01', costModelVersion: 1 },
        },
        201,
      )
    ).json();
    schedule = { id: published.id, model: published.model };
  });
  afterAll(() => testApp?.close());

  it('gives, for each change of an input, the fee POST /v1/quotes gives for that change', async () => {
    const response = await testApp.app.inject({
      method: 'GET',
      url: `/v1/fee-schedules/${schedule.id}`,
      headers: { accept: XLSX },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe(XLSX);
    const ExcelJS = (await import('exceljs')).default;
    const changed = await Promise.all(
      CHANGES.map(async (change) => {
        const workbook = new ExcelJS.Workbook();
        await workbook.xlsx.load(response.rawPayload as unknown as ArrayBuffer);
        change.workbook(workbook);
        return withoutResults(Buffer.from(await workbook.xlsx.writeBuffer()));
      }),
    );
    const recalculated = await recalculate(changed);
    const answers = await Promise.all(
      CHANGES.map(async (change) => {
        const model = structuredClone(schedule.model);
        change.model(model);
        const quoted = await injectOk(
          testApp.app,
          { method: 'POST', url: '/v1/quotes', headers: finance, payload: model },
          200,
        );
        return quoted.json() as Breakdown;
      }),
    );
    const original = (
      await injectOk(testApp.app, { method: 'GET', url: `/v1/fee-schedules/${schedule.id}` }, 200)
    ).json().weeklyFeePerChild;
    CHANGES.forEach((change, i) => {
      const figures = workbookFigures(workbookReader(recalculated[i]!));
      expect({ change: change.what, fee: figures.weeklyFeePerChild }).toEqual({
        change: change.what,
        fee: answers[i]!.weeklyFeePerChild,
      });
      expect(figures.weeklyFeePerChild).not.toBe(original);
      expect(figures).toEqual(publishedFigures(answers[i]!));
    });
  }, 300_000);
});
