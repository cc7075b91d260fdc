import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dec } from '../../src/domain/money.js';
import { adminAuth, createTestApp, type TestApp } from '../helpers/app.js';
import { type HomePlan, importActuals, type MonthPlan, monthsOf, seedProvider } from '../helpers/books.js';
import { engines } from '../helpers/database.js';

// The year-end settlement (method §7) through the API: the reconciliation and the annual return state
// the same money owed, books must be complete, a year under way is provisional.

const WIRRAL = 'E08000015';
const SEFTON = 'E08000014';
const LIVERPOOL = 'E08000012';
const YEAR = monthsOf('2026-04', '2027-03');
const schema = JSON.parse(
  readFileSync(new URL('../../openapi/returns/annual-return.v3.schema.json', import.meta.url), 'utf8'),
);
const ajv = new Ajv2020({ allErrors: true, strict: true });
(addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
const validateReturn = ajv.compile(schema);

/** Every month of the year, each with the same spending. */
const monthly = (rows: Array<{ code: string; amount: string }>): MonthPlan[] =>
  YEAR.map((month) => ({ month, rows }));
const allYear = (councilCode: string, reference: string) => ({
  councilCode,
  reference,
  start: '2026-04-01',
  end: '2027-03-31',
});

// Ash House: two children all year at the Wirral fee (about £573,000) against £480,000 of costs:
// well over a 5% cap on its own. Birch House: one child (about £286,500) against £384,000: overspent.
// Together the provider spent more than it was paid.
const ASH: HomePlan = {
  name: 'Ash House',
  placements: [allYear(WIRRAL, 'WIR-101'), allYear(SEFTON, 'SEF-201')],
  actuals: monthly([
    { code: 'STAFF_PAY', amount: '36000.00' },
    { code: 'PROPERTY_LEASE', amount: '4000.00' },
  ]),
};
const BIRCH: HomePlan = {
  name: 'Birch House',
  placements: [allYear(LIVERPOOL, 'LIV-301')],
  actuals: monthly([{ code: 'STAFF_PAY', amount: '32000.00' }]),
};

describe.each(engines)('the year-end settlement on %s', (engine) => {
  let testApp: TestApp;
  let app: FastifyInstance;
  const inject = (options: InjectOptions) => app.inject(options);
  const preview = async (finance: Record<string, string>, organisationId: string, query = '') =>
    inject({
      url: `/v1/reconciliations/preview?organisationId=${organisationId}&from=2026-04-01&to=2027-03-31${query}`,
      headers: finance,
    });
  const yearReturn = async (finance: Record<string, string>, organisationId: string) =>
    (await inject({ url: `/v1/returns/2026-27?organisation=${organisationId}`, headers: finance })).json();
  const freeze = (finance: Record<string, string>, payload: Record<string, string>) =>
    inject({ method: 'POST', url: '/v1/reconciliations', headers: finance, payload });

  beforeAll(async () => {
    // the 2026-27 year has ended
    testApp = await createTestApp(engine, { today: '2027-06-01' });
    app = testApp.app;
  });
  afterAll(() => testApp.close());

  it('gives the same rebates (none) in the reconciliation and the return for one home over its cap and one overspent', async () => {
    const { organisationId, finance } = await seedProvider(app, { homes: [ASH, BIRCH] });
    const reconciliation = (await preview(finance, organisationId)).json();
    const document = await yearReturn(finance, organisationId);
    expect(validateReturn(document), JSON.stringify(validateReturn.errors)).toBe(true);
    const [organisation] = document.organisations;

    expect(reconciliation).toMatchObject({
      capScope: 'organisation',
      status: 'final',
      outcome: 'overspent',
      excess: '0.00',
      rebates: [],
    });
    expect(new Dec(reconciliation.realisedSurplus).lt(0)).toBe(true);
    expect(organisation).toMatchObject({ capScope: 'organisation', status: 'final', outcome: 'overspent' });
    expect(organisation.totals.surplus).toMatchObject({
      realised: reconciliation.realisedSurplus,
      allowed: reconciliation.allowedSurplus,
      excess: '0.00',
      shortfall: reconciliation.shortfall,
    });
    expect(organisation.totals.rebates).toEqual({ total: '0.00', byCouncil: [] });
    // each home is shown for information: Ash's own surplus is well over 5%, but no excess is stated
    const ash = organisation.homes.find((home: { name: string }) => home.name === 'Ash House');
    expect(new Dec(ash.surplus.rateOnCost).gt('0.05')).toBe(true);
    expect([ash.outcome, ash.surplus.excess, ash.rebates.total]).toEqual(['information_only', null, null]);
    // the CSV tables say the same
    const rebatesCsv = await inject({
      url: `/v1/returns/2026-27?organisation=${organisationId}&format=csv&table=rebates`,
      headers: finance,
    });
    expect(rebatesCsv.body.trim().split('\r\n')).toHaveLength(1);
  });

  it('rebates Ash House alone to the councils that paid it once the cap is tested home by home, alike in both documents', async () => {
    const { organisationId, finance, homeIds } = await seedProvider(app, {
      capScope: 'home',
      homes: [ASH, BIRCH],
    });
    const reconciliation = (await preview(finance, organisationId)).json();
    const [organisation] = (await yearReturn(finance, organisationId)).organisations;
    expect(reconciliation.outcome).toBe('excess_rebated');
    const ash = reconciliation.homes.find((home: { homeId: string }) => home.homeId === homeIds[0]);
    // Ash: allowed 5% of 480,000.00 = 24,000.00; the excess is its surplus less that
    expect(ash.allowedSurplus).toBe('24000.00');
    expect(ash.excess).toBe(new Dec(ash.realisedSurplus).minus('24000.00').toFixed(2));
    expect(reconciliation.excess).toBe(ash.excess);
    const owed = (lines: Array<{ councilCode: string; rebate: string }>) =>
      Object.fromEntries(lines.map((line) => [line.councilCode, line.rebate]));
    expect(owed(reconciliation.rebates)).toEqual(owed(organisation.totals.rebates.byCouncil));
    expect(owed(reconciliation.rebates)[LIVERPOOL]).toBe('0.00'); // it used only the overspent home
    expect(organisation.totals.rebates.total).toBe(reconciliation.excess);
    // the home's own reconciliation says what the provider's says of it, and may be frozen
    const homePreview = (await preview(finance, organisationId, `&homeId=${homeIds[0]}`)).json();
    expect(homePreview.homes[0]).toEqual(ash);
    const frozen = await freeze(finance, {
      organisationId,
      homeId: homeIds[0]!,
      from: '2026-04-01',
      to: '2027-03-31',
    });
    expect(frozen.statusCode).toBe(201);
    expect(frozen.json().reconciliation.excess).toBe(ash.excess);
  });

  it('keeps a year with a missing month incomplete: no rebate, and freezing it is a 422 listing what is missing', async () => {
    const { organisationId, finance, homeIds } = await seedProvider(app, {
      homes: [{ ...ASH, actuals: ASH.actuals!.filter((plan) => plan.month !== '2026-09') }],
    });
    const reconciliation = (await preview(finance, organisationId)).json();
    expect(reconciliation).toMatchObject({
      status: 'incomplete',
      outcome: 'incomplete',
      missingMonths: [{ homeId: homeIds[0], month: '2026-09' }],
      allowedSurplus: null,
      excess: null,
      rebates: [],
    });
    const [organisation] = (await yearReturn(finance, organisationId)).organisations;
    expect(organisation).toMatchObject({
      status: 'incomplete',
      missingMonths: [{ homeId: homeIds[0], month: '2026-09' }],
    });
    expect(organisation.homes[0].missingMonths).toEqual(['2026-09']);
    expect(organisation.totals.rebates.total).toBeNull();

    const refused = await freeze(finance, { organisationId, from: '2026-04-01', to: '2027-03-31' });
    expect(refused.statusCode).toBe(422);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.json()).toMatchObject({
      settlementStatus: 'incomplete',
      missingMonths: [{ homeId: homeIds[0], month: '2026-09' }],
      errors: [{ pointer: '/organisationId', message: expect.stringContaining('2026-09') }],
    });
    const { db } = testApp.database.handle;
    const stored = await db
      .selectFrom('reconciliations')
      .select('id')
      .where('organisation_id', '=', organisationId)
      .execute();
    expect(stored).toEqual([]);

    // a nil month (CSV) completes the books: then it settles, and may be frozen
    const csv = await inject({
      method: 'POST',
      url: `/v1/homes/${homeIds[0]}/actuals`,
      headers: { ...finance, 'content-type': 'text/csv', 'idempotency-key': `nil-${homeIds[0]}` },
      payload:
        'month,code,amount,description\r\n2026-09,NIL,,No spending: the home was being refurbished\r\n',
    });
    expect(csv.statusCode).toBe(201);
    expect(csv.json().months).toEqual([{ month: '2026-09', version: 1, rows: 0, nil: true }]);
    const month = (
      await inject({ url: `/v1/homes/${homeIds[0]}/actuals?month=2026-09`, headers: finance })
    ).json();
    expect(month).toMatchObject({ nil: true, total: '0.00', byCode: [] });
    expect((await preview(finance, organisationId)).json()).toMatchObject({
      status: 'final',
      missingMonths: [],
    });
    expect((await freeze(finance, { organisationId, from: '2026-04-01', to: '2027-03-31' })).statusCode).toBe(
      201,
    );
  });

  it('refuses a nil month with spending, or beside other rows of the same month, with row pointers', async () => {
    const { finance, homeIds } = await seedProvider(app, { homes: [{ name: 'Cedar House' }] });
    const response = await inject({
      method: 'POST',
      url: `/v1/homes/${homeIds[0]}/actuals`,
      headers: { ...finance, 'idempotency-key': `bad-nil-${homeIds[0]}` },
      payload: {
        rows: [
          { month: '2026-04', code: 'NIL', amount: '12.00' },
          { month: '2026-05', code: 'STAFF_PAY', amount: '100.00' },
          { month: '2026-05', code: 'NIL' },
          { month: '2026-06', code: 'NIL' },
          { month: '2026-06', code: 'PROPERTY_LEASE', amount: '1.00' },
        ],
      },
    });
    expect(response.statusCode).toBe(422);
    expect(response.json().errors.map((error: { pointer: string }) => error.pointer)).toEqual([
      '/rows/1/amount',
      '/rows/3/code',
      '/rows/5/code',
    ]);
    const { db } = testApp.database.handle;
    expect(
      await db.selectFrom('actuals_imports').select('id').where('home_id', '=', homeIds[0]!).execute(),
    ).toEqual([]);
  });

  it('calls a period that has not ended provisional, and will not freeze it', async () => {
    const { organisationId, finance } = await seedProvider(app, { homes: [ASH] });
    const query = `organisationId=${organisationId}&from=2027-04-01&to=2027-09-30`;
    const underway = (await inject({ url: `/v1/reconciliations/preview?${query}`, headers: finance })).json();
    expect(underway).toMatchObject({
      status: 'provisional',
      outcome: 'provisional',
      excess: null,
      rebates: [],
    });
    const refused = await freeze(finance, { organisationId, from: '2027-04-01', to: '2027-09-30' });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().errors[0].pointer).toBe('/to');
  });

  it('lets only the organisation be frozen when its cap is tested on the whole organisation', async () => {
    const { organisationId, finance, homeIds } = await seedProvider(app, { homes: [ASH] });
    const homePreview = (await preview(finance, organisationId, `&homeId=${homeIds[0]}`)).json();
    expect(homePreview).toMatchObject({ outcome: 'information_only', excess: null, rebates: [] });
    const refused = await freeze(finance, {
      organisationId,
      homeId: homeIds[0]!,
      from: '2026-04-01',
      to: '2027-03-31',
    });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().errors[0].pointer).toBe('/homeId');
  });

  it('supersedes a frozen reconciliation visibly when the same period is frozen again', async () => {
    const { organisationId, finance, homeIds } = await seedProvider(app, { homes: [ASH] });
    const period = { organisationId, from: '2026-04-01', to: '2027-03-31' };
    const first = (await freeze(finance, period)).json();
    expect(first).toMatchObject({ ruleVersion: 3, supersedes: null, supersededBy: null });
    expect(first.reconciliation.ruleVersion).toBe(3);
    // a corrected March, then the period frozen again
    await importActuals(app, finance, homeIds[0]!, [
      { month: '2027-03', rows: [{ code: 'STAFF_PAY', amount: '50000.00' }] },
    ]);
    const second = (await freeze(finance, period)).json();
    expect(second.supersedes).toBe(first.id);
    expect(second.reconciliation.actualCost).not.toBe(first.reconciliation.actualCost);
    const old = (await inject({ url: `/v1/reconciliations/${first.id}`, headers: finance })).json();
    expect(old).toMatchObject({ supersededBy: second.id, hash: first.hash });
    const page = await inject({ url: `/transparency/reconciliations/${first.id}` });
    expect(page.body).toContain('Superseded');
    expect(page.body).toContain(`/transparency/reconciliations/${second.id}`);
    const statement = await inject({
      url: `/v1/reconciliations/${first.id}/statements/${WIRRAL}`,
      headers: finance,
    });
    expect(statement.json()).toMatchObject({ ruleVersion: 3, supersededBy: second.id });
  });

  it('keeps one chain of successors when the same period is frozen by several callers at once', async () => {
    const { organisationId, finance } = await seedProvider(app, { homes: [ASH] });
    const period = { organisationId, from: '2026-04-01', to: '2027-03-31' };
    const responses = await Promise.all(Array.from({ length: 5 }, () => freeze(finance, period)));
    expect(responses.map((response) => response.statusCode)).toEqual([201, 201, 201, 201, 201]);
    const frozen = responses.map((response) => response.json());
    // exactly one first (superseding nothing), and every other supersedes a different one
    expect(frozen.filter((entry) => entry.supersedes === null)).toHaveLength(1);
    const superseded = frozen.map((entry) => entry.supersedes).filter((id) => id !== null);
    expect(new Set(superseded).size).toBe(4);
    const current = [];
    for (const entry of frozen) {
      const read = (await inject({ url: `/v1/reconciliations/${entry.id}`, headers: finance })).json();
      if (read.supersededBy === null) current.push(read.id);
    }
    expect(current).toHaveLength(1);
  });

  it('still reads a reconciliation frozen under rule 1, saying so', async () => {
    const { organisationId, finance } = await seedProvider(app, { homes: [{ name: 'Elm House' }] });
    const { db } = testApp.database.handle;
    await db
      .insertInto('signing_keys')
      .values({ key_id: 'old-key', public_key: 'MCowBQYDK2VwAyEA', algorithm: 'Ed25519' } as never)
      .onConflict((oc) => oc.doNothing())
      .execute()
      .catch(() => undefined);
    const key = await db.selectFrom('signing_keys').select('key_id').executeTakeFirstOrThrow();
    const document = {
      scope: { kind: 'organisation', id: organisationId },
      period: { start: '2025-04-01', end: '2026-03-31' },
      income: '100.00',
      incomeByCouncil: [{ councilCode: WIRRAL, amount: '100.00' }],
      actualCost: '50.00',
      costByCategory: [{ category: 'staffing', amount: '50.00' }],
      realisedSurplus: '50.00',
      realisedRateOnCost: '1.000000',
      realisedShareOfIncome: '0.500000',
      capRate: '0.050000',
      allowedSurplus: '2.50',
      excess: '47.50',
      outcome: 'excess_rebated',
      shortfall: null,
      rebates: [{ councilCode: WIRRAL, charged: '100.00', share: '1.000000', rebate: '47.50' }],
      variance: null,
      rule: 'The surplus allowed is actual cost × the cap rate …',
    };
    const row = await db
      .insertInto('reconciliations')
      .values({
        organisation_id: organisationId,
        home_id: null,
        period_start: '2025-04-01',
        period_end: '2026-03-31',
        document: JSON.stringify(document),
        hash: 'a'.repeat(64),
        signature: 'sig',
        key_id: key.key_id,
        created_by: 'test',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const read = (await inject({ url: `/v1/reconciliations/${row.id}`, headers: finance })).json();
    expect(read).toMatchObject({ ruleVersion: 1, supersedes: null, supersededBy: null });
    const statement = await inject({
      url: `/v1/reconciliations/${row.id}/statements/${WIRRAL}`,
      headers: finance,
    });
    expect(statement.json()).toMatchObject({
      ruleVersion: 1,
      rebate: '47.50',
      homes: [],
      provider: { capScope: null },
    });
    const page = await inject({ url: `/transparency/reconciliations/${row.id}` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('settlement rule 1');
  });

  it("sets the cap scope as the organisation's policy: admin only, audited, stated in every document", async () => {
    const { organisationId, finance } = await seedProvider(app, { homes: [ASH] });
    const denied = await inject({
      method: 'PATCH',
      url: `/v1/organisations/${organisationId}`,
      headers: finance,
      payload: { capScope: 'home' },
    });
    expect(denied.statusCode).toBe(403);
    const bad = await inject({
      method: 'PATCH',
      url: `/v1/organisations/${organisationId}`,
      headers: adminAuth,
      payload: { capScope: 'council' },
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors[0].pointer).toBe('/capScope');
    const set = await inject({
      method: 'PATCH',
      url: `/v1/organisations/${organisationId}`,
      headers: adminAuth,
      payload: { capScope: 'home' },
    });
    expect(set.statusCode).toBe(200);
    expect(set.json().capScope).toBe('home');
    const audit = (
      await inject({
        url: `/v1/audit-events?resourceType=organisation&resourceId=${organisationId}`,
        headers: adminAuth,
      })
    ).json();
    expect(audit.items.find((event: { action: string }) => event.action === 'update')).toMatchObject({
      before: { capScope: 'organisation' },
      after: { capScope: 'home' },
    });
    expect((await preview(finance, organisationId)).json().capScope).toBe('home');
    expect((await yearReturn(finance, organisationId)).organisations[0].capScope).toBe('home');
    const index = (await inject({ url: '/transparency' })).body;
    expect(index).toContain('The cap is tested on each home alone');
    const [homeId] = (await inject({ url: `/v1/homes?organisationId=${organisationId}`, headers: finance }))
      .json()
      .items.map((home: { id: string }) => home.id);
    const page = (await inject({ url: `/transparency/homes/${homeId}` })).body;
    expect(page).toContain('Where the cap is tested at the year');
    expect(page).toContain('each home');
  });

  it('states the same money owed in the return as in the organisation-wide reconciliation, council by council (property)', async () => {
    const councils = [WIRRAL, SEFTON, LIVERPOOL, 'E06000006'];
    const day = fc
      .integer({ min: 0, max: 364 })
      .map((offset) => new Date(Date.UTC(2026, 3, 1 + offset)).toISOString().slice(0, 10));
    const homeArb = fc.record({
      placements: fc.array(
        fc.record({
          council: fc.constantFrom(...councils),
          start: day,
          days: fc.integer({ min: 1, max: 500 }),
        }),
        {
          maxLength: 3,
        },
      ),
      // monthly spending around what one to three placements bring in (about £23,800 a month each)
      monthly: fc.integer({ min: 0, max: 8_000_000 }).map((pennies) => (pennies / 100).toFixed(2)),
      missing: fc.oneof(
        { weight: 5, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.constantFrom(...YEAR) },
      ),
      nilMonth: fc.oneof(
        { weight: 3, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.constantFrom(...YEAR) },
      ),
    });
    let seq = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(homeArb, { minLength: 1, maxLength: 3 }),
        fc.constantFrom('organisation' as const, 'home' as const),
        async (homes, capScope) => {
          seq += 1;
          const { organisationId, finance } = await seedProvider(app, {
            name: `Random ${seq}`,
            capScope,
            homes: homes.map((home, index) => ({
              name: `Home ${index}`,
              placements: home.placements.map((placement, k) => {
                const end = new Date(Date.parse(placement.start) + (placement.days - 1) * 86_400_000)
                  .toISOString()
                  .slice(0, 10);
                return {
                  councilCode: placement.council,
                  reference: `R${seq}-${index}-${k}`,
                  start: placement.start,
                  end,
                };
              }),
              actuals: YEAR.filter((month) => month !== home.missing).map(
                (month): MonthPlan =>
                  month === home.nilMonth
                    ? { month, nil: true }
                    : { month, rows: [{ code: 'STAFF_PAY', amount: home.monthly }] },
              ),
            })),
          });
          const reconciliation = (await preview(finance, organisationId)).json();
          const document = await yearReturn(finance, organisationId);
          expect(validateReturn(document), JSON.stringify(validateReturn.errors)).toBe(true);
          const [organisation] = document.organisations;
          expect([organisation.status, organisation.outcome, organisation.capScope]).toEqual([
            reconciliation.status,
            reconciliation.outcome,
            reconciliation.capScope,
          ]);
          expect(organisation.missingMonths).toEqual(reconciliation.missingMonths);
          expect(organisation.totals.income.total).toBe(reconciliation.income);
          expect(organisation.totals.actualCosts.total).toBe(reconciliation.actualCost);
          expect(organisation.totals.surplus).toEqual({
            realised: reconciliation.realisedSurplus,
            rateOnCost: reconciliation.realisedRateOnCost,
            shareOfIncome: reconciliation.realisedShareOfIncome,
            allowed: reconciliation.allowedSurplus,
            excess: reconciliation.excess,
            shortfall: reconciliation.shortfall,
          });
          const lines = (
            list: Array<{ councilCode: string; charged: string; share: string; rebate: string }>,
          ) =>
            list.map(({ councilCode, charged, share, rebate }) => ({ councilCode, charged, share, rebate }));
          expect(lines(organisation.totals.rebates.byCouncil)).toEqual(lines(reconciliation.rebates));
          expect(
            organisation.totals.income.byCouncil.map((line: { councilCode: string; amount: string }) => [
              line.councilCode,
              line.amount,
            ]),
          ).toEqual(
            reconciliation.incomeByCouncil.map((line: { councilCode: string; amount: string }) => [
              line.councilCode,
              line.amount,
            ]),
          );
          // no excess above the provider's realised surplus when the cap is on the whole provider
          if (capScope === 'organisation' && reconciliation.excess !== null)
            expect(new Dec(reconciliation.excess).lte(Dec.max(0, reconciliation.realisedSurplus))).toBe(true);
          // and each home alike
          for (const home of organisation.homes) {
            const settled = reconciliation.homes.find(
              (entry: { homeId: string }) => entry.homeId === home.id,
            );
            expect([home.outcome, home.surplus.excess, home.income.total, home.actualCosts.total]).toEqual([
              settled.outcome,
              settled.excess,
              settled.income,
              settled.actualCost,
            ]);
          }
        },
      ),
      { numRuns: engine === 'pglite' ? 12 : 8 },
    );
  }, 240_000);
});
