import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ChargeSchedule } from '../../../src/domain/charges/index.js';
import { DomainValidationError } from '../../../src/domain/errors.js';
import { formatPennies } from '../../../src/domain/money.js';
import { type CostModel, costModelSchema } from '../../../src/domain/pricing/index.js';
import { settleBooks } from '../../../src/domain/settlement/books.js';
import { type Settlement, type SettlementHomeInput, settle } from '../../../src/domain/settlement/index.js';
import { marketOf, relatedPartyAllowances } from '../../../src/domain/settlement/related-parties.js';
import { settlementOf } from '../../helpers/settlement.js';

// Method §7, related-party excess in actuals (settlement rule v3, item 4): allowances from the market
// amounts of the fee schedules in force, pro rata by days, and the cap tested on the adjusted surplus.
// Every figure below is worked out by hand.

const LIVERPOOL = 'E08000012';
const WIRRAL = 'E08000015';
const YEAR = { start: '2026-04-01', end: '2027-03-31' };
const {
  everyMonth: EVERY_MONTH,
  home,
  input,
} = settlementOf(YEAR, {
  asOf: '2027-06-01',
  relatedParties: [{ id: 'jpl', name: 'Harbour Properties Ltd' }],
});

const fixture = JSON.parse(
  readFileSync(
    new URL('../../../fixtures/examples/wirral-related-parties-2026-27.model.json', import.meta.url),
    'utf8',
  ),
) as Record<string, unknown> & { property: Array<Record<string, unknown>> };

/** The §6 example (lease to `jpl` at £2,400 a month against a market £2,350), with changes. */
function model(change: (raw: typeof fixture) => void = () => undefined): CostModel {
  const raw = structuredClone(fixture);
  change(raw);
  return costModelSchema.parse(raw);
}

function schedule(id: string, version: number, effectiveFrom: string, costModel: CostModel): ChargeSchedule {
  return {
    id,
    homeId: 'ash',
    version,
    periodLabel: costModel.period.label,
    effectiveFrom,
    publishedAt: `2026-01-0${version}T00:00:00Z`,
    weeklyFeePerChild: '5504.74',
    model: costModel,
  };
}

/** The lease paid to `jpl` (all of it named), beside £60,000.00 of pay, against a £28,200.00 allowance. */
function leaseHome(id: string, income: Array<{ councilCode: string; amount: string }>, lease: string) {
  return home(id, {
    income,
    actualCosts: [
      { code: 'STAFF_PAY', amount: '60000.00' },
      { code: 'PROPERTY_LEASE', amount: lease },
    ],
    relatedPartyPaid: [{ partyId: 'jpl', code: 'PROPERTY_LEASE', amount: lease }],
    relatedPartyAllowances: [{ partyId: 'jpl', code: 'PROPERTY_LEASE', amount: '28200.00' }],
  });
}

const capFigures = (figures: Settlement | Settlement['homes'][number]) => ({
  allowedSurplus: figures.allowedSurplus,
  excess: figures.excess,
  shortfall: figures.shortfall,
  outcome: figures.outcome,
  rebates: figures.rebates,
});

