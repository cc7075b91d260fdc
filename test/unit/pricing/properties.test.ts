import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Breakdown,
  breakdownSchema,
  type CostModel,
  costModelSchema,
  priceCostModel,
  zodIssuesToFieldIssues,
} from '../../../src/domain/pricing/index.js';
import { decimalText, modelArb } from '../../helpers/model-arbitrary.js';

// Properties over random valid cost models, and a second, deliberately naive implementation of
// §2–§3 in exact fractions (the spec read line by line, W = D / 7 and all) that the engine must agree
// with to the penny.

type Json = Record<string, unknown>;

function parse(input: unknown): CostModel {
  const result = costModelSchema.safeParse(input);
  if (!result.success)
    throw new Error(`generated an invalid model: ${JSON.stringify(zodIssuesToFieldIssues(result.error))}`);
  return result.data;
}

const pennies = (text: string) => BigInt(text.replace('.', ''));
const sum = (texts: string[]) => texts.reduce((total, text) => total + pennies(text), 0n);

// ── a naive reference implementation in exact fractions ───────────────────────────────────────

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

class Q {
  readonly n: bigint;
  readonly d: bigint;
  constructor(n: bigint, d = 1n) {
    const sign = d < 0n ? -1n : 1n;
    const g = gcd(n, d) || 1n;
    this.n = (sign * n) / g;
    this.d = (sign * d) / g;
  }
  static of(text: string | number): Q {
    const [whole = '0', fraction = ''] = String(text).split('.');
    return new Q(BigInt(whole + fraction), 10n ** BigInt(fraction.length));
  }
  plus(o: Q): Q {
    return new Q(this.n * o.d + o.n * this.d, this.d * o.d);
  }
  minus(o: Q): Q {
    return new Q(this.n * o.d - o.n * this.d, this.d * o.d);
  }
  times(o: Q): Q {
    return new Q(this.n * o.n, this.d * o.d);
  }
  div(o: Q): Q {
    return new Q(this.n * o.d, this.d * o.n);
  }
  cmp(o: Q): number {
    const x = this.n * o.d;
    const y = o.n * this.d;
    return x === y ? 0 : x < y ? -1 : 1;
  }
  isZero(): boolean {
    return this.n === 0n;
  }
  /** floor(this × 100), this ≥ 0 */
  floorPennies(): bigint {
    return (this.n * 100n) / this.d;
  }
  /** half-up to pennies, this ≥ 0 */
  roundPennies(): bigint {
    return (this.n * 200n + this.d) / (2n * this.d);
  }
}
const ZERO = new Q(0n);
const ONE = new Q(1n);
const max = (a: Q, b: Q) => (a.cmp(b) >= 0 ? a : b);
const min = (a: Q, b: Q) => (a.cmp(b) <= 0 ? a : b);
const penniesText = (p: bigint) => {
  const digits = p.toString().padStart(3, '0');
  return `${digits.slice(0, -2)}.${digits.slice(-2)}`;
};

/** §3: floor each to pennies, then a penny each to the largest remainders (ties: earlier) up to target. */
function referenceAllocate(values: Q[], target: bigint): bigint[] {
  const floors = values.map((value) => value.floorPennies());
  const remainders = values.map((value, i) => value.minus(new Q(floors[i]!, 100n)));
  let owed = target - floors.reduce((total, floor) => total + floor, 0n);
  const order = values.map((_, i) => i).sort((a, b) => remainders[b]!.cmp(remainders[a]!) || a - b);
  for (let k = 0; owed > 0n; k += 1, owed -= 1n) floors[order[k]!]! += 1n;
  return floors;
}

interface Reference {
  daysInPeriod: number;
  fee: string;
  cost: string;
  surplus: string;
  income: string;
  lines: [string, string, string][];
  enhancements: { loaded: string; charge: string; lines: [string, string][] }[];
}

