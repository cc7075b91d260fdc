import { parse } from 'csv-parse/sync';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { costModelSchema, priceCostModel } from '../../src/domain/pricing/index.js';
import { rateTables } from '../../src/modules/rates/index.js';
import { adminAuth, createTestApp, injectOk, type TestApp } from '../helpers/app.js';
import { exampleModel } from '../helpers/books.js';
import { engines } from '../helpers/database.js';
import { bearer, createKey } from '../helpers/keys.js';
import { publishedProvider } from '../helpers/provider.js';

// Scenario planning (docs/scenarios.md): what a fee does when levers move, priced by the quote's
// engine, never stored as a schedule, signed or chained.

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

describe.each(engines)('scenarios on %s', (engine) => {
  let testApp: TestApp;
  const inject = (options: InjectOptions) => testApp.app.inject(options);

  const ok = (options: InjectOptions, status: number) => injectOk(testApp.app, options, status);

  /** An organisation of its own with a home, a draft of the Wirral example and, published from it, a schedule. */
  const provider = (name: string) => publishedProvider(testApp.app, name);

  /** What the database holds of a provider's drafts, schedules and chain. */
  async function books(organisationId: string) {
    const db = testApp.database.handle.db;
    const drafts = await db
      .selectFrom('cost_models')
      .select(['id', 'version', 'document'])
      .where('organisation_id', '=', organisationId)
      .orderBy('id')
      .execute();
    const schedules = await db
      .selectFrom('fee_schedules')
      .select(['id', 'weekly_fee_per_child'])
      .where('organisation_id', '=', organisationId)
      .orderBy('id')
      .execute();
    const proofs = await db
      .selectFrom('fee_schedule_proofs')
      .select(['schedule_id'])
      .where('organisation_id', '=', organisationId)
      .execute();
    return JSON.stringify({ drafts, schedules, proofs });
  }

  beforeAll(async () => {
    testApp = await createTestApp(engine, { today: '2026-06-10' });
  });
  afterAll(async () => {
    await testApp?.close();
  });

  it('prices a grid of occupancy × care pay from a published schedule, with the quote’s figures at the base', async () => {
    const { finance, schedule, organisationId } = await provider('Birkenhead Care CIC');
    const before = await books(organisationId);
    const response = await ok(
      {
        method: 'POST',
        url: '/v1/scenarios',
        headers: finance,
        payload: {
          base: { feeScheduleId: schedule.id },
          changes: [{ lever: 'agencyShare', value: '0.2' }],
          grids: [
            {
              name: 'Occupancy by care pay',
              axes: [
                { lever: 'plannedOccupancy', values: ['0.75', '0.9', '1'] },
                { lever: 'payUplift', group: 'care', range: { from: '0.04', to: '0.06', step: '0.01' } },
              ],
            },
          ],
        },
      },
      200,
    );
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const report = response.json();
    expect(report.base.kind).toBe('feeSchedule');
    expect(report.base.figures.weeklyFeePerChild).toBe(schedule.weeklyFeePerChild);
    expect(report.base.figures.weeklyFeePerChild).toBe('5495.78');
    expect(report.grids[0].combinations).toBe(9);
    expect(report.grids[0].rows).toHaveLength(9);
    // each row is what a quote of the same model gives
    const model = costModelSchema.parse(exampleModel('wirral-four-bed-2026-27'));
    const row = report.grids[0].rows[5]; // 0.9 occupancy, 6% care pay
    expect(row.at).toEqual(['0.9', '0.06']);
    const edited = structuredClone(model);
    edited.cover.agencyShare = '0.2';
    for (const line of edited.staffing) {
      if (line.group === 'care' && line.annualSalaryFte !== undefined) {
        line.annualSalaryFte = (Math.round(Number(line.annualSalaryFte) * 106) / 100).toFixed(2);
      }
    }
    const quoted = priceCostModel(edited, { rateTables: rateTables() });
    expect(row.weeklyFeePerChild).toBe(quoted.weeklyFeePerChild);
    expect(row.weeklySurplusPerChild).toBe(quoted.weeklySurplusPerChild);
    // fee falls as occupancy rises, pay held
    const at6 = report.grids[0].rows.filter((r: { at: string[] }) => r.at[1] === '0.06');
    const fees = at6.map((r: { weeklyFeePerChild: string }) => Number(r.weeklyFeePerChild));
    expect(fees[0]).toBeGreaterThan(fees[1]);
    expect(fees[1]).toBeGreaterThan(fees[2]);
    // the break-even at the quoted fee, priced back, is at most the fee
    expect(report.breakEven.weeklyFee).toBe('5495.78');
    expect(report.breakEven.source).toBe('base');
    expect(Number(report.breakEven.weeklyFeeAtOccupancy)).toBeLessThanOrEqual(5495.78);
    expect(report.sensitivity.levers[0].key).toBe('plannedOccupancy');
    // nothing stored, signed or chained
    expect(await books(organisationId)).toBe(before);
  });

  it('gives the same figures as CSV and a workbook', async () => {
    const { finance, draft } = await provider('Wallasey Homes CIC');
    const payload = {
      base: { costModelId: draft.id },
      grids: [{ name: 'Occupancy', axes: [{ lever: 'plannedOccupancy', values: ['0.5', '0.75', '1'] }] }],
    };
    const json = (await ok({ method: 'POST', url: '/v1/scenarios', headers: finance, payload }, 200)).json();
    const csv = await ok({ method: 'POST', url: '/v1/scenarios?format=csv', headers: finance, payload }, 200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const rows = parse(csv.body, { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.grid)).toEqual(['base', 'point', 'Occupancy', 'Occupancy', 'Occupancy']);
    expect(rows[2]!.plannedOccupancy).toBe('0.5');
    expect(rows.slice(2).map((r) => r.weeklyFeePerChild)).toEqual(
      json.grids[0].rows.map((r: { weeklyFeePerChild: string }) => r.weeklyFeePerChild),
    );
    const xlsx = await ok(
      { method: 'POST', url: '/v1/scenarios', headers: { ...finance, accept: XLSX }, payload },
      200,
    );
    expect(xlsx.headers['content-type']).toBe(XLSX);
    expect(xlsx.rawPayload.subarray(0, 2).toString()).toBe('PK');
  });

  it('refuses more than 10,000 combinations with the count, and bad levers with pointers, changing nothing', async () => {
    const { finance, draft, organisationId } = await provider('Hoylake Care CIC');
    const before = await books(organisationId);
    const tooMany = await inject({
      method: 'POST',
      url: '/v1/scenarios',
      headers: finance,
      payload: {
        base: { costModelId: draft.id },
        grids: [
          {
            name: 'Too many',
            axes: [
              { lever: 'plannedOccupancy', range: { from: '0.01', to: '1', step: '0.01' } },
              { lever: 'payUplift', range: { from: '0', to: '0.102', step: '0.001' } },
            ],
          },
        ],
      },
    });
    expect(tooMany.statusCode).toBe(422);
    expect(tooMany.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = tooMany.json();
    const issue = problem.errors.find((e: { pointer: string }) => e.pointer === '/grids');
    expect(issue.detail ?? issue.message).toContain('10,300');

    const bad = await inject({
      method: 'POST',
      url: '/v1/scenarios',
      headers: finance,
      payload: {
        base: { costModelId: draft.id },
        changes: [
          { lever: 'surplusRate', value: '0.5' },
          { lever: 'hourlyRate', line: 'nobody', value: '13.00' },
          { lever: 'amount', line: '/property/99', value: '100' },
          { lever: 'plannedOccupancy', value: '0.8123456' },
        ],
      },
    });
    expect(bad.statusCode).toBe(422);
    const pointers = bad.json().errors.map((e: { pointer: string }) => e.pointer);
    expect(pointers).toEqual(['/changes/0/value', '/changes/1/line', '/changes/2/line', '/changes/3/value']);
    const number = await inject({
      method: 'POST',
      url: '/v1/scenarios',
      headers: finance,
      payload: { base: { costModelId: draft.id }, changes: [{ lever: 'plannedOccupancy', value: 0.8 }] },
    });
    expect(number.statusCode).toBe(422);
    expect(number.json().errors[0]).toMatchObject({ pointer: '/changes/0/value' });
    expect(number.json().errors[0].message).toContain('not a JSON number');
    const neither = await inject({
      method: 'POST',
      url: '/v1/scenarios',
      headers: finance,
      payload: { base: {} },
    });
    expect(neither.statusCode).toBe(422);
    expect(neither.json().errors[0].pointer).toBe('/base');
    expect(await books(organisationId)).toBe(before);
  });

  it('keeps another organisation’s drafts, schedules and scenarios out of reach (404)', async () => {
    const mine = await provider('New Brighton CIC');
    const theirs = await provider('Heswall Homes CIC');
    for (const base of [{ costModelId: theirs.draft.id }, { feeScheduleId: theirs.schedule.id }]) {
      const response = await inject({
        method: 'POST',
        url: '/v1/scenarios',
        headers: mine.finance,
        payload: { base },
      });
      expect(response.statusCode).toBe(404);
    }
    const saved = (
      await ok(
        {
          method: 'POST',
          url: `/v1/cost-models/${theirs.draft.id}/scenarios`,
          headers: theirs.finance,
          payload: { name: 'Full house', changes: [{ lever: 'plannedOccupancy', value: '1' }] },
        },
        201,
      )
    ).json();
    for (const url of [`/v1/scenarios/${saved.id}`, `/v1/cost-models/${theirs.draft.id}/scenarios`]) {
      expect((await inject({ url, headers: mine.finance })).statusCode).toBe(404);
    }
    const draft = await inject({
      method: 'POST',
      url: `/v1/scenarios/${saved.id}/draft`,
      headers: mine.finance,
      payload: {},
    });
    expect(draft.statusCode).toBe(404);
    const commissioner = bearer(
      (await createKey(testApp.app, { role: 'commissioner', councils: ['E08000015'] })).key,
    );
    expect((await inject({ url: `/v1/scenarios/${saved.id}`, headers: commissioner })).statusCode).toBe(403);
  });

  it('saves a scenario on a draft, reads it against the draft as it is, and turns a combination into a new draft', async () => {
    const { finance, draft, organisationId, homeId } = await provider('Prenton Care CIC');
    const saved = (
      await ok(
        {
          method: 'POST',
          url: `/v1/cost-models/${draft.id}/scenarios`,
          headers: finance,
          payload: {
            name: 'NLW at 6%',
            changes: [{ lever: 'payUplift', group: 'care', value: '0.06' }],
            grids: [{ name: 'Occupancy', axes: [{ lever: 'plannedOccupancy', values: ['0.75', '1'] }] }],
            breakEven: { weeklyFee: '5495.78' },
          },
        },
        201,
      )
    ).json();
    expect(saved.savedAgainstVersion).toBe(draft.version);
    const listed = (await ok({ url: `/v1/cost-models/${draft.id}/scenarios`, headers: finance }, 200)).json();
    expect(listed.items.map((s: { id: string }) => s.id)).toEqual([saved.id]);
    const read = (await ok({ url: `/v1/scenarios/${saved.id}`, headers: finance }, 200)).json();
    expect(read.scenario.name).toBe('NLW at 6%');
    expect(read.breakEven.source).toBe('given');
    expect(read.breakEven.reachable).toBe(true);
    const page = await ok({ url: `/v1/scenarios/${saved.id}?format=html`, headers: finance }, 200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('NLW at 6%');
    expect(page.body).toContain('<svg');

    const audit = await testApp.database.handle.db
      .selectFrom('audit_events')
      .select(['action'])
      .where('resource_type', '=', 'scenario')
      .where('resource_id', '=', saved.id)
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['create']);

    const created = await ok(
      {
        method: 'POST',
        url: `/v1/scenarios/${saved.id}/draft`,
        headers: finance,
        payload: { grid: 0, combination: 1 },
      },
      201,
    );
    const newDraft = created.json();
    expect(created.headers.location).toBe(`/v1/cost-models/${newDraft.id}`);
    expect(newDraft.id).not.toBe(draft.id);
    expect(newDraft.homeId).toBe(homeId);
    expect(newDraft.document.home.plannedOccupancy).toBe('1');
    const quote = (await ok({ url: `/v1/cost-models/${newDraft.id}/quote`, headers: finance }, 200)).json();
    expect(quote.weeklyFeePerChild).toBe(read.grids[0].rows[1].weeklyFeePerChild);
    // the original draft is as it was
    const original = (await ok({ url: `/v1/cost-models/${draft.id}`, headers: finance }, 200)).json();
    expect(original.version).toBe(draft.version);
    expect(original.document.home.plannedOccupancy).toBe('0.9');

    const outOfRange = await inject({
      method: 'POST',
      url: `/v1/scenarios/${saved.id}/draft`,
      headers: finance,
      payload: { grid: 0, combination: 2 },
    });
    expect(outOfRange.statusCode).toBe(422);
    expect(outOfRange.json().errors[0].pointer).toBe('/combination');
    expect(organisationId).toBeTruthy();
  });

  it('lets an admin price an inline model, naming a broken one under /base/costModel', async () => {
    const model = exampleModel('halton-three-bed-2025-26');
    const response = await ok(
      { method: 'POST', url: '/v1/scenarios', headers: adminAuth, payload: { base: { costModel: model } } },
      200,
    );
    const quoted = priceCostModel(costModelSchema.parse(model), { rateTables: rateTables() });
    expect(response.json().point.weeklyFeePerChild).toBe(quoted.weeklyFeePerChild);
    const broken = structuredClone(model) as { home: { plannedOccupancy: string } };
    broken.home.plannedOccupancy = '1.5';
    const refused = await inject({
      method: 'POST',
      url: '/v1/scenarios',
      headers: adminAuth,
      payload: { base: { costModel: broken } },
    });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().errors[0].pointer).toBe('/base/costModel/home/plannedOccupancy');
  });
});
