/**
 * Atom 1.0 (RFC 4287) written from plain values: a small, pure writer, no dependency. Text content and
 * attribute values are escaped; characters XML 1.0 cannot carry (control characters, lone surrogates)
 * become U+FFFD, so that whatever a home or provider is called, the feed stays well-formed. Dates are
 * RFC 3339 with an upper-case `T` and `Z` (§3.3). The writer refuses a feed that breaks the RFC's
 * MUSTs (no id, title or updated; no author at feed level while an entry has none), rather than write it.
 */

export const ATOM_MEDIA_TYPE = 'application/atom+xml';
export const ATOM_CONTENT_TYPE = `${ATOM_MEDIA_TYPE}; charset=utf-8`;
const ATOM_NAMESPACE = 'http://www.w3.org/2005/Atom';

/** The `updated` of a feed with no entries: fixed, never the clock, so that the same data is the same bytes. */
export const ATOM_EPOCH = '1970-01-01T00:00:00Z';

/** A moment: a Date, or an RFC 3339 date-time (`2026-04-01T09:30:00.123Z`, `2026-04-01T10:30:00+01:00`). */
export type AtomDate = Date | string;

export interface AtomLink {
  href: string;
  rel?: string | undefined;
  type?: string | undefined;
  hreflang?: string | undefined;
  title?: string | undefined;
  length?: number | undefined;
}

export interface AtomPerson {
  name: string;
  uri?: string | undefined;
  email?: string | undefined;
}

export interface AtomCategory {
  term: string;
  scheme?: string | undefined;
  label?: string | undefined;
}

export interface AtomEntry {
  id: string;
  title: string;
  updated: AtomDate;
  published?: AtomDate | undefined;
  authors?: readonly AtomPerson[] | undefined;
  links?: readonly AtomLink[] | undefined;
  categories?: readonly AtomCategory[] | undefined;
  /** Plain text (`type="text"`). */
  summary?: string | undefined;
  /** Plain text (`type="text"`). */
  content?: string | undefined;
}

export interface AtomFeed {
  id: string;
  title: string;
  subtitle?: string | undefined;
  updated: AtomDate;
  /** `xml:lang` of the feed's text (default `en-GB`). */
  lang?: string | undefined;
  authors?: readonly AtomPerson[] | undefined;
  links?: readonly AtomLink[] | undefined;
  generator?: { name: string; uri?: string | undefined; version?: string | undefined } | undefined;
  rights?: string | undefined;
  entries: readonly AtomEntry[];
}

