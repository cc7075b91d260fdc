import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse } from 'csv-parse/sync';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminAuth, createTestApp, injectOk, type TestApp } from '../helpers/app.js';
import { exampleModel } from '../helpers/books.js';
import { engines } from '../helpers/database.js';
import { bearer, createKey, createOrganisation } from '../helpers/keys.js';

// A council's placement costs in the SocialCareData placements standard's shape (actualPlacement),
// per span of days with constant weekly costs, read off the charging rule (docs/placement-costs.md).

const WIRRAL = 'E08000015';
const SEFTON = 'E08000014';
const STANDARD_FIELDS = [
  'providerURN',
  'placementType',
  'placementStartDate',
  'placementSource',
  'coreWeeklyCost',
  'additionalSupportWeeklyCost',
  'educationWeeklyCost',
  'otherWeeklyCost',
  'totalWeeklyCost',
];

const schema = JSON.parse(
  readFileSync(new URL('../../openapi/placement-costs.schema.json', import.meta.url), 'utf8'),
);
const ajv = new Ajv2020({ allErrors: true, strict: true });
(addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
const validate = ajv.compile(schema);

const pennies = (money: string) => BigInt(money.replace('.', ''));
/** Ofsted URNs are unique: one of its own for each provider's home. */
let urns = 0;
function nextUrn() {
  urns += 1;
  return `SC${123456 + urns}`;
}

interface Costs {
  actualPlacement: Record<string, string | null>;
}
interface CostRecord extends Costs {
  placementId: string;
  reference: string;
  homeId: string;
  homeName: string;
  from: string;
  to: string;
  days: number;
  heldOver: boolean;
  feeSchedule: { id: string; version: number; weeklyFeePerChild: string };
  enhancements: Array<{ id: string; description: string; weeklyCharge: string }>;
}
interface Unpriced {
  placementId: string;
  kind: string;
  from: string;
  to: string;
  days: number;
  reason: string;
}
interface Answer {
  council: { onsCode: string; name: string };
  from: string;
  to: string;
  rule: string;
  records: CostRecord[];
  unpriced: Unpriced[];
}

/** The five costs add up: core + additional support + education + other = total, to the penny. */
function expectPartsAddUp(record: CostRecord) {
  const a = record.actualPlacement as Record<string, string>;
  const parts = ['coreWeeklyCost', 'additionalSupportWeeklyCost', 'educationWeeklyCost', 'otherWeeklyCost'];
  expect(parts.reduce((sum, field) => sum + pennies(a[field]!), 0n)).toBe(pennies(a.totalWeeklyCost!));
  const enhancements = record.enhancements.reduce((sum, e) => sum + pennies(e.weeklyCharge), 0n);
  expect(pennies(a.additionalSupportWeeklyCost!)).toBe(enhancements);
  expect(pennies(a.totalWeeklyCost!)).toBe(pennies(record.feeSchedule.weeklyFeePerChild) + enhancements);
}

describe.each(engines)('placement costs on %s', (engine) => {
  let testApp: TestApp;
  let wirralCommissioner: Record<string, string>;
  let seftonCommissioner: Record<string, string>;
  const inject = (options: InjectOptions) => testApp.app.inject(options);

  const ok = (options: InjectOptions, status: number) => injectOk(testApp.app, options, status);

  /** A JSON answer of the endpoint: 200, and valid against openapi/placement-costs.schema.json. */
  async function costs(url: string, headers: Record<string, string>): Promise<Answer> {
    const response = await inject({ url, headers });
    expect(response.statusCode, response.body.slice(0, 500)).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const body = response.json();
    expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
    return body;
  }

  /** Publishes the Wirral example at a home from `effectiveFrom`; with `annualSalaryFte`, the rcw pay changed. */
  async function publish(
    finance: Record<string, string>,
    homeId: string,
    effectiveFrom: string,
    annualSalaryFte?: string,
  ) {
    const model = exampleModel('wirral-four-bed-2026-27') as { staffing: Array<Record<string, unknown>> };
    if (annualSalaryFte) model.staffing[3]!.annualSalaryFte = annualSalaryFte;
    const draft = (
      await ok(
        { method: 'POST', url: `/v1/homes/${homeId}/cost-models`, headers: finance, payload: model },
        201,
      )
    ).json();
    const published = await ok(
      {
        method: 'POST',
        url: `/v1/cost-models/${draft.id}/publish`,
        headers: { ...finance, 'idempotency-key': `publish-${homeId}-${effectiveFrom}` },
        payload: { effectiveFrom },
      },
      201,
    );
    return published.json() as { id: string; weeklyFeePerChild: string; breakdown: { lines: unknown[] } };
  }

  async function home(finance: Record<string, string>, name: string, ofstedUrn?: string) {
    const created = await ok(
      {
        method: 'POST',
        url: '/v1/homes',
        headers: finance,
        payload: {
          name,
          hostCouncil: WIRRAL,
          registeredPlaces: 4,
          openedOn: '2020-01-01',
          ...(ofstedUrn ? { ofstedUrn } : {}),
        },
      },
      201,
    );
    return created.json().id as string;
  }

  async function place(finance: Record<string, string>, payload: Record<string, unknown>) {
    return (await ok({ method: 'POST', url: '/v1/placements', headers: finance, payload }, 201)).json()
      .id as string;
  }

  /**
   * A provider of its own with Oxton House (an Ofsted URN of its own): the Wirral example from 1 April, and from
   * 15 June a pay rise for its care workers (a new schedule); a Wirral child from 1 to 20 June with 25
   * hours of 1:1 support (rcw) from 3 June, and a Sefton child from 1 June, open-ended.
   */
  async function provider() {
    const organisationId = await createOrganisation(testApp.app, 'Merseyside Homes CIC');
    const finance = bearer((await createKey(testApp.app, { role: 'finance', organisationId })).key);
    const urn = nextUrn();
    const homeId = await home(finance, 'Oxton House', urn);
    const v1 = await publish(finance, homeId, '2026-04-01');
    const v2 = await publish(finance, homeId, '2026-06-15', '30500');
    const wirralPlacementId = await place(finance, {
      homeId,
      councilCode: WIRRAL,
      reference: 'WIR-2026-0042',
      start: '2026-06-01',
      end: '2026-06-20',
      enhancements: [
        { description: '1:1 in school hours', roleId: 'rcw', hoursPerWeek: '25', start: '2026-06-03' },
      ],
    });
    const seftonPlacementId = await place(finance, {
      homeId,
      councilCode: SEFTON,
      reference: 'SEF/7781',
      start: '2026-06-01',
    });
    return { organisationId, finance, homeId, urn, v1, v2, wirralPlacementId, seftonPlacementId };
  }

  beforeAll(async () => {
    testApp = await createTestApp(engine, { today: '2026-06-10' });
    wirralCommissioner = bearer(
      (await createKey(testApp.app, { role: 'commissioner', councils: [WIRRAL] })).key,
    );
    seftonCommissioner = bearer(
      (await createKey(testApp.app, { role: 'commissioner', councils: [SEFTON] })).key,
    );
  });
  afterAll(() => testApp.close());

  it("gives each span the standard's actualPlacement, with the Wirral example's figures, adding up to the penny", async () => {
    const { finance, homeId, urn, v1, v2, wirralPlacementId } = await provider();
    const answer = await costs(
      `/v1/councils/${WIRRAL}/placement-costs?from=2026-06-01&to=2026-06-30`,
      finance,
    );
    expect(answer).toMatchObject({
      council: { onsCode: WIRRAL, name: 'Wirral' },
      from: '2026-06-01',
      to: '2026-06-30',
    });
    expect(answer.rule).toMatch(/RUNNING_EDUCATION/);
    expect(answer.unpriced).toEqual([]);
    // 1–2 June the fee alone; 3–14 June the fee and the enhancement; 15–20 June both at v2
    expect(
      answer.records.map((r) => [r.from, r.to, r.days, r.feeSchedule.version, r.enhancements.length]),
    ).toEqual([
      ['2026-06-01', '2026-06-02', 2, 1, 0],
      ['2026-06-03', '2026-06-14', 12, 1, 1],
      ['2026-06-15', '2026-06-20', 6, 2, 1],
    ]);
    const [first, second, third] = answer.records as [CostRecord, CostRecord, CostRecord];
    expect(first).toEqual({
      placementId: wirralPlacementId,
      reference: 'WIR-2026-0042',
      homeId,
      homeName: 'Oxton House',
      from: '2026-06-01',
      to: '2026-06-02',
      days: 2,
      heldOver: false,
      feeSchedule: { id: v1.id, version: 1, weeklyFeePerChild: '5495.78' },
      enhancements: [],
      actualPlacement: {
        providerURN: urn,
        placementType: 'Residential',
        placementStartDate: '2026-06-01',
        placementSource: null,
        coreWeeklyCost: '5463.82',
        additionalSupportWeeklyCost: '0.00',
        educationWeeklyCost: '31.96',
        otherWeeklyCost: '0.00',
        totalWeeklyCost: '5495.78',
      },
    });
    expect(second.enhancements).toEqual([
      { id: expect.any(String), description: '1:1 in school hours', weeklyCharge: '617.80' },
    ]);
    expect(second.actualPlacement).toMatchObject({
      coreWeeklyCost: '5463.82',
      additionalSupportWeeklyCost: '617.80',
      educationWeeklyCost: '31.96',
      otherWeeklyCost: '0.00',
      totalWeeklyCost: '6113.58',
    });
    // v2: its own fee, and its own breakdown's education share
    const education = (v2.breakdown.lines as Array<{ code: string; weeklyPerChild: string }>)
      .filter((line) => line.code === 'RUNNING_EDUCATION')
      .reduce((sum, line) => sum + pennies(line.weeklyPerChild), 0n);
    expect(third.feeSchedule).toEqual({ id: v2.id, version: 2, weeklyFeePerChild: v2.weeklyFeePerChild });
    expect(pennies(third.actualPlacement.educationWeeklyCost!)).toBe(education);
    expect(pennies(third.actualPlacement.coreWeeklyCost!)).toBe(pennies(v2.weeklyFeePerChild) - education);
    expect(pennies(third.enhancements[0]!.weeklyCharge)).toBeGreaterThan(pennies('617.80'));
    for (const record of answer.records) expectPartsAddUp(record);

    // the same rule as the statement: weekly cost × days over the spans = weekly rate × days over its lines
    const statement = (
      await ok(
        { url: `/v1/councils/${WIRRAL}/statements?from=2026-06-01&to=2026-06-30`, headers: finance },
        200,
      )
    ).json();
    const lines = statement.placements[0].lines as Array<{ weeklyRate: string; days: number }>;
    expect(
      answer.records.reduce(
        (sum, r) => sum + pennies(r.actualPlacement.totalWeeklyCost!) * BigInt(r.days),
        0n,
      ),
    ).toBe(lines.reduce((sum, line) => sum + pennies(line.weeklyRate) * BigInt(line.days), 0n));
  });

  it('answers for one day with ?on=, and for today in England by default', async () => {
    const { finance, wirralPlacementId } = await provider();
    const on = await costs(`/v1/councils/${WIRRAL}/placement-costs?on=2026-06-16`, finance);
    expect(on).toMatchObject({ from: '2026-06-16', to: '2026-06-16' });
    expect(on.records).toEqual([
      expect.objectContaining({
        placementId: wirralPlacementId,
        from: '2026-06-16',
        to: '2026-06-16',
        days: 1,
      }),
    ]);
    expect(on.records[0]!.feeSchedule.version).toBe(2);
    // the app's clock says 10 June (noon in London)
    const today = await costs(`/v1/councils/${WIRRAL}/placement-costs`, finance);
    expect(today).toMatchObject({ from: '2026-06-10', to: '2026-06-10' });
    expect(today.records.map((r) => [r.from, r.actualPlacement.totalWeeklyCost])).toEqual([
      ['2026-06-10', '6113.58'],
    ]);
  });

  it('starts a span where an enhancement starts or ends mid-range', async () => {
    const { finance, homeId } = await provider();
    const placementId = await place(finance, {
      homeId,
      councilCode: WIRRAL,
      reference: 'WIR-2026-0107',
      start: '2026-05-01',
      enhancements: [
        {
          description: 'Waking night',
          roleId: 'rcw',
          hoursPerWeek: '25',
          start: '2026-05-10',
          end: '2026-05-19',
        },
      ],
    });
    const answer = await costs(
      `/v1/councils/${WIRRAL}/placement-costs?from=2026-05-01&to=2026-05-31`,
      finance,
    );
    const own = answer.records.filter((r) => r.placementId === placementId);
    expect(
      own.map((r) => [
        r.from,
        r.to,
        r.actualPlacement.additionalSupportWeeklyCost,
        r.actualPlacement.totalWeeklyCost,
      ]),
    ).toEqual([
      ['2026-05-01', '2026-05-09', '0.00', '5495.78'],
      ['2026-05-10', '2026-05-19', '617.80', '6113.58'],
      ['2026-05-20', '2026-05-31', '0.00', '5495.78'],
    ]);
    for (const record of own) expectPartsAddUp(record);
  });

  it('lists days with no fee schedule in force as unpriced, and gives null for a home with no URN', async () => {
    const { finance } = await provider();
    const lodge = await home(finance, 'Birkenhead Lodge');
    await publish(finance, lodge, '2026-06-20');
    const placementId = await place(finance, {
      homeId: lodge,
      councilCode: WIRRAL,
      reference: 'WIR-2026-0077',
      start: '2026-06-10',
    });
    const answer = await costs(
      `/v1/councils/${WIRRAL}/placement-costs?from=2026-06-01&to=2026-06-30`,
      finance,
    );
    expect(answer.unpriced).toEqual([
      {
        placementId,
        reference: 'WIR-2026-0077',
        homeId: lodge,
        homeName: 'Birkenhead Lodge',
        kind: 'fee',
        from: '2026-06-10',
        to: '2026-06-19',
        days: 10,
        reason: 'no_schedule',
      },
    ]);
    const own = answer.records.filter((r) => r.placementId === placementId);
    expect(own.map((r) => [r.from, r.to])).toEqual([['2026-06-20', '2026-06-30']]);
    expect(own[0]!.actualPlacement).toMatchObject({
      providerURN: null,
      placementStartDate: '2026-06-10',
      totalWeeklyCost: '5495.78',
    });
  });

  it("keeps a commissioner to its own councils, and finance to its own organisation's homes", async () => {
    const { finance, wirralPlacementId, seftonPlacementId } = await provider();
    const url = (code: string) => `/v1/councils/${code}/placement-costs?from=2026-06-01&to=2026-06-30`;
    for (const headers of [seftonCommissioner, { ...seftonCommissioner, accept: 'text/csv' }]) {
      const refused = await inject({ url: url(WIRRAL), headers });
      expect(refused.statusCode).toBe(404);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.body).not.toContain('WIR-2026-0042');
      expect(refused.body).not.toContain(wirralPlacementId);
    }
    const sefton = await costs(url(SEFTON), seftonCommissioner);
    expect(sefton.records.some((r) => r.placementId === seftonPlacementId)).toBe(true);
    expect(sefton.records.every((r) => !r.reference.startsWith('WIR'))).toBe(true);
    expect(JSON.stringify(sefton)).not.toContain(wirralPlacementId);
    const wirral = await costs(url(WIRRAL), wirralCommissioner);
    expect(wirral.records.some((r) => r.placementId === wirralPlacementId)).toBe(true);
    expect(JSON.stringify(wirral)).not.toContain(seftonPlacementId);
    // the admin sees every provider's; another provider's finance key none of this one's
    const admin = await costs(url(WIRRAL), adminAuth);
    expect(admin.records.some((r) => r.placementId === wirralPlacementId)).toBe(true);
    const other = bearer(
      (
        await createKey(testApp.app, {
          role: 'finance',
          organisationId: await createOrganisation(testApp.app, 'Elsewhere Homes Ltd'),
        })
      ).key,
    );
    expect((await costs(url(WIRRAL), other)).records).toEqual([]);
    expect(
      (await costs(url(WIRRAL), finance)).records.every((r) => r.placementId === wirralPlacementId),
    ).toBe(true);
    // a council not known here
    expect((await inject({ url: url('E06000999'), headers: adminAuth })).statusCode).toBe(404);
    // a regulator is not let in
    const regulator = bearer((await createKey(testApp.app, { role: 'regulator' })).key);
    expect((await inject({ url: url(WIRRAL), headers: regulator })).statusCode).toBe(403);
  });

  it("exports CSV whose headers are the standard's field names, a row per span then per unpriced run", async () => {
    const { finance, homeId } = await provider();
    const lodge = await home(finance, 'Birkenhead Lodge');
    await place(finance, {
      homeId: lodge,
      councilCode: WIRRAL,
      reference: 'WIR-2026-0078',
      start: '2026-06-25',
    });
    const url = `/v1/councils/${WIRRAL}/placement-costs?from=2026-06-01&to=2026-06-30`;
    const json = await costs(url, finance);
    for (const request of [
      { url, headers: { ...finance, accept: 'text/csv' } },
      { url: `${url}&format=csv`, headers: finance },
    ]) {
      const csv = await inject(request);
      expect(csv.statusCode).toBe(200);
      expect(csv.headers['content-type']).toMatch(/^text\/csv/);
      expect(csv.headers['content-disposition']).toBe(
        `attachment; filename="placement-costs-${WIRRAL}-2026-06-01-2026-06-30.csv"`,
      );
      const rows: string[][] = parse(csv.body);
      const [header, ...body] = rows as [string[], ...string[][]];
      expect(header.slice(13, 22)).toEqual(STANDARD_FIELDS);
      expect(header).toEqual([
        'councilCode',
        'placementId',
        'reference',
        'homeId',
        'homeName',
        'from',
        'to',
        'days',
        'heldOver',
        'feeScheduleId',
        'feeScheduleVersion',
        'weeklyFeePerChild',
        'enhancements',
        ...STANDARD_FIELDS,
        'notPriced',
      ]);
      expect(body).toHaveLength(json.records.length + json.unpriced.length);
      const named = body.map((row) => Object.fromEntries(header.map((key, i) => [key, row[i]])));
      json.records.forEach((record, i) => {
        const row = named[i]!;
        expect(row).toMatchObject({
          placementId: record.placementId,
          from: record.from,
          to: record.to,
          notPriced: '',
        });
        for (const field of STANDARD_FIELDS) expect(row[field]).toBe(record.actualPlacement[field] ?? '');
      });
      expect(named[1]!.enhancements).toMatch(/^1:1 in school hours \[[a-z0-9-]+\] 617\.80$/);
      expect(named.at(-1)).toMatchObject({
        homeId: lodge,
        reference: 'WIR-2026-0078',
        from: '2026-06-25',
        to: '2026-06-30',
        totalWeeklyCost: '',
        notPriced: 'fee: no_schedule',
      });
    }
    expect(json.records.every((r) => r.homeId === homeId)).toBe(true);
  });

  it('refuses a query that mixes a day and a period, or a period that is incomplete, backwards or too long, with pointers and no 500', async () => {
    const base = `/v1/councils/${WIRRAL}/placement-costs`;
    const cases: Array<[string, number, string]> = [
      ['?on=2026-06-01&from=2026-06-01&to=2026-06-30', 422, '/on'],
      ['?on=2026-06-01&to=2026-06-30', 422, '/on'],
      ['?from=2026-06-01', 422, '/to'],
      ['?to=2026-06-30', 422, '/from'],
      ['?from=2026-06-30&to=2026-06-01', 422, '/to'],
      ['?from=2026-01-01&to=2029-12-31', 422, '/to'],
      // values the query's schema refuses: a bad request, like every route's
      ['?on=2026-02-30', 400, '/on'],
      ['?from=June&to=2026-06-30', 400, '/from'],
      ['?on=2026-06-01&format=xlsx', 400, '/format'],
    ];
    for (const [query, status, pointer] of cases) {
      for (const headers of [adminAuth, { ...adminAuth, accept: 'text/csv' }]) {
        const response = await inject({ url: `${base}${query}`, headers });
        expect(response.statusCode, `${query}: ${response.body}`).toBe(status);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        const problem = response.json();
        expect(problem.status).toBe(status);
        expect(problem.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
      }
    }
    // a commissioner of another council learns nothing from a bad query either
    const foreign = await inject({
      url: `${base}?from=2026-06-30&to=2026-06-01`,
      headers: seftonCommissioner,
    });
    expect(foreign.statusCode).toBe(404);
    // exactly three years is allowed
    await costs(`${base}?from=2026-04-01&to=2029-03-31`, adminAuth);
  });
});
