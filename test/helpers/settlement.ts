import {
  monthsBetween,
  type SettlementHomeInput,
  type SettlementInput,
} from '../../src/domain/settlement/index.js';

/**
 * Builders of settlement inputs for one financial year, for hand-worked settlement tests: a home open
 * all year with every month imported, and an organisation-scope input at a 5% cap, each with overrides.
 */
export function settlementOf(year: { start: string; end: string }, defaults: Partial<SettlementInput>) {
  const everyMonth = monthsBetween(year.start, year.end);
  const home = (id: string, overrides: Partial<SettlementHomeInput> = {}): SettlementHomeInput => ({
    id,
    openedOn: '2020-01-01',
    closedOn: null,
    income: [],
    monthsImported: everyMonth,
    actualCosts: [],
    ...overrides,
  });
  const input = (overrides: Partial<SettlementInput> = {}): SettlementInput => ({
    scope: { kind: 'organisation', id: 'org-1' },
    capScope: 'organisation',
    capRate: '0.05',
    period: year,
    asOf: '2027-06-01',
    homes: [],
    ...defaults,
    ...overrides,
  });
  return { everyMonth, home, input };
}
