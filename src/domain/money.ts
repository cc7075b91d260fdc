import { Decimal } from 'decimal.js';

/**
 * The one Decimal constructor of the service: 40 significant digits (the method asks for at least 34)
 * and half-up rounding. Never use JavaScript numbers for money.
 */
export const Dec = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_UP });
export type Dec = Decimal;
export type { Decimal };

/** A plain decimal string: optional minus, digits, optional fraction. No exponent, no spaces. */
const DECIMAL_STRING = /^-?\d+(\.\d+)?$/;

/** Parses a decimal string such as `"2400"` or `"0.15"`; throws a RangeError on anything else. */
export function parseDecimal(value: string): Decimal {
  if (typeof value !== 'string' || !DECIMAL_STRING.test(value)) {
    throw new RangeError(`not a decimal string: ${JSON.stringify(value)}`);
  }
  return new Dec(value);
}

/** Half-up to pennies (§3). */
export function roundPennies(value: Decimal.Value): Decimal {
  return new Dec(value).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
}

/** Down (towards minus infinity) to pennies (§3 largest remainder starts from the floors). */
export function floorPennies(value: Decimal.Value): Decimal {
  return new Dec(value).toDecimalPlaces(2, Decimal.ROUND_FLOOR);
}

/** `1234.5` → `"1234.50"`: half-up to pennies, always two decimals, never an exponent. */
export function formatMoney(value: Decimal.Value): string {
  return new Dec(value).toFixed(2, Decimal.ROUND_HALF_UP);
}

/** Puts commas between thousands in the integer part of a plain decimal string. */
export function groupThousands(fixed: string): string {
  const negative = fixed.startsWith('-');
  const unsigned = negative ? fixed.slice(1) : fixed;
  const dot = unsigned.indexOf('.');
  const integer = dot === -1 ? unsigned : unsigned.slice(0, dot);
  const fraction = dot === -1 ? '' : unsigned.slice(dot);
  let grouped = '';
  for (let end = integer.length; end > 0; end -= 3) {
    const start = Math.max(0, end - 3);
    grouped = grouped === '' ? integer.slice(start, end) : `${integer.slice(start, end)},${grouped}`;
  }
  return `${negative ? '-' : ''}${grouped}${fraction}`;
}

/** `32095` → `"£32,095.00"` (half-up to pennies), for basis sentences. */
export function formatGbp(value: Decimal.Value): string {
  const fixed = formatMoney(value);
  return fixed.startsWith('-') ? `-£${groupThousands(fixed.slice(1))}` : `£${groupThousands(fixed)}`;
}

/**
 * §3 largest remainder: floor each exact amount to pennies, then give one penny to each of the parts
 * with the largest remainders (ties to the earlier part) until the parts add up to `target` exactly.
 *
 * The method only ever needs fewer pennies than there are parts; for the general case this also
 * goes round again when more pennies are needed than there are parts, and, when the target is below
 * the sum of the floors, takes pennies back from the smallest remainders first (ties to the later
 * part), so that the result always sums to the target. `target` must be a whole number of pennies.
 */
