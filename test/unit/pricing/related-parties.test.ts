import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainValidationError } from '../../../src/domain/errors.js';
import { type CostModel, costModelSchema, priceCostModel } from '../../../src/domain/pricing/index.js';
import { handWorkedModel, salariedLine } from '../../helpers/models.js';

// Method v2 §6 by hand: a small home whose figures can be checked with a pencil, then properties.
//
// The home: 365 days (W = 365/7), 2 places fully occupied (P = 2); one manager at £36,500 and no
// employer costs; a lease of £1,000 a month (£12,000 a year); a central pool of £10,000 shared
// 1 of 2 units (£5,000). Cost C = £53,500 a year; surplus 5%: S = £2,675 a year.

type Json = Record<string, unknown>;

function smallHome(overrides: Json = {}): Json {
  return handWorkedModel({
    home: { registeredPlaces: 2, plannedOccupancy: '1', fteHoursPerWeek: '40' },
    staffing: [salariedLine('36500', { id: 'rm', role: 'Registered Manager', group: 'management' })],
    property: [{ code: 'PROPERTY_LEASE', description: 'Lease', amount: '1000', frequency: 'monthly' }],
    central: { poolAnnual: '10000', basis: 'places', homeUnits: '1', totalUnits: '2' },
    surplus: { rate: '0.05', capRate: '0.2' },
    ...overrides,
  });
}

const landlord = {
  id: 'land',
  name: 'Quay Estates Ltd',
  companiesHouseNumber: '01234567',
  relationship: 'common_control',
};
const parent = { id: 'group', name: 'Quay Group', companiesHouseNumber: 'SC123456', relationship: 'parent' };
const tutor = { id: 'tutor', name: 'Quay Learning CIC', relationship: 'director_or_trustee' };

function relatedLease(marketAmount: string): Json {
  return {
    property: [
      {
        code: 'PROPERTY_LEASE',
        description: 'Lease',
        amount: '1000',
        frequency: 'monthly',
        relatedPartyId: 'land',
        marketAmount,
        marketEvidence: 'RICS valuation',
      },
    ],
    relatedParties: [landlord],
  };
}

function price(document: Json) {
  return priceCostModel(costModelSchema.parse(document));
}

function refusal(document: Json): DomainValidationError {
  try {
    price(document);
  } catch (error) {
    if (error instanceof DomainValidationError) return error;
    throw error;
  }
  throw new Error('the model was priced');
}

