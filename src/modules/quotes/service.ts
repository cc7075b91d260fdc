import { type Breakdown, breakdownRows, type CostModel, priceCostModel } from '../../domain/pricing/index.js';
import { quoteAbout } from '../../formats/breakdown-about.js';
import { breakdownWorkbook } from '../../formats/breakdown-workbook.js';
import { toCsv } from '../../formats/csv.js';
import { attachment } from '../../formats/download.js';
import { rateTables } from '../rates/index.js';
import type { QuoteAnswer } from './cache.js';

/** Prices a cost model by the method; nothing is stored. */
export function quote(model: CostModel): Breakdown {
  return priceCostModel(model, { rateTables: rateTables() });
}

export function quoteCsv(breakdown: Breakdown): { body: string; disposition: string } {
  return {
    body: toCsv(breakdownRows(breakdown)),
    disposition: attachment(`quote-${breakdown.period.label}.csv`),
  };
}

/**
 * The quote as the text sent: JSON serialised once here (the engine's output already has the
 * declared shape, so a second pass through the response schema would only cost time), or CSV.
 */
export function quoteAnswer(model: CostModel, format: 'application/json' | 'text/csv'): QuoteAnswer<string> {
  const breakdown = quote(model);
  if (format === 'text/csv') {
    const csv = quoteCsv(breakdown);
    return { body: csv.body, contentType: 'text/csv; charset=utf-8', disposition: csv.disposition };
  }
  return { body: JSON.stringify(breakdown), contentType: 'application/json; charset=utf-8' };
}

/** The quote as a live workbook (docs/workbooks.md): the model's inputs and formulas giving every figure. */
export async function quoteWorkbook(model: CostModel): Promise<{ body: Buffer; disposition: string }> {
  const breakdown = quote(model);
  return {
    body: await breakdownWorkbook(model, breakdown, quoteAbout(breakdown)),
    disposition: attachment(`quote-${breakdown.period.label}.xlsx`),
  };
}
