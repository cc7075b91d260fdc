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
  floorPennies,
  formatExact,
  formatGbp,
  formatGbpPennies,
  formatMoney,
  formatUnits,
  groupThousands,
  largestRemainder,
  multiplyExact,
  parseDecimal,
  roundPennies,
  subtractExact,
  toDecimal,
} from '../../src/domain/money.js';

const texts = (values: { toFixed(dp: number): string }[]) => values.map((value) => value.toFixed(2));

describe('Dec', () => {
  it('works to 40 significant digits, half-up', () => {
    expect(Dec.precision).toBe(40);
    expect(new Dec(365).div(7).toString()).toBe('52.14285714285714285714285714285714285714');
    expect(new Dec(2).div(3).toString()).toBe('0.6666666666666666666666666666666666666667');
  });
});

describe('parsing and rounding', () => {
  it('parses decimal strings and refuses anything else', () => {
    expect(parseDecimal('2400').toFixed(2)).toBe('2400.00');
    expect(parseDecimal('-0.15').toString()).toBe('-0.15');
    for (const bad of ['', '1e5', '1,000', ' 1', '.5', '1.', 'NaN', 'Infinity']) {
      expect(() => parseDecimal(bad)).toThrow(RangeError);
    }
  });

  it('rounds half-up and floors to pennies', () => {
    expect(roundPennies('1.005').toFixed(2)).toBe('1.01');
    expect(roundPennies('1.00499999').toFixed(2)).toBe('1.00');
    expect(roundPennies('-1.005').toFixed(2)).toBe('-1.01');
    expect(floorPennies('1.009').toFixed(2)).toBe('1.00');
    expect(floorPennies('-1.001').toFixed(2)).toBe('-1.01');
  });

  it('formats money with two decimals and never an exponent', () => {
    expect(formatMoney('1234.5')).toBe('1234.50');
    expect(formatMoney(new Dec('1e-7'))).toBe('0.00');
    expect(formatMoney(new Dec('1e21'))).toBe('1000000000000000000000.00');
    expect(formatMoney('2.675')).toBe('2.68');
  });

  it('formats pounds for basis sentences', () => {
    expect(formatGbp('32095')).toBe('£32,095.00');
    expect(formatGbp('1234567.891')).toBe('£1,234,567.89');
    expect(formatGbp('999.995')).toBe('£1,000.00');
    expect(formatGbp(0)).toBe('£0.00');
    expect(formatGbp('-5')).toBe('-£5.00');
    expect(groupThousands('1234567')).toBe('1,234,567');
    expect(groupThousands('-123.45')).toBe('-123.45');
    expect(formatGbpPennies(3209500n)).toBe('£32,095.00');
  });
});

describe('largestRemainder (§3)', () => {
  it('gives the pennies to the largest remainders', () => {
    // floors 1.33 + 1.33 + 1.33 = 3.99; the last has the largest remainder (0.004)
    expect(texts(largestRemainder(['1.333', '1.333', '1.334'], '4.00'))).toEqual(['1.33', '1.33', '1.34']);
    // floors 0.33 × 3 = 0.99; remainders .0033 each: the penny goes to the earliest
    expect(texts(largestRemainder(['0.3333', '0.3333', '0.3334'], '1.00'))).toEqual(['0.33', '0.33', '0.34']);
  });

  it('breaks ties in favour of the earlier line', () => {
    const third = new Dec(1000).times(7).div(365); // 19.178082… three times, fee 57.53
    expect(texts(largestRemainder([third, third, third], '57.53'))).toEqual(['19.18', '19.18', '19.17']);
    expect(texts(largestRemainder(['0.005', '0.005'], '0.01'))).toEqual(['0.01', '0.00']);
  });

  it('leaves exact pennies alone', () => {
    expect(texts(largestRemainder(['700', '35'], '735.00'))).toEqual(['700.00', '35.00']);
    expect(largestRemainder([], 0)).toEqual([]);
  });

  it('handles the general case: many more pennies than parts, or fewer than the floors', () => {
    expect(texts(largestRemainder(['0.5', '0.5'], '3.00'))).toEqual(['1.50', '1.50']);
    expect(texts(largestRemainder(['0.5', '0.5'], '2.01'))).toEqual(['1.01', '1.00']);
    // floors 1.00 + 2.00 = 3.00 > 2.99: the penny comes back from the smallest remainder
    expect(texts(largestRemainder(['1.004', '2.006'], '2.99'))).toEqual(['0.99', '2.00']);
    // negative parts floor downwards and still add up
    expect(texts(largestRemainder(['-1.005', '2.5'], '1.50'))).toEqual(['-1.00', '2.50']);
  });

  it('refuses a target that is not whole pennies, or a target over no parts', () => {
    expect(() => largestRemainder(['1'], '1.001')).toThrow(RangeError);
    expect(() => largestRemainder([], '1')).toThrow(RangeError);
  });

  const amount = fc
    .tuple(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.integer({ min: 0, max: 6 }))
    .map(([units, places]) => formatUnits(units, places));

  it('always sums to the half-up total, each part within a penny of its exact value', () => {
    fc.assert(
      fc.property(fc.array(amount, { minLength: 1, maxLength: 30 }), (parts) => {
        const exactSum = parts.reduce((sum, part) => sum.plus(part), new Dec(0));
        const target = roundPennies(exactSum);
        const result = largestRemainder(parts, target);
        const sum = result.reduce((total, part) => total.plus(part), new Dec(0));
        expect(sum.eq(target)).toBe(true);
        result.forEach((part, i) => {
          expect(part.minus(parts[i]!).abs().lt('0.01')).toBe(true);
          expect(part.eq(part.toDecimalPlaces(2))).toBe(true);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('sums to any whole-penny target', () => {
    fc.assert(
      fc.property(
        fc.array(amount, { minLength: 1, maxLength: 10 }),
        fc.bigInt({ min: -(10n ** 14n), max: 10n ** 14n }),
        (parts, pennies) => {
          const target = formatUnits(pennies, 2);
          const sum = largestRemainder(parts, target).reduce((total, part) => total.plus(part), new Dec(0));
          expect(sum.eq(target)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('allocateUnits', () => {
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
    expect(toDecimal(exact('-3.14159')).toString()).toBe('-3.14159');
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
