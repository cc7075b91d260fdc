import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { breakdownSchema, costModelSchema, priceCostModel } from '../../../src/domain/pricing/index.js';

// fixtures/examples: the normative figures of each worked example must match to the penny.
const examplesDir = new URL('../../../fixtures/examples/', import.meta.url);

interface ExpectedBreakdown {
  daysInPeriod: number;
  plannedOccupiedPlaces: string;
  weeklyFeePerChild: string;
  weeklyCostPerChild: string;
  weeklySurplusPerChild: string;
  annualIncomeAtPlannedOccupancy: string;
  lines: { code: string; category: string; annualAmount: string; weeklyPerChild: string }[];
  enhancements: {
    loadedHourlyCost: string;
    weeklyCharge: string;
    lines: { code: string; weeklyAmount: string }[];
  }[];
}

const allNames = readdirSync(fileURLToPath(examplesDir))
  .filter((file) => file.endsWith('.model.json'))
  .map((file) => file.replace(/\.model\.json$/, ''))
  .sort();
const names = allNames;

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(fileURLToPath(new URL(file, examplesDir)), 'utf8'));
}

describe('the worked examples of fixtures/examples', () => {
  it('finds every example', () => {
    expect(allNames).toEqual([
      'halton-three-bed-2025-26',
      'wirral-four-bed-2026-27',
      'wirral-related-parties-2026-27',
    ]);
  });

  it('wirral-related-parties-2026-27 matches §6 to the penny: the excess, the adjusted rate and each party', () => {
    const model = costModelSchema.parse(readJson('wirral-related-parties-2026-27.model.json'));
    const expected = readJson('wirral-related-parties-2026-27.breakdown.json') as {
      relatedPartyExcessWeeklyPerChild: string;
      adjustedSurplusRate: string;
      relatedParties: {
        id: string;
        lines: { code: string; annualAmount: string; marketAnnualAmount: string; excessAnnual: string }[];
      }[];
    };
    const breakdown = priceCostModel(model);
    expect(breakdown.methodVersion).toBe(2);
    expect(breakdown.relatedPartyExcessWeeklyPerChild).toBe(expected.relatedPartyExcessWeeklyPerChild);
    expect(breakdown.adjustedSurplusRate).toBe(expected.adjustedSurplusRate);
    expect(
      breakdown.relatedParties?.map((party) => ({
        id: party.id,
        lines: party.lines.map(({ code, annualAmount, marketAnnualAmount, excessAnnual }) => ({
          code,
          annualAmount,
          marketAnnualAmount,
          excessAnnual,
        })),
      })),
    ).toEqual(expected.relatedParties);
    // each line paid to a related party names it
    const named = breakdown.lines.filter((line) => line.relatedPartyId !== undefined);
    expect(named.map((line) => [line.code, line.description, line.relatedPartyId])).toEqual([
      ['PROPERTY_LEASE', 'Lease from registered social landlord', 'jpl'],
      ['RUNNING_EDUCATION', 'Tutoring', 'edu'],
      ['CENTRAL_OVERHEAD', 'Central overhead', 'grp'],
    ]);
  });

  describe.each(names)('%s', (name) => {
    const model = costModelSchema.parse(readJson(`${name}.model.json`));
    const expected = readJson(`${name}.breakdown.json`) as ExpectedBreakdown;
    const breakdown = priceCostModel(model);

    it('matches the headline figures to the penny', () => {
      expect({
        daysInPeriod: breakdown.daysInPeriod,
        plannedOccupiedPlaces: breakdown.plannedOccupiedPlaces,
        weeklyFeePerChild: breakdown.weeklyFeePerChild,
        weeklyCostPerChild: breakdown.weeklyCostPerChild,
        weeklySurplusPerChild: breakdown.weeklySurplusPerChild,
        annualIncomeAtPlannedOccupancy: breakdown.annualIncomeAtPlannedOccupancy,
      }).toEqual({
        daysInPeriod: expected.daysInPeriod,
        plannedOccupiedPlaces: expected.plannedOccupiedPlaces,
        weeklyFeePerChild: expected.weeklyFeePerChild,
        weeklyCostPerChild: expected.weeklyCostPerChild,
        weeklySurplusPerChild: expected.weeklySurplusPerChild,
        annualIncomeAtPlannedOccupancy: expected.annualIncomeAtPlannedOccupancy,
      });
    });

    it('matches every line, in order', () => {
      expect(
        breakdown.lines.map(({ code, category, annualAmount, weeklyPerChild }) => ({
          code,
          category,
          annualAmount,
          weeklyPerChild,
        })),
      ).toEqual(
        expected.lines.map(({ code, category, annualAmount, weeklyPerChild }) => ({
          code,
          category,
          annualAmount,
          weeklyPerChild,
        })),
      );
    });

    it('matches every enhancement', () => {
      expect(
        breakdown.enhancements.map((enhancement) => ({
          loadedHourlyCost: enhancement.loadedHourlyCost,
          weeklyCharge: enhancement.weeklyCharge,
          lines: enhancement.lines.map(({ code, weeklyAmount }) => ({ code, weeklyAmount })),
        })),
      ).toEqual(
        expected.enhancements.map((enhancement) => ({
          loadedHourlyCost: enhancement.loadedHourlyCost,
          weeklyCharge: enhancement.weeklyCharge,
          lines: enhancement.lines.map(({ code, weeklyAmount }) => ({ code, weeklyAmount })),
        })),
      );
    });

    it('explains every line in a sentence with figures', () => {
      for (const line of breakdown.lines) expect(line.basis).toMatch(/\d/);
      for (const enhancement of breakdown.enhancements) {
        for (const line of enhancement.lines) expect(line.basis).toMatch(/\d/);
      }
    });

    it('adds up, and fits the published breakdown schema', () => {
      expect(breakdownSchema.safeParse(breakdown).success).toBe(true);
      const pennies = (value: string) => BigInt(value.replace('.', ''));
      const weekly = breakdown.lines.reduce((sum, line) => sum + pennies(line.weeklyPerChild), 0n);
      const annual = breakdown.lines.reduce((sum, line) => sum + pennies(line.annualAmount), 0n);
      const shares = breakdown.lines.reduce((sum, line) => sum + pennies(line.shareOfFee), 0n);
      expect(weekly).toBe(pennies(breakdown.weeklyFeePerChild));
      expect(annual).toBe(pennies(breakdown.annualIncomeAtPlannedOccupancy));
      expect(shares).toBe(10_000n);
      expect(breakdown.totals).toEqual({
        annualAmount: breakdown.annualIncomeAtPlannedOccupancy,
        weeklyPerChild: breakdown.weeklyFeePerChild,
        shareOfFee: '1.0000',
      });
    });
  });

  it('writes basis sentences a commissioner can re-check (Wirral)', () => {
    const model = costModelSchema.parse(readJson('wirral-four-bed-2026-27.model.json'));
    const basis = new Map(priceCostModel(model).lines.map((line) => [line.description, line.basis]));
    expect(basis.get('Residential Child Care Worker')).toBe(
      '10 × £34,095.00 gross pay (£29,500.00 salary × 1 FTE × 1.05 enhancement + £3,120.00 allowances)',
    );
    expect(basis.get('Employer National Insurance')).toBe(
      'Σ headcount × 15% × (gross − £5,000.00 threshold), over 5 staffing lines',
    );
    expect(basis.get('Lease from registered social landlord')).toBe(
      '£2,400.00 a month × 12 ÷ 52.142857 weeks ÷ 3.6 places',
    );
    expect(basis.get('Food and household')).toBe('£75.00 a week per child × 52.142857 weeks × 3.6 places');
    expect(basis.get('Central overhead')).toBe('£720,000.00 pool × 4 ÷ 40 units (places)');
    expect(basis.get('Surplus')).toBe('4% of £5,284.40 weekly cost');
  });
});
