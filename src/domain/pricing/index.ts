// The pricing domain's public API (the method: docs/pricing.md).

export { zodIssuesToFieldIssues } from '../errors.js';
export {
  type Breakdown,
  type BreakdownLine,
  breakdownLineSchema,
  breakdownSchema,
  type EnhancementBreakdown,
  type EnhancementLine,
  enhancementBreakdownSchema,
  enhancementLineSchema,
  type RelatedPartyBreakdown,
  type RelatedPartyLine,
} from './breakdown.js';
export {
  type CentralPoolHome,
  type CentralPoolShare,
  centralPoolShares,
  centralProductWords,
  centralShareMessage,
} from './central.js';
export * from './changes.js';
export * from './codes.js';
export {
  type FeeCurve,
  METHOD_VERSION,
  methodVersionOf,
  type PricedFee,
  type PriceOptions,
  priceCostModel,
  priceFee,
} from './engine.js';
export {
  RATE_FIELDS,
  type RateSource,
  type RateSources,
  type RateTable,
  type RateTables,
  type ResolvedRates,
  rateSourcesSchema,
  rateTableSchema,
  rateTablesByYear,
  resolveRates,
  sourceSchema,
} from './rates.js';
export {
  type CostModel,
  type CostModelInput,
  type CoverFigures,
  costModelSchema,
  type Enhancement,
  MAX_COUNT,
  MAX_ENHANCEMENTS,
  MAX_PROPERTY_AND_RUNNING_LINES,
  MAX_STAFFING_LINES,
  MAX_TEXT_LENGTH,
  type PropertyLine,
  parseCostModel,
  type RatesBlock,
  type RelatedParty,
  type RelatedPartyCharge,
  type RunningLine,
  ratesBlockSchema,
  type StaffingLine,
} from './schema.js';
export { BREAKDOWN_TABLE_HEADER, breakdownRows } from './table.js';