describe('the allowance: market amounts of the schedules in force, pro rata by days', () => {
  it('takes the market amounts a schedule in force all year gives, per party and code', () => {
    // the engine annualises the §6 lines: £2,350 a month = £28,200.00; the group fee's market
    // £45,000 × 4/40 places = £4,500.00; tutoring's market £55 × 52.142857 weeks × 3.6 children
    expect(
      relatedPartyAllowances({ ...YEAR_RANGE, schedules: [schedule('s1', 1, '2026-04-01', model())] }),
    ).toEqual([
      { partyId: 'edu', code: 'RUNNING_EDUCATION', amount: '10324.29' },
      { partyId: 'grp', code: 'CENTRAL_OVERHEAD', amount: '4500.00' },
      { partyId: 'jpl', code: 'PROPERTY_LEASE', amount: '28200.00' },
    ]);
  });

  it('pro-rates a schedule change mid-year by days, summed exactly and rounded once', () => {
    // 1 Apr–30 Sep: 183 days at £28,200.00 a year; 1 Oct–31 Mar: 182 days at £2,500 × 12 = £30,000.00.
    // (2,820,000 × 183 + 3,000,000 × 182) ÷ 365 = 1,062,060,000 ÷ 365 = 2,909,753.42 pennies → £29,097.53
    const dearer = model((raw) => {
      raw.property[0]!.marketAmount = '2500';
    });
    const allowances = relatedPartyAllowances({
      ...YEAR_RANGE,
      schedules: [schedule('s1', 1, '2026-04-01', model()), schedule('s2', 2, '2026-10-01', dearer)],
    });
    expect(allowances.find((line) => line.partyId === 'jpl')).toEqual({
      partyId: 'jpl',
      code: 'PROPERTY_LEASE',
      amount: '29097.53',
    });
  });

  it('counts days held over after a schedule’s own period as days in force', () => {
    // the 2025-26 schedule (market £2,300 × 12 = £27,600.00 over its own 365 days) holds over
    // 1 Apr–30 Jun 2026 (91 days); the 2026-27 one is in force for the other 274 days:
    // (2,760,000 × 91 + 2,820,000 × 274) ÷ 365 = 1,023,840,000 ÷ 365 = 2,805,041.10 → £28,050.41
    const last = model((raw) => {
      raw.period = { label: '2025-26', start: '2025-04-01', end: '2026-03-31' };
      raw.property[0]!.marketAmount = '2300';
    });
    const allowances = relatedPartyAllowances({
      ...YEAR_RANGE,
      schedules: [schedule('s0', 1, '2025-04-01', last), schedule('s1', 2, '2026-07-01', model())],
    });
    expect(allowances.find((line) => line.partyId === 'jpl')?.amount).toBe('28050.41');
  });

  it('gives nothing for days with no schedule in force, and nothing for a model without §6 parties', () => {
    // in force from 1 Oct only: 182 days. jpl 2,820,000 × 182 ÷ 365 = 1,406,136.99 → £14,061.37;
    // grp 450,000 × 182 ÷ 365 = 224,383.56 → £2,243.84; edu 1,032,429 × 182 ÷ 365 = 514,800.21 → £5,148.00
    expect(
      relatedPartyAllowances({ ...YEAR_RANGE, schedules: [schedule('s1', 1, '2026-10-01', model())] }),
    ).toEqual([
      { partyId: 'edu', code: 'RUNNING_EDUCATION', amount: '5148.00' },
      { partyId: 'grp', code: 'CENTRAL_OVERHEAD', amount: '2243.84' },
      { partyId: 'jpl', code: 'PROPERTY_LEASE', amount: '14061.37' },
    ]);
    const plain = model((raw) => {
      delete raw.relatedParties;
      delete (raw.central as Record<string, unknown>).relatedPartyCharges;
      for (const line of [...raw.property, ...(raw.running as Array<Record<string, unknown>>)]) {
        delete line.relatedPartyId;
        delete line.marketAmount;
        delete line.marketEvidence;
      }
    });
    expect(marketOf(plain).amounts).toEqual([]);
    expect(
      relatedPartyAllowances({ ...YEAR_RANGE, schedules: [schedule('s1', 1, '2026-04-01', plain)] }),
    ).toEqual([]);
  });
});

const YEAR_RANGE = { from: YEAR.start, to: YEAR.end };

