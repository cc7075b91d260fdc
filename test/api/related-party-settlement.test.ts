import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { exampleModel, monthsOf, seedProvider } from '../helpers/books.js';
import { engines } from '../helpers/database.js';

// Method §7, related-party excess in actuals, through the API: spending rows name a party of the
// organisation's register, and what a home paid it above the market amounts of its fee schedules is
// surplus in the reconciliation (preview, frozen, council statement, page) and the annual return
// (JSON, CSV table related-parties, XLSX sheet related-parties), the same figures in each.

const WIRRAL = 'E08000015';
const SEFTON = 'E08000014';
const YEAR = monthsOf('2026-04', '2027-03');
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const schema = JSON.parse(
  readFileSync(new URL('../../openapi/returns/annual-return.v3.schema.json', import.meta.url), 'utf8'),
);
const ajv = new Ajv2020({ allErrors: true, strict: true });
(addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
const validateReturn = ajv.compile(schema);

const allYear = (councilCode: string, reference: string) => ({
  councilCode,
  reference,
  start: '2026-04-01',
  end: '2027-03-31',
});

// Harbour House is priced on the §6 example: its lease is paid to Harbour Properties Ltd (`jpl`,
// common control) at £2,400 a month against a market £2,350 (£28,200.00 a year), its tutoring to
// `edu` and part of its central overhead to `grp`. In the year it actually paid `jpl` £2,600.00 a
// month, £31,200.00 in all: £3,000.00 above the allowance.
//
// Income: two children all year at £5,504.74 a week: 550,474 × 365 ÷ 7 = 28,703,287.14 pennies,
// £287,032.87 each from Wirral and Sefton, £574,065.74. Cost: 12 × (£40,000.00 + £2,600.00) =
// £511,200.00. Realised surplus £62,865.74. Adjusted surplus £65,865.74, adjusted cost £508,200.00;
// allowed 5% = £25,410.00; excess over the cap £40,455.74, shared equally: £20,227.87 each. (Without
// the party named, allowed £25,560.00 and excess £37,305.74: the lease above market costs the
// councils £3,150.00 more.)
const HOUSE = {
  name: 'Harbour House',
  model: exampleModel('wirral-related-parties-2026-27'),
  placements: [allYear(WIRRAL, 'WIR-501'), allYear(SEFTON, 'SEF-601')],
};
const yearRows = YEAR.flatMap((month) => [
  { month, code: 'STAFF_PAY', amount: '40000.00' },
  { month, code: 'PROPERTY_LEASE', amount: '2600.00', description: 'Lease', relatedParty: 'jpl' },
]);

describe.each(engines)('related-party excess in the year-end settlement on %s', (engine) => {
  let testApp: TestApp;
  let app: FastifyInstance;
  const inject = (options: InjectOptions) => app.inject(options);
  const importRows = (finance: Record<string, string>, homeId: string, rows: unknown[], key: string) =>
    inject({
      method: 'POST',
      url: `/v1/homes/${homeId}/actuals`,
      headers: { ...finance, 'idempotency-key': key },
      payload: { rows },
    });
  const importCsv = (finance: Record<string, string>, homeId: string, body: string, key: string) =>
    inject({
      method: 'POST',
      url: `/v1/homes/${homeId}/actuals`,
      headers: { ...finance, 'content-type': 'text/csv', 'idempotency-key': key },
      payload: body,
    });
  const registerParty = (finance: Record<string, string>, payload: Record<string, unknown>) =>
    inject({ method: 'POST', url: '/v1/related-parties', headers: finance, payload });

  beforeAll(async () => {
    testApp = await createTestApp(engine, { today: '2027-06-01' });
    app = testApp.app;
  });
  afterAll(() => testApp.close());

  it('refuses a row naming a party the register does not have, or one not related that month, pointing at the row, and stores nothing', async () => {
    const { organisationId, finance, homeIds } = await seedProvider(app, { homes: [HOUSE] });
    const homeId = homeIds[0]!;
    // a party related until the end of 2025 only
    const ended = await registerParty(finance, {
      organisationId,
      reference: 'old-landlord',
      name: 'Old Landlord Ltd',
      relationship: 'common_control',
      description: 'The lease before the move',
      from: '2020-01-01',
      to: '2025-12-31',
    });
    expect(ended.statusCode, ended.body).toBe(201);

    const json = await importRows(
      finance,
      homeId,
      [
        { month: '2026-04', code: 'STAFF_PAY', amount: '40000.00' },
        { month: '2026-04', code: 'PROPERTY_LEASE', amount: '2600.00', relatedParty: 'nobody' },
        { month: '2026-04', code: 'RUNNING_OTHER', amount: '10.00', relatedParty: 'old-landlord' },
        { month: '2026-04', code: 'RUNNING_TRANSPORT', amount: '20.00', relatedParty: 'jpl' },
      ],
      'refused-json',
    );
    expect(json.statusCode).toBe(422);
    expect(json.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(json.json().errors).toEqual([
      { pointer: '/rows/2/relatedParty', message: expect.stringContaining('"nobody"'), in: 'body' },
      { pointer: '/rows/3/relatedParty', message: expect.stringContaining('to 2025-12-31'), in: 'body' },
    ]);

    const csv = await importCsv(
      finance,
      homeId,
      'month,code,amount,description,related_party\r\n2026-04,STAFF_PAY,40000.00,Pay,\r\n2026-04,PROPERTY_LEASE,2600.00,Lease,nobody\r\n',
      'refused-csv',
    );
    expect(csv.statusCode).toBe(422);
    expect(csv.json().errors).toEqual([
      { pointer: '/rows/2/related_party', message: expect.stringContaining('register'), in: 'body' },
    ]);
    // the other format's spelling is refused, never ignored
    const misspelt = await importRows(
      finance,
      homeId,
      [{ month: '2026-04', code: 'PROPERTY_LEASE', amount: '2600.00', related_party: 'jpl' }],
      'misspelt',
    );
    expect(misspelt.json().errors).toEqual([
      { pointer: '/rows/1/related_party', message: 'is spelled relatedParty in a JSON row', in: 'body' },
    ]);

    const month = await inject({ url: `/v1/homes/${homeId}/actuals?month=2026-04`, headers: finance });
    expect(month.statusCode).toBe(404);
    const { db } = testApp.database.handle;
    const stored = await db
      .selectFrom('actuals_imports')
      .select('id')
      .where('home_id', '=', homeId)
      .execute();
    expect(stored).toEqual([]);

    // named rightly, the row is stored with its party and shown by party and code
    const accepted = await importCsv(
      finance,
      homeId,
      'month,code,amount,description,related_party\r\n2026-04,STAFF_PAY,40000.00,Pay,\r\n2026-04,PROPERTY_LEASE,2600.00,Lease,jpl\r\n',
      'accepted-csv',
    );
    expect(accepted.statusCode, accepted.body).toBe(201);
    const shown = (
      await inject({ url: `/v1/homes/${homeId}/actuals?month=2026-04`, headers: finance })
    ).json();
    expect(shown).toMatchObject({
      total: '42600.00',
      byRelatedParty: [{ relatedParty: 'jpl', code: 'PROPERTY_LEASE', amount: '2600.00' }],
    });
    const lines = await db
      .selectFrom('actual_amounts as a')
      .innerJoin('actuals_imports as i', 'i.id', 'a.import_id')
      .select(['a.code', 'a.related_party'])
      .where('i.home_id', '=', homeId)
      .orderBy('a.line')
      .execute();
    expect(lines).toEqual([
      { code: 'STAFF_PAY', related_party: null },
      { code: 'PROPERTY_LEASE', related_party: 'jpl' },
    ]);
  });

  it('rebates a lease paid above market as §7 gives, and states the same figures in the reconciliation and the return', async () => {
    const { organisationId, finance, homeIds } = await seedProvider(app, { homes: [HOUSE] });
    const homeId = homeIds[0]!;
    const imported = await importRows(finance, homeId, yearRows, 'harbour-year');
    expect(imported.statusCode, imported.body).toBe(201);

    // ── the reconciliation, previewed ──
    const preview = (
      await inject({
        url: `/v1/reconciliations/preview?organisationId=${organisationId}&from=2026-04-01&to=2027-03-31`,
        headers: finance,
      })
    ).json();
    const lines = [
      {
        partyId: 'edu',
        name: 'Harbour Learning CIC',
        code: 'RUNNING_EDUCATION',
        paid: '0.00',
        allowance: '10324.29',
        excess: '0.00',
      },
      {
        partyId: 'grp',
        name: 'Harbour Group Holdings',
        code: 'CENTRAL_OVERHEAD',
        paid: '0.00',
        allowance: '4500.00',
        excess: '0.00',
      },
      {
        partyId: 'jpl',
        name: 'Harbour Properties Ltd',
        code: 'PROPERTY_LEASE',
        paid: '31200.00',
        allowance: '28200.00',
        excess: '3000.00',
      },
    ];
    expect(preview).toMatchObject({
      ruleVersion: 3,
      status: 'final',
      income: '574065.74',
      actualCost: '511200.00',
      realisedSurplus: '62865.74',
      relatedPartyExcess: '3000.00',
      adjustedSurplus: '65865.74',
      adjustedCost: '508200.00',
      allowedSurplus: '25410.00',
      excess: '40455.74',
      outcome: 'excess_rebated',
      rebates: [
        { councilCode: SEFTON, charged: '287032.87', share: '0.500000', rebate: '20227.87' },
        { councilCode: WIRRAL, charged: '287032.87', share: '0.500000', rebate: '20227.87' },
      ],
      relatedParties: lines,
    });
    expect(preview.homes[0]).toMatchObject({ relatedPartyExcess: '3000.00', relatedParties: lines });

    // ── frozen: the same document, signed ──
    const frozen = await inject({
      method: 'POST',
      url: '/v1/reconciliations',
      headers: finance,
      payload: { organisationId, from: '2026-04-01', to: '2027-03-31' },
    });
    expect(frozen.statusCode, frozen.body).toBe(201);
    const { id, reconciliation } = frozen.json();
    expect(frozen.json().ruleVersion).toBe(3);
    expect(reconciliation).toEqual(preview);
    const statement = (
      await inject({ url: `/v1/reconciliations/${id}/statements/${WIRRAL}`, headers: finance })
    ).json();
    expect(statement).toMatchObject({
      rebate: '20227.87',
      provider: {
        relatedPartyExcess: '3000.00',
        adjustedSurplus: '65865.74',
        adjustedCost: '508200.00',
        allowedSurplus: '25410.00',
        excess: '40455.74',
      },
    });
    const statementCsv = await inject({
      url: `/v1/reconciliations/${id}/statements/${WIRRAL}`,
      headers: { ...finance, accept: 'text/csv' },
    });
    expect(statementCsv.body).toContain('Adjusted surplus (the surplus the cap is tested on),65865.74');
    const page = await inject({ url: `/transparency/reconciliations/${id}` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Payments to related parties against their market amounts');
    expect(page.body).toContain('Harbour Properties Ltd');

    // ── the annual return: JSON ──
    const yearUrl = `/v1/returns/2026-27?organisation=${organisationId}`;
    const document = (await inject({ url: yearUrl, headers: finance })).json();
    expect(validateReturn(document), JSON.stringify(validateReturn.errors)).toBe(true);
    const [organisation] = document.organisations;
    const [home] = organisation.homes;
    const transactions = lines.map(({ name, ...line }) => ({
      ...line,
      partyName: name,
      relationship: { edu: 'director_or_trustee', grp: 'parent', jpl: 'common_control' }[line.partyId],
      category: { edu: 'running', grp: 'central', jpl: 'property' }[line.partyId],
    }));
    expect(home.relatedPartyTransactions).toEqual(transactions);
    expect(organisation.relatedPartyTransactions).toEqual(transactions);
    const adjusted = { excess: '3000.00', adjustedCost: '508200.00', adjustedSurplus: '65865.74' };
    expect(home.relatedParties).toEqual(adjusted);
    expect(organisation.totals.relatedParties).toEqual(adjusted);
    expect(organisation.totals.surplus).toMatchObject({
      realised: preview.realisedSurplus,
      allowed: preview.allowedSurplus,
      excess: preview.excess,
    });
    expect(
      organisation.totals.rebates.byCouncil.map((line: { councilCode: string; rebate: string }) => [
        line.councilCode,
        line.rebate,
      ]),
    ).toEqual(
      preview.rebates.map((line: { councilCode: string; rebate: string }) => [line.councilCode, line.rebate]),
    );

    // ── the annual return: the CSV table ──
    const csv = await inject({
      url: `${yearUrl}&format=csv&table=related-parties`,
      headers: finance,
    });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-disposition']).toMatch(/-related-parties\.csv"/);
    const rows = parse(csv.body, { columns: true }) as Array<Record<string, string>>;
    expect(rows.map((row) => [row.party_id, row.code, row.paid, row.allowance, row.excess])).toEqual(
      lines.map((line) => [line.partyId, line.code, line.paid, line.allowance, line.excess]),
    );
    expect(rows[2]).toMatchObject({
      home_id: homeId,
      party_name: 'Harbour Properties Ltd',
      relationship: 'common_control',
      category: 'property',
      home_related_party_excess: '3000.00',
      home_adjusted_cost: '508200.00',
      home_adjusted_surplus: '65865.74',
      organisation_related_party_excess: '3000.00',
      organisation_adjusted_cost: '508200.00',
      organisation_adjusted_surplus: '65865.74',
    });

    // ── the annual return: the XLSX sheet ──
    const xlsx = await inject({ url: yearUrl, headers: { ...finance, accept: XLSX } });
    expect(xlsx.statusCode).toBe(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    const sheet = workbook.getWorksheet('related-parties')!;
    const header = (sheet.getRow(1).values as unknown[]).slice(1) as string[];
    const sheetRows: Array<Record<string, unknown>> = [];
    sheet.eachRow((row, number) => {
      if (number > 1)
        sheetRows.push(
          Object.fromEntries(header.map((key, index) => [key, (row.values as unknown[]).slice(1)[index]])),
        );
    });
    expect(header).toEqual(Object.keys(rows[0]!));
    expect(sheetRows.map((row) => [row.party_id, row.code, row.paid, row.allowance, row.excess])).toEqual(
      lines.map((line) => [
        line.partyId,
        line.code,
        Number(line.paid),
        Number(line.allowance),
        Number(line.excess),
      ]),
    );
    expect(sheetRows[2]).toMatchObject({
      home_adjusted_surplus: 65865.74,
      organisation_adjusted_surplus: 65865.74,
    });
  });

  it('changes nothing for a provider whose rows name no related party, beside an empty table', async () => {
    const { organisationId, finance, homeIds } = await seedProvider(app, { homes: [HOUSE] });
    const unnamed = yearRows.map(({ relatedParty: _party, ...row }) => row);
    expect((await importRows(finance, homeIds[0]!, unnamed, 'unnamed-year')).statusCode).toBe(201);
    const preview = (
      await inject({
        url: `/v1/reconciliations/preview?organisationId=${organisationId}&from=2026-04-01&to=2027-03-31`,
        headers: finance,
      })
    ).json();
    // the cap on the realised figures: allowed 5% of 511,200.00 = 25,560.00, excess 37,305.74
    expect(preview).toMatchObject({
      relatedPartyExcess: '0.00',
      adjustedSurplus: '62865.74',
      adjustedCost: '511200.00',
      allowedSurplus: '25560.00',
      excess: '37305.74',
    });
    // the schedules' parties are listed, paid nothing
    expect(
      preview.relatedParties.map((line: { paid: string; excess: string }) => [line.paid, line.excess]),
    ).toEqual([
      ['0.00', '0.00'],
      ['0.00', '0.00'],
      ['0.00', '0.00'],
    ]);
  });
});
