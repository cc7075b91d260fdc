import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../src/core/principal.js';
import {
  councilFeed,
  FEED_SOURCES,
  type FeedEntry,
  type FeedReader,
  type FeedSource,
} from '../../src/modules/feeds/index.js';
import { adminAuth, createTestApp, injectOk, type TestApp } from '../helpers/app.js';
import { parseValidAtom } from '../helpers/atom.js';
import { exampleModel, registerModelParties } from '../helpers/books.js';
import { engines } from '../helpers/database.js';
import { bearer, createKey, createOrganisation } from '../helpers/keys.js';

const SEFTON = 'E08000014';
const WIRRAL = 'E08000015';
/** The app's today (placements open on it are current). */
const TODAY = '2026-06-15';

const gbp = (amount: string) =>
  new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'GBP' }).format(Number(amount));
const pennies = (amount: string) => Math.round(Number(amount) * 100);

describe.each(engines)('Atom feeds on %s', (engine) => {
  let testApp: TestApp;
  let seftonCommissioner: Record<string, string>;
  let wirralCommissioner: Record<string, string>;

  const inject = (options: InjectOptions) => testApp.app.inject(options);

  beforeAll(async () => {
    testApp = await createTestApp(engine, { today: TODAY });
    seftonCommissioner = bearer(
      (await createKey(testApp.app, { role: 'commissioner', councils: [SEFTON] })).key,
    );
    wirralCommissioner = bearer(
      (await createKey(testApp.app, { role: 'commissioner', councils: [WIRRAL] })).key,
    );
  });
  afterAll(() => testApp.close());

  const ok = (options: InjectOptions, status: number) => injectOk(testApp.app, options, status);

  /** A provider of its own, with a finance key. */
  async function provider(name: string) {
    const organisationId = await createOrganisation(testApp.app, name);
    const finance = bearer((await createKey(testApp.app, { role: 'finance', organisationId })).key);
    return { organisationId, finance, name };
  }

  type Provider = Awaited<ReturnType<typeof provider>>;
  type Schedule = {
    id: string;
    homeId: string;
    version: number;
    weeklyFeePerChild: string;
    publishedAt: string;
  };

  /** A home, and its draft of the Wirral four-bed example (ETag "1"). */
  async function home(books: Provider, name: string, hostCouncil: string) {
    const homeId: string = (
      await ok(
        {
          method: 'POST',
          url: '/v1/homes',
          headers: books.finance,
          payload: { name, hostCouncil, registeredPlaces: 4, openedOn: '2021-05-01' },
        },
        201,
      )
    ).json().id;
    const model = exampleModel('wirral-four-bed-2026-27');
    await registerModelParties(testApp.app, books.finance, books.organisationId, model);
    const draftId: string = (
      await ok(
        { method: 'POST', url: `/v1/homes/${homeId}/cost-models`, headers: books.finance, payload: model },
        201,
      )
    ).json().id;
    return { homeId, draftId };
  }

  let publishes = 0;
  async function publish(books: Provider, draftId: string, effectiveFrom: string): Promise<Schedule> {
    return (
      await ok(
        {
          method: 'POST',
          url: `/v1/cost-models/${draftId}/publish`,
          headers: { ...books.finance, 'idempotency-key': `feeds-publish-${++publishes}-abcdef` },
          payload: { effectiveFrom },
        },
        201,
      )
    ).json();
  }

  /** A home with a published schedule from 1 April 2026. */
  async function publishedHome(books: Provider, name: string, hostCouncil: string) {
    const { homeId, draftId } = await home(books, name, hostCouncil);
    const schedule = await publish(books, draftId, '2026-04-01');
    return { homeId, schedule };
  }

  let references = 0;
  async function place(books: Provider, homeId: string, councilCode: string, start: string, end?: string) {
    await ok(
      {
        method: 'POST',
        url: '/v1/placements',
        headers: books.finance,
        payload: { homeId, councilCode, reference: `FEED-${++references}`, start, ...(end ? { end } : {}) },
      },
      201,
    );
  }

  async function readFeed(url: string, headers: Record<string, string> = {}) {
    const response = await inject({ url, headers });
    expect(response.statusCode, response.body.slice(0, 300)).toBe(200);
    expect(response.headers['content-type']).toBe('application/atom+xml; charset=utf-8');
    expect(response.headers.etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(String(response.headers.vary)).toMatch(/authorization/i);
    return { response, feed: parseValidAtom(response.body) };
  }

  const pathOf = (href: string | undefined) => new URL(String(href)).pathname;
  const entryOf = (feed: ReturnType<typeof parseValidAtom>, scheduleId: string) =>
    (feed.entries ?? []).find((entry) => entry.id === `urn:uuid:${scheduleId}`);

  it("lists a provider's published schedules, newest first, with the figures published", async () => {
    const books = await provider('Willows Care CIC');
    const { homeId, draftId } = await home(books, 'The Willows', WIRRAL);
    const v1 = await publish(books, draftId, '2026-04-01');
    // the draft edited (the NI threshold to £9,100), then published again: version 2 of the period
    await ok(
      {
        method: 'PATCH',
        url: `/v1/cost-models/${draftId}`,
        headers: { ...books.finance, 'content-type': 'application/merge-patch+json', 'if-match': '"1"' },
        payload: JSON.stringify({ rates: { niSecondaryThresholdAnnual: '9100' } }),
      },
      200,
    );
    const v2 = await publish(books, draftId, '2026-10-01');
    expect(v2.version).toBe(2);
    expect(v2.weeklyFeePerChild).not.toBe(v1.weeklyFeePerChild);

    const url = `/v1/organisations/${books.organisationId}/feed`;
    const { response, feed } = await readFeed(url);
    expect(response.headers['cache-control']).toBe('public, max-age=300');
    expect(feed.title?.value).toBe('Willows Care CIC: published fee schedules');
    expect(feed.id).toMatch(/^urn:uuid:/);
    expect(pathOf(feed.links?.find((link) => link.rel === 'self')?.href)).toBe(url);
    expect(feed.authors?.[0]?.name).toBe('Willows Care CIC');

    const entries = feed.entries ?? [];
    expect(entries.map((entry) => entry.id)).toEqual([`urn:uuid:${v2.id}`, `urn:uuid:${v1.id}`]);
    expect(feed.updated).toBe(v2.publishedAt);
    const [second, first] = entries;
    expect(first?.title?.value).toBe(
      `The Willows: ${gbp(v1.weeklyFeePerChild)} a week from 1 April 2026 (version 1)`,
    );
    expect(second?.title?.value).toBe(
      `The Willows: ${gbp(v2.weeklyFeePerChild)} a week from 1 October 2026 (version 2)`,
    );
    expect(first?.updated).toBe(v1.publishedAt);
    expect(first?.published).toBe(v1.publishedAt);
    expect(second?.updated).toBe(v2.publishedAt);
    expect(first?.summary?.value).toContain('The first fee schedule published for this home.');
    expect(first?.summary?.value).toContain('2026-27 (1 April 2026 to 31 March 2027), version 1');
    const difference = pennies(v2.weeklyFeePerChild) - pennies(v1.weeklyFeePerChild);
    expect(second?.summary?.value).toContain(
      `${difference > 0 ? 'Up' : 'Down'} ${gbp(String(Math.abs(difference) / 100))} a week from the previous schedule (${gbp(v1.weeklyFeePerChild)} a week from 1 April 2026).`,
    );
    expect(second?.authors?.[0]?.name).toBe('Willows Care CIC');
    expect(pathOf(second?.authors?.[0]?.uri)).toBe(url);
    expect(second?.categories).toEqual([{ term: 'fee-schedule', label: 'Fee schedule' }]);

    // the links: the home's transparency page, and the schedule as JSON (which serves the same figures)
    const alternate = second?.links?.find((link) => link.rel === 'alternate');
    expect(alternate).toMatchObject({ type: 'text/html' });
    expect(pathOf(alternate?.href)).toBe(`/transparency/homes/${homeId}`);
    const related = second?.links?.find((link) => link.rel === 'related');
    expect(related).toMatchObject({ type: 'application/json' });
    expect(related?.href).toMatch(/^http:\/\/localhost(:80)?\//);
    const json = await inject({ url: pathOf(related?.href) });
    expect(json.statusCode).toBe(200);
    expect(json.json()).toMatchObject({ id: v2.id, weeklyFeePerChild: v2.weeklyFeePerChild, version: 2 });
    expect((await inject({ url: pathOf(alternate?.href) })).statusCode).toBe(200);

    // the links follow the address the request was made to
    const proxied = await inject({ url, headers: { host: 'fees.example.gov.uk:8443' } });
    expect(proxied.body).toContain(`href="http://fees.example.gov.uk:8443/transparency/homes/${homeId}"`);
    expect(proxied.headers.etag).not.toBe(response.headers.etag);
  });

  it('answers 304 to If-None-Match with the current tag, the same tag for the same feed, a new one after a publish', async () => {
    const books = await provider('Conditional Homes CIC');
    const { draftId } = await home(books, 'Tag House', WIRRAL);
    await publish(books, draftId, '2026-04-01');
    const url = `/v1/organisations/${books.organisationId}/feed`;
    const first = await inject({ url });
    const again = await inject({ url });
    expect(again.body).toBe(first.body);
    const etag = String(first.headers.etag);
    expect(again.headers.etag).toBe(etag);

    const notModified = await inject({ url, headers: { 'if-none-match': etag } });
    expect(notModified.statusCode).toBe(304);
    expect(notModified.body).toBe('');
    expect(notModified.headers.etag).toBe(etag);
    expect(String(notModified.headers.vary)).toMatch(/authorization/i);
    expect((await inject({ url, headers: { 'if-none-match': `"other", ${etag}` } })).statusCode).toBe(304);
    expect((await inject({ url, headers: { 'if-none-match': '"other"' } })).statusCode).toBe(200);
    const head = await inject({ method: 'HEAD', url });
    expect(head.statusCode).toBe(200);
    expect(head.headers.etag).toBe(etag);
    expect(head.body).toBe('');

    await publish(books, draftId, '2026-05-01');
    const changed = await inject({ url, headers: { 'if-none-match': etag } });
    expect(changed.statusCode).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    expect(parseValidAtom(changed.body).entries).toHaveLength(2);

    // a council's feed too
    const council = await inject({ url: `/v1/councils/${WIRRAL}/feed` });
    const council304 = await inject({
      url: `/v1/councils/${WIRRAL}/feed`,
      headers: { 'if-none-match': String(council.headers.etag) },
    });
    expect(council304.statusCode).toBe(304);
  });

  it('answers 404 problems for an unknown organisation or council, and for another provider to a finance key', async () => {
    for (const url of [
      '/v1/organisations/00000000-0000-4000-8000-000000000000/feed',
      '/v1/councils/E09999999/feed',
    ]) {
      const response = await inject({ url });
      expect(response.statusCode, url).toBe(404);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({ status: 404 });
    }
    expect((await inject({ url: '/v1/organisations/not-a-uuid/feed' })).statusCode).toBe(400);

    const own = await provider('Own Homes CIC');
    const other = await provider('Other Homes CIC');
    expect(
      (await inject({ url: `/v1/organisations/${other.organisationId}/feed`, headers: own.finance }))
        .statusCode,
    ).toBe(404);
    const mine = await readFeed(`/v1/organisations/${own.organisationId}/feed`, own.finance);
    expect(mine.feed.entries ?? []).toEqual([]);
    // no entries: the fixed epoch, never the clock
    expect(mine.feed.updated).toBe('1970-01-01T00:00:00Z');
  });

  it("a council's public feed lists the homes in its area, not the homes where it places children", async () => {
    const books = await provider('Mersey Homes CIC');
    const inSefton = await publishedHome(books, 'Crosby House', SEFTON);
    const placedIn = await publishedHome(books, 'Birkenhead Lodge', WIRRAL);
    await place(books, placedIn.homeId, SEFTON, '2026-04-01');

    const { response, feed } = await readFeed(`/v1/councils/${SEFTON}/feed`);
    expect(response.headers['cache-control']).toBe('public, max-age=300');
    expect(feed.title?.value).toBe("Fee schedules of children's homes in Sefton");
    expect(entryOf(feed, inSefton.schedule.id)?.title?.value).toMatch(/^Crosby House: £/);
    expect(entryOf(feed, placedIn.schedule.id)).toBeUndefined();
    expect(response.body).not.toContain('Birkenhead Lodge');
    expect(response.body).not.toContain('term="placement"');
    // the home hosted in Wirral is in Wirral's public feed
    const wirral = await readFeed(`/v1/councils/${WIRRAL}/feed`);
    expect(entryOf(wirral.feed, placedIn.schedule.id)).toBeDefined();
    expect(entryOf(wirral.feed, inSefton.schedule.id)).toBeUndefined();
  });

  it("with the council's own key, the feed gains the homes where it has a child placed today; no other key gains them", async () => {
    const books = await provider('Placing Homes CIC');
    const inSefton = await publishedHome(books, 'Southport Grange', SEFTON);
    const placedIn = await publishedHome(books, 'Wallasey View', WIRRAL);
    const placementEnded = await publishedHome(books, 'Hoylake Rise', WIRRAL);
    const placementToCome = await publishedHome(books, 'Heswall Court', WIRRAL);
    await place(books, placedIn.homeId, SEFTON, '2026-04-01');
    await place(books, placementEnded.homeId, SEFTON, '2026-04-01', '2026-05-31');
    await place(books, placementToCome.homeId, SEFTON, '2026-09-01');

    const url = `/v1/councils/${SEFTON}/feed`;
    const publicFeed = await readFeed(url);
    for (const headers of [seftonCommissioner, adminAuth]) {
      const { response, feed } = await readFeed(url, headers);
      expect(response.headers['cache-control']).toBe('private, max-age=300');
      expect(feed.id).not.toBe(publicFeed.feed.id);
      expect(feed.title?.value).toBe(
        'Sefton: fee schedules of homes in its area and where it places children, and its uplift notices',
      );
      expect(entryOf(feed, inSefton.schedule.id)).toBeDefined();
      const placed = entryOf(feed, placedIn.schedule.id);
      expect(placed?.title?.value).toMatch(/^Wallasey View: £/);
      expect(placed?.categories).toContainEqual({
        term: 'placement',
        label: 'Sefton has a child placed here',
      });
      expect(placed?.summary?.value).toContain('Sefton has a child placed in this home today.');
      expect(entryOf(feed, inSefton.schedule.id)?.categories).toEqual([
        { term: 'fee-schedule', label: 'Fee schedule' },
      ]);
      // a placement that ended before today, or starts after it, is not current
      expect(entryOf(feed, placementEnded.schedule.id)).toBeUndefined();
      expect(entryOf(feed, placementToCome.schedule.id)).toBeUndefined();
      const updated = (feed.entries ?? []).map((entry) => String(entry.updated));
      expect(updated).toEqual([...updated].sort().reverse());
    }

    // another council's key, and a regulator's, read the public feed: the same bytes
    const regulator = bearer((await createKey(testApp.app, { role: 'regulator' })).key);
    for (const headers of [wirralCommissioner, regulator]) {
      const response = await inject({ url, headers });
      expect(response.statusCode).toBe(200);
      expect(response.body).toBe(publicFeed.response.body);
      expect(response.headers['cache-control']).toBe('public, max-age=300');
    }

    // Sefton's key on Wirral's feed gains nothing of Wirral's: it is Wirral's public feed
    const wirralPublic = await inject({ url: `/v1/councils/${WIRRAL}/feed` });
    const wirralWithSeftonKey = await inject({
      url: `/v1/councils/${WIRRAL}/feed`,
      headers: seftonCommissioner,
    });
    expect(wirralWithSeftonKey.statusCode).toBe(200);
    expect(wirralWithSeftonKey.body).toBe(wirralPublic.body);
    expect(wirralWithSeftonKey.headers.etag).toBe(wirralPublic.headers.etag);
    expect(wirralWithSeftonKey.body).not.toContain('term="placement"');
    // and Wirral's own key sees no placement of Sefton's as its own
    const wirralOwn = parseValidAtom(
      (await inject({ url: `/v1/councils/${WIRRAL}/feed`, headers: wirralCommissioner })).body,
    );
    expect(
      (wirralOwn.entries ?? []).some((entry) => entry.categories?.some((c) => c.term === 'placement')),
    ).toBe(false);
  });

  it("narrows a council's feed to a finance key's own organisation", async () => {
    const mine = await provider('Mine CIC');
    const theirs = await provider('Theirs CIC');
    const myHome = await publishedHome(mine, 'My Sefton Home', SEFTON);
    const theirHome = await publishedHome(theirs, 'Their Sefton Home', SEFTON);
    const { feed } = await readFeed(`/v1/councils/${SEFTON}/feed`, mine.finance);
    expect(entryOf(feed, myHome.schedule.id)).toBeDefined();
    expect(entryOf(feed, theirHome.schedule.id)).toBeUndefined();
  });

  it('escapes a home name with < & " \' in it, and the feed still parses', async () => {
    const books = await provider(`Smith & Sons' "Care" <Ltd>`);
    const name = `Tom & Jerry's <"Home"> ]]>`;
    const { schedule } = await publishedHome(books, name, SEFTON);
    for (const url of [`/v1/organisations/${books.organisationId}/feed`, `/v1/councils/${SEFTON}/feed`]) {
      const { response, feed } = await readFeed(url);
      expect(response.body).not.toContain(name);
      const entry = entryOf(feed, schedule.id);
      expect(entry?.title?.value).toBe(
        `${name}: ${gbp(schedule.weeklyFeePerChild)} a week from 1 April 2026 (version 1)`,
      );
      expect(entry?.summary?.value).toContain(`${name}, run by Smith & Sons' "Care" <Ltd>:`);
      expect(entry?.authors?.[0]?.name).toBe(`Smith & Sons' "Care" <Ltd>`);
    }
    const own = parseValidAtom(
      (await inject({ url: `/v1/organisations/${books.organisationId}/feed` })).body,
    );
    expect(own.title?.value).toBe(`Smith & Sons' "Care" <Ltd>: published fee schedules`);
  });

  it("merges another source's entries by date, and asks a council-only source for the council's own feed only", async () => {
    const books = await provider('Source Homes CIC');
    const { schedule } = await publishedHome(books, 'Source House', SEFTON);
    const asked: string[] = [];
    const notice: FeedEntry = {
      id: 'urn:uuid:0f6a8f5e-1c1d-4f0e-9d55-6a4cf2b1e001',
      title: 'Uplift notice: Source House',
      updated: '2030-01-01T09:00:00+01:00',
      links: [{ rel: 'alternate', type: 'text/html', href: '/transparency' }],
      summary: 'A notice.',
      categories: [{ term: 'uplift-notice' }],
    };
    const notices: FeedSource = {
      name: 'uplift-notices',
      feeds: ['council'],
      audience: 'council',
      async entries(_ctx, subject) {
        asked.push(subject.kind === 'council' ? subject.councilCode : subject.kind);
        return [notice];
      },
    };
    const reader = (principal?: Principal): FeedReader => ({
      database: testApp.app.database,
      requestId: 'feeds-test',
      clock: testApp.app.clock,
      principal,
      baseUrl: 'https://fees.example.gov.uk',
    });
    const sefton: Principal = {
      keyId: null,
      actor: 'test',
      role: 'commissioner',
      organisationId: null,
      councils: [SEFTON],
    };
    const sources = [...FEED_SOURCES, notices];

    const publicFeed = parseValidAtom((await councilFeed(reader(), SEFTON, sources)).body);
    expect(asked).toEqual([]);
    expect(entryOf(publicFeed, schedule.id)).toBeDefined();
    expect(publicFeed.entries?.some((entry) => entry.id === notice.id)).toBe(false);

    const own = await councilFeed(reader(sefton), SEFTON, sources);
    expect(asked).toEqual([SEFTON]);
    expect(own.private).toBe(true);
    const feed = parseValidAtom(own.body);
    // the newest first, whichever source it came from; its path made absolute, its author the feed's
    expect(feed.entries?.[0]).toMatchObject({
      id: notice.id,
      title: { value: 'Uplift notice: Source House' },
    });
    expect(feed.entries?.[0]?.links?.[0]?.href).toBe('https://fees.example.gov.uk/transparency');
    expect(feed.updated).toBe(notice.updated);
    expect(entryOf(feed, schedule.id)).toBeDefined();
  });

  it('describes both feeds in the OpenAPI document as Atom', async () => {
    const document = (await inject({ url: '/openapi.json' })).json();
    for (const [path, operationId] of [
      ['/v1/organisations/{id}/feed', 'getOrganisationFeed'],
      ['/v1/councils/{code}/feed', 'getCouncilFeed'],
    ] as const) {
      const operation = document.paths[path].get;
      expect(operation.operationId).toBe(operationId);
      expect(operation.tags).toEqual(['fee-schedules']);
      expect(operation.responses['200'].content).toEqual({
        'application/atom+xml': { schema: expect.objectContaining({ type: 'string' }) },
      });
      expect(operation.responses['304']).toBeDefined();
      expect(operation.responses['404']).toBeDefined();
    }
  });
});

describe('Atom feeds with PUBLIC_TRANSPARENCY=false', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp('pglite', { env: { PUBLIC_TRANSPARENCY: 'false' } });
  });
  afterAll(() => testApp.close());

  it('asks for a key, and any valid key will do', async () => {
    expect((await testApp.app.inject({ url: `/v1/councils/${SEFTON}/feed` })).statusCode).toBe(401);
    const { key } = await createKey(testApp.app, { role: 'regulator' });
    const response = await testApp.app.inject({ url: `/v1/councils/${SEFTON}/feed`, headers: bearer(key) });
    expect(response.statusCode).toBe(200);
    expect(parseValidAtom(response.body).entries ?? []).toEqual([]);
  });
});
