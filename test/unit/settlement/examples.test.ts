import { describe, expect, it } from 'vitest';
import { DomainValidationError } from '../../../src/domain/errors.js';
import { monthsBetween, SETTLEMENT_RULE, settle } from '../../../src/domain/settlement/index.js';
import { settlementOf } from '../../helpers/settlement.js';

// Worked examples of the year-end settlement (method §7), every figure computed by hand.

const HALTON = 'E06000006';
const LIVERPOOL = 'E08000012';
const SEFTON = 'E08000014';
const WIRRAL = 'E08000015';
const YEAR = { start: '2025-04-01', end: '2026-03-31' };
const { home, input } = settlementOf(YEAR, { asOf: '2026-06-01' });

function validationPointers(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainValidationError);
    return (error as DomainValidationError).issues.map((issue) => issue.pointer);
  }
  throw new Error('expected a DomainValidationError');
}

// Ash House is over its cap: income 60,000.00 (Wirral) + 40,000.00 (Sefton) = 100,000.00, cost
// 80,000.00, surplus 20,000.00, allowed 80,000.00 × 5% = 4,000.00, excess 16,000.00.
// Birch House overspent: income 50,000.00 (Liverpool), cost 70,000.00, surplus −20,000.00.
const ASH = home('ash', {
  income: [
    { councilCode: WIRRAL, amount: '60000.00' },
    { councilCode: SEFTON, amount: '40000.00' },
  ],
  actualCosts: [
    { code: 'STAFF_PAY', amount: '70000.00' },
    { code: 'PROPERTY_LEASE', amount: '10000.00' },
  ],
});
const BIRCH = home('birch', {
  income: [{ councilCode: LIVERPOOL, amount: '50000.00' }],
  actualCosts: [
    { code: 'STAFF_PAY', amount: '60000.00' },
    { code: 'RUNNING_OTHER', amount: '10000.00' },
  ],
});

describe('one home over its cap, one overspent, under the organisation scope', () => {
  // The provider: income 150,000.00, cost 150,000.00, surplus 0.00; allowed 7,500.00; no excess.
  const result = settle(input({ homes: [ASH, BIRCH] }));

  it('pools the homes: no excess, no rebate, and never an excess above the realised surplus', () => {
    expect(result).toMatchObject({
      ruleVersion: 3,
      capScope: 'organisation',
      status: 'final',
      income: '150000.00',
      actualCost: '150000.00',
      realisedSurplus: '0.00',
      realisedRateOnCost: '0.000000',
      allowedSurplus: '7500.00',
      excess: '0.00',
      shortfall: '0.00',
      outcome: 'within_cap',
      rebates: [],
      missingMonths: [],
      rule: SETTLEMENT_RULE,
    });
  });

  it("shows each home's figures for information only", () => {
    expect(result.homes.map((h) => [h.homeId, h.realisedSurplus, h.capTested, h.excess, h.outcome])).toEqual([
      ['ash', '20000.00', false, null, 'information_only'],
      ['birch', '-20000.00', false, null, 'information_only'],
    ]);
    expect(result.homes[0]?.realisedRateOnCost).toBe('0.250000'); // 20,000 / 80,000
  });

  it('adds up income by council and cost by category and code', () => {
    expect(result.incomeByCouncil).toEqual([
      { councilCode: LIVERPOOL, amount: '50000.00' },
      { councilCode: SEFTON, amount: '40000.00' },
      { councilCode: WIRRAL, amount: '60000.00' },
    ]);
    expect(result.costByCategory).toEqual([
      { category: 'staffing', amount: '130000.00' },
      { category: 'property', amount: '10000.00' },
      { category: 'running', amount: '10000.00' },
      { category: 'central', amount: '0.00' },
      { category: 'enhancement', amount: '0.00' },
    ]);
    expect(result.costByCode.map((line) => line.code)).toEqual([
      'STAFF_PAY',
      'PROPERTY_LEASE',
      'RUNNING_OTHER',
    ]);
  });
});

