import { readFileSync } from 'node:fs';
import type { InjectOptions } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dec } from '../../src/domain/money.js';
import { priceCostModel } from '../../src/domain/pricing/index.js';
import { rateTables } from '../../src/modules/rates/repository.js';
import { adminAuth, createTestApp, injectOk, type TestApp } from '../helpers/app.js';
import { engines } from '../helpers/database.js';
import { bearer, createKey, createOrganisation } from '../helpers/keys.js';

const wirral = JSON.parse(
  readFileSync(
    new URL('../../fixtures/examples/wirral-four-bed-2026-27.model.json', import.meta.url),
    'utf8',
  ),
);
const { central: _central, ...wirralWithoutCentral } = wirral;

describe.each(engines)('homes, cost models and fee schedules on %s', (engine) => {
  let testApp: TestApp;
  let otherFinance: Record<string, string>;

  const inject = (options: InjectOptions) => testApp.app.inject(options);

  beforeAll(async () => {
    testApp = await createTestApp(engine);
    const otherId = await createOrganisation(testApp.app, 'Other Homes CIC');
    otherFinance = bearer((await createKey(testApp.app, { role: 'finance', organisationId: otherId })).key);
  });
  afterAll(() => testApp.close());

  // Each test builds the books it starts from, in its own organisation (so that the pool's units, the
  // drafts it moves and the schedules listed are that test's alone), in the order of the story:
  // two homes → a draft sharing the pool → v1 published → the draft edited → v2 → twenty more.

  const ok = (options: InjectOptions, status: number) => injectOk(testApp.app, options, status);

  /** An organisation of its own, with a finance key. */
  async function organisation() {
    const organisationId = await createOrganisation(testApp.app, 'Wirral Homes CIC');
    const finance = bearer((await createKey(testApp.app, { role: 'finance', organisationId })).key);
    return { organisationId, finance };
  }

  let urns = 0;
  /** Oxton House as the first test registers it, with an Ofsted URN of its own (the URN is unique). */
  const oxton = () => ({
    name: 'Oxton House',
    ofstedUrn: `SC${200_000 + ++urns}`,
    hostCouncil: 'E08000015',
    registeredPlaces: 4,
    openedOn: '2021-05-01',
  });
  const RUNCORN = {
    name: 'Runcorn Lodge',
    hostCouncil: 'E06000006',
    registeredPlaces: 3,
    openedOn: '2022-01-10',
  };

  /** Oxton House (four places) and Runcorn Lodge (three): seven places in the organisation. */
  async function twoHomes() {
    const books = await organisation();
    const homeId: string = (
      await ok({ method: 'POST', url: '/v1/homes', headers: books.finance, payload: oxton() }, 201)
    ).json().id;
    const secondHomeId: string = (
      await ok({ method: 'POST', url: '/v1/homes', headers: books.finance, payload: RUNCORN }, 201)
    ).json().id;
    return { ...books, homeId, secondHomeId };
  }

  const pool720k = {
    period: { label: '2026-27', start: '2026-04-01', end: '2027-03-31' },
    basis: 'places',
    lines: [
      { code: 'LEADERSHIP', description: 'Chief executive and directors', amount: '420000' },
      { code: 'FINANCE', description: 'Finance and payroll', amount: '300000' },
    ],
  };

  /** The organisation's £720,000 pool, and Oxton House's draft (ETag "1") taking its central block from it. */
  async function withDraft() {
    const books = await twoHomes();
    await ok(
      {
        method: 'PUT',
        url: `/v1/organisations/${books.organisationId}/central-cost-pools/2026-04-01`,
        headers: books.finance,
        payload: pool720k,
      },
      200,
    );
    const draftId: string = (
      await ok(
        {
          method: 'POST',
          url: `/v1/homes/${books.homeId}/cost-models`,
          headers: books.finance,
          payload: wirralWithoutCentral,
        },
        201,
      )
    ).json().id;
    return { ...books, draftId };
  }

  type Schedule = { id: string; weeklyFeePerChild: string };
  const publish = async (
    books: { finance: Record<string, string>; draftId: string },
    key: string,
    payload: Record<string, unknown>,
  ): Promise<Schedule> =>
    (
      await ok(
        {
          method: 'POST',
          url: `/v1/cost-models/${books.draftId}/publish`,
          headers: { ...books.finance, 'idempotency-key': key },
          payload,
        },
        201,
      )
    ).json();

  /** The draft published as v1 from 1 April 2026. */
  async function withV1() {
    const books = await withDraft();
    const v1 = await publish(books, 'publish-v1-0001', { effectiveFrom: '2026-04-01' });
    return { ...books, v1 };
  }

  /** Then the draft edited: the NI threshold to £9,100 (ETag "2"), an hourly rate to £13.50 (ETag "3"). */
  async function withEditedDraft() {
    const books = await withV1();
    const url = `/v1/cost-models/${books.draftId}`;
    const changed = await ok(
      {
        method: 'PATCH',
        url,
        headers: { ...books.finance, 'content-type': 'application/merge-patch+json', 'if-match': '"1"' },
        payload: JSON.stringify({ rates: { niSecondaryThresholdAnnual: '9100' } }),
      },
      200,
    );
    const staff = structuredClone(changed.json().document.staffing);
    staff[4].hourlyRate = '13.50';
    await ok(
      {
        method: 'PUT',
        url,
        headers: { ...books.finance, 'if-match': '"2"' },
        payload: { ...changed.json().document, staffing: staff, central: undefined },
      },
      200,
    );
    return books;
  }

  /** Then the edited draft published as v2 from 1 October 2026. */
  async function withV2() {
    const books = await withEditedDraft();
    const v2 = await publish(books, 'publish-v2-0001', { effectiveFrom: '2026-10-01', costModelVersion: 3 });
    return { ...books, v2 };
  }

  /** Then twenty more versions, from 1 November 2026: 22 schedules of the home. */
  async function withManyVersions() {
    const books = await withV2();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        publish(books, `more-versions-${i}-abcdef`, { effectiveFrom: '2026-11-01' }),
      ),
    );
    return books;
  }

  it("registers homes for the finance key's own organisation", async () => {
    const { organisationId, finance } = await organisation();
    const home = await inject({
      method: 'POST',
      url: '/v1/homes',
      headers: finance,
      payload: {
        name: 'Oxton House',
        ofstedUrn: 'SC123456',
        hostCouncil: 'E08000015',
        registeredPlaces: 4,
        openedOn: '2021-05-01',
      },
    });
    expect(home.statusCode).toBe(201);
    expect(home.json()).toMatchObject({ organisationId, registeredPlaces: 4, closedOn: null });
    const homeId = home.json().id;
    const second = await inject({
      method: 'POST',
      url: '/v1/homes',
      headers: finance,
      payload: {
        name: 'Runcorn Lodge',
        hostCouncil: 'E06000006',
        registeredPlaces: 3,
        openedOn: '2022-01-10',
      },
    });
    expect(second.statusCode).toBe(201);
    const unknownCouncil = await inject({
      method: 'POST',
      url: '/v1/homes',
      headers: finance,
      payload: { name: 'X', hostCouncil: 'E08000099', registeredPlaces: 2, openedOn: '2022-01-10' },
    });
    expect(unknownCouncil.statusCode).toBe(422);
    expect((await inject({ url: `/v1/homes/${homeId}`, headers: otherFinance })).statusCode).toBe(404);
  });

  it("fills a draft's central block from the organisation's pool, and caps the surplus by its policy", async () => {
    const { organisationId, finance, homeId } = await twoHomes();
    const pool = await inject({
      method: 'PUT',
      url: `/v1/organisations/${organisationId}/central-cost-pools/2026-04-01`,
      headers: finance,
      payload: {
        period: { label: '2026-27', start: '2026-04-01', end: '2027-03-31' },
        basis: 'places',
        lines: [
          { code: 'LEADERSHIP', description: 'Chief executive and directors', amount: '420000' },
          { code: 'FINANCE', description: 'Finance and payroll', amount: '300000' },
        ],
      },
    });
    expect(pool.statusCode).toBe(200);
    expect(pool.json().pool.totalAnnual).toBe('720000.00');

    const draft = await inject({
      method: 'POST',
      url: `/v1/homes/${homeId}/cost-models`,
      headers: finance,
      payload: wirralWithoutCentral,
    });
    expect(draft.statusCode).toBe(201);
    expect(draft.headers.etag).toBe('"1"');
    const body = draft.json();
    expect(body.centralSource).toBe('pool');
    expect(body.document.central).toEqual({
      poolAnnual: '720000.00',
      basis: 'places',
      homeUnits: '4',
      totalUnits: '7',
      annualAmount: '411428.57', // §7 its penny share: 720,000 × 4 ÷ 7 = 411,428.5714…
    });
    expect(body.document.surplus).toEqual({ rate: '0.04', capRate: '0.05' });

    const tooMuchSurplus = await inject({
      method: 'POST',
      url: `/v1/homes/${homeId}/cost-models`,
      headers: finance,
      payload: { ...wirralWithoutCentral, surplus: { rate: '0.06', capRate: '0.5' } },
    });
    expect(tooMuchSurplus.statusCode).toBe(422);
    expect(tooMuchSurplus.json().errors.map((e: { pointer: string }) => e.pointer)).toContain(
      '/surplus/rate',
    );
  });

  it('prices a draft without publishing it', async () => {
    const { finance, homeId, draftId } = await withDraft();
    const quote = await inject({ url: `/v1/cost-models/${draftId}/quote`, headers: finance });
    expect(quote.statusCode).toBe(200);
    const draft = (await inject({ url: `/v1/cost-models/${draftId}`, headers: finance })).json();
    expect(quote.json()).toEqual(priceCostModel(draft.document, { rateTables: rateTables() }));
    expect((await inject({ url: `/v1/fee-schedules?homeId=${homeId}` })).json().items).toEqual([]);
  });

  it('publishes once per Idempotency-Key, and refuses the key for another request', async () => {
    const { organisationId, finance, homeId, draftId } = await withDraft();
    const publish = (key: string | undefined, effectiveFrom: string) =>
      inject({
        method: 'POST',
        url: `/v1/cost-models/${draftId}/publish`,
        headers: { ...finance, ...(key ? { 'idempotency-key': key } : {}) },
        payload: { effectiveFrom },
      });
    expect((await publish(undefined, '2026-04-01')).statusCode).toBe(400);
    const first = await publish('publish-v1-0001', '2026-04-01');
    expect(first.statusCode).toBe(201);
    const v1 = first.json();
    expect(first.json()).toMatchObject({ version: 1, effectiveFrom: '2026-04-01', homeId, organisationId });
    const retry = await publish('publish-v1-0001', '2026-04-01');
    expect(retry.statusCode).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json().id).toBe(v1.id);
    const reused = await publish('publish-v1-0001', '2026-05-01');
    expect(reused.statusCode).toBe(422);
    expect(reused.json().type).toBe('/problems/idempotency-key-reused');
    const outside = await publish('publish-outside-01', '2027-04-01');
    expect(outside.statusCode).toBe(422);
    expect(outside.json().errors[0].pointer).toBe('/effectiveFrom');
  });

  it('serves the published schedule as the engine prices its frozen model, with a strong ETag, JSON and CSV', async () => {
    const { v1 } = await withV1();
    const response = await inject({ url: `/v1/fee-schedules/${v1.id}` });
    expect(response.statusCode).toBe(200);
    const schedule = response.json();
    expect(schedule.breakdown).toEqual(priceCostModel(schedule.model, { rateTables: rateTables() }));
    expect(schedule.weeklyFeePerChild).toBe(schedule.breakdown.weeklyFeePerChild);
    const etag = response.headers.etag as string;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(
      (await inject({ url: `/v1/fee-schedules/${v1.id}`, headers: { 'if-none-match': etag } })).statusCode,
    ).toBe(304);
    const csv = await inject({ url: `/v1/fee-schedules/${v1.id}`, headers: { accept: 'text/csv' } });
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.body.trimEnd().split('\r\n').at(-1)).toContain(`,${schedule.weeklyFeePerChild},1.0000,`);
    expect((await inject({ url: `/v1/fee-schedules/${v1.id}`, headers: otherFinance })).statusCode).toBe(404);
  });

  it('updates a draft only with the current ETag: 428 without, 412 when stale', async () => {
    const { finance, draftId } = await withDraft();
    const patch = (ifMatch: string | undefined) =>
      inject({
        method: 'PATCH',
        url: `/v1/cost-models/${draftId}`,
        headers: {
          ...finance,
          'content-type': 'application/merge-patch+json',
          ...(ifMatch ? { 'if-match': ifMatch } : {}),
        },
        payload: JSON.stringify({ rates: { niSecondaryThresholdAnnual: '9100' } }),
      });
    expect((await patch(undefined)).statusCode).toBe(428);
    const changed = await patch('"1"');
    expect(changed.statusCode).toBe(200);
    expect(changed.headers.etag).toBe('"2"');
    expect(changed.json().document.rates.niSecondaryThresholdAnnual).toBe('9100');
    expect(changed.json().document.central.totalUnits).toBe('7');
    expect((await patch('"1"')).statusCode).toBe(412);

    const staff = structuredClone(changed.json().document.staffing);
    staff[4].hourlyRate = '13.50';
    const replaced = await inject({
      method: 'PUT',
      url: `/v1/cost-models/${draftId}`,
      headers: { ...finance, 'if-match': '"2"' },
      payload: { ...changed.json().document, staffing: staff, central: undefined },
    });
    expect(replaced.statusCode).toBe(200);
    expect(replaced.headers.etag).toBe('"3"');
  });

  it('publishes v2, which supersedes v1 from its effectiveFrom, and explains the change', async () => {
    const { finance, homeId, draftId, v1 } = await withEditedDraft();
    const published = await inject({
      method: 'POST',
      url: `/v1/cost-models/${draftId}/publish`,
      headers: { ...finance, 'idempotency-key': 'publish-v2-0001' },
      payload: { effectiveFrom: '2026-10-01', costModelVersion: 3 },
    });
    expect(published.statusCode).toBe(201);
    const v2: Schedule = published.json();
    expect(published.json().version).toBe(2);

    const on = async (day: string) =>
      (await inject({ url: `/v1/homes/${homeId}/fee-schedules/current?on=${day}` })).json().id;
    expect(await on('2026-09-30')).toBe(v1.id);
    expect(await on('2026-10-01')).toBe(v2.id);
    expect(
      (await inject({ url: `/v1/homes/${homeId}/fee-schedules/current?on=2026-03-31` })).statusCode,
    ).toBe(404);

    const history = (await inject({ url: `/v1/homes/${homeId}/fee-schedules` })).json().items;
    expect(history.map((s: { version: number }) => s.version)).toEqual([2, 1]);

    const changes = await inject({ url: `/v1/fee-schedules/${v2.id}/changes` });
    expect(changes.statusCode).toBe(200);
    const change = changes.json();
    expect(change.fromScheduleId).toBe(v1.id);
    const total = new Dec(v2.weeklyFeePerChild).minus(v1.weeklyFeePerChild);
    expect(change.difference).toBe(total.toFixed(2));
    const sumOf = (values: string[]) => values.reduce((sum, value) => sum.plus(value), new Dec(0)).toFixed(2);
    expect(sumOf(change.causes.map((c: { effectOnWeeklyFee: string }) => c.effectOnWeeklyFee))).toBe(
      total.toFixed(2),
    );
    expect(sumOf(change.lines.map((l: { difference: string }) => l.difference))).toBe(total.toFixed(2));
    const descriptions = change.causes.map((c: { description: string }) => c.description).join('\n');
    expect(descriptions).toMatch(/£5,000\.00 → £9,100\.00/);
    expect(descriptions).toMatch(/£13\.00 → £13\.50/);
  });

  it('gives every concurrent publish its own version, and one schedule per Idempotency-Key', async () => {
    const { finance, homeId, draftId } = await withV2();
    const publish = (key: string) =>
      inject({
        method: 'POST',
        url: `/v1/cost-models/${draftId}/publish`,
        headers: { ...finance, 'idempotency-key': key },
        payload: { effectiveFrom: '2026-11-01' },
      });
    const distinct = await Promise.all(
      Array.from({ length: 20 }, (_, i) => publish(`concurrent-${i}-abcdef`)),
    );
    expect(distinct.map((r) => r.statusCode)).toEqual(Array(20).fill(201));
    const versions = distinct.map((r) => r.json().version).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: 20 }, (_, i) => i + 3));

    const same = await Promise.all(Array.from({ length: 20 }, () => publish('concurrent-same-key')));
    const ids = new Set(same.map((r) => r.json().id));
    expect(ids.size).toBe(1);
    expect(same.filter((r) => r.statusCode === 201)).toHaveLength(1);
    const count = await testApp.database.handle.db
      .selectFrom('fee_schedules')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('home_id', '=', homeId)
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(23);
  });

  it('refuses to UPDATE or DELETE a published schedule in SQL', async () => {
    const { v1 } = await withV1();
    const { db } = testApp.database.handle;
    await expect(
      db.updateTable('fee_schedules').set({ weekly_fee_per_child: '1.00' }).where('id', '=', v1.id).execute(),
    ).rejects.toThrow(/append-only/);
    await expect(db.deleteFrom('fee_schedules').where('id', '=', v1.id).execute()).rejects.toThrow(
      /append-only/,
    );
    await expect(sql`truncate fee_schedules cascade`.execute(db)).rejects.toThrow(/append-only/);
    const row = await db
      .selectFrom('fee_schedules')
      .select('weekly_fee_per_child')
      .where('id', '=', v1.id)
      .executeTakeFirstOrThrow();
    expect(row.weekly_fee_per_child).toBe(v1.weeklyFeePerChild);
  });

  it('shows which drafts a changed pool moves', async () => {
    const { organisationId, finance, homeId, secondHomeId, draftId, v1 } = await withEditedDraft();
    const other = await inject({
      method: 'POST',
      url: `/v1/homes/${secondHomeId}/cost-models`,
      headers: finance,
      payload: { ...wirralWithoutCentral, home: { ...wirral.home, registeredPlaces: 3 } },
    });
    expect(other.statusCode).toBe(201);
    const changed = await inject({
      method: 'PUT',
      url: `/v1/organisations/${organisationId}/central-cost-pools/2026-04-01`,
      headers: finance,
      payload: {
        period: { label: '2026-27', start: '2026-04-01', end: '2027-03-31' },
        basis: 'places',
        lines: [{ code: 'LEADERSHIP', description: 'Chief executive and directors', amount: '800000' }],
      },
    });
    expect(changed.statusCode).toBe(200);
    const moved = changed.json().movedCostModels;
    expect(moved.map((m: { homeId: string }) => m.homeId).sort()).toEqual([homeId, secondHomeId].sort());
    for (const m of moved) {
      expect(m.centralAfter.poolAnnual).toBe('800000.00');
      expect(new Dec(m.weeklyFeeAfter).gt(m.weeklyFeeBefore)).toBe(true);
    }
    const draft = await inject({ url: `/v1/cost-models/${draftId}`, headers: finance });
    expect(draft.headers.etag).toBe('"4"');
    // published schedules are untouched
    expect((await inject({ url: `/v1/fee-schedules/${v1.id}` })).json().model.central.poolAnnual).toBe(
      '720000.00',
    );
  });

  it('lists schedules with filters and cursor paging', async () => {
    const { organisationId, homeId } = await withManyVersions();
    const first = (
      await inject({ url: `/v1/fee-schedules?homeId=${homeId}&limit=5`, headers: adminAuth })
    ).json();
    expect(first.items).toHaveLength(5);
    const second = (
      await inject({ url: `/v1/fee-schedules?homeId=${homeId}&limit=5&cursor=${first.nextCursor}` })
    ).json();
    expect(second.items).toHaveLength(5);
    expect(new Set([...first.items, ...second.items].map((s: { id: string }) => s.id)).size).toBe(10);
    const scheduled = (
      await inject({ url: `/v1/fee-schedules?organisationId=${organisationId}&status=current` })
    ).json();
    expect(scheduled.items.every((s: { status: string }) => s.status === 'current')).toBe(true);
  });
});
