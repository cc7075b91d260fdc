import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  anniversariesBetween,
  appliesFrom,
  frameworkFee,
  type IndexValue,
  type UpliftFormula,
  upliftAt,
  upliftFee,
  yearBefore,
} from '../../../src/domain/uplifts/index.js';
import { upliftFormulaSchema } from '../../../src/domain/uplifts/schema.js';

const nlwFile = JSON.parse(
  readFileSync(new URL('../../../fixtures/indices/national-living-wage.json', import.meta.url), 'utf8'),
) as { values: Array<{ date: string; value: string }>; source: string; sourceUrl: string };
const NLW: IndexValue[] = nlwFile.values.map((value) => ({
  series: 'NLW',
  date: value.date,
  value: value.value,
  source: nlwFile.source,
  sourceUrl: nlwFile.sourceUrl,
}));

const figure = (series: IndexValue['series'], date: string, value: string): IndexValue => ({
  series,
  date,
  value,
  source: `${series} test figure`,
  sourceUrl: 'https://example.org/figures',
});

const formula = (fields: Partial<UpliftFormula> & Pick<UpliftFormula, 'terms'>): UpliftFormula =>
  upliftFormulaSchema.parse({ framework: 'Test framework', noticeDays: 28, anniversary: '04-01', ...fields });

// D2N2: the lower of 1.5% or CPI, reviewed when CPI passes 3%.
const d2n2 = formula({
  framework: 'D2N2 Children’s Residential Framework',
  terms: [{ index: 'CPI', weight: '1' }],
  lowerOf: [{ terms: [{ index: 'FIXED', weight: '1', rate: '0.015' }] }],
  reviewWhen: { index: 'CPI', above: '0.03' },
});

// Cardiff: 40% of cost moves with CPI, 60% with the Real Living Wage.
const cardiff = formula({
  framework: 'Cardiff',
  terms: [
    { index: 'CPI', weight: '0.4' },
    { index: 'RLW', weight: '0.6' },
  ],
});

