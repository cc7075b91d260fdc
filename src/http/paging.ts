import { z } from 'zod';
import { MAX_CURSOR_LENGTH } from '../core/paging.js';

export const pageQuery = {
  cursor: z.string().max(MAX_CURSOR_LENGTH).optional().describe('The `nextCursor` of the previous page'),
  limit: z.coerce.number().int().min(1).max(200).default(50).describe('Items per page (1–200, default 50)'),
};

export const page = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
  });
