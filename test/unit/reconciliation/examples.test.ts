import { describe, expect, it } from 'vitest';
import { DomainValidationError } from '../../../src/domain/errors.js';
import {
  RECONCILIATION_RULE,
  type ReconciliationInput,
  reconcile,
} from '../../../src/domain/reconciliation/index.js';

// Worked examples, every figure computed by hand (the arithmetic is in the comments).

const HALTON = 'E06000006';
const LIVERPOOL = 'E08000012';
const WIRRAL = 'E08000015';

/** Actual costs totalling 85,619.05 over four categories, one line a credit. */
const ACTUAL_COSTS: ReconciliationInput['actualCosts'] = [
  { code: 'STAFF_PAY', amount: '60000.00' },
  { code: 'PROPERTY_LEASE', amount: '12000' },
  { code: 'STAFF_EMPLOYER_NI', amount: '6000.00' },
  { code: 'RUNNING_FOOD_HOUSEHOLD', amount: '5000.00' },
  { code: 'RUNNING_OTHER', amount: '-380.95' },
  { code: 'CENTRAL_OVERHEAD', amount: '3000.00' },
];

function input(overrides: Partial<ReconciliationInput> = {}): ReconciliationInput {
  return {
    scope: { kind: 'home', id: 'home-1' },
    period: { start: '2025-04-01', end: '2026-03-31' },
    capRate: '0.05',
    income: [],
    actualCosts: ACTUAL_COSTS,
    ...overrides,
  };
}

function validationPointers(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainValidationError);
    return (error as DomainValidationError).issues.map((issue) => issue.pointer);
  }
  throw new Error('expected a DomainValidationError');
}

describe('underspend: the excess goes back to three councils', () => {
  // Income 10,000.00 + 23,827.10 + (50,000.00 + 6,172.90) = 90,000.00; cost 85,619.05.
  // Surplus 90,000.00 − 85,619.05 = 4,380.95. Allowed 85,619.05 × 0.05 = 4,280.9525 → 4,280.95.
  // Excess 4,380.95 − 4,280.95 = 100.00.
  // Exact shares of 100.00: Halton 10,000 / 90,000 × 100 = 11.1111…, Liverpool 26.4745…, Wirral 62.4143…
  // Rounding each to the penny gives 11.11 + 26.47 + 62.41 = 99.99: one penny short. Largest remainder:
  // floors 11.11, 26.47, 62.41; the penny goes to the largest remainder (Liverpool, 0.4555 of a penny).
  const result = reconcile(
    input({
      income: [
        { councilCode: WIRRAL, amount: '50000.00' },
        { councilCode: HALTON, amount: '10000' },
        { councilCode: LIVERPOOL, amount: '23827.10' },
        { councilCode: WIRRAL, amount: '6172.90' },
      ],
    }),
  );

  it('adds up income by council, sorted by council code', () => {
    expect(result.income).toBe('90000.00');
    expect(result.incomeByCouncil).toEqual([
      { councilCode: HALTON, amount: '10000.00' },
      { councilCode: LIVERPOOL, amount: '23827.10' },
      { councilCode: WIRRAL, amount: '56172.90' },
    ]);
  });

  it('adds up cost by category, credits included', () => {
    expect(result.actualCost).toBe('85619.05');
    expect(result.costByCategory).toEqual([
      { category: 'staffing', amount: '66000.00' },
      { category: 'property', amount: '12000.00' },
      { category: 'running', amount: '4619.05' }, // 5,000.00 − 380.95
      { category: 'central', amount: '3000.00' },
      { category: 'enhancement', amount: '0.00' },
    ]);
  });

  it('states the surplus, its rates, the cap and the excess', () => {
    expect(result).toMatchObject({
      realisedSurplus: '4380.95',
      realisedRateOnCost: '0.051168', // 4,380.95 / 85,619.05 = 0.0511677…
      realisedShareOfIncome: '0.048677', // 4,380.95 / 90,000 = 0.0486772…
      capRate: '0.050000',
      allowedSurplus: '4280.95',
      excess: '100.00',
      outcome: 'excess_rebated',
      shortfall: null,
      variance: null,
      rule: RECONCILIATION_RULE,
      scope: { kind: 'home', id: 'home-1' },
      period: { start: '2025-04-01', end: '2026-03-31' },
    });
  });

  it('allocates the excess by largest remainder, to the penny', () => {
    expect(result.rebates).toEqual([
      { councilCode: HALTON, charged: '10000.00', share: '0.111111', rebate: '11.11' },
      { councilCode: LIVERPOOL, charged: '23827.10', share: '0.264746', rebate: '26.48' },
      { councilCode: WIRRAL, charged: '56172.90', share: '0.624143', rebate: '62.41' },
    ]);
  });
});

