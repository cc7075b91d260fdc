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
function example(
  name: 'wirral-four-bed-2026-27' | 'halton-three-bed-2025-26' | 'wirral-related-parties-2026-27',
): Json {
  return structuredClone(readJson(new URL(`${name}.model.json`, examplesDir))) as Json;
}
const wirral = () => example('wirral-four-bed-2026-27');
const halton = () => example('halton-three-bed-2025-26');
/** Method v2 §6: the Wirral home paying three related parties (jpl: the lease, edu: tutoring, grp: a central component). */
const wirralRelated = () => example('wirral-related-parties-2026-27');

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
    const schema = z.toJSONSchema(feeChangeSchema) as {
      properties: Record<string, unknown>;
      required: string[];
    };
    expect(Object.keys(schema.properties)).toEqual([
      'fromWeeklyFee',
      'toWeeklyFee',
      'difference',
      'percentage',
      'lines',
      'causes',
      'relatedParties',
    ]);
    expect(schema.required).not.toContain('relatedParties');
  });
});

// ── method v2 §6: related parties ───────────────────────────────────────────────────────────────

function parties(model: Json): Json[] {
  return model.relatedParties as Json[];
}
function lines(model: Json, section: 'property' | 'running'): Json[] {
  return model[section] as Json[];
}
function charges(model: Json): Json[] {
  return (model.central as Json).relatedPartyCharges as Json[];
}
const related = (change: FeeChange) => {
  if (change.relatedParties === undefined) throw new Error('no related-party part');
  return change.relatedParties;
};

