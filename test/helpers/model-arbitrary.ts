import fc from 'fast-check';
import { PROPERTY_CODES, RUNNING_CODES } from '../../src/domain/pricing/index.js';

// Random valid cost models (method §1), for properties over the engine and the formats that state
// its figures. Every money, rate and quantity is a decimal string within the method's precision.

type Json = Record<string, unknown>;

// ── decimal strings ───────────────────────────────────────────────────────────────────────────

export function decimalText(units: bigint | number, places: number): string {
  const digits = BigInt(units)
    .toString()
    .padStart(places + 1, '0');
  if (places === 0) return digits;
  const text = `${digits.slice(0, digits.length - places)}.${digits.slice(digits.length - places)}`;
  return text.replace(/0+$/, '').replace(/\.$/, '');
}

/** Money from 0 to max pounds, with 0–2 decimals. */
export const money = (maxPounds: number) =>
  fc.integer({ min: 0, max: maxPounds * 100 }).map((pennies) => decimalText(pennies, 2));
/** A rate or quantity from min to max millionths, with up to 6 decimals. */
export const micro = (min: number, max: number) => fc.integer({ min, max }).map((m) => decimalText(m, 6));
/** A value from min to max in steps of 10^-places. */
export const stepped = (min: number, max: number, places: number) =>
  fc.integer({ min: min * 10 ** places, max: max * 10 ** places }).map((n) => decimalText(n, places));

// ── a generator of valid cost models ──────────────────────────────────────────────────────────

const periodArb = fc
  .record({ year: fc.integer({ min: 2000, max: 2040 }), dayOfYear: fc.integer({ min: 0, max: 364 }) })
  .map(({ year, dayOfYear }) => {
    let start = new Date(Date.UTC(year, 0, 1 + dayOfYear));
    if (start.getUTCMonth() === 1 && start.getUTCDate() === 29) start = new Date(Date.UTC(year, 2, 1));
    const iso = (date: Date) => date.toISOString().slice(0, 10);
    const anniversary = Date.UTC(start.getUTCFullYear() + 1, start.getUTCMonth(), start.getUTCDate());
    return { label: `from ${iso(start)}`, start: iso(start), end: iso(new Date(anniversary - 86_400_000)) };
  });

const ratesArb = fc
  .record({
    employerNiRate: micro(0, 200_000),
    niSecondaryThresholdAnnual: money(12_000),
    employerPensionRate: micro(0, 100_000),
    pensionBasis: fc.constantFrom('gross', 'qualifying_earnings'),
    lower: fc.integer({ min: 0, max: 1_000_000 }),
    width: fc.integer({ min: 0, max: 6_000_000 }),
    apprenticeshipLevyRate: fc.constantFrom('0', '0.005', '0.01', '0.0075'),
  })
  .map(({ lower, width, ...rest }) => ({
    ...rest,
    pensionQualifyingLowerAnnual: decimalText(lower, 2),
    pensionQualifyingUpperAnnual: decimalText(lower + width, 2),
  }));

const coverArb = fc.record({
  workingDaysPerYear: stepped(150, 366, 1),
  annualLeaveDays: stepped(0, 40, 1),
  sicknessDays: stepped(0, 40, 2),
  trainingDays: stepped(0, 40, 0),
  agencyShare: micro(0, 1_000_000),
  agencyPremiumRate: micro(0, 1_000_000),
});

const staffLineArb = fc.record({
  role: fc.constantFrom('Registered Manager', 'Residential Child Care Worker', 'Night worker', 'Cook'),
  group: fc.constantFrom('management', 'care', 'support'),
  headcount: fc.integer({ min: 1, max: 15 }),
  ftePerPerson: micro(100_000, 1_000_000),
  pay: fc.oneof(
    money(80_000).map((annualSalaryFte) => ({ annualSalaryFte })),
    stepped(10, 40, 2).map((hourlyRate) => ({ hourlyRate })),
  ),
  enhancementRate: micro(0, 200_000),
  allowancesAnnualPerPerson: money(5_000),
  requiresCover: fc.boolean(),
});

const frequencyArb = fc.constantFrom('weekly', 'monthly', 'quarterly', 'annual');

