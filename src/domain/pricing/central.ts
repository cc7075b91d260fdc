import {
  allocateUnits,
  type Exact,
  exact,
  formatGbpPennies,
  formatPennies,
  groupThousands,
  penniesOf,
  plainDecimal,
  pow10,
  ratio,
} from '../money.js';

// §2 central overhead and §7 "Shares add up". A pool shared among an organisation's homes is split
// into penny shares by largest remainder, so that the homes' CENTRAL_OVERHEAD lines sum to the pool
// exactly; a model may give its share as `central.annualAmount` in place of the product
// poolAnnual × homeUnits / totalUnits, and the share must lie within a penny of that product.

/** One home's units of the basis the pool is shared by (places, staff FTE, or 1 for equal shares). */
export interface CentralPoolHome {
  readonly homeId: string;
  /** A plain decimal string ≥ 0, such as "4" or "12.5". */
  readonly units: string;
}

/** One home's share of the pool, in pounds with two decimals. */
export interface CentralPoolShare {
  homeId: string;
  annualAmount: string;
}

/** A non-negative decimal string, exactly; a RangeError names the argument otherwise. */
function nonNegative(text: string, what: string): Exact {
  let value: Exact;
  try {
    value = exact(text);
  } catch {
    throw new RangeError(`${what} must be a decimal string, not ${JSON.stringify(text)}`);
  }
  if (value.units < 0n) throw new RangeError(`${what} must not be negative, not ${text}`);
  return value;
}

/** A money string ≥ 0 as whole pennies; a RangeError names the argument otherwise. */
function poolPennies(text: string, what: string): bigint {
  const value = nonNegative(text, what);
  if (value.places > 2) throw new RangeError(`${what} must have at most 2 decimal places, not ${text}`);
  return penniesOf(text);
}

/**
 * §7 Each home's share of a central pool: the exact share pool × units ÷ Σunits floored to pennies,
 * then the pool's remaining pennies one each to the largest remainders, ties to the earlier home by
 * id, so that the shares sum to the pool exactly and each lies within a penny of its exact share.
 * Returns the homes in id order. Throws a RangeError for a malformed pool or units, a repeated
 * home id, or units that sum to zero (there is nothing to share the pool by).
 */
export function centralPoolShares(poolAnnual: string, homes: readonly CentralPoolHome[]): CentralPoolShare[] {
  const pool = poolPennies(poolAnnual, 'poolAnnual');
  // §7 ties go to the earlier home by id: order by id (code units, as PostgreSQL orders a uuid's text)
  const ordered = [...homes].sort((a, b) => (a.homeId < b.homeId ? -1 : a.homeId > b.homeId ? 1 : 0));
  for (let i = 1; i < ordered.length; i += 1) {
    if (ordered[i]!.homeId === ordered[i - 1]!.homeId) {
      throw new RangeError(`home ${ordered[i]!.homeId} is listed twice`);
    }
  }
  const units = ordered.map((home) => nonNegative(home.units, `units of home ${home.homeId}`));
  const places = units.reduce((most, value) => Math.max(most, value.places), 0);
  const whole = units.map((value) => value.units * pow10(places - value.places));
  const total = whole.reduce((sum, value) => sum + value, 0n);
  if (total === 0n) throw new RangeError('the homes have no units to share the pool by');
  // share_i in pennies = pool × u_i / Σu; allocateUnits floors each, then hands out the rest (§3)
  const shares = allocateUnits(
    whole.map((value) => value * pool),
    total,
    1n,
    pool,
  );
  return ordered.map((home, i) => ({ homeId: home.homeId, annualAmount: formatPennies(shares[i]!) }));
}

/** The exact product poolAnnual × homeUnits ÷ totalUnits in pennies, as numerator ÷ denominator. */
function productInPennies(poolAnnual: string, homeUnits: string, totalUnits: string) {
  const pool = exact(poolAnnual);
  const home = exact(homeUnits);
  const total = exact(totalUnits);
  return {
    numerator: pool.units * home.units * 100n * pow10(total.places),
    denominator: total.units * pow10(pool.places + home.places),
  };
}

/**
 * "£720,000.00 × 4 ÷ 7 ≈ £411,428.5714", or with the basis "£720,000.00 pool × 4 ÷ 7 units (places)
 * ≈ £411,428.5714": the product a share stands in for, to 4 decimal places, with "=" when that is
 * exact. For basis sentences and messages.
 */
export function centralProductWords(
  poolAnnual: string,
  homeUnits: string,
  totalUnits: string,
  basisWords?: string,
): string {
  const { numerator, denominator } = productInPennies(poolAnnual, homeUnits, totalUnits);
  // the product in pounds to 4 dp; an exact one keeps only the decimals it needs beyond pennies
  const isExact = (numerator * 100n) % denominator === 0n;
  let product = ratio(numerator, denominator * 100n, 4);
  if (isExact) product = product.replace(/0{1,2}$/, '');
  const pool = formatGbpPennies(poolPennies(poolAnnual, 'poolAnnual'));
  const home = plainDecimal(homeUnits);
  const total = plainDecimal(totalUnits);
  const factors =
    basisWords === undefined
      ? `${pool} × ${home} ÷ ${total}`
      : `${pool} pool × ${home} ÷ ${total} units (${basisWords})`;
  return `${factors} ${isExact ? '=' : '≈'} £${groupThousands(product)}`;
}

/**
 * §7 `central.annualAmount` must lie within a penny of poolAnnual × homeUnits ÷ totalUnits (a
 * difference of exactly one penny is within). Returns the message for a share outside that range,
 * or undefined when it lies within. All four arguments must be well-formed and totalUnits above 0.
 */
export function centralShareMessage(central: {
  poolAnnual: string;
  homeUnits: string;
  totalUnits: string;
  annualAmount: string;
}): string | undefined {
  const { numerator, denominator } = productInPennies(
    central.poolAnnual,
    central.homeUnits,
    central.totalUnits,
  );
  const share = poolPennies(central.annualAmount, 'annualAmount');
  // |share − n/d| ≤ 1 penny, in integers: |share × d − n| ≤ d
  const gap = share * denominator - numerator;
  if ((gap < 0n ? -gap : gap) <= denominator) return undefined;
  const floor = numerator / denominator;
  const low = numerator % denominator === 0n ? floor - 1n : floor;
  return `must be within a penny of this home's share of the pool, poolAnnual × homeUnits ÷ totalUnits (${centralProductWords(central.poolAnnual, central.homeUnits, central.totalUnits)}): from ${formatPennies(low < 0n ? 0n : low)} to ${formatPennies(floor + 1n)}`;
}