export function largestRemainder(exact: readonly Decimal.Value[], target: Decimal.Value): Decimal[] {
  const goal = new Dec(target);
  if (!goal.isFinite() || !goal.eq(goal.toDecimalPlaces(2))) {
    throw new RangeError(`target must be a whole number of pennies, not ${goal.toString()}`);
  }
  const count = exact.length;
  if (count === 0) {
    if (!goal.isZero()) throw new RangeError('cannot allocate a non-zero target over no parts');
    return [];
  }
  const floors: Decimal[] = [];
  const remainders: Decimal[] = [];
  let sum = new Dec(0);
  for (const value of exact) {
    const amount = new Dec(value);
    if (!amount.isFinite()) throw new RangeError('cannot allocate a non-finite amount');
    const floor = amount.toDecimalPlaces(2, Decimal.ROUND_FLOOR);
    floors.push(floor);
    remainders.push(amount.minus(floor));
    sum = sum.plus(floor);
  }
  const pennies = goal.minus(sum).times(100); // a whole number, positive when pennies are owed
  if (pennies.isZero()) return floors;
  const giving = pennies.isPositive();
  const owed = pennies.abs();
  const everyone = owed.divToInt(count); // whole rounds over every part (general case only)
  const rest = owed.minus(everyone.times(count)).toNumber();
  // Largest remainders first, ties to the earlier part; taking back walks the same order reversed.
  const order = remainders
    .map((remainder, index) => ({ remainder, index }))
    .sort((a, b) => b.remainder.cmp(a.remainder) || a.index - b.index)
    .map((entry) => entry.index);
  if (!giving) order.reverse();
  const step = new Dec(giving ? '0.01' : '-0.01');
  const result = floors.map((floor) => (everyone.isZero() ? floor : floor.plus(step.times(everyone))));
  for (let k = 0; k < rest; k += 1) {
    const index = order[k]!;
    result[index] = result[index]!.plus(step);
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Exact decimals on BigInt, for hot paths. A value is `units / 10^places`; additions, subtractions
// and multiplications are exact with no limit on digits, and the only divisions are the integer
// divisions of rounding (floor, half-up, largest remainder), which are exact too. The pricing engine
// works this way because it is ten times faster than decimal.js and never rounds before §3 says so;
// `toDecimal` bridges back to decimal.js.

export interface Exact {
  readonly units: bigint;
  readonly places: number;
}

const POWERS_OF_TEN: bigint[] = [1n];
/** 10^n as a bigint. */
export function pow10(n: number): bigint {
  while (POWERS_OF_TEN.length <= n) POWERS_OF_TEN.push(POWERS_OF_TEN[POWERS_OF_TEN.length - 1]! * 10n);
  return POWERS_OF_TEN[n]!;
}

const EXACT_CACHE = new Map<string, Exact>();
const EXACT_CACHE_LIMIT = 4096;

/** Parses a plain decimal string (`"2400"`, `"-0.15"`) exactly. Parsed strings are remembered. */
export function exact(text: string): Exact {
  const cached = EXACT_CACHE.get(text);
  if (cached !== undefined) return cached;
  if (typeof text !== 'string' || !DECIMAL_STRING.test(text)) {
    throw new RangeError(`not a decimal string: ${JSON.stringify(text)}`);
  }
  const dot = text.indexOf('.');
  const value: Exact =
    dot === -1
      ? { units: BigInt(text), places: 0 }
      : { units: BigInt(text.slice(0, dot) + text.slice(dot + 1)), places: text.length - dot - 1 };
  if (EXACT_CACHE.size >= EXACT_CACHE_LIMIT) EXACT_CACHE.clear();
  EXACT_CACHE.set(text, value);
  return value;
}

export function exactInteger(value: bigint | number): Exact {
  return { units: BigInt(value), places: 0 };
}

/** A finite Decimal as an exact decimal (no rounding). */
export function exactOfDecimal(value: Decimal): Exact {
  return exact(value.toFixed());
}

/** An exact decimal as a Decimal of the service's precision (rounds only beyond 40 digits). */
export function toDecimal(value: Exact): Decimal {
  return new Dec(formatUnits(value.units, value.places));
}

function aligned(value: Exact, places: number): bigint {
  return value.places === places ? value.units : value.units * pow10(places - value.places);
}

export function addExact(a: Exact, b: Exact): Exact {
  if (a.places === b.places) return { units: a.units + b.units, places: a.places };
  const places = Math.max(a.places, b.places);
  return { units: aligned(a, places) + aligned(b, places), places };
}

export function subtractExact(a: Exact, b: Exact): Exact {
  if (a.places === b.places) return { units: a.units - b.units, places: a.places };
  const places = Math.max(a.places, b.places);
  return { units: aligned(a, places) - aligned(b, places), places };
}

export function multiplyExact(a: Exact, b: Exact): Exact {
  return { units: a.units * b.units, places: a.places + b.places };
}

export function scaleExact(a: Exact, factor: bigint): Exact {
  return { units: a.units * factor, places: a.places };
}

export function compareExact(a: Exact, b: Exact): -1 | 0 | 1 {
  const places = Math.max(a.places, b.places);
  const x = aligned(a, places);
  const y = aligned(b, places);
  return x === y ? 0 : x > y ? 1 : -1;
}

export function isZeroExact(a: Exact): boolean {
  return a.units === 0n;
}

/** Plain text of an exact decimal without trailing zeros: 3.60 → "3.6", 46 → "46". */
export function formatExact(value: Exact): string {
  let { units, places } = value;
  while (places > 0 && units % 10n === 0n) {
    units /= 10n;
    places -= 1;
  }
  return formatUnits(units, places);
}

/** `numerator / denominator` (both ≥ 0, denominator > 0) rounded half-up to a whole number. */
export function divideHalfUp(numerator: bigint, denominator: bigint): bigint {
  return (2n * numerator + denominator) / (2n * denominator);
}

/** numerator ÷ denominator (denominator > 0) half-up, away from zero, to `places` decimals. */
export function ratio(numerator: bigint, denominator: bigint, places: number): string {
  const negative = numerator < 0n;
  const magnitude = divideHalfUp((negative ? -numerator : numerator) * pow10(places), denominator);
  return formatUnits(negative ? -magnitude : magnitude, places);
}

/** `numerator / denominator` (both ≥ 0, denominator > 0) half-up to `places` decimals, as whole units. */
export function divideExactHalfUp(numerator: Exact, denominator: Exact, places: number): bigint {
  return divideHalfUp(
    numerator.units * pow10(places + denominator.places),
    denominator.units * pow10(numerator.places),
  );
}

/**
 * §3 largest remainder, exactly. Part i is worth `numerators[i] × scale / denominator` whole units
 * (scale 100 for pennies of `numerators[i] / denominator`, 10000 for 4-dp shares); each part is
 * floored, then one unit goes to each of the largest remainders, ties to the earlier part, until
 * the parts sum to `targetUnits`. Remainders share the denominator, so they compare as integers.
 * All numerators must be ≥ 0. Returns whole units.
 */
export function allocateUnits(
  numerators: readonly bigint[],
  denominator: bigint,
  scale: bigint,
  targetUnits: bigint,
): bigint[] {
  if (denominator <= 0n) throw new RangeError('denominator must be positive');
  const count = numerators.length;
  const floors: bigint[] = [];
  const remainders: bigint[] = [];
  let sum = 0n;
  for (let i = 0; i < count; i += 1) {
    const scaled = numerators[i]! * scale;
    const floor = scaled / denominator;
    floors.push(floor);
    remainders.push(scaled % denominator);
    sum += floor;
  }
  let owed = targetUnits - sum;
  if (owed === 0n) return floors;
  if (count === 0) throw new RangeError('cannot allocate a non-zero target over no parts');
  if (owed < 0n) throw new RangeError('target is below the sum of the floors');
  const everyone = owed / BigInt(count);
  if (everyone > 0n) {
    for (let i = 0; i < count; i += 1) floors[i] = floors[i]! + everyone;
    owed -= everyone * BigInt(count);
  }
  if (owed === 0n) return floors;
  const order: number[] = [];
  for (let i = 0; i < count; i += 1) order.push(i);
  order.sort((a, b) => {
    const ra = remainders[a]!;
    const rb = remainders[b]!;
    return ra > rb ? -1 : ra < rb ? 1 : a - b;
  });
  for (let k = 0; owed > 0n; k += 1, owed -= 1n) {
    const index = order[k]!;
    floors[index] = floors[index]! + 1n;
  }
  return floors;
}

/** Whole units with `places` implied decimals as a plain string: (12345n, 2) → `"123.45"`. */
export function formatUnits(units: bigint, places: number): string {
  const negative = units < 0n;
  let digits = (negative ? -units : units).toString();
  if (places === 0) return `${negative ? '-' : ''}${digits}`;
  if (digits.length <= places) digits = digits.padStart(places + 1, '0');
  const cut = digits.length - places;
  return `${negative ? '-' : ''}${digits.slice(0, cut)}.${digits.slice(cut)}`;
}

/** A money string (`"1234.5"`, `"-3"`, at most 2 decimal places) as whole pennies; a RangeError beyond. */
export function penniesOf(text: string): bigint {
  const { units, places } = exact(text);
  if (places > 2) throw new RangeError(`not money (more than 2 decimal places): ${JSON.stringify(text)}`);
  return units * pow10(2 - places);
}

/** Pennies as `"1234.50"`. */
export function formatPennies(pennies: bigint): string {
  return formatUnits(pennies, 2);
}

/** Pennies as `"£1,234.50"`. */
export function formatGbpPennies(pennies: bigint): string {
  return pennies < 0n
    ? `-£${groupThousands(formatUnits(-pennies, 2))}`
    : `£${groupThousands(formatUnits(pennies, 2))}`;
}
