import { z } from 'zod';
import { DomainValidationError } from '../errors.js';
import { isoDate, isoDay, money, type RatesBlock, ratesBlockSchema, taxYear, text } from './schema.js';

// Rate tables: the statutory figures for one UK tax year with the public source of each, so that a
// cost model can say `"ratesFrom": "2026-27"` instead of typing the rates in.

export const RATE_FIELDS = [
  'employerNiRate',
  'niSecondaryThresholdAnnual',
  'employerPensionRate',
  'pensionBasis',
  'pensionQualifyingLowerAnnual',
  'pensionQualifyingUpperAnnual',
  'apprenticeshipLevyRate',
] as const satisfies readonly (keyof RatesBlock)[];

export const sourceSchema = z.strictObject({
  title: text(),
  url: z
    .string()
    .max(500, { error: 'must be at most 500 characters' })
    .regex(/^https:\/\/\S+$/, { error: 'must be an https URL' }),
  note: z.string().min(1).max(1000, { error: 'must be at most 1000 characters' }).optional(),
});
export type RateSource = z.infer<typeof sourceSchema>;

export const rateSourcesSchema = z.strictObject({
  employerNiRate: sourceSchema,
  niSecondaryThresholdAnnual: sourceSchema,
  employerPensionRate: sourceSchema,
  pensionBasis: sourceSchema,
  pensionQualifyingLowerAnnual: sourceSchema,
  pensionQualifyingUpperAnnual: sourceSchema,
  apprenticeshipLevyRate: sourceSchema,
  nationalLivingWage: sourceSchema,
});
export type RateSources = z.infer<typeof rateSourcesSchema>;

export const rateTableSchema = z
  .strictObject({
    taxYear: taxYear(),
    validFrom: isoDate(),
    validTo: isoDate(),
    rates: ratesBlockSchema,
    nationalLivingWage: z.strictObject({
      hourlyRate: money(),
      ageFrom: z.number().int().min(16).max(99),
    }),
    sources: rateSourcesSchema,
  })
  .superRefine(
    (table, ctx) => {
      const from = isoDay(table.validFrom);
      const to = isoDay(table.validTo);
      if (from !== undefined && to !== undefined && to < from) {
        ctx.addIssue({
          code: 'custom',
          path: ['validTo'],
          message: 'must not be before validFrom',
          input: table.validTo,
        });
      }
      if (typeof table.taxYear === 'string' && typeof table.validFrom === 'string') {
        if (table.validFrom.slice(0, 4) !== table.taxYear.slice(0, 4)) {
          ctx.addIssue({
            code: 'custom',
            path: ['validFrom'],
            message: `must fall in the first year of tax year ${table.taxYear}`,
            input: table.validFrom,
          });
        }
      }
    },
    {
      when: (payload) =>
        typeof payload.value === 'object' && payload.value !== null && !Array.isArray(payload.value),
    },
  );
export type RateTable = z.infer<typeof rateTableSchema>;

export type RateTables = ReadonlyMap<string, RateTable> | Readonly<Record<string, RateTable>>;

/** The rates a model prices with and, when they came from a table, which table and its sources. */
export interface ResolvedRates {
  rates: RatesBlock;
  ratesFrom?: { taxYear: string; sources: RateSources };
}

function lookup(tables: RateTables | undefined, year: string): RateTable | undefined {
  if (tables === undefined) return undefined;
  if (tables instanceof Map) return tables.get(year);
  const record = tables as Readonly<Record<string, RateTable>>;
  return Object.hasOwn(record, year) ? record[year] : undefined;
}

/** Indexes rate tables by tax year. */
export function rateTablesByYear(tables: Iterable<RateTable>): Map<string, RateTable> {
  const byYear = new Map<string, RateTable>();
  for (const table of tables) byYear.set(table.taxYear, table);
  return byYear;
}

/**
 * The rates a model prices with: its own `rates` block, or the table its `ratesFrom` names.
 * Throws DomainValidationError at `/ratesFrom` when no table for that tax year is known.
 */
export function resolveRates(
  model: { rates?: RatesBlock | undefined; ratesFrom?: string | undefined },
  tables?: RateTables,
): ResolvedRates {
  if (model.rates !== undefined) {
    if (model.ratesFrom !== undefined) {
      throw new DomainValidationError([
        { pointer: '/ratesFrom', message: 'give either rates or ratesFrom, not both' },
      ]);
    }
    return { rates: model.rates };
  }
  if (model.ratesFrom === undefined) {
    throw new DomainValidationError([
      { pointer: '/rates', message: 'is required (or name a rate table by tax year with ratesFrom)' },
    ]);
  }
  const table = lookup(tables, model.ratesFrom);
  if (table === undefined) {
    throw new DomainValidationError([
      { pointer: '/ratesFrom', message: `no rate table is known for tax year ${model.ratesFrom}` },
    ]);
  }
  return { rates: table.rates, ratesFrom: { taxYear: table.taxYear, sources: table.sources } };
}
