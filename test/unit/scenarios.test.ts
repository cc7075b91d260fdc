import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainValidationError, type FieldIssue } from '../../src/domain/errors.js';
import {
  type CostModel,
  costModelSchema,
  type PriceOptions,
  priceCostModel,
  priceFee,
} from '../../src/domain/pricing/index.js';
import {
  applySettings,
  breakEvenAtPoint,
  bySwing,
  combinationSettings,
  gridRows,
  leverText,
  planScenario,
  pointFigures,
  type ScenarioPlan,
  type ScenarioSpecInput,
  scenarioSpecSchema,
  sensitivityLevers,
  sensitivityOf,
  solveBreakEven,
} from '../../src/domain/scenarios/index.js';
import { rateTables } from '../../src/modules/rates/index.js';

// The scenario rule (src/domain/scenarios/index.ts): the point, grids, break-even occupancy and
// sensitivity, checked on the worked examples against models edited by hand and priced by the
// quote's own engine (priceCostModel), and as properties over models derived from the examples.

const examplesDir = new URL('../../fixtures/examples/', import.meta.url);
const EXAMPLES = [
  'wirral-four-bed-2026-27',
  'halton-three-bed-2025-26',
  'wirral-related-parties-2026-27',
] as const;
type ExampleName = (typeof EXAMPLES)[number];
type ChangeInput = NonNullable<ScenarioSpecInput['changes']>[number];

const tables = rateTables();
const options: PriceOptions = { rateTables: tables };

function example(name: ExampleName): CostModel {
  const text = readFileSync(fileURLToPath(new URL(`${name}.model.json`, examplesDir)), 'utf8');
  return costModelSchema.parse(JSON.parse(text));
}

const examples: Record<ExampleName, CostModel> = Object.fromEntries(
  EXAMPLES.map((name) => [name, example(name)]),
) as Record<ExampleName, CostModel>;

function plan(model: CostModel, spec: ScenarioSpecInput = {}): ScenarioPlan {
  return planScenario(model, scenarioSpecSchema.parse(spec), options);
}

/** The four figures a quote publishes. */
function quoteFigures(model: CostModel) {
  const breakdown = priceCostModel(model, options);
  return {
    weeklyFeePerChild: breakdown.weeklyFeePerChild,
    weeklyCostPerChild: breakdown.weeklyCostPerChild,
    weeklySurplusPerChild: breakdown.weeklySurplusPerChild,
    annualIncomeAtPlannedOccupancy: breakdown.annualIncomeAtPlannedOccupancy,
  };
}

function feeFigures(model: CostModel) {
  const priced = priceFee(model, options);
  return {
    weeklyFeePerChild: priced.weeklyFeePerChild,
    weeklyCostPerChild: priced.weeklyCostPerChild,
    weeklySurplusPerChild: priced.weeklySurplusPerChild,
    annualIncomeAtPlannedOccupancy: priced.annualIncomeAtPlannedOccupancy,
  };
}

function issuesOf(run: () => unknown): FieldIssue[] {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainValidationError) return error.issues;
    throw error;
  }
  throw new Error('expected a DomainValidationError, but nothing was thrown');
}

// ── decimal text, worked out here rather than with src/domain/money.ts ──────────────────────────

/** "12.21" → 1221n, "33000" → 3300000n. */
function pennies(text: string): bigint {
  const [whole, fraction = ''] = text.split('.');
  return BigInt(whole!) * 100n + BigInt(fraction.padEnd(2, '0').slice(0, 2));
}

function poundsText(value: bigint): string {
  return `${value / 100n}.${(value % 100n).toString().padStart(2, '0')}`;
}

/** A non-negative value in units of 10^-places as a plain decimal without trailing zeros. */
function decimalText(units: bigint | number, places: number): string {
  const value = BigInt(units);
  const sign = value < 0n ? '-' : '';
  const digits = (value < 0n ? -value : value).toString().padStart(places + 1, '0');
  if (places === 0) return `${sign}${digits}`;
  const text = `${digits.slice(0, digits.length - places)}.${digits.slice(digits.length - places)}`;
  return `${sign}${text.replace(/0+$/, '').replace(/\.$/, '')}`;
}

/** A decimal text in millionths (for surplus rates, caps, occupancies). */
function micros(text: string): bigint {
  const [whole, fraction = ''] = text.split('.');
  return BigInt(whole!) * 1_000_000n + BigInt(fraction.padEnd(6, '0').slice(0, 6));
}

/** Pay × 1.06, half-up to the penny. */
function upliftSixPercent(pay: string): string {
  return poundsText((pennies(pay) * 106n + 50n) / 100n);
}

