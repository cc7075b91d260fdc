import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { importActuals } from '../helpers/books.js';
import { engines } from '../helpers/database.js';
import { bearer, createHome, createKey, createOrganisation } from '../helpers/keys.js';

describe.each(engines)('actuals import on %s', (engine) => {
  let testApp: TestApp;
  let finance: Record<string, string>;
  let organisationId: string;
  let homeId: string;
  let keyCounter = 0;
  const inject = (options: InjectOptions) => testApp.app.inject(options);
  /** The rows of actual spending stored: in all, or of one home. */
  const stored = async (ofHome?: string) => {
    let query = testApp.database.handle.db
      .selectFrom('actual_amounts')
      .innerJoin('actuals_imports', 'actuals_imports.id', 'actual_amounts.import_id')
      .select((eb) => eb.fn.countAll<string>().as('n'));
    if (ofHome !== undefined) query = query.where('actuals_imports.home_id', '=', ofHome);
    return Number((await query.executeTakeFirstOrThrow()).n);
  };
  const csv = (body: string, key = `csv-import-${engine}-${++keyCounter}`) =>
    inject({
      method: 'POST',
      url: `/v1/homes/${homeId}/actuals`,
      headers: { ...finance, 'content-type': 'text/csv', 'idempotency-key': key },
      payload: body,
    });

  beforeAll(async () => {
    testApp = await createTestApp(engine);
    organisationId = await createOrganisation(testApp.app, 'Ledger Homes CIC');
    finance = bearer((await createKey(testApp.app, { role: 'finance', organisationId })).key);
    homeId = await createHome(testApp.app, finance, 'Ledger House');
  });
  afterAll(() => testApp.close());

  const rows = [
    { month: '2026-04', code: 'PROPERTY_LEASE', amount: '2400.00', description: 'April lease' },
    { month: '2026-04', code: 'STAFF_PAY', amount: '41250.17' },
    { month: '2026-05', code: 'PROPERTY_LEASE', amount: '2400.00' },
  ];

  it('imports JSON rows as a new version of each month, idempotently', async () => {
    // a home of its own, whose months and rows are this test's alone
    const homeId = await createHome(testApp.app, finance, 'Versioned House');
    const post = (body: object, key: string) =>
      inject({
        method: 'POST',
        url: `/v1/homes/${homeId}/actuals`,
        headers: { ...finance, 'idempotency-key': key },
        payload: body,
      });
    const first = await post({ rows }, 'json-import-0001');
    expect(first.statusCode).toBe(201);
    expect(first.json().months).toEqual([
      { month: '2026-04', version: 1, rows: 2, nil: false },
      { month: '2026-05', version: 1, rows: 1, nil: false },
    ]);
    const retry = await post({ rows }, 'json-import-0001');
    expect(retry.statusCode).toBe(200);
    expect(retry.json()).toMatchObject({ replayed: true, batchId: first.json().batchId });
    expect(await stored(homeId)).toBe(3);
    expect((await post({ rows: rows.slice(0, 1) }, 'json-import-0001')).statusCode).toBe(422);

    const again = await post(
      { rows: [{ month: '2026-04', code: 'PROPERTY_LEASE', amount: '2500.00' }] },
      'json-import-0002',
    );
    expect(again.json().months).toEqual([{ month: '2026-04', version: 2, rows: 1, nil: false }]);
    const april = (
      await inject({ url: `/v1/homes/${homeId}/actuals?month=2026-04`, headers: finance })
    ).json();
    expect(april).toMatchObject({
      version: 2,
      total: '2500.00',
      byCode: [{ code: 'PROPERTY_LEASE', amount: '2500.00' }],
    });
    expect(await stored(homeId)).toBe(4); // version 1 kept
  });

  it("imports a CSV stream, with a byte-order mark and the provider's nominal codes", async () => {
    const mapping = await inject({
      method: 'PUT',
      url: `/v1/organisations/${organisationId}/nominal-codes`,
      headers: finance,
      payload: { mappings: [{ nominalCode: '5010', code: 'RUNNING_FOOD_HOUSEHOLD' }] },
    });
    expect(mapping.statusCode).toBe(200);
    const response = await csv(
      '\ufeffmonth,nominal_code,amount,description\r\n2026-06,5010,812.40,Food\r\n2026-06,5010,97.15,"Household, cleaning"\r\n',
    );
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json().months).toEqual([{ month: '2026-06', version: 1, rows: 2, nil: false }]);
    const june = (
      await inject({ url: `/v1/homes/${homeId}/actuals?month=2026-06`, headers: finance })
    ).json();
    expect(june.byCode).toEqual([{ code: 'RUNNING_FOOD_HOUSEHOLD', amount: '909.55' }]);
  });

  it.each([
    ['a semicolon-separated file', 'month;code;amount\n2026-07;PROPERTY_LEASE;100.00\n', '/rows/0/month'],
    ['a missing column', 'month,code\n2026-07,PROPERTY_LEASE\n', '/rows/0/amount'],
    [
      'a non-numeric amount',
      'month,code,amount\n2026-07,PROPERTY_LEASE,100.00\n2026-07,STAFF_PAY,lots\n',
      '/rows/2/amount',
    ],
    ['three decimal places', 'month,code,amount\n2026-07,PROPERTY_LEASE,100.005\n', '/rows/1/amount'],
    ['an unknown code', 'month,code,amount\n2026-07,PROPERTY_SWIMMING_POOL,100.00\n', '/rows/1/code'],
    ['a bad month', 'month,code,amount\n2026-13,PROPERTY_LEASE,100.00\n', '/rows/1/month'],
    [
      'a duplicated row',
      'month,code,amount\n2026-07,PROPERTY_LEASE,100.00\n2026-07,STAFF_PAY,5.00\n2026-07,PROPERTY_LEASE,100.00\n',
      '/rows/3/amount',
    ],
    ['a row with too many fields', 'month,code,amount\n2026-07,PROPERTY_LEASE,100.00,extra\n', '/rows/1'],
  ])('refuses %s with a row/column pointer and stores nothing', async (_name, body, pointer) => {
    const before = await stored();
    const response = await csv(body);
    expect(response.statusCode, response.body).toBe(422);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json().errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
    expect(await stored()).toBe(before);
  });

  it('holds a JSON import to the 1 MiB body limit, and takes the same rows as a CSV file', async () => {
    const many = Array.from({ length: 15_000 }, (_, i) => ({
      month: '2027-01',
      code: 'RUNNING_OTHER',
      amount: `${(i % 900) + 1}.${String(i % 100).padStart(2, '0')}`,
      description: `Receipt ${i}`,
    }));
    const payload = JSON.stringify({ rows: many });
    expect(payload.length).toBeGreaterThan(1024 * 1024);
    const before = await stored();
    const json = await inject({
      method: 'POST',
      url: `/v1/homes/${homeId}/actuals`,
      headers: { ...finance, 'content-type': 'application/json', 'idempotency-key': `big-json-${engine}` },
      payload,
    });
    expect(json.statusCode).toBe(413);
    expect(json.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(await stored()).toBe(before);
    const file = [
      'month,code,amount,description',
      ...many.map((r) => `${r.month},${r.code},${r.amount},${r.description}`),
    ];
    const response = await csv(`${file.join('\n')}\n`);
    expect(response.statusCode, response.body).toBe(201);
    expect(await stored()).toBe(before + many.length);
  });

  it('reads a file by its byte-order mark: UTF-16 as well as UTF-8 (as spreadsheets write them)', async () => {
    const before = await stored();
    const response = await inject({
      method: 'POST',
      url: `/v1/homes/${homeId}/actuals`,
      headers: { ...finance, 'content-type': 'text/csv', 'idempotency-key': `utf16-${engine}` },
      payload: Buffer.from('\ufeffmonth,code,amount\n2026-08,PROPERTY_LEASE,100.00\n', 'utf16le'),
    });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json().months).toEqual([{ month: '2026-08', version: 1, rows: 1, nil: false }]);
    expect(await stored()).toBe(before + 1);
  });

  it('keeps imported actuals append-only in the database', async () => {
    // rows of its own to refuse to change: the triggers are per row
    const homeId = await createHome(testApp.app, finance, 'Append Only House');
    await importActuals(testApp.app, finance, homeId, [
      { month: '2026-04', rows: [{ code: 'PROPERTY_LEASE', amount: '2400.00' }] },
    ]);
    const { db } = testApp.database.handle;
    await expect(db.updateTable('actual_amounts').set({ amount: '0' }).execute()).rejects.toThrow(
      /append-only/,
    );
    await expect(db.deleteFrom('actuals_imports').execute()).rejects.toThrow(/append-only/);
  });
});
