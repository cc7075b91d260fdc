// Method §7, related-party excess in actuals: what a home may pay each related party, per party and
// code, over a period (pure: no I/O, no clock, no randomness).
//
// THE ALLOWANCE (settlement rule v3, item 4)
//
// For one home, one related party (its register reference) and one cost code, the allowance for a
// period is the market amount of the fee schedules in force in it, pro rata by days:
//
//     allowance = Σ over the home's schedules in force  marketAnnual × days in force ÷ days in period
//
// where the schedules in force and their days are the charging rule's (feesInForce: the latest
// effectiveFrom on or before each day; days held over after a schedule's own period count as days in
// force), marketAnnual is the sum of the `marketAnnualAmount`s of that schedule's §6 related-party
// lines of that party and code (for CENTRAL_OVERHEAD, this home's share of the component), and
// "days in period" is the schedule's own `daysInPeriod`. The sum is kept exact (a fraction of whole
// pennies) and rounded half-up to the penny once. A party and code with a market amount in no
// schedule in force has an allowance of 0.00: everything paid to it is excess.

import { type ChargeSchedule, feesInForce } from '../charges/index.js';
import { DomainValidationError } from '../errors.js';
import { divideHalfUp, formatPennies, penniesOf } from '../money.js';
import { type CostModel, priceCostModel, type RateTables } from '../pricing/index.js';
import { byCodeOrder } from './index.js';

/** A §6 market amount of one schedule, for a year (its own period), per party and code. */
export interface ScheduleMarketAmount {
  partyId: string;
  code: string;
  /** Whole pennies: the sum of the schedule's lines of that party and code. */
  marketAnnualPennies: bigint;
}

/** What the allowance needs of a schedule's priced model: its days in period and market amounts. */
export interface ScheduleMarket {
  daysInPeriod: number;
  amounts: ScheduleMarketAmount[];
  /** The model's related parties (§6), by id: the name and relationship it gives them. */
  parties: Array<{ id: string; name: string; relationship: string }>;
}

const NO_MARKET: ScheduleMarket = { daysInPeriod: 1, amounts: [], parties: [] };

/**
 * The related-party market amounts of a frozen cost model, priced by the engine (method §6). A model
 * without `relatedParties` has none and is not priced. Throws DomainValidationError when the model
 * cannot be priced.
 */
export function marketOf(
  model: CostModel,
  options: { rateTables?: RateTables | undefined } = {},
): ScheduleMarket {
  if (model.relatedParties === undefined || model.relatedParties.length === 0) return NO_MARKET;
  const breakdown = priceCostModel(model, { rateTables: options.rateTables });
  const sums = new Map<string, ScheduleMarketAmount>();
  for (const party of breakdown.relatedParties ?? []) {
    for (const line of party.lines) {
      const key = `${party.id}\u0000${line.code}`;
      const entry = sums.get(key) ?? { partyId: party.id, code: line.code, marketAnnualPennies: 0n };
      entry.marketAnnualPennies += penniesOf(line.marketAnnualAmount);
      sums.set(key, entry);
    }
  }
  return {
    daysInPeriod: breakdown.daysInPeriod,
    amounts: [...sums.values()],
    parties: (breakdown.relatedParties ?? []).map((party) => ({
      id: party.id,
      name: party.name,
      relationship: party.relationship,
    })),
  };
}

export interface RelatedPartyAllowance {
  partyId: string;
  code: string;
  /** Money string, half-up to the penny. */
  amount: string;
}

/** A fraction of whole pennies, kept exact until the one rounding. */
interface Fraction {
  numerator: bigint;
  denominator: bigint;
}

/**
 * The allowances of one home over `from`..`to` (both included), per related party and code, by the
 * rule at the top of this file: sorted by party id, then in the closed list's code order. `market`
 * gives a schedule's market amounts (pass a cached lookup to price each schedule once); by default
 * the schedule's model is priced here.
 */
export function relatedPartyAllowances(input: {
  from: string;
  to: string;
  /** The home's schedules (of one home only). */
  schedules: readonly ChargeSchedule[];
  rateTables?: RateTables | undefined;
  market?: (schedule: ChargeSchedule) => ScheduleMarket;
}): RelatedPartyAllowance[] {
  const market =
    input.market ??
    ((schedule: ChargeSchedule) => marketOf(schedule.model, { rateTables: input.rateTables }));
  const sums = new Map<string, { partyId: string; code: string; exact: Fraction }>();
  const withMarket = input.schedules.filter(
    (schedule) => schedule.model.relatedParties !== undefined && schedule.model.relatedParties.length > 0,
  );
  if (withMarket.length === 0) return [];
  for (const fee of feesInForce({ from: input.from, to: input.to, schedules: input.schedules })) {
    const priced = market(fee.schedule);
    const days = BigInt(fee.days);
    const denominator = BigInt(priced.daysInPeriod);
    for (const amount of priced.amounts) {
      const key = `${amount.partyId}\u0000${amount.code}`;
      const entry = sums.get(key) ?? {
        partyId: amount.partyId,
        code: amount.code,
        exact: { numerator: 0n, denominator: 1n },
      };
      // a/b + c/d = (ad + cb) / bd, exactly
      entry.exact = {
        numerator:
          entry.exact.numerator * denominator + amount.marketAnnualPennies * days * entry.exact.denominator,
        denominator: entry.exact.denominator * denominator,
      };
      sums.set(key, entry);
    }
  }
  return [...sums.values()]
    .sort((a, b) => (a.partyId < b.partyId ? -1 : a.partyId > b.partyId ? 1 : byCodeOrder(a.code, b.code)))
    .map((entry) => ({
      partyId: entry.partyId,
      code: entry.code,
      amount: formatPennies(divideHalfUp(entry.exact.numerator, entry.exact.denominator)),
    }));
}

/**
 * Prices each schedule once (by id) for {@link relatedPartyAllowances}: the cache of one settlement.
 * A model that cannot be priced is refused with a pointer to the home and schedule.
 */
export function marketCache(
  rateTables: RateTables | undefined,
): (schedule: ChargeSchedule) => ScheduleMarket {
  const cache = new Map<string, ScheduleMarket>();
  return (schedule) => {
    let priced = cache.get(schedule.id);
    if (priced === undefined) {
      try {
        priced = marketOf(schedule.model, { rateTables });
      } catch (error) {
        if (error instanceof DomainValidationError) {
          throw new DomainValidationError(
            error.issues.map((issue) => ({
              pointer: `/homes/${schedule.homeId}/schedules/${schedule.id}/model${issue.pointer}`,
              message: issue.message,
            })),
          );
        }
        throw error;
      }
      cache.set(schedule.id, priced);
    }
    return priced;
  };
}
