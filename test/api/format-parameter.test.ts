import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { exampleModel, seedProvider } from '../helpers/books.js';
import { engines } from '../helpers/database.js';
import { XLSX } from '../helpers/xlsx.js';

// A link cannot send an Accept header: `?format=json|csv|xlsx` chooses the media type wherever the
// Accept header does, and a format the resource is not offered in is a 400 naming /format.

describe.each(engines)('?format= on %s', (engine) => {
  let testApp: TestApp;
  let finance: Record<string, string>;
  let scheduleId: string;
  let reconciliationId: string;
  beforeAll(async () => {
    testApp = await createTestApp(engine, { today: '2027-06-01' });
    const provider = await seedProvider(testApp.app, {
      homes: [
        {
          name: 'Format House',
          effectiveFrom: '2026-04-01',
          placements: [{ councilCode: 'E08000015', reference: 'FMT-1', start: '2026-04-01', end: null }],
          actuals: [{ month: '2026-04', rows: [{ code: 'RUNNING_FOOD_HOUSEHOLD', amount: '1000.00' }] }],
        },
      ],
    });
    finance = provider.finance;
    const current = await testApp.app.inject({
      url: `/v1/homes/${provider.homeIds[0]}/fee-schedules/current?on=2026-06-01`,
    });
    scheduleId = current.json().id;
    const frozen = await testApp.app.inject({
      method: 'POST',
      url: '/v1/reconciliations',
      headers: finance,
      payload: { organisationId: provider.organisationId, from: '2026-04-01', to: '2026-04-30' },
    });
    if (frozen.statusCode !== 201) throw new Error(frozen.body);
    reconciliationId = frozen.json().id;
  });
  afterAll(() => testApp.close());

  const get = (url: string, headers: Record<string, string> = {}) =>
    testApp.app.inject({ url, headers: { ...finance, ...headers } });

  it('serves a published schedule as CSV for ?format=csv, whatever Accept says, and JSON for ?format=json', async () => {
    const csv = await get(`/v1/fee-schedules/${scheduleId}?format=csv`, { accept: 'application/json' });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers.etag).toMatch(/-csv"$/);
    const viaAccept = await get(`/v1/fee-schedules/${scheduleId}`, { accept: 'text/csv' });
    expect(csv.body).toBe(viaAccept.body);
    const json = await get(`/v1/fee-schedules/${scheduleId}?format=json`, { accept: 'text/csv' });
    expect(json.headers['content-type']).toMatch(/^application\/json/);
    expect(json.json().id).toBe(scheduleId);
  });

  it('refuses a format the resource is not offered in with a 400 naming /format, even for a cached quote', async () => {
    const notOffered = await get(`/v1/fee-schedules/${scheduleId}?format=html`);
    expect(notOffered.statusCode).toBe(400);
    expect(notOffered.json().errors).toEqual([expect.objectContaining({ pointer: '/format', in: 'query' })]);
    const quote = (url: string) =>
      testApp.app.inject({
        method: 'POST',
        url,
        headers: { ...finance, 'content-type': 'application/json' },
        payload: exampleModel('wirral-four-bed-2026-27'),
      });
    expect((await quote('/v1/quotes')).statusCode).toBe(200);
    const cachedBody = await quote('/v1/quotes?format=pdf');
    expect(cachedBody.statusCode).toBe(400);
    const csv = await quote('/v1/quotes?format=csv');
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect((await quote('/v1/quotes?format=csv')).body).toBe(csv.body);
  });

  it("gives a council's statement and a reconciliation statement as CSV and XLSX by ?format=", async () => {
    const statement = '/v1/councils/E08000015/statements?from=2026-04-01&to=2026-06-30';
    expect((await get(`${statement}&format=csv`)).headers['content-type']).toMatch(/^text\/csv/);
    const workbook = await get(`${statement}&format=xlsx`);
    expect(workbook.headers['content-type']).toBe(XLSX);
    expect(workbook.rawPayload.subarray(0, 2).toString()).toBe('PK');
    const reconciliation = `/v1/reconciliations/${reconciliationId}/statements/E08000015`;
    expect((await get(`${reconciliation}?format=csv`)).headers['content-type']).toMatch(/^text\/csv/);
    expect((await get(`${reconciliation}?format=xlsx`)).headers['content-type']).toBe(XLSX);
    expect((await get(`${reconciliation}?format=json`, { accept: 'text/csv' })).json().councilCode).toBe(
      'E08000015',
    );
  });

  describe('the same statement, downloaded again later', () => {
    afterEach(() => vi.useRealTimers());

    it.each([
      ['a council statement', '/v1/councils/E08000015/statements?from=2026-04-01&to=2026-06-30&format=xlsx'],
      [
        'a reconciliation statement',
        () => `/v1/reconciliations/${reconciliationId}/statements/E08000015?format=xlsx`,
      ],
    ])('gives %s as the same workbook bytes, whatever the clock', async (_name, url) => {
      const at = async (instant: string) => {
        vi.useFakeTimers({ toFake: ['Date'] });
        vi.setSystemTime(new Date(instant));
        const response = await get(typeof url === 'string' ? url : url());
        vi.useRealTimers();
        expect(response.statusCode).toBe(200);
        return response.rawPayload;
      };
      const first = await at('2031-05-05T13:37:42Z');
      const second = await at('2040-11-11T01:02:03Z');
      expect(second.equals(first)).toBe(true);
    });
  });
});