function withOccupancy(model: CostModel, plannedOccupancy: string): CostModel {
  return { ...model, home: { ...model.home, plannedOccupancy } };
}

// ── models derived from the worked examples ─────────────────────────────────────────────────────

interface Variation {
  name: ExampleName;
  occupancy: number;
  /** Per staffing line: pay × percent ÷ 100, plus some pennies. */
  pay: [number, number][];
  /** Per property then running line: amount × per-mille ÷ 1000, plus some pennies. */
  amounts: [number, number][];
  /** The surplus rate as millionths of the cap. */
  surplusOfCap: number;
  agencyShare: number;
  ratesFrom: boolean;
  allPerHome: boolean;
}

function derive(v: Variation): CostModel {
  const model = structuredClone(examples[v.name]) as CostModel & Record<string, unknown>;
  model.home.plannedOccupancy = decimalText(v.occupancy, 6);
  model.staffing.forEach((line, i) => {
    const [percent, extra] = v.pay[i % v.pay.length]!;
    const moved = (text: string) =>
      poundsText((pennies(text) * BigInt(percent)) / 100n + BigInt(extra % 100) + 1n);
    if (line.annualSalaryFte !== undefined) line.annualSalaryFte = moved(line.annualSalaryFte);
    else line.hourlyRate = moved(line.hourlyRate!);
  });
  [...model.property, ...model.running].forEach((line, i) => {
    // a line paid to a related party keeps its amount: §6 may refuse the model otherwise
    if (line.relatedPartyId !== undefined) return;
    const [perMille, extra] = v.amounts[i % v.amounts.length]!;
    line.amount = poundsText((pennies(line.amount) * BigInt(perMille)) / 1000n + BigInt(extra));
  });
  if (v.allPerHome) for (const line of model.running) line.basis = 'per_home';
  model.surplus.rate = decimalText((micros(model.surplus.capRate) * BigInt(v.surplusOfCap)) / 1_000_000n, 6);
  model.cover.agencyShare = decimalText(v.agencyShare, 6);
  if (v.ratesFrom) {
    delete model.rates;
    model.ratesFrom = model.period.label;
  }
  return costModelSchema.parse(model);
}

function priceable(model: CostModel): boolean {
  try {
    priceCostModel(model, options);
    return true;
  } catch (error) {
    if (error instanceof DomainValidationError) return false;
    throw error;
  }
}

const variationArb = (allPerHome: fc.Arbitrary<boolean>) =>
  fc.record({
    name: fc.constantFrom(...EXAMPLES),
    occupancy: fc.oneof(
      fc.integer({ min: 1, max: 1_000_000 }),
      fc.constantFrom(1_000_000, 900_000, 850_000, 500_000, 250_000),
    ),
    pay: fc.array(fc.tuple(fc.integer({ min: 50, max: 200 }), fc.nat(99)), { minLength: 5, maxLength: 5 }),
    amounts: fc.array(fc.tuple(fc.integer({ min: 0, max: 2000 }), fc.nat(99)), {
      minLength: 16,
      maxLength: 16,
    }),
    surplusOfCap: fc.oneof(fc.integer({ min: 0, max: 1_000_000 }), fc.constantFrom(0, 1_000_000)),
    agencyShare: fc.integer({ min: 0, max: 1_000_000 }),
    ratesFrom: fc.boolean(),
    allPerHome,
  });

const modelArb = variationArb(fc.boolean()).map(derive).filter(priceable);
const perHomeModelArb = variationArb(fc.constant(true)).map(derive).filter(priceable);

// ── worked examples ─────────────────────────────────────────────────────────────────────────────

