import { readFileSync } from 'node:fs';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminAuth, createTestApp, type TestApp } from '../helpers/app.js';
import { bearer, createKey, createOrganisation } from '../helpers/keys.js';

/**
 * The authorisation matrix: every route × every caller × own/foreign tenant. The rows are checked
 * against the app's route table, so a route added without a row here fails this test.
 */
type Caller = 'anonymous' | 'admin' | 'finance' | 'commissioner' | 'regulator';
type Tenant = 'own' | 'foreign';
const callers: Caller[] = ['anonymous', 'admin', 'finance', 'commissioner', 'regulator'];

interface Context {
  own: { organisationId: string };
  foreign: { organisationId: string };
  victimKeyId: () => Promise<string>;
}

interface Row {
  /** Whether the route reads or writes one tenant's data (then it is tried for own and foreign). */
  tenanted?: boolean;
  request: (ctx: Context, tenant: Tenant) => Promise<InjectOptions> | InjectOptions;
  /** Expected status per caller; a pair where own and foreign differ. */
  expect: Record<Caller, number | { own: number; foreign: number }>;
}

const wirral = readFileSync(
  new URL('../../../shared/spec/examples/wirral-four-bed-2026-27.model.json', import.meta.url),
  'utf8',
);
const everyone = (status: number): Row['expect'] => ({
  anonymous: status,
  admin: status,
  finance: status,
  commissioner: status,
  regulator: status,
});
const onlyAdmin = (status: number): Row['expect'] => ({
  anonymous: 401,
  admin: status,
  finance: 403,
  commissioner: 403,
  regulator: 403,
});
let organisationCounter = 0;

const rows: Record<string, Row> = {
  'GET /health/live': { request: () => ({ url: '/health/live' }), expect: everyone(200) },
  'GET /health/ready': { request: () => ({ url: '/health/ready' }), expect: everyone(200) },
  'GET /openapi.json': { request: () => ({ url: '/openapi.json' }), expect: everyone(200) },
  'GET /v1/rates': { request: () => ({ url: '/v1/rates' }), expect: everyone(200) },
  'GET /v1/rates/:taxYear': { request: () => ({ url: '/v1/rates/2026-27' }), expect: everyone(200) },
  'POST /v1/quotes': {
    request: () => ({
      method: 'POST',
      url: '/v1/quotes',
      headers: { 'content-type': 'application/json' },
      payload: wirral,
    }),
    expect: { anonymous: 401, admin: 200, finance: 200, commissioner: 200, regulator: 200 },
  },
  'POST /v1/organisations': {
    request: () => ({
      method: 'POST',
      url: '/v1/organisations',
      payload: { name: `Matrix CIC ${++organisationCounter}`, legalForm: 'community_interest_company' },
    }),
    expect: onlyAdmin(201),
  },
  'GET /v1/organisations': {
    request: () => ({ url: '/v1/organisations' }),
    expect: { anonymous: 401, admin: 200, finance: 200, commissioner: 200, regulator: 200 },
  },
  'GET /v1/organisations/:id': {
    tenanted: true,
    request: (ctx, tenant) => ({ url: `/v1/organisations/${ctx[tenant].organisationId}` }),
    expect: {
      anonymous: 401,
      admin: 200,
      finance: { own: 200, foreign: 404 },
      commissioner: 200,
      regulator: 200,
    },
  },
  'POST /v1/api-keys': {
    request: () => ({ method: 'POST', url: '/v1/api-keys', payload: { role: 'regulator', label: 'matrix' } }),
    expect: onlyAdmin(201),
  },
  'GET /v1/api-keys': { request: () => ({ url: '/v1/api-keys' }), expect: onlyAdmin(200) },
  'DELETE /v1/api-keys/:id': {
    request: async (ctx) => ({ method: 'DELETE', url: `/v1/api-keys/${await ctx.victimKeyId()}` }),
    expect: onlyAdmin(204),
  },
  'GET /v1/audit-events': {
    request: () => ({ url: '/v1/audit-events' }),
    expect: { anonymous: 401, admin: 200, finance: 200, commissioner: 403, regulator: 403 },
  },
};

