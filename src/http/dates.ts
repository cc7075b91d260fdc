import { z } from 'zod';
import {
  DATE_RANGE_MESSAGE,
  FIRST_YEAR,
  INSTANT_RANGE_MESSAGE,
  LAST_YEAR,
  MONTH,
  MONTH_RANGE_MESSAGE,
  YEAR_LABEL,
  yearInRange,
  yearWritten,
} from '../core/dates.js';

/** A calendar date `YYYY-MM-DD` of the years 1900–2200. */
export const isoDate = z.iso
  .date({ message: 'must be a date such as 2026-04-01' })
  .refine(yearWritten, { message: DATE_RANGE_MESSAGE });

/** A month `YYYY-MM` of the years 1900–2200. */
export const isoMonth = z
  .string()
  .regex(MONTH, { message: 'must be a month such as 2026-04' })
  .refine(yearWritten, { message: MONTH_RANGE_MESSAGE });

/** An ISO 8601 date-time with `Z` or an offset, of the years 1900–2200. */
export const isoInstant = z.iso
  .datetime({ offset: true, message: 'must be an ISO 8601 date-time such as 2026-04-01T00:00:00Z' })
  .refine(yearWritten, { message: INSTANT_RANGE_MESSAGE });

/**
 * A year label `YYYY-YY` such as 2026-27 (a financial year from 1 April, a tax year from 6 April):
 * the second part is the year after the first, and both years are within 1900–2200.
 */
export function yearLabel(what: 'financial year' | 'tax year') {
  return z
    .string()
    .regex(YEAR_LABEL, { message: `must be a ${what} such as 2026-27` })
    .superRefine((value, ctx) => {
      const match = YEAR_LABEL.exec(value);
      if (!match) return; // the pattern said so
      if ((Number(match[1]) + 1) % 100 !== Number(match[2])) {
        ctx.addIssue({ code: 'custom', message: `must be a ${what} such as 2026-27`, input: value });
      } else if (!yearInRange(Number(match[1])) || !yearInRange(Number(match[1]) + 1)) {
        ctx.addIssue({
          code: 'custom',
          message: `must be a ${what} between ${FIRST_YEAR}-${String(FIRST_YEAR + 1).slice(2)} and ${LAST_YEAR - 1}-${String(LAST_YEAR).slice(2)}`,
          input: value,
        });
      }
    });
}

export const financialYear = yearLabel('financial year');
export const taxYear = yearLabel('tax year');
