import { createHash } from 'node:crypto';
import ExcelJS from 'exceljs';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dec } from '../../src/domain/money.js';
import { canonicalJson, signatureValid } from '../../src/domain/proofs.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { importActuals, seedProvider } from '../helpers/books.js';
import { engines } from '../helpers/database.js';
import { bearer, createKey } from '../helpers/keys.js';

const sum = (values: string[]) => values.reduce((total, value) => total.plus(value), new Dec(0)).toFixed(2);
const april = 'from=2026-04-01&to=2026-04-30';

describe.each(engines)('year-end reconciliation on %s', (engine) => {
  let testApp: TestApp;
  const inject = (options: InjectOptions) => testApp.app.inject(options);

  beforeAll(async () => {
    testApp = await createTestApp(engine, { today: '2027-06-01' });
  });
  afterAll(() => testApp.close());

  /**
   * A provider with one home, four placements in April (two Wirral, one Sefton, one Liverpool) and
   * April's actual spending 10% under the budget on every line: its surplus is over the 5% cap.
   */
  async function aprilProvider() {
    const { organisationId, finance, homeIds } = await seedProvider(testApp.app, {
      homes: [
        {
          name: 'Open House',
          placements: [
            ['E08000015', 'WIR-101'],
            ['E08000015', 'WIR-102'],
            ['E08000014', 'SEF-201'],
            ['E08000012', 'LIV-301'],
          ].map(([councilCode, reference]) => ({
            councilCode: councilCode!,
            reference: reference!,
            start: '2026-04-01',
            end: '2026-04-30',
          })),
        },
      ],
    });
    const homeId = homeIds[0]!;
    const variance = (
      await inject({ url: `/v1/homes/${homeId}/variance?${april}`, headers: finance })
    ).json();
    const budget: Array<{ code: string; amount: string }> = variance.budget;
    await importActuals(testApp.app, finance, homeId, [
      {
        month: '2026-04',
        rows: budget.map((line) => ({ code: line.code, amount: new Dec(line.amount).times(0.9).toFixed(2) })),
      },
    ]);
    return { organisationId, finance, homeId, budget };
  }

  const freezeApril = async (finance: Record<string, string>, organisationId: string) =>
    inject({
      method: 'POST',
      url: '/v1/reconciliations',
      headers: finance,
      payload: { organisationId, from: '2026-04-01', to: '2026-04-30' },
    });

  it('budgets April pro rata from the schedule in force, beside the actuals', async () => {
    const { finance, homeId } = await aprilProvider();
    const variance = (
      await inject({ url: `/v1/homes/${homeId}/variance?${april}`, headers: finance })
    ).json();
    const lease = variance.variance.find((line: { code: string }) => line.code === 'PROPERTY_LEASE');
    // £28,800.00 a year × 30 ÷ 365 days
    expect(lease.budget).toBe(
      new Dec(28800).times(30).div(365).toDecimalPlaces(2, Dec.ROUND_HALF_UP).toFixed(2),
    );
    expect(lease.actual).toBe(new Dec(lease.budget).times(0.9).toFixed(2));
    expect(new Dec(variance.income).gt(0)).toBe(true);
    const year = (
      await inject({ url: `/v1/homes/${homeId}/variance?period=2026-27`, headers: finance })
    ).json();
    expect([year.from, year.to]).toEqual(['2026-04-01', '2027-03-31']);
    expect((await inject({ url: `/v1/homes/${homeId}/variance`, headers: finance })).statusCode).toBe(400);
  });

  it('returns the excess over the cap to the councils in proportion to what they paid, to the penny', async () => {
    const { organisationId, finance } = await aprilProvider();
    const preview = (
      await inject({
        url: `/v1/reconciliations/preview?organisationId=${organisationId}&${april}`,
        headers: finance,
      })
    ).json();
    expect(preview.outcome).toBe('excess_rebated');
    expect(preview.capRate).toMatch(/^0\.05/);
    expect(sum(preview.rebates.map((r: { rebate: string }) => r.rebate))).toBe(preview.excess);
    expect(preview.incomeByCouncil.map((c: { councilCode: string }) => c.councilCode)).toEqual([
      'E08000012',
      'E08000014',
      'E08000015',
    ]);
    const statement = (
      await inject({ url: `/v1/councils/E08000015/statements?${april}`, headers: finance })
    ).json();
    const wirralIncome = preview.incomeByCouncil.find(
      (c: { councilCode: string }) => c.councilCode === 'E08000015',
    );
    expect(wirralIncome.amount).toBe(statement.total);
  });

  it('freezes a reconciliation, hashed and signed, and shows each council only its share', async () => {
    const { organisationId, finance } = await aprilProvider();
    const frozen = await freezeApril(finance, organisationId);
    expect(frozen.statusCode).toBe(201);
    const body = frozen.json();
    expect(body.hash).toBe(createHash('sha256').update(canonicalJson(body.reconciliation)).digest('hex'));
    const keys = (await inject({ url: '/.well-known/fee-schedule-keys.json' })).json().keys;
    const key = keys.find((k: { keyId: string }) => k.keyId === body.keyId);
    expect(signatureValid(body.hash, body.signature, key.publicKey)).toBe(true);

    const wirralKey = bearer(
      (await createKey(testApp.app, { role: 'commissioner', councils: ['E08000015'] })).key,
    );
    const seen = (await inject({ url: `/v1/reconciliations/${body.id}`, headers: wirralKey })).json();
    expect(seen.reconciliation.rebates.map((r: { councilCode: string }) => r.councilCode)).toEqual([
      'E08000015',
    ]);
    // nor other councils' income in each home's figures
    expect(
      seen.reconciliation.homes.flatMap((home: { incomeByCouncil: Array<{ councilCode: string }> }) =>
        home.incomeByCouncil.map((line) => line.councilCode),
      ),
    ).toEqual(['E08000015']);
    const haltonKey = bearer(
      (await createKey(testApp.app, { role: 'commissioner', councils: ['E06000006'] })).key,
    );
    expect((await inject({ url: `/v1/reconciliations/${body.id}`, headers: haltonKey })).statusCode).toBe(
      404,
    );

    const { db } = testApp.database.handle;
    await expect(
      db.updateTable('reconciliations').set({ hash: 'x' }).where('id', '=', body.id).execute(),
    ).rejects.toThrow(/append-only/);
  });

  it('gives each council its statement (JSON, CSV, XLSX) and publishes the provider summary without council detail', async () => {
    const { organisationId, finance } = await aprilProvider();
    const frozen = (await freezeApril(finance, organisationId)).json();
    const wirralRebate = frozen.reconciliation.rebates.find(
      (r: { councilCode: string }) => r.councilCode === 'E08000015',
    );
    const wirralKey = bearer(
      (await createKey(testApp.app, { role: 'commissioner', councils: ['E08000015'] })).key,
    );
    const url = `/v1/reconciliations/${frozen.id}/statements/E08000015`;
    const json = (await inject({ url, headers: wirralKey })).json();
    expect(json).toMatchObject({
      councilCode: 'E08000015',
      rebate: wirralRebate.rebate,
      charged: wirralRebate.charged,
      hash: frozen.hash,
    });
    const csv = await inject({ url, headers: { ...wirralKey, accept: 'text/csv' } });
    expect(csv.body).toContain(`Rebate due to the council,${wirralRebate.rebate}`);
    const xlsx = await inject({
      url,
      headers: { ...wirralKey, accept: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' },
    });
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    const sheet = workbook.getWorksheet('Reconciliation')!;
    let rebateCell: unknown;
    sheet.eachRow((row) => {
      if (row.getCell(1).value === 'Rebate due to the council') rebateCell = row.getCell(2).value;
    });
    expect(rebateCell).toBe(Number(wirralRebate.rebate));
    expect(
      (await inject({ url: `/v1/reconciliations/${frozen.id}/statements/E08000014`, headers: wirralKey }))
        .statusCode,
    ).toBe(404);

    const page = await inject({ url: `/transparency/reconciliations/${frozen.id}` });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('Excess returned to councils');
    expect(page.body).toContain(frozen.hash);
    expect(page.body).not.toMatch(/E08\d{6}/);
  });
});
