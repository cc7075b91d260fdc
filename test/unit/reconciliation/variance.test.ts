import { describe, expect, it } from 'vitest';
import { DomainValidationError } from '../../../src/domain/errors.js';
import { varianceByCode } from '../../../src/domain/reconciliation/index.js';

// The variance by code, worked by hand. (What is owed at the year's end: test/unit/settlement.)

/** Actual costs totalling 85,619.05 over four categories, one line a credit. */
const ACTUAL_COSTS = [
  { code: 'STAFF_PAY', amount: '60000.00' },
  { code: 'PROPERTY_LEASE', amount: '12000' },
  { code: 'STAFF_EMPLOYER_NI', amount: '6000.00' },
  { code: 'RUNNING_FOOD_HOUSEHOLD', amount: '5000.00' },
  { code: 'RUNNING_OTHER', amount: '-380.95' },
  { code: 'CENTRAL_OVERHEAD', amount: '3000.00' },
];

describe('variance by code', () => {
  it('compares budget and actuals over the union of codes, in the closed list order', () => {
    const result = varianceByCode(
      [
        { code: 'PROPERTY_LEASE', amount: '12000.00' },
        { code: 'STAFF_PAY', amount: '40000.00' },
        { code: 'STAFF_PAY', amount: '18765.44' }, // added up: 58,765.44
        { code: 'RUNNING_OTHER', amount: '-500.00' },
        { code: 'RUNNING_TRAINING', amount: '750.00' },
        { code: 'STAFF_EMPLOYER_NI', amount: '0' },
      ],
      ACTUAL_COSTS,
    );
    expect(result).toEqual([
      // 60,000.00 − 58,765.44 = 1,234.56; 1,234.56 / 58,765.44 × 100 = 2.1008… → 2.10
      {
        code: 'STAFF_PAY',
        category: 'staffing',
        budget: '58765.44',
        actual: '60000.00',
        difference: '1234.56',
        percentage: '2.10',
      },
      // budget zero: no percentage
      {
        code: 'STAFF_EMPLOYER_NI',
        category: 'staffing',
        budget: '0.00',
        actual: '6000.00',
        difference: '6000.00',
        percentage: null,
      },
      {
        code: 'PROPERTY_LEASE',
        category: 'property',
        budget: '12000.00',
        actual: '12000.00',
        difference: '0.00',
        percentage: '0.00',
      },
      // in the actuals only
      {
        code: 'RUNNING_FOOD_HOUSEHOLD',
        category: 'running',
        budget: '0.00',
        actual: '5000.00',
        difference: '5000.00',
        percentage: null,
      },
      // in the budget only: −750.00 / 750.00 = −100%
      {
        code: 'RUNNING_TRAINING',
        category: 'running',
        budget: '750.00',
        actual: '0.00',
        difference: '-750.00',
        percentage: '-100.00',
      },
      // a budgeted credit: −380.95 − (−500.00) = 119.05; 119.05 / |−500.00| × 100 = 23.81
      {
        code: 'RUNNING_OTHER',
        category: 'running',
        budget: '-500.00',
        actual: '-380.95',
        difference: '119.05',
        percentage: '23.81',
      },
      {
        code: 'CENTRAL_OVERHEAD',
        category: 'central',
        budget: '0.00',
        actual: '3000.00',
        difference: '3000.00',
        percentage: null,
      },
    ]);
  });

  it('rounds percentages half-up away from zero', () => {
    // 1,000.00 → 1,000.05: 0.005% → 0.01; 1,000.00 → 999.95: −0.005% → −0.01; 3.00 → 2.00: −33.33…%
    const result = varianceByCode(
      [
        { code: 'STAFF_PAY', amount: '1000.00' },
        { code: 'PROPERTY_LEASE', amount: '1000.00' },
        { code: 'RUNNING_OTHER', amount: '3.00' },
      ],
      [
        { code: 'STAFF_PAY', amount: '1000.05' },
        { code: 'PROPERTY_LEASE', amount: '999.95' },
        { code: 'RUNNING_OTHER', amount: '2.00' },
      ],
    );
    expect(result.map((line) => line.percentage)).toEqual(['0.01', '-0.01', '-33.33']);
  });

  it('gives an empty variance for an empty budget', () => {
    expect(varianceByCode([], [])).toEqual([]);
  });

  it('refuses a code outside the closed list, and SURPLUS, each with its pointer', () => {
    try {
      varianceByCode([{ code: 'SURPLUS', amount: '1.00' }], [{ code: 'NOPE', amount: '1.001' }]);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DomainValidationError);
      expect((error as DomainValidationError).issues.map((issue) => issue.pointer)).toEqual([
        '/budget/0/code',
        '/actualCosts/0/code',
        '/actualCosts/0/amount',
      ]);
    }
  });
});