describe('rebate details', () => {
  it('breaks equal remainders in favour of the earlier council code, whatever the input order', () => {
    // Same cost, three councils charged 30,000.00 each: excess 100.00, 33.333… each; floors 99.99,
    // the penny to the first council in code order.
    const result = reconcile(
      input({
        income: [
          { councilCode: WIRRAL, amount: '30000.00' },
          { councilCode: LIVERPOOL, amount: '30000.00' },
          { councilCode: HALTON, amount: '30000.00' },
        ],
      }),
    );
    expect(result.excess).toBe('100.00');
    expect(result.rebates.map((line) => [line.councilCode, line.share, line.rebate])).toEqual([
      [HALTON, '0.333333', '33.34'],
      [LIVERPOOL, '0.333333', '33.33'],
      [WIRRAL, '0.333333', '33.33'],
    ]);
  });

  it('gives nothing to a council charged nothing', () => {
    // Income 90,000.00 (Halton) + 0.00 (Wirral): Halton takes the whole 100.00.
    const result = reconcile(
      input({
        income: [
          { councilCode: WIRRAL, amount: '0.00' },
          { councilCode: HALTON, amount: '90000.00' },
        ],
      }),
    );
    expect(result.rebates).toEqual([
      { councilCode: HALTON, charged: '90000.00', share: '1.000000', rebate: '100.00' },
      { councilCode: WIRRAL, charged: '0.00', share: '0.000000', rebate: '0.00' },
    ]);
  });

  it('rounds the allowed surplus half-up to the penny', () => {
    // 100.10 × 0.05 = 5.005 → 5.01; surplus 200.00 − 100.10 = 99.90; excess 99.90 − 5.01 = 94.89.
    const result = reconcile(
      input({
        income: [{ councilCode: HALTON, amount: '200.00' }],
        actualCosts: [{ code: 'STAFF_PAY', amount: '100.10' }],
      }),
    );
    expect(result.allowedSurplus).toBe('5.01');
    expect(result.excess).toBe('94.89');
    expect(result.rebates[0]?.rebate).toBe('94.89');
  });

  it('rebates the whole surplus under a cap of zero', () => {
    const result = reconcile(input({ capRate: '0', income: [{ councilCode: HALTON, amount: '90000.00' }] }));
    expect(result).toMatchObject({ capRate: '0.000000', allowedSurplus: '0.00', excess: '4380.95' });
  });
});

describe('within the cap', () => {
  // Cost 100,000.00 at 5%: allowed 5,000.00.
  const cost = [{ code: 'STAFF_PAY', amount: '100000.00' }];

  it('rebates nothing when the surplus is below the cap', () => {
    // Income 104,000.00: surplus 4,000.00 < 5,000.00.
    const result = reconcile(
      input({ actualCosts: cost, income: [{ councilCode: HALTON, amount: '104000.00' }] }),
    );
    expect(result).toMatchObject({
      realisedSurplus: '4000.00',
      realisedRateOnCost: '0.040000',
      realisedShareOfIncome: '0.038462', // 4,000 / 104,000 = 0.0384615…
      allowedSurplus: '5000.00',
      excess: '0.00',
      outcome: 'within_cap',
      shortfall: null,
      rebates: [],
    });
  });

  it('rebates nothing when the surplus is exactly the cap', () => {
    const result = reconcile(
      input({ actualCosts: cost, income: [{ councilCode: HALTON, amount: '105000.00' }] }),
    );
    expect(result).toMatchObject({
      realisedSurplus: '5000.00',
      excess: '0.00',
      outcome: 'within_cap',
      rebates: [],
    });
  });

  it('rebates one penny when the surplus is a penny above the cap', () => {
    const result = reconcile(
      input({
        actualCosts: cost,
        income: [
          { councilCode: HALTON, amount: '52500.00' },
          { councilCode: WIRRAL, amount: '52500.01' },
        ],
      }),
    );
    // 0.01 × 52,500.00 / 105,000.01 and 0.01 × 52,500.01 / 105,000.01: floors 0 and 0; the penny to Wirral.
    expect(result.excess).toBe('0.01');
    expect(result.rebates.map((line) => line.rebate)).toEqual(['0.00', '0.01']);
  });
});

