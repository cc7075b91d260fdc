import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addExact,
  allocateUnits,
  compareExact,
  Dec,
  divideExactHalfUp,
  divideHalfUp,
  exact,
  formatExact,
  formatGbp,
  formatGbpPennies,
  formatPercent,
  formatUnits,
  groupThousands,
  multiplyExact,
  penniesHalfUp,
  penniesOf,
  percentChange,
  plainDecimal,
  ratio,
  roundPennies,
  subtractExact,
  unitsAt,
} from '../../src/domain/money.js';

describe('Dec', () => {
  it('works to 40 significant digits, half-up', () => {
    expect(Dec.precision).toBe(40);
    expect(new Dec(365).div(7).toString()).toBe('52.14285714285714285714285714285714285714');
    expect(new Dec(2).div(3).toString()).toBe('0.6666666666666666666666666666666666666667');
  });
});

describe('parsing and rounding', () => {
  it('parses decimal strings exactly and refuses anything else', () => {
    expect(exact('2400')).toEqual({ units: 2400n, places: 0 });
    expect(exact('-0.15')).toEqual({ units: -15n, places: 2 });
    for (const bad of ['', '1e5', '1,000', ' 1', '.5', '1.', 'NaN', 'Infinity']) {
      expect(() => exact(bad)).toThrow(RangeError);
    }
  });

  it('reads money as pennies, and decimals as units at a number of places', () => {
    expect(penniesOf('1234.5')).toBe(123450n);
    expect(penniesOf('-3')).toBe(-300n);
    expect(() => penniesOf('1.005')).toThrow('not money (more than 2 decimal places): "1.005"');
    expect(unitsAt('0.05', 6)).toBe(50_000n);
    expect(unitsAt('1', 6)).toBe(1_000_000n);
    expect(() => unitsAt('0.0000001', 6)).toThrow(RangeError);
  });

  it('rounds half-up (away from zero) to pennies', () => {
    expect(penniesHalfUp('1.005')).toBe(101n);
    expect(penniesHalfUp('1.00499999')).toBe(100n);
    expect(penniesHalfUp('-1.005')).toBe(-101n);
    expect(penniesHalfUp('2.675')).toBe(268n);
    expect(penniesHalfUp('12.5')).toBe(1250n);
    expect(roundPennies('1.005').toFixed(2)).toBe('1.01');
    expect(roundPennies('-1.005').toFixed(2)).toBe('-1.01');
  });

  it('divides half-up to a number of places, away from zero', () => {
    expect(ratio(365n, 7n, 6)).toBe('52.142857');
    expect(ratio(-1n, 8n, 2)).toBe('-0.13');
    expect(ratio(1n, 8n, 2)).toBe('0.13');
    expect(percentChange(50n, 200n)).toBe('25.00');
    expect(percentChange(-1n, 3n)).toBe('-33.33');
    expect(percentChange(-50n, -200n)).toBe('-25.00');
    expect(percentChange(1n, 0n)).toBeNull();
    expect(divideHalfUp(5n, 10n)).toBe(1n);
    expect(divideHalfUp(4n, 10n)).toBe(0n);
  });

  it('formats pounds for basis sentences', () => {
    expect(formatGbp('32095')).toBe('£32,095.00');
    expect(formatGbp('1234567.891')).toBe('£1,234,567.89');
    expect(formatGbp('999.995')).toBe('£1,000.00');
    expect(formatGbp(0)).toBe('£0.00');
    expect(formatGbp('-5')).toBe('-£5.00');
    expect(formatGbp(new Dec('1e21'))).toBe('£1,000,000,000,000,000,000,000.00');
    expect(formatGbp(new Dec('1e-7'))).toBe('£0.00');
    expect(groupThousands('1234567')).toBe('1,234,567');
    expect(groupThousands('-123.45')).toBe('-123.45');
    expect(formatGbpPennies(3209500n)).toBe('£32,095.00');
    expect(formatGbpPennies(-150n)).toBe('-£1.50');
  });

  it('writes rates and figures as a reader would', () => {
    expect(formatPercent('0.15')).toBe('15%');
    expect(formatPercent('0.005')).toBe('0.5%');
    expect(formatPercent('0.850')).toBe('85%');
    expect(formatPercent('1')).toBe('100%');
    expect(formatPercent('0')).toBe('0%');
    expect(plainDecimal('0.90')).toBe('0.9');
    expect(plainDecimal('040')).toBe('40');
    expect(plainDecimal('37.50')).toBe('37.5');
  });

  it('writes percentages and plain figures as decimal.js would', () => {
    const decimal = fc
      .tuple(fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }), fc.integer({ min: 0, max: 8 }))
      .map(([units, places]) => formatUnits(units, places));
    fc.assert(
      fc.property(decimal, (text) => {
        expect(formatPercent(text)).toBe(`${new Dec(text).times(100).toFixed()}%`);
        expect(plainDecimal(text)).toBe(new Dec(text).toFixed());
        expect(formatGbp(text)).toBe(formatGbpPennies(BigInt(new Dec(text).times(100).toFixed(0))));
      }),
      { numRuns: 300 },
    );
  });
});