describe.each(EXAMPLES)('the scenario rule on %s', (name) => {
  const base = examples[name];

  it('priceFee gives the quote’s fee, cost, surplus and annual income', () => {
    expect(feeFigures(base)).toEqual(quoteFigures(base));
  });

  it('a scenario with no changes has point = base = the quote’s figures', () => {
    const scenario = plan(base);
    const quote = quoteFigures(base);
    const basePriced = pointFigures(scenario, 'base');
    const pointPriced = pointFigures(scenario, 'point');
    expect(basePriced).toMatchObject({ ...quote, plannedOccupancy: base.home.plannedOccupancy });
    expect(pointPriced).toEqual(basePriced);
    expect(scenario.point).toEqual(base);
    expect(scenario.target).toEqual({ pennies: pennies(quote.weeklyFeePerChild), source: 'base' });
  });

  it('a 6% care pay uplift prices as the model with care pay × 1.06, half-up to the penny', () => {
    const scenario = plan(base, { changes: [{ lever: 'payUplift', group: 'care', value: '0.06' }] });
    const byHand: CostModel = {
      ...base,
      staffing: base.staffing.map((line) => {
        if (line.group !== 'care') return line;
        return line.annualSalaryFte !== undefined
          ? { ...line, annualSalaryFte: upliftSixPercent(line.annualSalaryFte) }
          : { ...line, hourlyRate: upliftSixPercent(line.hourlyRate!) };
      }),
    };
    expect(byHand.staffing).not.toEqual(base.staffing);
    const expected = quoteFigures(byHand);
    expect(pointFigures(scenario, 'point')).toMatchObject(expected);
    expect(penniesOfFee(expected)).toBeGreaterThan(penniesOfFee(quoteFigures(base)));
  });

  it('an amount lever on /property/0 prices as the model with that line edited', () => {
    const scenario = plan(base, { changes: [{ lever: 'amount', line: '/property/0', value: '2300.5' }] });
    const byHand: CostModel = {
      ...base,
      property: base.property.map((line, i) => (i === 0 ? { ...line, amount: '2300.50' } : line)),
    };
    expect(pointFigures(scenario, 'point')).toMatchObject(quoteFigures(byHand));
    expect(pointFigures(scenario, 'point').weeklyFeePerChild).not.toBe(quoteFigures(base).weeklyFeePerChild);
  });

  it('employerNiRate on a model using ratesFrom prices as the table’s rates inline with that NI rate', () => {
    const { rates: _inline, ...rest } = base;
    const fromTable: CostModel = costModelSchema.parse({ ...rest, ratesFrom: base.period.label });
    expect(fromTable.rates).toBeUndefined();
    const scenario = plan(fromTable, { changes: [{ lever: 'employerNiRate', value: '0.138' }] });
    const table = tables.get(base.period.label)!;
    const byHand: CostModel = { ...rest, rates: { ...table.rates, employerNiRate: '0.138' } };
    // priced without the tables: the inline model needs none
    const breakdown = priceCostModel(byHand);
    expect(pointFigures(scenario, 'point')).toMatchObject({
      weeklyFeePerChild: breakdown.weeklyFeePerChild,
      weeklyCostPerChild: breakdown.weeklyCostPerChild,
      weeklySurplusPerChild: breakdown.weeklySurplusPerChild,
      annualIncomeAtPlannedOccupancy: breakdown.annualIncomeAtPlannedOccupancy,
    });
    expect(pointFigures(scenario, 'base')).toMatchObject(quoteFigures(fromTable));
    expect(breakdown.weeklyFeePerChild).not.toBe(quoteFigures(fromTable).weeklyFeePerChild);
    // and the base still names its table
    expect(fromTable.ratesFrom).toBe(base.period.label);
  });
});

function penniesOfFee(figures: { weeklyFeePerChild: string }): bigint {
  return pennies(figures.weeklyFeePerChild);
}

describe('uplifts and levers in order', () => {
  const base = examples['wirral-four-bed-2026-27'];

  it('uplifts compound, each half-up to the penny', () => {
    const scenario = plan(base, {
      changes: [
        { lever: 'payUplift', line: 'hk', value: '0.03' },
        { lever: 'payUplift', value: '0.02' },
      ],
    });
    // 13.00 × 1.03 = 13.39; × 1.02 = 13.6578 → 13.66
    expect(scenario.point.staffing.find((line) => line.id === 'hk')!.hourlyRate).toBe('13.66');
    // 48000 × 1.02 = 48960.00
    expect(scenario.point.staffing.find((line) => line.id === 'rm')!.annualSalaryFte).toBe('48960.00');
  });

  it('a later lever on the same field wins', () => {
    const scenario = plan(base, {
      changes: [
        { lever: 'plannedOccupancy', value: '0.5' },
        { lever: 'plannedOccupancy', value: '0.75' },
      ],
    });
    expect(pointFigures(scenario, 'point')).toMatchObject(quoteFigures(withOccupancy(base, '0.75')));
  });

  it('a point §6 refuses is named at /changes with the method’s reason', () => {
    const related = examples['wirral-related-parties-2026-27'];
    const tutoring = related.running.findIndex((line) => line.relatedPartyId === 'edu');
    const issues = issuesOf(() =>
      plan(related, { changes: [{ lever: 'amount', line: `/running/${tutoring}`, value: '900' }] }),
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]!.pointer).toBe('/changes');
    expect(issues[0]!.message).toContain('/surplus/rate');
  });

  it('a grid combination §6 refuses has no fee and the method’s reason', () => {
    const related = examples['wirral-related-parties-2026-27'];
    const tutoring = related.running.findIndex((line) => line.relatedPartyId === 'edu');
    const scenario = plan(related, {
      grids: [
        {
          name: 'tutoring',
          axes: [{ lever: 'amount', line: `/running/${tutoring}`, values: ['60', '900'] }],
        },
      ],
    });
    const rows = [...gridRows(scenario, scenario.grids[0]!)];
    expect(rows[0]).toMatchObject({ at: ['60.00'], ...quoteFigures(related) });
    expect(rows[1]).toMatchObject({ at: ['900.00'], weeklyFeePerChild: null, breakEvenOccupancy: null });
    expect(rows[1]!.problem).toContain('/surplus/rate');
  });
});

