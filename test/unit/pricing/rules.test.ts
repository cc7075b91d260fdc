import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DomainValidationError, type FieldIssue } from '../../../src/domain/errors.js';
import {
  type Breakdown,
  breakdownRows,
  type CostModel,
  costModelSchema,
  priceCostModel,
  type RateTable,
  rateTableSchema,
  rateTablesByYear,
  resolveRates,
  zodIssuesToFieldIssues,
} from '../../../src/domain/pricing/index.js';
import { handWorkedModel } from '../../helpers/models.js';

// Hand-made cases, one rule each. Amounts are chosen so that the figures can be worked out by hand:
// with D = 365, W = 365 / 7, so an annual amount of 36,500 is exactly 700.00 a week per place.

type Json = Record<string, unknown>;

const baseModel = (): Json => handWorkedModel();

function staff(id: string, fields: Json = {}): Json {
  return {
    id,
    role: `Role ${id}`,
    group: 'care',
    headcount: 1,
    ftePerPerson: '1',
    annualSalaryFte: '36500',
    enhancementRate: '0',
    allowancesAnnualPerPerson: '0',
    requiresCover: false,
    ...fields,
  };
}

function withChanges(change: (model: Json) => void): Json {
  const model = baseModel();
  change(model);
  return model;
}

function rates(model: Json): Json {
  return model.rates as Json;
}

function parse(input: unknown): CostModel {
  const result = costModelSchema.safeParse(input);
  if (!result.success) throw new Error(JSON.stringify(zodIssuesToFieldIssues(result.error)));
  return result.data;
}

function price(input: unknown, tables?: ReadonlyMap<string, RateTable>): Breakdown {
  return priceCostModel(parse(input), { rateTables: tables });
}

function issues(input: unknown): FieldIssue[] {
  const result = costModelSchema.safeParse(input);
  if (result.success) return [];
  return zodIssuesToFieldIssues(result.error);
}

function pointers(input: unknown): string[] {
  return issues(input).map((issue) => issue.pointer);
}

/** code → [annualAmount, weeklyPerChild] of each line, in order. */
function amounts(breakdown: Breakdown): [string, string, string][] {
  return breakdown.lines.map((line) => [line.code, line.annualAmount, line.weeklyPerChild]);
}

const ratesDir = new URL('../../../fixtures/rates/', import.meta.url);
function loadTable(year: string): RateTable {
  return rateTableSchema.parse(
    JSON.parse(readFileSync(fileURLToPath(new URL(`${year}.json`, ratesDir)), 'utf8')),
  );
}

describe('§2 employer National Insurance', () => {
  it('is zero below the secondary threshold, and then there is no NI line', () => {
    const breakdown = price(
      withChanges((m) => {
        Object.assign(rates(m), { employerNiRate: '0.15', niSecondaryThresholdAnnual: '50000' });
        m.staffing = [staff('a')];
      }),
    );
    expect(amounts(breakdown)).toEqual([['STAFF_PAY', '36500.00', '700.00']]);
    expect(breakdown.weeklyFeePerChild).toBe('700.00');
  });

  it('is (gross − threshold) × rate above it, only for the lines above it', () => {
    // a: (36,500 − 5,000) × 0.15 = 4,725.00; b: 4,000 is below the threshold
    // weekly 700 + 76.7123… + 90.6164… = 867.3287… → fee 867.33; floors 867.32, the penny to NI
    const breakdown = price(
      withChanges((m) => {
        Object.assign(rates(m), { employerNiRate: '0.15', niSecondaryThresholdAnnual: '5000' });
        m.staffing = [staff('a'), staff('b', { annualSalaryFte: '4000' })];
      }),
    );
    expect(amounts(breakdown)).toEqual([
      ['STAFF_PAY', '36500.00', '700.00'],
      ['STAFF_PAY', '4000.00', '76.71'],
      ['STAFF_EMPLOYER_NI', '4725.00', '90.62'],
    ]);
    expect(breakdown.weeklyFeePerChild).toBe('867.33');
    expect(breakdown.annualIncomeAtPlannedOccupancy).toBe('45225.00');
    expect(breakdown.lines[2]?.basis).toBe(
      'Σ headcount × 15% × (gross − £5,000.00 threshold), over 1 staffing line',
    );
  });

  it('counts every head', () => {
    const breakdown = price(
      withChanges((m) => {
        Object.assign(rates(m), { employerNiRate: '0.138', niSecondaryThresholdAnnual: '9100' });
        m.staffing = [staff('a', { headcount: 3 })];
      }),
    );
    // 3 × (36,500 − 9,100) × 0.138 = 11,343.60
    expect(breakdown.lines.find((line) => line.code === 'STAFF_EMPLOYER_NI')?.annualAmount).toBe('11343.60');
  });
});