describe('method §6 by hand', () => {
  it('a lease above market: £2,400 a year excess, X = £2,400 ÷ W ÷ P, (S + X) ÷ (C − X)', () => {
    const breakdown = price(smallHome(relatedLease('800')));
    expect(breakdown.methodVersion).toBe(2);
    expect(breakdown.relatedParties).toEqual([
      {
        ...landlord,
        lines: [
          {
            code: 'PROPERTY_LEASE',
            description: 'Lease',
            annualAmount: '12000.00',
            marketAnnualAmount: '9600.00',
            excessAnnual: '2400.00',
            marketEvidence: 'RICS valuation',
          },
        ],
        excessAnnual: '2400.00',
      },
    ]);
    // X = 2400 × 7 / 365 / 2 = 23.0137… → 23.01; (2675 + 2400) / (53500 − 2400) = 5075 / 51100
    expect(breakdown.relatedPartyExcessWeeklyPerChild).toBe('23.01');
    expect(breakdown.adjustedSurplusRate).toBe('0.099315');
    // the fee is what the provider pays: 53,500 × 1.05 × 7 / 365 / 2 = 538.664…
    expect(breakdown.weeklyFeePerChild).toBe('538.66');
    expect(breakdown.lines.find((line) => line.code === 'PROPERTY_LEASE')?.relatedPartyId).toBe('land');
  });

  it('a lease at market and one below market: no excess, the adjusted rate is the surplus rate', () => {
    for (const market of ['1000', '1200']) {
      const breakdown = price(smallHome(relatedLease(market)));
      expect(breakdown.relatedParties?.[0]?.lines[0]?.excessAnnual).toBe('0.00');
      expect(breakdown.relatedPartyExcessWeeklyPerChild).toBe('0.00');
      expect(breakdown.adjustedSurplusRate).toBe('0.050000');
    }
  });

  it('a per-child service: the weekly amounts × W × P', () => {
    const breakdown = price(
      smallHome({
        running: [
          {
            code: 'RUNNING_EDUCATION',
            description: 'Tutoring',
            amount: '100',
            frequency: 'weekly',
            basis: 'per_child',
            relatedPartyId: 'tutor',
            marketAmount: '80',
            marketEvidence: 'Council tutoring rate',
          },
        ],
        relatedParties: [tutor],
      }),
    );
    // 100 × 365/7 × 2 = 10,428.571…; 80 × 365/7 × 2 = 8,342.857…; excess 2,085.714…
    expect(breakdown.relatedParties?.[0]?.lines[0]).toMatchObject({
      annualAmount: '10428.57',
      marketAnnualAmount: '8342.86',
      excessAnnual: '2085.71',
    });
    // X = 20 a week per child exactly
    expect(breakdown.relatedPartyExcessWeeklyPerChild).toBe('20.00');
    // C = 53,500 + 10,428.571… = 63,928.571…; S = 0.05 C = 3,196.428…;
    // (3,196.428… + 2,085.714…) / (63,928.571… − 2,085.714…) = 5,282.142… / 61,842.857… = 0.0854123…
    expect(breakdown.adjustedSurplusRate).toBe('0.085412');
  });

  it("a management fee in the pool: the home's share of its excess, homeUnits ÷ totalUnits", () => {
    const breakdown = price(
      smallHome({
        central: {
          poolAnnual: '10000',
          basis: 'places',
          homeUnits: '1',
          totalUnits: '2',
          relatedPartyCharges: [
            {
              relatedPartyId: 'group',
              description: 'Group management fee',
              amountAnnual: '4000',
              marketAmountAnnual: '3000',
              marketEvidence: 'Benchmark',
            },
          ],
        },
        relatedParties: [parent],
      }),
    );
    expect(breakdown.relatedParties?.[0]?.lines[0]).toMatchObject({
      code: 'CENTRAL_OVERHEAD',
      description: 'Group management fee',
      annualAmount: '2000.00',
      marketAnnualAmount: '1500.00',
      excessAnnual: '500.00',
    });
    // (2675 + 500) / (53500 − 500) = 3175 / 53000 = 0.0599056…
    expect(breakdown.adjustedSurplusRate).toBe('0.059906');
    // the central line is £5,000, whatever part of it the party is paid
    expect(breakdown.lines.find((line) => line.code === 'CENTRAL_OVERHEAD')).toMatchObject({
      annualAmount: '5000.00',
      relatedPartyId: 'group',
    });
  });

  it('several parties add up, each in input order with its own lines', () => {
    const breakdown = price(
      smallHome({
        ...relatedLease('800'),
        running: [
          {
            code: 'RUNNING_OTHER',
            description: 'Cleaning',
            amount: '1300',
            frequency: 'quarterly',
            relatedPartyId: 'group',
            marketAmount: '1000',
            marketEvidence: 'Two quotes',
          },
        ],
        central: {
          poolAnnual: '10000',
          basis: 'places',
          homeUnits: '1',
          totalUnits: '2',
          relatedPartyCharges: [
            {
              relatedPartyId: 'group',
              description: 'Group management fee',
              amountAnnual: '4000',
              marketAmountAnnual: '3000',
              marketEvidence: 'Benchmark',
            },
          ],
        },
        relatedParties: [landlord, parent],
      }),
    );
    expect(
      breakdown.relatedParties?.map((party) => [
        party.id,
        party.lines.map((l) => l.excessAnnual),
        party.excessAnnual,
      ]),
    ).toEqual([
      ['land', ['2400.00'], '2400.00'],
      ['group', ['1200.00', '500.00'], '1700.00'],
    ]);
    // C = 53,500 + 5,200 = 58,700; S = 2,935; X = 4,100 a year: 4,100 × 7 / 730 = 39.315… → 39.32
    expect(breakdown.relatedPartyExcessWeeklyPerChild).toBe('39.32');
    // (2,935 + 4,100) / (58,700 − 4,100) = 7,035 / 54,600 = 0.128846…
    expect(breakdown.adjustedSurplusRate).toBe('0.128846');
  });

  it('refuses a model whose adjusted rate breaks the cap, naming each party and amount', () => {
    const error = refusal(smallHome({ ...relatedLease('800'), surplus: { rate: '0.05', capRate: '0.08' } }));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]!.pointer).toBe('/surplus/rate');
    expect(error.issues[0]!.message).toBe(
      'the adjusted surplus rate 0.099315, counting £23.01 a week per child paid to related parties above market as surplus, is above the cap (0.08): Quay Estates Ltd (land) PROPERTY_LEASE £12,000.00 a year against a market £9,600.00, excess £2,400.00',
    );
  });

  it('takes a cap met exactly: (S + X) ÷ (C − X) = cap', () => {
    // a lease of £12,000 a year against a market £8,500: (2,675 + 3,500) / (53,500 − 3,500) = 0.1235
    const lease = (capRate: string) =>
      smallHome({
        property: [
          {
            code: 'PROPERTY_LEASE',
            description: 'Lease',
            amount: '12000',
            frequency: 'annual',
            relatedPartyId: 'land',
            marketAmount: '8500',
            marketEvidence: 'RICS valuation',
          },
        ],
        relatedParties: [landlord],
        surplus: { rate: '0.05', capRate },
      });
    expect(price(lease('0.1235')).adjustedSurplusRate).toBe('0.123500');
    expect(refusal(lease('0.123499')).issues.map((issue) => issue.pointer)).toEqual(['/surplus/rate']);
  });

  it('declares no related parties with an empty list: method version 2, X = 0', () => {
    const breakdown = price(smallHome({ relatedParties: [] }));
    expect(breakdown.methodVersion).toBe(2);
    expect(breakdown.relatedParties).toEqual([]);
    expect(breakdown.relatedPartyExcessWeeklyPerChild).toBe('0.00');
    expect(breakdown.adjustedSurplusRate).toBe('0.050000');
  });
});

