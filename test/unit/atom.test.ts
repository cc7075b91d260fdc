import { describe, expect, it } from 'vitest';
import {
  ATOM_EPOCH,
  type AtomEntry,
  type AtomFeed,
  atomFeed,
  escapeAttribute,
  escapeText,
  rfc3339,
} from '../../src/formats/atom.js';
import { mergeEntries } from '../../src/modules/feeds/index.js';
import { feedUrn } from '../../src/modules/feeds/service.js';
import { parseValidAtom } from '../helpers/atom.js';

const entry = (over: Partial<AtomEntry> = {}): AtomEntry => ({
  id: 'urn:uuid:3f0b9c1e-8f1a-4f5e-9b36-1d2c3e4f5a6b',
  title: 'Oak House: £5,495.78 a week from 1 April 2026 (version 1)',
  updated: '2026-03-20T10:15:30.123Z',
  published: '2026-03-20T10:15:30.123Z',
  authors: [{ name: 'Open Book CIC', uri: 'https://example.test/v1/organisations/x/feed' }],
  links: [{ rel: 'alternate', type: 'text/html', href: 'https://example.test/transparency/homes/1' }],
  categories: [{ term: 'fee-schedule', label: 'Fee schedule' }],
  summary: 'Weekly fee per child £5,495.78.',
  ...over,
});

const feed = (over: Partial<AtomFeed> = {}): AtomFeed => ({
  id: 'urn:uuid:6b1d3a1c-2f43-5a1e-8a0b-7c9d2e3f4a5b',
  title: 'A feed',
  updated: '2026-03-20T10:15:30.123Z',
  authors: [{ name: 'Cost-plus care pricing' }],
  links: [{ rel: 'self', type: 'application/atom+xml', href: 'https://example.test/feed' }],
  entries: [entry()],
  ...over,
});