describe('§2 employer pension', () => {
  it('on qualifying earnings: nothing under the lower limit, the band between, capped over the upper limit', () => {
    const breakdown = price(
      withChanges((m) => {
        Object.assign(rates(m), {
          employerPensionRate: '0.03',
          pensionBasis: 'qualifying_earnings',
          pensionQualifyingLowerAnnual: '6240',
          pensionQualifyingUpperAnnual: '50270',
        });
        m.staffing = [
          staff('under', { annualSalaryFte: '5000' }),
          staff('between', { annualSalaryFte: '36500' }),
          staff('over', { annualSalaryFte: '73000' }),
        ];
      }),
    );
    // (36,500 − 6,240) × 0.03 = 907.80; (50,270 − 6,240) × 0.03 = 1,320.90; total 2,228.70
    // weekly: 95.8904…, 700, 1,400, 42.7421… → floors add up to the fee 2,238.63 exactly
    expect(amounts(breakdown)).toEqual([
      ['STAFF_PAY', '5000.00', '95.89'],
      ['STAFF_PAY', '36500.00', '700.00'],
      ['STAFF_PAY', '73000.00', '1400.00'],
      ['STAFF_EMPLOYER_PENSION', '2228.70', '42.74'],
    ]);
    expect(breakdown.weeklyFeePerChild).toBe('2238.63');
    expect(breakdown.annualIncomeAtPlannedOccupancy).toBe('116728.70');
    expect(breakdown.lines[3]?.basis).toBe(
      'Σ headcount × 3% × (gross up to £50,270.00 − £6,240.00 lower limit), over 2 staffing lines',
    );
  });

  it('on gross pay: the whole of gross pay', () => {
    const breakdown = price(
      withChanges((m) => {
        Object.assign(rates(m), { employerPensionRate: '0.06', pensionBasis: 'gross' });
        m.staffing = [staff('a')];
      }),
    );
    // 36,500 × 0.06 = 2,190.00 = 42.00 a week
    expect(amounts(breakdown)).toEqual([
      ['STAFF_PAY', '36500.00', '700.00'],
      ['STAFF_EMPLOYER_PENSION', '2190.00', '42.00'],
    ]);
  });
});

describe('§2 apprenticeship levy', () => {
  it('is gross × rate when the rate is above zero', () => {
    const breakdown = price(
      withChanges((m) => {
        rates(m).apprenticeshipLevyRate = '0.005';
        m.staffing = [staff('a', { headcount: 2 })];
      }),
    );
    // 2 × 36,500 × 0.005 = 365.00 = 7.00 a week
    expect(amounts(breakdown)).toEqual([
      ['STAFF_PAY', '73000.00', '1400.00'],
      ['STAFF_APPRENTICESHIP_LEVY', '365.00', '7.00'],
    ]);
  });

  it('leaves no line when the rate is zero', () => {
    const breakdown = price(withChanges((m) => (m.staffing = [staff('a', { headcount: 2 })])));
    expect(breakdown.lines.map((line) => line.code)).toEqual(['STAFF_PAY']);
  });
});

describe('§2 absence cover', () => {
  const coverFigures = {
    workingDaysPerYear: '260',
    annualLeaveDays: '33',
    sicknessDays: '8',
    trainingDays: '5',
    agencyShare: '0.1',
    agencyPremiumRate: '0.4',
  };

  it('is E × A / (working − A) × (1 + agencyShare × premium) for lines that need cover', () => {
    const breakdown = price(
      withChanges((m) => {
        m.cover = coverFigures;
        m.staffing = [staff('a', { annualSalaryFte: '21400', requiresCover: true }), staff('b')];
      }),
    );
    // 21,400 × 46 / 214 = 4,600; × 1.04 = 4,784.00; weekly 4,784 × 7 / 365 = 91.747…
    expect(amounts(breakdown)).toEqual([
      ['STAFF_PAY', '21400.00', '410.41'],
      ['STAFF_PAY', '36500.00', '700.00'],
      ['STAFF_ABSENCE_COVER', '4784.00', '91.75'],
    ]);
    expect(breakdown.cover.absenceDays).toBe('46');
    expect(breakdown.cover.coverUplift).toBe('0.214953');
    expect(breakdown.lines[2]?.basis).toBe(
      '£21,400.00 employment cost of 1 staffing line needing cover × 46 ÷ 214 absence uplift × 1.04 agency premium',
    );
  });

  it('leaves no line when no staffing line needs cover', () => {
    const breakdown = price(
      withChanges((m) => {
        m.cover = coverFigures;
        m.staffing = [staff('a', { annualSalaryFte: '21400' })];
      }),
    );
    expect(breakdown.lines.map((line) => line.code)).toEqual(['STAFF_PAY']);
  });

  it('covers NI, pension and levy too (E is the whole employment cost)', () => {
    const breakdown = price(
      withChanges((m) => {
        m.cover = coverFigures;
        Object.assign(rates(m), { employerNiRate: '0.1', niSecondaryThresholdAnnual: '0' });
        m.staffing = [staff('a', { annualSalaryFte: '21400', requiresCover: true })];
      }),
    );
    // E = 21,400 × 1.1 = 23,540; × 46 / 214 × 1.04 = 5,262.40
    expect(breakdown.lines.find((line) => line.code === 'STAFF_ABSENCE_COVER')?.annualAmount).toBe('5262.40');
  });
});

