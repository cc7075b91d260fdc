import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { type Kysely, sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/db/database.js';
import type { Database } from '../../src/db/schema.js';
import { adminAuth, createTestApp, type TestApp } from '../helpers/app.js';
import { engines } from '../helpers/database.js';
import { createKey, createOrganisation } from '../helpers/keys.js';
import {
  type Access,
  type CallerKeys,
  type FuzzRequest,
  loadDocument,
  loadOperations,
  type Operation,
  type PoolName,
  type Pools,
  RequestGenerator,
  type Rng,
  withServedRoutes,
} from './fuzz-requests.js';

/**
 * A hostile-input fuzzer: requests generated from the OpenAPI document (every operation, and the
 * routes it hides), valid and invalid in every part, sent as every kind of caller against a seeded
 * tenant. Whatever arrives, the service must not fail (no 5xx), must explain every refusal as an
 * RFC 9457 problem document, must not change the database when it refuses (nor on a GET), and must
 * not let a request pollute Object.prototype.
 *
 *   FUZZ_REQUESTS     requests per run on PGlite (default 10000)
 *   FUZZ_PG_REQUESTS  requests per run on PostgreSQL, when TEST_DATABASE_URL is set (default 3000)
 *   FUZZ_SEED         the seed (printed at the start; default below): the same seed, the same requests
 */
const DEFAULT_SEED = 0x5eed2026;
const seed = parseSeed(process.env.FUZZ_SEED);
const requestsFor = (engine: Engine) =>
  engine === 'pglite'
    ? positive(process.env.FUZZ_REQUESTS, 10_000)
    : positive(process.env.FUZZ_PG_REQUESTS ?? process.env.FUZZ_REQUESTS, 3_000);
/** Stop collecting after this many broken requests: the first few say enough. */
const MAX_FAILURES = 25;
const REQUEST_TIMEOUT_MS = 20_000;

const wirral = JSON.parse(
  readFileSync(
    new URL('../../fixtures/examples/wirral-four-bed-2026-27.model.json', import.meta.url),
    'utf8',
  ),
) as Record<string, unknown>;
const pool = (periodStart = '2026-04-01') => ({
  period: { label: '2026-27', start: periodStart, end: '2027-03-31' },
  basis: 'places',
  lines: [{ code: 'LEADERSHIP', description: 'Leadership', amount: '100000' }],
});

// ---------------------------------------------------------------------------------------------
// Valid bodies for the writes (mutated from there by the generator)

const examples: Record<string, (rng: Rng, pools: Pools, unique: () => string) => unknown> = {
  'POST /v1/quotes': (rng) => {
    const model = structuredClone(wirral);
    if (rng.chance(0.3)) {
      delete model.rates;
      model.ratesFrom = rng.pick(['2026-27', '2025-26']);
    }
    return model;
  },
  'POST /v1/organisations': (rng, _pools, unique) => ({
    name: `Fuzz organisation ${unique()}`,
    legalForm: rng.pick(['community_interest_company', 'charitable_trust', 'other']),
    ...(rng.chance(0.5) ? { surplusCapRate: rng.pick(['0.05', '0.03', '1', '0']) } : {}),
  }),
  'POST /v1/api-keys': (rng, pools, unique) => {
    const role = rng.pick(['admin', 'finance', 'commissioner', 'regulator'] as const);
    return {
      role,
      label: `fuzz ${unique()}`,
      ...(role === 'finance' ? { organisationId: rng.pick(pools.organisation) } : {}),
      ...(role === 'commissioner' ? { councils: [rng.pick(pools.council)] } : {}),
      ...(rng.chance(0.3) ? { expiresAt: '2031-01-01T00:00:00Z' } : {}),
    };
  },
  'POST /v1/councils': (rng) => ({
    onsCode: `E07${String(rng.int(0, 999_999)).padStart(6, '0')}`,
    name: 'A fuzzed district',
  }),
  'POST /v1/homes': (rng, pools, unique) => ({
    organisationId: rng.pick(pools.organisation),
    name: `Fuzz home ${unique()}`,
    hostCouncil: rng.pick(pools.council),
    registeredPlaces: rng.int(1, 8),
    openedOn: rng.pick(['2020-01-01', '2026-05-01']),
    ...(rng.chance(0.3) ? { ofstedUrn: `SC${rng.int(100_000, 999_999)}` } : {}),
  }),
  'PATCH /v1/homes/{id}': (rng, _pools, unique) =>
    rng.pick([
      { name: `Renamed ${unique()}` },
      { registeredPlaces: rng.int(1, 10) },
      { ofstedUrn: rng.pick([null, 'SC123456', '1234567']) },
      { closedOn: null },
    ]),
  'PUT /v1/organisations/{id}/central-cost-pools/{periodStart}': (rng) => ({
    ...pool(),
    basis: rng.pick(['places', 'staff_fte', 'equal']),
  }),
  'POST /v1/homes/{id}/cost-models': (rng) => {
    const model = structuredClone(wirral);
    if (rng.chance(0.4)) delete model.central;
    return model;
  },
  'PUT /v1/cost-models/{id}': () => structuredClone(wirral),
  'PATCH /v1/cost-models/{id}': (rng) =>
    rng.pick<unknown>([
      { surplus: { rate: rng.pick(['0.03', '0.04', '0.05']) } },
      { home: { plannedOccupancy: rng.pick(['0.85', '0.9', '1']) } },
      { central: null },
    ]),
  'POST /v1/cost-models/{id}/publish': (rng) => ({
    effectiveFrom: rng.pick(['2026-04-01', '2026-06-01', '2026-10-01', '2027-01-01']),
  }),
  'POST /v1/placements': (rng, pools, unique) => ({
    homeId: rng.pick(pools.home),
    councilCode: rng.pick(pools.council),
    reference: `FZ-${unique()}`,
    start: rng.pick(['2026-04-01', '2026-06-01', '2026-07-15']),
    ...(rng.chance(0.3)
      ? {
          enhancements: [
            { description: '1:1 support', roleId: 'rcw', hoursPerWeek: '10', start: '2026-06-01' },
          ],
        }
      : {}),
  }),
  'POST /v1/placements/{id}/versions': (rng) =>
    rng.pick<unknown>([
      { action: 'end', end: rng.pick(['2026-08-31', '2027-01-31']) },
      { action: 'correct', note: 'fuzz correction', start: '2026-06-01' },
      {
        action: 'enhance',
        enhancements: [
          { description: 'Waking night', roleId: 'srcw', hoursPerWeek: '5.5', start: '2026-07-01' },
        ],
      },
    ]),
  'POST /v1/placements/{id}/move': (rng, pools) => ({
    homeId: rng.pick(pools.home),
    date: rng.pick(['2026-07-01', '2026-10-01']),
  }),
  'PUT /v1/organisations/{id}/nominal-codes': (rng) => ({
    mappings: [
      { nominalCode: '4000', code: 'PROPERTY_LEASE' },
      { nominalCode: String(rng.int(5000, 5999)), code: 'RUNNING_TRANSPORT' },
    ],
  }),
  'POST /v1/homes/{id}/actuals': (rng, _pools, unique) => ({
    rows: [
      {
        month: rng.pick(['2026-04', '2026-05']),
        code: 'PROPERTY_LEASE',
        amount: '2400.00',
        description: unique(),
      },
      { month: '2026-05', code: 'RUNNING_TRANSPORT', amount: String(rng.int(1, 999)), description: 'fuel' },
    ],
  }),
  'POST /v1/reconciliations': (rng, pools) => ({
    organisationId: rng.pick(pools.organisation),
    ...(rng.chance(0.5) ? { homeId: rng.pick(pools.home) } : {}),
    from: rng.pick(['2026-04-01', '2026-06-01']),
    to: rng.pick(['2026-06-30', '2027-03-31']),
  }),
};

/** Which pool an accepted request adds its new object to (and the field that names it). */
const creates: Record<string, [PoolName, string]> = {
  'POST /v1/organisations': ['organisation', 'id'],
  'POST /v1/homes': ['home', 'id'],
  'POST /v1/homes/{id}/cost-models': ['costModel', 'id'],
  'POST /v1/cost-models/{id}/publish': ['schedule', 'id'],
  'POST /v1/placements': ['placement', 'id'],
  'POST /v1/placements/{id}/move': ['placement', 'id'],
  'POST /v1/reconciliations': ['reconciliation', 'id'],
  'POST /v1/api-keys': ['apiKey', 'id'],
  'POST /v1/councils': ['council', 'onsCode'],
};
const MAX_POOL = 24;

// ---------------------------------------------------------------------------------------------
// The seeded tenant

interface Seeded {
  pools: Pools;
  keys: CallerKeys;
}

async function seedTenants(app: TestApp['app']): Promise<Seeded> {
  const as = async (options: InjectOptions, expected: number) => {
    const response = await app.inject({ ...options, headers: { ...adminAuth, ...(options.headers ?? {}) } });
    if (response.statusCode !== expected)
      throw new Error(`fixture ${options.method} ${options.url}: ${response.statusCode} ${response.body}`);
    return response.body === '' ? undefined : response.json();
  };
  const pools: Pools = {
    organisation: [],
    home: [],
    costModel: [],
    schedule: [],
    placement: [],
    reconciliation: [],
    apiKey: [],
    council: ['E08000015', 'E08000014', 'E06000006', 'E08000012'],
  };
  for (const [name, council] of [
    ['Fuzz Homes CIC', 'E08000015'],
    ['Other Fuzz Homes CIC', 'E08000014'],
  ] as const) {
    const organisationId = await createOrganisation(app, name);
    pools.organisation.push(organisationId);
    const payload = { organisationId, hostCouncil: 'E08000015', registeredPlaces: 4, openedOn: '2020-01-01' };
    const home = await as(
      { method: 'POST', url: '/v1/homes', payload: { ...payload, name: `${name} home` } },
      201,
    );
    const second = await as(
      { method: 'POST', url: '/v1/homes', payload: { ...payload, name: `${name} two` } },
      201,
    );
    pools.home.push(home.id, second.id);
    await as(
      {
        method: 'PUT',
        url: `/v1/organisations/${organisationId}/central-cost-pools/2026-04-01`,
        payload: pool(),
      },
      200,
    );
    const published = await as(
      { method: 'POST', url: `/v1/homes/${home.id}/cost-models`, payload: wirral },
      201,
    );
    for (const effectiveFrom of ['2026-04-01', '2026-09-01']) {
      const schedule = await as(
        {
          method: 'POST',
          url: `/v1/cost-models/${published.id}/publish`,
          headers: { 'idempotency-key': `fixture-${organisationId}-${effectiveFrom}` },
          payload: { effectiveFrom },
        },
        201,
      );
      pools.schedule.push(schedule.id);
    }
    // a draft never published
    const draft = await as(
      { method: 'POST', url: `/v1/homes/${second.id}/cost-models`, payload: wirral },
      201,
    );
    pools.costModel.push(published.id, draft.id);
    await as(
      {
        method: 'PUT',
        url: `/v1/organisations/${organisationId}/nominal-codes`,
        payload: { mappings: [{ nominalCode: '4000', code: 'PROPERTY_LEASE' }] },
      },
      200,
    );
    await as(
      {
        method: 'POST',
        url: `/v1/homes/${home.id}/actuals`,
        headers: { 'idempotency-key': `fixture-actuals-${organisationId}` },
        payload: {
          rows: [
            { month: '2026-04', code: 'PROPERTY_LEASE', amount: '2400.00' },
            { month: '2026-06', code: 'RUNNING_TRANSPORT', amount: '310.50' },
          ],
        },
      },
      201,
    );
    for (const reference of ['FIX-1', 'FIX-2']) {
      const placement = await as(
        {
          method: 'POST',
          url: '/v1/placements',
          payload: {
            homeId: home.id,
            councilCode: council,
            reference: `${reference}-${council}`,
            start: '2026-06-01',
          },
        },
        201,
      );
      pools.placement.push(placement.id);
    }
    // June's books complete for both homes (the second spent nothing), so June can be frozen
    await as(
      {
        method: 'POST',
        url: `/v1/homes/${second.id}/actuals`,
        headers: { 'idempotency-key': `fixture-nil-${organisationId}` },
        payload: { rows: [{ month: '2026-06', code: 'NIL' }] },
      },
      201,
    );
    const reconciliation = await as(
      {
        method: 'POST',
        url: '/v1/reconciliations',
        payload: { organisationId, from: '2026-06-01', to: '2026-06-30' },
      },
      201,
    );
    pools.reconciliation.push(reconciliation.id);
  }
  const [own, other] = pools.organisation as [string, string];
  const keys: CallerKeys = {
    admin: (await createKey(app, { role: 'admin' })).key,
    finance: (await createKey(app, { role: 'finance', organisationId: own })).key,
    foreignFinance: (await createKey(app, { role: 'finance', organisationId: other })).key,
    commissioner: (await createKey(app, { role: 'commissioner', councils: ['E08000015'] })).key,
    regulator: (await createKey(app, { role: 'regulator' })).key,
    revoked: '',
  };
  const revoked = await createKey(app, { role: 'admin', label: 'revoked before the run' });
  await as({ method: 'DELETE', url: `/v1/api-keys/${revoked.id}` }, 204);
  keys.revoked = revoked.key;
  // keys the fuzzer may revoke (never the ones it calls with)
  for (const label of ['victim one', 'victim two'])
    pools.apiKey.push((await createKey(app, { role: 'regulator', label })).id);
  return { pools, keys };
}

// ---------------------------------------------------------------------------------------------
// Watching the database

/**
 * Tells whether requests changed any row. Cheap first: the transaction id horizon
 * (pg_snapshot_xmax) only moves when some transaction writes, so when it has not moved nothing
 * changed. When it has moved, every table is fingerprinted and compared with the fingerprint taken
 * before: per table, count(*) and an md5 of the rows' versions (ctid and xmin) in order, which
 * changes whenever a row is inserted, updated (even to the same values) or deleted, without
 * reading every large JSON document. FUZZ_SNAPSHOT=content fingerprints the rows' contents instead
 * (count(*) and an md5 of the rows' JSON in order): slower, for when in doubt. api_keys is always
 * fingerprinted by content without last_used_at, which any authenticated request may touch (at
 * most once a minute, in the background).
 */
class DatabaseWatch {
  private known: { horizon: string; fingerprint: Map<string, string> } | undefined;
  /** The horizon measured last. */
  current = '';
  fingerprints = 0;
  private query = '';

  constructor(private readonly db: Kysely<Database>) {}

  async init(): Promise<void> {
    const tables = await sql<{ name: string }>`
      select table_name as name from information_schema.tables
      where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`.execute(
      this.db,
    );
    const content = process.env.FUZZ_SNAPSHOT === 'content';
    this.query = tables.rows
      .map(({ name }) => {
        const quoted = `"${name.replace(/"/g, '""')}"`;
        const row =
          name === 'api_keys'
            ? `(to_jsonb(x) - 'last_used_at')::text`
            : content
              ? 'to_jsonb(x)::text'
              : `x.ctid::text || ':' || x.xmin::text`;
        return `select '${name}' as name, count(*)::text || ' rows, md5 ' || md5(coalesce(string_agg(${row}, ',' order by ${row}), '')) as fingerprint from ${quoted} x`;
      })
      .join(' union all ');
    await this.refresh();
  }

  async horizon(): Promise<string> {
    const result = await sql<{
      x: string;
    }>`select pg_snapshot_xmax(pg_current_snapshot())::text as x`.execute(this.db);
    this.current = result.rows[0]!.x;
    return this.current;
  }

  private async fingerprint(): Promise<Map<string, string>> {
    this.fingerprints += 1;
    const result = await sql.raw<{ name: string; fingerprint: string }>(this.query).execute(this.db);
    return new Map(result.rows.map((row) => [row.name, row.fingerprint]));
  }

  /** Whether there is a fingerprint of the database as it was at this horizon. */
  knownAt(horizon: string): boolean {
    return this.known?.horizon === horizon;
  }

  /** Fingerprints the database as it is now (again while something else writes meanwhile). */
  async refresh(): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      const before = await this.horizon();
      const fingerprint = await this.fingerprint();
      const after = await this.horizon();
      if (before === after || attempt >= 5) {
        this.known = { horizon: after, fingerprint };
        return;
      }
    }
  }

  /**
   * The tables that changed since the known fingerprint (which the caller made sure of), described;
   * the fingerprint taken now becomes the known one.
   */
  async changes(): Promise<string[]> {
    const previous = this.known?.fingerprint ?? new Map<string, string>();
    const now = this.current;
    const fingerprint = await this.fingerprint();
    this.known = { horizon: now, fingerprint };
    return [...fingerprint]
      .filter(([name, value]) => previous.get(name) !== value)
      .map(([name, value]) => `${name}: ${previous.get(name) ?? 'absent'} → ${value}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Checking one response

function checkResponse(request: FuzzRequest, response: LightMyRequestResponse): string[] {
  const problems: string[] = [];
  const status = response.statusCode;
  if (status >= 500) problems.push(`answered ${status}`);
  const contentType = String(response.headers['content-type'] ?? '');
  if (status >= 400) {
    if (!/^application\/problem\+json/.test(contentType))
      problems.push(
        `a ${status} with Content-Type ${JSON.stringify(contentType)}, not application/problem+json`,
      );
    if (request.method !== 'HEAD') {
      let body: { type?: unknown; title?: unknown; status?: unknown } | undefined;
      try {
        body = JSON.parse(response.body);
      } catch {
        problems.push(`a ${status} whose body is not JSON`);
      }
      if (body !== undefined) {
        if (typeof body?.type !== 'string' || body.type === '')
          problems.push('problem document without a type');
        if (typeof body?.title !== 'string' || body.title === '')
          problems.push('problem document without a title');
        if (body?.status !== status)
          problems.push(`problem document status ${String(body?.status)}, not ${status}`);
      }
    }
  } else if (/^application\/json/.test(contentType) && request.method !== 'HEAD' && response.body !== '') {
    try {
      JSON.parse(response.body);
    } catch {
      problems.push(`a ${status} with Content-Type ${contentType} whose body is not JSON`);
    }
  }
  return problems;
}

const prototypes = {
  Object: Object.prototype,
  Array: Array.prototype,
  Function: Function.prototype,
  String: String.prototype,
};
const prototypeNames = Object.fromEntries(
  Object.entries(prototypes).map(([name, proto]) => [
    name,
    Object.getOwnPropertyNames(proto).sort().join(','),
  ]),
);

/** The names of prototypes that gained or lost a property, and any sign of the fuzzer's own payload. */
function pollutedPrototypes(): string[] {
  const polluted = Object.entries(prototypes)
    .filter(([name, proto]) => Object.getOwnPropertyNames(proto).sort().join(',') !== prototypeNames[name])
    .map(([name]) => `${name}.prototype`);
  const probe = {} as Record<string, unknown>;
  if (probe.polluted !== undefined || probe.isAdmin !== undefined || probe.role !== undefined)
    polluted.push('a fuzzed key is visible on a new object');
  return polluted;
}

// ---------------------------------------------------------------------------------------------
// Reporting

interface Failure {
  request: FuzzRequest;
  problems: string[];
  status?: number;
  responseHeaders?: Record<string, unknown>;
  responseBody?: string;
}

function excerpt(text: string, max = 1_500): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length} characters in all)` : text;
}

function payloadText(payload: string | Buffer | undefined): string {
  if (payload === undefined) return '(none)';
  if (typeof payload === 'string') return JSON.stringify(excerpt(payload));
  return `Buffer, base64 ${excerpt(payload.toString('base64'))}`;
}

function report(engine: Engine, requests: number, failures: Failure[]): string {
  const file = path.join(tmpdir(), `fuzz-failures-${engine}-${seed}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      failures.map(({ request, ...rest }) => ({
        ...rest,
        request: {
          ...request,
          payload:
            request.payload === undefined
              ? undefined
              : typeof request.payload === 'string'
                ? request.payload
                : { base64: request.payload.toString('base64') },
        },
      })),
      null,
      2,
    ),
  );
  const lines = [
    `${failures.length} request(s) broke the service on ${engine} (seed ${seed}).`,
    `Reproduce: FUZZ_SEED=${seed} FUZZ_REQUESTS=${requests} npx vitest run test/resilience/fuzz.test.ts`,
    `The exact requests (payloads whole) are in ${file}`,
  ];
  for (const failure of failures) {
    const { request } = failure;
    lines.push(
      '',
      `#${request.seq} ${request.operation} as ${request.caller}${request.mutations.length ? `; ${request.mutations.join('; ')}` : ' (valid)'}`,
      `  ${failure.problems.join('\n  ')}`,
      `  request: ${request.method} ${excerpt(request.url, 500)}`,
      `  headers: ${excerpt(JSON.stringify(request.headers), 800)}`,
      `  body: ${payloadText(request.payload)}`,
    );
    if (failure.status !== undefined)
      lines.push(
        `  response: ${failure.status} ${JSON.stringify(failure.responseHeaders?.['content-type'])} ${excerpt(failure.responseBody ?? '', 600)}`,
      );
  }
  return lines.join('\n');
}