describe('overspend', () => {
  it('shows the shortfall and rebates nothing', () => {
    // Income 95,000.00, cost 100,000.00: surplus −5,000.00; −5,000 / 100,000 = −0.05;
    // −5,000 / 95,000 = −0.0526315… → −0.052632.
    const result = reconcile(
      input({
        actualCosts: [{ code: 'STAFF_PAY', amount: '100000.00' }],
        income: [
          { councilCode: HALTON, amount: '45000.00' },
          { councilCode: WIRRAL, amount: '50000.00' },
        ],
      }),
    );
    expect(result).toMatchObject({
      income: '95000.00',
      actualCost: '100000.00',
      realisedSurplus: '-5000.00',
      realisedRateOnCost: '-0.050000',
      realisedShareOfIncome: '-0.052632',
      allowedSurplus: '5000.00',
      excess: '0.00',
      outcome: 'overspent',
      shortfall: '5000.00',
      rebates: [],
    });
  });

  it('prints a shortfall below a pound with its leading zero', () => {
    const result = reconcile(
      input({
        actualCosts: [{ code: 'STAFF_PAY', amount: '100.05' }],
        income: [{ councilCode: HALTON, amount: '100.00' }],
      }),
    );
    expect(result).toMatchObject({ realisedSurplus: '-0.05', shortfall: '0.05', outcome: 'overspent' });
  });
});

describe('no income', () => {
  it('divides by nothing and rebates nothing', () => {
    const result = reconcile(input({ income: [] }));
    expect(result).toMatchObject({
      income: '0.00',
      incomeByCouncil: [],
      realisedSurplus: '-85619.05',
      realisedRateOnCost: '-1.000000',
      realisedShareOfIncome: null,
      outcome: 'overspent',
      shortfall: '85619.05',
      rebates: [],
    });
  });

  it('lists councils charged nothing and gives them nothing', () => {
    const result = reconcile(
      input({
        income: [{ councilCode: HALTON, amount: '0' }],
        actualCosts: [{ code: 'STAFF_PAY', amount: '0' }],
      }),
    );
    expect(result).toMatchObject({
      income: '0.00',
      incomeByCouncil: [{ councilCode: HALTON, amount: '0.00' }],
      actualCost: '0.00',
      realisedSurplus: '0.00',
      realisedRateOnCost: null,
      realisedShareOfIncome: null,
      allowedSurplus: '0.00',
      excess: '0.00',
      outcome: 'within_cap',
      rebates: [],
    });
  });

  it('makes no division with no cost either', () => {
    // Income with no cost: the whole income is surplus, the cap on a zero cost is zero.
    const result = reconcile(input({ actualCosts: [], income: [{ councilCode: HALTON, amount: '10.00' }] }));
    expect(result).toMatchObject({
      actualCost: '0.00',
      realisedRateOnCost: null,
      realisedShareOfIncome: '1.000000',
      allowedSurplus: '0.00',
      excess: '10.00',
      rebates: [{ councilCode: HALTON, charged: '10.00', share: '1.000000', rebate: '10.00' }],
    });
  });
});