describe('one home paying its landlord above, at and below market (organisation scope, cap 5%)', () => {
  // Income 100,000.00 from Wirral; pay 60,000.00 and the lease to jpl; the allowance 28,200.00.
  const settleLease = (lease: string) =>
    settle(input({ homes: [leaseHome('ash', [{ councilCode: WIRRAL, amount: '100000.00' }], lease)] }));

  it('above market: the excess paid is surplus, and the cap is tested on the adjusted figures', () => {
    // cost 90,000.00, realised surplus 10,000.00; excess 30,000.00 − 28,200.00 = 1,800.00;
    // adjusted surplus 11,800.00, adjusted cost 88,200.00, allowed 4,410.00, excess over the cap 7,390.00
    const result = settleLease('30000.00');
    expect(result).toMatchObject({
      actualCost: '90000.00',
      realisedSurplus: '10000.00',
      relatedPartyExcess: '1800.00',
      adjustedSurplus: '11800.00',
      adjustedCost: '88200.00',
      allowedSurplus: '4410.00',
      excess: '7390.00',
      shortfall: '0.00',
      outcome: 'excess_rebated',
      rebates: [{ councilCode: WIRRAL, charged: '100000.00', share: '1.000000', rebate: '7390.00' }],
      relatedParties: [
        {
          partyId: 'jpl',
          name: 'Harbour Properties Ltd',
          code: 'PROPERTY_LEASE',
          paid: '30000.00',
          allowance: '28200.00',
          excess: '1800.00',
        },
      ],
    });
    // the home's own figures say the same of its books (for information under this scope)
    expect(result.homes[0]).toMatchObject({
      relatedPartyExcess: '1800.00',
      adjustedSurplus: '11800.00',
      adjustedCost: '88200.00',
      outcome: 'information_only',
      relatedParties: result.relatedParties,
    });
  });

  it('at market: no excess, and the cap figures are those of a settlement naming no party', () => {
    // cost 88,200.00, surplus 11,800.00, allowed 4,410.00, excess 7,390.00 — as without the party
    const result = settleLease('28200.00');
    expect(result).toMatchObject({
      relatedPartyExcess: '0.00',
      adjustedSurplus: '11800.00',
      excess: '7390.00',
    });
    expect(result.relatedParties[0]).toMatchObject({
      paid: '28200.00',
      allowance: '28200.00',
      excess: '0.00',
    });
    const unnamed = settle(
      input({
        homes: [
          home('ash', {
            income: [{ councilCode: WIRRAL, amount: '100000.00' }],
            actualCosts: [
              { code: 'STAFF_PAY', amount: '60000.00' },
              { code: 'PROPERTY_LEASE', amount: '28200.00' },
            ],
          }),
        ],
      }),
    );
    expect(capFigures(result)).toEqual(capFigures(unnamed));
    expect(unnamed).toMatchObject({
      relatedPartyExcess: '0.00',
      adjustedSurplus: '11800.00',
      relatedParties: [],
    });
  });

  it('below market: the excess is zero, never negative; the saving is an ordinary surplus', () => {
    // cost 87,000.00, surplus 13,000.00, allowed 4,350.00, excess 8,650.00
    const result = settleLease('27000.00');
    expect(result).toMatchObject({
      relatedPartyExcess: '0.00',
      adjustedSurplus: '13000.00',
      adjustedCost: '87000.00',
      allowedSurplus: '4350.00',
      excess: '8650.00',
    });
    expect(result.relatedParties[0]).toMatchObject({
      paid: '27000.00',
      allowance: '28200.00',
      excess: '0.00',
    });
  });

  it('can owe more than the realised surplus: a loss made by paying a related party above market', () => {
    // pay 61,000.00 and a lease of 40,000.00: cost 101,000.00, surplus −1,000.00; excess 11,800.00;
    // adjusted surplus 10,800.00, adjusted cost 89,200.00, allowed 4,460.00, excess over the cap 6,340.00
    const result = settle(
      input({
        homes: [leaseHome('ash', [{ councilCode: WIRRAL, amount: '100000.00' }], '40000.00')].map(
          (entry) => ({
            ...entry,
            actualCosts: [
              { code: 'STAFF_PAY', amount: '61000.00' },
              { code: 'PROPERTY_LEASE', amount: '40000.00' },
            ],
          }),
        ),
      }),
    );
    expect(result).toMatchObject({
      realisedSurplus: '-1000.00',
      relatedPartyExcess: '11800.00',
      adjustedSurplus: '10800.00',
      adjustedCost: '89200.00',
      allowedSurplus: '4460.00',
      excess: '6340.00',
      shortfall: '1000.00',
      outcome: 'excess_rebated',
    });
  });

  it('lists a party the schedules allow for but no row names, paying nothing and owing nothing', () => {
    const result = settle(
      input({
        homes: [
          home('ash', {
            income: [{ councilCode: WIRRAL, amount: '100000.00' }],
            actualCosts: [{ code: 'STAFF_PAY', amount: '90000.00' }],
            relatedPartyAllowances: [{ partyId: 'jpl', code: 'PROPERTY_LEASE', amount: '28200.00' }],
          }),
        ],
      }),
    );
    expect(result.relatedParties).toEqual([
      {
        partyId: 'jpl',
        name: 'Harbour Properties Ltd',
        code: 'PROPERTY_LEASE',
        paid: '0.00',
        allowance: '28200.00',
        excess: '0.00',
      },
    ]);
    expect(result).toMatchObject({
      relatedPartyExcess: '0.00',
      allowedSurplus: '4500.00',
      excess: '5500.00',
    });
  });

  it('does not assess an adjusted cost below zero', () => {
    // a lease of 10,000.00 with no market amount (allowance 0.00) beside credits of 9,500.00:
    // cost 500.00, excess 10,000.00, adjusted cost −9,500.00
    const result = settle(
      input({
        homes: [
          home('ash', {
            income: [{ councilCode: WIRRAL, amount: '1000.00' }],
            actualCosts: [
              { code: 'STAFF_PAY', amount: '-9500.00' },
              { code: 'PROPERTY_LEASE', amount: '10000.00' },
            ],
            relatedPartyPaid: [{ partyId: 'kin', code: 'PROPERTY_LEASE', amount: '10000.00' }],
          }),
        ],
      }),
    );
    expect(result).toMatchObject({
      adjustedCost: '-9500.00',
      relatedPartyExcess: '10000.00',
      outcome: 'not_assessed',
      allowedSurplus: null,
      excess: null,
      rebates: [],
    });
    // a party not in the register is listed by its reference alone
    expect(result.relatedParties[0]).toEqual({
      partyId: 'kin',
      code: 'PROPERTY_LEASE',
      paid: '10000.00',
      allowance: '0.00',
      excess: '10000.00',
    });
  });

  it('refuses bad related-party lines, each with its pointer', () => {
    let issues: string[] = [];
    try {
      settle(
        input({
          homes: [
            home('ash', {
              relatedPartyPaid: [{ partyId: '', code: 'SURPLUS', amount: '1.234' }],
              relatedPartyAllowances: [{ partyId: 'jpl', code: 'PROPERTY_LEASE', amount: '-1.00' }],
            }),
          ],
        }),
      );
    } catch (error) {
      expect(error).toBeInstanceOf(DomainValidationError);
      issues = (error as DomainValidationError).issues.map((issue) => issue.pointer);
    }
    expect(issues).toEqual([
      '/homes/0/relatedPartyPaid/0/partyId',
      '/homes/0/relatedPartyPaid/0/code',
      '/homes/0/relatedPartyPaid/0/amount',
      '/homes/0/relatedPartyAllowances/0/amount',
    ]);
  });
});

