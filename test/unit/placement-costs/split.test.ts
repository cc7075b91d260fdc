import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainValidationError } from '../../../src/domain/errors.js';
import { educationShare, splitWeeklyCost } from '../../../src/domain/placement-costs/index.js';

const pennies = (money: string) => BigInt(money.replace('.', ''));
const money = (value: bigint) => `${value / 100n}.${String(value % 100n).padStart(2, '0')}`;

function pointersOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainValidationError);
    return (error as DomainValidationError).issues.map((issue) => issue.pointer);
  }
  throw new Error('expected a DomainValidationError');
}

describe('splitWeeklyCost: worked examples', () => {
  it('splits the Wirral fee and its 25-hour rcw enhancement', () => {
    // fee 5495.78 of which education 31.96 (RUNNING_EDUCATION): core 5495.78 − 31.96 = 5463.82;
    // total 5495.78 + 617.80 = 6113.58; other = 6113.58 − 5463.82 − 31.96 − 617.80 = 0.00
    expect(
      splitWeeklyCost({ weeklyFee: '5495.78', educationShare: '31.96', enhancementCharges: ['617.80'] }),
    ).toEqual({
      coreWeeklyCost: '5463.82',
      additionalSupportWeeklyCost: '617.80',
      educationWeeklyCost: '31.96',
      otherWeeklyCost: '0.00',
      totalWeeklyCost: '6113.58',
    });
  });

  it('adds several enhancements, and gives 0.00 for none and for no education share', () => {
    expect(
      splitWeeklyCost({ weeklyFee: '100', educationShare: '0', enhancementCharges: ['0.5', '10.25'] }),
    ).toEqual({
      coreWeeklyCost: '100.00',
      additionalSupportWeeklyCost: '10.75',
      educationWeeklyCost: '0.00',
      otherWeeklyCost: '0.00',
      totalWeeklyCost: '110.75',
    });
    expect(splitWeeklyCost({ weeklyFee: '0', educationShare: '0', enhancementCharges: [] })).toEqual({
      coreWeeklyCost: '0.00',
      additionalSupportWeeklyCost: '0.00',
      educationWeeklyCost: '0.00',
      otherWeeklyCost: '0.00',
      totalWeeklyCost: '0.00',
    });
  });

  it('refuses amounts that are not money, and an education share above the fee, with a pointer each', () => {
    expect(
      pointersOf(() =>
        splitWeeklyCost({ weeklyFee: '1.234', educationShare: '-1', enhancementCharges: ['1', 'x'] }),
      ),
    ).toEqual(['/weeklyFee', '/educationShare', '/enhancementCharges/1']);
    expect(
      pointersOf(() =>
        splitWeeklyCost({ weeklyFee: '10.00', educationShare: '10.01', enhancementCharges: [] }),
      ),
    ).toEqual(['/educationShare']);
  });
});

describe('educationShare', () => {
  it('sums the weekly column of the RUNNING_EDUCATION lines, and is 0.00 without one', () => {
    expect(
      educationShare([
        { code: 'RUNNING_FOOD_HOUSEHOLD', weeklyPerChild: '40.00' },
        { code: 'RUNNING_EDUCATION', weeklyPerChild: '31.96' },
        { code: 'RUNNING_EDUCATION', weeklyPerChild: '0.04' },
      ]),
    ).toBe('32.00');
    expect(educationShare([{ code: 'STAFF_PAY', weeklyPerChild: '255.71' }])).toBe('0.00');
  });
});

describe('splitWeeklyCost: properties', () => {
  it('always gives parts that add up to the total to the penny, none negative, the total fee + enhancements', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 100_000_000n }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.array(fc.bigInt({ min: 0n, max: 10_000_000n }), { maxLength: 20 }),
        (fee, educationFraction, charges) => {
          const education = BigInt(Math.floor(Number(fee) * educationFraction));
          const costs = splitWeeklyCost({
            weeklyFee: money(fee),
            educationShare: money(education),
            enhancementCharges: charges.map(money),
          });
          const parts = [
            costs.coreWeeklyCost,
            costs.additionalSupportWeeklyCost,
            costs.educationWeeklyCost,
            costs.otherWeeklyCost,
          ];
          for (const part of [...parts, costs.totalWeeklyCost]) expect(part).toMatch(/^\d+\.\d{2}$/);
          expect(parts.reduce((sum, part) => sum + pennies(part), 0n)).toBe(pennies(costs.totalWeeklyCost));
          expect(pennies(costs.totalWeeklyCost)).toBe(fee + charges.reduce((sum, c) => sum + c, 0n));
          expect(pennies(costs.educationWeeklyCost)).toBe(education);
          expect(pennies(costs.coreWeeklyCost)).toBe(fee - education);
          expect(costs.otherWeeklyCost).toBe('0.00');
        },
      ),
      { numRuns: 1000 },
    );
  });
});
