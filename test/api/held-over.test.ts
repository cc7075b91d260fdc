import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { engines } from '../helpers/database.js';
import { bearer, createHome, createKey, createOrganisation } from '../helpers/keys.js';

// Method §7 "Held over": a 2026-27 fee (period 1 April 2026 to 31 March 2027) still in force in April
// 2027 is charged, and every such day is marked held over in statements and on the home's page.

const wirral = JSON.parse(
  readFileSync(
    new URL('../../fixtures/examples/wirral-four-bed-2026-27.model.json', import.meta.url),
    'utf8',
  ),
);
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const MARCH_AND_APRIL = 'from=2027-03-01&to=2027-04-30';

interface Line {
  kind: string;
  from: string;
  to: string;
  days: number;
  heldOver: boolean;
  amount: string;
}

describe.each(engines)('held-over fees on %s', (engine) => {
  let testApp: TestApp;
  const inject = (options: InjectOptions) => testApp.app.inject(options);

  beforeAll(async () => {
    testApp = await createTestApp(engine);
  });
  afterAll(() => testApp.close());

  /**
   * An organisation of its own (so a finance key's statement holds only this test's placement), a
   * home with only a 2026-27 schedule from 1 April 2026, and a Wirral placement from 20 March 2027
   * with a 25-hour enhancement from 29 March to 5 April.
   */
  async function homeWithOnly2026Fee(name: string) {
    const organisationId = await createOrganisation(testApp.app, `${name} CIC`);
    const finance = bearer((await createKey(testApp.app, { role: 'finance', organisationId })).key);
    const homeId = await createHome(testApp.app, finance, name);
    const draft = await inject({
      method: 'POST',
      url: `/v1/homes/${homeId}/cost-models`,
      headers: finance,
      payload: wirral,
    });
    expect(draft.statusCode, draft.body).toBe(201);
    const published = await inject({
      method: 'POST',
      url: `/v1/cost-models/${draft.json().id}/publish`,
      headers: { ...finance, 'idempotency-key': randomUUID() },
      payload: { effectiveFrom: '2026-04-01' },
    });
    expect(published.statusCode, published.body).toBe(201);
    const placement = await inject({
      method: 'POST',
      url: '/v1/placements',
      headers: finance,
      payload: {
        homeId,
        councilCode: 'E08000015',
        reference: `WIR-2027-${Math.floor(Math.random() * 9000) + 1000}`,
        start: '2027-03-20',
        enhancements: [
          {
            description: '1:1 in school hours',
            roleId: 'rcw',
            hoursPerWeek: '25',
            start: '2027-03-29',
            end: '2027-04-05',
          },
        ],
      },
    });
    expect(placement.statusCode, placement.body).toBe(201);
    return { finance, homeId, placementId: placement.json().id as string };
  }

  it('marks April 2027 charged at the 2026-27 fee as held over in the statement JSON', async () => {
    const { finance, homeId, placementId } = await homeWithOnly2026Fee('Held Over House');
    const response = await inject({
      url: `/v1/councils/E08000015/statements?${MARCH_AND_APRIL}`,
      headers: finance,
    });
    expect(response.statusCode, response.body).toBe(200);
    const statement = response.json();
    expect(statement.placements).toHaveLength(1);
    const [placement] = statement.placements;
    expect(placement).toMatchObject({ placementId, daysCharged: 42, heldOverDays: 30, unpricedDays: 0 });
    expect(
      placement.lines.map((line: Line) => [line.kind, line.from, line.to, line.days, line.heldOver]),
    ).toEqual([
      ['fee', '2027-03-20', '2027-03-31', 12, false],
      ['enhancement', '2027-03-29', '2027-03-31', 3, false],
      ['fee', '2027-04-01', '2027-04-30', 30, true],
      ['enhancement', '2027-04-01', '2027-04-05', 5, true],
    ]);
    expect(statement.homes).toEqual([expect.objectContaining({ homeId, daysCharged: 42, heldOverDays: 30 })]);
    expect(statement.rule).toContain('held over');
    // the held-over lines are charged at the 2026-27 fee, and the lines still add up to the total
    expect(statement.feeSchedules.map((s: { periodLabel: string }) => s.periodLabel)).toEqual(['2026-27']);
    const pennies = placement.lines.reduce(
      (sum: bigint, line: Line) => sum + BigInt(line.amount.replace('.', '')),
      0n,
    );
    expect(pennies).toBe(BigInt(placement.total.replace('.', '')));
  });

  it('marks them in the CSV with a held_over column after days, the TOTAL row aligned', async () => {
    const { finance } = await homeWithOnly2026Fee('Held Over Court');
    const url = `/v1/councils/E08000015/statements?${MARCH_AND_APRIL}`;
    const statement = (await inject({ url, headers: finance })).json();
    const csv = await inject({ url, headers: { ...finance, accept: 'text/csv' } });
    expect(csv.statusCode, csv.body).toBe(200);
    const rows: string[][] = parse(csv.body);
    expect(rows[0]).toEqual([
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
    ]);
    for (const row of rows) expect(row).toHaveLength(rows[0]!.length);
    const column = (name: string) => rows[0]!.indexOf(name);
    expect(
      rows.slice(1, -1).map((row) => [row[column('kind')], row[column('from')], row[column('held_over')]]),
    ).toEqual([
      ['fee', '2027-03-20', 'false'],
      ['enhancement', '2027-03-29', 'false'],
      ['fee', '2027-04-01', 'true'],
      ['enhancement', '2027-04-01', 'true'],
    ]);
    const total = rows.at(-1)!;
    expect([total[column('kind')], total[column('held_over')], total[column('amount')]]).toEqual([
      'TOTAL',
      '',
      statement.total,
    ]);
  });

  it('marks them in the XLSX: a Held over column on the home sheet and Days held over on the Summary', async () => {
    const { finance } = await homeWithOnly2026Fee('Held Over Lodge');
    const xlsx = await inject({
      url: `/v1/councils/E08000015/statements?${MARCH_AND_APRIL}`,
      headers: { ...finance, accept: XLSX },
    });
    expect(xlsx.statusCode).toBe(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    expect(workbook.worksheets.map((sheet) => sheet.name)).toEqual(['Summary', 'Held Over Lodge']);

    const headers = (sheet: ExcelJS.Worksheet) =>
      (sheet.getRow(1).values as unknown[]).slice(1).map((value) => String(value));
    const summary = workbook.getWorksheet('Summary')!;
    const summaryColumn = headers(summary).indexOf('Days held over') + 1;
    expect(summaryColumn).toBeGreaterThan(0);
    expect(summary.getRow(2).getCell(1).value).toBe('Held Over Lodge');
    expect(summary.getRow(2).getCell(summaryColumn).value).toBe(30);

    const home = workbook.getWorksheet('Held Over Lodge')!;
    const column = (name: string) => headers(home).indexOf(name) + 1;
    const marked: unknown[][] = [];
    home.eachRow((row, index) => {
      const line = String(row.getCell(column('Line')).value);
      if (index === 1 || line === 'Placement total' || line === 'Home total') return;
      marked.push([row.getCell(column('From')).value, row.getCell(column('Held over')).value]);
    });
    // real dates (UTC midnight) and real booleans, so that a filter or COUNTIF can pick the held-over lines
    const day = (iso: string) => new Date(`${iso}T00:00:00Z`);
    expect(marked).toEqual([
      [day('2027-03-20'), false],
      [day('2027-03-29'), false],
      [day('2027-04-01'), true],
      [day('2027-04-01'), true],
    ]);
  });

  it("says on the home's page when the fee in force is held over, and not before", async () => {
    const { homeId } = await homeWithOnly2026Fee('Held Over View');
    const page = async (on: string) => {
      const response = await inject({ url: `/transparency/homes/${homeId}?on=${on}` });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.body).not.toMatch(/<script/i);
      return response.body;
    };
    const april = await page('2027-04-15');
    const notice = april.match(/<p class="held-over" role="note"[^>]*>(.*?)<\/p>/)?.[1];
    expect(notice).toBeDefined();
    expect(notice!.replace(/<[^>]+>/g, '')).toContain(
      'Held over: this fee was set for 2026-27 (1 April 2026 to 31 March 2027)',
    );
    expect(notice).toContain('until a new fee is published');
    // the notice sits with the fee, before the breakdown
    expect(april.indexOf('class="held-over"')).toBeGreaterThan(april.indexOf('<p class="fee">'));
    expect(april.indexOf('class="held-over"')).toBeLessThan(april.indexOf('<h2>Where each £100 goes</h2>'));

    const june = await page('2026-06-01');
    expect(june).toContain('<p class="fee">');
    expect(june).not.toContain('class="held-over"');
    expect(june).not.toContain('Held over');
  });
});
