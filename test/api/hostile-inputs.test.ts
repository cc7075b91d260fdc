import { randomUUID } from 'node:crypto';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidError } from '../../src/core/errors.js';
import { decodeCursor, encodeCursor } from '../../src/core/paging.js';
import { applicationProblem } from '../../src/http/errors.js';
import { adminAuth, createTestApp, type TestApp } from '../helpers/app.js';
import { exampleModel, seedProvider } from '../helpers/books.js';
import { engines } from '../helpers/database.js';
import { createKey, createOrganisation } from '../helpers/keys.js';

/**
 * What a hostile client sends where the service reads a paging cursor or a date: every one is a
 * 400 or 422 problem document naming the field, never a 500 (PostgreSQL refusing the value).
 */

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function withQuery(url: string, query: Record<string, string | number>): string {
  const params = new URLSearchParams(
    Object.entries(query).map(([key, value]): [string, string] => [key, String(value)]),
  );
  return `${url}${url.includes('?') ? '&' : '?'}${params}`;
}

/** A problem document of `status` naming `pointer` in `where`. */
function expectProblemAt(
  response: LightMyRequestResponse,
  status: number,
  pointer: string,
  where: 'query' | 'path' | 'body',
) {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = response.json();
  expect(body).toMatchObject({ status, type: '/problems/validation' });
  expect(body.errors).toEqual(
    expect.arrayContaining([expect.objectContaining({ pointer, in: where, message: expect.any(String) })]),
  );
}

/** The messages of the date, month, instant and year schemas (format and range alike). */
const DATE_MESSAGE =
  /^must be a (date|month|ISO 8601 date-time|date-time|financial year|tax year)\b|^is not a real calendar date/;

/** Anything but a refusal of the value at `pointer` itself; never a 5xx. */
function expectAcceptedAt(response: LightMyRequestResponse, pointer: string) {
  expect(response.statusCode, response.body).toBeLessThan(500);
  if (response.statusCode < 400) return;
  const errors: Array<{ pointer: string; message: string }> = response.json().errors ?? [];
  const refused = errors.filter((error) => error.pointer === pointer && DATE_MESSAGE.test(error.message));
  expect(refused, response.body).toEqual([]);
}

describe('decodeCursor', () => {
  const refused = (cursor: string, kinds: Parameters<typeof decodeCursor>[1]) => {
    try {
      decodeCursor(cursor, kinds);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidError);
      expect(applicationProblem(error as InvalidError)).toMatchObject({
        status: 400,
        errors: [{ pointer: '/cursor', message: 'is not a cursor this service gave out', in: 'query' }],
      });
      return;
    }
    throw new Error(`${cursor} was read as a cursor`);
  };

  it('reads back what encodeCursor wrote, of every kind', () => {
    const values = [
      new Date('2026-04-01T09:30:00.123Z').toISOString(),
      '2026-04-01T10:30:00+01:00',
      '1900-01-01',
      '2200-12-31',
      '0',
      '9223372036854775807',
      'Open Book CIC',
      randomUUID(),
    ];
    const kinds = ['timestamp', 'timestamp', 'date', 'date', 'int', 'int', 'text', 'uuid'] as const;
    expect(decodeCursor(encodeCursor(values), kinds)).toEqual(values);
  });

  it('refuses a value of another kind, or out of the years 1900–2200', () => {
    for (const instant of [
      '0000-01-01T00:00:00Z',
      '1899-12-31T23:59:59Z',
      '2201-01-01T00:00:00Z',
      '2026-02-30T00:00:00Z',
      '2026-04-01T24:00:00Z',
      '2026-04-01T09:30:00',
      '2026-04-01T09:30:00+25:00',
      '2026-04-01T09:30:00.1234567Z',
      '2026-04-01',
      'now',
    ]) {
      refused(encodeCursor([instant, randomUUID()]), ['timestamp', 'uuid']);
    }
    for (const date of ['0000-01-01', '1899-12-31', '2201-01-01', '2026-02-29', '2026-4-1', '20260401']) {
      refused(encodeCursor([date]), ['date']);
    }
    for (const id of ['', '-1', '01', '1.5', '9223372036854775808', ' 1'])
      refused(encodeCursor([id]), ['int']);
  });
});

