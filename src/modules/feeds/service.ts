import { createHash } from 'node:crypto';
import type { PublicContext } from '../../core/context.js';
import { notFound } from '../../core/errors.js';
import { assertOrganisation, type Principal } from '../../core/principal.js';
import {
  ATOM_EPOCH,
  type AtomCategory,
  type AtomFeed,
  type AtomLink,
  type AtomPerson,
  atomFeed,
  rfc3339,
} from '../../formats/atom.js';
import { findCouncil } from '../councils/index.js';
import { todayInEngland } from '../fee-schedules/index.js';
import { findOrganisation } from '../organisations/index.js';
import { feeScheduleSource } from './fee-schedule-source.js';
import { upliftNoticeSource } from './uplift-notice-source.js';

/** The most entries a feed carries: the latest, newest first. */
export const FEED_LIMIT = 50;

/** A link of an entry; `href` may be a path (`/v1/…`), made absolute against the request's address. */
export type FeedLink = AtomLink;

/**
 * One entry of a feed, whatever it tells of (a published fee schedule, later an uplift notice): plain
 * values, no XML. `updated` and `published` are RFC 3339 date-times; the feed is sorted by `updated`.
 * `id` must be a permanent URI of the thing told of (e.g. `urn:uuid:<its id>`), never reused.
 */
export interface FeedEntry {
  id: string;
  title: string;
  updated: string;
  published?: string | undefined;
  links: readonly FeedLink[];
  /** Plain text, a few sentences: the figures already stored, nothing worked out anew. */
  summary: string;
  categories: readonly AtomCategory[];
  /** Who published what the entry tells of (a provider); `uri` may be a path too. */
  author?: AtomPerson | undefined;
}

/**
 * Whose feed is being made. A council's feed is made for the public, or for the council itself
 * (`audience: 'council'`: an admin key, or a commissioner key for that council), which may also see
 * what is private to the council (where it places children; its uplift notices). A finance key reads
 * the public feed narrowed to its own organisation (`organisationId`), as it does every published list.
 */
export type FeedSubject =
  | { kind: 'organisation'; organisationId: string; name: string; audience: 'public' }
  | {
      kind: 'council';
      councilCode: string;
      name: string;
      audience: 'public' | 'council';
      organisationId?: string | undefined;
    };

/** What a source is given besides the subject: the database, the clock, and today in England. */
export interface FeedSourceContext extends PublicContext {
  today: string;
}

/**
 * A kind of entry a feed carries. To add one (e.g. a council's uplift notices), write a FeedSource
 * whose `entries` returns its newest `limit` entries for the subject, and put it in FEED_SOURCES (or
 * pass it to feedRoutes as `sources`): its entries are merged with the others by `updated`.
 */
export interface FeedSource {
  /** A name for the source (logs and tests). */
  name: string;
  /** The feeds it adds entries to. */
  feeds: readonly FeedSubject['kind'][];
  /**
   * Who may see its entries: `public`, anyone who may read the feed; `council`, only a reader of a
   * council's feed for that council (the source is not even asked otherwise).
   */
  audience: 'public' | 'council';
  /** Its newest entries for the subject, at most `limit` of them, in any order. */
  entries(ctx: FeedSourceContext, subject: FeedSubject, limit: number): Promise<readonly FeedEntry[]>;
}

/** The entry sources every feed is made from, by default. */
export const FEED_SOURCES: readonly FeedSource[] = [feeScheduleSource, upliftNoticeSource];

/** Who reads a feed: the public context, the key presented if any, and the service's address as the request gave it. */
export interface FeedReader extends PublicContext {
  principal?: Principal | undefined;
  /** `https://host[:port]`: what the feed's links are made absolute against. */
  baseUrl: string;
}

/** A feed as served: its bytes, their strong ETag, and whether it holds data private to the key. */
export interface ServedFeed {
  body: string;
  etag: string;
  private: boolean;
}

/** True when the key may see a council's own data: an admin key, or a commissioner key for that council. */
export function maySeeCouncil(principal: Principal | undefined, councilCode: string): boolean {
  if (principal?.role === 'admin') return true;
  return principal?.role === 'commissioner' && principal.councils.includes(councilCode);
}

/**
 * The entries of several sources as one list: newest `updated` first (then by id, so that the order
 * is the same every time), each id once, the first `limit`.
 */
export function mergeEntries(lists: readonly (readonly FeedEntry[])[], limit = FEED_LIMIT): FeedEntry[] {
  const seen = new Set<string>();
  const all: Array<{ entry: FeedEntry; at: number }> = [];
  for (const list of lists) {
    for (const entry of list) {
      if (seen.has(entry.id)) continue;
      seen.add(entry.id);
      all.push({ entry, at: Date.parse(rfc3339(entry.updated)) });
    }
  }
  all.sort((a, b) => b.at - a.at || (a.entry.id < b.entry.id ? 1 : a.entry.id > b.entry.id ? -1 : 0));
  return all.slice(0, limit).map(({ entry }) => entry);
}

