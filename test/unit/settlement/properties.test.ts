import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatPennies } from '../../../src/domain/money.js';
import {
  monthsBetween,
  type Settlement,
  type SettlementHomeInput,
  type SettlementInput,
  settle,
} from '../../../src/domain/settlement/index.js';

// Properties of the settlement over random providers: homes, councils, charges, costs (credits
// included), months imported, cap rates, both scopes of the cap and days of working.

const pennies = (money: string | null) => (money === null ? 0n : BigInt(money.replace('.', '')));
const units6 = (share: string) => BigInt(share.replace('.', ''));
const sum = (values: readonly bigint[]) => values.reduce((total, value) => total + value, 0n);
const COUNCILS = ['E06000006', 'E07000117', 'E08000012', 'E08000014', 'E08000015', 'E09000001'];
const COST_CODES = ['STAFF_PAY', 'STAFF_EMPLOYER_NI', 'PROPERTY_LEASE', 'RUNNING_OTHER', 'CENTRAL_OVERHEAD'];
const YEAR = { start: '2025-04-01', end: '2026-03-31' };
const MONTHS = monthsBetween(YEAR.start, YEAR.end);
const moneyArb = (min: bigint, max: bigint) => fc.bigInt({ min, max }).map(formatPennies);

const homeArb = (id: string): fc.Arbitrary<SettlementHomeInput> =>
  fc.record({
    id: fc.constant(id),
    openedOn: fc.constantFrom('2020-01-01', '2025-06-15', '2025-11-01'),
    closedOn: fc.constantFrom(null, null, '2026-01-20'),
    income: fc.array(
      fc.record({
        councilCode: fc.constantFrom(...COUNCILS),
        amount: fc.oneof(fc.constant('0.00'), moneyArb(0n, 8_000_000n), moneyArb(0n, 99n)),
      }),
      { maxLength: 6 },
    ),
    // usually every month, sometimes a few missing
    monthsImported: fc.oneof(
      { weight: 4, arbitrary: fc.constant(MONTHS) },
      { weight: 1, arbitrary: fc.subarray(MONTHS) },
    ),
    actualCosts: fc.array(
      fc.record({
        code: fc.constantFrom(...COST_CODES),
        amount: fc.oneof(
          { weight: 5, arbitrary: moneyArb(0n, 8_000_000n) },
          { weight: 1, arbitrary: moneyArb(-200_000n, 0n) },
        ),
      }),
      { maxLength: 5 },
    ),
  });

const inputArb: fc.Arbitrary<SettlementInput> = fc
  .record({
    capScope: fc.constantFrom('organisation' as const, 'home' as const),
    capRate: fc.oneof(
      fc.constantFrom('0', '0.05', '0.1', '1', '0.033333'),
      fc.integer({ min: 0, max: 1_000_000 }).map((units) => (units / 1_000_000).toFixed(6)),
    ),
    asOf: fc.constantFrom('2026-06-01', '2026-06-01', '2026-03-31'),
    count: fc.integer({ min: 0, max: 4 }),
  })
  .chain(({ count, ...rest }) =>
    fc.tuple(...Array.from({ length: count }, (_, index) => homeArb(`home-${index}`))).map((homes) => ({
      scope: { kind: 'organisation' as const, id: 'org' },
      period: YEAR,
      ...rest,
      homes,
    })),
  );

function expectRebatesAddUp(figures: Pick<Settlement, 'excess' | 'rebates'>) {
  if (figures.rebates.length === 0) return;
  expect(sum(figures.rebates.map((line) => pennies(line.rebate)))).toBe(pennies(figures.excess));
  expect(sum(figures.rebates.map((line) => units6(line.share)))).toBe(1_000_000n);
  for (const line of figures.rebates) {
    expect(pennies(line.rebate)).toBeGreaterThanOrEqual(0n);
    if (pennies(line.charged) === 0n) expect(pennies(line.rebate)).toBe(0n);
  }
}

describe('settlement properties', () => {
  it('rebates and their shares add up exactly, at every level, and no one is owed for nothing paid', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const result = settle(input);
        expectRebatesAddUp(result);
        for (const home of result.homes) expectRebatesAddUp(home);
      }),
      { numRuns: 400 },
    );
  });

  it('under the organisation scope, never states an excess above the realised surplus, nor one below zero', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const result = settle({ ...input, capScope: 'organisation' });
        const excess = pennies(result.excess);
        expect(excess).toBeGreaterThanOrEqual(0n);
        expect(excess).toBeLessThanOrEqual(
          pennies(result.realisedSurplus) > 0n ? pennies(result.realisedSurplus) : 0n,
        );
        for (const home of result.homes) expect(home.excess).toBeNull();
      }),
      { numRuns: 300 },
    );
  });

  it("under the home scope, the provider's rebate to each council is the sum of what its homes owe it", () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const result = settle({ ...input, capScope: 'home' });
        const owed = new Map<string, bigint>();
        for (const home of result.homes)
          for (const line of home.rebates)
            owed.set(line.councilCode, (owed.get(line.councilCode) ?? 0n) + pennies(line.rebate));
        for (const line of result.rebates)
          expect(pennies(line.rebate)).toBe(owed.get(line.councilCode) ?? 0n);
        expect(pennies(result.excess)).toBe(sum(result.homes.map((home) => pennies(home.excess))));
        // one rule: a home settled alone says what the provider's settlement says of it
        for (const [index, home] of input.homes.entries()) {
          const alone = settle({
            ...input,
            capScope: 'home',
            scope: { kind: 'home', id: home.id },
            homes: [home],
          });
          expect(alone.homes[0]).toEqual(result.homes[index]);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('owes nothing on books that are not settled: provisional or with a month missing', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const result = settle(input);
        if (result.status === 'final') {
          expect(result.missingMonths).toEqual([]);
          return;
        }
        expect(result.outcome).toBe(result.status);
        if (input.capScope === 'organisation' || result.status === 'provisional') {
          expect(result.rebates).toEqual([]);
          expect(result.excess).toBeNull();
        }
        for (const home of result.homes) if (home.missingMonths.length > 0) expect(home.rebates).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('income by council and cost by category and code add up to their totals, for the provider and each home', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const result = settle(input);
        for (const figures of [result, ...result.homes]) {
          expect(sum(figures.incomeByCouncil.map((line) => pennies(line.amount)))).toBe(
            pennies(figures.income),
          );
          expect(sum(figures.costByCategory.map((line) => pennies(line.amount)))).toBe(
            pennies(figures.actualCost),
          );
          expect(sum(figures.costByCode.map((line) => pennies(line.amount)))).toBe(
            pennies(figures.actualCost),
          );
          expect(pennies(figures.realisedSurplus)).toBe(
            pennies(figures.income) - pennies(figures.actualCost),
          );
        }
        expect(sum(result.homes.map((home) => pennies(home.income)))).toBe(pennies(result.income));
      }),
      { numRuns: 300 },
    );
  });

  it('generates every outcome', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(inputArb, (input) => {
        const result = settle(input);
        seen.add(result.outcome);
        for (const home of result.homes) seen.add(home.outcome);
      }),
      { numRuns: 600 },
    );
    expect([...seen].sort()).toEqual(
      [
        'excess_rebated',
        'incomplete',
        'information_only',
        'not_assessed',
        'overspent',
        'provisional',
        'within_cap',
      ].sort(),
    );
  });
});