describe('§2 property and running lines', () => {
  it('annualises per-home lines of every frequency and divides by W and P', () => {
    // P = 4 × 0.5 = 2. weekly 100 → 5,214.2857… a year, 50.00 a week per child;
    // monthly 730 → 8,760 (84.00); quarterly 730 → 2,920 (28.00); annual 730 (7.00)
    const breakdown = price(
      withChanges((m) => {
        m.home = { registeredPlaces: 4, plannedOccupancy: '0.5', fteHoursPerWeek: '40' };
        m.property = [
          { code: 'PROPERTY_LEASE', description: 'Lease', amount: '100', frequency: 'weekly' },
          { code: 'PROPERTY_UTILITIES', description: 'Utilities', amount: '730', frequency: 'monthly' },
        ];
        m.running = [
          { code: 'RUNNING_TRANSPORT', description: 'Transport', amount: '730', frequency: 'quarterly' },
          {
            code: 'RUNNING_OTHER',
            description: 'Other',
            amount: '730',
            frequency: 'annual',
            basis: 'per_home',
          },
        ];
      }),
    );
    expect(amounts(breakdown)).toEqual([
      ['PROPERTY_LEASE', '5214.29', '50.00'],
      ['PROPERTY_UTILITIES', '8760.00', '84.00'],
      ['RUNNING_TRANSPORT', '2920.00', '28.00'],
      ['RUNNING_OTHER', '730.00', '7.00'],
    ]);
    expect(breakdown.plannedOccupiedPlaces).toBe('2');
    expect(breakdown.weeklyFeePerChild).toBe('169.00');
    // 169 × 365 / 7 × 2 = 17,624.2857…
    expect(breakdown.annualIncomeAtPlannedOccupancy).toBe('17624.29');
    expect(breakdown.lines.map((line) => line.basis)).toEqual([
      '£100.00 a week ÷ 2 places',
      '£730.00 a month × 12 ÷ 52.142857 weeks ÷ 2 places',
      '£730.00 a quarter × 4 ÷ 52.142857 weeks ÷ 2 places',
      '£730.00 a year ÷ 52.142857 weeks ÷ 2 places',
    ]);
  });

  it('takes per-child lines of every frequency at their weekly equivalent, and × W × P a year', () => {
    // weekly 70 → 70.00; monthly 365 → 365 × 12 / W = 84.00; quarterly 365 → 28.00; annual 365 → 7.00
    const breakdown = price(
      withChanges((m) => {
        m.home = { registeredPlaces: 4, plannedOccupancy: '0.5', fteHoursPerWeek: '40' };
        m.running = ['weekly', 'monthly', 'quarterly', 'annual'].map((frequency, i) => ({
          code: 'RUNNING_ACTIVITIES',
          description: `Per child ${i}`,
          amount: frequency === 'weekly' ? '70' : '365',
          frequency,
          basis: 'per_child',
        }));
      }),
    );
    expect(amounts(breakdown)).toEqual([
      ['RUNNING_ACTIVITIES', '7300.00', '70.00'],
      ['RUNNING_ACTIVITIES', '8760.00', '84.00'],
      ['RUNNING_ACTIVITIES', '2920.00', '28.00'],
      ['RUNNING_ACTIVITIES', '730.00', '7.00'],
    ]);
    expect(breakdown.weeklyFeePerChild).toBe('189.00');
    expect(breakdown.annualIncomeAtPlannedOccupancy).toBe('19710.00');
    expect(breakdown.lines[0]?.basis).toBe('£70.00 a week per child × 52.142857 weeks × 2 places');
  });

  it('defaults the basis of a running line to per_home', () => {
    const model = parse(
      withChanges((m) => {
        m.running = [{ code: 'RUNNING_OTHER', description: 'x', amount: '1', frequency: 'annual' }];
      }),
    );
    expect(model.running[0]?.basis).toBe('per_home');
  });

  it('keeps property lines before running lines, in input order', () => {
    const breakdown = price(
      withChanges((m) => {
        m.staffing = [staff('a')];
        m.running = [
          { code: 'RUNNING_OTHER', description: 'r1', amount: '365', frequency: 'annual' },
          { code: 'RUNNING_EDUCATION', description: 'r2', amount: '365', frequency: 'annual' },
        ];
        m.property = [{ code: 'PROPERTY_OTHER', description: 'p1', amount: '365', frequency: 'annual' }];
        m.central = { poolAnnual: '365', basis: 'equal', homeUnits: '1', totalUnits: '1' };
        m.surplus = { rate: '0.01', capRate: '0.05' };
      }),
    );
    expect(breakdown.lines.map((line) => line.description)).toEqual([
      'Role a',
      'p1',
      'r1',
      'r2',
      'Central overhead',
      'Surplus',
    ]);
  });
});

describe('§1 the period', () => {
  it('counts 366 days in a year with 29 February', () => {
    const breakdown = price(
      withChanges((m) => {
        m.period = { label: '2027-28', start: '2027-04-01', end: '2028-03-31' };
        m.staffing = [staff('a', { annualSalaryFte: '36600' })];
        m.running = [{ code: 'RUNNING_OTHER', description: 'Weekly', amount: '100', frequency: 'weekly' }];
      }),
    );
    expect(breakdown.daysInPeriod).toBe(366);
    expect(breakdown.weeksInPeriod).toBe('52.285714');
    // 36,600 × 7 / 366 = 700.00; 100 a week × 366 / 7 = 5,228.5714…
    expect(amounts(breakdown)).toEqual([
      ['STAFF_PAY', '36600.00', '700.00'],
      ['RUNNING_OTHER', '5228.57', '100.00'],
    ]);
  });

  it('counts 365 days otherwise, also for a period that does not start in April', () => {
    const breakdown = price(
      withChanges((m) => (m.period = { label: 'calendar 2026', start: '2026-01-01', end: '2026-12-31' })),
    );
    expect(breakdown.daysInPeriod).toBe(365);
  });
});