describe('explainFeeChange: related parties (method v2 §6)', () => {
  it('two version 1 schedules have no related-party part at all', () => {
    const before = wirral();
    const after = wirral();
    staffing(after)[0]!.annualSalaryFte = '50000';
    const change = explain(publish(before), publish(after));
    expect(change).not.toHaveProperty('relatedParties');
  });

  it('related parties declared for the first time: parties and payments added, beside the causes', () => {
    const before = wirralRelated();
    delete before.relatedParties;
    for (const line of [...lines(before, 'property'), ...lines(before, 'running')]) {
      delete line.relatedPartyId;
      delete line.marketAmount;
      delete line.marketEvidence;
    }
    delete (before.central as Json).relatedPartyCharges;
    const from = publish(before);
    const to = publish(wirralRelated());
    expect(from.breakdown.methodVersion).toBe(1);
    const change = explain(from, to);
    // the fee is the same: who is paid and the market amounts never move it
    expect(change.difference).toBe('0.00');
    expect(change.causes).toEqual([]);
    const part = related(change);
    expect(part).toMatchObject({
      fromExcessWeeklyPerChild: null,
      toExcessWeeklyPerChild: '10.86',
      excessDifference: '10.86',
      fromAdjustedSurplusRate: null,
      toAdjustedSurplusRate: '0.032097',
      description:
        'Related parties declared for the first time: £10.86 a week per child paid to them above market; counting it as surplus, the adjusted surplus rate is 3.2097% (surplus rate 3%), within the 8% cap',
    });
    expect(part.changes.map((c) => [c.kind, c.partyId, c.path])).toEqual([
      ['party_added', 'jpl', ['/relatedParties/0']],
      ['party_added', 'grp', ['/relatedParties/1']],
      ['party_added', 'edu', ['/relatedParties/2']],
      ['payment_added', 'jpl', ['/property/0/relatedPartyId']],
      ['payment_added', 'edu', ['/running/9/relatedPartyId']],
      ['payment_added', 'grp', ['/central/relatedPartyCharges/0']],
    ]);
    expect(part.changes[0]!.description).toBe(
      'Related party added: Harbour Properties Ltd (Companies House 09876543), under common control with the provider',
    );
    expect(part.changes[3]).toMatchObject({
      description:
        'Lease from registered social landlord (PROPERTY_LEASE) now paid to related party Harbour Properties Ltd: £2,400.00 a month against a market £2,350.00 a month (Independent rental valuation, March 2026)',
      from: null,
      to: 'jpl',
    });
    expect(part.changes[4]!.description).toBe(
      'Tutoring (RUNNING_EDUCATION) now paid to related party Harbour Learning CIC: £60.00 a week per child against a market £55.00 a week per child (Local authority tutoring rate)',
    );
    expect(part.changes[5]!.description).toBe(
      'Central overhead component Group management fee now paid to related party Harbour Group Holdings: £50,000.00 a year against a market £45,000.00 a year (Benchmark)',
    );
  });

  it('from a version 1 model with other changes: the fee causes are unchanged and add up, the parties are listed apart', () => {
    const change = explain(publish(wirral()), publish(wirralRelated()));
    expect(change.causes.map((cause) => cause.section)).toEqual(['running', 'surplus', 'enhancements']);
    expect(change.causes[0]!.description).toBe('Running line added: Tutoring £60.00 a week per child');
    expect(related(change).changes.map((c) => c.kind)).toEqual([
      'party_added',
      'party_added',
      'party_added',
      'payment_added',
      'payment_added',
      'payment_added',
    ]);
    expect(related(change).changes[4]!.description).toContain('(a new line)');
  });

  it('a market amount lowered: no cause, the fee unchanged, X and the adjusted rate up', () => {
    const after = wirralRelated();
    lines(after, 'property')[0]!.marketAmount = '2300';
    lines(after, 'property')[0]!.marketEvidence = 'Second valuation, April 2026';
    const from = publish(wirralRelated());
    const to = publish(after);
    const change = explain(from, to);
    expect(change.difference).toBe('0.00');
    expect(change.causes).toEqual([]);
    expect(change.lines.every((line) => line.status === 'unchanged')).toBe(true);
    const part = related(change);
    expect(part.changes).toEqual([
      {
        kind: 'market_changed',
        partyId: 'jpl',
        description:
          'Lease from registered social landlord (PROPERTY_LEASE), paid to related party Harbour Properties Ltd: market amount £2,350.00 a month → £2,300.00 a month; evidence “Independent rental valuation, March 2026” → “Second valuation, April 2026”',
        path: ['/property/0/marketAmount', '/property/0/marketEvidence'],
        from: JSON.stringify({
          '/property/0/marketAmount': '2350',
          '/property/0/marketEvidence': 'Independent rental valuation, March 2026',
        }),
        to: JSON.stringify({
          '/property/0/marketAmount': '2300',
          '/property/0/marketEvidence': 'Second valuation, April 2026',
        }),
      },
    ]);
    // £600 a year more above market: X = (1,200 + 500 + 938.57…) ÷ (365 ÷ 7) ÷ 3.6 = £14.06
    expect(part.fromExcessWeeklyPerChild).toBe('10.86');
    expect(part.toExcessWeeklyPerChild).toBe(to.breakdown.relatedPartyExcessWeeklyPerChild);
    expect(part.toExcessWeeklyPerChild).toBe('14.06');
    expect(part.excessDifference).toBe('3.20');
    expect(part.fromAdjustedSurplusRate).toBe('0.032097');
    expect(part.toAdjustedSurplusRate).toBe(to.breakdown.adjustedSurplusRate);
    expect(new Dec(part.toAdjustedSurplusRate!).gt(part.fromAdjustedSurplusRate!)).toBe(true);
    expect(part.description).toBe(
      `Paid to related parties above market, a week per child: £10.86 → £14.06 (+£3.20); the adjusted surplus rate, counting it as surplus, 3.2097% → ${new Dec(part.toAdjustedSurplusRate!).times(100).toFixed()}%, within the 8% cap`,
    );
  });

  it("a party's name, relationship and Companies House number changed", () => {
    const after = wirralRelated();
    parties(after)[0]!.name = 'Harbour Properties Limited';
    parties(after)[1]!.relationship = 'common_control';
    parties(after)[2]!.companiesHouseNumber = 'CE012345';
    delete parties(after)[1]!.companiesHouseNumber;
    const change = explain(publish(wirralRelated()), publish(after));
    expect(change.causes).toEqual([]);
    const part = related(change);
    expect(part.excessDifference).toBe('0.00');
    expect(part.changes.map((c) => [c.kind, c.partyId, c.description, c.path, c.from, c.to])).toEqual([
      [
        'party_changed',
        'jpl',
        'Related party Harbour Properties Limited: name Harbour Properties Ltd → Harbour Properties Limited',
        ['/relatedParties/0/name'],
        'Harbour Properties Ltd',
        'Harbour Properties Limited',
      ],
      [
        'party_changed',
        'grp',
        'Related party Harbour Group Holdings: relationship parent of the provider → under common control with the provider; Companies House number 08765432 → none',
        ['/relatedParties/1/relationship', '/relatedParties/1/companiesHouseNumber'],
        JSON.stringify({
          '/relatedParties/1/relationship': 'parent',
          '/relatedParties/1/companiesHouseNumber': '08765432',
        }),
        JSON.stringify({ '/relatedParties/1/relationship': 'common_control' }),
      ],
      [
        'party_changed',
        'edu',
        'Related party Harbour Learning CIC: Companies House number none → CE012345',
        ['/relatedParties/2/companiesHouseNumber'],
        null,
        'CE012345',
      ],
    ]);
  });

  it('a line paid to another party, a line no longer paid to one, a party no longer paid, a new party', () => {
    const after = wirralRelated();
    // tutoring now bought from the group; the lease from an unrelated landlord; utilities from a new party
    Object.assign(lines(after, 'running')[9]!, { relatedPartyId: 'grp' });
    const lease = lines(after, 'property')[0]!;
    delete lease.relatedPartyId;
    delete lease.marketAmount;
    delete lease.marketEvidence;
    Object.assign(lines(after, 'property')[2]!, {
      relatedPartyId: 'fam',
      marketAmount: '640',
      marketEvidence: 'Ofgem price cap',
    });
    after.relatedParties = [
      parties(after)[1]!,
      { id: 'fam', name: 'A. Director (spouse)', relationship: 'family_of_key_personnel' },
    ];
    const change = explain(publish(wirralRelated()), publish(after));
    expect(change.causes).toEqual([]);
    const part = related(change);
    expect(part.changes.map((c) => [c.kind, c.partyId, c.path, c.from, c.to])).toEqual([
      ['party_added', 'fam', ['/relatedParties/1'], null, expect.any(String)],
      ['party_removed', 'jpl', ['/relatedParties/0'], expect.any(String), null],
      ['party_removed', 'edu', ['/relatedParties/2'], expect.any(String), null],
      ['payment_removed', 'jpl', ['/property/0/relatedPartyId'], 'jpl', null],
      ['payment_added', 'fam', ['/property/2/relatedPartyId'], null, 'fam'],
      ['payment_removed', 'edu', ['/running/9/relatedPartyId'], 'edu', 'grp'],
      ['payment_added', 'grp', ['/running/9/relatedPartyId'], 'edu', 'grp'],
    ]);
    expect(part.changes.map((c) => c.description)).toEqual([
      "Related party added: A. Director (spouse), family member of the provider's key management personnel",
      'Related party no longer paid: Harbour Properties Ltd (Companies House 09876543), under common control with the provider',
      'Related party no longer paid: Harbour Learning CIC, director or trustee of the provider',
      'Lease from registered social landlord (PROPERTY_LEASE) no longer paid to related party Harbour Properties Ltd',
      'Gas, electricity and water (PROPERTY_UTILITIES) now paid to related party A. Director (spouse): £650.00 a month against a market £640.00 a month (Ofgem price cap)',
      'Tutoring (RUNNING_EDUCATION) no longer paid to related party Harbour Learning CIC',
      'Tutoring (RUNNING_EDUCATION) now paid to related party Harbour Group Holdings: £60.00 a week per child against a market £55.00 a week per child (Local authority tutoring rate)',
    ]);
  });

  it('a central component: its amount, market amount and evidence, then its removal', () => {
    const changed = wirralRelated();
    Object.assign(charges(changed)[0]!, {
      amountAnnual: '55000',
      marketAmountAnnual: '47000',
      marketEvidence: 'Benchmark 2026',
    });
    const first = explain(publish(wirralRelated()), publish(changed));
    // the component is part of the pool: the pool did not move, so neither did the fee
    expect(first.causes).toEqual([]);
    expect(related(first).changes.map((c) => [c.kind, c.description, c.path])).toEqual([
      [
        'payment_changed',
        'Central overhead component Group management fee, paid to related party Harbour Group Holdings: £50,000.00 → £55,000.00 a year (part of the central overhead pool)',
        ['/central/relatedPartyCharges/0/amountAnnual'],
      ],
      [
        'market_changed',
        'Central overhead component Group management fee, paid to related party Harbour Group Holdings: market amount £45,000.00 → £47,000.00 a year; evidence “Benchmark” → “Benchmark 2026”',
        [
          '/central/relatedPartyCharges/0/marketAmountAnnual',
          '/central/relatedPartyCharges/0/marketEvidence',
        ],
      ],
    ]);
    // (55,000 − 47,000) × 4 ÷ 40 = £800 a year above market, against £500 before
    const grp = (change: PricedModel) => change.breakdown.relatedParties?.find((p) => p.id === 'grp');
    expect(grp(publish(changed))?.excessAnnual).toBe('800.00');

    const removed = wirralRelated();
    delete (removed.central as Json).relatedPartyCharges;
    removed.relatedParties = parties(removed).filter((party) => party.id !== 'grp');
    const second = explain(publish(changed), publish(removed));
    expect(second.causes).toEqual([]);
    expect(related(second).changes.map((c) => [c.kind, c.partyId, c.path, c.to])).toEqual([
      ['party_removed', 'grp', ['/relatedParties/1'], null],
      ['payment_removed', 'grp', ['/central/relatedPartyCharges/0'], null],
    ]);
    expect(related(second).changes[1]!.description).toBe(
      'Central overhead component Group management fee no longer paid to related party Harbour Group Holdings',
    );
  });

  it('related parties no longer declared, and an empty list declared', () => {
    const none = wirral();
    none.relatedParties = [];
    const toNone = explain(publish(wirralRelated()), publish(none));
    expect(related(toNone)).toMatchObject({
      fromExcessWeeklyPerChild: '10.86',
      toExcessWeeklyPerChild: '0.00',
      excessDifference: '-10.86',
      toAdjustedSurplusRate: '0.040000',
    });
    expect(related(toNone).description).toMatch(
      /^Paid to related parties above market, a week per child: £10\.86 → £0\.00 \(-£10\.86\)/,
    );

    const toV1 = explain(publish(wirralRelated()), publish(wirral()));
    expect(related(toV1)).toMatchObject({
      fromExcessWeeklyPerChild: '10.86',
      toExcessWeeklyPerChild: null,
      excessDifference: '-10.86',
      fromAdjustedSurplusRate: '0.032097',
      toAdjustedSurplusRate: null,
      description:
        'Related parties no longer declared (the earlier schedule paid them £10.86 a week per child above market, an adjusted surplus rate of 3.2097%)',
    });
    expect(related(toV1).changes.filter((c) => c.kind === 'party_removed')).toHaveLength(3);
    expect(related(toV1).changes.at(-2)!.description).toBe(
      'Tutoring (RUNNING_EDUCATION) no longer paid to related party Harbour Learning CIC (the line is removed)',
    );

    // version 1 → an empty list: present, with nothing changed
    const declared = explain(publish(wirral()), publish(none));
    expect(declared.causes).toEqual([]);
    expect(related(declared)).toMatchObject({
      fromExcessWeeklyPerChild: null,
      toExcessWeeklyPerChild: '0.00',
      changes: [],
    });
  });

  it('the effects and the line differences add up under random related-party changes', () => {
    const percentOf = (text: string, percent: number) =>
      new Dec(text).times(percent).div(100).toDecimalPlaces(2, Dec.ROUND_DOWN).toFixed();
    const variantArb = fc.record({
      leaseMarket: fc.option(fc.integer({ min: 50, max: 150 })),
      leaseAmount: fc.option(fc.integer({ min: 80, max: 120 })),
      tutoringParty: fc.constantFrom('edu', 'grp', 'jpl', null),
      chargeParty: fc.constantFrom('grp', 'jpl', null),
      chargeMarket: fc.integer({ min: 50, max: 150 }),
      chargeAmount: fc.integer({ min: 50, max: 150 }),
      name: fc.boolean(),
      relationship: fc.constantFrom('parent', 'subsidiary', 'other'),
      occupancy: fc.constantFrom('0.9', '0.75', '1'),
      surplusRate: fc.constantFrom('0.03', '0.02', '0'),
      declare: fc.constantFrom('all', 'none', 'v1'),
    });
    type Variant = typeof variantArb extends fc.Arbitrary<infer T> ? T : never;
    const build = (v: Variant): Json => {
      const model = wirralRelated();
      (model.home as Json).plannedOccupancy = v.occupancy;
      (model.surplus as Json).rate = v.surplusRate;
      const lease = lines(model, 'property')[0]!;
      if (v.leaseAmount !== null) lease.amount = percentOf('2400', v.leaseAmount);
      if (v.leaseMarket !== null) lease.marketAmount = percentOf(lease.amount as string, v.leaseMarket);
      const tutoring = lines(model, 'running')[9]!;
      if (v.tutoringParty === null) {
        delete tutoring.relatedPartyId;
        delete tutoring.marketAmount;
        delete tutoring.marketEvidence;
      } else tutoring.relatedPartyId = v.tutoringParty;
      const charge = charges(model)[0]!;
      if (v.chargeParty === null) delete (model.central as Json).relatedPartyCharges;
      else {
        charge.relatedPartyId = v.chargeParty;
        charge.amountAnnual = percentOf('50000', v.chargeAmount);
        charge.marketAmountAnnual = percentOf('45000', v.chargeMarket);
      }
      if (v.name) parties(model)[0]!.name = 'Harbour Properties Limited';
      parties(model)[1]!.relationship = v.relationship;
      // only the parties still paid
      const paid = new Set(
        [lease.relatedPartyId, tutoring.relatedPartyId, v.chargeParty].filter((id) => typeof id === 'string'),
      );
      model.relatedParties = parties(model).filter((party) => paid.has(party.id as string));
      if (v.declare !== 'all') {
        for (const line of [lease, tutoring]) {
          delete line.relatedPartyId;
          delete line.marketAmount;
          delete line.marketEvidence;
        }
        delete (model.central as Json).relatedPartyCharges;
        if (v.declare === 'none') model.relatedParties = [];
        else delete model.relatedParties;
      }
      return model;
    };
    fc.assert(
      fc.property(variantArb, variantArb, (a, b) => {
        const from = publish(build(a));
        const to = publish(build(b));
        const change = explain(from, to);
        expect(change.causes.some((cause) => cause.section === 'recalculation')).toBe(false);
        const declared =
          from.breakdown.relatedParties !== undefined || to.breakdown.relatedParties !== undefined;
        expect(change.relatedParties !== undefined).toBe(declared);
        if (change.relatedParties !== undefined) {
          const part = change.relatedParties;
          expect(part.toExcessWeeklyPerChild).toBe(to.breakdown.relatedPartyExcessWeeklyPerChild ?? null);
          expect(part.fromExcessWeeklyPerChild).toBe(from.breakdown.relatedPartyExcessWeeklyPerChild ?? null);
          expect(pennies(part.excessDifference)).toBe(
            pennies(part.toExcessWeeklyPerChild ?? '0.00') - pennies(part.fromExcessWeeklyPerChild ?? '0.00'),
          );
          // none of the related-party changes is a cause: no cause points at what they point at
          const causePaths = new Set(change.causes.flatMap((cause) => cause.path));
          for (const item of part.changes)
            for (const path of item.path) expect(causePaths.has(path)).toBe(false);
        }
      }),
      { numRuns: 80 },
    );
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
