import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dec } from '../../../src/domain/money.js';
import { type CostModel, costModelSchema } from '../../../src/domain/pricing/index.js';
import {
  ANNUAL_RETURN_SCHEMA,
  buildOrganisationReturn,
  type ReturnInput,
  type ReturnSchedule,
  sumFigures,
} from '../../../src/domain/returns/index.js';
import { annualReturnSchema } from '../../../src/domain/returns/schema.js';
import { monthsBetween, SETTLEMENT_RULE } from '../../../src/domain/settlement/index.js';

const wirral = JSON.parse(
  readFileSync(
    new URL('../../../fixtures/examples/wirral-four-bed-2026-27.model.json', import.meta.url),
    'utf8',
  ),
) as CostModel;
const period = { start: '2026-04-01', end: '2027-03-31' };
const names = { E08000015: 'Wirral', E08000014: 'Sefton', E08000012: 'Liverpool' };
const HOME_A = '00000000-0000-4000-8000-00000000000a';
const HOME_B = '00000000-0000-4000-8000-00000000000b';
const ORG = '00000000-0000-4000-8000-000000000001';
const YEAR_MONTHS = monthsBetween(period.start, period.end);
/** Every month of the year imported for these homes (their books complete). */
const allMonths = (...homeIds: string[]) =>
  homeIds.flatMap((homeId) => YEAR_MONTHS.map((month) => ({ homeId, month })));

function schedule(
  homeId: string,
  version: number,
  effectiveFrom: string,
  fee: string,
  model = wirral,
): ReturnSchedule {
  return {
    id: `00000000-0000-4000-8000-${homeId.slice(-1)}0000000000${version}`,
    homeId,
    version,
    periodLabel: '2026-27',
    effectiveFrom,
    publishedAt: `2026-0${version}-01T00:00:00Z`,
    weeklyFeePerChild: fee,
    surplusRate: '0.04',
    hash: null,
    model,
  };
}

function input(overrides: Partial<ReturnInput> = {}): ReturnInput {
  return {
    financialYear: '2026-27',
    period,
    organisation: {
      id: ORG,
      name: 'Open Book CIC',
      legalForm: 'CIC',
      companiesHouseNumber: '12345678',
      capRate: '0.05',
      capScope: 'organisation',
    },
    councilNames: names,
    asOf: '2027-06-01',
    homes: [
      {
        id: HOME_A,
        name: 'Ash House',
        ofstedUrn: 'SC000001',
        hostCouncil: 'E08000015',
        registeredPlaces: 2,
        openedOn: '2020-01-01',
        closedOn: null,
        schedules: [schedule(HOME_A, 1, '2026-04-01', '700.00')],
      },
    ],
    placements: [
      {
        id: 'p1',
        homeId: HOME_A,
        councilCode: 'E08000015',
        reference: 'WIR-1',
        start: '2026-04-01',
        end: null,
        enhancements: [],
      },
    ],
    actualCosts: [
      { homeId: HOME_A, code: 'STAFF_PAY', amount: '20000.00' },
      { homeId: HOME_A, code: 'PROPERTY_LEASE', amount: '10000.00' },
    ],
    monthsImported: allMonths(HOME_A, HOME_B),
    ...overrides,
  };
}

/** A one-organisation return document around an organisation's return. */
function documentOf(organisation: ReturnType<typeof buildOrganisationReturn>) {
  return {
    schema: ANNUAL_RETURN_SCHEMA,
    financialYear: '2026-27',
    period,
    generatedAt: '2026-11-25T12:00:00.000Z',
    organisations: [organisation],
    rule: SETTLEMENT_RULE,
    totals: { organisations: 1, ...sumFigures([organisation.totals], {}) },
  };
}

