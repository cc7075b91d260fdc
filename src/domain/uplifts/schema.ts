import { z } from 'zod';
import { dayOf } from '../charges/days.js';
import { compareExact, exact } from '../money.js';
import { INDEX_SERIES, TERM_INDICES } from './index.js';

/** A rate as a fraction (0.015 is 1.5%), possibly negative (CPI can fall): at most 6 decimal places. */
const RATE = /^-?\d{1,3}(\.\d{1,6})?$/;
const rate = (description: string) =>
  z
    .string({ message: 'must be a decimal string such as "0.015" (1.5%), not a JSON number' })
    .regex(RATE, { message: 'must be a rate as a fraction, such as "0.015" for 1.5%' })
    .describe(description);

const weight = z
  .string({ message: 'must be a decimal string such as "0.4", not a JSON number' })
  .regex(/^\d{1,2}(\.\d{1,6})?$/, { message: 'must be a weight such as "0.4" (40%)' })
  // a digit other than 0: above 0 (the pattern may have failed: never parse here)
  .refine((value) => /[1-9]/.test(value), { message: 'must be above 0' })
  .describe('The fraction of cost the term moves: "0.4" for 40%.');

export const upliftTermSchema = z
  .strictObject({
    index: z.enum(TERM_INDICES).describe('NLW, RLW, CPI, or FIXED (a fixed rate given in `rate`).'),
    weight,
    rate: rate('FIXED only: the rate, as a fraction.').optional(),
  })
  .superRefine((term, context) => {
    if (term.index === 'FIXED' && term.rate === undefined)
      context.addIssue({ code: 'custom', path: ['rate'], message: 'is required for a FIXED term' });
    if (term.index !== 'FIXED' && term.rate !== undefined)
      context.addIssue({ code: 'custom', path: ['rate'], message: 'is only for a FIXED term' });
  })
  .meta({ id: 'UpliftTerm' });

const terms = z.array(upliftTermSchema).min(1).max(10);

export const upliftFormulaSchema = z
  .strictObject({
    framework: z.string().trim().min(1).max(200).describe("The framework's name."),
    terms: terms.describe('The weighted sum: Σ weight × the index change.'),
    lowerOf: z
      .array(z.strictObject({ terms }))
      .max(5)
      .default([])
      .describe('"Lower of" rules: alternatives worked out like `terms`; the lowest is taken.'),
    floor: rate('The least uplift (a fraction), or null.').nullable().default(null),
    cap: rate('The most uplift (a fraction), or null.').nullable().default(null),
    reviewWhen: z
      .strictObject({
        index: z.enum(INDEX_SERIES),
        above: rate('The change above which the framework provides for a review.'),
      })
      .nullable()
      .default(null)
      .describe('A review clause, e.g. D2N2: reviewed when CPI passes 3%.'),
    noticeDays: z
      .number()
      .int()
      .min(0)
      .max(366)
      .describe('Days of notice the framework asks before a price rise applies.'),
    anniversary: z
      .string()
      .regex(/^\d{2}-\d{2}$/, { message: 'must be MM-DD, e.g. "04-01"' })
      .refine((value) => dayOf(`2024-${value}`) !== undefined, { message: 'must be a day of the year' })
      .describe('MM-DD: the day each year the framework moves prices.'),
  })
  .superRefine((formula, context) => {
    if (
      formula.floor !== null &&
      formula.cap !== null &&
      RATE.test(formula.floor) &&
      RATE.test(formula.cap) &&
      compareExact(exact(formula.floor), exact(formula.cap)) > 0
    ) {
      context.addIssue({ code: 'custom', path: ['floor'], message: 'must not be above the cap' });
    }
  })
  .meta({ id: 'UpliftFormula', description: "A council's framework uplift formula (see docs/uplifts.md)." });

export type UpliftFormulaInput = z.input<typeof upliftFormulaSchema>;