describe('upliftAt: the worked examples of docs/uplifts.md', () => {
  it('D2N2 lower-of: CPI 2.1% gives 1.5%, the fixed alternative being lower', () => {
    const uplift = upliftAt(d2n2, [figure('CPI', '2027-02-28', '0.021')], '2027-04-01');
    expect(uplift.weightedSum).toBe('0.021');
    expect(uplift.alternatives[0]?.weightedSum).toBe('0.015');
    expect(uplift.lowestOf).toBe(0);
    expect(uplift.rate).toBe('0.0150');
    expect(uplift.percentage).toBe('1.50');
    expect(uplift.review).toEqual({ index: 'CPI', above: '0.03', change: '0.021', triggered: false });
    expect(uplift.terms[0]?.figures).toEqual([{ ...figure('CPI', '2027-02-28', '0.021'), role: 'rate' }]);
  });

  it('D2N2: CPI 1.2% is the lower and is taken; CPI 3.4% gives 1.5% and calls for a review', () => {
    expect(upliftAt(d2n2, [figure('CPI', '2027-02-28', '0.012')], '2027-04-01')).toMatchObject({
      rate: '0.0120',
      lowestOf: -1,
    });
    const high = upliftAt(d2n2, [figure('CPI', '2027-02-28', '0.034')], '2027-04-01');
    expect(high.rate).toBe('0.0150');
    expect(high.review?.triggered).toBe(true);
  });

  it('Cardiff: a Real Living Wage rise of 7.26% (£12.40 → £13.30) weighted 60%, CPI 2.1% weighted 40% → 5.19%', () => {
    const values = [
      figure('RLW', '2025-11-01', '12.40'),
      figure('RLW', '2026-11-01', '13.30'),
      figure('CPI', '2027-02-28', '0.021'),
    ];
    const uplift = upliftAt(cardiff, values, '2027-04-01');
    const rlw = uplift.terms.find((term) => term.index === 'RLW')!;
    expect(rlw.change).toBe('0.0725806452'); // 13.30 ÷ 12.40 − 1, to 10 dp
    expect(rlw.figures.map((f) => [f.role, f.value])).toEqual([
      ['current', '13.30'],
      ['year_before', '12.40'],
    ]);
    expect(uplift.weightedSum).toBe('0.05194838712'); // 0.4 × 0.021 + 0.6 × 0.0725806452
    expect(uplift.percentage).toBe('5.19');
    // both indices at 7.26%: the weights add to 1, so the uplift is 7.26%
    const even = upliftAt(
      cardiff,
      [...values.slice(0, 2), figure('CPI', '2027-02-28', '0.0726')],
      '2027-04-01',
    );
    expect(even.percentage).toBe('7.26');
  });

  it('the statutory NLW history: up 4.1% to £12.71 in April 2026', () => {
    const nlw = formula({ terms: [{ index: 'NLW', weight: '1' }] });
    const uplift = upliftAt(nlw, NLW, '2026-04-01');
    expect(uplift.terms[0]?.change).toBe('0.040950041');
    expect(uplift.percentage).toBe('4.10');
    expect(uplift.terms[0]?.figures.map((f) => f.value)).toEqual(['12.71', '12.21']);
  });

  it('a cap: 70% NLW and 30% at a fixed 2% would be 3.47%, capped at 3%', () => {
    const capped = formula({
      terms: [
        { index: 'NLW', weight: '0.7' },
        { index: 'FIXED', weight: '0.3', rate: '0.02' },
      ],
      floor: '0.01',
      cap: '0.03',
    });
    const uplift = upliftAt(capped, NLW, '2026-04-01');
    expect(uplift.weightedSum).toBe('0.0346650287');
    expect(uplift).toMatchObject({ rate: '0.0300', capApplied: true, floorApplied: false });
    const uncapped = upliftAt({ ...capped, cap: null }, NLW, '2026-04-01');
    expect(uncapped).toMatchObject({ rate: '0.0347', percentage: '3.47', capApplied: false });
  });

  it('a floor: CPI at −0.5% with a floor of 0% gives no fall', () => {
    const floored = formula({ terms: [{ index: 'CPI', weight: '1' }], floor: '0' });
    const uplift = upliftAt(floored, [figure('CPI', '2027-02-28', '-0.005')], '2027-04-01');
    expect(uplift).toMatchObject({ rate: '0.0000', floorApplied: true, percentage: '0.00' });
    expect(
      upliftAt({ ...floored, floor: null }, [figure('CPI', '2027-02-28', '-0.005')], '2027-04-01').rate,
    ).toBe('-0.0050');
  });

  it('a missing figure gives no rate and says which', () => {
    const uplift = upliftAt(cardiff, [figure('CPI', '2027-02-28', '0.021')], '2027-04-01');
    expect(uplift.rate).toBeNull();
    expect(uplift.missing).toEqual([
      'no RLW figure in force on 2027-04-01',
      'no RLW figure in force on 2026-04-01',
    ]);
  });

  it('takes the latest CPI figure dated on or before the day, never a later one', () => {
    const values = [
      figure('CPI', '2027-01-31', '0.019'),
      figure('CPI', '2027-02-28', '0.021'),
      figure('CPI', '2027-04-30', '0.05'),
    ];
    expect(upliftAt(formula({ terms: [{ index: 'CPI', weight: '1' }] }), values, '2027-04-01').rate).toBe(
      '0.0210',
    );
  });
});