// ── properties ──────────────────────────────────────────────────────────────────────────────

const pounds = (max: number) => fc.integer({ min: 0, max: max * 100 }).map((p) => (p / 100).toFixed(2));

const scenario = fc.record({
  leaseAmount: pounds(3_000),
  leaseMarket: pounds(3_000),
  frequency: fc.constantFrom('weekly', 'monthly', 'quarterly', 'annual'),
  serviceAmount: pounds(300),
  serviceMarket: pounds(300),
  feeAmount: pounds(5_000),
  feeMarket: pounds(5_000),
  rate: fc.integer({ min: 0, max: 80_000 }).map((m) => (m / 1_000_000).toFixed(6)),
  occupancy: fc.integer({ min: 1, max: 100 }).map((n) => (n / 100).toFixed(2)),
});
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

/** A model paying three parties; the cap is 1 so that nothing is refused unless a test says so. */
function modelOf(s: Scenario, capRate = '1'): CostModel {
  return costModelSchema.parse(
    smallHome({
      home: { registeredPlaces: 3, plannedOccupancy: s.occupancy, fteHoursPerWeek: '40' },
      // ten care workers: enough cost that no excess drawn here takes the adjusted rate above 1
      staffing: [salariedLine('50000', { id: 'rcw', headcount: 10 })],
      property: [
        {
          code: 'PROPERTY_LEASE',
          description: 'Lease',
          amount: s.leaseAmount,
          frequency: s.frequency,
          relatedPartyId: 'land',
          marketAmount: s.leaseMarket,
          marketEvidence: 'Valuation',
        },
      ],
      running: [
        {
          code: 'RUNNING_EDUCATION',
          description: 'Tutoring',
          amount: s.serviceAmount,
          frequency: 'weekly',
          basis: 'per_child',
          relatedPartyId: 'tutor',
          marketAmount: s.serviceMarket,
          marketEvidence: 'Council rate',
        },
      ],
      central: {
        poolAnnual: '10000',
        basis: 'places',
        homeUnits: '1',
        totalUnits: '3',
        relatedPartyCharges: [
          {
            relatedPartyId: 'group',
            description: 'Management fee',
            amountAnnual: s.feeAmount,
            marketAmountAnnual: s.feeMarket,
            marketEvidence: 'Benchmark',
          },
        ],
      },
      surplus: { rate: s.rate, capRate },
      relatedParties: [landlord, tutor, parent],
    }),
  );
}