describe('§2 surplus', () => {
  it('leaves no SURPLUS line when the rate is zero', () => {
    const breakdown = price(withChanges((m) => (m.staffing = [staff('a')])));
    expect(breakdown.lines.map((line) => line.code)).toEqual(['STAFF_PAY']);
    expect(breakdown.weeklySurplusPerChild).toBe('0.00');
    expect(breakdown.weeklyCostPerChild).toBe('700.00');
    expect(breakdown.surplusShareOfFee).toBe('0.0000');
  });

  it('is a mark-up on cost: S = C × rate, F = C + S', () => {
    const breakdown = price(
      withChanges((m) => {
        m.staffing = [staff('a')];
        m.surplus = { rate: '0.05', capRate: '0.05' };
      }),
    );
    expect(amounts(breakdown)).toEqual([
      ['STAFF_PAY', '36500.00', '700.00'],
      ['SURPLUS', '1825.00', '35.00'],
    ]);
    expect(breakdown.weeklyFeePerChild).toBe('735.00');
    expect(breakdown.weeklyCostPerChild).toBe('700.00');
    expect(breakdown.weeklySurplusPerChild).toBe('35.00');
    expect(breakdown.surplusShareOfFee).toBe('0.0476'); // 0.05 / 1.05
    expect(breakdown.lines.map((line) => line.shareOfFee)).toEqual(['0.9524', '0.0476']);
    expect(breakdown.lines[1]?.basis).toBe('5% of £700.00 weekly cost');
  });
});

describe('§2 central overhead', () => {
  it('is poolAnnual × homeUnits / totalUnits', () => {
    // 36,500 × 3 / 7 = 15,642.857… a year, exactly 300.00 a week
    const breakdown = price(
      withChanges(
        (m) => (m.central = { poolAnnual: '36500', basis: 'staff_fte', homeUnits: '3', totalUnits: '7' }),
      ),
    );
    expect(amounts(breakdown)).toEqual([['CENTRAL_OVERHEAD', '15642.86', '300.00']]);
    expect(breakdown.lines[0]?.basis).toBe('£36,500.00 pool × 3 ÷ 7 units (staff FTE)');
  });

  it('leaves no line when the home has no share', () => {
    const breakdown = price(
      withChanges((m) => {
        m.staffing = [staff('a')];
        m.central = { poolAnnual: '720000', basis: 'places', homeUnits: '0', totalUnits: '40' };
      }),
    );
    expect(breakdown.lines.map((line) => line.code)).toEqual(['STAFF_PAY']);
  });
});

describe('§2 pay', () => {
  it('from an hourly rate is hourlyRate × fteHoursPerWeek × W', () => {
    // 10 × 40 × 365 / 7 = 20,857.142… a year, exactly 400.00 a week
    const breakdown = price(
      withChanges((m) => (m.staffing = [staff('a', { annualSalaryFte: undefined, hourlyRate: '10.00' })])),
    );
    expect(amounts(breakdown)).toEqual([['STAFF_PAY', '20857.14', '400.00']]);
    expect(breakdown.lines[0]?.basis).toBe(
      '1 × £20,857.14 gross pay (£10.00 an hour × 40 hours × 52.142857 weeks × 1 FTE)',
    );
  });

  it('rounds an exact half penny up, for the fee and for the annual income', () => {
    // 10.01 × 37.5 = 375.375 a week exactly; × 365 / 7 = 19,573.125 a year exactly
    const breakdown = price(
      withChanges((m) => {
        m.home = { registeredPlaces: 1, plannedOccupancy: '1', fteHoursPerWeek: '37.5' };
        m.staffing = [staff('a', { annualSalaryFte: undefined, hourlyRate: '10.01' })];
      }),
    );
    expect(breakdown.weeklyFeePerChild).toBe('375.38');
    expect(breakdown.annualIncomeAtPlannedOccupancy).toBe('19573.13');
    expect(amounts(breakdown)).toEqual([['STAFF_PAY', '19573.13', '375.38']]);
  });

  it('applies FTE, enhancement and allowances: g = pay × fte × (1 + enhancement) + allowances', () => {
    const breakdown = price(
      withChanges(
        (m) =>
          (m.staffing = [
            staff('a', {
              headcount: 10,
              ftePerPerson: '0.8',
              annualSalaryFte: '29500',
              enhancementRate: '0.05',
              allowancesAnnualPerPerson: '3120',
            }),
          ]),
      ),
    );
    // g = 29,500 × 0.8 × 1.05 + 3,120 = 27,900; × 10 = 279,000
    expect(breakdown.lines[0]?.annualAmount).toBe('279000.00');
    expect(breakdown.lines[0]?.basis).toBe(
      '10 × £27,900.00 gross pay (£29,500.00 salary × 0.8 FTE × 1.05 enhancement + £3,120.00 allowances)',
    );
  });
});

