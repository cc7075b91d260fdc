import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminAuth, createTestApp, type TestApp } from '../helpers/app.js';
import { engines } from '../helpers/database.js';
import { bearer, createKey, createOrganisation } from '../helpers/keys.js';

describe.each(engines)('API keys on %s', (engine) => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp(engine, { env: { API_KEY_CACHE_SECONDS: '10' } });
  });
  afterAll(() => testApp.close());

  it('shows a key once, stores only its hash and a visible prefix, and lists it without the secret', async () => {
    const response = await testApp.app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: adminAuth,
      payload: { role: 'commissioner', councils: ['E08000015', 'E06000006'], label: 'Wirral and Halton' },
    });
    expect(response.statusCode).toBe(201);
    expect(response.headers['cache-control']).toBe('no-store');
    const created = response.json();
    expect(created.key).toMatch(/^cpk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(created.key.startsWith(created.prefix)).toBe(true);

    const rows = await testApp.database.handle.db
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', created.id)
      .execute();
    expect(rows[0]!.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toContain(created.key.slice(17));

    const list = await testApp.app.inject({ url: '/v1/api-keys', headers: adminAuth });
    expect(list.body).not.toContain(created.key.slice(17));
    const listed = list.json().items.find((k: { id: string }) => k.id === created.id);
    expect(listed).toMatchObject({
      role: 'commissioner',
      councils: ['E08000015', 'E06000006'],
      lastUsedAt: null,
      revokedAt: null,
    });

    expect(
      (await testApp.app.inject({ url: '/v1/organisations', headers: bearer(created.key) })).statusCode,
    ).toBe(200);
    await expect
      .poll(
        async () =>
          (await testApp.app.inject({ url: '/v1/api-keys', headers: adminAuth }))
            .json()
            .items.find((k: { id: string }) => k.id === created.id).lastUsedAt,
      )
      .not.toBeNull();
  });

  it('refuses a revoked key at once, and revoking twice is harmless', async () => {
    const { key, id } = await createKey(testApp.app, { role: 'regulator' });
    expect((await testApp.app.inject({ url: '/v1/organisations', headers: bearer(key) })).statusCode).toBe(
      200,
    );
    const revoke = await testApp.app.inject({
      method: 'DELETE',
      url: `/v1/api-keys/${id}`,
      headers: adminAuth,
    });
    expect(revoke.statusCode).toBe(204);
    expect((await testApp.app.inject({ url: '/v1/organisations', headers: bearer(key) })).statusCode).toBe(
      401,
    );
    expect(
      (await testApp.app.inject({ method: 'DELETE', url: `/v1/api-keys/${id}`, headers: adminAuth }))
        .statusCode,
    ).toBe(204);
    const unknown = await testApp.app.inject({
      method: 'DELETE',
      url: '/v1/api-keys/00000000-0000-4000-8000-000000000000',
      headers: adminAuth,
    });
    expect(unknown.statusCode).toBe(404);
  });

  it('refuses a key once it has expired, even while it is cached', async () => {
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    const { key } = await createKey(testApp.app, { role: 'regulator', expiresAt });
    expect((await testApp.app.inject({ url: '/v1/organisations', headers: bearer(key) })).statusCode).toBe(
      200,
    );
    await new Promise((resolve) => setTimeout(resolve, 1700));
    expect((await testApp.app.inject({ url: '/v1/organisations', headers: bearer(key) })).statusCode).toBe(
      401,
    );
  });

  it('validates scope: finance needs a known organisation, commissioner needs councils, others neither', async () => {
    const cases: Array<[object, string]> = [
      [{ role: 'finance', label: 'x' }, '/organisationId'],
      [
        { role: 'finance', label: 'x', organisationId: '00000000-0000-4000-8000-000000000000' },
        '/organisationId',
      ],
      [{ role: 'commissioner', label: 'x' }, '/councils'],
      [{ role: 'commissioner', label: 'x', councils: ['Wirral'] }, '/councils/0'],
      [{ role: 'regulator', label: 'x', councils: ['E08000015'] }, '/councils'],
      [{ role: 'regulator', label: 'x', expiresAt: '2020-01-01T00:00:00Z' }, '/expiresAt'],
      [{ role: 'superuser', label: 'x' }, '/role'],
    ];
    for (const [payload, pointer] of cases) {
      const response = await testApp.app.inject({
        method: 'POST',
        url: '/v1/api-keys',
        headers: adminAuth,
        payload,
      });
      expect(response.statusCode, JSON.stringify(payload)).toBe(422);
      expect(response.json().errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
    }
  });

  it('records every write in the audit trail: who, what, when, request id, before and after', async () => {
    const organisationId = await createOrganisation(testApp.app, 'Audited CIC');
    const { id } = await createKey(testApp.app, { role: 'finance', organisationId });
    await testApp.app.inject({
      method: 'DELETE',
      url: `/v1/api-keys/${id}`,
      headers: { ...adminAuth, 'x-request-id': 'revoke-123' },
    });
    const events = (
      await testApp.app.inject({
        url: `/v1/audit-events?resourceType=api_key&resourceId=${id}`,
        headers: adminAuth,
      })
    ).json().items;
    expect(events.map((e: { action: string }) => e.action)).toEqual(['revoke', 'create']);
    expect(events[0]).toMatchObject({
      actor: 'env:ADMIN_API_KEY',
      actorRole: 'admin',
      organisationId,
      requestId: 'revoke-123',
      before: expect.objectContaining({ revokedAt: null }),
      after: expect.objectContaining({ revokedAt: expect.any(String) }),
    });
    expect(JSON.stringify(events)).not.toMatch(/cpk_[0-9a-f]{12}_/);
  });

  it('pages the audit trail with a cursor', async () => {
    for (let i = 0; i < 3; i++) await createOrganisation(testApp.app, `Paged CIC ${i}`);
    const first = (await testApp.app.inject({ url: '/v1/audit-events?limit=2', headers: adminAuth })).json();
    expect(first.items).toHaveLength(2);
    const second = (
      await testApp.app.inject({
        url: `/v1/audit-events?limit=2&cursor=${first.nextCursor}`,
        headers: adminAuth,
      })
    ).json();
    expect(Number(second.items[0].id)).toBeLessThan(Number(first.items[1].id));
    const bad = await testApp.app.inject({ url: '/v1/audit-events?cursor=nonsense', headers: adminAuth });
    expect(bad.statusCode).toBe(400);
  });
});

describe('rate limits', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp('pglite', {
      env: { RATE_LIMIT_ANONYMOUS_PER_MINUTE: '3', RATE_LIMIT_PER_MINUTE: '5' },
    });
  });
  afterAll(() => testApp.close());

  it('answers 429 with Retry-After as a problem document, per address for anonymous callers and per key', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await testApp.app.inject({ url: '/health/live' })).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await testApp.app.inject({ url: '/health/live' });
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json()).toMatchObject({ status: 429, type: '/problems/rate-limited' });
    // a key has its own budget
    expect((await testApp.app.inject({ url: '/health/live', headers: adminAuth })).statusCode).toBe(200);
  });
});
