import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminAuth, createTestApp, type TestApp } from '../helpers/app.js';
import { exampleModel, registerModelParties } from '../helpers/books.js';
import { engines } from '../helpers/database.js';
import { bearer, createHome, createKey, createOrganisation } from '../helpers/keys.js';

// Method v2 §6: the register of related parties, and the price that names them: quotes, drafts,
// publishing and the central pool all follow it.

const related = () => exampleModel('wirral-related-parties-2026-27');
type Model = Record<string, unknown> & {
  property: Array<Record<string, unknown>>;
  running: Array<Record<string, unknown>>;
  central: Record<string, unknown>;
  relatedParties: Array<Record<string, unknown>>;
  surplus: Record<string, unknown>;
};
const pointersOf = (body: { errors?: Array<{ pointer: string }> }) =>
  (body.errors ?? []).map((e) => e.pointer);

describe.each(engines)('related parties on %s', (engine) => {
  let testApp: TestApp;
  const inject = (options: InjectOptions) => testApp.app.inject(options);

  beforeAll(async () => {
    testApp = await createTestApp(engine);
  });
  afterAll(() => testApp.close());

  async function provider(name = 'Harbour Homes CIC') {
    const organisationId = await createOrganisation(testApp.app, name);
    const finance = bearer((await createKey(testApp.app, { role: 'finance', organisationId })).key);
    return { organisationId, finance };
  }

  const party = (organisationId: string, overrides: Record<string, unknown> = {}) => ({
    organisationId,
    reference: 'jpl',
    name: 'Harbour Properties Ltd',
    companiesHouseNumber: '09876543',
    relationship: 'common_control',
    description: 'Owns the homes; its directors are the provider’s directors',
    from: '2024-01-01',
    ...overrides,
  });

  const quote = (model: unknown) =>
    inject({
      method: 'POST',
      url: '/v1/quotes',
      headers: adminAuth,
      payload: model as Record<string, unknown>,
    });

  describe('the register', () => {
    it('adds, changes and ends a party, audited with the row before and after, never deleted', async () => {
      const { organisationId, finance } = await provider();
      const created = await inject({
        method: 'POST',
        url: '/v1/related-parties',
        headers: finance,
        payload: party(organisationId),
      });
      expect(created.statusCode).toBe(201);
      const record = created.json();
      expect(record).toMatchObject({
        reference: 'jpl',
        version: 1,
        to: null,
        companiesHouseNumber: '09876543',
      });
      expect(created.headers.etag).toBe('"1"');

      const duplicate = await inject({
        method: 'POST',
        url: '/v1/related-parties',
        headers: finance,
        payload: party(organisationId, { name: 'Someone else' }),
      });
      expect(duplicate.statusCode).toBe(409);

      const url = `/v1/related-parties/${record.id}`;
      expect(
        (await inject({ method: 'PATCH', url, headers: finance, payload: { to: '2027-03-31' } })).statusCode,
      ).toBe(428);
      const ended = await inject({
        method: 'PATCH',
        url,
        headers: { ...finance, 'if-match': '"1"' },
        payload: { to: '2027-03-31' },
      });
      expect(ended.statusCode).toBe(200);
      expect(ended.json()).toMatchObject({ to: '2027-03-31', version: 2 });
      const stale = await inject({
        method: 'PATCH',
        url,
        headers: { ...finance, 'if-match': '"1"' },
        payload: { name: 'Harbour Estates Ltd' },
      });
      expect(stale.statusCode).toBe(412);
      const backwards = await inject({
        method: 'PATCH',
        url,
        headers: { ...finance, 'if-match': '"2"' },
        payload: { to: '2023-12-31' },
      });
      expect(backwards.statusCode).toBe(422);
      expect(pointersOf(backwards.json())).toEqual(['/to']);
      expect((await inject({ method: 'DELETE', url, headers: adminAuth })).statusCode).toBe(405);
      await expect(
        testApp.database.handle.db.deleteFrom('related_parties').where('id', '=', record.id).execute(),
      ).rejects.toThrow(/never deleted/);

      const events = (
        await inject({
          url: `/v1/audit-events?resourceType=related_party&resourceId=${record.id}`,
          headers: adminAuth,
        })
      ).json().items;
      expect(events.map((event: { action: string }) => event.action)).toEqual(['end', 'create']);
      expect(events[0].before).toMatchObject({ to: null, version: 1 });
      expect(events[0].after).toMatchObject({ to: '2027-03-31', version: 2 });
    });

    it("keeps a finance key to its own organisation's register; commissioners and the regulator read any", async () => {
      const own = await provider('Own Register CIC');
      const other = await provider('Other Register CIC');
      const created = await inject({
        method: 'POST',
        url: '/v1/related-parties',
        headers: other.finance,
        payload: party(other.organisationId, {
          reference: 'grp',
          relationship: 'parent',
          name: 'Other Group',
        }),
      });
      expect(created.statusCode).toBe(201);
      const intruder = await inject({
        method: 'POST',
        url: '/v1/related-parties',
        headers: own.finance,
        payload: party(other.organisationId),
      });
      expect(intruder.statusCode).toBe(422);
      expect(pointersOf(intruder.json())).toEqual(['/organisationId']);
      expect(
        (await inject({ url: `/v1/related-parties/${created.json().id}`, headers: own.finance })).statusCode,
      ).toBe(404);
      const patch = await inject({
        method: 'PATCH',
        url: `/v1/related-parties/${created.json().id}`,
        headers: { ...own.finance, 'if-match': '"1"' },
        payload: { name: 'Taken over' },
      });
      expect(patch.statusCode).toBe(404);
      expect(
        (
          await inject({
            url: `/v1/related-parties?organisation=${other.organisationId}`,
            headers: own.finance,
          })
        ).statusCode,
      ).toBe(404);

      for (const role of ['commissioner', 'regulator'] as const) {
        const key = bearer(
          (
            await createKey(testApp.app, {
              role,
              ...(role === 'commissioner' ? { councils: ['E08000015'] } : {}),
            })
          ).key,
        );
        const listed = await inject({
          url: `/v1/related-parties?organisation=${other.organisationId}`,
          headers: key,
        });
        expect(listed.statusCode).toBe(200);
        expect(listed.json().items.map((item: { reference: string }) => item.reference)).toEqual(['grp']);
        const write = await inject({
          method: 'POST',
          url: '/v1/related-parties',
          headers: key,
          payload: party(other.organisationId, { reference: 'x' }),
        });
        expect(write.statusCode).toBe(403);
      }
    });

    it('refuses a bad party field by field, storing nothing', async () => {
      const { organisationId, finance } = await provider('Bad Input CIC');
      const response = await inject({
        method: 'POST',
        url: '/v1/related-parties',
        headers: finance,
        payload: party(organisationId, {
          reference: 'has space',
          companiesHouseNumber: '123',
          relationship: 'cousin',
          from: '2026-02-30',
        }),
      });
      expect(response.statusCode).toBe(422);
      expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(pointersOf(response.json()).sort()).toEqual(
        ['/companiesHouseNumber', '/from', '/reference', '/relationship'].sort(),
      );
      const listed = await inject({
        url: `/v1/related-parties?organisation=${organisationId}`,
        headers: finance,
      });
      expect(listed.json().items).toEqual([]);
    });
  });

  describe('quotes', () => {
    it('prices the worked example with each line paid to a related party naming it', async () => {
      const response = await quote(related());
      expect(response.statusCode).toBe(200);
      const breakdown = response.json();
      expect(breakdown).toMatchObject({
        methodVersion: 2,
        weeklyFeePerChild: '5504.74',
        relatedPartyExcessWeeklyPerChild: '10.86',
        adjustedSurplusRate: '0.032097',
      });
      expect(
        breakdown.relatedParties.map((p: { id: string; excessAnnual: string }) => [p.id, p.excessAnnual]),
      ).toEqual([
        ['jpl', '600.00'],
        ['grp', '500.00'],
        ['edu', '938.57'],
      ]);
    });

    it('refuses a lease at twice the market rent with a 5% surplus: the adjusted rate breaks the cap', async () => {
      const model = related() as Model;
      model.property[0] = { ...model.property[0], amount: '4000', marketAmount: '2000' };
      model.surplus = { rate: '0.05', capRate: '0.05' };
      const response = await quote(model);
      expect(response.statusCode).toBe(422);
      const body = response.json();
      expect(pointersOf(body)).toEqual(['/surplus/rate']);
      // the detail names the parties and the amounts
      expect(body.errors[0].message).toContain('Harbour Properties Ltd (jpl)');
      expect(body.errors[0].message).toContain(
        'PROPERTY_LEASE £48,000.00 a year against a market £24,000.00, excess £24,000.00',
      );
      expect(body.errors[0].message).toMatch(/adjusted surplus rate 0\.\d{6}/);
      // at market, the same surplus rate is within the cap
      model.property[0] = { ...model.property[0], marketAmount: '4000' };
      model.running[9] = { ...model.running[9], marketAmount: '60' };
      (model.central.relatedPartyCharges as Array<Record<string, unknown>>)[0]!.marketAmountAnnual = '50000';
      const atMarket = await quote(model);
      expect(atMarket.statusCode).toBe(200);
      expect(atMarket.json().adjustedSurplusRate).toBe('0.050000');
    });

    it('refuses a party without a market amount or evidence, at that line', async () => {
      const model = related() as Model;
      const { marketAmount: _m, ...lease } = model.property[0]!;
      model.property[0] = lease;
      const { marketEvidence: _e, ...tutoring } = model.running[9]!;
      model.running[9] = tutoring;
      const response = await quote(model);
      expect(response.statusCode).toBe(422);
      expect(pointersOf(response.json()).sort()).toEqual([
        '/property/0/marketAmount',
        '/running/9/marketEvidence',
      ]);
    });

    it('refuses a line naming no listed party, a party named by no line, and a market amount with no party', async () => {
      const model = related() as Model;
      model.property[0] = { ...model.property[0], relatedPartyId: 'nobody' };
      model.property[1] = { ...model.property[1], marketAmount: '9000' };
      const response = await quote(model);
      expect(response.statusCode).toBe(422);
      expect(pointersOf(response.json()).sort()).toEqual(
        ['/property/0/relatedPartyId', '/property/1/marketAmount', '/relatedParties/0'].sort(),
      );
    });

    it('refuses central components that add up to more than the pool', async () => {
      const model = related() as Model;
      (model.central.relatedPartyCharges as Array<Record<string, unknown>>)[0]!.amountAnnual = '720000.01';
      const response = await quote(model);
      expect(response.statusCode).toBe(422);
      expect(pointersOf(response.json())).toEqual(['/central/relatedPartyCharges']);
    });

    it('prices a model without relatedParties as version 1, with no §6 fields', async () => {
      const response = await quote(exampleModel('wirral-four-bed-2026-27'));
      expect(response.statusCode).toBe(200);
      const breakdown = response.json();
      expect(breakdown.methodVersion).toBe(1);
      expect(Object.keys(breakdown)).not.toContain('relatedParties');
      expect(Object.keys(breakdown)).not.toContain('adjustedSurplusRate');
      expect(JSON.stringify(breakdown)).not.toContain('relatedParty');
    });
  });

  describe('drafts and publishing', () => {
    it('publishes a model whose parties are in the register, as method version 2', async () => {
      const { organisationId, finance } = await provider('Publishing CIC');
      const homeId = await createHome(testApp.app, finance, 'Harbour House');
      const unregistered = await inject({
        method: 'POST',
        url: `/v1/homes/${homeId}/cost-models`,
        headers: finance,
        payload: related(),
      });
      expect(unregistered.statusCode).toBe(422);
      expect(pointersOf(unregistered.json())).toEqual([
        '/relatedParties/0/id',
        '/relatedParties/1/id',
        '/relatedParties/2/id',
      ]);

      await registerModelParties(testApp.app, finance, organisationId, related());
      const renamed = related() as Model;
      renamed.relatedParties[0] = { ...renamed.relatedParties[0], name: 'Harbour Props' };
      const mismatch = await inject({
        method: 'POST',
        url: `/v1/homes/${homeId}/cost-models`,
        headers: finance,
        payload: renamed,
      });
      expect(mismatch.statusCode).toBe(422);
      expect(pointersOf(mismatch.json())).toEqual(['/relatedParties/0/name']);
      expect(mismatch.json().errors[0].message).toContain('"Harbour Properties Ltd"');

      const draft = await inject({
        method: 'POST',
        url: `/v1/homes/${homeId}/cost-models`,
        headers: finance,
        payload: related(),
      });
      expect(draft.statusCode).toBe(201);
      const published = await inject({
        method: 'POST',
        url: `/v1/cost-models/${draft.json().id}/publish`,
        headers: { ...finance, 'idempotency-key': `publish-related-${engine}` },
        payload: { effectiveFrom: '2026-04-01' },
      });
      expect(published.statusCode).toBe(201);
      expect(published.json().methodVersion).toBe(2);
      const schedule = await inject({ url: `/v1/fee-schedules/${published.json().id}` });
      const breakdown = schedule.json().breakdown;
      expect(breakdown.adjustedSurplusRate).toBe('0.032097');
      const lease = breakdown.lines.find((line: { code: string }) => line.code === 'PROPERTY_LEASE');
      expect(lease.relatedPartyId).toBe('jpl');
    });

    it('refuses to publish once the register has ended a party before the period', async () => {
      const { organisationId, finance } = await provider('Ended Party CIC');
      const homeId = await createHome(testApp.app, finance, 'Ended House');
      const [jplId] = await registerModelParties(testApp.app, finance, organisationId, related());
      const draft = await inject({
        method: 'POST',
        url: `/v1/homes/${homeId}/cost-models`,
        headers: finance,
        payload: related(),
      });
      expect(draft.statusCode).toBe(201);
      const ended = await inject({
        method: 'PATCH',
        url: `/v1/related-parties/${jplId}`,
        headers: { ...finance, 'if-match': '"1"' },
        payload: { to: '2025-03-31' },
      });
      expect(ended.statusCode).toBe(200);
      const published = await inject({
        method: 'POST',
        url: `/v1/cost-models/${draft.json().id}/publish`,
        headers: { ...finance, 'idempotency-key': `publish-ended-${engine}` },
        payload: { effectiveFrom: '2026-04-01' },
      });
      expect(published.statusCode).toBe(422);
      expect(pointersOf(published.json())).toEqual(['/relatedParties/0/id']);
      const schedules = await inject({ url: `/v1/homes/${homeId}/fee-schedules`, headers: finance });
      expect(schedules.json().items ?? schedules.json()).toHaveLength(0);
    });
  });

  describe('the central pool', () => {
    it("takes a group management fee paid to a related party into each home's draft with its share", async () => {
      const { organisationId, finance } = await provider('Pooled CIC');
      const homeIds = [
        await createHome(testApp.app, finance, 'Pool House A'),
        await createHome(testApp.app, finance, 'Pool House B'),
      ];
      const pool = (lines: unknown[]) =>
        inject({
          method: 'PUT',
          url: `/v1/organisations/${organisationId}/central-cost-pools/2026-04-01`,
          headers: finance,
          payload: {
            period: { label: '2026-27', start: '2026-04-01', end: '2027-03-31' },
            basis: 'places',
            lines,
          },
        });
      const fee = {
        code: 'GROUP_MANAGEMENT',
        description: 'Group management fee',
        amount: '50000',
        relatedPartyId: 'grp',
        marketAmount: '40000',
        marketEvidence: 'Benchmark of three group service agreements, 2026',
      };
      const unknown = await pool([{ code: 'LEADERSHIP', description: 'Directors', amount: '100000' }, fee]);
      expect(unknown.statusCode).toBe(422);
      expect(pointersOf(unknown.json())).toEqual(['/lines/1/relatedPartyId']);
      const { marketEvidence: _e, ...noEvidence } = fee;
      const registered = await inject({
        method: 'POST',
        url: '/v1/related-parties',
        headers: finance,
        payload: party(organisationId, {
          reference: 'grp',
          name: 'Harbour Group Holdings',
          companiesHouseNumber: '08765432',
          relationship: 'parent',
        }),
      });
      expect(registered.statusCode).toBe(201);
      const missing = await pool([noEvidence]);
      expect(missing.statusCode).toBe(422);
      expect(pointersOf(missing.json())).toEqual(['/lines/0/marketEvidence']);
      expect(
        (await pool([{ code: 'LEADERSHIP', description: 'Directors', amount: '100000' }, fee])).statusCode,
      ).toBe(200);

      const { central: _c, ...model } = exampleModel('wirral-four-bed-2026-27');
      const draft = await inject({
        method: 'POST',
        url: `/v1/homes/${homeIds[0]}/cost-models`,
        headers: finance,
        payload: model,
      });
      expect(draft.statusCode).toBe(201);
      const document = draft.json().document;
      expect(document.central.relatedPartyCharges).toEqual([
        {
          relatedPartyId: 'grp',
          description: 'Group management fee',
          amountAnnual: '50000',
          marketAmountAnnual: '40000',
          marketEvidence: 'Benchmark of three group service agreements, 2026',
        },
      ]);
      expect(document.relatedParties).toEqual([
        {
          id: 'grp',
          name: 'Harbour Group Holdings',
          companiesHouseNumber: '08765432',
          relationship: 'parent',
        },
      ]);
      const quoted = (
        await inject({ url: `/v1/cost-models/${draft.json().id}/quote`, headers: finance })
      ).json();
      // two four-place homes: half the fee is this home's, £25,000 against a market £20,000
      expect(quoted.relatedParties[0].lines).toEqual([
        {
          code: 'CENTRAL_OVERHEAD',
          description: 'Group management fee',
          annualAmount: '25000.00',
          marketAnnualAmount: '20000.00',
          excessAnnual: '5000.00',
          marketEvidence: 'Benchmark of three group service agreements, 2026',
        },
      ]);
      const central = quoted.lines.find((line: { code: string }) => line.code === 'CENTRAL_OVERHEAD');
      expect(central).toMatchObject({ annualAmount: '75000.00', relatedPartyId: 'grp' });

      // the pool drops the fee: the draft no longer lists the party, and prices as before §6 parties
      const changed = await pool([{ code: 'LEADERSHIP', description: 'Directors', amount: '150000' }]);
      expect(changed.statusCode).toBe(200);
      const after = (await inject({ url: `/v1/cost-models/${draft.json().id}`, headers: finance })).json()
        .document;
      expect(after.central.relatedPartyCharges).toBeUndefined();
      expect(after.relatedParties).toEqual([]);
    });
  });
});
