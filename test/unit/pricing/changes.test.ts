import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Dec, formatPennies, formatUnits } from '../../../src/domain/money.js';
import {
  type CostModel,
  costModelSchema,
  explainFeeChange,
  FEE_CHANGE_SECTIONS,
  type FeeChange,
  feeChangeSchema,
  PROPERTY_CODES,
  type PricedModel,
  priceCostModel,
  type RateTables,
  RUNNING_CODES,
  rateTableSchema,
  rateTablesByYear,
} from '../../../src/domain/pricing/index.js';

// explainFeeChange: worked examples on the two models of fixtures/examples, then a property over
// random perturbations of the Wirral model. Every case checks that the causes' effects and the line
// differences add up to the fee difference exactly.

type Json = Record<string, unknown>;
type Line = Json & { code: string; description: string };

const examplesDir = new URL('../../../fixtures/examples/', import.meta.url);
const ratesDir = new URL('../../../fixtures/rates/', import.meta.url);

function readJson(url: URL): unknown {
  return JSON.parse(readFileSync(fileURLToPath(url), 'utf8'));
}

/** A fresh, editable copy of an example model. */
function example(name: 'wirral-four-bed-2026-27' | 'halton-three-bed-2025-26'): Json {
  return structuredClone(readJson(new URL(`${name}.model.json`, examplesDir))) as Json;
}
const wirral = () => example('wirral-four-bed-2026-27');
const halton = () => example('halton-three-bed-2025-26');

const rateTables: RateTables = rateTablesByYear(
  ['2025-26', '2026-27'].map((year) => rateTableSchema.parse(readJson(new URL(`${year}.json`, ratesDir)))),
);

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** Parses and prices a model, frozen like a published fee schedule. */
function publish(input: Json, tables?: RateTables): PricedModel {
  const model = costModelSchema.parse(input);
  return deepFreeze({ model, breakdown: priceCostModel(model, { rateTables: tables }) });
}

const pennies = (text: string) => BigInt(text.replace('.', ''));
const total = (texts: readonly string[]) => texts.reduce((sum, text) => sum + pennies(text), 0n);

/** Explains a change and checks what must hold for every change. */
function explain(from: PricedModel, to: PricedModel): FeeChange {
  const change = explainFeeChange(from, to);
  expect(feeChangeSchema.parse(change)).toEqual(change);
  expect(change.fromWeeklyFee).toBe(from.breakdown.weeklyFeePerChild);
  expect(change.toWeeklyFee).toBe(to.breakdown.weeklyFeePerChild);
  const difference = pennies(change.toWeeklyFee) - pennies(change.fromWeeklyFee);
  expect(pennies(change.difference)).toBe(difference);
  expect(total(change.causes.map((cause) => cause.effectOnWeeklyFee))).toBe(difference);
  expect(total(change.lines.map((line) => line.difference))).toBe(difference);
  expect(total(change.lines.map((line) => line.fromWeekly))).toBe(pennies(change.fromWeeklyFee));
  expect(total(change.lines.map((line) => line.toWeekly))).toBe(pennies(change.toWeeklyFee));
  return change;
}

function feeOf(model: CostModel): bigint {
  return pennies(priceCostModel(model, { rateTables }).weeklyFeePerChild);
}

function lineOf(change: FeeChange, code: string, description?: string) {
  const line = change.lines.find(
    (l) => l.code === code && (description === undefined || l.description === description),
  );
  if (line === undefined) throw new Error(`no line ${code} ${description ?? ''}`);
  return line;
}

function staffing(model: Json): Json[] {
  return model.staffing as Json[];
}