function reference(model: CostModel): Reference {
  const rates = model.rates!;
  const day = (iso: string) =>
    Date.UTC(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)) - 1, Number(iso.slice(8)));
  const days = (day(model.period.end) - day(model.period.start)) / 86_400_000 + 1;
  const W = new Q(BigInt(days), 7n);
  const P = Q.of(model.home.plannedOccupancy).times(new Q(BigInt(model.home.registeredPlaces)));
  const hours = Q.of(model.home.fteHoursPerWeek);
  const annualise = (amount: Q, frequency: string) =>
    frequency === 'weekly'
      ? amount.times(W)
      : amount.times(new Q(frequency === 'monthly' ? 12n : frequency === 'quarterly' ? 4n : 1n));

  const c = model.cover;
  const A = Q.of(c.annualLeaveDays).plus(Q.of(c.sicknessDays)).plus(Q.of(c.trainingDays));
  const u = A.div(Q.of(c.workingDaysPerYear).minus(A));
  const agency = ONE.plus(Q.of(c.agencyShare).times(Q.of(c.agencyPremiumRate)));

  const home: { code: string; annual: Q }[] = [];
  let ni = ZERO;
  let pension = ZERO;
  let levy = ZERO;
  let cover = ZERO;
  const loaded = new Map<string, { E: Q; cover: Q; line: CostModel['staffing'][number] }>();
  for (const line of model.staffing) {
    const payPerFte =
      line.annualSalaryFte !== undefined
        ? Q.of(line.annualSalaryFte)
        : Q.of(line.hourlyRate!).times(hours).times(W);
    const g = payPerFte
      .times(Q.of(line.ftePerPerson))
      .times(ONE.plus(Q.of(line.enhancementRate)))
      .plus(Q.of(line.allowancesAnnualPerPerson));
    const personNi = max(ZERO, g.minus(Q.of(rates.niSecondaryThresholdAnnual))).times(
      Q.of(rates.employerNiRate),
    );
    const personPension =
      rates.pensionBasis === 'gross'
        ? g.times(Q.of(rates.employerPensionRate))
        : max(
            ZERO,
            min(g, Q.of(rates.pensionQualifyingUpperAnnual)).minus(Q.of(rates.pensionQualifyingLowerAnnual)),
          ).times(Q.of(rates.employerPensionRate));
    const personLevy = g.times(Q.of(rates.apprenticeshipLevyRate));
    const headcount = new Q(BigInt(line.headcount));
    const E = headcount.times(g.plus(personNi).plus(personPension).plus(personLevy));
    const lineCover = line.requiresCover ? E.times(u).times(agency) : ZERO;
    home.push({ code: 'STAFF_PAY', annual: headcount.times(g) });
    ni = ni.plus(headcount.times(personNi));
    pension = pension.plus(headcount.times(personPension));
    levy = levy.plus(headcount.times(personLevy));
    cover = cover.plus(lineCover);
    if (!loaded.has(line.id)) loaded.set(line.id, { E, cover: lineCover, line });
  }
  home.push({ code: 'STAFF_EMPLOYER_NI', annual: ni });
  home.push({ code: 'STAFF_EMPLOYER_PENSION', annual: pension });
  home.push({ code: 'STAFF_APPRENTICESHIP_LEVY', annual: levy });
  home.push({ code: 'STAFF_ABSENCE_COVER', annual: cover });

  const lines: { code: string; annual: Q; weekly: Q }[] = home.map(({ code, annual }) => ({
    code,
    annual,
    weekly: annual.div(W).div(P),
  }));
  for (const line of model.property) {
    const annual = annualise(Q.of(line.amount), line.frequency);
    lines.push({ code: line.code, annual, weekly: annual.div(W).div(P) });
  }
  for (const line of model.running) {
    const amount = Q.of(line.amount);
    if (line.basis === 'per_child') {
      const weekly = line.frequency === 'weekly' ? amount : annualise(amount, line.frequency).div(W);
      lines.push({ code: line.code, annual: weekly.times(W).times(P), weekly });
    } else {
      const annual = annualise(amount, line.frequency);
      lines.push({ code: line.code, annual, weekly: annual.div(W).div(P) });
    }
  }
  const central = Q.of(model.central.poolAnnual)
    .times(Q.of(model.central.homeUnits))
    .div(Q.of(model.central.totalUnits));
  lines.push({ code: 'CENTRAL_OVERHEAD', annual: central, weekly: central.div(W).div(P) });

  const C = lines.reduce((total, line) => total.plus(line.weekly), ZERO);
  const rate = Q.of(model.surplus.rate);
  const S = C.times(rate);
  const F = C.plus(S);
  lines.push({ code: 'SURPLUS', annual: S.times(W).times(P), weekly: S });
  const kept = lines.filter((line) => !line.annual.isZero());

  const fee = F.roundPennies();
  const income = F.times(W).times(P).roundPennies();
  const weekly = referenceAllocate(
    kept.map((line) => line.weekly),
    fee,
  );
  const annual = referenceAllocate(
    kept.map((line) => line.annual),
    income,
  );
  const surplusIndex = kept.findIndex((line) => line.code === 'SURPLUS');
  const surplusWeekly = surplusIndex === -1 ? 0n : weekly[surplusIndex]!;

  const enhancements = (model.enhancements ?? []).map((enhancement) => {
    const { E, cover: lineCover, line } = loaded.get(enhancement.roleId)!;
    const h = E.plus(lineCover).div(
      new Q(BigInt(line.headcount)).times(Q.of(line.ftePerPerson)).times(hours).times(W),
    );
    const cost = Q.of(enhancement.hoursPerWeek).times(h);
    const surplus = cost.times(rate);
    const charge = cost.plus(surplus).roundPennies();
    const parts = [
      { code: 'ENHANCEMENT_STAFFING', value: cost },
      { code: 'SURPLUS', value: surplus },
    ].filter((part) => !part.value.isZero());
    const amounts = referenceAllocate(
      parts.map((part) => part.value),
      charge,
    );
    return {
      loaded: penniesText(h.roundPennies()),
      charge: penniesText(charge),
      lines: parts.map((part, i): [string, string] => [part.code, penniesText(amounts[i]!)]),
    };
  });

  return {
    daysInPeriod: days,
    fee: penniesText(fee),
    cost: penniesText(fee - surplusWeekly),
    surplus: penniesText(surplusWeekly),
    income: penniesText(income),
    lines: kept.map((line, i) => [line.code, penniesText(annual[i]!), penniesText(weekly[i]!)]),
    enhancements,
  };
}