describe('the Atom writer', () => {
  it('escapes text and attributes', () => {
    expect(escapeText(`<b>Tom & "Jerry's"</b>`)).toBe(`&lt;b&gt;Tom &amp; "Jerry's"&lt;/b&gt;`);
    expect(escapeAttribute(`a<b>&"c"'d'`)).toBe('a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;');
    // line breaks and tabs survive attribute-value normalisation; CR survives in text too
    expect(escapeAttribute('a\tb\nc\rd')).toBe('a&#9;b&#10;c&#13;d');
    expect(escapeText('a\r\nb')).toBe('a&#13;\nb');
    // what XML 1.0 cannot carry at all becomes U+FFFD; astral characters are kept
    expect(escapeText('bell\u0007 nul\u0000 lone\uD800 ok😀')).toBe('bell\uFFFD nul\uFFFD lone\uFFFD ok😀');
    expect(escapeText(']]>')).toBe(']]&gt;');
  });

  it('writes RFC 3339 dates: a Date in UTC with Z; a valid string as it is; refuses anything else', () => {
    expect(rfc3339(new Date(Date.UTC(2026, 3, 1, 9, 30)))).toBe('2026-04-01T09:30:00.000Z');
    expect(rfc3339('2026-04-01T10:30:00+01:00')).toBe('2026-04-01T10:30:00+01:00');
    expect(rfc3339(ATOM_EPOCH)).toBe('1970-01-01T00:00:00Z');
    for (const bad of [
      '2026-04-01',
      '2026-04-01 09:30:00Z',
      '2026-04-01t09:30:00z',
      '2026-13-01T00:00:00Z',
      '2026-04-01T09:30:00',
      'yesterday',
    ]) {
      expect(() => rfc3339(bad), bad).toThrow(RangeError);
    }
    expect(() => rfc3339(new Date(Number.NaN))).toThrow(RangeError);
  });

  it('writes a feed a real Atom parser reads back, text and attributes intact', () => {
    const hostile = `Tom & Jerry's <Home> "quoted" ]]> \u0007`;
    const xml = atomFeed(
      feed({
        title: hostile,
        subtitle: 'Line one\nline two',
        entries: [
          entry({
            title: hostile,
            summary: hostile,
            categories: [{ term: 'a&b', label: `"x" <y> 'z'` }],
            links: [{ rel: 'alternate', href: 'https://example.test/?a=1&b="2"', title: hostile }],
            authors: [{ name: hostile, email: 'a@example.test' }],
          }),
        ],
      }),
    );
    expect(
      xml.startsWith('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"'),
    ).toBe(true);
    const read = parseValidAtom(xml);
    const expected = hostile.replace('\u0007', '\uFFFD');
    expect(read.title?.value).toBe(expected);
    const [only] = read.entries ?? [];
    expect(only?.title?.value).toBe(expected);
    expect(only?.summary?.value).toBe(expected);
    expect(only?.authors?.[0]?.name).toBe(expected);
    expect(only?.categories?.[0]).toMatchObject({ term: 'a&b', label: `"x" <y> 'z'` });
    expect(only?.links?.[0]?.href).toBe('https://example.test/?a=1&b="2"');
    expect(only?.updated).toBe('2026-03-20T10:15:30.123Z');
  });

  it('the checker the tests read feeds with refuses what is not well-formed or breaks RFC 4287', () => {
    const good = atomFeed(feed());
    expect(() => parseValidAtom(good.replace('Fee schedule', 'Fees & charges'))).toThrow(/well-formed/);
    expect(() => parseValidAtom(good.replace(/<updated>[^<]*<\/updated>\n/, ''))).toThrow(
      /exactly one updated/,
    );
    expect(() => parseValidAtom(good.replace('rel="self"', 'rel="alternate"'))).toThrow(/self/);
    expect(() => parseValidAtom(good.replace('2026-03-20T10:15:30.123Z', '2026-03-20 10:15'))).toThrow(
      /RFC 3339/,
    );
  });

  it('is deterministic: the same values, the same bytes', () => {
    expect(atomFeed(feed())).toBe(atomFeed(feed()));
  });

  it('refuses a feed that would break RFC 4287: no author anywhere, an empty id, a bad date', () => {
    expect(() => atomFeed(feed({ authors: [], entries: [entry({ authors: [] })] }))).toThrow(/author/);
    expect(() => atomFeed(feed({ authors: [], entries: [] }))).toThrow(/author/);
    // every entry with its author: no feed-level author needed
    expect(() => parseValidAtom(atomFeed(feed({ authors: [] })))).not.toThrow();
    expect(() => atomFeed(feed({ id: ' ' }))).toThrow(/id/);
    expect(() => atomFeed(feed({ entries: [entry({ updated: '1 April 2026' })] }))).toThrow(/RFC 3339/);
  });

  it('writes an empty feed with the fixed epoch, still valid', () => {
    const read = parseValidAtom(atomFeed(feed({ updated: ATOM_EPOCH, entries: [] })));
    expect(read.updated).toBe(ATOM_EPOCH);
    expect(read.entries ?? []).toEqual([]);
  });
});

describe('feed entries from several sources', () => {
  const at = (id: string, updated: string) => ({
    id,
    title: id,
    updated,
    links: [],
    summary: id,
    categories: [],
  });

  it('are merged newest first by updated (whatever the offset), each id once, then cut to the limit', () => {
    const schedules = [at('urn:a', '2026-04-01T09:00:00Z'), at('urn:c', '2026-04-03T09:00:00Z')];
    const notices = [at('urn:b', '2026-04-02T10:30:00+01:00'), at('urn:a', '2026-05-01T00:00:00Z')];
    expect(mergeEntries([schedules, notices]).map((e) => e.id)).toEqual(['urn:c', 'urn:b', 'urn:a']);
    expect(mergeEntries([schedules, notices], 2).map((e) => e.id)).toEqual(['urn:c', 'urn:b']);
    // ties in time: by id, the same order every time
    const tied = [at('urn:x', '2026-04-01T09:00:00Z'), at('urn:y', '2026-04-01T09:00:00Z')];
    expect(mergeEntries([tied]).map((e) => e.id)).toEqual(['urn:y', 'urn:x']);
    expect(mergeEntries([[...tied].reverse()]).map((e) => e.id)).toEqual(['urn:y', 'urn:x']);
  });

  it('feed ids are name-based UUIDs: stable, and different for different feeds', () => {
    expect(feedUrn('council:E08000014')).toBe(feedUrn('council:E08000014'));
    expect(feedUrn('council:E08000014')).not.toBe(feedUrn('council:E08000014:own'));
    expect(feedUrn('council:E08000014')).toMatch(
      /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});