describe('authorisation matrix', () => {
  let testApp: TestApp;
  let ctx: Context;
  const keys = {} as Record<Exclude<Caller, 'anonymous'>, string>;

  beforeAll(async () => {
    testApp = await createTestApp('pglite');
    const { app } = testApp;
    const own = await createOrganisation(app, 'Own Homes CIC');
    const foreign = await createOrganisation(app, 'Foreign Homes CIC');
    keys.admin = (await createKey(app, { role: 'admin' })).key;
    keys.finance = (await createKey(app, { role: 'finance', organisationId: own })).key;
    keys.commissioner = (await createKey(app, { role: 'commissioner', councils: ['E08000015'] })).key;
    keys.regulator = (await createKey(app, { role: 'regulator' })).key;
    ctx = {
      own: { organisationId: own },
      foreign: { organisationId: foreign },
      victimKeyId: async () => (await createKey(app, { role: 'regulator', label: 'to be revoked' })).id,
    };
  });
  afterAll(() => testApp.close());

  it('has a row for every route the app serves (outside the bundled /docs UI)', () => {
    const served = testApp.app.accessTable
      .filter((route) => !route.url.startsWith('/docs'))
      .map((route) => `${route.method} ${route.url}`);
    expect([...new Set(served)].sort()).toEqual(Object.keys(rows).sort());
  });

  it('serves the bundled API browser at /docs to anyone', async () => {
    const docs = testApp.app.accessTable.filter((route) => route.url.startsWith('/docs'));
    expect(docs.length).toBeGreaterThan(0);
    expect(docs.every((route) => 'public' in route.access)).toBe(true);
    expect((await testApp.app.inject({ url: '/docs/' })).statusCode).toBe(200);
  });

  const cases = Object.entries(rows).flatMap(([route, row]) =>
    callers.flatMap((caller) =>
      (row.tenanted ? (['own', 'foreign'] as const) : (['own'] as const)).map((tenant) => {
        const expected = row.expect[caller];
        const status = typeof expected === 'number' ? expected : expected[tenant];
        return { route, row, caller, tenant, status };
      }),
    ),
  );

  it.each(cases)('$route as $caller ($tenant tenant) → $status', async ({ row, caller, tenant, status }) => {
    const options = await row.request(ctx, tenant);
    const headers = { ...(options.headers ?? {}), ...(caller === 'anonymous' ? {} : bearer(keys[caller])) };
    const response = await testApp.app.inject({ ...options, headers });
    expect(response.statusCode, response.body.slice(0, 300)).toBe(status);
    if (status >= 400) expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    if (status === 401) expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it("documents each route's access in the OpenAPI document", async () => {
    const document = (await testApp.app.inject({ url: '/openapi.json' })).json();
    const operation = document.paths['/v1/api-keys'].post;
    expect(operation.description).toContain('**Access.** Roles: `admin`');
    expect(operation.security).toEqual([{ apiKey: [] }]);
    expect(document.paths['/health/live'].get.description).toContain('Public: no key needed.');
    expect(document.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('keeps a finance key to its own organisation in lists', async () => {
    const list = await testApp.app.inject({ url: '/v1/organisations', headers: bearer(keys.finance) });
    expect(list.json().items.map((o: { id: string }) => o.id)).toEqual([ctx.own.organisationId]);
    const audit = await testApp.app.inject({
      url: `/v1/audit-events?organisationId=${ctx.foreign.organisationId}`,
      headers: bearer(keys.finance),
    });
    const events = audit.json().items as Array<{ organisationId: string }>;
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((event) => event.organisationId === ctx.own.organisationId)).toBe(true);
  });

  it('answers 401 to a malformed Authorization header and to an unknown key', async () => {
    for (const authorization of [
      'Basic abc',
      'Bearer',
      'Bearer cpk_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    ]) {
      const response = await testApp.app.inject({ url: '/v1/organisations', headers: { authorization } });
      expect(response.statusCode, authorization).toBe(401);
    }
    expect((await testApp.app.inject({ url: '/v1/organisations', headers: adminAuth })).statusCode).toBe(200);
  });
});
