import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dec } from '../../../src/domain/money.js';
import type { CostModel } from '../../../src/domain/pricing/index.js';
import {
  buildOrganisationReturn,
  type ReturnInput,
  type ReturnSchedule,
  sumFigures,
} from '../../../src/domain/returns/index.js';
import { annualReturnSchema } from '../../../src/domain/returns/schema.js';

const wirral = JSON.parse(
  readFileSync(
    new URL('../../../../shared/spec/examples/wirral-four-bed-2026-27.model.json', import.meta.url),
    'utf8',
  ),
) as CostModel;
const period = { start: '2026-04-01', end: '2027-03-31' };
const names = { E08000015: 'Wirral', E08000014: 'Sefton', E08000012: 'Liverpool' };
const HOME_A = '00000000-0000-4000-8000-00000000000a';
const HOME_B = '00000000-0000-4000-8000-00000000000b';
const ORG = '00000000-0000-4000-8000-000000000001';

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
    },
    councilNames: names,
    homes: [
      {
        id: HOME_A,
        name: 'Ash House',
        ofstedUrn: 'SC000001',
        hostCouncil: { code: 'E08000015', name: 'Wirral' },
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
    ...overrides,
  };
}

/** A one-organisation return document around an organisation's return. */
function documentOf(organisation: ReturnType<typeof buildOrganisationReturn>) {
  return {
    schema: 'urn:cost-plus-care:annual-return:1',
    financialYear: '2026-27',
    period,
    generatedAt: '2026-11-25T12:00:00.000Z',
    organisations: [organisation],
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
    // surplus 6,500; allowed 5% of 30,000 = 1,500; excess 5,000 back to Wirral
    expect(home!.surplus).toEqual({
      realised: '6500.00',
      rateOnCost: '0.216667',
      shareOfIncome: '0.178082',
      allowed: '1500.00',
      excess: '5000.00',
      shortfall: '0.00',
    });
    expect(home!.outcome).toBe('excess_rebated');
    expect(home!.rebates.byCouncil).toEqual([
      { councilCode: 'E08000015', councilName: 'Wirral', amount: '5000.00' },
    ]);
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
            hostCouncil: { code: 'E08000014', name: 'Sefton' },
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
      '0.00',
      'within_cap',
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
    expect(home!.outcome).toBe('not_assessed');
    expect(home!.actualCosts.total).toBe('-600.00');
    expect(home!.actualCosts.byCategory.find((line) => line.category === 'property')!.amount).toBe(
      '-1000.00',
    );
    // income 36,500 − cost (−600) = 37,100; no cost base, so no cap, no rebate and no rate on cost
    expect(home!.surplus).toEqual({
      realised: '37100.00',
      rateOnCost: null,
      shareOfIncome: '1.016438',
      allowed: '0.00',
      excess: '0.00',
      shortfall: '0.00',
    });
    expect(home!.rebates).toEqual({ total: '0.00', byCouncil: [] });
    expect(organisation.totals.surplus).toMatchObject({ realised: '37100.00', rateOnCost: null });
    expect(annualReturnSchema.safeParse(documentOf(organisation)).error).toBeUndefined();
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
          expect(totals.rebates.total).toBe(sum(result.homes.map((h) => h.rebates.total)));
          expect(sum(totals.rebates.byCouncil.map((l) => l.amount))).toBe(totals.rebates.total);
          expect(totals.surplus.realised).toBe(
            new Dec(totals.income.total).minus(totals.actualCosts.total).toFixed(2),
          );
          for (const h of result.homes) {
            expect(sum(h.rebates.byCouncil.map((l) => l.amount))).toBe(h.rebates.total);
            expect(new Dec(h.surplus.excess).lte(Dec.max(0, h.surplus.realised))).toBe(true);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
