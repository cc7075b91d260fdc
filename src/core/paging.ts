import { isDateInRange, isInstantInRange } from './dates.js';
import { invalidQuery } from './errors.js';

/** Opaque cursors for list endpoints: the sort key of the last item served, base64url-encoded JSON. */
export function encodeCursor(values: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/**
 * What each position of a cursor holds, as the column it is compared with in SQL: `uuid`, `timestamp`
 * (an ISO 8601 instant of 1900–2200), `date` (YYYY-MM-DD of 1900–2200), `int` (a bigint written as a
 * decimal string, ≥ 0) or `text` (at most MAX_CURSOR_TEXT characters, no NUL, no lone surrogate).
 */
export type CursorKind = 'uuid' | 'timestamp' | 'date' | 'int' | 'text';

/** The longest text a cursor carries: an organisation's name (at most 200 characters). */
export const MAX_CURSOR_TEXT = 200;
/**
 * Holds every cursor this service gives out: a text of MAX_CURSOR_TEXT characters that JSON writes
 * six bytes each (\u0001) and a uuid come to some 1,660 characters of base64url.
 */
export const MAX_CURSOR_LENGTH = 2048;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BIGINT = /^(0|[1-9]\d{0,18})$/;
const MAX_BIGINT = 9_223_372_036_854_775_807n;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const LONE_SURROGATE = /\p{Cs}/u;

const kindCheck: Record<CursorKind, (value: string) => boolean> = {
  // lower case, as PostgreSQL writes a uuid: a cursor this service gave out has nothing else
  uuid: (value) => UUID.test(value),
  timestamp: isInstantInRange,
  date: isDateInRange,
  int: (value) => BIGINT.test(value) && BigInt(value) <= MAX_BIGINT,
  text: (value) =>
    value.length <= MAX_CURSOR_TEXT && !value.includes('\u0000') && !LONE_SURROGATE.test(value),
};

function invalidCursor() {
  return invalidQuery('/cursor', 'is not a cursor this service gave out');
}

/**
 * The values of a cursor, one per kind: checked position by position against the column each is
 * compared with, so that a forged cursor is a 400 naming `/cursor`, never a query PostgreSQL refuses.
 * Only the exact bytes this service writes are read (canonical base64url of compact JSON).
 */
export function decodeCursor<const Kinds extends readonly CursorKind[]>(
  cursor: string,
  kinds: Kinds,
): { -readonly [Index in keyof Kinds]: string } {
  if (cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) throw invalidCursor();
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (
    !Array.isArray(values) ||
    values.length !== kinds.length ||
    !values.every((value, index) => typeof value === 'string' && kindCheck[kinds[index]!](value)) ||
    encodeCursor(values as string[]) !== cursor
  ) {
    throw invalidCursor();
  }
  return values as { -readonly [Index in keyof Kinds]: string };
}

/**
 * A page from rows fetched with `limit + 1`: the extra row only tells that there is a next page,
 * whose cursor is the sort key of the last item served.
 */
export function pageOf<Row, Item>(
  rows: readonly Row[],
  limit: number,
  toItem: (row: Row) => Item,
  cursorOf: (item: Item) => readonly (string | number)[],
): { items: Item[]; nextCursor: string | null } {
  const items = rows.slice(0, limit).map(toItem);
  const last = items.at(-1);
  return {
    items,
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(cursorOf(last)) : null,
  };
}