describe('two homes paying the same landlord, one above market and one below (cap 5%)', () => {
  // Ash: income 110,000.00 (Wirral), cost 60,000.00 + lease 30,000.00 = 90,000.00, surplus 20,000.00;
  //      excess 30,000.00 − 28,200.00 = 1,800.00.
  // Birch: income 80,000.00 (Liverpool), cost 60,000.00 + lease 25,000.00 = 85,000.00, surplus −5,000.00;
  //      paid below the allowance: excess 0.00 (its 3,200.00 below market offsets nothing of Ash's).
  const homes = [
    leaseHome('ash', [{ councilCode: WIRRAL, amount: '110000.00' }], '30000.00'),
    leaseHome('birch', [{ councilCode: LIVERPOOL, amount: '80000.00' }], '25000.00'),
  ];

  it('under the organisation scope, adds the homes’ excesses and tests the whole provider', () => {
    // income 190,000.00, cost 175,000.00, surplus 15,000.00; excess 1,800.00 (not 0.00: Birch's saving
    // does not offset it); adjusted surplus 16,800.00, adjusted cost 173,200.00, allowed 8,660.00,
    // excess over the cap 8,140.00 shared 110:80 — 814,000 × 110,000 ÷ 190,000 = 471,263.16 and
    // 342,736.84 pennies: floors 471,263 + 342,736 leave a penny for Liverpool's larger remainder.
    const result = settle(input({ homes }));
    expect(result).toMatchObject({
      realisedSurplus: '15000.00',
      relatedPartyExcess: '1800.00',
      adjustedSurplus: '16800.00',
      adjustedCost: '173200.00',
      allowedSurplus: '8660.00',
      excess: '8140.00',
      outcome: 'excess_rebated',
      rebates: [
        { councilCode: LIVERPOOL, charged: '80000.00', share: '0.421053', rebate: '3427.37' },
        { councilCode: WIRRAL, charged: '110000.00', share: '0.578947', rebate: '4712.63' },
      ],
      // the provider's line adds the homes' paid, allowance and excess: not max(0, 55,000 − 56,400)
      relatedParties: [
        {
          partyId: 'jpl',
          name: 'Harbour Properties Ltd',
          code: 'PROPERTY_LEASE',
          paid: '55000.00',
          allowance: '56400.00',
          excess: '1800.00',
        },
      ],
    });
    expect(result.homes.map((entry) => [entry.homeId, entry.relatedPartyExcess, entry.outcome])).toEqual([
      ['ash', '1800.00', 'information_only'],
      ['birch', '0.00', 'information_only'],
    ]);
  });

  it('under the home scope, each home is tested on its own adjusted figures', () => {
    // Ash: adjusted surplus 21,800.00, adjusted cost 88,200.00, allowed 4,410.00, excess 17,390.00.
    // Birch: allowed 4,250.00, overspent by 5,000.00, nothing owed. The provider: 8,660.00 allowed,
    // 17,390.00 excess (all Wirral's), 5,000.00 shortfall, related-party excess 1,800.00.
    const result = settle(input({ homes, capScope: 'home' }));
    expect(result.homes.map(capFigures)).toEqual([
      {
        allowedSurplus: '4410.00',
        excess: '17390.00',
        shortfall: '0.00',
        outcome: 'excess_rebated',
        rebates: [{ councilCode: WIRRAL, charged: '110000.00', share: '1.000000', rebate: '17390.00' }],
      },
      { allowedSurplus: '4250.00', excess: '0.00', shortfall: '5000.00', outcome: 'overspent', rebates: [] },
    ]);
    expect(result).toMatchObject({
      relatedPartyExcess: '1800.00',
      adjustedSurplus: '16800.00',
      allowedSurplus: '8660.00',
      excess: '17390.00',
      shortfall: '5000.00',
      outcome: 'excess_rebated',
      rebates: [
        { councilCode: LIVERPOOL, charged: '80000.00', share: '0.000000', rebate: '0.00' },
        { councilCode: WIRRAL, charged: '110000.00', share: '1.000000', rebate: '17390.00' },
      ],
    });
    // one home settled alone says what the provider's settlement says of it
    const alone = settle(input({ homes: [homes[0]!], capScope: 'home', scope: { kind: 'home', id: 'ash' } }));
    expect(alone.homes[0]).toEqual(result.homes[0]);
  });
});

