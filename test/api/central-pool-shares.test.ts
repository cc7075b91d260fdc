import { readFileSync } from 'node:fs';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dec, roundPennies } from '../../src/domain/money.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { engines } from '../helpers/database.js';
import { bearer, createHome, createKey, createOrganisation } from '../helpers/keys.js';

// §7 "Shares add up": drafts that take their central block from the organisation's pool carry their
// penny share as central.annualAmount, and the shares of the homes open in the period add up to the
// pool exactly, where rounding each home's share on its own would recover a penny more.

const wirral = JSON.parse(
  readFileSync(
    new URL('../../fixtures/examples/wirral-four-bed-2026-27.model.json', import.meta.url),
    'utf8',
  ),
);
const { central: _central, ...wirralWithoutCentral } = wirral;
const PERIOD = { label: '2026-27', start: '2026-04-01', end: '2027-03-31' };

const pennies = (amount: string) => BigInt(amount.replace('.', ''));

describe.each(engines)('central pool shares on %s', (engine) => {
  let testApp: TestApp;
  const inject = (options: InjectOptions) => testApp.app.inject(options);

  beforeAll(async () => {
    testApp = await createTestApp(engine);
  });
  afterAll(() => testApp.close());

  /** An organisation with a finance key and three four-place homes (ids in id order). */
  async function organisationWithThreeHomes() {
    const organisationId = await createOrganisation(testApp.app, 'Shared Pool Homes CIC');
    const finance = bearer((await createKey(testApp.app, { role: 'finance', organisationId })).key);
    const homeIds: string[] = [];
    for (const name of ['Birkenhead House', 'Hoylake Lodge', 'Wallasey Cottage']) {
      homeIds.push(await createHome(testApp.app, finance, name));
    }
    return { organisationId, finance, homeIds: homeIds.sort() };
  }

  function putPool(organisationId: string, finance: Record<string, string>, amount: string) {
    return inject({
      method: 'PUT',
      url: `/v1/organisations/${organisationId}/central-cost-pools/${PERIOD.start}`,
      headers: finance,
      payload: {
        period: PERIOD,
        basis: 'staff_fte',
        lines: [{ code: 'LEADERSHIP', description: 'Chief executive and directors', amount }],
      },
    });
  }

  async function createDraft(finance: Record<string, string>, homeId: string): Promise<string> {
    const draft = await inject({
      method: 'POST',
      url: `/v1/homes/${homeId}/cost-models`,
      headers: finance,
      payload: wirralWithoutCentral,
    });
    expect(draft.statusCode).toBe(201);
    expect(draft.json().centralSource).toBe('pool');
    return draft.json().id;
  }

  async function quoted(finance: Record<string, string>, draftId: string) {
    const quote = await inject({ url: `/v1/cost-models/${draftId}/quote`, headers: finance });
    expect(quote.statusCode).toBe(200);
    const breakdown = quote.json();
    const line = breakdown.lines.find((l: { code: string }) => l.code === 'CENTRAL_OVERHEAD');
    return { breakdown, centralAnnual: line.annualAmount as string };
  }

  async function documentOf(finance: Record<string, string>, draftId: string) {
    const draft = await inject({ url: `/v1/cost-models/${draftId}`, headers: finance });
    return { document: draft.json().document, etag: draft.headers.etag as string };
  }

  /** The central block's product, poolAnnual × homeUnits ÷ totalUnits, rounded half-up on its own. */
  function roundedAlone(central: { poolAnnual: string; homeUnits: string; totalUnits: string }): bigint {
    const product = new Dec(central.poolAnnual).times(central.homeUnits).dividedBy(central.totalUnits);
    return pennies(roundPennies(product).toFixed(2));
  }

  it("adds up the three homes' quoted CENTRAL_OVERHEAD annual amounts to the pool, to the penny", async () => {
    const { organisationId, finance, homeIds } = await organisationWithThreeHomes();
    expect((await putPool(organisationId, finance, '200000')).statusCode).toBe(200);
    const draftIds: string[] = [];
    for (const homeId of homeIds) draftIds.push(await createDraft(finance, homeId));
    // the earlier drafts were shared before the later homes had staff: putting the pool refreshes them
    const refreshed = await putPool(organisationId, finance, '200000');
    expect(refreshed.statusCode).toBe(200);
    expect(refreshed.json().movedCostModels.length).toBeGreaterThan(0);

    // each home 15.6 FTE (1 + 1 + 3 + 10 + 0.6): exact shares 66,666.6666…; half-up on its own each
    // is 66,666.67, 1p over the pool in all; by largest remainder the two earlier ids get the pennies
    const shares: string[] = [];
    let alone = 0n;
    for (const draftId of draftIds) {
      const { document } = await documentOf(finance, draftId);
      expect(document.central).toMatchObject({
        poolAnnual: '200000.00',
        homeUnits: '15.6',
        totalUnits: '46.8',
      });
      alone += roundedAlone(document.central);
      const { breakdown, centralAnnual } = await quoted(finance, draftId);
      expect(centralAnnual).toBe(document.central.annualAmount);
      expect(breakdown.methodVersion).toBe(2);
      expect(breakdown.central.annualAmount).toBe(centralAnnual);
      shares.push(centralAnnual);
    }
    expect(shares).toEqual(['66666.67', '66666.67', '66666.66']);
    expect(shares.reduce((sum, share) => sum + pennies(share), 0n)).toBe(pennies('200000.00'));
    expect(alone).toBe(pennies('200000.01'));
  });

  it("still adds up after one home's staffing changes and the pool is put again", async () => {
    const { organisationId, finance, homeIds } = await organisationWithThreeHomes();
    expect((await putPool(organisationId, finance, '200000')).statusCode).toBe(200);
    const draftIds: string[] = [];
    for (const homeId of homeIds) draftIds.push(await createDraft(finance, homeId));
    expect((await putPool(organisationId, finance, '200000')).statusCode).toBe(200);

    // the second home drops to 8 residential child care workers: 13.6 FTE of 44.8
    const second = draftIds[1]!;
    const { document, etag } = await documentOf(finance, second);
    const staffing = structuredClone(document.staffing);
    staffing.find((line: { id: string }) => line.id === 'rcw').headcount = 8;
    const patched = await inject({
      method: 'PATCH',
      url: `/v1/cost-models/${second}`,
      headers: { ...finance, 'content-type': 'application/merge-patch+json', 'if-match': etag },
      payload: JSON.stringify({ staffing }),
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json().document.central).toMatchObject({ homeUnits: '13.6', totalUnits: '44.8' });

    const changed = await putPool(organisationId, finance, '200000');
    expect(changed.statusCode).toBe(200);
    for (const moved of changed.json().movedCostModels) {
      expect(moved.centralAfter).toMatchObject({ basis: 'staff_fte', totalUnits: '44.8' });
      expect(moved.centralAfter.annualAmount).toMatch(/^\d+\.\d{2}$/);
    }

    // 200,000 × 15.6 ÷ 44.8 = 69,642.857…, × 13.6 ÷ 44.8 = 60,714.285…: half-up on its own 1p over;
    // floors 69,642.85 + 60,714.28 + 69,642.85, the two pennies to the two largest remainders (.857…)
    const shares: string[] = [];
    let alone = 0n;
    for (const draftId of draftIds) {
      const { document: current } = await documentOf(finance, draftId);
      expect(current.central.totalUnits).toBe('44.8');
      alone += roundedAlone(current.central);
      shares.push((await quoted(finance, draftId)).centralAnnual);
    }
    expect(shares).toEqual(['69642.86', '60714.28', '69642.86']);
    expect(shares.reduce((sum, share) => sum + pennies(share), 0n)).toBe(pennies('200000.00'));
    expect(alone).toBe(pennies('200000.01'));
  });

  it('publishes a draft with a pool share as method version 2, and one without as version 1', async () => {
    const { organisationId, finance, homeIds } = await organisationWithThreeHomes();
    expect((await putPool(organisationId, finance, '200000')).statusCode).toBe(200);
    const pooled = await createDraft(finance, homeIds[0]!);
    const own = await inject({
      method: 'POST',
      url: `/v1/homes/${homeIds[1]}/cost-models`,
      headers: finance,
      payload: wirral,
    });
    expect(own.statusCode).toBe(201);
    expect(own.json().centralSource).toBe('model');

    const publish = (draftId: string, key: string) =>
      inject({
        method: 'POST',
        url: `/v1/cost-models/${draftId}/publish`,
        headers: { ...finance, 'idempotency-key': key },
        payload: { effectiveFrom: PERIOD.start },
      });
    const withShare = await publish(pooled, `pool-share-${pooled}`);
    const without = await publish(own.json().id, `own-central-${own.json().id}`);
    expect(withShare.statusCode).toBe(201);
    expect(without.statusCode).toBe(201);
    expect(withShare.json().methodVersion).toBe(2);
    expect(withShare.json().breakdown.methodVersion).toBe(2);
    expect(without.json().methodVersion).toBe(1);
    expect(without.json().breakdown.methodVersion).toBe(1);
    const rows = await testApp.database.handle.db
      .selectFrom('fee_schedules')
      .select(['id', 'method_version'])
      .where('id', 'in', [withShare.json().id, without.json().id])
      .execute();
    expect(Object.fromEntries(rows.map((row) => [row.id, row.method_version]))).toEqual({
      [withShare.json().id]: 2,
      [without.json().id]: 1,
    });
    const served = await inject({ url: `/v1/fee-schedules/${withShare.json().id}` });
    expect(served.json().model.central.annualAmount).toBe('200000.00'); // the only home with staff yet
  });

  it('refuses a draft whose central share is more than a penny from the product (422 at /central/annualAmount)', async () => {
    const { finance, homeIds } = await organisationWithThreeHomes();
    const refused = await inject({
      method: 'POST',
      url: `/v1/homes/${homeIds[0]}/cost-models`,
      headers: finance,
      payload: { ...wirral, central: { ...wirral.central, annualAmount: '72000.02' } },
    });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().errors).toEqual([
      {
        pointer: '/central/annualAmount',
        in: 'body',
        message: expect.stringContaining('(£720,000.00 × 4 ÷ 40 = £72,000.00): from 71999.99 to 72000.01'),
      },
    ]);
  });
});
