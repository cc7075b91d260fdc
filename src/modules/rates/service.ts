import { NotFoundError } from '../../core/errors.js';
import type { RateTable } from '../../domain/pricing/rates.js';
import { rateTables } from './repository.js';

/** The tax years a cost model may name in `ratesFrom`, in order. */
export function taxYears(): { taxYears: string[] } {
  return { taxYears: [...rateTables().keys()] };
}

/** One tax year's rate table, or NotFound naming the years there are. */
export function rateTable(taxYear: string): RateTable {
  const table = rateTables().get(taxYear);
  if (!table) {
    throw new NotFoundError(
      `No rate table for tax year ${taxYear}; known: ${[...rateTables().keys()].join(', ')}`,
    );
  }
  return table;
}