describe('the books: allowances from the schedules of each home, then the settlement', () => {
  it('settles a year with a schedule change mid-year from the charges, the actuals and the allowances', () => {
    const dearer = model((raw) => {
      raw.property[0]!.marketAmount = '2500';
    });
    const { settlement } = settleBooks(
      {
        organisation: { id: 'org-1', capRate: '0.05', capScope: 'organisation' },
        period: YEAR,
        homes: [
          {
            id: 'ash',
            openedOn: '2020-01-01',
            closedOn: null,
            schedules: [schedule('s1', 1, '2026-04-01', model()), schedule('s2', 2, '2026-10-01', dearer)],
          },
        ],
        placements: [],
        actualCosts: [{ homeId: 'ash', code: 'PROPERTY_LEASE', amount: '30000.00' }],
        relatedPartyPaid: [{ homeId: 'ash', partyId: 'jpl', code: 'PROPERTY_LEASE', amount: '30000.00' }],
        relatedParties: [
          { id: 'jpl', name: 'Harbour Properties (register)', relationship: 'common_control' },
        ],
        monthsImported: EVERY_MONTH.map((month) => ({ homeId: 'ash', month })),
      },
      { asOf: '2027-06-01' },
    );
    // 30,000.00 − 29,097.53 = 902.47; the schedules' other parties are listed, paid nothing
    expect(settlement.relatedParties).toEqual([
      {
        partyId: 'edu',
        name: 'Harbour Learning CIC',
        code: 'RUNNING_EDUCATION',
        paid: '0.00',
        allowance: '10324.29',
        excess: '0.00',
      },
      {
        partyId: 'grp',
        name: 'Harbour Group Holdings',
        code: 'CENTRAL_OVERHEAD',
        paid: '0.00',
        allowance: '4500.00',
        excess: '0.00',
      },
      {
        partyId: 'jpl',
        name: 'Harbour Properties (register)',
        code: 'PROPERTY_LEASE',
        paid: '30000.00',
        allowance: '29097.53',
        excess: '902.47',
      },
    ]);
    // no income: surplus −30,000.00, adjusted −29,097.53; adjusted cost 29,097.53 allows 1,454.88
    expect(settlement).toMatchObject({
      relatedPartyExcess: '902.47',
      adjustedSurplus: '-29097.53',
      adjustedCost: '29097.53',
      allowedSurplus: '1454.88',
      excess: '0.00',
      outcome: 'overspent',
    });
  });
});