describe('explainFeeChange: worked examples', () => {
  it('an hourly rate rise on one line is one cause carrying the whole difference', () => {
    const before = halton();
    const after = halton();
    staffing(after)[1]!.hourlyRate = '12.71';
    const change = explain(publish(before), publish(after));

    expect(change.fromWeeklyFee).toBe('5082.16');
    expect(pennies(change.difference)).toBeGreaterThan(0n);
    expect(change.causes).toEqual([
      {
        section: 'staffing',
        description: 'Residential Child Care Worker hourly rate £12.21 → £12.71',
        path: ['/staffing/1/hourlyRate'],
        from: '12.21',
        to: '12.71',
        effectOnWeeklyFee: change.difference,
      },
    ]);
    expect(lineOf(change, 'STAFF_PAY', 'Residential Child Care Worker').status).toBe('changed');
    expect(lineOf(change, 'STAFF_PAY', 'Registered Manager').status).toBe('unchanged');
    expect(lineOf(change, 'PROPERTY_LEASE').difference).toBe('0.00');
    expect(change.percentage).toBe(
      // difference ÷ from × 100, half-up to 2 dp
      formatPennies((pennies(change.difference) * 10_000n * 2n + 508_216n) / (508_216n * 2n)),
    );
  });

  it('an NI threshold change and a salary rise are two causes, priced one after the other', () => {
    const before = wirral();
    (before.rates as Json).niSecondaryThresholdAnnual = '9100';
    const after = wirral();
    staffing(after)[0]!.annualSalaryFte = '50000';
    const from = publish(before);
    const change = explain(from, publish(after));

    expect(change.causes.map((cause) => [cause.description, cause.path])).toEqual([
      ['Employer NI secondary threshold £9,100.00 → £5,000.00', ['/rates/niSecondaryThresholdAnnual']],
      ['Registered Manager annual salary per FTE £48,000.00 → £50,000.00', ['/staffing/0/annualSalaryFte']],
    ]);
    // sequential substitution: the threshold first, on the old salaries; then the salary
    const afterThreshold = feeOf({
      ...from.model,
      rates: { ...from.model.rates!, niSecondaryThresholdAnnual: '5000' },
    });
    expect(change.causes[0]!.effectOnWeeklyFee).toBe(
      formatPennies(afterThreshold - pennies(from.breakdown.weeklyFeePerChild)),
    );
    expect(pennies(change.causes[0]!.effectOnWeeklyFee)).toBeGreaterThan(0n);
    expect(pennies(change.causes[1]!.effectOnWeeklyFee)).toBeGreaterThan(0n);
    expect(lineOf(change, 'STAFF_EMPLOYER_NI').status).toBe('changed');
  });

  it('an occupancy change moves every per-home line', () => {
    const before = wirral();
    const after = wirral();
    (after.home as Json).plannedOccupancy = '0.85';
    const change = explain(publish(before), publish(after));

    expect(change.causes).toHaveLength(1);
    expect(change.causes[0]).toMatchObject({
      section: 'home',
      description: 'Planned occupancy 90% → 85%',
      path: ['/home/plannedOccupancy'],
      from: '0.9',
      to: '0.85',
      effectOnWeeklyFee: change.difference,
    });
    expect(pennies(change.difference)).toBeGreaterThan(0n);
    // per-child running lines do not move with occupancy
    expect(lineOf(change, 'RUNNING_FOOD_HOUSEHOLD').status).toBe('unchanged');
    expect(lineOf(change, 'PROPERTY_LEASE').status).toBe('changed');
  });

  it('a property line added and a running line removed', () => {
    const before = wirral();
    before.property = (before.property as Line[]).filter((line) => line.code !== 'PROPERTY_COUNCIL_TAX');
    const after = wirral();
    after.running = (after.running as Line[]).filter((line) => line.code !== 'RUNNING_TRANSPORT');
    const change = explain(publish(before), publish(after));

    expect(change.causes.map((cause) => [cause.section, cause.description, cause.path])).toEqual([
      ['property', 'Property line added: Council tax £2,900.00 a year', ['/property/3']],
      ['running', 'Running line removed: Vehicle lease and fuel £800.00 a month', ['/running/5']],
    ]);
    expect(change.causes[0]!.from).toBeNull();
    expect(JSON.parse(change.causes[0]!.to!)).toEqual({
      code: 'PROPERTY_COUNCIL_TAX',
      description: 'Council tax',
      amount: '2900',
      frequency: 'annual',
    });
    expect(change.causes[1]!.to).toBeNull();
    expect(pennies(change.causes[0]!.effectOnWeeklyFee)).toBeGreaterThan(0n);
    expect(pennies(change.causes[1]!.effectOnWeeklyFee)).toBeLessThan(0n);

    const councilTax = lineOf(change, 'PROPERTY_COUNCIL_TAX');
    expect(councilTax).toMatchObject({ status: 'added', fromWeekly: '0.00', percentage: null });
    expect(councilTax.difference).toBe(councilTax.toWeekly);
    // removed lines come last, in the order of the earlier breakdown
    expect(change.lines.at(-1)).toMatchObject({
      code: 'RUNNING_TRANSPORT',
      status: 'removed',
      toWeekly: '0.00',
      percentage: '-100.00',
    });
  });

  it('a changed line amount is described with its frequency', () => {
    const before = halton();
    const after = halton();
    (after.property as Line[])[0]!.amount = '2500';
    const change = explain(publish(before), publish(after));
    expect(change.causes.map((cause) => cause.description)).toEqual([
      'Lease from registered social landlord £2,400.00 a month → £2,500.00 a month',
    ]);
    expect(change.causes[0]!.path).toEqual(['/property/0/amount']);
  });

  it('a surplus rate change', () => {
    const before = wirral();
    const after = wirral();
    (after.surplus as Json).rate = '0.05';
    const change = explain(publish(before), publish(after));

    expect(change.causes).toEqual([
      {
        section: 'surplus',
        description: 'Surplus rate 4% → 5%',
        path: ['/surplus/rate'],
        from: '0.04',
        to: '0.05',
        effectOnWeeklyFee: change.difference,
      },
    ]);
    expect(lineOf(change, 'SURPLUS').difference).toBe(change.difference);
    expect(change.lines.filter((line) => line.status !== 'unchanged').map((line) => line.code)).toEqual([
      'SURPLUS',
    ]);
  });

  it('a surplus rate above the old cap moves with the cap, as one cause', () => {
    const before = wirral();
    const after = wirral();
    after.surplus = { rate: '0.1', capRate: '0.12' };
    const change = explain(publish(before), publish(after));
    expect(change.causes).toHaveLength(1);
    expect(change.causes[0]).toMatchObject({
      description: 'Surplus rate 4% → 10%; Surplus cap 8% → 12%',
      path: ['/surplus/rate', '/surplus/capRate'],
      from: '{"/surplus/rate":"0.04","/surplus/capRate":"0.08"}',
      to: '{"/surplus/rate":"0.1","/surplus/capRate":"0.12"}',
    });
  });

  it('a switch from the model’s own rates to a rate table is one cause naming the figures that moved', () => {
    const before = wirral();
    const after = wirral();
    delete after.rates;
    after.ratesFrom = '2026-27';
    const from = publish(before);
    const to = publish(after, rateTables);
    const change = explain(from, to);

    expect(change.causes).toHaveLength(1);
    expect(change.causes[0]).toMatchObject({
      section: 'rates',
      description:
        'Rates given in the model → from the 2026-27 rate table: Employer pension rate 6% → 3%; Pension basis gross pay → qualifying earnings; Apprenticeship levy rate 0% → 0.5%',
      path: ['/rates', '/ratesFrom'],
      to: '{"/ratesFrom":"2026-27"}',
      effectOnWeeklyFee: change.difference,
    });
    expect(JSON.parse(change.causes[0]!.from!)).toEqual({ '/rates': from.model.rates });
    expect(lineOf(change, 'STAFF_APPRENTICESHIP_LEVY').status).toBe('added');
    // the published rates travel with the breakdown: no rate tables are needed to explain
    expect(explainFeeChange(from, to, { rateTables: new Map() })).toEqual(change);
    // and back again
    const back = explain(to, from);
    expect(back.causes[0]!.description).toMatch(/^Rates from the 2026-27 rate table → given in the model: /);
    expect(pennies(back.difference)).toBe(-pennies(change.difference));
  });

  it('a change of rate table with the same figures moves nothing', () => {
    const before = wirral();
    delete before.rates;
    before.ratesFrom = '2025-26';
    const after = wirral();
    delete after.rates;
    after.ratesFrom = '2026-27';
    const change = explain(publish(before, rateTables), publish(after, rateTables));
    expect(change.difference).toBe('0.00');
    expect(change.causes).toEqual([
      {
        section: 'rates',
        description: 'Rate table 2025-26 → 2026-27 (no figure changed)',
        path: ['/ratesFrom'],
        from: '2025-26',
        to: '2026-27',
        effectOnWeeklyFee: '0.00',
      },
    ]);
  });

  it('no change at all', () => {
    const change = explain(publish(wirral()), publish(wirral()));
    expect(change).toMatchObject({ difference: '0.00', percentage: '0.00', causes: [] });
    expect(change.lines.every((line) => line.status === 'unchanged' && line.percentage === '0.00')).toBe(
      true,
    );
    // a figure written differently is the same figure
    const rewritten = wirral();
    (rewritten.home as Json).plannedOccupancy = '0.90';
    expect(explain(publish(wirral()), publish(rewritten)).causes).toEqual([]);
  });

  it('an enhancement-only change is listed with effect 0.00', () => {
    const before = wirral();
    const after = wirral();
    (after.enhancements as Json[])[0]!.hoursPerWeek = '30';
    (after.enhancements as Json[]).push({ description: 'Waking night', roleId: 'srcw', hoursPerWeek: '10' });
    const change = explain(publish(before), publish(after));
    expect(change.difference).toBe('0.00');
    expect(change.causes.map((cause) => [cause.section, cause.description, cause.effectOnWeeklyFee])).toEqual(
      [
        [
          'enhancements',
          'Enhancement "1:1 support during school hours" hours a week 25 → 30 (charged on top of the weekly fee)',
          '0.00',
        ],
        [
          'enhancements',
          'Enhancement added (charged on top of the weekly fee): Waking night, 10 hours a week of Senior Residential Child Care Worker',
          '0.00',
        ],
      ],
    );
  });

  it('Halton → Wirral: many causes, in the order of the cost model, adding up exactly', () => {
    const change = explain(publish(halton()), publish(wirral()));
    expect(change).toMatchObject({
      fromWeeklyFee: '5082.16',
      toWeeklyFee: '5495.78',
      difference: '413.62',
      percentage: '8.14',
    });
    const descriptions = change.causes.map((cause) => cause.description);
    expect(descriptions).toEqual(
      expect.arrayContaining([
        'Period 2025-26 → 2026-27',
        'Registered places 3 → 4',
        'Planned occupancy 85% → 90%',
        'Employer pension rate 3% → 6%',
        'Staffing line removed: Relief worker',
        'Residential Child Care Worker headcount 9 → 10',
        'Residential Child Care Worker pay £12.21 an hour → £29,500.00 a year per FTE',
        'Central overhead pool £380,000.00 → £720,000.00 a year',
        "Home's share of the central overhead 3 of 14 units → 4 of 40 units",
        'Surplus rate 5% → 4%',
        'Surplus cap 5% → 8%',
      ]),
    );
    expect(change.causes.length).toBeGreaterThan(15);
    const order = change.causes.map((cause) => FEE_CHANGE_SECTIONS.indexOf(cause.section));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    // the pay switch is one cause over both pay fields; the removed line points into the earlier model
    const pay = change.causes.find((cause) => cause.description.includes('pay £12.21'))!;
    expect(pay.path).toEqual(['/staffing/3/annualSalaryFte', '/staffing/3/hourlyRate']);
    expect(change.causes.find((cause) => cause.description.includes('Relief'))!.path).toEqual([
      '/staffing/2',
    ]);
    // lines: the later order, removed lines after it in the earlier order
    expect(change.lines.slice(-2).map((line) => [line.description, line.status])).toEqual([
      ['Relief worker', 'removed'],
      ['Apprenticeship levy', 'removed'],
    ]);
    expect(lineOf(change, 'STAFF_PAY', 'Deputy Manager').status).toBe('added');
    expect(change.causes.some((cause) => cause.section === 'recalculation')).toBe(false);
  });

  it('is pure: the same answer twice, the frozen inputs untouched', () => {
    const from = publish(halton());
    const to = publish(wirral());
    const snapshot = structuredClone([from, to]);
    expect(explainFeeChange(from, to)).toEqual(explainFeeChange(from, to));
    expect([from, to]).toEqual(snapshot);
  });

  it('merges a step the engine refuses with the next one instead of throwing', () => {
    const before = wirral();
    before.cover = { ...(before.cover as Json), workingDaysPerYear: '260', annualLeaveDays: '200' };
    const after = wirral();
    after.cover = { ...(after.cover as Json), workingDaysPerYear: '60', annualLeaveDays: '20' };
    // working days first would leave 213 absence days against 60 working days
    const change = explain(publish(before), publish(after));
    expect(change.causes).toHaveLength(1);
    expect(change.causes[0]).toMatchObject({
      section: 'cover',
      description: 'Working days a year 260 → 60; Annual leave days 200 → 20',
      path: ['/cover/workingDaysPerYear', '/cover/annualLeaveDays'],
      effectOnWeeklyFee: change.difference,
    });
  });

  it('shows a gap between published fees and today’s re-pricing as its own cause', () => {
    const from = publish(wirral());
    const to = publish(wirral());
    const tampered: PricedModel = {
      model: from.model,
      breakdown: {
        ...from.breakdown,
        weeklyFeePerChild: formatPennies(pennies(from.breakdown.weeklyFeePerChild) + 1n),
        lines: from.breakdown.lines.map((line) =>
          line.code === 'SURPLUS'
            ? { ...line, weeklyPerChild: formatPennies(pennies(line.weeklyPerChild) + 1n) }
            : line,
        ),
      },
    };
    const change = explain(tampered, to);
    expect(change.causes).toHaveLength(1);
    expect(change.causes[0]).toMatchObject({
      section: 'recalculation',
      effectOnWeeklyFee: '-0.01',
      path: [],
    });
  });

  it('publishes a JSON Schema for the HTTP layer', () => {
    const schema = z.toJSONSchema(feeChangeSchema) as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual([
      'fromWeeklyFee',
      'toWeeklyFee',
      'difference',
      'percentage',
      'lines',
      'causes',
    ]);
  });
});