describe('the annual return of one organisation', () => {
  it('works out a home by hand: income, surplus over the cap, the rebate, occupancy and staff', () => {
    const result = buildOrganisationReturn(input());
    const [home] = result.homes;
    // £700 a week is £100 a day; the placement runs all 365 days of the year
    expect(home!.income).toEqual({
      total: '36500.00',
      byCouncil: [{ councilCode: 'E08000015', councilName: 'Wirral', amount: '36500.00' }],
    });
    expect(home!.actualCosts.total).toBe('30000.00');
    expect(home!.actualCosts.byCode.map((line) => [line.category, line.code])).toEqual([
      ['staffing', 'STAFF_PAY'],
      ['property', 'PROPERTY_LEASE'],
    ]);
    // surplus 6,500; the cap is tested on the organisation (its only home): allowed 5% of 30,000 =
    // 1,500; excess 5,000 back to Wirral. The home's own figures are for information.
    expect(home!.surplus).toEqual({
      realised: '6500.00',
      rateOnCost: '0.216667',
      shareOfIncome: '0.178082',
      allowed: null,
      excess: null,
      shortfall: null,
    });
    expect([home!.outcome, home!.capTested, home!.missingMonths]).toEqual(['information_only', false, []]);
    expect(result.totals.surplus).toMatchObject({ allowed: '1500.00', excess: '5000.00', shortfall: '0.00' });
    expect([result.status, result.outcome, result.capScope]).toEqual([
      'final',
      'excess_rebated',
      'organisation',
    ]);
    expect(result.totals.rebates).toEqual({
      total: '5000.00',
      byCouncil: [
        {
          councilCode: 'E08000015',
          councilName: 'Wirral',
          charged: '36500.00',
          share: '1.000000',
          rebate: '5000.00',
        },
      ],
    });
    // 2 places × 365 days, one child all year
    expect(home!.occupancy).toEqual({
      placeDays: 730,
      occupiedDays: 365,
      achieved: '0.500000',
      planned: '0.900000',
    });
    // wirral: management 1 + 1, care 3 + 10, support 1 × 0.6
    expect(home!.staffing.groups).toEqual([
      { group: 'management', headcount: 2, fte: '2' },
      { group: 'care', headcount: 13, fte: '13' },
      { group: 'support', headcount: 1, fte: '0.6' },
    ]);
    expect(home!.staffing).toMatchObject({ headcount: 16, fte: '15.6' });
    expect(home!.agencyShareOfCover).toBe('0.1');
    expect(result.capRate).toBe('0.050000');
  });

  it('lists every fee version in force with its dates, and weights planned occupancy by its days', () => {
    const lower = { ...wirral, home: { ...wirral.home, plannedOccupancy: '0.5' } };
    const result = buildOrganisationReturn(
      input({
        homes: [
          {
            ...input().homes[0]!,
            schedules: [
              schedule(HOME_A, 1, '2026-04-01', '700.00'),
              schedule(HOME_A, 2, '2026-10-01', '770.00', lower),
            ],
          },
        ],
      }),
    );
    const [home] = result.homes;
    expect(home!.fees.map((fee) => [fee.version, fee.inForceFrom, fee.inForceTo, fee.daysInForce])).toEqual([
      [1, '2026-04-01', '2026-09-30', 183],
      [2, '2026-10-01', '2027-03-31', 182],
    ]);
    // (183 × 0.9 + 182 × 0.5) ÷ 365 = 0.700548
    expect(home!.occupancy.planned).toBe('0.700548');
    // 183 days at £100 + 182 days at £110
    expect(home!.income.total).toBe('38320.00');
    expect(home!.staffingFrom).toBe(home!.fees[1]!.feeScheduleId);
  });

  it('counts only the days a home was open, and a home with no data is all zeros', () => {
    const result = buildOrganisationReturn(
      input({
        homes: [
          { ...input().homes[0]!, openedOn: '2026-10-01' },
          {
            id: HOME_B,
            name: 'Beech House',
            ofstedUrn: null,
            hostCouncil: 'E08000014',
            registeredPlaces: 3,
            openedOn: '2019-01-01',
            closedOn: '2026-06-30',
            schedules: [],
          },
        ],
      }),
    );
    expect(result.homes[0]!.occupancy.placeDays).toBe(2 * 182);
    const empty = result.homes[1]!;
    expect(empty.occupancy).toEqual({
      placeDays: 3 * 91,
      occupiedDays: 0,
      achieved: '0.000000',
      planned: null,
    });
    expect([empty.income.total, empty.actualCosts.total, empty.rebates.total, empty.outcome]).toEqual([
      '0.00',
      '0.00',
      null,
      'information_only',
    ]);
    expect(empty.fees).toEqual([]);
    expect(empty.staffing.headcount).toBe(0);
  });

  it('reports a home whose recorded costs total below zero as not assessed, and the return stays valid', () => {
    // credit notes imported without the costs they offset: £1,000 of refunds against £400 of spending
    const organisation = buildOrganisationReturn(
      input({
        actualCosts: [
          { homeId: HOME_A, code: 'STAFF_PAY', amount: '400.00' },
          { homeId: HOME_A, code: 'PROPERTY_LEASE', amount: '-1000.00' },
        ],
      }),
    );
    const [home] = organisation.homes;
    expect(organisation.outcome).toBe('not_assessed');
    expect(home!.actualCosts.total).toBe('-600.00');
    expect(home!.actualCosts.byCategory.find((line) => line.category === 'property')!.amount).toBe(
      '-1000.00',
    );
    // income 36,500 − cost (−600) = 37,100; no cost base, so no cap, no rebate and no rate on cost
    expect(home!.surplus).toEqual({
      realised: '37100.00',
      rateOnCost: null,
      shareOfIncome: '1.016438',
      allowed: null,
      excess: null,
      shortfall: null,
    });
    expect(organisation.totals.rebates).toEqual({ total: null, byCouncil: [] });
    expect(organisation.totals.surplus).toMatchObject({
      realised: '37100.00',
      rateOnCost: null,
      excess: null,
    });
    expect(annualReturnSchema.safeParse(documentOf(organisation)).error).toBeUndefined();
  });

  it('tests the cap on each home under the home scope, and adds the homes up for the provider', () => {
    // Ash as above (surplus 6,500, excess 5,000); Beech overspends: £350 a week, £18,250 a year,
    // against costs of £20,000 (shortfall 1,750). Pooled there would be 4,750 − 5% of 50,000 = 2,250.
    const beech = {
      ...input().homes[0]!,
      id: HOME_B,
      name: 'Beech House',
      schedules: [schedule(HOME_B, 1, '2026-04-01', '350.00')],
    };
    const base = input({
      homes: [input().homes[0]!, beech],
      placements: [
        ...input().placements,
        {
          id: 'p2',
          homeId: HOME_B,
          councilCode: 'E08000014',
          reference: 'SEF-1',
          start: '2026-04-01',
          end: null,
          enhancements: [],
        },
      ],
      actualCosts: [...input().actualCosts, { homeId: HOME_B, code: 'STAFF_PAY', amount: '20000.00' }],
    });
    const pooled = buildOrganisationReturn(base);
    expect(pooled.totals.surplus).toMatchObject({
      realised: '4750.00',
      allowed: '2500.00',
      excess: '2250.00',
    });
    expect(pooled.totals.rebates.byCouncil.map((line) => [line.councilCode, line.rebate])).toEqual([
      ['E08000014', '750.00'], // 2,250 × 18,250 / 54,750
      ['E08000015', '1500.00'],
    ]);
    const byHome = buildOrganisationReturn({
      ...base,
      organisation: { ...base.organisation, capScope: 'home' },
    });
    expect(
      byHome.homes.map((home) => [home.capTested, home.outcome, home.surplus.excess, home.rebates.total]),
    ).toEqual([
      [true, 'excess_rebated', '5000.00', '5000.00'],
      [true, 'overspent', '0.00', '0.00'],
    ]);
    expect(byHome.totals.surplus).toMatchObject({
      allowed: '2500.00',
      excess: '5000.00',
      shortfall: '1750.00',
    });
    expect(byHome.totals.rebates.byCouncil.map((line) => [line.councilCode, line.rebate])).toEqual([
      ['E08000014', '0.00'],
      ['E08000015', '5000.00'],
    ]);
    expect(annualReturnSchema.safeParse(documentOf(byHome)).error).toBeUndefined();
  });

  it('shows a home with missing months as incomplete, owes nothing yet, and leaves no home out of the totals', () => {
    const result = buildOrganisationReturn(
      input({ monthsImported: allMonths(HOME_A).filter((entry) => entry.month !== '2026-09') }),
    );
    expect([result.status, result.outcome, result.missingMonths]).toEqual([
      'incomplete',
      'incomplete',
      [{ homeId: HOME_A, month: '2026-09' }],
    ]);
    expect(result.homes[0]).toMatchObject({ outcome: 'incomplete', missingMonths: ['2026-09'] });
    expect(result.totals.surplus).toMatchObject({ realised: '6500.00', excess: null });
    expect(result.totals.rebates).toEqual({ total: null, byCouncil: [] });
    expect(result.totals.income.total).toBe('36500.00');
    expect(annualReturnSchema.safeParse(documentOf(result)).error).toBeUndefined();
  });

  it('is provisional until the year has ended', () => {
    expect(buildOrganisationReturn(input({ asOf: '2027-03-31' })).status).toBe('provisional');
    expect(buildOrganisationReturn(input({ asOf: '2027-04-01' })).status).toBe('final');
  });

  it('counts the days charged at a fee held over from an earlier period', () => {
    const lastYear = { ...wirral, period: { label: '2025-26', start: '2025-04-01', end: '2026-03-31' } };
    const result = buildOrganisationReturn(
      input({
        homes: [
          {
            ...input().homes[0]!,
            schedules: [{ ...schedule(HOME_A, 1, '2025-04-01', '700.00', lastYear), periodLabel: '2025-26' }],
          },
        ],
      }),
    );
    expect(result.homes[0]!.heldOverDays).toBe(365);
    expect(result.totals.heldOverDays).toBe(365);
    expect(buildOrganisationReturn(input()).homes[0]!.heldOverDays).toBe(0);
  });

  it('lists related-party transactions per home and for the provider, the cap on the adjusted figures', () => {
    // the §6 example's lease to jpl has a market £2,350 a month (£28,200.00 a year); Ash paid it
    // £30,000.00 and Beech £27,000.00 (below market: its saving offsets nothing of Ash's excess)
    const related = costModelSchema.parse(
      JSON.parse(
        readFileSync(
          new URL('../../../fixtures/examples/wirral-related-parties-2026-27.model.json', import.meta.url),
          'utf8',
        ),
      ),
    );
    const organisation = buildOrganisationReturn(
      input({
        homes: [
          { ...input().homes[0]!, schedules: [schedule(HOME_A, 1, '2026-04-01', '700.00', related)] },
          {
            ...input().homes[0]!,
            id: HOME_B,
            name: 'Beech House',
            schedules: [schedule(HOME_B, 1, '2026-04-01', '700.00', related)],
          },
        ],
        placements: [
          ...input().placements,
          {
            id: 'p2',
            homeId: HOME_B,
            councilCode: 'E08000014',
            reference: 'SEF-1',
            start: '2026-04-01',
            end: null,
            enhancements: [],
          },
        ],
        actualCosts: [
          { homeId: HOME_A, code: 'STAFF_PAY', amount: '20000.00' },
          { homeId: HOME_A, code: 'PROPERTY_LEASE', amount: '30000.00' },
          { homeId: HOME_B, code: 'PROPERTY_LEASE', amount: '27000.00' },
        ],
        relatedPartyPaid: [
          { homeId: HOME_A, partyId: 'jpl', code: 'PROPERTY_LEASE', amount: '30000.00' },
          { homeId: HOME_B, partyId: 'jpl', code: 'PROPERTY_LEASE', amount: '27000.00' },
        ],
        relatedParties: [{ id: 'jpl', name: 'Harbour Properties Ltd', relationship: 'common_control' }],
      }),
    );
    const jpl = (home: { relatedPartyTransactions: Array<{ partyId: string }> }) =>
      home.relatedPartyTransactions.find((line) => line.partyId === 'jpl');
    expect(jpl(organisation.homes[0]!)).toEqual({
      partyId: 'jpl',
      partyName: 'Harbour Properties Ltd',
      relationship: 'common_control',
      category: 'property',
      code: 'PROPERTY_LEASE',
      paid: '30000.00',
      allowance: '28200.00',
      excess: '1800.00',
    });
    expect(jpl(organisation.homes[1]!)).toMatchObject({ paid: '27000.00', excess: '0.00' });
    expect(jpl(organisation)).toMatchObject({ paid: '57000.00', allowance: '56400.00', excess: '1800.00' });
    // the model's other parties are listed with the model's names, paid nothing
    expect(
      organisation.homes[0]!.relatedPartyTransactions.map((line) => [line.partyId, line.partyName]),
    ).toEqual([
      ['edu', 'Harbour Learning CIC'],
      ['grp', 'Harbour Group Holdings'],
      ['jpl', 'Harbour Properties Ltd'],
    ]);
    // income 2 × 36,500.00 = 73,000.00; cost 77,000.00; surplus −4,000.00; excess 1,800.00:
    // adjusted surplus −2,200.00, adjusted cost 75,200.00, allowed 3,760.00, nothing over the cap
    expect(organisation.totals.relatedParties).toEqual({
      excess: '1800.00',
      adjustedCost: '75200.00',
      adjustedSurplus: '-2200.00',
    });
    expect(organisation.totals.surplus).toMatchObject({
      realised: '-4000.00',
      allowed: '3760.00',
      excess: '0.00',
    });
    expect(organisation.homes[1]!.relatedParties).toEqual({
      excess: '0.00',
      adjustedCost: '27000.00',
      adjustedSurplus: '9500.00',
    });
    expect(annualReturnSchema.safeParse(documentOf(organisation)).error).toBeUndefined();
    // the all-providers totals add the organisations' up
    expect(sumFigures([organisation.totals, organisation.totals], {}).relatedParties).toEqual({
      excess: '3600.00',
      adjustedCost: '150400.00',
      adjustedSurplus: '-4400.00',
    });
  });

  it('validates against its own schema', () => {
    const organisation = buildOrganisationReturn(input());
    expect(annualReturnSchema.safeParse(documentOf(organisation)).error).toBeUndefined();
  });

  const sum = (values: string[]) => values.reduce((total, value) => total.plus(value), new Dec(0)).toFixed(2);

  it('always gives organisation totals equal to the sums of the homes, to the penny (property)', () => {
    const councils = Object.keys(names);
    const codes = [
      'STAFF_PAY',
      'STAFF_EMPLOYER_NI',
      'PROPERTY_LEASE',
      'RUNNING_FOOD_HOUSEHOLD',
      'CENTRAL_OVERHEAD',
    ];
    const day = fc
      .integer({ min: 0, max: 364 })
      .map((offset) => new Date(Date.UTC(2026, 3, 1 + offset)).toISOString().slice(0, 10));
    const pennies = fc.integer({ min: 0, max: 5_000_000 }).map((p) => (p / 100).toFixed(2));
    const home = fc.record({
      places: fc.integer({ min: 1, max: 6 }),
      fee: fc.integer({ min: 100_000, max: 900_000 }).map((p) => (p / 100).toFixed(2)),
      placements: fc.array(
        fc.record({
          council: fc.constantFrom(...councils),
          start: day,
          days: fc.integer({ min: 1, max: 400 }),
        }),
        { maxLength: 5 },
      ),
      costs: fc.array(fc.record({ code: fc.constantFrom(...codes), amount: pennies }), { maxLength: 8 }),
    });
    fc.assert(
      fc.property(
        fc.array(home, { minLength: 1, maxLength: 4 }),
        fc.constantFrom('0', '0.05', '0.1'),
        (homes, capRate) => {
          const ids = homes.map((_, i) => `00000000-0000-4000-8000-0000000001${String(i).padStart(2, '0')}`);
          const result = buildOrganisationReturn(
            input({
              organisation: { ...input().organisation, capRate },
              homes: homes.map((h, i) => ({
                ...input().homes[0]!,
                id: ids[i]!,
                name: `Home ${i}`,
                registeredPlaces: h.places,
                schedules: [schedule(ids[i]!, 1, '2026-04-01', h.fee)],
              })),
              placements: homes.flatMap((h, i) =>
                h.placements.map((p, k) => {
                  const end = new Date(Date.parse(p.start) + (p.days - 1) * 86_400_000)
                    .toISOString()
                    .slice(0, 10);
                  return {
                    id: `p${i}-${k}`,
                    homeId: ids[i]!,
                    councilCode: p.council,
                    reference: `R${i}-${k}`,
                    start: p.start,
                    end,
                    enhancements: [],
                  };
                }),
              ),
              actualCosts: homes.flatMap((h, i) => h.costs.map((c) => ({ homeId: ids[i]!, ...c }))),
            }),
          );
          const { totals } = result;
          expect(totals.income.total).toBe(sum(result.homes.map((h) => h.income.total)));
          expect(totals.actualCosts.total).toBe(sum(result.homes.map((h) => h.actualCosts.total)));
          expect(sum(totals.actualCosts.byCode.map((l) => l.amount))).toBe(totals.actualCosts.total);
          expect(sum(totals.income.byCouncil.map((l) => l.amount))).toBe(totals.income.total);
          expect(totals.surplus.realised).toBe(
            new Dec(totals.income.total).minus(totals.actualCosts.total).toFixed(2),
          );
          // the cap on the whole provider: never an excess above its realised surplus
          expect(new Dec(totals.surplus.excess ?? 0).lte(Dec.max(0, totals.surplus.realised))).toBe(true);
          if (totals.rebates.byCouncil.length > 0)
            expect(sum(totals.rebates.byCouncil.map((l) => l.rebate))).toBe(totals.rebates.total);
          for (const h of result.homes) expect(h.rebates.total).toBeNull();
        },
      ),
      { numRuns: 150 },
    );
  });
});
