import { readdirSync, readFileSync } from 'node:fs';
import { type RateTable, rateTableSchema } from '../../domain/pricing/rates.js';
import { projectPath } from '../../paths.js';

const ratesDir = projectPath('fixtures', 'rates');

let cached: ReadonlyMap<string, RateTable> | undefined;

/**
 * The statutory rate tables shipped in fixtures/rates/, one file per tax year, read and
 * validated once. A malformed table stops the service at start-up rather than mispricing later.
 */
export function rateTables(): ReadonlyMap<string, RateTable> {
  if (cached) return cached;
  const tables = new Map<string, RateTable>();
  for (const file of readdirSync(ratesDir)
    .filter((name) => name.endsWith('.json'))
    .sort()) {
    const parsed = rateTableSchema.safeParse(JSON.parse(readFileSync(`${ratesDir}/${file}`, 'utf8')));
    if (!parsed.success) {
      throw new Error(`fixtures/rates/${file} is not a valid rate table: ${parsed.error.message}`);
    }
    if (`${parsed.data.taxYear}.json` !== file) {
      throw new Error(`fixtures/rates/${file} holds tax year ${parsed.data.taxYear}; name it after its year`);
    }
    tables.set(parsed.data.taxYear, parsed.data);
  }
  cached = tables;
  return tables;
}