// ── property: random perturbations of the Wirral model ─────────────────────────────────────────

/** Pennies as money text with 0–2 decimals. */
const moneyText = (value: bigint) => formatPennies(value).replace(/\.00$/, '');
/** Millionths as rate text. */
const microText = (value: number) => new Dec(formatUnits(BigInt(value), 6)).toFixed();
/** A money amount × percent / 100, down to pennies. */
const scaleMoney = (text: string, percent: number) =>
  new Dec(text).times(percent).div(100).toDecimalPlaces(2, Dec.ROUND_DOWN).toFixed();

const frequencyArb = fc.constantFrom('weekly', 'monthly', 'quarterly', 'annual');

const perturbationArb = fc.record({
  year: fc.integer({ min: 2024, max: 2031 }),
  registeredPlaces: fc.option(fc.integer({ min: 1, max: 8 })),
  occupancy: fc.option(fc.integer({ min: 1, max: 1_000_000 })),
  hours: fc.option(fc.constantFrom('37.5', '39', '40', '42.25')),
  rates: fc.option(
    fc.record({
      employerNiRate: fc.integer({ min: 0, max: 200_000 }),
      threshold: fc.integer({ min: 0, max: 1_200_000 }),
      employerPensionRate: fc.integer({ min: 0, max: 100_000 }),
      pensionBasis: fc.constantFrom('gross', 'qualifying_earnings'),
      lower: fc.integer({ min: 0, max: 1_000_000 }),
      width: fc.integer({ min: 0, max: 6_000_000 }),
      levy: fc.constantFrom('0', '0.005', '0.01'),
    }),
  ),
  ratesFrom: fc.boolean(),
  cover: fc.option(
    fc.record({
      leave: fc.integer({ min: 0, max: 40 }),
      sickness: fc.integer({ min: 0, max: 20 }),
      agencyShare: fc.integer({ min: 0, max: 1_000_000 }),
    }),
  ),
  staffScale: fc.array(fc.integer({ min: 50, max: 200 }), { minLength: 5, maxLength: 5 }),
  headcounts: fc.array(fc.option(fc.integer({ min: 1, max: 12 })), { minLength: 5, maxLength: 5 }),
  removeStaff: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
  addStaff: fc.array(
    fc.record({
      headcount: fc.integer({ min: 1, max: 5 }),
      hourly: fc.integer({ min: 1000, max: 3000 }),
      requiresCover: fc.boolean(),
    }),
    { maxLength: 2 },
  ),
  propertyScale: fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 6, maxLength: 6 }),
  removeProperty: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
  addProperty: fc.array(
    fc.record({
      code: fc.constantFrom(...PROPERTY_CODES),
      amount: fc.integer({ min: 0, max: 5_000_000 }),
      frequency: frequencyArb,
    }),
    { maxLength: 2 },
  ),
  runningScale: fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 9, maxLength: 9 }),
  removeRunning: fc.array(fc.boolean(), { minLength: 9, maxLength: 9 }),
  addRunning: fc.array(
    fc.record({
      code: fc.constantFrom(...RUNNING_CODES),
      amount: fc.integer({ min: 0, max: 2_000_000 }),
      frequency: frequencyArb,
      basis: fc.constantFrom('per_home', 'per_child'),
    }),
    { maxLength: 2 },
  ),
  pool: fc.option(fc.integer({ min: 0, max: 200 })),
  units: fc.option(
    fc.record({ total: fc.integer({ min: 1, max: 100 }), share: fc.integer({ min: 0, max: 100 }) }),
  ),
  surplus: fc.option(
    fc.record({ cap: fc.integer({ min: 0, max: 200_000 }), part: fc.integer({ min: 0, max: 100 }) }),
  ),
  enhancementHours: fc.option(fc.integer({ min: 0, max: 40 })),
});