// ── properties ──────────────────────────────────────────────────────────────────────────────────

const pennies = (money: string | null) => (money === null ? 0n : BigInt(money.replace('.', '')));
const moneyArb = (min: bigint, max: bigint) => fc.bigInt({ min, max }).map(formatPennies);
const COUNCILS = ['E06000006', 'E08000012', 'E08000014', 'E08000015'];
const PARTIES = ['jpl', 'grp', 'edu'];
const CODES = ['PROPERTY_LEASE', 'RUNNING_EDUCATION', 'CENTRAL_OVERHEAD'];

const relatedArb = fc.array(
  fc.record({
    partyId: fc.constantFrom(...PARTIES),
    code: fc.constantFrom(...CODES),
    amount: moneyArb(0n, 4_000_000n),
  }),
  { maxLength: 4 },
);

const homeArb = (id: string) =>
  fc.record({
    id: fc.constant(id),
    openedOn: fc.constant('2020-01-01'),
    closedOn: fc.constant(null),
    income: fc.array(
      fc.record({ councilCode: fc.constantFrom(...COUNCILS), amount: moneyArb(0n, 12_000_000n) }),
      { minLength: 1, maxLength: 4 },
    ),
    monthsImported: fc.constant(EVERY_MONTH),
    actualCosts: fc.array(
      fc.record({
        code: fc.constantFrom('STAFF_PAY', 'RUNNING_OTHER'),
        amount: fc.oneof(
          { weight: 6, arbitrary: moneyArb(0n, 8_000_000n) },
          { weight: 1, arbitrary: moneyArb(-100_000n, 0n) },
        ),
      }),
      { maxLength: 4 },
    ),
    paid: relatedArb,
    allowances: relatedArb,
  });

