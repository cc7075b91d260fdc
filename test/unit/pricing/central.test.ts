import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainValidationError } from '../../../src/domain/errors.js';
import {
  type Breakdown,
  breakdownSchema,
  type CostModel,
  centralPoolShares,
  centralShareMessage,
  costModelSchema,
  priceCostModel,
  zodIssuesToFieldIssues,
} from '../../../src/domain/pricing/index.js';
import { handWorkedModel, salariedLine } from '../../helpers/models.js';

// §7 "Shares add up": a central pool shared among an organisation's homes is split into penny shares
// by largest remainder (ties to the earlier home by id), and a model may give its share as
// central.annualAmount, within a penny of poolAnnual × homeUnits ÷ totalUnits.

type Json = Record<string, unknown>;

const pennies = (amount: string) => BigInt(amount.replace('.', ''));
const sumOf = (amounts: readonly string[]) => amounts.reduce((sum, amount) => sum + pennies(amount), 0n);

/** D = 365, one place, one salaried line of £36,500 (700.00 a week): figures that work by hand. */
function baseModel(central: Json): Json {
  return handWorkedModel({ staffing: [salariedLine()], central, surplus: { rate: '0', capRate: '0.1' } });
}

function parse(input: unknown): CostModel {
  const result = costModelSchema.safeParse(input);
  if (!result.success) throw new Error(JSON.stringify(zodIssuesToFieldIssues(result.error)));
  return result.data;
}

function issues(input: unknown) {
  const result = costModelSchema.safeParse(input);
  return result.success ? [] : zodIssuesToFieldIssues(result.error);
}

/** Whole units with `places` implied decimals: (12345n, 2) → "123.45". */
function decimalText(units: bigint, places: number): string {
  const digits = units.toString().padStart(places + 1, '0');
  return places === 0 ? digits : `${digits.slice(0, -places)}.${digits.slice(-places)}`;
}

function centralLine(breakdown: Breakdown) {
  return breakdown.lines.find((line) => line.code === 'CENTRAL_OVERHEAD');
}