describe('allocateUnits (§3 largest remainder)', () => {
  it('gives the pennies to the largest remainders', () => {
    // floors 1.33 + 1.33 + 1.33 = 3.99; the last has the largest remainder (0.004)
    expect(allocateUnits([1333n, 1333n, 1334n], 1000n, 100n, 400n)).toEqual([133n, 133n, 134n]);
    // floors 0.33 × 3 = 0.99; the last remainder (.0034) is the largest
    expect(allocateUnits([3333n, 3333n, 3334n], 10_000n, 100n, 100n)).toEqual([33n, 33n, 34n]);
  });

  it('breaks ties in favour of the earlier part', () => {
    // 1000 × 7 / 365 = 19.178082… three times, fee 57.53
    expect(allocateUnits([7000n, 7000n, 7000n], 365n, 100n, 5753n)).toEqual([1918n, 1918n, 1917n]);
    expect(allocateUnits([5n, 5n], 1000n, 100n, 1n)).toEqual([1n, 0n]);
  });

  it('leaves exact pennies alone', () => {
    expect(allocateUnits([70_000n, 3_500n], 100n, 100n, 73_500n)).toEqual([70_000n, 3_500n]);
    expect(allocateUnits([], 1n, 100n, 0n)).toEqual([]);
  });

  it('gives every part the same pennies first when more are owed than there are parts', () => {
    expect(allocateUnits([5n, 5n], 10n, 100n, 300n)).toEqual([150n, 150n]);
    expect(allocateUnits([5n, 5n], 10n, 100n, 201n)).toEqual([101n, 100n]);
  });

  it('refuses a target over no parts', () => {
    expect(() => allocateUnits([], 1n, 100n, 1n)).toThrow(RangeError);
  });

  const amount = fc
    .tuple(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.integer({ min: 0, max: 6 }))
    .map(([units, places]) => formatUnits(units, places));

  it('allocates decimal amounts to their half-up total, each part within a penny of its exact value', () => {
    fc.assert(
      fc.property(fc.array(amount, { minLength: 1, maxLength: 30 }), (parts) => {
        // every part over the common denominator 10^6
        const numerators = parts.map((part) => unitsAt(part, 6));
        const total = numerators.reduce((sum, n) => sum + n, 0n);
        const target = divideHalfUp(total * 100n, 1_000_000n);
        const result = allocateUnits(numerators, 1_000_000n, 100n, target);
        expect(result.reduce((sum, part) => sum + part, 0n)).toBe(target);
        result.forEach((pennies, i) => {
          const gap = pennies * 10_000n - numerators[i]!;
          expect(gap < 0n ? -gap < 10_000n : gap < 10_000n).toBe(true);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('sums to the target, each part within one unit of its exact value', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 0n, max: 10n ** 15n }), { minLength: 1, maxLength: 20 }),
        fc.bigInt({ min: 1n, max: 10n ** 9n }),
        (numerators, denominator) => {
          const total = numerators.reduce((sum, n) => sum + n, 0n);
          const target = divideHalfUp(total * 100n, denominator);
          const units = allocateUnits(numerators, denominator, 100n, target);
          expect(units.reduce((sum, u) => sum + u, 0n)).toBe(target);
          units.forEach((u, i) => {
            // floor(exact) ≤ u ≤ floor(exact) + 1
            const floor = (numerators[i]! * 100n) / denominator;
            expect(u === floor || u === floor + 1n).toBe(true);
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('breaks exact ties to the earlier part, where 40-digit quotients cannot tell', () => {
    // both remainders are exactly a third of a penny; a 40-digit quotient of the first keeps fewer
    // decimals than the second (it has one more whole digit), so a Decimal allocation would favour
    // the second. The integer allocation compares the remainders exactly.
    const numerators = [657903200429063n, 103468162754072n];
    const target = divideHalfUp((numerators[0]! + numerators[1]!) * 100n, 6n);
    expect(allocateUnits(numerators, 6n, 100n, target)).toEqual([10965053340484384n, 1724469379234533n]);
  });

  it('allocates shares to 4 decimal places that add up to one', () => {
    expect(allocateUnits([1918n, 1918n, 1917n], 5753n, 10_000n, 10_000n)).toEqual([3334n, 3334n, 3332n]);
  });

  it('refuses a bad denominator or a target below the floors', () => {
    expect(() => allocateUnits([1n], 0n, 100n, 0n)).toThrow(RangeError);
    expect(() => allocateUnits([100n], 1n, 100n, 1n)).toThrow(RangeError);
  });
});

describe('exact decimals on BigInt', () => {
  it('parses, adds, subtracts, multiplies and compares without rounding', () => {
    expect(exact('12.50')).toEqual({ units: 1250n, places: 2 });
    expect(formatExact(addExact(exact('0.1'), exact('0.2')))).toBe('0.3');
    expect(formatExact(subtractExact(exact('1'), exact('0.000001')))).toBe('0.999999');
    expect(formatExact(multiplyExact(exact('29500'), exact('1.05')))).toBe('30975');
    expect(compareExact(exact('1.10'), exact('1.1'))).toBe(0);
    expect(compareExact(exact('2'), exact('10'))).toBe(-1);
    expect(formatExact(exact('-3.14159'))).toBe('-3.14159');
    expect(() => exact('1e3')).toThrow(RangeError);
  });

  it('divides half-up to a number of decimal places', () => {
    expect(divideExactHalfUp(exact('1'), exact('8'), 2)).toBe(13n); // 0.125 → 0.13
    expect(divideExactHalfUp(exact('46'), exact('214'), 6)).toBe(214953n);
    expect(formatUnits(5n, 4)).toBe('0.0005');
    expect(formatUnits(-1234n, 2)).toBe('-12.34');
  });

  it('multiplies and adds exactly for any decimals', () => {
    const decimal = fc
      .tuple(fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }), fc.integer({ min: 0, max: 12 }))
      .map(([units, places]) => formatUnits(units, places));
    const Wide = Dec.clone({ precision: 200 });
    fc.assert(
      fc.property(decimal, decimal, (a, b) => {
        expect(formatExact(multiplyExact(exact(a), exact(b)))).toBe(new Wide(a).times(b).toFixed());
        expect(formatExact(addExact(exact(a), exact(b)))).toBe(new Wide(a).plus(b).toFixed());
      }),
      { numRuns: 200 },
    );
  });
});