/** A home whose related-party payments are part of its actual costs, as the books give them. */
function asInput(h: HomeDraft): SettlementHomeInput {
  return {
    id: h.id,
    openedOn: h.openedOn,
    closedOn: h.closedOn,
    income: h.income,
    monthsImported: h.monthsImported,
    actualCosts: [...h.actualCosts, ...h.paid.map(({ code, amount }) => ({ code, amount }))],
    relatedPartyPaid: h.paid,
    relatedPartyAllowances: h.allowances,
  };
}

interface HomeDraft {
  id: string;
  openedOn: string;
  closedOn: null;
  income: Array<{ councilCode: string; amount: string }>;
  monthsImported: string[];
  actualCosts: Array<{ code: string; amount: string }>;
  paid: Array<{ partyId: string; code: string; amount: string }>;
  allowances: Array<{ partyId: string; code: string; amount: string }>;
}

const providerArb = fc.record({
  capScope: fc.constantFrom('organisation' as const, 'home' as const),
  capRate: fc.constantFrom('0', '0.03', '0.05', '0.1', '0.333333'),
  homes: fc
    .array(homeArb('h'), { minLength: 1, maxLength: 3 })
    .map((homes) => homes.map((entry, index) => ({ ...entry, id: `home-${index}` }) as HomeDraft)),
});

const settleDrafts = (provider: { capScope: 'organisation' | 'home'; capRate: string; homes: HomeDraft[] }) =>
  settle(
    input({ capScope: provider.capScope, capRate: provider.capRate, homes: provider.homes.map(asInput) }),
  );

