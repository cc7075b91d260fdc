import { readFileSync } from 'node:fs';
import ExcelJS from 'exceljs';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { engines } from '../helpers/database.js';
import { bearer, createHome, createKey, createOrganisation } from '../helpers/keys.js';

const wirral = JSON.parse(
  readFileSync(
    new URL('../../fixtures/examples/wirral-four-bed-2026-27.model.json', import.meta.url),
    'utf8',
  ),
);
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const STATEMENT = '/v1/councils/E08000015/statements?from=2026-06-01&to=2026-06-30';

/** Home names that broke the statement workbook (exceljs threw, a 500), and what their sheets are called. */
const HOMES = [
  { name: 'History', sheet: 'History 2', renamed: true },
  { name: "Wirral Children's Homes CIC'", sheet: "Wirral Children's Homes CIC" },
  { name: "Birkenhead and Oxton Childrens' Home Ltd", sheet: 'Birkenhead and Oxton Childrens' },
  { name: 'summary', sheet: 'summary 2' },
  // `/` may not be in a sheet name: it becomes a space
  { name: "Oak House;=cmd|' /C calc'!A0", sheet: "Oak House;=cmd|'  C calc'!A0" },
];

describe.each(engines)('statement workbooks whatever the homes are called, on %s', (engine) => {
  let testApp: TestApp;
  let finance: Record<string, string>;
  let commissioner: Record<string, string>;
  const inject = (options: InjectOptions) => testApp.app.inject(options);

  beforeAll(async () => {
    testApp = await createTestApp(engine);
    const organisationId = await createOrganisation(testApp.app, 'Hostile Names Homes CIC');
    finance = bearer((await createKey(testApp.app, { role: 'finance', organisationId })).key);
    commissioner = bearer(
      (await createKey(testApp.app, { role: 'commissioner', councils: ['E08000015'] })).key,
    );
    for (const [index, home] of HOMES.entries()) {
      const homeId = await createHome(testApp.app, finance, home.renamed ? `Ash House ${index}` : home.name);
      if (home.renamed) {
        const renamed = await inject({
          method: 'PATCH',
          url: `/v1/homes/${homeId}`,
          headers: finance,
          payload: { name: home.name },
        });
        expect(renamed.statusCode).toBe(200);
        expect(renamed.json().name).toBe(home.name);
      }
      const draft = await inject({
        method: 'POST',
        url: `/v1/homes/${homeId}/cost-models`,
        headers: finance,
        payload: wirral,
      });
      expect(draft.statusCode).toBe(201);
      const published = await inject({
        method: 'POST',
        url: `/v1/cost-models/${draft.json().id}/publish`,
        headers: { ...finance, 'idempotency-key': `sheet-names-${engine}-${index}` },
        payload: { effectiveFrom: '2026-04-01' },
      });
      expect(published.statusCode).toBe(201);
      const placement = await inject({
        method: 'POST',
        url: '/v1/placements',
        headers: finance,
        payload: {
          homeId,
          councilCode: 'E08000015',
          reference: `WIR-2026-00${index + 10}`,
          start: '2026-06-01',
        },
      });
      expect(placement.statusCode).toBe(201);
    }
  });
  afterAll(() => testApp.close());

  it('the home names are as hostile as intended', () => {
    expect(HOMES[1]!.name).toHaveLength(28);
    expect(HOMES[1]!.name.endsWith("'")).toBe(true);
    expect(HOMES[2]!.name).toHaveLength(40);
    expect(HOMES[2]!.name.slice(0, 31).endsWith("'")).toBe(true);
  });

  it.each([
    ['finance', () => finance],
    ['the council', () => commissioner],
  ])('serves the XLSX statement to %s, with a sheet for every home', async (_who, headers) => {
    const response = await inject({ url: STATEMENT, headers: { ...headers(), accept: XLSX } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe(XLSX);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(response.rawPayload as unknown as ArrayBuffer);
    const names = workbook.worksheets.map((sheet) => sheet.name);
    expect(names[0]).toBe('Summary');
    expect(names.slice(1).sort()).toEqual(HOMES.map((home) => home.sheet).sort());
    expect(new Set(names.map((name) => name.toLowerCase())).size).toBe(names.length);
    for (const name of names) expect(name.length).toBeLessThanOrEqual(31);
    // the summary lists the homes by their real names, defused where they look like formulas
    const listed: string[] = [];
    workbook.getWorksheet('Summary')!.eachRow((row, index) => {
      if (index > 1 && index <= 1 + HOMES.length) listed.push(String(row.getCell(1).value));
    });
    expect(listed.sort()).toEqual(HOMES.map((home) => home.name.replace(';=', ";'=")).sort());
  });

  it('serves the CSV statement with no field a spreadsheet would run as a formula', async () => {
    const response = await inject({ url: STATEMENT, headers: { ...finance, accept: 'text/csv' } });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain(`"Oak House;'=cmd|' /C calc'!A0"`);
    for (const field of response.body.split(/[,;\t\r\n]/)) {
      expect(field.replace(/^[ "]+/, '')).not.toMatch(/^[=+@]/);
    }
  });
});