// XML 1.0 §2.2 Char: tab, LF, CR, U+0020–U+D7FF, U+E000–U+FFFD, U+10000–U+10FFFF. With the `u` flag a
// lone surrogate is one code point (D800–DFFF), outside these ranges, so it is replaced too.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const TEXT_SPECIAL = /[&<>\r]/g;
const ATTRIBUTE_SPECIAL = /[&<>"'\t\n\r]/g;
const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  // kept as written: a parser would otherwise normalise them (CR in text; all three in attributes)
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

/** Character data: `&`, `<`, `>` (and CR) escaped; characters XML cannot hold replaced by U+FFFD. */
export function escapeText(value: string): string {
  return value.replace(NOT_XML_CHAR, '\uFFFD').replace(TEXT_SPECIAL, (c) => ENTITIES[c]!);
}

/** An attribute value between double quotes: `& < > " '` and tab, LF, CR escaped as well. */
export function escapeAttribute(value: string): string {
  return value.replace(NOT_XML_CHAR, '\uFFFD').replace(ATTRIBUTE_SPECIAL, (c) => ENTITIES[c]!);
}

const RFC3339 =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

/** An RFC 3339 date-time as Atom writes it (§3.3): a Date in UTC with `Z`; a string checked and kept. */
export function rfc3339(date: AtomDate): string {
  if (date instanceof Date) {
    if (Number.isNaN(date.getTime())) throw new RangeError('Atom: an invalid Date');
    return date.toISOString();
  }
  if (!RFC3339.test(date) || Number.isNaN(Date.parse(date))) {
    throw new RangeError(`Atom: not an RFC 3339 date-time: ${JSON.stringify(date)}`);
  }
  return date;
}

type Attributes = Record<string, string | number | undefined>;

function attributes(values: Attributes): string {
  return Object.entries(values)
    .filter((pair): pair is [string, string | number] => pair[1] !== undefined)
    .map(([name, value]) => ` ${name}="${escapeAttribute(String(value))}"`)
    .join('');
}

function element(indent: string, name: string, text: string, attrs: Attributes = {}): string {
  return `${indent}<${name}${attributes(attrs)}>${escapeText(text)}</${name}>\n`;
}

function person(indent: string, name: 'author', who: AtomPerson): string {
  const inner = `${indent}  `;
  return (
    `${indent}<${name}>\n` +
    element(inner, 'name', who.name) +
    (who.uri === undefined ? '' : element(inner, 'uri', who.uri)) +
    (who.email === undefined ? '' : element(inner, 'email', who.email)) +
    `${indent}</${name}>\n`
  );
}

function link(indent: string, { href, rel, type, hreflang, title, length }: AtomLink): string {
  return `${indent}<link${attributes({ rel, type, href, hreflang, title, length })}/>\n`;
}

function category(indent: string, { term, scheme, label }: AtomCategory): string {
  return `${indent}<category${attributes({ term, scheme, label })}/>\n`;
}

function required(value: string, what: string): string {
  if (value.trim() === '') throw new RangeError(`Atom: ${what} must not be empty`);
  return value;
}

function entry(value: AtomEntry, index: number): string {
  const indent = '    ';
  const where = `entry ${index + 1}`;
  return (
    '  <entry>\n' +
    element(indent, 'id', required(value.id, `the id of ${where}`)) +
    element(indent, 'title', value.title, { type: 'text' }) +
    element(indent, 'updated', rfc3339(value.updated)) +
    (value.published === undefined ? '' : element(indent, 'published', rfc3339(value.published))) +
    (value.authors ?? []).map((who) => person(indent, 'author', who)).join('') +
    (value.links ?? []).map((each) => link(indent, each)).join('') +
    (value.categories ?? []).map((each) => category(indent, each)).join('') +
    (value.summary === undefined ? '' : element(indent, 'summary', value.summary, { type: 'text' })) +
    (value.content === undefined ? '' : element(indent, 'content', value.content, { type: 'text' })) +
    '  </entry>\n'
  );
}

/**
 * An Atom 1.0 feed document, UTF-8, deterministic (the same values give the same bytes). Entries are
 * written in the order given: sort them first (newest first, by convention).
 */
export function atomFeed(feed: AtomFeed): string {
  const authors = feed.authors ?? [];
  const orphan = feed.entries.findIndex((each) => (each.authors ?? []).length === 0);
  if (authors.length === 0 && (orphan !== -1 || feed.entries.length === 0)) {
    throw new RangeError('Atom: the feed needs an author, as not every entry has one (RFC 4287 §4.1.1)');
  }
  const indent = '  ';
  const generator = feed.generator;
  return (
    '<?xml version="1.0" encoding="utf-8"?>\n' +
    `<feed${attributes({ xmlns: ATOM_NAMESPACE, 'xml:lang': feed.lang ?? 'en-GB' })}>\n` +
    element(indent, 'id', required(feed.id, 'the feed id')) +
    element(indent, 'title', feed.title, { type: 'text' }) +
    (feed.subtitle === undefined ? '' : element(indent, 'subtitle', feed.subtitle, { type: 'text' })) +
    element(indent, 'updated', rfc3339(feed.updated)) +
    authors.map((who) => person(indent, 'author', who)).join('') +
    (feed.links ?? []).map((each) => link(indent, each)).join('') +
    (generator === undefined
      ? ''
      : element(indent, 'generator', generator.name, { uri: generator.uri, version: generator.version })) +
    (feed.rights === undefined ? '' : element(indent, 'rights', feed.rights, { type: 'text' })) +
    feed.entries.map(entry).join('') +
    '</feed>\n'
  );
}