/** The entries of every source that adds to this subject's feed and whose entries its reader may see. */
export async function collectEntries(
  ctx: FeedSourceContext,
  subject: FeedSubject,
  sources: readonly FeedSource[],
  limit = FEED_LIMIT,
): Promise<FeedEntry[]> {
  const asked = sources.filter(
    (source) =>
      source.feeds.includes(subject.kind) && (source.audience === 'public' || subject.audience === 'council'),
  );
  const lists = await Promise.all(asked.map((source) => source.entries(ctx, subject, limit)));
  return mergeEntries(lists, limit);
}

/** A provider's feed: what it has published, newest first. A finance key sees its own organisation's only. */
export async function organisationFeed(
  ctx: FeedReader,
  organisationId: string,
  sources: readonly FeedSource[] = FEED_SOURCES,
): Promise<ServedFeed> {
  assertOrganisation(ctx.principal, organisationId, 'Organisation');
  const organisation = await findOrganisation(ctx.database.db, organisationId);
  if (!organisation) throw notFound('Organisation');
  const subject: FeedSubject = {
    kind: 'organisation',
    organisationId,
    name: organisation.name,
    audience: 'public',
  };
  const self = `/v1/organisations/${organisationId}/feed`;
  return serve(ctx, subject, sources, {
    id: feedUrn(`organisation:${organisationId}`),
    title: `${organisation.name}: published fee schedules`,
    subtitle: `The fee schedules ${organisation.name} has published for its children's homes, newest first (the latest ${FEED_LIMIT}).`,
    author: { name: organisation.name, uri: self },
    self,
  });
}

/**
 * A council's feed. For the public: the schedules of the homes in its area. For the council itself
 * (maySeeCouncil): also those of the homes where it has a child placed today, and whatever else is
 * private to it. Any other key reads the public feed (a finance key: its own organisation's homes).
 */
export async function councilFeed(
  ctx: FeedReader,
  councilCode: string,
  sources: readonly FeedSource[] = FEED_SOURCES,
): Promise<ServedFeed> {
  const council = await findCouncil(ctx.database.db, councilCode);
  if (council === undefined) throw notFound('Council');
  const { name } = council;
  const { principal } = ctx;
  const forCouncil = maySeeCouncil(principal, councilCode);
  const subject: FeedSubject = {
    kind: 'council',
    councilCode,
    name,
    audience: forCouncil ? 'council' : 'public',
    // a finance key without an organisation sees nothing rather than everything
    ...(principal?.role === 'finance'
      ? { organisationId: principal.organisationId ?? '00000000-0000-0000-0000-000000000000' }
      : {}),
  };
  return serve(ctx, subject, sources, {
    id: feedUrn(forCouncil ? `council:${councilCode}:own` : `council:${councilCode}`),
    title: forCouncil
      ? `${name}: fee schedules of homes in its area and where it places children, and its uplift notices`
      : `Fee schedules of children's homes in ${name}`,
    subtitle: forCouncil
      ? `For ${name} only (it shows where the council places children): fee schedules published for homes in its area and for homes where it has a child placed today, and the uplift notices given to the council, newest first (the latest ${FEED_LIMIT}).`
      : `Fee schedules published for children's homes in ${name}'s area, newest first (the latest ${FEED_LIMIT}).`,
    author: { name: SERVICE_NAME, uri: '/transparency' },
    self: `/v1/councils/${encodeURIComponent(councilCode)}/feed`,
  });
}

const SERVICE_NAME = 'Cost-plus care pricing';

async function serve(
  ctx: FeedReader,
  subject: FeedSubject,
  sources: readonly FeedSource[],
  meta: { id: string; title: string; subtitle: string; author: AtomPerson; self: string },
): Promise<ServedFeed> {
  const today = todayInEngland(ctx.clock());
  const entries = await collectEntries({ ...ctx, today }, subject, sources);
  const absolute = (href: string) => new URL(href, ctx.baseUrl).href;
  const person = (who: AtomPerson): AtomPerson => ({
    ...who,
    ...(who.uri === undefined ? {} : { uri: absolute(who.uri) }),
  });
  const feed: AtomFeed = {
    id: meta.id,
    title: meta.title,
    subtitle: meta.subtitle,
    // the newest entry's: never the clock, so that the same entries are the same bytes (and ETag)
    updated: entries[0]?.updated ?? ATOM_EPOCH,
    authors: [person(meta.author)],
    links: [{ rel: 'self', type: 'application/atom+xml', href: absolute(meta.self) }],
    generator: { name: SERVICE_NAME },
    entries: entries.map((entry) => ({
      id: entry.id,
      title: entry.title,
      updated: entry.updated,
      published: entry.published,
      authors: entry.author ? [person(entry.author)] : [],
      links: entry.links.map((each) => ({ ...each, href: absolute(each.href) })),
      categories: entry.categories,
      summary: entry.summary,
    })),
  };
  const body = atomFeed(feed);
  return {
    body,
    etag: `"${createHash('sha256').update(body).digest('base64url')}"`,
    private: subject.audience === 'council',
  };
}

/** A fixed namespace for the feeds' ids (RFC 9562 name-based UUIDs, version 5). */
const FEED_NAMESPACE = Buffer.from('06909d44e3724456a5354cb820de8078', 'hex');

/** `urn:uuid:` of a name-based UUID (v5): the same name, the same id, on every instance and address. */
export function feedUrn(name: string): string {
  const hash = createHash('sha1').update(FEED_NAMESPACE).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