/** The errors the service logged, as "logged: message" lines with the top of the stack. */
function loggedErrors(lines: readonly string[]): string[] {
  return lines.map((line) => {
    try {
      const entry = JSON.parse(line) as { msg?: string; err?: { message?: string; stack?: string } };
      const stack = (entry.err?.stack ?? '').split('\n').slice(1, 6).join(' | ');
      return `logged: ${entry.msg ?? ''}: ${entry.err?.message ?? ''} ${stack}`;
    } catch {
      return `logged: ${line.slice(0, 500)}`;
    }
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no response within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------------------------

const document = loadDocument();
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

describe.each(engines)('hostile requests (%s)', (engine) => {
  let testApp: TestApp;
  let seeded: Seeded;
  let accessOf: (operation: Operation) => Access;
  let operations: Operation[];
  const errorLog: string[] = [];

  beforeAll(async () => {
    testApp = await createTestApp(engine, {
      // What the service logs as a warning or an error (with the stack) is attached to the failure it explains.
      logger: pino({ level: 'warn' }, { write: (line: string) => void errorLog.push(line) }),
      env: {
        RATE_LIMIT_PER_MINUTE: '0',
        RATE_LIMIT_ANONYMOUS_PER_MINUTE: '0',
        API_KEY_CACHE_SECONDS: '300',
      },
    });
    seeded = await seedTenants(testApp.app);
    const documented = loadOperations(document);
    operations = withServedRoutes(documented, testApp.app.accessTable);
    const undescribed = operations.slice(documented.length).map((operation) => operation.key);
    if (undescribed.length)
      console.log(
        `fuzz: routes neither in the OpenAPI document nor described here: ${undescribed.join(', ')}`,
      );
    const table = new Map(
      testApp.app.accessTable.map((route) => [`${route.method} ${route.url}`, route.access]),
    );
    accessOf = (operation) => table.get(`${operation.method} ${operation.route}`) ?? { public: true };
  }, 120_000);
  afterAll(() => testApp?.close());

  it('generates requests for every route the app serves, and only for those (outside the bundled /docs UI)', () => {
    const served = testApp.app.accessTable
      .filter((route) => !route.url.startsWith('/docs'))
      .map((route) => `${route.method} ${route.url}`);
    const generated = operations.map((operation) => `${operation.method} ${operation.route}`);
    expect([...new Set(generated)].sort()).toEqual([...new Set(served)].sort());
  });

  it('never fails, explains every refusal, and changes nothing when it refuses', async () => {
    const count = requestsFor(engine);
    console.log(`fuzz (${engine}): seed ${seed} (FUZZ_SEED), ${count} requests`);
    const { app } = testApp;
    const watch = new DatabaseWatch(testApp.database.handle.db);
    await watch.init();
    const generator = new RequestGenerator({
      seed,
      operations,
      document,
      pools: seeded.pools,
      keys: seeded.keys,
      accessOf,
      examples,
    });
    const failures: Failure[] = [];
    const statuses = new Map<string, Map<number, number>>();
    const tally = { refusedWrites: 0, acceptedWrites: 0, reads: 0, readsUnchecked: 0 };
    /** Reads (GET, HEAD, OPTIONS) since the horizon was last measured: checked together, before the next write. */
    let reads: FuzzRequest[] = [];
    const started = performance.now();
    let sent = 0;

    /** Whether the reads since the last measurement changed anything (they may not, 2xx or not). */
    const checkReads = async () => {
      if (reads.length === 0) return;
      const previous = watch.current;
      const now = await watch.horizon();
      if (now !== previous) {
        if (!watch.knownAt(previous)) tally.readsUnchecked += reads.length;
        else {
          const changed = await watch.changes();
          if (changed.length)
            failures.push({
              request: reads[reads.length - 1]!,
              problems: [
                `one of the ${reads.length} reads #${reads[0]!.seq}–#${reads[reads.length - 1]!.seq} changed the database: ${changed.join('; ')}`,
                ...reads.map(
                  (read) => `read #${read.seq}: ${read.method} ${excerpt(read.url, 200)} as ${read.caller}`,
                ),
              ],
            });
        }
      }
      reads = [];
    };

    for (let i = 0; i < count && failures.length < MAX_FAILURES; i += 1) {
      const request = generator.next();
      const safe = SAFE.has(request.method);
      if (!safe) {
        await checkReads();
        if (!watch.knownAt(watch.current)) await watch.refresh();
      }
      const before = watch.current;
      errorLog.length = 0;
      let response: LightMyRequestResponse;
      try {
        response = await withTimeout(
          app.inject({
            method: request.method as InjectOptions['method'],
            url: request.url,
            headers: request.headers,
            ...(request.payload !== undefined ? { payload: request.payload } : {}),
          }),
          REQUEST_TIMEOUT_MS,
        );
      } catch (error) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        failures.push({
          request,
          problems: [`no response: ${(error as Error).message}`, ...loggedErrors(errorLog)],
        });
        await watch.horizon();
        reads = [];
        continue;
      }
      sent += 1;
      const status = response.statusCode;
      const byStatus = statuses.get(request.operation) ?? new Map<number, number>();
      byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
      statuses.set(request.operation, byStatus);

      const problems = checkResponse(request, response);
      if (safe) {
        tally.reads += 1;
        reads.push(request);
      } else if (status >= 400) {
        // A refused write: the database must be as it was.
        tally.refusedWrites += 1;
        if ((await watch.horizon()) !== before) {
          const changed = await watch.changes();
          if (changed.length)
            problems.push(`refused with ${status} but changed the database: ${changed.join('; ')}`);
        }
      } else {
        tally.acceptedWrites += 1;
        await watch.horizon();
        const [poolName, field] = creates[request.operation] ?? [];
        if (poolName && field && request.method === request.operation.split(' ')[0] && status === 201) {
          const created = (response.json() as Record<string, unknown>)[field];
          const target = seeded.pools[poolName];
          if (typeof created === 'string' && target.length < MAX_POOL) target.push(created);
        }
      }
      const polluted = pollutedPrototypes();
      if (polluted.length) problems.push(`prototype pollution: ${polluted.join(', ')}`);
      if (problems.length) problems.push(...loggedErrors(errorLog));
      if (problems.length)
        failures.push({
          request,
          problems,
          status,
          responseHeaders: response.headers,
          responseBody: response.body,
        });
    }
    await checkReads();

    const seconds = (performance.now() - started) / 1000;
    const summary = [...statuses]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(
        ([operation, byStatus]) =>
          `  ${operation.padEnd(62)} ${[...byStatus]
            .sort(([a], [b]) => a - b)
            .map(([status, n]) => `${status}×${n}`)
            .join(' ')}`,
      );
    console.log(
      [
        `fuzz (${engine}): ${sent} requests in ${seconds.toFixed(1)} s (${Math.round(sent / seconds)}/s), seed ${seed}:`,
        `  ${tally.refusedWrites} refused writes, each checked against the database; ${tally.acceptedWrites} accepted writes;`,
        `  ${tally.reads} reads, checked in the runs between writes (${tally.readsUnchecked} not checkable: the database had just moved);`,
        `  ${watch.fingerprints} fingerprints taken. Status codes by operation:`,
        ...summary,
      ].join('\n'),
    );

    if (failures.length) throw new Error(report(engine, count, failures));
    expect(pollutedPrototypes()).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // Every operation was reached past authentication at least once (when there were enough requests).
    if (count / operations.length >= 50) {
      const unreached = operations
        .map((operation) => operation.key)
        .filter(
          (key) => ![...(statuses.get(key)?.keys() ?? [])].some((status) => status !== 401 && status !== 403),
        );
      expect(unreached).toEqual([]);
    }
  }, 600_000);
});

function parseSeed(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return DEFAULT_SEED;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) throw new Error(`FUZZ_SEED must be an integer, not ${value}`);
  return parsed >>> 0;
}

function positive(value: string | undefined, fallback: number): number {
  if (value === undefined || value.trim() === '') return fallback;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 1)
    throw new Error(`FUZZ_REQUESTS must be a whole number ≥ 1, not ${value}`);
  return parsed;
}
