import { z } from 'zod';
import { ProblemError } from './errors.js';
import { problem, problemTypes } from './problem.js';

/** Opaque cursors for list endpoints: the sort key of the last item served, base64url-encoded JSON. */
export function encodeCursor(values: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

export function decodeCursor(cursor: string, length: number): string[] {
  try {
    const values: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(values) && values.length === length && values.every((v) => typeof v === 'string')) {
      return values as string[];
    }
  } catch {
    // fall through to the problem below
  }
  throw new ProblemError(
    problem(400, 'The cursor is not one this service gave out', problemTypes.validation, {
      errors: [{ pointer: '/cursor', message: 'is not a valid cursor', in: 'query' }],
    }),
  );
}

export const pageQuery = {
  cursor: z.string().max(500).optional().describe('The `nextCursor` of the previous page'),
  limit: z.coerce.number().int().min(1).max(200).default(50).describe('Items per page (1–200, default 50)'),
};

export const page = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
  });

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