describe('the same homes under the home scope', () => {
  const result = settle(input({ capScope: 'home', homes: [ASH, BIRCH] }));

  it("rebates Ash House's excess to the councils that paid it; Birch House's shortfall offsets nothing", () => {
    // 16,000.00 × 60/100 = 9,600.00 (Wirral), × 40/100 = 6,400.00 (Sefton).
    const [ash, birch] = result.homes;
    expect(ash).toMatchObject({
      capTested: true,
      allowedSurplus: '4000.00',
      excess: '16000.00',
      shortfall: '0.00',
      outcome: 'excess_rebated',
      rebates: [
        { councilCode: SEFTON, charged: '40000.00', share: '0.400000', rebate: '6400.00' },
        { councilCode: WIRRAL, charged: '60000.00', share: '0.600000', rebate: '9600.00' },
      ],
    });
    expect(birch).toMatchObject({
      capTested: true,
      allowedSurplus: '3500.00', // 70,000.00 × 5%
      excess: '0.00',
      shortfall: '20000.00',
      outcome: 'overspent',
      rebates: [],
    });
  });

  it("adds the homes' cap figures up for the provider; a council that only used the overspent home gets nothing", () => {
    expect(result).toMatchObject({
      realisedSurplus: '0.00',
      allowedSurplus: '7500.00',
      excess: '16000.00',
      shortfall: '20000.00',
      outcome: 'excess_rebated',
      rebates: [
        { councilCode: LIVERPOOL, charged: '50000.00', share: '0.000000', rebate: '0.00' },
        { councilCode: SEFTON, charged: '40000.00', share: '0.400000', rebate: '6400.00' },
        { councilCode: WIRRAL, charged: '60000.00', share: '0.600000', rebate: '9600.00' },
      ],
    });
  });

  it("settles one home alone to exactly its entry in the organisation's settlement", () => {
    const alone = settle(input({ capScope: 'home', scope: { kind: 'home', id: 'ash' }, homes: [ASH] }));
    expect(alone.homes[0]).toEqual(result.homes[0]);
    expect(alone.rebates).toEqual(result.homes[0]?.rebates);
  });
});

describe('three councils under the organisation scope, one of which used only one home', () => {
  // Ash as above; Birch now costs 45,000.00 (surplus 5,000.00). Provider: income 150,000.00, cost
  // 125,000.00, surplus 25,000.00, allowed 6,250.00, excess 18,750.00, shared by all each paid:
  // Liverpool 50/150 = 6,250.00, Sefton 40/150 = 5,000.00, Wirral 60/150 = 7,500.00.
  // Shares: 0.3333333…, 0.2666666…, 0.4 → floors 0.333333 + 0.266666 + 0.400000 = 0.999999; the
  // millionth goes to the largest remainder (Sefton), so they add up to 1.
  const birch = home('birch', {
    income: [{ councilCode: LIVERPOOL, amount: '50000.00' }],
    actualCosts: [{ code: 'STAFF_PAY', amount: '45000.00' }],
  });
  const result = settle(input({ homes: [ASH, birch] }));

  it("shares the provider's excess among every council in proportion to all it paid", () => {
    expect(result).toMatchObject({
      realisedSurplus: '25000.00',
      allowedSurplus: '6250.00',
      excess: '18750.00',
    });
    expect(result.rebates).toEqual([
      { councilCode: LIVERPOOL, charged: '50000.00', share: '0.333333', rebate: '6250.00' },
      { councilCode: SEFTON, charged: '40000.00', share: '0.266667', rebate: '5000.00' },
      { councilCode: WIRRAL, charged: '60000.00', share: '0.400000', rebate: '7500.00' },
    ]);
  });

  it('under the home scope, Liverpool is owed nothing: the home it used stayed within its cap', () => {
    // Birch alone: surplus 5,000.00, allowed 2,250.00, excess 2,750.00 — all Liverpool's after all.
    const byHome = settle(input({ capScope: 'home', homes: [ASH, birch] }));
    expect(byHome.homes[1]).toMatchObject({
      excess: '2750.00',
      rebates: [{ councilCode: LIVERPOOL, rebate: '2750.00' }],
    });
    expect(byHome.excess).toBe('18750.00'); // 16,000.00 + 2,750.00
  });
});

