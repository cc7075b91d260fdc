import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dec } from '../../src/domain/money.js';
import { signatureValid } from '../../src/domain/proofs.js';
import { adminAuth, createTestApp, type TestApp } from '../helpers/app.js';
import { monthsOf } from '../helpers/books.js';
import { engines } from '../helpers/database.js';
import { bearer, createHome, createKey, createOrganisation } from '../helpers/keys.js';

const wirral = JSON.parse(
  readFileSync(
    new URL('../../fixtures/examples/wirral-four-bed-2026-27.model.json', import.meta.url),
    'utf8',
  ),
);
const smaller = { ...wirral, home: { ...wirral.home, plannedOccupancy: '0.75' } };
const schema = JSON.parse(
  readFileSync(new URL('../../openapi/returns/annual-return.v3.schema.json', import.meta.url), 'utf8'),
);
const ajv = new Ajv2020({ allErrors: true, strict: true });
(addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
const validate = ajv.compile(schema);
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const sum = (values: readonly string[]) =>
  values.reduce((total, value) => total.plus(value), new Dec(0)).toFixed(2);

interface Amount {
  councilCode?: string;
  code?: string;
  category?: string;
  amount: string;
}
interface Rebate {
  councilCode: string;
  charged: string;
  share: string;
  rebate: string;
}
interface Figures {
  income: { total: string; byCouncil: Amount[] };
  actualCosts: { total: string; byCategory: Amount[]; byCode: Amount[] };
  surplus: { realised: string; allowed: string; excess: string; shortfall: string };
  rebates: { total: string; byCouncil: Rebate[] };
  staffing: {
    headcount: number;
    fte: string;
    groups: Array<{ group: string; headcount: number; fte: string }>;
  };
  occupancy: { placeDays: number; occupiedDays: number };
  registeredPlaces: number;
  placements: number;
}

/** Every money figure of `totals` is the sum of the parts' figures, to the penny. */
function expectSumOfParts(totals: Figures, parts: readonly Figures[]) {
  const byKey = (lists: Amount[][], key: 'councilCode' | 'code' | 'category') => {
    const sums = new Map<string, Dec>();
    for (const line of lists.flat())
      sums.set(line[key]!, (sums.get(line[key]!) ?? new Dec(0)).plus(line.amount));
    return Object.fromEntries([...sums].map(([k, v]) => [k, v.toFixed(2)]));
  };
  const asMap = (lines: Amount[], key: 'councilCode' | 'code' | 'category') =>
    Object.fromEntries(lines.map((line) => [line[key], line.amount]));
  expect(totals.income.total).toBe(sum(parts.map((p) => p.income.total)));
  expect(asMap(totals.income.byCouncil, 'councilCode')).toEqual(
    byKey(
      parts.map((p) => p.income.byCouncil),
      'councilCode',
    ),
  );
  expect(totals.actualCosts.total).toBe(sum(parts.map((p) => p.actualCosts.total)));
  expect(asMap(totals.actualCosts.byCode, 'code')).toEqual(
    byKey(
      parts.map((p) => p.actualCosts.byCode),
      'code',
    ),
  );
  expect(asMap(totals.actualCosts.byCategory, 'category')).toEqual(
    byKey(
      parts.map((p) => p.actualCosts.byCategory),
      'category',
    ),
  );
  expect(sum(totals.actualCosts.byCode.map((line) => line.amount))).toBe(totals.actualCosts.total);
  for (const key of ['realised', 'allowed', 'excess', 'shortfall'] as const) {
    expect(totals.surplus[key]).toBe(sum(parts.map((p) => p.surplus[key])));
  }
  expect(totals.rebates.total).toBe(sum(parts.map((p) => p.rebates.total)));
  const rebates = (lines: Rebate[]) => lines.map((line) => ({ ...line, amount: line.rebate }));
  expect(asMap(rebates(totals.rebates.byCouncil), 'councilCode')).toEqual(
    byKey(
      parts.map((p) => rebates(p.rebates.byCouncil)),
      'councilCode',
    ),
  );
  expect(totals.staffing.headcount).toBe(parts.reduce((n, p) => n + p.staffing.headcount, 0));
  expect(totals.occupancy.placeDays).toBe(parts.reduce((n, p) => n + p.occupancy.placeDays, 0));
  expect(totals.occupancy.occupiedDays).toBe(parts.reduce((n, p) => n + p.occupancy.occupiedDays, 0));
  expect(totals.registeredPlaces).toBe(parts.reduce((n, p) => n + p.registeredPlaces, 0));
  expect(totals.placements).toBe(parts.reduce((n, p) => n + p.placements, 0));
}

describe.each(engines)('annual financial return on %s', (engine) => {
  let testApp: TestApp;
  let admin: Record<string, string>;
  let regulator: Record<string, string>;
  let finance: Record<string, string>;
  let otherFinance: Record<string, string>;
  let organisationId: string;
  let otherOrganisationId: string;
  let homeIds: string[];
  const inject = (options: InjectOptions) => testApp.app.inject(options);
  const year = '/v1/returns/2026-27';

  const drafts = new Map<string, string>();
  async function publish(
    app: FastifyInstance,
    headers: Record<string, string>,
    homeId: string,
    model: object,
    effectiveFrom: string,
    key: string,
  ) {
    const inject = (options: InjectOptions) => app.inject(options);
    let draftId = drafts.get(homeId);
    if (draftId === undefined) {
      const draft = await inject({
        method: 'POST',
        url: `/v1/homes/${homeId}/cost-models`,
        headers,
        payload: model,
      });
      expect(draft.statusCode).toBe(201);
      draftId = draft.json().id as string;
      drafts.set(homeId, draftId);
    } else {
      const current = await inject({ url: `/v1/cost-models/${draftId}`, headers });
      const replaced = await inject({
        method: 'PUT',
        url: `/v1/cost-models/${draftId}`,
        headers: { ...headers, 'if-match': String(current.headers.etag) },
        payload: model,
      });
      expect(replaced.statusCode).toBe(200);
    }
    const published = await inject({
      method: 'POST',
      url: `/v1/cost-models/${draftId}/publish`,
      headers: { ...headers, 'idempotency-key': key },
      payload: { effectiveFrom },
    });
    expect(published.statusCode, published.body).toBe(201);
  }

  async function importActuals(
    app: FastifyInstance,
    headers: Record<string, string>,
    homeId: string,
    months: string[],
    scale: string,
    key: string,
  ) {
    const inject = (options: InjectOptions) => app.inject(options);
    const budget = (await inject({ url: `/v1/homes/${homeId}/variance?period=2026-27`, headers })).json()
      .budget as Amount[];
    const rows = months.flatMap((month) =>
      budget.map((line) => ({
        month,
        code: line.code,
        amount: new Dec(line.amount).div(12).times(scale).toFixed(2),
      })),
    );
    const imported = await inject({
      method: 'POST',
      url: `/v1/homes/${homeId}/actuals`,
      headers: { ...headers, 'idempotency-key': key },
      payload: { rows },
    });
    expect(imported.statusCode).toBe(201);
  }

  /**
   * The year's books: Open Book CIC (its cap tested home by home) with Ash House (two schedules,
   * three placements, well under budget) and Beech House (overspent), and Second Provider CIC with
   * Cedar House; a regulator's key and each provider's finance key.
   */
  async function seedYear(app: FastifyInstance) {
    const inject = (options: InjectOptions) => app.inject(options);
    const regulator = bearer((await createKey(app, { role: 'regulator' })).key);
    const organisationId = await createOrganisation(app, 'Open Book CIC');
    const otherOrganisationId = await createOrganisation(app, 'Second Provider CIC');
    // Open Book's contracts test the cap home by home, so each home's figures are settled in the return
    const policy = await inject({
      method: 'PATCH',
      url: `/v1/organisations/${organisationId}`,
      headers: adminAuth,
      payload: { capScope: 'home' },
    });
    expect(policy.statusCode).toBe(200);
    const finance = bearer((await createKey(app, { role: 'finance', organisationId })).key);
    const otherFinance = bearer(
      (await createKey(app, { role: 'finance', organisationId: otherOrganisationId })).key,
    );
    const a = await createHome(app, finance, 'Ash House');
    const b = await createHome(app, finance, 'Beech House');
    const c = await createHome(app, otherFinance, 'Cedar House');
    const homeIds = [a, b, c];
    await publish(app, finance, a, wirral, '2026-04-01', 'return-a1');
    // a second version from October: the return lists both, with the dates each was in force
    await publish(
      app,
      finance,
      a,
      { ...wirral, surplus: { ...wirral.surplus, rate: '0.03' } },
      '2026-10-01',
      'return-a2',
    );
    await publish(app, finance, b, smaller, '2026-04-01', 'return-b1');
    await publish(app, otherFinance, c, wirral, '2026-04-01', 'return-c1');
    const placements: Array<[Record<string, string>, string, string, string, string, string | null]> = [
      [finance, a, 'E08000015', 'WIR-101', '2026-04-01', null],
      [finance, a, 'E08000014', 'SEF-201', '2026-05-10', '2026-12-31'],
      [finance, a, 'E08000012', 'LIV-301', '2026-09-01', null],
      [finance, b, 'E08000015', 'WIR-102', '2026-04-01', '2026-09-30'],
      [otherFinance, c, 'E06000006', 'HAL-401', '2026-06-01', null],
    ];
    for (const [headers, homeId, councilCode, reference, start, end] of placements) {
      const created = await inject({
        method: 'POST',
        url: '/v1/placements',
        headers,
        payload: { homeId, councilCode, reference, start, ...(end ? { end } : {}) },
      });
      expect(created.statusCode).toBe(201);
    }
    const months = Array.from(
      { length: 12 },
      (_, i) => `${i < 9 ? 2026 : 2027}-${String(((i + 3) % 12) + 1).padStart(2, '0')}`,
    );
    await importActuals(app, finance, a, months, '0.5', 'return-actuals-a'); // well under budget: excess rebated
    await importActuals(app, finance, b, months, '1.2', 'return-actuals-b'); // overspent
    await importActuals(app, otherFinance, c, months, '0.9', 'return-actuals-c');
    return { regulator, finance, otherFinance, organisationId, otherOrganisationId, homeIds };
  }

  beforeAll(async () => {
    // the 2026-27 year has ended, so its return is settled
    testApp = await createTestApp(engine, { today: '2027-06-01' });
    admin = { authorization: `Bearer ${(await import('../helpers/app.js')).TEST_ADMIN_KEY}` };
    ({ regulator, finance, otherFinance, organisationId, otherOrganisationId, homeIds } = await seedYear(
      testApp.app,
    ));
  });
  afterAll(() => testApp.close());

  it('gives a schema-valid return whose organisation totals are the sums of its homes, to the penny', async () => {
    const response = await inject({ url: `${year}?organisation=${organisationId}`, headers: finance });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const document = response.json();
    expect(validate(document), JSON.stringify(validate.errors)).toBe(true);
    expect(document.organisations).toHaveLength(1);
    const [organisation] = document.organisations;
    expect(organisation.homes.map((h: { name: string }) => h.name)).toEqual(['Ash House', 'Beech House']);
    expectSumOfParts(organisation.totals, organisation.homes);
    expectSumOfParts(document.totals, [organisation.totals]);

    const ash = organisation.homes[0];
    expect(
      ash.fees.map((f: { inForceFrom: string; inForceTo: string; version: number }) => [
        f.version,
        f.inForceFrom,
        f.inForceTo,
      ]),
    ).toEqual([
      [1, '2026-04-01', '2026-09-30'],
      [2, '2026-10-01', '2027-03-31'],
    ]);
    expect(ash.fees.every((f: { hash: string }) => /^[0-9a-f]{64}$/.test(f.hash))).toBe(true);
    expect(ash.outcome).toBe('excess_rebated');
    expect(sum(ash.rebates.byCouncil.map((r: Rebate) => r.rebate))).toBe(ash.surplus.excess);
    expect([organisation.capScope, organisation.status, organisation.missingMonths]).toEqual([
      'home',
      'final',
      [],
    ]);
    expect(ash.staffing.groups.map((g: { group: string }) => g.group)).toEqual([
      'management',
      'care',
      'support',
    ]);
    expect(ash.staffing.headcount).toBe(
      wirral.staffing.reduce((n: number, l: { headcount: number }) => n + l.headcount, 0),
    );
    expect(ash.agencyShareOfCover).toBe(wirral.cover.agencyShare);
    expect(organisation.homes[1].outcome).toBe('overspent');
    expect(new Dec(organisation.homes[1].surplus.shortfall).gt(0)).toBe(true);

    // the same figures as the year-end reconciliation of that home
    const preview = (
      await inject({
        url: `/v1/reconciliations/preview?organisationId=${organisationId}&homeId=${ash.id}&from=2026-04-01&to=2027-03-31`,
        headers: finance,
      })
    ).json();
    expect([ash.income.total, ash.actualCosts.total, ash.surplus.excess]).toEqual([
      preview.income,
      preview.actualCost,
      preview.excess,
    ]);
    // and occupancy as GET /v1/homes/{id}/occupancy counts it
    const occupancy = (
      await inject({ url: `/v1/homes/${ash.id}/occupancy?from=2026-04-01&to=2027-03-31`, headers: finance })
    ).json();
    expect([ash.occupancy.occupiedDays, ash.occupancy.achieved]).toEqual([
      occupancy.occupiedDays,
      occupancy.occupancy,
    ]);
  });

  it('signs the content hash (without generatedAt), and the same data gives the same bytes', async () => {
    const url = `${year}?organisation=${organisationId}`;
    const first = await inject({ url, headers: finance });
    const second = await inject({ url, headers: finance });
    expect(first.headers.etag).toBe(second.headers.etag);
    const document = first.json();
    const { generatedAt, ...rest } = document;
    expect(generatedAt).toMatch(/Z$/);
    const withoutGeneratedAt = first.body.replace(`"generatedAt":${JSON.stringify(generatedAt)},`, '');
    const hash = createHash('sha256').update(withoutGeneratedAt).digest('hex');
    expect(first.headers.etag).toBe(`"${hash}"`);
    expect(first.headers['return-hash']).toBe(hash);
    expect(first.headers.digest).toBe(`sha-256=${Buffer.from(hash, 'hex').toString('base64')}`);
    expect(JSON.parse(withoutGeneratedAt)).toEqual(rest);
    const keys = (await inject({ url: '/.well-known/fee-schedule-keys.json' })).json().keys;
    const key = keys.find((k: { keyId: string }) => k.keyId === first.headers['return-signing-key']);
    expect(signatureValid(hash, String(first.headers['return-signature']), key.publicKey)).toBe(true);

    for (const format of ['csv', 'xlsx']) {
      const a = await inject({ url: `${url}&format=${format}`, headers: finance });
      const b = await inject({ url: `${url}&format=${format}`, headers: finance });
      expect(a.statusCode).toBe(200);
      expect(a.rawPayload.equals(b.rawPayload)).toBe(true);
      expect(a.headers['return-hash']).toBe(createHash('sha256').update(a.rawPayload).digest('hex'));
    }
  });

  it('answers 304 to a client polling with the ETag or the date, and a new one once the data changes', async () => {
    const url = `${year}?organisation=${organisationId}&format=csv`;
    const first = await inject({ url, headers: finance });
    const etag = String(first.headers.etag);
    const lastModified = String(first.headers['last-modified']);
    const again = await inject({ url, headers: { ...finance, 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect(
      (await inject({ url, headers: { ...finance, 'if-modified-since': lastModified } })).statusCode,
    ).toBe(304);
    // HTTP dates have a one-second resolution: a change in the same second as the last one is seen
    // by the ETag only (the README says to prefer If-None-Match), so the change comes a second later.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await importActuals(testApp.app, finance, homeIds[0]!, ['2027-03'], '0.6', 'return-actuals-a-fix');
    const changed = await inject({ url, headers: { ...finance, 'if-none-match': etag } });
    expect(changed.statusCode).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    expect(
      (await inject({ url, headers: { ...finance, 'if-modified-since': lastModified } })).statusCode,
    ).toBe(200);
  });

  it('gives CSV (long format and home facts) that parses back to the same figures', async () => {
    const document = (
      await inject({ url: `${year}?organisation=${organisationId}`, headers: finance })
    ).json();
    const [organisation] = document.organisations;
    const costs = await inject({
      url: `${year}?organisation=${organisationId}`,
      headers: { ...finance, accept: 'text/csv' },
    });
    expect(costs.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(costs.headers['content-disposition']).toMatch(
      /attachment; filename="annual-return-2026-27-.*-costs\.csv"/,
    );
    const rows = parse(costs.body, { columns: true }) as Array<Record<string, string>>;
    expect(Object.keys(rows[0]!)).toEqual([
      'financial_year',
      'organisation_id',
      'organisation_name',
      'home_id',
      'ofsted_urn',
      'home_name',
      'category',
      'code',
      'amount',
    ]);
    for (const home of organisation.homes) {
      const mine = rows.filter((row) => row.home_id === home.id);
      expect(mine.map((row) => [row.code, row.amount])).toEqual(
        home.actualCosts.byCode.map((l: Amount) => [l.code, l.amount]),
      );
    }
    expect(sum(rows.map((row) => row.amount!))).toBe(organisation.totals.actualCosts.total);

    const homes = parse(
      (
        await inject({
          url: `${year}?organisation=${organisationId}&table=homes`,
          headers: { ...finance, accept: 'text/csv' },
        })
      ).body,
      { columns: true },
    ) as Array<Record<string, string>>;
    expect(
      homes.map((row) => [row.home_id, row.income, row.actual_cost, row.rebates_due, row.occupancy_achieved]),
    ).toEqual(
      organisation.homes.map(
        (h: {
          id: string;
          income: { total: string };
          actualCosts: { total: string };
          rebates: { total: string };
          occupancy: { achieved: string };
        }) => [h.id, h.income.total, h.actualCosts.total, h.rebates.total, h.occupancy.achieved],
      ),
    );
    const fees = parse(
      (
        await inject({
          url: `${year}?organisation=${organisationId}&table=fees&format=csv`,
          headers: finance,
        })
      ).body,
      {
        columns: true,
      },
    ) as Array<Record<string, string>>;
    expect(fees).toHaveLength(3);
    const councils = parse(
      (
        await inject({
          url: `${year}?organisation=${organisationId}&table=councils&format=csv`,
          headers: finance,
        })
      ).body,
      { columns: true },
    ) as Array<Record<string, string>>;
    expect(sum(councils.map((row) => row.income!))).toBe(organisation.totals.income.total);
    expect(sum(councils.map((row) => row.rebate_due!))).toBe(organisation.totals.rebates.total);
  });

  it('gives an XLSX workbook (summary, homes, fees, councils, rebates, related-parties, costs) whose totals match', async () => {
    const document = (await inject({ url: year, headers: regulator })).json();
    const response = await inject({ url: year, headers: { ...regulator, accept: XLSX } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe(XLSX);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(response.rawPayload as unknown as ArrayBuffer);
    expect(workbook.worksheets.map((sheet) => sheet.name)).toEqual([
      'summary',
      'homes',
      'fees',
      'councils',
      'rebates',
      'related-parties',
      'costs',
    ]);
    const values = (name: string) => {
      const sheet = workbook.getWorksheet(name)!;
      const header = (sheet.getRow(1).values as unknown[]).slice(1) as string[];
      const rows: Array<Record<string, unknown>> = [];
      sheet.eachRow((row, number) => {
        if (number === 1) return;
        const cells = (row.values as unknown[]).slice(1);
        rows.push(Object.fromEntries(header.map((key, index) => [key, cells[index]])));
      });
      return rows;
    };
    const costs = values('costs');
    expect(sum(costs.map((row) => String(row.amount)))).toBe(document.totals.actualCosts.total);
    const summary = values('summary');
    expect(summary.map((row) => row.organisation_id)).toEqual([
      ...document.organisations.map((o: { id: string }) => o.id),
      'ALL',
    ]);
    const all = summary.at(-1)!;
    expect(new Dec(String(all.income)).toFixed(2)).toBe(document.totals.income.total);
    expect(new Dec(String(all.rebates_due)).toFixed(2)).toBe(document.totals.rebates.total);
    // what each provider owes each council, as its settlement states it
    const owed = values('rebates');
    expect(sum(owed.map((row) => String(row.rebate_due)))).toBe(document.totals.rebates.total);
    expect(values('homes')).toHaveLength(document.totals.homes);
  });

  it('exports every provider for the regulator, produced whole first, with the hash in the headers', async () => {
    const first = await inject({ url: `${year}?format=csv`, headers: regulator });
    expect(first.statusCode).toBe(200);
    // spooled before it is sent: its length is known, and its proof leads the headers
    expect(first.headers['content-length']).toBe(String(first.rawPayload.length));
    const rows = parse(first.body, { columns: true }) as Array<Record<string, string>>;
    expect(new Set(rows.map((row) => row.organisation_id))).toEqual(
      new Set([organisationId, otherOrganisationId]),
    );
    const hash = createHash('sha256').update(first.rawPayload).digest('hex');
    expect(first.headers['return-hash']).toBe(hash);
    expect(first.headers.digest).toBe(`sha-256=${Buffer.from(hash, 'hex').toString('base64')}`);
    expect(first.headers.etag).toBe(`"${hash}"`);
    expect(first.trailers).toEqual({});
    const second = await inject({ url: `${year}?format=csv`, headers: regulator });
    expect(second.rawPayload.equals(first.rawPayload)).toBe(true);
    expect(second.headers.etag).toBe(`"${hash}"`);
    expect(second.headers['return-hash']).toBe(hash);
    expect(
      (await inject({ url: `${year}?format=csv`, headers: { ...regulator, 'if-none-match': `"${hash}"` } }))
        .statusCode,
    ).toBe(304);

    const json = await inject({ url: year, headers: regulator });
    const document = json.json();
    expect(validate(document), JSON.stringify(validate.errors)).toBe(true);
    expect(document.organisations.map((o: { id: string }) => o.id)).toEqual(
      [organisationId, otherOrganisationId].sort(),
    );
    expectSumOfParts(
      document.totals,
      document.organisations.map((o: { totals: Figures }) => o.totals),
    );
    expect(document.totals.organisations).toBe(2);
    expect(document.totals.homes).toBe(3);
    expect((await inject({ url: year, headers: admin })).statusCode).toBe(200);
  });

  it('keeps the all-providers export to the regulator and each provider to its own return', async () => {
    const commissioner = bearer(
      (await createKey(testApp.app, { role: 'commissioner', councils: ['E08000015'] })).key,
    );
    expect((await inject({ url: year, headers: commissioner })).statusCode).toBe(403);
    expect((await inject({ url: year })).statusCode).toBe(401);
    // a finance key without `organisation` gets its own organisation's return
    const own = (await inject({ url: year, headers: otherFinance })).json();
    expect(own.organisations.map((o: { id: string }) => o.id)).toEqual([otherOrganisationId]);
    expect(
      (await inject({ url: `${year}?organisation=${organisationId}`, headers: otherFinance })).statusCode,
    ).toBe(404);
    const unknown = await inject({
      url: `${year}?organisation=00000000-0000-4000-8000-000000000000`,
      headers: regulator,
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('refuses a malformed year or a table for a format without tables, with a pointer', async () => {
    for (const bad of ['2026-28', '2026', '26-27', '2026-2027']) {
      const response = await inject({ url: `/v1/returns/${bad}`, headers: regulator });
      expect(response.statusCode).toBe(400);
      expect(response.json().errors[0].pointer).toBe('/financialYear');
    }
    const table = await inject({ url: `${year}?table=homes`, headers: regulator });
    expect(table.statusCode).toBe(400);
    expect(table.json().errors[0].pointer).toBe('/table');
  });

  it('gives a valid, empty return for a year with no data, not an error', async () => {
    const response = await inject({ url: '/v1/returns/2015-16', headers: regulator });
    expect(response.statusCode).toBe(200);
    const document = response.json();
    expect(validate(document), JSON.stringify(validate.errors)).toBe(true);
    expect(document.organisations.every((o: { homes: unknown[] }) => o.homes.length === 0)).toBe(true);
    expect(document.totals.income.total).toBe('0.00');
    expect(document.totals.homes).toBe(0);
    const csv = await inject({ url: '/v1/returns/2015-16?format=csv', headers: regulator });
    expect(csv.body.trim().split('\r\n')).toHaveLength(1);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(
      (await inject({ url: '/v1/returns/2015-16?format=xlsx', headers: regulator }))
        .rawPayload as unknown as ArrayBuffer,
    );
    expect(workbook.getWorksheet('costs')!.rowCount).toBe(1);
  });

  it('serves the JSON Schema the OpenAPI document bundles, and still the superseded versions 2 and 1', async () => {
    const served = await inject({ url: '/returns/annual-return.v3.schema.json' });
    expect(served.statusCode).toBe(200);
    expect(served.headers['content-type']).toMatch(/^application\/schema\+json/);
    expect(served.json()).toEqual(schema);
    expect(served.json().$id).toBe('urn:cost-plus-care:annual-return:3');
    const openapi = (await inject({ url: '/openapi.json' })).json();
    expect(
      openapi.paths['/v1/returns/{financialYear}'].get.responses['200'].content['application/json'].schema,
    ).toEqual({ $ref: '#/components/schemas/AnnualReturn' });
    // the same schema, but for its dialect and id (a component takes the document's) and the bounds
    // of a safe integer, which the OpenAPI document leaves unsaid everywhere
    const {
      $schema: _dialect,
      $id: _id,
      description: _description,
      ...bundled
    } = openapi.components.schemas.AnnualReturn;
    const {
      $schema: _d,
      $id: _i,
      description: _e,
      ...own
    } = JSON.parse(
      JSON.stringify(schema, (key, value) =>
        (key === 'maximum' || key === 'minimum') && Math.abs(value) === Number.MAX_SAFE_INTEGER
          ? undefined
          : value,
      ),
    ) as Record<string, unknown>;
    expect(bundled).toEqual(own);
    // version 2 (before related-party excess) is served exactly as committed
    const second = await inject({ url: '/returns/annual-return.v2.schema.json' });
    expect(second.statusCode).toBe(200);
    expect(second.body).toBe(
      readFileSync(new URL('../../openapi/returns/annual-return.v2.schema.json', import.meta.url), 'utf8'),
    );
    expect(second.json().$id).toBe('urn:cost-plus-care:annual-return:2');
    const first = await inject({ url: '/returns/annual-return.v1.schema.json' });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual(
      JSON.parse(
        readFileSync(new URL('../../openapi/returns/annual-return.v1.schema.json', import.meta.url), 'utf8'),
      ),
    );
    expect(first.json().$id).toBe('urn:cost-plus-care:annual-return:1');
  });

  // A provider of credit notes only, beside the year's two: in a database of its own (with the same
  // two), as the other tests export every provider and count the two.
  describe('a provider with credit notes only', () => {
    let ownApp: TestApp;
    let books: Awaited<ReturnType<typeof seedYear>>;
    beforeAll(async () => {
      ownApp = await createTestApp(engine, { today: '2027-06-01' });
      books = await seedYear(ownApp.app);
    }, 120_000);
    afterAll(() => ownApp.close());

    it('reports a home whose recorded costs total below zero as not assessed, and still exports everyone', async () => {
      // credit notes imported without the costs they offset: a new provider's only home, refunds only
      const creditOrganisation = await createOrganisation(ownApp.app, 'Credit Notes CIC');
      const creditFinance = bearer(
        (await createKey(ownApp.app, { role: 'finance', organisationId: creditOrganisation })).key,
      );
      const home = await createHome(ownApp.app, creditFinance, 'Refund House');
      // every other month of the year imported as having no spending, so that the books are complete
      const nilMonths = monthsOf('2026-04', '2027-03')
        .filter((month) => month !== '2026-05')
        .map((month) => ({ month, code: 'NIL' }));
      const imported = await ownApp.app.inject({
        method: 'POST',
        url: `/v1/homes/${home}/actuals`,
        headers: { ...creditFinance, 'idempotency-key': 'return-credit-notes' },
        payload: { rows: [{ month: '2026-05', code: 'PROPERTY_LEASE', amount: '-250.00' }, ...nilMonths] },
      });
      expect(imported.statusCode, imported.body).toBe(201);

      const response = await ownApp.app.inject({ url: year, headers: books.regulator });
      expect(response.statusCode).toBe(200);
      const document = response.json();
      expect(validate(document), JSON.stringify(validate.errors)).toBe(true);
      const provider = document.organisations.find(
        (organisation: { id: string }) => organisation.id === creditOrganisation,
      );
      const credited = provider.homes.find((entry: { id: string }) => entry.id === home);
      expect([provider.status, provider.outcome]).toEqual(['final', 'not_assessed']);
      expect(credited.actualCosts.total).toBe('-250.00');
      expect(provider.totals.surplus).toMatchObject({ realised: '250.00', rateOnCost: null, excess: null });
      expect(provider.totals.rebates.total).toBeNull();
      expect(document.organisations).toHaveLength(3);
    });
  });
});