export const modelArb = fc
  .record({
    period: periodArb,
    home: fc.record({
      registeredPlaces: fc.integer({ min: 1, max: 12 }),
      plannedOccupancy: micro(1, 1_000_000),
      fteHoursPerWeek: fc.oneof(fc.constantFrom('37.5', '39', '40'), stepped(1, 60, 2)),
    }),
    rates: ratesArb,
    cover: coverArb,
    staffing: fc.array(staffLineArb, { maxLength: 6 }),
    property: fc.array(
      fc.record({ code: fc.constantFrom(...PROPERTY_CODES), amount: money(60_000), frequency: frequencyArb }),
      { maxLength: 6 },
    ),
    running: fc.array(
      fc.record({
        code: fc.constantFrom(...RUNNING_CODES),
        amount: money(30_000),
        frequency: frequencyArb,
        basis: fc.constantFrom('per_home', 'per_child', undefined),
      }),
      { maxLength: 8 },
    ),
    central: fc
      .record({
        poolAnnual: money(1_000_000),
        basis: fc.constantFrom('places', 'staff_fte', 'equal'),
        total: fc.integer({ min: 1, max: 10_000 }),
        share: fc.integer({ min: 0, max: 100 }),
      })
      .map(({ total, share, ...rest }) => ({
        ...rest,
        homeUnits: decimalText(Math.floor((total * share) / 100), 2),
        totalUnits: decimalText(total, 2),
      })),
    surplus: fc
      .record({ cap: fc.integer({ min: 0, max: 200_000 }), part: fc.integer({ min: 0, max: 100 }) })
      .map(({ cap, part }) => ({
        rate: decimalText(Math.floor((cap * part) / 100), 6),
        capRate: decimalText(cap, 6),
      })),
    enhancements: fc.array(fc.record({ pick: fc.nat(), hoursPerWeek: stepped(0, 40, 1) }), { maxLength: 2 }),
  })
  .map((draft): Json => {
    const staffing = draft.staffing.map(({ pay, role, ...line }, i) => ({
      id: `s${i}`,
      role: `${role} ${i}`,
      ...line,
      ...pay,
    }));
    const model: Json = {
      period: draft.period,
      home: draft.home,
      rates: draft.rates,
      cover: draft.cover,
      staffing,
      property: draft.property.map((line, i) => ({ ...line, description: `Property ${i}` })),
      running: draft.running.map(({ basis, ...line }, i) => ({
        ...line,
        description: `Running ${i}`,
        ...(basis === undefined ? {} : { basis }),
      })),
      central: draft.central,
      surplus: draft.surplus,
    };
    if (staffing.length > 0 && draft.enhancements.length > 0) {
      model.enhancements = draft.enhancements.map(({ pick, hoursPerWeek }, i) => ({
        description: `Enhancement ${i}`,
        roleId: `s${pick % staffing.length}`,
        hoursPerWeek,
      }));
    }
    return model;
  });

/**
 * Method v2 §6: a model of `modelArb` that pays related parties: some of its property and running
 * lines and parts of its central pool, each against a market amount from 80% to 105% of what is paid
 * (so that most models stay within their cap; those that do not are refused by the engine).
 */
export const relatedModelArb = fc
  .record({
    model: modelArb,
    picks: fc.array(fc.record({ line: fc.nat(), percent: fc.integer({ min: 80, max: 105 }) }), {
      maxLength: 4,
    }),
    charges: fc.array(
      fc.record({ share: fc.integer({ min: 0, max: 30 }), percent: fc.integer({ min: 80, max: 105 }) }),
      {
        maxLength: 2,
      },
    ),
  })
  .map(({ model, picks, charges }): Json => {
    const property = model.property as Json[];
    const running = model.running as Json[];
    const lines = [...property, ...running];
    const parties = ['landlord', 'group', 'tutor'];
    const named = new Set<string>();
    picks.forEach(({ line, percent }, i) => {
      const target = lines[line % Math.max(1, lines.length)];
      if (target === undefined || target.relatedPartyId !== undefined) return;
      const party = parties[i % parties.length]!;
      const [whole = '0', fraction = ''] = String(target.amount).split('.');
      const cents = BigInt(whole + fraction.padEnd(2, '0'));
      target.relatedPartyId = party;
      target.marketAmount = decimalText((cents * BigInt(percent)) / 100n, 2);
      target.marketEvidence = 'Independent valuation';
      named.add(party);
    });
    const central = model.central as Json;
    const [poolWhole = '0', poolFraction = ''] = String(central.poolAnnual).split('.');
    const pool = BigInt(poolWhole + poolFraction.padEnd(2, '0'));
    const components = charges
      .map(({ share, percent }, i) => {
        const amount = (pool * BigInt(share)) / 100n;
        return {
          relatedPartyId: i === 0 ? 'group' : 'tutor',
          description: `Component ${i}`,
          amountAnnual: decimalText(amount, 2),
          marketAmountAnnual: decimalText((amount * BigInt(percent)) / 100n, 2),
          marketEvidence: 'Benchmark',
        };
      })
      .filter((component) => component.amountAnnual !== '0');
    if (components.length > 0) {
      central.relatedPartyCharges = components;
      for (const component of components) named.add(component.relatedPartyId);
    }
    model.relatedParties = parties
      .filter((party) => named.has(party))
      .map((id) => ({ id, name: `${id} Ltd`, relationship: 'common_control' }));
    return model;
  });
