/**
 * A cost model whose figures can be worked out by hand: 2026-27 (D = 365, so an annual amount of
 * £36,500 is exactly £700.00 a week per place), one place fully occupied, every employment rate and
 * absence day zero, no lines, no central pool and no surplus. Tests give what they need in `overrides`
 * (whole blocks, replacing the skeleton's).
 */
export function handWorkedModel(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    period: { label: '2026-27', start: '2026-04-01', end: '2027-03-31' },
    home: { registeredPlaces: 1, plannedOccupancy: '1', fteHoursPerWeek: '40' },
    rates: {
      employerNiRate: '0',
      niSecondaryThresholdAnnual: '0',
      employerPensionRate: '0',
      pensionBasis: 'gross',
      pensionQualifyingLowerAnnual: '0',
      pensionQualifyingUpperAnnual: '0',
      apprenticeshipLevyRate: '0',
    },
    cover: {
      workingDaysPerYear: '260',
      annualLeaveDays: '0',
      sicknessDays: '0',
      trainingDays: '0',
      agencyShare: '0',
      agencyPremiumRate: '0',
    },
    staffing: [],
    property: [],
    running: [],
    central: { poolAnnual: '0', basis: 'places', homeUnits: '0', totalUnits: '1' },
    surplus: { rate: '0', capRate: '0' },
    ...overrides,
  };
}

/** One salaried line of `annualSalaryFte` (£36,500 by default: £700.00 a week), no enhancement or cover. */
export function salariedLine(annualSalaryFte = '36500', overrides: Record<string, unknown> = {}) {
  return {
    id: 'a',
    role: 'Residential Child Care Worker',
    group: 'care',
    headcount: 1,
    ftePerPerson: '1',
    annualSalaryFte,
    enhancementRate: '0',
    allowancesAnnualPerPerson: '0',
    requiresCover: false,
    ...overrides,
  };
}
