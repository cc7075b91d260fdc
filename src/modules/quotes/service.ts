import { type Breakdown, breakdownRows, type CostModel, priceCostModel } from '../../domain/pricing/index.js';
import { attachment, toCsv } from '../../http/csv.js';
import { rateTables } from '../rates/repository.js';

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