describe('variance by code', () => {
  it('compares budget and actuals over the union of codes, in the closed list order', () => {
    const result = reconcile(
      input({
        budget: [
          { code: 'PROPERTY_LEASE', amount: '12000.00' },
          { code: 'STAFF_PAY', amount: '40000.00' },
          { code: 'STAFF_PAY', amount: '18765.44' }, // added up: 58,765.44
          { code: 'RUNNING_OTHER', amount: '-500.00' },
          { code: 'RUNNING_TRAINING', amount: '750.00' },
          { code: 'STAFF_EMPLOYER_NI', amount: '0' },
        ],
      }),
    );
    expect(result.variance).toEqual([
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
    const result = reconcile(
      input({
        actualCosts: [
          { code: 'STAFF_PAY', amount: '1000.05' },
          { code: 'PROPERTY_LEASE', amount: '999.95' },
          { code: 'RUNNING_OTHER', amount: '2.00' },
        ],
        budget: [
          { code: 'STAFF_PAY', amount: '1000.00' },
          { code: 'PROPERTY_LEASE', amount: '1000.00' },
          { code: 'RUNNING_OTHER', amount: '3.00' },
        ],
      }),
    );
    expect(result.variance?.map((line) => line.percentage)).toEqual(['0.01', '-0.01', '-33.33']);
  });

  it('gives an empty variance for an empty budget', () => {
    expect(reconcile(input({ actualCosts: [], budget: [] })).variance).toEqual([]);
  });
});

describe('validation', () => {
  it('refuses every bad field at once, each with its pointer', () => {
    const pointers = validationPointers(() =>
      reconcile({
        scope: { kind: 'council' as 'home', id: '' },
        period: { start: '2026-04-01', end: '2026-03-31' },
        capRate: '1.5',
        income: [
          { councilCode: 'W06000001', amount: '10.00' },
          { councilCode: HALTON, amount: '-1.00' },
          { councilCode: HALTON, amount: '1.234' },
          { councilCode: 'E05000001', amount: '1e3' },
        ],
        actualCosts: [
          { code: 'STAFF_PAY', amount: '100.001' },
          { code: 'NOT_A_CODE', amount: '1.00' },
          { code: 'SURPLUS', amount: '1.00' },
        ],
        budget: [{ code: 'UNKNOWN', amount: '£5' }],
      }),
    );
    expect(pointers).toEqual([
      '/scope/kind',
      '/scope/id',
      '/period/end',
      '/capRate',
      '/income/0/councilCode',
      '/income/1/amount',
      '/income/2/amount',
      '/income/3/councilCode',
      '/income/3/amount',
      '/actualCosts/0/amount',
      '/actualCosts/1/code',
      '/actualCosts/2/code',
      '/budget/0/code',
      '/budget/0/amount',
    ]);
  });

  it('refuses a negative total actual cost but allows credit lines', () => {
    expect(
      validationPointers(() =>
        reconcile(
          input({
            actualCosts: [
              { code: 'STAFF_PAY', amount: '10.00' },
              { code: 'RUNNING_OTHER', amount: '-10.01' },
            ],
          }),
        ),
      ),
    ).toEqual(['/actualCosts']);
    expect(
      reconcile(
        input({
          actualCosts: [
            { code: 'STAFF_PAY', amount: '10.00' },
            { code: 'RUNNING_OTHER', amount: '-10.00' },
          ],
        }),
      ).actualCost,
    ).toBe('0.00');
  });

  it('refuses malformed dates and cap rates', () => {
    expect(
      validationPointers(() => reconcile(input({ period: { start: '2026-02-30', end: '2026/03/31' } }))),
    ).toEqual(['/period/start', '/period/end']);
    for (const capRate of ['-0.05', '5%', '0.1234567', '', '1.000001']) {
      expect(validationPointers(() => reconcile(input({ capRate })))).toEqual(['/capRate']);
    }
    for (const capRate of ['0', '1', '1.000000', '0.075']) {
      expect(() => reconcile(input({ capRate }))).not.toThrow();
    }
  });

  it('accepts a one-day period and the organisation scope', () => {
    const result = reconcile(
      input({
        scope: { kind: 'organisation', id: 'org-1' },
        period: { start: '2026-03-31', end: '2026-03-31' },
      }),
    );
    expect(result.scope).toEqual({ kind: 'organisation', id: 'org-1' });
  });

  it('accepts every ONS council prefix of the pattern', () => {
    for (const councilCode of ['E06000001', 'E07000001', 'E08000001', 'E09000001', 'E10000001']) {
      expect(() => reconcile(input({ income: [{ councilCode, amount: '1.00' }] }))).not.toThrow();
    }
    for (const councilCode of ['E11000001', 'E0600001', 'e06000001', 'E060000012']) {
      expect(
        validationPointers(() => reconcile(input({ income: [{ councilCode, amount: '1.00' }] }))),
      ).toEqual(['/income/0/councilCode']);
    }
  });
});