const withMarkets = (s: Scenario, markets: Partial<Scenario>) => ({ ...s, ...markets });
const atOrAbove = (s: Scenario): Scenario => ({
  ...s,
  leaseMarket: s.leaseAmount,
  serviceMarket: (Number(s.serviceAmount) + 10).toFixed(2),
  feeMarket: s.feeAmount,
});
const withoutFeeFields = (breakdown: ReturnType<typeof priceCostModel>) => {
  const {
    relatedParties: _p,
    relatedPartyExcessWeeklyPerChild: _x,
    adjustedSurplusRate: _a,
    ...rest
  } = breakdown;
  return rest;
};

describe('method §6 properties', () => {
  it('never gives a negative excess, and X is the excesses per child per week', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const breakdown = priceCostModel(modelOf(s));
        for (const party of breakdown.relatedParties ?? []) {
          for (const line of party.lines) expect(line.excessAnnual.startsWith('-')).toBe(false);
          expect(party.excessAnnual.startsWith('-')).toBe(false);
        }
        expect(breakdown.relatedPartyExcessWeeklyPerChild?.startsWith('-')).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('changes nothing when every market amount is at or above what is paid', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const breakdown = priceCostModel(modelOf(atOrAbove(s)));
        expect(breakdown.relatedPartyExcessWeeklyPerChild).toBe('0.00');
        expect(breakdown.adjustedSurplusRate).toBe(s.rate);
      }),
      { numRuns: 200 },
    );
  });

  it('never lets the market amounts move the fee or any line', () => {
    fc.assert(
      fc.property(scenario, scenario, (s, other) => {
        const a = priceCostModel(modelOf(s));
        const b = priceCostModel(
          modelOf(
            withMarkets(s, {
              leaseMarket: other.leaseMarket,
              serviceMarket: other.serviceMarket,
              feeMarket: other.feeMarket,
            }),
          ),
        );
        expect(withoutFeeFields(b)).toEqual(withoutFeeFields(a));
      }),
      { numRuns: 150 },
    );
  });

  it('raises the adjusted rate when a related price goes further above market', () => {
    // C and X both rise by δ, so C − X holds and (S + X) rises by δ(1 + rate): at least £100 ÷ C − X
    fc.assert(
      fc.property(scenario, fc.integer({ min: 10_000, max: 1_000_000 }), (s, pennies) => {
        const atOrAboveMarket: Scenario = {
          ...s,
          frequency: 'annual',
          leaseMarket: Number(s.leaseMarket) <= Number(s.leaseAmount) ? s.leaseMarket : s.leaseAmount,
        };
        const raised = {
          ...atOrAboveMarket,
          leaseAmount: ((Number(s.leaseAmount) * 100 + pennies) / 100).toFixed(2),
        };
        const before = priceCostModel(modelOf(atOrAboveMarket));
        const after = priceCostModel(modelOf(raised));
        expect(Number(after.adjustedSurplusRate)).toBeGreaterThan(Number(before.adjustedSurplusRate));
      }),
      { numRuns: 150 },
    );
  });

  it('refuses exactly the models whose adjusted rate is above the cap', () => {
    fc.assert(
      fc.property(scenario, fc.integer({ min: 0, max: 200_000 }), (s, capMillionths) => {
        const cap = (capMillionths / 1_000_000).toFixed(6);
        if (Number(s.rate) > Number(cap)) return;
        const uncapped = priceCostModel(modelOf(s));
        let refused = false;
        try {
          priceCostModel(modelOf(s, cap));
        } catch (error) {
          expect(error).toBeInstanceOf(DomainValidationError);
          expect((error as DomainValidationError).issues.map((issue) => issue.pointer)).toEqual([
            '/surplus/rate',
          ]);
          refused = true;
        }
        // the published rate is half-up to 6 dp: above the cap when refused, at most the cap otherwise
        if (refused) expect(Number(uncapped.adjustedSurplusRate)).toBeGreaterThanOrEqual(Number(cap));
        else expect(Number(uncapped.adjustedSurplusRate)).toBeLessThanOrEqual(Number(cap));
      }),
      { numRuns: 200 },
    );
  });
});