describe('§3 rounding', () => {
  it('gives the pennies to the largest remainders, ties to the earlier line', () => {
    // three identical lines of 1,000 a year = 19.178082… a week each; fee 57.53 (57.534246…)
    const breakdown = price(
      withChanges(
        (m) =>
          (m.property = ['a', 'b', 'c'].map((description) => ({
            code: 'PROPERTY_OTHER',
            description,
            amount: '1000',
            frequency: 'annual',
          }))),
      ),
    );
    expect(breakdown.weeklyFeePerChild).toBe('57.53');
    expect(breakdown.lines.map((line) => line.weeklyPerChild)).toEqual(['19.18', '19.18', '19.17']);
    expect(breakdown.lines.map((line) => line.shareOfFee)).toEqual(['0.3334', '0.3334', '0.3332']);
    expect(breakdown.totals).toEqual({
      annualAmount: '3000.00',
      weeklyPerChild: '57.53',
      shareOfFee: '1.0000',
    });
  });

  it('prices a model with nothing in it at zero', () => {
    const breakdown = price(baseModel());
    expect(breakdown.lines).toEqual([]);
    expect(breakdown.weeklyFeePerChild).toBe('0.00');
    expect(breakdown.totals).toEqual({ annualAmount: '0.00', weeklyPerChild: '0.00', shareOfFee: '0.0000' });
  });
});

describe('§2 enhancements', () => {
  it('charges hoursPerWeek × h, h = (E + cover) / (headcount × fte × hours × W), plus surplus', () => {
    // E = 36,500; no cover; h = 36,500 / (1 × 1 × 40 × 365 / 7) = 17.50 an hour exactly
    // 10 hours = 175.00; surplus 5% = 8.75; charge 183.75
    const breakdown = price(
      withChanges((m) => {
        m.staffing = [staff('a')];
        m.surplus = { rate: '0.05', capRate: '0.1' };
        m.enhancements = [{ description: 'Extra', roleId: 'a', hoursPerWeek: '10' }];
      }),
    );
    expect(breakdown.enhancements).toEqual([
      {
        description: 'Extra',
        roleId: 'a',
        hoursPerWeek: '10',
        loadedHourlyCost: '17.50',
        weeklyCost: '175.00',
        weeklyCharge: '183.75',
        lines: [
          {
            code: 'ENHANCEMENT_STAFFING',
            category: 'enhancement',
            weeklyAmount: '175.00',
            basis:
              '10 hours × £17.50 loaded hourly cost of Role a (£36,500.00 employment cost ÷ (1 × 1 FTE × 40 hours × 52.142857 weeks))',
          },
          { code: 'SURPLUS', category: 'surplus', weeklyAmount: '8.75', basis: '5% of £175.00 weekly cost' },
        ],
      },
    ]);
  });

  it('includes the cover of a line that needs it, and leaves out SURPLUS at rate zero', () => {
    // E = 21,400; cover 4,784; h = 26,184 / (2 × 0.5 × 40 × 365 / 7) = 12.5539… ; 3 hours = 37.6619… → 37.66
    const breakdown = price(
      withChanges((m) => {
        m.cover = {
          workingDaysPerYear: '260',
          annualLeaveDays: '33',
          sicknessDays: '8',
          trainingDays: '5',
          agencyShare: '0.1',
          agencyPremiumRate: '0.4',
        };
        m.staffing = [
          staff('a', { headcount: 2, ftePerPerson: '0.5', annualSalaryFte: '21400', requiresCover: true }),
        ];
        m.enhancements = [{ description: 'Extra', roleId: 'a', hoursPerWeek: '3' }];
      }),
    );
    const [enhancement] = breakdown.enhancements;
    expect(enhancement?.loadedHourlyCost).toBe('12.55');
    expect(enhancement?.weeklyCharge).toBe('37.66');
    expect(enhancement?.lines.map((line) => [line.code, line.weeklyAmount])).toEqual([
      ['ENHANCEMENT_STAFFING', '37.66'],
    ]);
  });
});

describe('§2 enhancements of no hours', () => {
  it('charges nothing and has no lines (zero lines are left out)', () => {
    const breakdown = price(
      withChanges((m) => {
        m.staffing = [staff('a')];
        m.surplus = { rate: '0.05', capRate: '0.1' };
        m.enhancements = [{ description: 'None', roleId: 'a', hoursPerWeek: '0' }];
      }),
    );
    expect(breakdown.enhancements[0]).toMatchObject({
      loadedHourlyCost: '17.50',
      weeklyCharge: '0.00',
      lines: [],
    });
  });
});

