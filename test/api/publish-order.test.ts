import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { engines } from '../helpers/database.js';
import { bearer, createHome, createKey, createOrganisation } from '../helpers/keys.js';

/**
 * Two schedules of one home with the same effectiveFrom: the later published is in force. With
 * several instances the "later" must be the order the home's lock gave, not the publishing process's
 * clock: an instance whose clock is behind the others still publishes after them.
 */
const wirral = JSON.parse(
  readFileSync(
    new URL('../../fixtures/examples/wirral-four-bed-2026-27.model.json', import.meta.url),
    'utf8',
  ),
);

describe.each(engines)('the order of publication on %s', (engine) => {
  let testApp: TestApp;
  let finance: Record<string, string>;
  let homeId: string;

  beforeAll(async () => {
    testApp = await createTestApp(engine);
    const organisationId = await createOrganisation(testApp.app, 'Skewed Clocks CIC');
    finance = bearer((await createKey(testApp.app, { role: 'finance', organisationId })).key);
    homeId = await createHome(testApp.app, finance, 'Skewed Clocks House');
  });
  afterEach(() => vi.useRealTimers());
  afterAll(() => testApp.close());

  const publish = async (key: string) => {
    const draft = await testApp.app.inject({
      method: 'POST',
      url: `/v1/homes/${homeId}/cost-models`,
      headers: finance,
      payload: wirral,
    });
    const response = await testApp.app.inject({
      method: 'POST',
      url: `/v1/cost-models/${draft.json().id}/publish`,
      headers: { ...finance, 'idempotency-key': key },
      payload: { effectiveFrom: '2026-10-01' },
    });
    expect(response.statusCode, response.body).toBe(201);
    return response.json();
  };

  it('puts the later publish in force although its process clock is an hour behind', async () => {
    const first = await publish(`skew-first-${engine}`);
    // The next publish comes from an instance whose clock is an hour slow.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(Date.parse(first.publishedAt) - 3_600_000));
    const second = await publish(`skew-second-${engine}`);
    vi.useRealTimers();

    expect(second.version).toBe(first.version + 1);
    expect(Date.parse(second.publishedAt)).toBeGreaterThan(Date.parse(first.publishedAt));
    const current = await testApp.app.inject({
      url: `/v1/homes/${homeId}/fee-schedules/current?on=2026-10-01`,
      headers: finance,
    });
    expect(current.json().id).toBe(second.id);
    const changes = await testApp.app.inject({
      url: `/v1/fee-schedules/${second.id}/changes`,
      headers: finance,
    });
    expect(changes.statusCode, changes.body).toBe(200);
    expect(changes.json().fromScheduleId).toBe(first.id);
  });
});