describe('related-party excess properties', () => {
  it('never states a negative excess: per line, per home, per provider, nor over the cap', () => {
    fc.assert(
      fc.property(providerArb, (provider) => {
        const result = settleDrafts(provider);
        for (const figures of [result, ...result.homes]) {
          expect(pennies(figures.relatedPartyExcess)).toBeGreaterThanOrEqual(0n);
          for (const line of figures.relatedParties) expect(pennies(line.excess)).toBeGreaterThanOrEqual(0n);
          if (figures.excess !== null) expect(pennies(figures.excess)).toBeGreaterThanOrEqual(0n);
          // adjusted = realised ± the related-party excess, to the penny
          expect(pennies(figures.adjustedSurplus)).toBe(
            pennies(figures.realisedSurplus) + pennies(figures.relatedPartyExcess),
          );
          expect(pennies(figures.adjustedCost)).toBe(
            pennies(figures.actualCost) - pennies(figures.relatedPartyExcess),
          );
        }
        // the provider's excess is its homes' added up: one home's saving offsets nothing
        expect(pennies(result.relatedPartyExcess)).toBe(
          result.homes.reduce((sum, entry) => sum + pennies(entry.relatedPartyExcess), 0n),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('a row naming no party changes nothing: the same spending unnamed settles as it did before rule 4', () => {
    fc.assert(
      fc.property(providerArb, (provider) => {
        // the allowances of the schedules stay; only the rows lose their party
        const unnamed = provider.homes.map((entry) => ({
          ...asInput(entry),
          relatedPartyPaid: [],
        }));
        const before = provider.homes.map((entry) => {
          const { relatedPartyPaid: _paid, relatedPartyAllowances: _allowed, ...plain } = asInput(entry);
          return plain;
        });
        const settings = { capScope: provider.capScope, capRate: provider.capRate };
        const now = settle(input({ ...settings, homes: unnamed }));
        const then = settle(input({ ...settings, homes: before }));
        expect(capFigures(now)).toEqual(capFigures(then));
        expect(now.homes.map(capFigures)).toEqual(then.homes.map(capFigures));
        for (const figures of [now, ...now.homes]) {
          expect(figures.relatedPartyExcess).toBe('0.00');
          expect(figures.adjustedSurplus).toBe(figures.realisedSurplus);
          expect(figures.adjustedCost).toBe(figures.actualCost);
        }
        expect(then.relatedParties).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('raising a related payment above its allowance, the fee paying for it, raises the excess over the cap by as much where the cap binds', () => {
    fc.assert(
      fc.property(
        providerArb,
        moneyArb(0n, 2_000_000n),
        moneyArb(1n, 3_000_000n),
        moneyArb(1n, 1_000_000n),
        (provider, allowance, above, raise) => {
          // home 0 pays jpl its allowance plus `above` under PROPERTY_LEASE: over the allowance already
          const [first, ...rest] = provider.homes;
          const lease = formatPennies(pennies(allowance) + pennies(above));
          const base: HomeDraft = {
            ...first!,
            paid: [{ partyId: 'jpl', code: 'PROPERTY_LEASE', amount: lease }],
            allowances: [{ partyId: 'jpl', code: 'PROPERTY_LEASE', amount: allowance }],
          };
          // Δ more paid to jpl, and Δ more charged to a council: the realised surplus is unchanged
          const raised: HomeDraft = {
            ...base,
            income: [...base.income, { councilCode: WIRRAL, amount: raise }],
            paid: [
              {
                partyId: 'jpl',
                code: 'PROPERTY_LEASE',
                amount: formatPennies(pennies(lease) + pennies(raise)),
              },
            ],
          };
          const before = settleDrafts({ ...provider, homes: [base, ...rest] });
          const after = settleDrafts({ ...provider, homes: [raised, ...rest] });
          expect(after.realisedSurplus).toBe(before.realisedSurplus);
          expect(pennies(after.relatedPartyExcess) - pennies(before.relatedPartyExcess)).toBe(pennies(raise));
          const binds = (figures: Settlement | Settlement['homes'][number]) =>
            figures.excess !== null && pennies(figures.excess) > 0n;
          if (provider.capScope === 'organisation' && binds(before))
            expect(pennies(after.excess) - pennies(before.excess)).toBe(pennies(raise));
          if (binds(before.homes[0]!))
            expect(pennies(after.homes[0]!.excess) - pennies(before.homes[0]!.excess)).toBe(pennies(raise));
          // and the rebates still add up to the excess
          expect(after.rebates.reduce((sum, line) => sum + pennies(line.rebate), 0n)).toBe(
            after.rebates.length === 0 ? 0n : pennies(after.excess),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('paying a related party more above its allowance out of the surplus hides nothing: the excess over the cap stays', () => {
    fc.assert(
      fc.property(
        providerArb,
        moneyArb(0n, 2_000_000n),
        moneyArb(1n, 1_000_000n),
        (provider, allowance, raise) => {
          const [first, ...rest] = provider.homes;
          const lease = formatPennies(pennies(allowance) + 1n);
          const base: HomeDraft = {
            ...first!,
            paid: [{ partyId: 'jpl', code: 'PROPERTY_LEASE', amount: lease }],
            allowances: [{ partyId: 'jpl', code: 'PROPERTY_LEASE', amount: allowance }],
          };
          const raised: HomeDraft = {
            ...base,
            paid: [
              {
                partyId: 'jpl',
                code: 'PROPERTY_LEASE',
                amount: formatPennies(pennies(lease) + pennies(raise)),
              },
            ],
          };
          const before = settleDrafts({ ...provider, homes: [base, ...rest] });
          const after = settleDrafts({ ...provider, homes: [raised, ...rest] });
          expect(pennies(after.realisedSurplus)).toBe(pennies(before.realisedSurplus) - pennies(raise));
          expect(capFigures(after).excess).toBe(capFigures(before).excess);
          expect(after.allowedSurplus).toBe(before.allowedSurplus);
          expect(after.rebates).toEqual(before.rebates);
        },
      ),
      { numRuns: 300 },
    );
  });
});