// ── properties ──────────────────────────────────────────────────────────────────────────────────

describe('properties over models derived from the worked examples', () => {
  it('priceFee agrees with priceCostModel', () => {
    fc.assert(
      fc.property(modelArb, (model) => {
        expect(feeFigures(model)).toEqual(quoteFigures(model));
      }),
      { numRuns: 300 },
    );
  });

  it('at the base values a scenario’s fee equals the quote’s', () => {
    fc.assert(
      fc.property(modelArb, (model) => {
        const niRate = (model.rates ?? tables.get(model.ratesFrom!)!.rates).employerNiRate;
        const scenario = plan(model, {
          changes: [
            { lever: 'plannedOccupancy', value: model.home.plannedOccupancy },
            { lever: 'payUplift', value: '0' },
            { lever: 'agencyShare', value: model.cover.agencyShare },
            { lever: 'employerNiRate', value: niRate },
            { lever: 'surplusRate', value: model.surplus.rate },
            { lever: 'amount', line: '/property/0', value: model.property[0]!.amount },
          ],
        });
        const quote = quoteFigures(model);
        expect(pointFigures(scenario, 'point')).toMatchObject(quote);
        expect(pointFigures(scenario, 'base')).toMatchObject(quote);
      }),
      { numRuns: 200 },
    );
  });

  it('a pay uplift prices as the model with that pay × (1 + u), half-up to the penny', () => {
    const targetArb = fc.constantFrom<{ group?: 'care' | 'management'; line?: string }>(
      {},
      { group: 'care' },
      { group: 'management' },
      { line: 'rm' },
    );
    fc.assert(
      fc.property(modelArb, fc.integer({ min: -500_000, max: 1_000_000 }), targetArb, (model, u, target) => {
        const named = (line: CostModel['staffing'][number]) =>
          target.group !== undefined
            ? line.group === target.group
            : target.line !== undefined
              ? line.id === target.line
              : true;
        const moved = (pay: string) =>
          poundsText((pennies(pay) * (1_000_000n + BigInt(u)) * 2n + 1_000_000n) / 2_000_000n);
        const byHand: CostModel = {
          ...model,
          staffing: model.staffing.map((line) => {
            if (!named(line)) return line;
            return line.annualSalaryFte !== undefined
              ? { ...line, annualSalaryFte: moved(line.annualSalaryFte) }
              : { ...line, hourlyRate: moved(line.hourlyRate!) };
          }),
        };
        const run = () =>
          plan(model, { changes: [{ lever: 'payUplift', value: decimalText(u, 6), ...target }] });
        if (!priceable(byHand)) {
          expect(issuesOf(run).map((issue) => issue.pointer)).toEqual(['/changes']);
          return;
        }
        const scenario = run();
        expect(pointFigures(scenario, 'point')).toMatchObject(quoteFigures(byHand));
        scenario.point.staffing.forEach((line, i) => {
          const hand = byHand.staffing[i]!;
          const pay = (l: typeof line) => pennies(l.annualSalaryFte ?? l.hourlyRate!);
          expect(pay(line)).toBe(pay(hand));
        });
      }),
      { numRuns: 200 },
    );
  });

  it('with every running line per_home, the fee never rises as occupancy rises', () => {
    fc.assert(
      fc.property(
        perHomeModelArb,
        fc.uniqueArray(fc.integer({ min: 1, max: 1_000_000 }), { minLength: 2, maxLength: 25 }),
        (model, occupancies) => {
          const values = [...occupancies].sort((a, b) => a - b).map((o) => decimalText(o, 6));
          const scenario = plan(model, {
            grids: [{ name: 'occupancy', axes: [{ lever: 'plannedOccupancy', values }] }],
          });
          const rows = [...gridRows(scenario, scenario.grids[0]!)];
          expect(rows.map((row) => row.at[0])).toEqual(values);
          const fees = rows.map((row) => {
            expect(row.weeklyFeePerChild).not.toBeNull();
            return pennies(row.weeklyFeePerChild!);
          });
          for (let i = 1; i < fees.length; i += 1) expect(fees[i]!).toBeLessThanOrEqual(fees[i - 1]!);
          // each row is the quote at that occupancy
          const last = values.length - 1;
          expect(rows[last]).toMatchObject(quoteFigures(withOccupancy(model, values[last]!)));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('the fee curve gives the quote’s fee at any occupancy (a + b ÷ o, half-up)', () => {
    fc.assert(
      fc.property(modelArb, fc.integer({ min: 1, max: 1_000_000 }), (model, micro) => {
        const { homeTotal, placeTotal, places, annualDenominator, days } = priceFee(model, options).curve;
        const R = BigInt(model.home.registeredPlaces);
        const m = BigInt(micro);
        // fee in pennies at P = R × m / 10^6: (homeTotal + placeTotal × P ÷ P₀) × 700 ÷ (K × D × P)
        const p0 = 10n ** BigInt(places.places);
        const numerator = 700n * (homeTotal * 1_000_000n * places.units + placeTotal * R * m * p0);
        const denominator = annualDenominator * days * R * m * places.units;
        const halfUp = (2n * numerator + denominator) / (2n * denominator);
        const quoted = quoteFigures(withOccupancy(model, decimalText(micro, 6)));
        expect(poundsText(halfUp)).toBe(quoted.weeklyFeePerChild);
      }),
      { numRuns: 200 },
    );
  });

  it('the break-even occupancy priced back gives the target fee within a penny', () => {
    const targetArb = fc.oneof(
      fc.integer({ min: 1, max: 60_000 }),
      fc.integer({ min: 60_000, max: 3_000_000 }),
    );
    let solvedReachable = 0;
    let unsolved = 0;
    fc.assert(
      fc.property(modelArb, targetArb, (model, target) => {
        const T = BigInt(target);
        const curve = priceFee(model, options).curve;
        const places = model.home.registeredPlaces;
        const solved = solveBreakEven(curve, places, T);
        if (solved === undefined) {
          unsolved += 1;
          // the per-child lines alone cost T or more: even full, the fee is at least T
          expect(pennies(quoteFigures(withOccupancy(model, '1')).weeklyFeePerChild)).toBeGreaterThanOrEqual(
            T,
          );
          return;
        }
        const o10 = solved.occupancy10;
        expect(o10).toMatch(/^\d+\.\d{10}$/);
        expect(solved.reachable).toBe(micros(solved.occupancy) <= 1_000_000n);
        if (micros(solved.occupancy) <= 1_000_000n) {
          solvedReachable += 1;
          const at6 = priceCostModel(withOccupancy(model, solved.occupancy), options);
          expect(pennies(at6.weeklyFeePerChild)).toBeLessThanOrEqual(T);
        }
        if (/^0\.0*[1-9]/.test(o10) || o10 === '1.0000000000') {
          const at10 = priceCostModel(withOccupancy(model, o10), options);
          const difference = pennies(at10.weeklyFeePerChild) - T;
          expect(difference <= 1n && difference >= -1n, `${at10.weeklyFeePerChild} against ${T}p`).toBe(true);
        }
        // rounded up: one millionth below, the unrounded fee (from the curve) is above the target
        const up6 = micros(solved.occupancy);
        if (up6 > 1n) {
          const R = BigInt(places);
          const m = up6 - 1n;
          const p0 = 10n ** BigInt(curve.places.places);
          const feeTimes =
            700n * (curve.homeTotal * 1_000_000n * curve.places.units + curve.placeTotal * R * m * p0);
          const targetTimes = T * curve.annualDenominator * curve.days * R * m * curve.places.units;
          expect(feeTimes > targetTimes).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
    expect(solvedReachable).toBeGreaterThan(0);
    expect(unsolved).toBeGreaterThan(0);
  });

  it('planning and running a scenario never changes the base model', () => {
    const specArb = (model: CostModel) => {
      const hourly = model.staffing.find((line) => line.hourlyRate !== undefined)!.id;
      const cap = Number(micros(model.surplus.capRate));
      const change = fc.oneof(
        fc
          .integer({ min: 1, max: 1_000_000 })
          .map((o): ChangeInput => ({ lever: 'plannedOccupancy', value: decimalText(o, 6) })),
        fc
          .tuple(
            fc.integer({ min: -500_000, max: 1_000_000 }),
            fc.constantFrom(undefined, 'care', 'management'),
          )
          .map(
            ([u, group]): ChangeInput => ({
              lever: 'payUplift',
              value: decimalText(u, 6),
              ...(group ? { group } : {}),
            }),
          ),
        fc
          .integer({ min: 0, max: 1_000_000 })
          .map((s): ChangeInput => ({ lever: 'agencyShare', value: decimalText(s, 6) })),
        fc
          .integer({ min: 0, max: 300_000 })
          .map((r): ChangeInput => ({ lever: 'employerNiRate', value: decimalText(r, 6) })),
        fc
          .integer({ min: 0, max: cap })
          .map((r): ChangeInput => ({ lever: 'surplusRate', value: decimalText(r, 6) })),
        fc
          .integer({ min: 1, max: 5000 })
          .map((p): ChangeInput => ({ lever: 'hourlyRate', line: hourly, value: decimalText(p, 2) })),
        fc
          .integer({ min: 0, max: 500_000 })
          .map((p): ChangeInput => ({ lever: 'amount', line: '/property/0', value: decimalText(p, 2) })),
      );
      return fc.record({
        changes: fc.array(change, { maxLength: 4 }),
        grids: fc.constant<ScenarioSpecInput['grids']>([
          {
            name: 'g',
            axes: [
              { lever: 'plannedOccupancy', values: ['0.5', '1'] },
              { lever: 'employerNiRate', range: { from: '0.1', to: '0.15', step: '0.05' } },
              { lever: 'payUplift', group: 'care', values: ['0', '0.05'] },
            ],
          },
        ]),
        breakEven: fc.option(
          fc.integer({ min: 1, max: 2_000_000 }).map((p) => ({ weeklyFee: decimalText(p, 2) })),
          { nil: undefined },
        ),
      });
    };
    fc.assert(
      fc.property(
        modelArb.chain((model) => fc.tuple(fc.constant(model), specArb(model))),
        ([model, spec]) => {
          const before = structuredClone(model);
          let scenario: ScenarioPlan | undefined;
          try {
            scenario = plan(model, spec);
          } catch (error) {
            if (!(error instanceof DomainValidationError)) throw error;
            expect(error.issues.every((issue) => issue.pointer === '/changes')).toBe(true);
          }
          if (scenario !== undefined) {
            expect(scenario.base).toBe(model);
            for (const grid of scenario.grids) for (const _row of gridRows(scenario, grid));
            for (const setting of sensitivityLevers(scenario)) sensitivityOf(scenario, setting);
            breakEvenAtPoint(scenario);
            pointFigures(scenario, 'base');
            pointFigures(scenario, 'point');
          }
          expect(model).toEqual(before);
        },
      ),
      { numRuns: 60 },
    );
  });
});

// ── limits and errors ───────────────────────────────────────────────────────────────────────────

describe('limits and errors', () => {
  const base = examples['wirral-four-bed-2026-27'];

  it('refuses more than 10,000 combinations at /grids, with the count', () => {
    const issues = issuesOf(() =>
      plan(base, {
        grids: [
          {
            name: 'too many',
            axes: [
              { lever: 'plannedOccupancy', range: { from: '0.9', to: '1', step: '0.001' } },
              { lever: 'agencyShare', range: { from: '0', to: '1', step: '0.01' } },
            ],
          },
        ],
      }),
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]!.pointer).toBe('/grids');
    expect(issues[0]!.message).toContain('10,201');
  });

  it('counts combinations over all grids, and accepts exactly 10,000', () => {
    const hundred = { from: '0.01', to: '1', step: '0.01' };
    const exactly = plan(base, {
      grids: [
        {
          name: 'ten thousand',
          axes: [
            { lever: 'plannedOccupancy', range: hundred },
            { lever: 'agencyShare', range: hundred },
          ],
        },
      ],
    });
    expect(exactly.combinations).toBe(10_000);
    const issues = issuesOf(() =>
      plan(base, {
        grids: [
          {
            name: 'a',
            axes: [
              { lever: 'plannedOccupancy', range: hundred },
              { lever: 'agencyShare', range: hundred },
            ],
          },
          { name: 'b', axes: [{ lever: 'surplusRate', values: ['0.01'] }] },
        ],
      }),
    );
    expect(issues).toEqual([{ pointer: '/grids', message: expect.stringContaining('10,001') }]);
  });

  it('refuses a range of more than 10,000 values at its range', () => {
    const issues = issuesOf(() =>
      plan(base, {
        grids: [
          { name: 'fine', axes: [{ lever: 'agencyShare', range: { from: '0', to: '1', step: '0.0001' } }] },
        ],
      }),
    );
    expect(issues.map((issue) => issue.pointer)).toEqual(['/grids/0/axes/0/range']);
    expect(issues[0]!.message).toContain('10,001');
  });

  it('refuses a surplus rate above the cap at the change’s value', () => {
    const issues = issuesOf(() => plan(base, { changes: [{ lever: 'surplusRate', value: '0.080001' }] }));
    expect(issues).toHaveLength(1);
    expect(issues[0]!.pointer).toBe('/changes/0/value');
    expect(issues[0]!.message).toContain('0.08');
    // the cap itself is allowed
    expect(plan(base, { changes: [{ lever: 'surplusRate', value: '0.08' }] }).point.surplus.rate).toBe(
      '0.08',
    );
  });

  it('names each offending field at once', () => {
    const issues = issuesOf(() =>
      plan(base, {
        changes: [
          { lever: 'hourlyRate', line: 'rm', value: '20' },
          { lever: 'payUplift', line: 'nobody', value: '0.02' },
          { lever: 'amount', line: '/property/99', value: '100' },
          { lever: 'payUplift', group: 'care', line: 'rcw', value: '0.02' },
          { lever: 'plannedOccupancy', value: '1.5' },
          { lever: 'agencyShare', group: 'care', value: '0.2' },
        ],
        grids: [
          {
            name: 'g',
            axes: [
              { lever: 'plannedOccupancy', values: ['0.5'] },
              { lever: 'payUplift', group: 'care', line: 'rcw', values: ['0.01'] },
              { lever: 'amount', line: '/running/0', values: ['1', '-1'] },
            ],
          },
        ],
      }),
    );
    const byPointer = Object.fromEntries(issues.map((issue) => [issue.pointer, issue.message]));
    expect(Object.keys(byPointer).sort()).toEqual(
      [
        '/changes/0/line',
        '/changes/1/line',
        '/changes/2/line',
        '/changes/3/line',
        '/changes/4/value',
        '/changes/5/group',
        '/grids/0/axes/1/line',
        '/grids/0/axes/2/values/1',
      ].sort(),
    );
    expect(byPointer['/changes/0/line']).toMatch(/salary/);
    expect(byPointer['/changes/1/line']).toContain('"nobody"');
    expect(byPointer['/changes/2/line']).toMatch(/names no property or running line/);
    expect(byPointer['/changes/3/line']).toMatch(/not both/);
  });

  it('combinationSettings(grid, n) is row n of gridRows, the last axis varying fastest', () => {
    const occupancies = ['0.75', '0.9', '1'];
    const uplifts = ['0', '0.03'];
    const leases = ['2000', '2400', '2800', '3200'];
    const scenario = plan(base, {
      changes: [{ lever: 'agencyShare', value: '0.2' }],
      grids: [
        {
          name: 'g',
          axes: [
            { lever: 'plannedOccupancy', values: occupancies },
            { lever: 'payUplift', group: 'care', values: uplifts },
            { lever: 'amount', line: '/property/0', values: leases },
          ],
        },
      ],
    });
    const grid = scenario.grids[0]!;
    expect(grid.combinations).toBe(24);
    const rows = [...gridRows(scenario, grid)];
    expect(rows).toHaveLength(24);
    rows.forEach((row, n) => {
      const settings = combinationSettings(grid, n);
      expect(row.at).toEqual(settings.map((s) => leverText(s.target.lever, s.units)));
      const [o, u, l] = [occupancies[Math.floor(n / 8)]!, uplifts[Math.floor(n / 4) % 2]!, leases[n % 4]!];
      expect(row.at).toEqual([o, u, `${l}.00`]);
      expect(row).toMatchObject(feeFigures(applySettings(scenario.point, settings, options)));
      // and by hand, from the point: the quote's own figures
      const byHand: CostModel = {
        ...withOccupancy(base, o),
        cover: { ...base.cover, agencyShare: '0.2' },
        staffing: base.staffing.map((line) =>
          line.group === 'care' && u === '0.03'
            ? { ...line, annualSalaryFte: poundsText((pennies(line.annualSalaryFte!) * 103n + 50n) / 100n) }
            : line,
        ),
        property: base.property.map((line, i) => (i === 0 ? { ...line, amount: l } : line)),
      };
      expect(row).toMatchObject(quoteFigures(byHand));
    });
  });
});

// ── sensitivity ─────────────────────────────────────────────────────────────────────────────────

describe('sensitivity', () => {
  const base = examples['wirral-four-bed-2026-27'];

  function sensitivity(scenario: ScenarioPlan) {
    return bySwing(sensitivityLevers(scenario).map((setting) => sensitivityOf(scenario, setting)));
  }

  it('lists the levers by swing, widest first, each swing the highest fee less the lowest', () => {
    for (const name of EXAMPLES) {
      const scenario = plan(examples[name]);
      const levers = sensitivity(scenario);
      expect(levers.length).toBeGreaterThan(10);
      const swings = levers.map((lever) => pennies(lever.swing));
      for (let i = 1; i < swings.length; i += 1) expect(swings[i]!).toBeLessThanOrEqual(swings[i - 1]!);
      expect(swings[0]!).toBeGreaterThan(swings[swings.length - 1]!);
      const fee = pennies(scenario.pointFee.weeklyFeePerChild);
      for (const lever of levers) {
        const fees = [
          fee,
          ...lever.points
            .filter((p) => p.weeklyFeePerChild !== null)
            .map((p) => pennies(p.weeklyFeePerChild!)),
        ];
        fees.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        const [low, high] = [fees[0]!, fees[fees.length - 1]!];
        expect(lever.swing, lever.key).toBe(poundsText(high - low));
        expect(lever.points.map((p) => p.step)).toEqual(['-0.10', '-0.05', '0.05', '0.10']);
      }
    }
  });

  it('prices each step as the model edited by hand', () => {
    const levers = sensitivity(plan(base));
    const occupancy = levers.find((lever) => lever.key === 'plannedOccupancy')!;
    // 0.9 × 0.9, × 0.95, × 1.05, × 1.1
    expect(occupancy.points.map((p) => p.value)).toEqual(['0.81', '0.855', '0.945', '0.99']);
    for (const point of occupancy.points) {
      expect(point.weeklyFeePerChild).toBe(quoteFigures(withOccupancy(base, point.value)).weeklyFeePerChild);
    }
    const lease = levers.find((lever) => lever.key === 'amount:/property/0')!;
    expect(lease.points.map((p) => p.value)).toEqual(['2160.00', '2280.00', '2520.00', '2640.00']);
    const leaseUp: CostModel = {
      ...base,
      property: base.property.map((line, i) => (i === 0 ? { ...line, amount: '2640' } : line)),
    };
    expect(lease.points[3]!.weeklyFeePerChild).toBe(quoteFigures(leaseUp).weeklyFeePerChild);
    const care = levers.find((lever) => lever.key === 'payUplift:care')!;
    expect(care.value).toBe('0');
    expect(care.points.map((p) => p.value)).toEqual(['-0.1', '-0.05', '0.05', '0.1']);
  });

  it('occupancy +10% above 1 has no fee and a problem', () => {
    const scenario = plan(base, { changes: [{ lever: 'plannedOccupancy', value: '0.95' }] });
    const occupancy = sensitivity(scenario).find((lever) => lever.key === 'plannedOccupancy')!;
    const [, , plus5, plus10] = occupancy.points;
    expect(plus10).toMatchObject({ step: '0.10', value: '1.045', weeklyFeePerChild: null });
    expect(plus10!.problem).toEqual(expect.any(String));
    expect(plus10!.problem!.length).toBeGreaterThan(0);
    expect(plus5).toMatchObject({ step: '0.05', value: '0.9975' });
    expect(plus5!.weeklyFeePerChild).toBe(quoteFigures(withOccupancy(base, '0.9975')).weeklyFeePerChild);
    expect(plus5!.problem).toBeUndefined();
  });

  it('a surplus rate pushed above the cap has no fee', () => {
    const scenario = plan(base, { changes: [{ lever: 'surplusRate', value: '0.08' }] });
    const surplus = sensitivity(scenario).find((lever) => lever.key === 'surplusRate')!;
    expect(surplus.points.slice(2).map((p) => p.weeklyFeePerChild)).toEqual([null, null]);
    expect(surplus.points.slice(0, 2).every((p) => p.weeklyFeePerChild !== null)).toBe(true);
  });

  it('leaves out a lever whose value is 0', () => {
    const withAgency = sensitivityLevers(plan(base)).map((s) => s.target.key);
    expect(withAgency).toContain('agencyShare');
    const scenario = plan(base, {
      changes: [
        { lever: 'agencyShare', value: '0' },
        { lever: 'amount', line: '/running/3', value: '0' },
      ],
    });
    const keys = sensitivity(scenario).map((lever) => lever.key);
    expect(keys).not.toContain('agencyShare');
    expect(keys).not.toContain('amount:/running/3');
    expect(keys).toContain('amount:/running/4');
    expect(keys).toContain('employerNiRate');
  });
});
