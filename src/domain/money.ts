import { Decimal } from 'decimal.js';

// The service's one money stack: exact decimals on BigInt (below). Inputs are decimal strings, every
// figure is worked out on whole units and rounded only by the integer divisions of §3 (half-up,
// floor, largest remainder). decimal.js is kept for the service's edges that still take a Decimal
// (`Dec`, `roundPennies`, `formatGbp` of a Decimal); nothing in the domain's arithmetic goes through it.

/**
 * The one Decimal constructor of the service: 40 significant digits (the method asks for at least 34)
 * and half-up rounding. Never use JavaScript numbers for money.
 */
export const Dec = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_UP });
export type Dec = Decimal;
export type { Decimal };

/** A plain decimal string: optional minus, digits, optional fraction. No exponent, no spaces. */
const DECIMAL_STRING = /^-?\d+(\.\d+)?$/;

/** Half-up to pennies (§3), as a Decimal. */
export function roundPennies(value: Decimal.Value): Decimal {
  return new Dec(value).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
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

/**
 * `"32095"` → `"£32,095.00"`: an amount half-up (away from zero) to pennies, for basis sentences. A
 * decimal string is read exactly; any other value (a Decimal, a number) as its plain decimal text.
 */
export function formatGbp(value: Decimal.Value): string {
  return formatGbpPennies(penniesHalfUp(typeof value === 'string' ? value : new Dec(value).toFixed()));
}

// ---------------------------------------------------------------------------------------------
// Exact decimals on BigInt. A value is `units / 10^places`; additions, subtractions and
// multiplications are exact with no limit on digits, and the only divisions are the integer
// divisions of rounding (floor, half-up, largest remainder), which are exact too.

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

/** Plain text of an exact decimal without trailing zeros: 3.60 → "3.6", 46 → "46". */
export function formatExact(value: Exact): string {
  let { units, places } = value;
  while (places > 0 && units % 10n === 0n) {
    units /= 10n;
    places -= 1;
  }
  return formatUnits(units, places);
}

/** A decimal string as a reader would write it: "0.90" → "0.9", "040" → "40". */
export function plainDecimal(text: string): string {
  return formatExact(exact(text));
}

/** A rate as a percentage, exactly: "0.15" → "15%", "0.005" → "0.5%", "0.850" → "85%". */
export function formatPercent(rate: string): string {
  const { units, places } = exact(rate);
  return `${formatExact(places >= 2 ? { units, places: places - 2 } : { units: units * pow10(2 - places), places: 0 })}%`;
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

/**
 * A change as a percentage of what it changed from: difference ÷ |base| × 100, half-up (away from
 * zero) to 2 dp, so that its sign is the difference's; null when the base is 0.
 */
export function percentChange(difference: bigint, base: bigint): string | null {
  return base === 0n ? null : ratio(difference * 100n, base < 0n ? -base : base, 2);
}

/** `numerator / denominator` (both ≥ 0, denominator > 0) half-up to `places` decimals, as whole units. */
export function divideExactHalfUp(numerator: Exact, denominator: Exact, places: number): bigint {
  return divideHalfUp(
    numerator.units * pow10(places + denominator.places),
    denominator.units * pow10(numerator.places),
  );
}

/**
 * §3 largest remainder, exactly: the one allocation rule of the service (the price's columns and
 * shares, central pool shares, statements' lines, settlement rebates and shares). Part i is worth
 * `numerators[i] × scale / denominator` whole units (scale 100 for pennies of
 * `numerators[i] / denominator`, 10000 for 4-dp shares); each part is floored, then one unit goes to
 * each of the largest remainders, ties to the earlier part, until the parts sum to `targetUnits`
 * (when more units are owed than there are parts, every part first gets the same whole number of
 * them). Remainders share the denominator, so they compare as integers. All numerators must be ≥ 0.
 * Returns whole units; a RangeError when the target is below the sum of the floors.
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

/**
 * A decimal string with at most `places` decimals as whole units of 10^-places: ("1.5", 6) →
 * 1500000n. A RangeError for more decimals (`what` names the kind of figure in the message).
 */
export function unitsAt(
  text: string,
  places: number,
  what = `a decimal with at most ${places} places`,
): bigint {
  const value = exact(text);
  if (value.places > places) throw new RangeError(`not ${what}: ${JSON.stringify(text)}`);
  return value.units * pow10(places - value.places);
}

/** A money string (`"1234.5"`, `"-3"`, at most 2 decimal places) as whole pennies; a RangeError beyond. */
export function penniesOf(text: string): bigint {
  return unitsAt(text, 2, 'money (more than 2 decimal places)');
}

/** A decimal string as pennies, half-up (away from zero) beyond two places: "2.675" → 268n. */
export function penniesHalfUp(text: string): bigint {
  const { units, places } = exact(text);
  if (places <= 2) return units * pow10(2 - places);
  const divisor = pow10(places - 2);
  return units < 0n ? -divideHalfUp(-units, divisor) : divideHalfUp(units, divisor);
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