describe('shares and pennies', () => {
  // Cost 85,619.05 (a credit line included); income 90,000.00; surplus 4,380.95; allowed
  // 4,280.9525 → 4,280.95; excess 100.00. Exact rebates 11.111…, 26.474…, 62.414…: floors 99.99,
  // the penny to the largest remainder (Liverpool).
  const costs = [
    { code: 'STAFF_PAY', amount: '60000.00' },
    { code: 'PROPERTY_LEASE', amount: '12000' },
    { code: 'STAFF_EMPLOYER_NI', amount: '6000.00' },
    { code: 'RUNNING_FOOD_HOUSEHOLD', amount: '5000.00' },
    { code: 'RUNNING_OTHER', amount: '-380.95' },
    { code: 'CENTRAL_OVERHEAD', amount: '3000.00' },
  ];

  it('allocates rebates by largest remainder, to the penny', () => {
    const result = settle(
      input({
        homes: [
          home('h', {
            income: [
              { councilCode: WIRRAL, amount: '50000.00' },
              { councilCode: HALTON, amount: '10000' },
              { councilCode: LIVERPOOL, amount: '23827.10' },
              { councilCode: WIRRAL, amount: '6172.90' },
            ],
            actualCosts: costs,
          }),
        ],
      }),
    );
    expect(result).toMatchObject({ actualCost: '85619.05', allowedSurplus: '4280.95', excess: '100.00' });
    expect(result.rebates).toEqual([
      { councilCode: HALTON, charged: '10000.00', share: '0.111111', rebate: '11.11' },
      { councilCode: LIVERPOOL, charged: '23827.10', share: '0.264746', rebate: '26.48' },
      { councilCode: WIRRAL, charged: '56172.90', share: '0.624143', rebate: '62.41' },
    ]);
  });

  it('gives equal remainders to the earlier council code: rebates and shares both add up', () => {
    const result = settle(
      input({
        homes: [
          home('h', {
            income: [
              { councilCode: WIRRAL, amount: '30000.00' },
              { councilCode: LIVERPOOL, amount: '30000.00' },
              { councilCode: HALTON, amount: '30000.00' },
            ],
            actualCosts: costs,
          }),
        ],
      }),
    );
    expect(result.rebates.map((line) => [line.councilCode, line.share, line.rebate])).toEqual([
      [HALTON, '0.333334', '33.34'],
      [LIVERPOOL, '0.333333', '33.33'],
      [WIRRAL, '0.333333', '33.33'],
    ]);
  });

  it('rounds the allowed surplus half-up, and rebates the whole surplus under a cap of zero', () => {
    // 100.10 × 0.05 = 5.005 → 5.01; surplus 99.90; excess 94.89.
    const one = home('h', {
      income: [{ councilCode: HALTON, amount: '200.00' }],
      actualCosts: [{ code: 'STAFF_PAY', amount: '100.10' }],
    });
    expect(settle(input({ homes: [one] }))).toMatchObject({ allowedSurplus: '5.01', excess: '94.89' });
    expect(settle(input({ capRate: '0', homes: [one] }))).toMatchObject({
      capRate: '0.000000',
      allowedSurplus: '0.00',
      excess: '99.90',
    });
  });
});