describe.each(engines)('hostile inputs on %s', (engine) => {
  let testApp: TestApp;
  const inject = (options: InjectOptions) => testApp.app.inject(options);

  beforeAll(async () => {
    testApp = await createTestApp(engine);
  });
  afterAll(() => testApp.close());

  /**
   * A provider with two homes, each with a published schedule and a placement; a second schedule on
   * the first home; one more organisation and one more key: two of everything a list pages through.
   */
  async function seedBooks(name = 'Hostile Homes CIC') {
    const provider = await seedProvider(testApp.app, {
      name,
      homes: [
        {
          name: 'First House',
          placements: [{ councilCode: 'E08000015', reference: 'HX-001', start: '2026-04-01', end: null }],
        },
        {
          name: 'Second House',
          placements: [{ councilCode: 'E08000015', reference: 'HX-002', start: '2026-04-01', end: null }],
        },
      ],
    });
    const [homeId, secondHomeId] = provider.homeIds as [string, string];
    const drafts = await inject({ url: withQuery('/v1/cost-models', { homeId }), headers: adminAuth });
    const draftId: string = drafts.json().items[0].id;
    const second = await inject({
      method: 'POST',
      url: `/v1/cost-models/${draftId}/publish`,
      headers: { ...provider.finance, 'idempotency-key': `second-${randomUUID()}` },
      payload: { effectiveFrom: '2026-10-01' },
    });
    expect(second.statusCode, second.body).toBe(201);
    const placements = await inject({ url: '/v1/placements', headers: provider.finance });
    const placementId: string = placements.json().items[0].id;
    await createOrganisation(testApp.app, `${name} (another)`);
    await createKey(testApp.app, { role: 'regulator' });
    return { ...provider, homeId, secondHomeId, draftId, placementId };
  }
  type Books = Awaited<ReturnType<typeof seedBooks>>;

  describe('paging cursors', () => {
    interface CursorRoute {
      url: (books: Books) => string;
      headers: (books: Books) => Record<string, string>;
      /** What each position of the route's cursor is compared with. */
      kinds: Array<'uuid' | 'date' | 'int' | 'text'>;
    }
    const publicRequest = () => ({});
    const admin = () => adminAuth;
    const cursorRoutes: Record<string, CursorRoute> = {
      'GET /v1/fee-schedules (public)': {
        url: (books) => withQuery('/v1/fee-schedules', { organisationId: books.organisationId }),
        headers: publicRequest,
        kinds: ['date', 'uuid'],
      },
      'GET /v1/homes/:id/fee-schedules (public)': {
        url: (books) => `/v1/homes/${books.homeId}/fee-schedules`,
        headers: publicRequest,
        kinds: ['date', 'uuid'],
      },
      'GET /v1/homes': {
        url: (books) => withQuery('/v1/homes', { organisationId: books.organisationId }),
        headers: admin,
        kinds: ['uuid'],
      },
      'GET /v1/cost-models': {
        url: (books) => withQuery('/v1/cost-models', { organisationId: books.organisationId }),
        headers: admin,
        kinds: ['uuid'],
      },
      'GET /v1/placements': {
        url: () => '/v1/placements',
        headers: (books) => books.finance,
        kinds: ['uuid'],
      },
      'GET /v1/organisations': { url: () => '/v1/organisations', headers: admin, kinds: ['text', 'uuid'] },
      'GET /v1/api-keys': { url: () => '/v1/api-keys', headers: admin, kinds: ['uuid'] },
      'GET /v1/audit-events': {
        url: (books) => withQuery('/v1/audit-events', { organisationId: books.organisationId }),
        headers: admin,
        kinds: ['int'],
      },
    };

    const uuid = '0b5e2f1c-3f7a-4c49-9d7e-2a1b3c4d5e6f';
    /** Cursors this service never gave out, whatever the route. */
    const forgedEverywhere: Record<string, string> = {
      'two strings of no kind': b64(['x', 'x']),
      'two numbers': b64([1, 2]),
      'an instant and not a uuid': b64(['2026-01-01T00:00:00Z', 'not-a-uuid']),
      'three values': b64(['2026-01-01', uuid, 'x']),
      'no values': b64([]),
      'an object': b64({ id: uuid }),
      null: b64(null),
      'not base64url': 'not a cursor!',
      'base64url of no JSON': Buffer.from('{"unterminated').toString('base64url'),
      'base64 with padding': `${b64(['x'])}=`,
      'a uuid in capitals': b64([uuid.toUpperCase()]),
      'a uuid with a NUL': b64([`${uuid}\u0000`]),
      'a name with a NUL and a uuid': b64(['Open Book\u0000', uuid]),
      'a name too long and a uuid': b64(['x'.repeat(201), uuid]),
      'a name with a lone surrogate and a uuid': b64(['\ud800', uuid]),
      'a negative id': b64(['-1']),
      'an id past bigint': b64(['9223372036854775808']),
      'an id in exponent form': b64(['1e3']),
      'a number id': b64([12]),
    };
    /** Cursors of the right shape that point at no item: an empty or shorter page, not an error. */
    const wellFormed: Record<CursorRoute['kinds'][number], string> = {
      uuid: randomUUID(),
      date: '1900-01-01',
      int: '9223372036854775807',
      text: 'Zzz',
    };

    for (const [name, route] of Object.entries(cursorRoutes)) {
      it(`${name}: a forged cursor is a 400 naming /cursor, a genuine one pages on`, async () => {
        const books = await seedBooks(`Cursor Homes ${randomUUID().slice(0, 8)}`);
        const url = route.url(books);
        const headers = route.headers(books);
        // each date or instant in the place of the route's date (beside a real uuid), or of its id
        const dated = (value: string) =>
          b64(
            route.kinds.map((kind) =>
              kind === 'text' ? 'Name' : kind === 'uuid' && route.kinds.includes('date') ? uuid : value,
            ),
          );
        const forged = {
          ...forgedEverywhere,
          'year 0000 as a date': dated('0000-01-01'),
          'year 0000 as an instant': dated('0000-01-01T00:00:00Z'),
          'a date of 1899': dated('1899-12-31'),
          'a date of 2201': dated('2201-01-01'),
          'a date of 30 February': dated('2026-02-30'),
          // the right number of values, each of a kind but the wrong one for its place
          'values of the wrong kinds': b64(
            route.kinds.map((kind) => (kind === 'uuid' ? '1' : kind === 'int' ? uuid : '2026-13-01')),
          ),
        };
        for (const [what, cursor] of Object.entries(forged)) {
          const response = await inject({ url: withQuery(url, { cursor, limit: 1 }), headers });
          expect(response.statusCode, `${what}: ${response.body}`).toBe(400);
          expectProblemAt(response, 400, '/cursor', 'query');
          expect(response.json().errors).toEqual([
            { pointer: '/cursor', message: 'is not a cursor this service gave out', in: 'query' },
          ]);
        }
        const tooLong = await inject({
          url: withQuery(url, { cursor: 'A'.repeat(5000), limit: 1 }),
          headers,
        });
        expectProblemAt(tooLong, 400, '/cursor', 'query');

        const first = await inject({ url: withQuery(url, { limit: 1 }), headers });
        expect(first.statusCode, first.body).toBe(200);
        const { items, nextCursor } = first.json();
        expect(items).toHaveLength(1);
        expect(nextCursor).toEqual(expect.any(String));
        const second = await inject({ url: withQuery(url, { cursor: nextCursor, limit: 1 }), headers });
        expect(second.statusCode, second.body).toBe(200);
        expect(second.json().items).toHaveLength(1);
        expect(second.json().items[0].id).not.toBe(items[0].id);

        const shaped = b64(route.kinds.map((kind) => wellFormed[kind]));
        const elsewhere = await inject({ url: withQuery(url, { cursor: shaped, limit: 1 }), headers });
        expect(elsewhere.statusCode, elsewhere.body).toBe(200);
      });
    }

    it('pages on from an organisation whose long name JSON escapes', async () => {
      // 200 characters, each six bytes in the cursor's JSON: the longest cursor this service gives out
      for (let i = 0; i < 2; i++) await createOrganisation(testApp.app, `\u0001${'\u0002'.repeat(199)}`);
      let cursor: string | null = null;
      let longest = 0;
      // one page per organisation, however many the other tests have made
      const organisations = Number(
        (
          await testApp.database.handle.db
            .selectFrom('organisations')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
      for (let page = 0; page <= organisations; page++) {
        const url: string = withQuery('/v1/organisations', { limit: 1, ...(cursor ? { cursor } : {}) });
        const response = await inject({ url, headers: adminAuth });
        expect(response.statusCode, response.body).toBe(200);
        cursor = response.json().nextCursor;
        if (cursor === null) break;
        longest = Math.max(longest, cursor.length);
      }
      expect(cursor).toBeNull();
      expect(longest).toBeGreaterThan(1600);
    });
  });

  describe('dates, months and years out of range', () => {
    type Kind = 'date' | 'month' | 'instant' | 'tax year' | 'financial year';
    const outOfRange: Record<Kind, string[]> = {
      date: ['0000-01-01', '1899-12-31', '2201-01-01'],
      month: ['0000-01', '1899-12', '2201-01'],
      instant: ['0000-01-01T00:00:00Z', '1899-12-31T23:59:59Z', '2201-01-01T00:00:00Z'],
      'tax year': ['0000-01', '1899-00', '2200-01', '2201-02'],
      // the returns' own years are 2000-01 to 2098-99
      'financial year': ['0000-01', '1899-00', '2200-01', '2201-02', '1999-00', '2099-00'],
    };
    const inRange: Record<Kind, string[]> = {
      date: ['1900-01-01', '2200-12-31'],
      month: ['1900-01', '2200-12'],
      instant: ['1900-01-01T00:00:00Z', '2200-12-31T23:59:59Z'],
      'tax year': ['1900-01', '2199-00'],
      'financial year': ['2000-01', '2098-99'],
    };

    interface DateOperation {
      kind: Kind;
      /** Where the value goes: every one of them is named when it is refused. */
      pointers: string[];
      where: 'query' | 'path' | 'body';
      request: (books: Books, value: string) => InjectOptions | Promise<InjectOptions>;
      /** Values refused / accepted, when not those of the kind. */
      refused?: string[];
      accepted?: string[];
    }

    const homeBody = { name: 'Dated House', hostCouncil: 'E08000015', registeredPlaces: 2 };
    /** A one-year period starting on `start` (the method's rule): end is the day before the anniversary. */
    const yearFrom = (start: string) => {
      const next = new Date(`${start}T00:00:00Z`);
      next.setUTCFullYear(next.getUTCFullYear() + 1);
      next.setUTCDate(next.getUTCDate() - 1);
      return { label: 'Dated', start, end: next.toISOString().slice(0, 10) };
    };
    const costModelWithPeriod = (start: string): Record<string, unknown> => ({
      ...exampleModel('wirral-four-bed-2026-27'),
      period: yearFrom(start),
    });
    const periodStarts = {
      refused: ['0000-01-01', '1899-12-31', '2201-01-01'],
      accepted: ['1900-01-01', '2200-01-01'],
    };
    const periodEnds = { refused: ['2200-04-01', '2200-01-02'], accepted: ['2200-01-01'] };
    const draftTag = async (books: Books) =>
      (await inject({ url: `/v1/cost-models/${books.draftId}`, headers: books.finance })).headers
        .etag as string;
    const pool = (period: { label: string; start: string; end: string }) => ({
      period,
      basis: 'equal',
      lines: [{ code: 'FINANCE', description: 'Finance team', amount: '1000' }],
    });
    const enhancement = (start: string, end?: string) => ({
      description: 'One to one',
      roleId: 'rcw',
      hoursPerWeek: '5',
      start,
      ...(end ? { end } : {}),
    });

    const operations: Record<string, DateOperation> = {
      'GET /v1/fee-schedules ?period': {
        kind: 'date',
        pointers: ['/period'],
        where: 'query',
        request: (_books, value) => ({ url: withQuery('/v1/fee-schedules', { period: value }) }),
      },
      'GET /v1/homes/:id/fee-schedules ?period': {
        kind: 'date',
        pointers: ['/period'],
        where: 'query',
        request: (books, value) => ({
          url: withQuery(`/v1/homes/${books.homeId}/fee-schedules`, { period: value }),
        }),
      },
      'GET /v1/homes/:id/fee-schedules/current ?on': {
        kind: 'date',
        pointers: ['/on'],
        where: 'query',
        request: (books, value) => ({
          url: withQuery(`/v1/homes/${books.homeId}/fee-schedules/current`, { on: value }),
        }),
      },
      'GET /transparency/homes/:id ?on': {
        kind: 'date',
        pointers: ['/on'],
        where: 'query',
        request: (books, value) => ({ url: withQuery(`/transparency/homes/${books.homeId}`, { on: value }) }),
      },
      'GET /v1/cost-models ?period': {
        kind: 'date',
        pointers: ['/period'],
        where: 'query',
        request: (_books, value) => ({
          url: withQuery('/v1/cost-models', { period: value }),
          headers: adminAuth,
        }),
      },
      'POST /v1/homes/:id/cost-models /period/start': {
        kind: 'date',
        pointers: ['/period/start'],
        where: 'body',
        ...periodStarts,
        request: (books, value) => ({
          method: 'POST',
          url: `/v1/homes/${books.secondHomeId}/cost-models`,
          headers: books.finance,
          payload: costModelWithPeriod(value),
        }),
      },
      'POST /v1/homes/:id/cost-models /period/end': {
        kind: 'date',
        pointers: ['/period/end'],
        where: 'body',
        ...periodEnds,
        request: (books, value) => ({
          method: 'POST',
          url: `/v1/homes/${books.secondHomeId}/cost-models`,
          headers: books.finance,
          payload: costModelWithPeriod(value),
        }),
      },
      'POST /v1/homes/:id/cost-models /period/start, central from the pool': {
        kind: 'date',
        pointers: ['/period/start'],
        where: 'body',
        ...periodStarts,
        request: (books, value) => {
          const { central: _central, ...model } = costModelWithPeriod(value);
          return {
            method: 'POST',
            url: `/v1/homes/${books.secondHomeId}/cost-models`,
            headers: books.finance,
            payload: model,
          };
        },
      },
      'PUT /v1/cost-models/:id /period/start': {
        kind: 'date',
        pointers: ['/period/start'],
        where: 'body',
        ...periodStarts,
        request: async (books, value) => ({
          method: 'PUT',
          url: `/v1/cost-models/${books.draftId}`,
          headers: { ...books.finance, 'if-match': await draftTag(books) },
          payload: costModelWithPeriod(value),
        }),
      },
      'PATCH /v1/cost-models/:id /period/start': {
        kind: 'date',
        pointers: ['/period/start'],
        where: 'body',
        ...periodStarts,
        request: async (books, value) => ({
          method: 'PATCH',
          url: `/v1/cost-models/${books.draftId}`,
          headers: { ...books.finance, 'if-match': await draftTag(books) },
          payload: { period: yearFrom(value) },
        }),
      },
      'POST /v1/cost-models/:id/publish /effectiveFrom': {
        kind: 'date',
        pointers: ['/effectiveFrom'],
        where: 'body',
        request: (books, value) => ({
          method: 'POST',
          url: `/v1/cost-models/${books.draftId}/publish`,
          headers: { ...books.finance, 'idempotency-key': `dated-${randomUUID()}` },
          payload: { effectiveFrom: value },
        }),
      },
      'GET /v1/organisations/:id/central-cost-pools/:periodStart': {
        kind: 'date',
        pointers: ['/periodStart'],
        where: 'path',
        request: (books, value) => ({
          url: `/v1/organisations/${books.organisationId}/central-cost-pools/${value}`,
          headers: books.finance,
        }),
      },
      'PUT /v1/organisations/:id/central-cost-pools/:periodStart': {
        kind: 'date',
        pointers: ['/periodStart'],
        where: 'path',
        request: (books, value) => ({
          method: 'PUT',
          url: `/v1/organisations/${books.organisationId}/central-cost-pools/${value}`,
          headers: books.finance,
          payload: pool({ label: 'Dated', start: value, end: value }),
        }),
      },
      'PUT /v1/organisations/:id/central-cost-pools/:periodStart /period/end': {
        kind: 'date',
        pointers: ['/period/end'],
        where: 'body',
        request: (books, value) => ({
          method: 'PUT',
          url: `/v1/organisations/${books.organisationId}/central-cost-pools/1900-01-01`,
          headers: books.finance,
          payload: pool({ label: 'Dated', start: '1900-01-01', end: value }),
        }),
      },
      'POST /v1/homes /openedOn': {
        kind: 'date',
        pointers: ['/openedOn'],
        where: 'body',
        request: (books, value) => ({
          method: 'POST',
          url: '/v1/homes',
          headers: books.finance,
          payload: { ...homeBody, openedOn: value },
        }),
      },
      'POST /v1/homes /closedOn': {
        kind: 'date',
        pointers: ['/closedOn'],
        where: 'body',
        request: (books, value) => ({
          method: 'POST',
          url: '/v1/homes',
          headers: books.finance,
          payload: { ...homeBody, openedOn: '1900-01-01', closedOn: value },
        }),
      },
      'PATCH /v1/homes/:id /closedOn': {
        kind: 'date',
        pointers: ['/closedOn'],
        where: 'body',
        request: (books, value) => ({
          method: 'PATCH',
          url: `/v1/homes/${books.secondHomeId}`,
          headers: books.finance,
          payload: { closedOn: value },
        }),
      },
      'POST /v1/placements /start': {
        kind: 'date',
        pointers: ['/start'],
        where: 'body',
        request: (books, value) => ({
          method: 'POST',
          url: '/v1/placements',
          headers: books.finance,
          payload: { homeId: books.homeId, councilCode: 'E08000015', reference: 'HX-101', start: value },
        }),
      },
      'POST /v1/placements /end': {
        kind: 'date',
        pointers: ['/end'],
        where: 'body',
        request: (books, value) => ({
          method: 'POST',
          url: '/v1/placements',
          headers: books.finance,
          payload: {
            homeId: books.homeId,
            councilCode: 'E08000015',
            reference: 'HX-102',
            start: '1900-01-01',
            end: value,
          },
        }),
      },
      'POST /v1/placements /enhancements/0/start': {
        kind: 'date',
        pointers: ['/enhancements/0/start'],
        where: 'body',
        request: (books, value) => ({
          method: 'POST',
          url: '/v1/placements',
          headers: books.finance,
          payload: {
            homeId: books.homeId,
            councilCode: 'E08000015',
            reference: 'HX-103',
            start: '1900-01-01',
            enhancements: [enhancement(value), enhancement('1900-01-01')],
          },
        }),
      },
      'POST /v1/placements /enhancements/1/end': {
        kind: 'date',
        pointers: ['/enhancements/1/end'],
        where: 'body',
        request: (books, value) => ({
          method: 'POST',
          url: '/v1/placements',
          headers: books.finance,
          payload: {
            homeId: books.homeId,
            councilCode: 'E08000015',
            reference: 'HX-104',
            start: '1900-01-01',
            enhancements: [enhancement('1900-01-01'), enhancement('1900-01-01', value)],
          },
        }),
      },
      'POST /v1/placements/:id/versions (end) /end': {
        kind: 'date',
        pointers: ['/end'],
        where: 'body',
        request: (books, value) => ({
          method: 'POST',
          url: `/v1/placements/${books.placementId}/versions`,
          headers: books.finance,
          payload: { action: 'end', end: value },
        }),
      },
      'POST /v1/placements/:id/versions (correct) /start': {
        kind: 'date',
        pointers: ['/start'],
        where: 'body',
        request: (books, value) => ({
          method: 'POST',
          url: `/v1/placements/${books.placementId}/versions`,
          headers: books.finance,
          payload: { action: 'correct', start: value, note: 'Dated' },
        }),
      },
      'POST /v1/placements/:id/versions (enhance) /enhancements/0/start': {
        kind: 'date',
        pointers: ['/enhancements/0/start'],
        where: 'body',
        request: (books, value) => ({
          method: 'POST',
          url: `/v1/placements/${books.placementId}/versions`,
          headers: books.finance,
          payload: { action: 'enhance', enhancements: [enhancement(value)] },
        }),
      },
      'POST /v1/placements/:id/move /date': {
        kind: 'date',
        pointers: ['/date'],
        where: 'body',
        request: (books, value) => ({
          method: 'POST',
          url: `/v1/placements/${books.placementId}/move`,
          headers: books.finance,
          payload: { homeId: books.secondHomeId, date: value },
        }),
      },
      // a range of one day, both ends the value (a range of three centuries would be priced day by day)
      'GET /v1/homes/:id/variance ?from&to': {
        kind: 'date',
        pointers: ['/from', '/to'],
        where: 'query',
        request: (books, value) => ({
          url: withQuery(`/v1/homes/${books.homeId}/variance`, { from: value, to: value }),
          headers: adminAuth,
        }),
      },
      'GET /v1/reconciliations/preview ?from&to': {
        kind: 'date',
        pointers: ['/from', '/to'],
        where: 'query',
        request: (books, value) => ({
          url: withQuery('/v1/reconciliations/preview', {
            organisationId: books.organisationId,
            from: value,
            to: value,
          }),
          headers: adminAuth,
        }),
      },
      'POST /v1/reconciliations /from /to': {
        kind: 'date',
        pointers: ['/from', '/to'],
        where: 'body',
        request: (books, value) => ({
          method: 'POST',
          url: '/v1/reconciliations',
          headers: adminAuth,
          payload: { organisationId: books.organisationId, from: value, to: value },
        }),
      },
      'GET /v1/councils/:code/statements ?from&to': {
        kind: 'date',
        pointers: ['/from', '/to'],
        where: 'query',
        request: (_books, value) => ({
          url: withQuery('/v1/councils/E08000015/statements', { from: value, to: value }),
          headers: adminAuth,
        }),
      },
      'GET /v1/homes/:id/occupancy ?from&to': {
        kind: 'date',
        pointers: ['/from', '/to'],
        where: 'query',
        request: (books, value) => ({
          url: withQuery(`/v1/homes/${books.homeId}/occupancy`, { from: value, to: value }),
          headers: adminAuth,
        }),
      },
      'GET /v1/audit-events ?from': {
        kind: 'instant',
        pointers: ['/from'],
        where: 'query',
        request: (books, value) => ({
          url: withQuery('/v1/audit-events', { organisationId: books.organisationId, from: value }),
          headers: adminAuth,
        }),
      },
      'GET /v1/audit-events ?to': {
        kind: 'instant',
        pointers: ['/to'],
        where: 'query',
        request: (books, value) => ({
          url: withQuery('/v1/audit-events', { organisationId: books.organisationId, to: value }),
          headers: adminAuth,
        }),
      },
      'GET /v1/rates/:taxYear': {
        kind: 'tax year',
        pointers: ['/taxYear'],
        where: 'path',
        request: (_books, value) => ({ url: `/v1/rates/${value}` }),
      },
      'GET /v1/returns/:financialYear': {
        kind: 'financial year',
        pointers: ['/financialYear'],
        where: 'path',
        request: (books, value) => ({
          url: withQuery(`/v1/returns/${value}`, { organisation: books.organisationId }),
          headers: adminAuth,
        }),
      },
    };

    for (const [name, operation] of Object.entries(operations)) {
      const status = operation.where === 'body' ? 422 : 400;
      it(`${name}: a year before 1900 or after 2200 is a ${status} naming the field`, async () => {
        const books = await seedBooks(`Dated Homes ${randomUUID().slice(0, 8)}`);
        for (const value of operation.refused ?? outOfRange[operation.kind]) {
          const response = await inject(await operation.request(books, value));
          for (const pointer of operation.pointers)
            expectProblemAt(response, status, pointer, operation.where);
        }
        for (const value of operation.accepted ?? inRange[operation.kind]) {
          const response = await inject(await operation.request(books, value));
          for (const pointer of operation.pointers) expectAcceptedAt(response, pointer);
        }
      });
    }

    it('names the range in the message', async () => {
      const books = await seedBooks(`Dated Homes ${randomUUID().slice(0, 8)}`);
      const on = await inject({
        url: withQuery(`/v1/homes/${books.homeId}/fee-schedules/current`, { on: '0000-01-01' }),
      });
      expect(on.json().errors).toEqual([
        { pointer: '/on', message: 'must be a date between 1900-01-01 and 2200-12-31', in: 'query' },
      ]);
      const model = await inject({
        method: 'POST',
        url: `/v1/homes/${books.secondHomeId}/cost-models`,
        headers: books.finance,
        payload: costModelWithPeriod('0000-04-01'),
      });
      expect(model.json().errors).toEqual([
        { pointer: '/period/start', message: 'must be a date between 1900-01-01 and 2200-12-31', in: 'body' },
        { pointer: '/period/end', message: 'must be a date between 1900-01-01 and 2200-12-31', in: 'body' },
      ]);
      const notADate = await inject({
        url: withQuery(`/v1/homes/${books.homeId}/fee-schedules/current`, { on: '2026-02-30' }),
      });
      expect(notADate.json().errors).toEqual([
        { pointer: '/on', message: 'must be a date such as 2026-04-01', in: 'query' },
      ]);
    });

    it('GET /v1/homes/:id/actuals ?month: years before 1900 or after 2200 are a 400 at /month', async () => {
      const books = await seedBooks(`Dated Homes ${randomUUID().slice(0, 8)}`);
      for (const month of outOfRange.month) {
        const response = await inject({
          url: withQuery(`/v1/homes/${books.homeId}/actuals`, { month }),
          headers: adminAuth,
        });
        expectProblemAt(response, 400, '/month', 'query');
      }
      for (const month of inRange.month) {
        const response = await inject({
          url: withQuery(`/v1/homes/${books.homeId}/actuals`, { month }),
          headers: adminAuth,
        });
        expectAcceptedAt(response, '/month');
      }
    });

    it('POST /v1/homes/:id/actuals: a month before 1900 or after 2200 is a 422 at /rows/1/month', async () => {
      const books = await seedBooks(`Dated Homes ${randomUUID().slice(0, 8)}`);
      for (const month of outOfRange.month) {
        const response = await inject({
          method: 'POST',
          url: `/v1/homes/${books.homeId}/actuals`,
          headers: { ...books.finance, 'idempotency-key': `dated-${randomUUID()}` },
          payload: { rows: [{ month, code: 'NIL' }] },
        });
        expectProblemAt(response, 422, '/rows/1/month', 'body');
      }
      for (const month of inRange.month) {
        const response = await inject({
          method: 'POST',
          url: `/v1/homes/${books.homeId}/actuals`,
          headers: { ...books.finance, 'idempotency-key': `dated-${randomUUID()}` },
          payload: { rows: [{ month, code: 'NIL' }] },
        });
        expectAcceptedAt(response, '/rows/1/month');
      }
    });
  });
});
