import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatPennies } from '../../../src/domain/money.js';
import { type ReconciliationInput, reconcile } from '../../../src/domain/reconciliation/index.js';

// Properties over random councils, charges, costs (credits included) and cap rates.

const toPennies = (money: string) => BigInt(money.replace('.', ''));
const COUNCILS = ['E06000006', 'E06000007', 'E07000117', 'E08000012', 'E08000015', 'E09000001', 'E10000017'];
const COST_CODES = ['STAFF_PAY', 'STAFF_EMPLOYER_NI', 'PROPERTY_LEASE', 'RUNNING_OTHER', 'CENTRAL_OVERHEAD'];

const moneyArb = (min: bigint, max: bigint) =>
  fc.bigInt({ min, max }).map((pennies) => formatPennies(pennies));

const inputArb: fc.Arbitrary<ReconciliationInput> = fc
  .record({
    capRate: fc.oneof(
      fc.constantFrom('0', '0.05', '0.1', '1', '0.033333'),
      fc.integer({ min: 0, max: 1_000_000 }).map((units) => (units / 1_000_000).toFixed(6)),
    ),
    income: fc.array(
      fc.record({
        councilCode: fc.constantFrom(...COUNCILS),
        // zero often, so that councils charged nothing turn up
        amount: fc.oneof(fc.constant('0.00'), moneyArb(0n, 5_000_000n), moneyArb(0n, 50n)),
      }),
      { maxLength: 12 },
    ),
    positiveCosts: fc.array(
      fc.record({ code: fc.constantFrom(...COST_CODES), amount: moneyArb(0n, 8_000_000n) }),
      {
        maxLength: 6,
      },
    ),
    creditPennies: fc.bigInt({ min: 0n, max: 100_000n }),
  })
  .map(({ capRate, income, positiveCosts, creditPennies }) => {
    const positive = positiveCosts.reduce((sum, line) => sum + toPennies(line.amount), 0n);
    let credit = creditPennies;
    if (credit > positive) credit = positive; // the total stays ≥ 0 (Math.min refuses bigints)
    return {
      scope: { kind: 'home', id: 'h1' },
      period: { start: '2025-04-01', end: '2026-03-31' },
      capRate,
      income,
      actualCosts: [...positiveCosts, { code: 'RUNNING_OTHER', amount: formatPennies(-credit) }],
    } satisfies ReconciliationInput;
  });

describe('reconciliation properties', () => {
  it('rebates add up to the excess exactly, none negative, none to a council charged nothing', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const result = reconcile(input);
        const excess = toPennies(result.excess);
        const rebates = result.rebates.map((line) => toPennies(line.rebate));
        expect(rebates.reduce((sum, rebate) => sum + rebate, 0n)).toBe(excess);
        for (const rebate of rebates) expect(rebate >= 0n).toBe(true);
        for (const line of result.rebates) {
          if (toPennies(line.charged) === 0n) expect(line.rebate).toBe('0.00');
        }
        if (excess > 0n)
          expect(result.rebates.map((line) => line.councilCode)).toEqual(
            result.incomeByCouncil.map((line) => line.councilCode),
          );
        else expect(result.rebates).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it('the excess is never negative and never more than the surplus', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const result = reconcile(input);
        const surplus = toPennies(result.realisedSurplus);
        const allowed = toPennies(result.allowedSurplus);
        const excess = toPennies(result.excess);
        expect(excess >= 0n).toBe(true);
        expect(excess <= (surplus > 0n ? surplus : 0n)).toBe(true);
        expect(excess).toBe(surplus > allowed ? surplus - allowed : 0n);
        expect(toPennies(result.income) - toPennies(result.actualCost)).toBe(surplus);
        expect(result.outcome).toBe(
          surplus < 0n ? 'overspent' : excess > 0n ? 'excess_rebated' : 'within_cap',
        );
        expect(result.shortfall).toBe(surplus < 0n ? formatPennies(-surplus) : null);
      }),
      { numRuns: 500 },
    );
  });

  it('each rebate is within a penny of its exact share, and more charged never means less rebated', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const result = reconcile(input);
        const income = toPennies(result.income);
        const excess = toPennies(result.excess);
        for (const line of result.rebates) {
          // |rebate − charged × excess ÷ income| < 1 penny, in whole numbers
          const gap = toPennies(line.rebate) * income - toPennies(line.charged) * excess;
          expect((gap < 0n ? -gap : gap) < income).toBe(true);
        }
        for (const a of result.rebates) {
          for (const b of result.rebates) {
            if (toPennies(a.charged) > toPennies(b.charged)) {
              expect(toPennies(a.rebate) >= toPennies(b.rebate)).toBe(true);
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('generates every outcome', () => {
    const outcomes = new Set(
      fc.sample(inputArb, { numRuns: 300, seed: 1 }).map((input) => reconcile(input).outcome),
    );
    expect([...outcomes].sort()).toEqual(['excess_rebated', 'overspent', 'within_cap']);
  });

  it('income and cost by category add up to their totals', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const result = reconcile(input);
        const byCouncil = result.incomeByCouncil.reduce((sum, line) => sum + toPennies(line.amount), 0n);
        const byCategory = result.costByCategory.reduce((sum, line) => sum + toPennies(line.amount), 0n);
        expect(byCouncil).toBe(toPennies(result.income));
        expect(byCategory).toBe(toPennies(result.actualCost));
        const codes = result.incomeByCouncil.map((line) => line.councilCode);
        expect(codes).toEqual([...new Set(codes)].sort());
      }),
      { numRuns: 200 },
    );
  });
});