function published(breakdown: Breakdown): Reference {
  return {
    daysInPeriod: breakdown.daysInPeriod,
    fee: breakdown.weeklyFeePerChild,
    cost: breakdown.weeklyCostPerChild,
    surplus: breakdown.weeklySurplusPerChild,
    income: breakdown.annualIncomeAtPlannedOccupancy,
    lines: breakdown.lines.map((line) => [line.code, line.annualAmount, line.weeklyPerChild]),
    enhancements: breakdown.enhancements.map((enhancement) => ({
      loaded: enhancement.loadedHourlyCost,
      charge: enhancement.weeklyCharge,
      lines: enhancement.lines.map((line): [string, string] => [line.code, line.weeklyAmount]),
    })),
  };
}

// ── the properties ────────────────────────────────────────────────────────────────────────────

const runs = { numRuns: 200 };

describe('properties of the price over random valid cost models', () => {
  it('agrees to the penny with a naive exact implementation of §2–§3', () => {
    fc.assert(
      fc.property(modelArb, (input) => {
        const model = parse(input);
        expect(published(priceCostModel(model))).toEqual(reference(model));
      }),
      runs,
    );
  });

  it('adds up: the weekly column to the fee, the annual column to the income, the shares to 1.0000', () => {
    fc.assert(
      fc.property(modelArb, (input) => {
        const breakdown = priceCostModel(parse(input));
        expect(sum(breakdown.lines.map((line) => line.weeklyPerChild))).toBe(
          pennies(breakdown.weeklyFeePerChild),
        );
        expect(sum(breakdown.lines.map((line) => line.annualAmount))).toBe(
          pennies(breakdown.annualIncomeAtPlannedOccupancy),
        );
        const shares = sum(breakdown.lines.map((line) => line.shareOfFee));
        expect(shares).toBe(breakdown.weeklyFeePerChild === '0.00' ? 0n : 10_000n);
        expect(pennies(breakdown.totals.shareOfFee)).toBe(shares);
        for (const enhancement of breakdown.enhancements) {
          expect(sum(enhancement.lines.map((line) => line.weeklyAmount))).toBe(
            pennies(enhancement.weeklyCharge),
          );
        }
      }),
      runs,
    );
  });

  it('fee = cost + surplus; no amount is negative; the surplus stays under the cap', () => {
    fc.assert(
      fc.property(modelArb, (input) => {
        const model = parse(input);
        const breakdown = priceCostModel(model);
        const fee = pennies(breakdown.weeklyFeePerChild);
        const cost = pennies(breakdown.weeklyCostPerChild);
        const surplus = pennies(breakdown.weeklySurplusPerChild);
        expect(cost + surplus).toBe(fee);
        const all = [
          breakdown.weeklyFeePerChild,
          breakdown.weeklyCostPerChild,
          breakdown.weeklySurplusPerChild,
          breakdown.annualIncomeAtPlannedOccupancy,
          ...breakdown.lines.flatMap((line) => [line.annualAmount, line.weeklyPerChild, line.shareOfFee]),
          ...breakdown.enhancements.flatMap((e) => [
            e.weeklyCharge,
            e.loadedHourlyCost,
            ...e.lines.map((l) => l.weeklyAmount),
          ]),
        ];
        for (const amount of all) expect(amount.startsWith('-')).toBe(false);
        // exact S ≤ cap × exact C; the published surplus is under S + 1p, and the published cost is
        // above C − 1.5p (a penny of allocation, half a penny of the fee's rounding), so in pennies:
        // surplus < cap × cost + 1 + 1.5 × cap
        const cap = micros(model.surplus.capRate);
        expect(2n * surplus * 1_000_000n < 2n * cap * cost + 2_000_000n + 3n * cap).toBe(true);
        expect(breakdownSchema.safeParse(breakdown).success).toBe(true);
      }),
      runs,
    );
  });

  it('never lowers the fee when a cost input goes up', () => {
    const bump = fc.record({
      kind: fc.integer({ min: 0, max: 11 }),
      pick: fc.nat(),
      by: fc.integer({ min: 1, max: 500_000 }),
    });
    fc.assert(
      fc.property(modelArb, bump, (input, { kind, pick, by }) => {
        const before = priceCostModel(parse(input));
        const changed = structuredClone(input) as Json;
        raise(changed, kind, pick, by);
        const after = priceCostModel(parse(changed));
        expect(pennies(after.weeklyFeePerChild) >= pennies(before.weeklyFeePerChild)).toBe(true);
        expect(
          pennies(after.annualIncomeAtPlannedOccupancy) >= pennies(before.annualIncomeAtPlannedOccupancy),
        ).toBe(true);
      }),
      runs,
    );
  });

  it('gives the same price whatever the order of property and running lines', () => {
    fc.assert(
      fc.property(modelArb, fc.nat(), (input, seed) => {
        const before = priceCostModel(parse(input));
        const shuffled = structuredClone(input) as Json;
        shuffled.property = shuffle(shuffled.property as Json[], seed);
        shuffled.running = shuffle(shuffled.running as Json[], seed + 1);
        const after = priceCostModel(parse(shuffled));
        expect(after.weeklyFeePerChild).toBe(before.weeklyFeePerChild);
        expect(after.annualIncomeAtPlannedOccupancy).toBe(before.annualIncomeAtPlannedOccupancy);
        expect(after.weeklySurplusPerChild).toBe(before.weeklySurplusPerChild);
        const key = (line: Breakdown['lines'][number]) => `${line.code} ${line.description}`;
        expect(after.lines.map(key).sort()).toEqual(before.lines.map(key).sort());
        // the same lines, each within the penny that largest remainder may move between equal remainders
        const byKey = new Map(before.lines.map((line) => [key(line), line]));
        for (const line of after.lines) {
          const match = byKey.get(key(line))!;
          const weekly = pennies(line.weeklyPerChild) - pennies(match.weeklyPerChild);
          const annual = pennies(line.annualAmount) - pennies(match.annualAmount);
          expect(weekly >= -1n && weekly <= 1n && annual >= -1n && annual <= 1n).toBe(true);
        }
      }),
      runs,
    );
  });

  it('never throws on a valid model, and the same model always gives the same breakdown', () => {
    fc.assert(
      fc.property(modelArb, (input) => {
        const model = parse(input);
        expect(priceCostModel(model)).toEqual(priceCostModel(structuredClone(model)));
      }),
      { numRuns: 50 },
    );
  });

  it('reports issues, never throws, for arbitrary documents', () => {
    fc.assert(
      fc.property(modelArb, fc.nat(), fc.anything(), (input, pick, junk) => {
        const document = structuredClone(input) as Json;
        const paths = [
          [],
          ['period'],
          ['home'],
          ['rates'],
          ['cover'],
          ['staffing'],
          ['central'],
          ['surplus'],
          ['period', 'start'],
          ['home', 'plannedOccupancy'],
          ['cover', 'workingDaysPerYear'],
          ['central', 'homeUnits'],
          ['surplus', 'rate'],
          ['property'],
          ['enhancements'],
        ];
        const path = paths[pick % paths.length]!;
        const target =
          path.length === 0 ? null : path.slice(0, -1).reduce<Json>((at, key) => at[key] as Json, document);
        const replaced = target === null ? junk : document;
        if (target !== null) target[path[path.length - 1]!] = junk;
        const result = costModelSchema.safeParse(replaced);
        if (!result.success) {
          for (const issue of zodIssuesToFieldIssues(result.error)) {
            expect(issue.pointer === '' || issue.pointer.startsWith('/')).toBe(true);
            expect(issue.message.length).toBeGreaterThan(0);
          }
        } else {
          expect(() => priceCostModel(result.data)).not.toThrow();
        }
      }),
      runs,
    );
  });
});