describe('frameworkFee and notice', () => {
  it('moves the old fee once per anniversary passed, half-up to the penny', () => {
    const values = [figure('CPI', '2027-02-28', '0.021')];
    const result = frameworkFee(d2n2, values, {
      oldFee: '5495.78',
      oldEffectiveFrom: '2026-04-01',
      newEffectiveFrom: '2027-04-01',
    });
    expect(result.uplifts.map((u) => u.on)).toEqual(['2027-04-01']);
    expect(result.fee).toBe('5578.22'); // 5495.78 × 1.015 = 5578.2167
    expect(result.percentage).toBe('1.50');
    // a correction within the year passes no anniversary: the framework allows the old fee
    expect(
      frameworkFee(d2n2, values, {
        oldFee: '5495.78',
        oldEffectiveFrom: '2026-04-01',
        newEffectiveFrom: '2026-09-01',
      }),
    ).toMatchObject({ uplifts: [], fee: '5495.78', percentage: '0.00' });
  });

  it('anniversaries: after the old date, up to and including the new one', () => {
    expect(anniversariesBetween('04-01', '2025-04-01', '2027-04-01')).toEqual(['2026-04-01', '2027-04-01']);
    expect(anniversariesBetween('02-29', '2026-01-01', '2028-12-31')).toEqual([
      '2026-02-28',
      '2027-02-28',
      '2028-02-29',
    ]);
    expect(yearBefore('2028-02-29')).toBe('2027-02-28');
  });

  it('a rise applies from the end of the notice period when that is later; a fall at once', () => {
    const base = { issuedOn: '2027-03-20', noticeDays: 28, effectiveFrom: '2027-04-01' };
    expect(appliesFrom({ ...base, oldFee: '5495.78', newFee: '5600.00' })).toBe('2027-04-17');
    expect(appliesFrom({ ...base, issuedOn: '2027-02-01', oldFee: '5495.78', newFee: '5600.00' })).toBe(
      '2027-04-01',
    );
    expect(appliesFrom({ ...base, oldFee: '5495.78', newFee: '5400.00' })).toBe('2027-04-01');
  });
});

describe('properties', () => {
  const rateArb = fc.integer({ min: -50_000, max: 200_000 }).map((n) => (n / 1_000_000).toFixed(6));
  it('the rate is the lowest alternative, within floor and cap, to 4 dp', () => {
    fc.assert(
      fc.property(rateArb, rateArb, fc.option(rateArb), fc.option(rateArb), (cpi, fixed, floor, cap) => {
        if (floor !== null && cap !== null && Number(floor) > Number(cap)) return;
        const f = formula({
          terms: [{ index: 'CPI', weight: '1' }],
          lowerOf: [{ terms: [{ index: 'FIXED', weight: '1', rate: fixed }] }],
          floor,
          cap,
        });
        const uplift = upliftAt(f, [figure('CPI', '2027-01-31', cpi)], '2027-04-01');
        let expected = Math.min(Number(cpi), Number(fixed));
        if (floor !== null) expected = Math.max(expected, Number(floor));
        if (cap !== null) expected = Math.min(expected, Number(cap));
        expect(Math.abs(Number(uplift.rate) - expected)).toBeLessThanOrEqual(0.00005 + 1e-12);
      }),
    );
  });

  it('upliftFee(fee, 0) is the fee; the framework fee never moves against its rate', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2_000_000 }), rateArb, (pennies, rate) => {
        const fee = (pennies / 100).toFixed(2);
        expect(upliftFee(fee, '0')).toBe(fee);
        const moved = Number(upliftFee(fee, rate));
        if (Number(rate) >= 0) expect(moved).toBeGreaterThanOrEqual(Number(fee));
        else expect(moved).toBeLessThanOrEqual(Number(fee));
      }),
    );
  });
});

describe('the NLW history shipped in fixtures/indices', () => {
  it('agrees with the rate tables of each tax year', async () => {
    const { rateTables } = await import('../../../src/modules/rates/index.js');
    for (const table of rateTables().values()) {
      const inForce = NLW.filter((value) => value.date <= table.validFrom).at(-1);
      expect(inForce?.value, table.taxYear).toBe(table.nationalLivingWage.hourlyRate);
    }
  });
});