describe('§7 centralPoolShares', () => {
  it('splits £100,000.00 three ways by staff FTE so that the homes recover the pool, not a penny over', () => {
    // FTE 12.5 + 9.5 + 8 = 30. Exact shares 41,666.6666…, 31,666.6666…, 26,666.6666…: each rounded
    // half-up on its own gives 41,666.67 + 31,666.67 + 26,666.67 = 100,000.01, a penny over the pool.
    // Largest remainder: floors 41,666.66 + 31,666.66 + 26,666.66 = 99,999.98; the two pennies left
    // go to the largest remainders, here all equal (0.6666… of a penny), so to the two earlier ids.
    const shares = centralPoolShares('100000.00', [
      { homeId: 'home-c', units: '8' },
      { homeId: 'home-a', units: '12.5' },
      { homeId: 'home-b', units: '9.5' },
    ]);
    expect(shares).toEqual([
      { homeId: 'home-a', annualAmount: '41666.67' },
      { homeId: 'home-b', annualAmount: '31666.67' },
      { homeId: 'home-c', annualAmount: '26666.66' },
    ]);
    expect(sumOf(shares.map((share) => share.annualAmount))).toBe(10_000_000n);
  });

  it('splits £100,000.00 1:1:1 as 33,333.34 + 33,333.33 + 33,333.33, the penny to the earliest id', () => {
    const shares = centralPoolShares('100000', [
      { homeId: 'b', units: '2.5' },
      { homeId: 'c', units: '2.5' },
      { homeId: 'a', units: '2.5' },
    ]);
    expect(shares).toEqual([
      { homeId: 'a', annualAmount: '33333.34' },
      { homeId: 'b', annualAmount: '33333.33' },
      { homeId: 'c', annualAmount: '33333.33' },
    ]);
  });

  it('splits £200,000.00 1:1:1 as 66,666.67 + 66,666.67 + 66,666.66 (half-up alone: 1p over)', () => {
    const shares = centralPoolShares('200000.00', [
      { homeId: 'x1', units: '1' },
      { homeId: 'x2', units: '1' },
      { homeId: 'x3', units: '1' },
    ]);
    expect(shares.map((share) => share.annualAmount)).toEqual(['66666.67', '66666.67', '66666.66']);
  });

  it('gives the pennies to the largest remainders before the earlier ids', () => {
    // £1.00 by 1 : 1 : 1.3 (Σ 3.3): 30.3030…p, 30.3030…p, 39.3939…p → floors 30 + 30 + 39 = 99; the
    // last penny goes to the largest remainder, c's 0.3939…, not to a
    expect(
      centralPoolShares('1', [
        { homeId: 'a', units: '1' },
        { homeId: 'b', units: '1' },
        { homeId: 'c', units: '1.3' },
      ]),
    ).toEqual([
      { homeId: 'a', annualAmount: '0.30' },
      { homeId: 'b', annualAmount: '0.30' },
      { homeId: 'c', annualAmount: '0.40' },
    ]);
  });

  it('gives a home with no units nothing, and exact shares exactly', () => {
    expect(
      centralPoolShares('720000.00', [
        { homeId: 'a', units: '4' },
        { homeId: 'b', units: '0' },
        { homeId: 'c', units: '36' },
      ]),
    ).toEqual([
      { homeId: 'a', annualAmount: '72000.00' },
      { homeId: 'b', annualAmount: '0.00' },
      { homeId: 'c', annualAmount: '648000.00' },
    ]);
  });

  it('refuses what cannot be shared', () => {
    expect(() => centralPoolShares('100', [{ homeId: 'a', units: '0' }])).toThrow(RangeError);
    expect(() => centralPoolShares('100', [])).toThrow(RangeError);
    expect(() => centralPoolShares('100.001', [{ homeId: 'a', units: '1' }])).toThrow(RangeError);
    expect(() => centralPoolShares('-1', [{ homeId: 'a', units: '1' }])).toThrow(RangeError);
    expect(() => centralPoolShares('100', [{ homeId: 'a', units: '-1' }])).toThrow(RangeError);
    expect(() =>
      centralPoolShares('100', [
        { homeId: 'a', units: '1' },
        { homeId: 'a', units: '2' },
      ]),
    ).toThrow(/twice/);
  });

  // ── properties ──────────────────────────────────────────────────────────────────────────────

  const poolArb = fc.bigInt({ min: 0n, max: 999_999_999_999_99n }).map((p) => decimalText(p, 2));
  const unitsArb = fc
    .tuple(fc.bigInt({ min: 0n, max: 5_000_000_000n }), fc.integer({ min: 0, max: 6 }))
    .map(([units, places]) => decimalText(units, places));
  const homesArb = fc
    .uniqueArray(fc.record({ homeId: fc.uuid(), units: unitsArb }), {
      minLength: 1,
      maxLength: 12,
      selector: (home) => home.homeId,
    })
    .filter((homes) => homes.some((home) => /[1-9]/.test(home.units)));

  /** Σ units and each home's units, over one power of ten. */
  function wholeUnits(homes: readonly { units: string }[]) {
    const places = Math.max(...homes.map((home) => home.units.split('.')[1]?.length ?? 0));
    const whole = homes.map((home) => {
      const [int, frac = ''] = home.units.split('.');
      return BigInt(int + frac.padEnd(places, '0'));
    });
    return { whole, total: whole.reduce((sum, value) => sum + value, 0n) };
  }

  it('always adds up to the pool exactly', () => {
    fc.assert(
      fc.property(poolArb, homesArb, (pool, homes) => {
        const shares = centralPoolShares(pool, homes);
        expect(sumOf(shares.map((share) => share.annualAmount))).toBe(pennies(pool));
      }),
      { numRuns: 500 },
    );
  });

  it('gives each home less than a penny from its exact share, and what the model check accepts', () => {
    fc.assert(
      fc.property(poolArb, homesArb, (pool, homes) => {
        const shares = centralPoolShares(pool, homes);
        const byId = new Map(homes.map((home) => [home.homeId, home.units]));
        const ordered = shares.map((share) => ({ units: byId.get(share.homeId)! }));
        const { whole, total } = wholeUnits(ordered);
        shares.forEach((share, i) => {
          // |share − pool × u / Σu| < 1p, in integers: |share × Σu − pool × u| < Σu
          const gap = pennies(share.annualAmount) * total - pennies(pool) * whole[i]!;
          expect(gap < 0n ? -gap : gap).toBeLessThan(total);
          expect(
            centralShareMessage({
              poolAnnual: pool,
              homeUnits: byId.get(share.homeId)!,
              totalUnits: totalText(homes),
              annualAmount: share.annualAmount,
            }),
          ).toBeUndefined();
        });
      }),
      { numRuns: 300 },
    );
  });

  it('does not depend on the order the homes are given in', () => {
    fc.assert(
      fc.property(
        poolArb,
        homesArb.chain((homes) =>
          fc.tuple(fc.constant(homes), fc.shuffledSubarray(homes, { minLength: homes.length })),
        ),
        (pool, [homes, shuffled]) => {
          const shares = centralPoolShares(pool, homes);
          expect(centralPoolShares(pool, shuffled)).toEqual(shares);
          expect(centralPoolShares(pool, [...homes].reverse())).toEqual(shares);
          // in id order
          expect(shares.map((share) => share.homeId)).toEqual(homes.map((home) => home.homeId).sort());
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives the extra pennies of equal shares to the earlier ids', () => {
    fc.assert(
      fc.property(
        poolArb,
        fc.uniqueArray(fc.uuid(), { minLength: 1, maxLength: 9 }),
        unitsArb.filter((units) => /[1-9]/.test(units)),
        (pool, ids, units) => {
          const shares = centralPoolShares(
            pool,
            ids.map((homeId) => ({ homeId, units })),
          );
          const amounts = shares.map((share) => pennies(share.annualAmount));
          for (let i = 1; i < amounts.length; i += 1) expect(amounts[i - 1]! >= amounts[i]!).toBe(true);
          expect(amounts[0]! - amounts.at(-1)!).toBeLessThanOrEqual(1n);
        },
      ),
      { numRuns: 200 },
    );
  });
});

/** Σ units as a plain decimal string. */
function totalText(homes: readonly { units: string }[]): string {
  const places = Math.max(...homes.map((home) => home.units.split('.')[1]?.length ?? 0));
  const total = homes.reduce((sum, home) => {
    const [int, frac = ''] = home.units.split('.');
    return sum + BigInt(int + frac.padEnd(places, '0'));
  }, 0n);
  return decimalText(total, places);
}

describe('§7 central.annualAmount in a cost model', () => {
  const third = { poolAnnual: '100000', basis: 'staff_fte', homeUnits: '1', totalUnits: '3' };

  it('is the CENTRAL_OVERHEAD annual amount, and its weekly amount is a ÷ W ÷ P', () => {
    // 36,500 + 33,333.34 = 69,833.34 a year; weekly 700 + 33,333.34 × 7 ÷ 365 = 700 + 639.2696…
    // → fee 1,339.27; floors 700.00 + 639.26, the penny to the central line
    const breakdown = priceCostModel(parse(baseModel({ ...third, annualAmount: '33333.34' })));
    expect(breakdown.lines.map((line) => [line.code, line.annualAmount, line.weeklyPerChild])).toEqual([
      ['STAFF_PAY', '36500.00', '700.00'],
      ['CENTRAL_OVERHEAD', '33333.34', '639.27'],
    ]);
    expect(breakdown.weeklyFeePerChild).toBe('1339.27');
    expect(breakdown.annualIncomeAtPlannedOccupancy).toBe('69833.34');
    expect(centralLine(breakdown)?.basis).toBe(
      "£33,333.34, this home's share of the pool by largest remainder (£100,000.00 pool × 1 ÷ 3 units (staff FTE) ≈ £33,333.3333)",
    );
    expect(breakdown.central).toEqual({ ...third, annualAmount: '33333.34' });
    expect(breakdownSchema.safeParse(breakdown).success).toBe(true);
  });

  it('makes the breakdown method version 2; without it, version 1 and the product', () => {
    const withShare = priceCostModel(parse(baseModel({ ...third, annualAmount: '33333.33' })));
    const without = priceCostModel(parse(baseModel(third)));
    expect(withShare.methodVersion).toBe(2);
    expect(without.methodVersion).toBe(1);
    expect(centralLine(without)?.annualAmount).toBe('33333.33');
    expect(centralLine(without)?.basis).toBe('£100,000.00 pool × 1 ÷ 3 units (staff FTE)');
    expect('annualAmount' in without.central).toBe(false);
    expect(breakdownSchema.safeParse(without).success).toBe(true);
  });

  it('is refused more than a penny from the product, at /central/annualAmount, naming the product', () => {
    const message =
      "must be within a penny of this home's share of the pool, poolAnnual × homeUnits ÷ totalUnits (£100,000.00 × 1 ÷ 3 ≈ £33,333.3333): from 33333.33 to 33333.34";
    for (const annualAmount of ['33333.35', '33333.32', '0', '100000']) {
      const model = baseModel({ ...third, annualAmount });
      expect(issues(model)).toEqual(
        annualAmount === '33333.35' ? [{ pointer: '/central/annualAmount', message }] : expect.anything(),
      );
      expect(issues(model).map((issue) => issue.pointer)).toEqual(['/central/annualAmount']);
      // the engine checks it too, for a model that did not come through the schema
      let thrown: unknown;
      try {
        priceCostModel(model as unknown as CostModel);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(DomainValidationError);
      expect((thrown as DomainValidationError).issues).toEqual([
        { pointer: '/central/annualAmount', message: expect.stringContaining('from 33333.33 to 33333.34') },
      ]);
    }
  });

  it('accepts a difference of exactly a penny, and no more', () => {
    // £300 × 1 ÷ 3 = £100 exactly
    const exact = { poolAnnual: '300', basis: 'equal', homeUnits: '1', totalUnits: '3' };
    for (const annualAmount of ['99.99', '100', '100.00', '100.01']) {
      expect(issues(baseModel({ ...exact, annualAmount }))).toEqual([]);
    }
    for (const annualAmount of ['99.98', '100.02']) {
      expect(issues(baseModel({ ...exact, annualAmount }))).toEqual([
        {
          pointer: '/central/annualAmount',
          message:
            "must be within a penny of this home's share of the pool, poolAnnual × homeUnits ÷ totalUnits (£300.00 × 1 ÷ 3 = £100.00): from 99.99 to 100.01",
        },
      ]);
    }
  });

  it('is money: a decimal string, at most 2 decimal places, not negative', () => {
    for (const annualAmount of ['33333.333', '-1', 33333.33, 'abc']) {
      expect(issues(baseModel({ ...third, annualAmount })).map((issue) => issue.pointer)).toEqual([
        '/central/annualAmount',
      ]);
    }
  });

  it('leaves the line out when the share is zero, as §3 leaves out any zero line', () => {
    const breakdown = priceCostModel(
      parse(
        baseModel({
          poolAnnual: '0.01',
          basis: 'places',
          homeUnits: '1',
          totalUnits: '3',
          annualAmount: '0',
        }),
      ),
    );
    expect(centralLine(breakdown)).toBeUndefined();
    expect(breakdown.methodVersion).toBe(2);
  });

  // ── the annual column keeps the share exactly, whatever the other lines ──────────────────────

  const moneyArb = (maxPennies: number) =>
    fc.integer({ min: 0, max: maxPennies }).map((p) => decimalText(BigInt(p), 2));
  const frequencyArb = fc.constantFrom('weekly', 'monthly', 'quarterly', 'annual');

  const homeModelArb = fc.record({
    registeredPlaces: fc.integer({ min: 1, max: 6 }),
    plannedOccupancy: fc.constantFrom('1', '0.9', '0.75', '0.5', '0.833333', '0.37'),
    salaries: fc.array(moneyArb(8_000_000), { maxLength: 3 }),
    property: fc.array(fc.record({ amount: moneyArb(500_000), frequency: frequencyArb }), { maxLength: 3 }),
    running: fc.array(
      fc.record({
        amount: moneyArb(50_000),
        frequency: frequencyArb,
        basis: fc.constantFrom('per_home', 'per_child'),
      }),
      { maxLength: 3 },
    ),
    surplusRate: fc.constantFrom('0', '0.04', '0.05', '0.033333', '0.1'),
    fte: fc.integer({ min: 0, max: 40_000_000 }).map((micro) => decimalText(BigInt(micro), 6)),
  });

  function homeModel(home: HomeFacts, central: Json): Json {
    const model = baseModel(central);
    model.home = {
      registeredPlaces: home.registeredPlaces,
      plannedOccupancy: home.plannedOccupancy,
      fteHoursPerWeek: '37.5',
    };
    model.staffing = home.salaries.map((salary, i) => ({
      id: `s${i}`,
      role: `Role ${i}`,
      group: 'care',
      headcount: 1,
      ftePerPerson: '1',
      annualSalaryFte: salary,
      enhancementRate: '0',
      allowancesAnnualPerPerson: '0',
      requiresCover: false,
    }));
    model.property = home.property.map((line, i) => ({
      code: 'PROPERTY_OTHER',
      description: `P${i}`,
      ...line,
    }));
    model.running = home.running.map((line, i) => ({ code: 'RUNNING_OTHER', description: `R${i}`, ...line }));
    model.surplus = { rate: home.surplusRate, capRate: '0.1' };
    return model;
  }

  it("keeps each home's share as its CENTRAL_OVERHEAD annual amount, so the homes' lines add up to the pool", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200_000_000 }).map((p) => decimalText(BigInt(p), 2)),
        fc
          .array(homeModelArb, { minLength: 1, maxLength: 5 })
          .filter((homes) => homes.some((home) => /[1-9]/.test(home.fte))),
        (pool, homes) => {
          const ids = homes.map((_, i) => `home-${i}`);
          const units = homes.map((home, i) => ({ homeId: ids[i]!, units: home.fte }));
          const shares = centralPoolShares(pool, units);
          const total = totalText(units);
          let recovered = 0n;
          homes.forEach((home, i) => {
            const share = shares.find((s) => s.homeId === ids[i])!.annualAmount;
            const breakdown = priceCostModel(
              parse(
                homeModel(home, {
                  poolAnnual: pool,
                  basis: 'staff_fte',
                  homeUnits: home.fte,
                  totalUnits: total,
                  annualAmount: share,
                }),
              ),
            );
            const line = centralLine(breakdown);
            expect(line?.annualAmount ?? '0.00').toBe(share);
            recovered += pennies(line?.annualAmount ?? '0.00');
            expect(sumOf(breakdown.lines.map((l) => l.annualAmount))).toBe(
              pennies(breakdown.annualIncomeAtPlannedOccupancy),
            );
            expect(sumOf(breakdown.lines.map((l) => l.weeklyPerChild))).toBe(
              pennies(breakdown.weeklyFeePerChild),
            );
          });
          expect(recovered).toBe(pennies(pool));
        },
      ),
      { numRuns: 150 },
    );
  });
});

interface HomeFacts {
  registeredPlaces: number;
  plannedOccupancy: string;
  salaries: string[];
  property: { amount: string; frequency: string }[];
  running: { amount: string; frequency: string; basis: string }[];
  surplusRate: string;
  fte: string;
}