describe('rate tables (extension: ratesFrom)', () => {
  const tables = rateTablesByYear(['2024-25', '2025-26', '2026-27'].map(loadTable));

  it('ships real figures for three tax years, each with a gov.uk source', () => {
    expect([...tables.keys()]).toEqual(['2024-25', '2025-26', '2026-27']);
    expect(tables.get('2024-25')?.rates).toMatchObject({
      employerNiRate: '0.138',
      niSecondaryThresholdAnnual: '9100',
    });
    expect(tables.get('2025-26')?.rates).toMatchObject({
      employerNiRate: '0.15',
      niSecondaryThresholdAnnual: '5000',
    });
    expect(tables.get('2026-27')?.nationalLivingWage).toEqual({ hourlyRate: '12.71', ageFrom: 21 });
    for (const table of tables.values()) {
      for (const source of Object.values(table.sources))
        expect(source.url).toMatch(/^https:\/\/www\.gov\.uk\//);
    }
  });

  it('prices with the table the model names', () => {
    const breakdown = price(
      withChanges((m) => {
        delete m.rates;
        m.ratesFrom = '2026-27';
        m.staffing = [staff('a')];
      }),
      tables,
    );
    // NI (36,500 − 5,000) × 15% = 4,725.00; pension (36,500 − 6,240) × 3% = 907.80; levy 0.5% = 182.50
    expect(amounts(breakdown).map(([code, annual]) => [code, annual])).toEqual([
      ['STAFF_PAY', '36500.00'],
      ['STAFF_EMPLOYER_NI', '4725.00'],
      ['STAFF_EMPLOYER_PENSION', '907.80'],
      ['STAFF_APPRENTICESHIP_LEVY', '182.50'],
    ]);
    expect(breakdown.rates).toEqual(tables.get('2026-27')?.rates);
    expect(breakdown.ratesFrom?.taxYear).toBe('2026-27');
    expect(breakdown.ratesFrom?.sources.employerNiRate.url).toBe(
      'https://www.gov.uk/guidance/rates-and-thresholds-for-employers-2026-to-2027',
    );
  });

  it('reports an unknown tax year at /ratesFrom', () => {
    const model = parse(
      withChanges((m) => {
        delete m.rates;
        m.ratesFrom = '2031-32';
      }),
    );
    expect(() => priceCostModel(model, { rateTables: tables })).toThrow(DomainValidationError);
    try {
      priceCostModel(model, { rateTables: tables });
    } catch (error) {
      expect((error as DomainValidationError).issues).toEqual([
        { pointer: '/ratesFrom', message: 'no rate table is known for tax year 2031-32' },
      ]);
    }
  });

  it('resolveRates keeps a model’s own rates and gives no source', () => {
    const model = parse(baseModel());
    expect(resolveRates(model, tables)).toEqual({ rates: model.rates });
    expect(price(baseModel()).ratesFrom).toBeNull();
  });

  it('accepts a plain record of tables too', () => {
    const model = parse(
      withChanges((m) => {
        delete m.rates;
        m.ratesFrom = '2024-25';
      }),
    );
    expect(resolveRates(model, { '2024-25': loadTable('2024-25') }).rates.employerNiRate).toBe('0.138');
  });
});

describe('§5 bad input: each rule names the offending field', () => {
  const cases: [string, (m: Json) => void, string][] = [
    ['a surplus rate above the cap', (m) => (m.surplus = { rate: '0.09', capRate: '0.08' }), '/surplus/rate'],
    ['a cap above 1', (m) => (m.surplus = { rate: '0', capRate: '1.5' }), '/surplus/capRate'],
    ['occupancy of 0', (m) => ((m.home as Json).plannedOccupancy = '0'), '/home/plannedOccupancy'],
    ['occupancy above 1', (m) => ((m.home as Json).plannedOccupancy = '1.01'), '/home/plannedOccupancy'],
    ['zero FTE hours', (m) => ((m.home as Json).fteHoursPerWeek = '0'), '/home/fteHoursPerWeek'],
    ['registered places of 0', (m) => ((m.home as Json).registeredPlaces = 0), '/home/registeredPlaces'],
    [
      'fractional registered places',
      (m) => ((m.home as Json).registeredPlaces = 2.5),
      '/home/registeredPlaces',
    ],
    [
      'registered places as a string',
      (m) => ((m.home as Json).registeredPlaces = '4'),
      '/home/registeredPlaces',
    ],
    [
      'absence days not below working days',
      (m) =>
        Object.assign(m.cover as Json, {
          workingDaysPerYear: '40',
          annualLeaveDays: '30',
          sicknessDays: '10',
        }),
      '/cover',
    ],
    ['an agency share above 1', (m) => ((m.cover as Json).agencyShare = '1.1'), '/cover/agencyShare'],
    [
      'homeUnits above totalUnits',
      (m) => (m.central = { poolAnnual: '1', basis: 'places', homeUnits: '5', totalUnits: '4' }),
      '/central/homeUnits',
    ],
    [
      'totalUnits of zero',
      (m) => (m.central = { poolAnnual: '1', basis: 'places', homeUnits: '0', totalUnits: '0' }),
      '/central/totalUnits',
    ],
    ['an unknown central basis', (m) => ((m.central as Json).basis = 'beds'), '/central/basis'],
    ['an NI rate above 1', (m) => (rates(m).employerNiRate = '1.2'), '/rates/employerNiRate'],
    ['a pension rate above 1', (m) => (rates(m).employerPensionRate = '2'), '/rates/employerPensionRate'],
    [
      'a levy rate above 1',
      (m) => (rates(m).apprenticeshipLevyRate = '1.000001'),
      '/rates/apprenticeshipLevyRate',
    ],
    [
      'a pension lower limit above the upper',
      (m) =>
        Object.assign(rates(m), {
          pensionQualifyingLowerAnnual: '60000',
          pensionQualifyingUpperAnnual: '50270',
        }),
      '/rates/pensionQualifyingLowerAnnual',
    ],
    ['an unknown pension basis', (m) => (rates(m).pensionBasis = 'net'), '/rates/pensionBasis'],
    ['a rate with 7 decimal places', (m) => (rates(m).employerNiRate = '0.1500001'), '/rates/employerNiRate'],
    [
      'a staffing line with no pay',
      (m) => (m.staffing = [staff('a', { annualSalaryFte: undefined })]),
      '/staffing/0',
    ],
    [
      'a staffing line with both salary and hourly rate',
      (m) => (m.staffing = [staff('a', { hourlyRate: '12.00' })]),
      '/staffing/0/hourlyRate',
    ],
    ['a zero FTE', (m) => (m.staffing = [staff('a', { ftePerPerson: '0' })]), '/staffing/0/ftePerPerson'],
    ['a headcount of 0', (m) => (m.staffing = [staff('a', { headcount: 0 })]), '/staffing/0/headcount'],
    ['an unknown group', (m) => (m.staffing = [staff('a', { group: 'night' })]), '/staffing/0/group'],
    ['a duplicate staffing id', (m) => (m.staffing = [staff('a'), staff('b'), staff('a')]), '/staffing/2/id'],
    [
      'an enhancement naming no staffing line',
      (m) => {
        m.staffing = [staff('a')];
        m.enhancements = [{ description: 'x', roleId: 'nobody', hoursPerWeek: '1' }];
      },
      '/enhancements/0/roleId',
    ],
    ['a period longer than a year', (m) => ((m.period as Json).end = '2027-04-01'), '/period/end'],
    ['a period shorter than a year', (m) => ((m.period as Json).end = '2027-03-30'), '/period/end'],
    [
      'a period starting on 29 February',
      (m) => (m.period = { label: 'x', start: '2028-02-29', end: '2029-02-28' }),
      '/period/start',
    ],
    ['a date that does not exist', (m) => ((m.period as Json).start = '2026-02-30'), '/period/start'],
    ['a date in another format', (m) => ((m.period as Json).end = '31/03/2027'), '/period/end'],
    ['neither rates nor ratesFrom', (m) => delete m.rates, '/rates'],
    ['both rates and ratesFrom', (m) => (m.ratesFrom = '2026-27'), '/ratesFrom'],
    [
      'a malformed tax year',
      (m) => {
        m.ratesFrom = '2026';
        delete m.rates;
      },
      '/ratesFrom',
    ],
    [
      'a tax year of two years',
      (m) => {
        m.ratesFrom = '2026-28';
        delete m.rates;
      },
      '/ratesFrom',
    ],
    [
      'money with 3 decimal places',
      (m) =>
        (m.property = [{ code: 'PROPERTY_OTHER', description: 'x', amount: '1.005', frequency: 'annual' }]),
      '/property/0/amount',
    ],
    [
      'negative money',
      (m) => (m.property = [{ code: 'PROPERTY_OTHER', description: 'x', amount: '-1', frequency: 'annual' }]),
      '/property/0/amount',
    ],
    [
      'an unknown frequency',
      (m) => (m.property = [{ code: 'PROPERTY_OTHER', description: 'x', amount: '1', frequency: 'daily' }]),
      '/property/0/frequency',
    ],
    [
      'an unknown basis',
      (m) =>
        (m.running = [
          { code: 'RUNNING_OTHER', description: 'x', amount: '1', frequency: 'annual', basis: 'per_bed' },
        ]),
      '/running/0/basis',
    ],
    [
      'a basis on a property line',
      (m) =>
        (m.property = [
          { code: 'PROPERTY_OTHER', description: 'x', amount: '1', frequency: 'annual', basis: 'per_home' },
        ]),
      '/property/0/basis',
    ],
    ['an unknown field', (m) => ((m.home as Json).colour = 'blue'), '/home/colour'],
    ['an unknown top-level field', (m) => (m.notes = 'hello'), '/notes'],
    ['a missing block', (m) => delete m.cover, '/cover'],
    ['a missing field', (m) => delete (m.surplus as Json).capRate, '/surplus/capRate'],
    ['a string too long', (m) => (m.staffing = [staff('a', { role: 'x'.repeat(201) })]), '/staffing/0/role'],
    ['an empty description', (m) => ((m.period as Json).label = ''), '/period/label'],
  ];

  it.each(cases)('%s', (_name, change, pointer) => {
    expect(pointers(withChanges(change))).toEqual([pointer]);
  });

  it('rejects a JSON number where a decimal string belongs, saying so', () => {
    const found = issues(withChanges((m) => (m.staffing = [staff('a', { annualSalaryFte: 29500 })])));
    expect(found).toEqual([
      {
        pointer: '/staffing/0/annualSalaryFte',
        message: 'must be a decimal string such as "12.50", not a JSON number',
      },
    ]);
    expect(pointers(withChanges((m) => (rates(m).employerNiRate = 0.15)))).toEqual(['/rates/employerNiRate']);
  });

  it('rejects an unknown code, and a code from the other list, at the line’s /code', () => {
    const found = issues(
      withChanges((m) => {
        m.property = [
          { code: 'PROPERTY_SWIMMING_POOL', description: 'x', amount: '1', frequency: 'annual' },
          { code: 'RUNNING_TRANSPORT', description: 'x', amount: '1', frequency: 'annual' },
        ];
        m.running = [{ code: 'PROPERTY_LEASE', description: 'x', amount: '1', frequency: 'annual' }];
      }),
    );
    expect(found.map((issue) => issue.pointer)).toEqual([
      '/property/0/code',
      '/property/1/code',
      '/running/0/code',
    ]);
    expect(found[1]?.message).toMatch(/RUNNING_TRANSPORT is a running code/);
    expect(found[2]?.message).toMatch(/PROPERTY_LEASE is a property code/);
  });

  it('caps the number of lines', () => {
    const propertyLine = { code: 'PROPERTY_OTHER', description: 'x', amount: '1', frequency: 'annual' };
    const runningLine = { code: 'RUNNING_OTHER', description: 'x', amount: '1', frequency: 'annual' };
    expect(
      pointers(withChanges((m) => (m.staffing = Array.from({ length: 201 }, (_, i) => staff(`s${i}`))))),
    ).toEqual(['/staffing']);
    expect(
      pointers(withChanges((m) => (m.property = Array.from({ length: 501 }, () => propertyLine)))),
    ).toEqual(['/property']);
    expect(
      pointers(
        withChanges((m) => {
          m.property = Array.from({ length: 300 }, () => propertyLine);
          m.running = Array.from({ length: 201 }, () => runningLine);
        }),
      ),
    ).toEqual(['/running']);
    expect(
      pointers(
        withChanges((m) => {
          m.staffing = [staff('a')];
          m.enhancements = Array.from({ length: 51 }, () => ({
            description: 'x',
            roleId: 'a',
            hoursPerWeek: '1',
          }));
        }),
      ),
    ).toEqual(['/enhancements']);
    // at the limits, all is well
    expect(
      pointers(
        withChanges((m) => {
          m.staffing = Array.from({ length: 200 }, (_, i) => staff(`s${i}`));
          m.property = Array.from({ length: 250 }, () => propertyLine);
          m.running = Array.from({ length: 250 }, () => runningLine);
        }),
      ),
    ).toEqual([]);
  });

  it('accepts what the spec allows: zero amounts, zero surplus, empty lists, homeUnits 0', () => {
    expect(pointers(baseModel())).toEqual([]);
    expect(
      pointers(
        withChanges((m) => {
          m.staffing = [staff('a', { annualSalaryFte: '0', requiresCover: true })];
          m.property = [{ code: 'PROPERTY_OTHER', description: 'x', amount: '0', frequency: 'annual' }];
        }),
      ),
    ).toEqual([]);
  });

  it('collects every issue at once', () => {
    const found = pointers(
      withChanges((m) => {
        m.surplus = { rate: '0.2', capRate: '0.1' };
        (m.home as Json).plannedOccupancy = '0';
        m.property = [{ code: 'PROPERTY_POOL', description: 'x', amount: 12, frequency: 'annual' }];
        (m.period as Json).end = '2027-04-30';
        m.staffing = [staff('a'), staff('a', { hourlyRate: '11.00' })];
        m.enhancements = [{ description: 'x', roleId: 'b', hoursPerWeek: '1' }];
        m.extra = true;
      }),
    );
    expect(found.sort()).toEqual(
      [
        '/surplus/rate',
        '/home/plannedOccupancy',
        '/property/0/code',
        '/property/0/amount',
        '/period/end',
        '/staffing/1/hourlyRate',
        '/staffing/1/id',
        '/enhancements/0/roleId',
        '/extra',
      ].sort(),
    );
  });

  it('escapes ~ and / in pointers (RFC 6901)', () => {
    expect(pointers(withChanges((m) => ((m.home as Json)['a/b~c'] = 1)))).toEqual(['/home/a~1b~0c']);
  });

  it('the engine refuses a model that breaks a rule even when it skipped validation', () => {
    const model = parse(withChanges((m) => (m.staffing = [staff('a')])));
    const broken = { ...model, surplus: { rate: '0.5', capRate: '0.1' } };
    expect(() => priceCostModel(broken)).toThrow(DomainValidationError);
    try {
      priceCostModel(broken);
    } catch (error) {
      expect((error as DomainValidationError).issues[0]?.pointer).toBe('/surplus/rate');
    }
  });
});

describe('breakdownRows', () => {
  it('gives a header, one row per line and a total row', () => {
    const breakdown = price(
      withChanges((m) => {
        m.staffing = [staff('a')];
        m.surplus = { rate: '0.05', capRate: '0.05' };
      }),
    );
    expect(breakdownRows(breakdown)).toEqual([
      ['code', 'category', 'description', 'annual_amount', 'weekly_per_child', 'share_of_fee', 'basis'],
      [
        'STAFF_PAY',
        'staffing',
        'Role a',
        '36500.00',
        '700.00',
        '0.9524',
        '1 × £36,500.00 gross pay (£36,500.00 salary × 1 FTE)',
      ],
      ['SURPLUS', 'surplus', 'Surplus', '1825.00', '35.00', '0.0476', '5% of £700.00 weekly cost'],
      ['TOTAL', '', 'Weekly fee per child', '38325.00', '735.00', '1.0000', ''],
    ]);
  });
});