/** A rate string as whole millionths: "0.04" → 40000n. */
function micros(rate: string): bigint {
  const [whole = '0', fraction = ''] = rate.split('.');
  return BigInt(whole + fraction.padEnd(6, '0'));
}

function shuffle<T>(items: T[], seed: number): T[] {
  const result = [...items];
  let state = seed + 1;
  for (let i = result.length - 1; i > 0; i -= 1) {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    const j = state % (i + 1);
    [result[i], result[j]] = [result[j]!, result[i]!];
  }
  return result;
}

function addTo(text: string, units: number, places: number): string {
  const [whole = '0', fraction = ''] = text.split('.');
  const value = BigInt(whole + fraction.padEnd(places, '0')) + BigInt(units);
  return decimalText(value, places);
}

/** Raises one cost input of a model (kind picks which; pick picks a line; by is the step). */
function raise(model: Json, kind: number, pick: number, by: number): void {
  const staffing = model.staffing as Json[];
  const property = model.property as Json[];
  const running = model.running as Json[];
  const rates = model.rates as Json;
  const cover = model.cover as Json;
  const central = model.central as Json;
  const line = <T>(lines: T[]) => (lines.length === 0 ? undefined : lines[pick % lines.length]);
  const capped = (text: string, step: number) => {
    const raised = addTo(text, step, 6);
    return Number(raised) > 1 ? '1' : raised;
  };
  switch (kind) {
    case 0: {
      const staff = line(staffing);
      if (staff?.annualSalaryFte !== undefined)
        staff.annualSalaryFte = addTo(staff.annualSalaryFte as string, by, 2);
      else if (staff) staff.hourlyRate = addTo(staff.hourlyRate as string, by % 500, 2);
      break;
    }
    case 1: {
      const staff = line(staffing);
      if (staff) staff.headcount = (staff.headcount as number) + 1;
      break;
    }
    case 2: {
      const staff = line(staffing);
      if (staff) staff.allowancesAnnualPerPerson = addTo(staff.allowancesAnnualPerPerson as string, by, 2);
      break;
    }
    case 3: {
      const staff = line(staffing);
      if (staff) staff.enhancementRate = addTo(staff.enhancementRate as string, by, 6);
      break;
    }
    case 4: {
      const item = line(property);
      if (item) item.amount = addTo(item.amount as string, by, 2);
      break;
    }
    case 5: {
      const item = line(running);
      if (item) item.amount = addTo(item.amount as string, by, 2);
      break;
    }
    case 6:
      central.poolAnnual = addTo(central.poolAnnual as string, by, 2);
      break;
    case 7: {
      const raised = addTo(central.homeUnits as string, by, 2);
      central.homeUnits = Number(raised) > Number(central.totalUnits) ? central.totalUnits : raised;
      break;
    }
    case 8:
      rates.employerNiRate = capped(rates.employerNiRate as string, by);
      break;
    case 9:
      rates.employerPensionRate = capped(rates.employerPensionRate as string, by);
      break;
    case 10:
      cover.agencyPremiumRate = addTo(cover.agencyPremiumRate as string, by, 6);
      break;
    case 11: {
      // one more day of leave, while absence stays below working days
      const raised = addTo(cover.annualLeaveDays as string, 1_000_000, 6);
      const absence = Number(raised) + Number(cover.sicknessDays) + Number(cover.trainingDays);
      if (absence < Number(cover.workingDaysPerYear)) cover.annualLeaveDays = raised;
      break;
    }
  }
}