type Perturbation = typeof perturbationArb extends fc.Arbitrary<infer T> ? T : never;

function perturb(p: Perturbation): { input: Json; tables?: RateTables } {
  const model = wirral();
  const start = `${p.year}-04-01`;
  model.period = {
    label: `${p.year}-${String((p.year + 1) % 100).padStart(2, '0')}`,
    start,
    end: `${p.year + 1}-03-31`,
  };
  const home = model.home as Json;
  if (p.registeredPlaces !== null) home.registeredPlaces = p.registeredPlaces;
  if (p.occupancy !== null) home.plannedOccupancy = microText(p.occupancy);
  if (p.hours !== null) home.fteHoursPerWeek = p.hours;
  let tables: RateTables | undefined;
  if (p.ratesFrom) {
    delete model.rates;
    model.ratesFrom = '2026-27';
    tables = rateTables;
  } else if (p.rates !== null) {
    model.rates = {
      employerNiRate: microText(p.rates.employerNiRate),
      niSecondaryThresholdAnnual: moneyText(BigInt(p.rates.threshold)),
      employerPensionRate: microText(p.rates.employerPensionRate),
      pensionBasis: p.rates.pensionBasis,
      pensionQualifyingLowerAnnual: moneyText(BigInt(p.rates.lower)),
      pensionQualifyingUpperAnnual: moneyText(BigInt(p.rates.lower + p.rates.width)),
      apprenticeshipLevyRate: p.rates.levy,
    };
  }
  if (p.cover !== null) {
    Object.assign(model.cover as Json, {
      annualLeaveDays: String(p.cover.leave),
      sicknessDays: String(p.cover.sickness),
      agencyShare: microText(p.cover.agencyShare),
    });
  }
  const staff = staffing(model)
    .map((line, i) => {
      const scale = p.staffScale[i]!;
      const scaled: Json = { ...line };
      if (typeof line.annualSalaryFte === 'string')
        scaled.annualSalaryFte = scaleMoney(line.annualSalaryFte, scale);
      if (typeof line.hourlyRate === 'string') scaled.hourlyRate = scaleMoney(line.hourlyRate, scale);
      const headcount = p.headcounts[i];
      if (headcount !== null && headcount !== undefined) scaled.headcount = headcount;
      return p.removeStaff[i] ? null : scaled;
    })
    .filter((line): line is Json => line !== null);
  p.addStaff.forEach((line, i) => {
    staff.push({
      id: `extra${i}`,
      role: `Night worker ${i}`,
      group: 'care',
      headcount: line.headcount,
      ftePerPerson: '1',
      hourlyRate: moneyText(BigInt(line.hourly)),
      enhancementRate: '0',
      allowancesAnnualPerPerson: '0',
      requiresCover: line.requiresCover,
    });
  });
  model.staffing = staff;
  const ids = new Set(staff.map((line) => line.id));
  model.enhancements = (model.enhancements as Json[])
    .filter((e) => ids.has(e.roleId as string))
    .map((e) => (p.enhancementHours === null ? e : { ...e, hoursPerWeek: String(p.enhancementHours) }));
  const property = (model.property as Line[])
    .map((line, i) => ({ ...line, amount: scaleMoney(line.amount as string, p.propertyScale[i]!) }))
    .filter((_, i) => !p.removeProperty[i]);
  p.addProperty.forEach((line, i) => {
    property.push({ ...line, description: `New property ${i}`, amount: moneyText(BigInt(line.amount)) });
  });
  model.property = property;
  const running = (model.running as Line[])
    .map((line, i) => ({ ...line, amount: scaleMoney(line.amount as string, p.runningScale[i]!) }))
    .filter((_, i) => !p.removeRunning[i]);
  p.addRunning.forEach((line, i) => {
    running.push({ ...line, description: `New running ${i}`, amount: moneyText(BigInt(line.amount)) });
  });
  model.running = running;
  const central = model.central as Json;
  if (p.pool !== null) central.poolAnnual = scaleMoney(central.poolAnnual as string, p.pool);
  if (p.units !== null) {
    central.totalUnits = String(p.units.total);
    central.homeUnits = String(Math.floor((p.units.total * p.units.share) / 100));
  }
  if (p.surplus !== null) {
    model.surplus = {
      rate: microText(Math.floor((p.surplus.cap * p.surplus.part) / 100)),
      capRate: microText(p.surplus.cap),
    };
  }
  return tables === undefined ? { input: model } : { input: model, tables };
}

describe('explainFeeChange: random perturbations of the Wirral model', () => {
  it('the effects and the line differences add up to the fee difference exactly', () => {
    fc.assert(
      fc.property(perturbationArb, perturbationArb, fc.boolean(), (a, b, fromWirral) => {
        const first = perturb(a);
        const second = perturb(b);
        const from = fromWirral ? publish(wirral()) : publish(first.input, first.tables);
        const to = publish(second.input, second.tables);
        const change = explain(from, to);
        // re-pricing the two models reproduces the published fees: nothing is left unexplained
        expect(change.causes.some((cause) => cause.section === 'recalculation')).toBe(false);
        if (change.difference !== '0.00') expect(change.causes.length).toBeGreaterThan(0);
        for (const cause of change.causes) {
          if (cause.section === 'enhancements') expect(cause.effectOnWeeklyFee).toBe('0.00');
        }
      }),
      { numRuns: 150 },
    );
  });
});