describe('complete books only', () => {
  const lapsed = home('h', {
    openedOn: '2025-06-15',
    closedOn: '2025-12-10',
    income: [{ councilCode: WIRRAL, amount: '90000.00' }],
    monthsImported: ['2025-06', '2025-08', '2025-10', '2025-11', '2025-12'],
    actualCosts: [{ code: 'STAFF_PAY', amount: '10000.00' }],
  });

  it('lists the months the home was open without an import, and owes nothing until they come', () => {
    // open 15 June to 10 December: June to December need books; July and September are missing
    const result = settle(input({ homes: [lapsed] }));
    expect(result).toMatchObject({
      status: 'incomplete',
      outcome: 'incomplete',
      missingMonths: [
        { homeId: 'h', month: '2025-07' },
        { homeId: 'h', month: '2025-09' },
      ],
      realisedSurplus: '80000.00', // shown as the books stand
      allowedSurplus: null,
      excess: null,
      shortfall: null,
      rebates: [],
    });
    expect(result.homes[0]).toMatchObject({ missingMonths: ['2025-07', '2025-09'], outcome: 'incomplete' });
  });

  it('counts a nil month as imported', () => {
    const complete = settle(
      input({ homes: [{ ...lapsed, monthsImported: monthsBetween('2025-06-01', '2025-12-01') }] }),
    );
    expect(complete).toMatchObject({ status: 'final', outcome: 'excess_rebated', missingMonths: [] });
  });

  it('under the home scope, holds up only the home with missing months', () => {
    const result = settle(input({ capScope: 'home', homes: [ASH, { ...BIRCH, monthsImported: [] }] }));
    expect(result.status).toBe('incomplete');
    expect(result.outcome).toBe('incomplete');
    expect(result.missingMonths).toHaveLength(12);
    expect(result.homes.map((h) => h.outcome)).toEqual(['excess_rebated', 'incomplete']);
    expect(result.excess).toBe('16000.00'); // Ash's own settlement stands, as its own reconciliation says
  });

  it('is provisional until the day after the period ends', () => {
    expect(settle(input({ asOf: '2026-03-31', homes: [ASH] }))).toMatchObject({
      status: 'provisional',
      outcome: 'provisional',
      excess: null,
      rebates: [],
    });
    expect(settle(input({ asOf: '2026-04-01', homes: [ASH] })).status).toBe('final');
    const underway = settle(input({ asOf: '2025-10-15', capScope: 'home', homes: [ASH] }));
    expect(underway.homes[0]?.outcome).toBe('provisional');
  });

  it('asks nothing of a home outside its open days', () => {
    const closed = home('gone', { closedOn: '2025-03-31', monthsImported: [] });
    expect(settle(input({ homes: [closed] })).missingMonths).toEqual([]);
  });
});

describe('other outcomes', () => {
  it('does not assess a cost below zero', () => {
    const result = settle(
      input({
        homes: [
          home('h', {
            income: [{ councilCode: WIRRAL, amount: '100.00' }],
            actualCosts: [{ code: 'RUNNING_OTHER', amount: '-50.00' }],
          }),
        ],
      }),
    );
    expect(result).toMatchObject({
      outcome: 'not_assessed',
      realisedSurplus: '150.00',
      realisedRateOnCost: null,
      allowedSurplus: null,
      excess: null,
      rebates: [],
    });
  });

  it('shows the shortfall of an overspent provider and rebates nothing', () => {
    expect(settle(input({ homes: [BIRCH] }))).toMatchObject({
      outcome: 'overspent',
      shortfall: '20000.00',
      excess: '0.00',
      rebates: [],
    });
  });

  it('gives only information for one home when the cap is tested on the organisation', () => {
    const result = settle(input({ scope: { kind: 'home', id: 'ash' }, homes: [ASH] }));
    expect(result).toMatchObject({
      outcome: 'information_only',
      allowedSurplus: null,
      excess: null,
      rebates: [],
    });
  });

  it('settles an organisation with no homes to zeros', () => {
    expect(settle(input())).toMatchObject({
      income: '0.00',
      actualCost: '0.00',
      outcome: 'within_cap',
      excess: '0.00',
    });
  });
});

describe('validation', () => {
  it('refuses every bad field at once, each with its pointer', () => {
    const pointers = validationPointers(() =>
      settle({
        scope: { kind: 'region' as 'home', id: '' },
        capScope: 'council' as 'home',
        capRate: '1.5',
        period: { start: '2025-02-30', end: '2025-01-01' },
        asOf: 'today',
        homes: [
          home('a', {
            income: [
              { councilCode: 'W06000001', amount: '1.00' },
              { councilCode: WIRRAL, amount: '-1.00' },
            ],
            monthsImported: ['2025-13'],
            actualCosts: [
              { code: 'SURPLUS', amount: '1.00' },
              { code: 'STAFF_PAY', amount: '1.001' },
            ],
          }),
          home('a'),
        ],
      }),
    );
    expect(pointers).toEqual([
      '/scope/kind',
      '/scope/id',
      '/capScope',
      '/period/start',
      '/asOf',
      '/capRate',
      '/homes/0/income/0/councilCode',
      '/homes/0/income/1/amount',
      '/homes/0/monthsImported/0',
      '/homes/0/actualCosts/0/code',
      '/homes/0/actualCosts/1/amount',
      '/homes/1/id',
    ]);
  });

  it('refuses an end before the start', () => {
    expect(
      validationPointers(() => settle(input({ period: { start: '2026-01-02', end: '2026-01-01' } }))),
    ).toEqual(['/period/end']);
  });
});
