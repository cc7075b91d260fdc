// A provider's books for a period, settled: the placements charged at the fee schedules in force (the
// statements' rule), the actual costs and imported months, what the rows naming a related party paid
// it against the allowances of the schedules in force (rule 4), then §7's settlement. The
// reconciliation and the annual return both start here, so they cannot disagree.

import { type ChargePlacement, type ChargeSchedule, type Charges, computeCharges } from '../charges/index.js';
import type { RateTables } from '../pricing/index.js';
import { type CapScope, type Settlement, settle } from './index.js';
import { marketCache, type RelatedPartyAllowance, relatedPartyAllowances } from './related-parties.js';

export interface BooksHome {
  id: string;
  openedOn: string;
  closedOn: string | null;
  /** Every schedule of the home effective on or before the period's end. */
  schedules: readonly ChargeSchedule[];
}

export interface Books {
  organisation: { id: string; capRate: string; capScope: CapScope };
  period: { start: string; end: string };
  homes: readonly BooksHome[];
  /** Placements (latest versions) in these homes overlapping the period. */
  placements: readonly ChargePlacement[];
  /** Actual spending by home and code over the period (latest version of each month). */
  actualCosts: ReadonlyArray<{ homeId: string; code: string; amount: string }>;
  /** The months (YYYY-MM) of each home with an accepted import, nil months included. */
  monthsImported: ReadonlyArray<{ homeId: string; month: string }>;
  /**
   * Rule 4: of `actualCosts`, what the rows naming a related party paid it, by home, party (register
   * reference) and code (latest version of each month). Absent or empty: no row names a party.
   */
  relatedPartyPaid?: ReadonlyArray<{ homeId: string; partyId: string; code: string; amount: string }>;
  /** The organisation's register of related parties (by reference), for the names of rule 4's lines. */
  relatedParties?: ReadonlyArray<{ id: string; name: string; relationship: string }>;
  rateTables?: RateTables | undefined;
}

/** Rule 4's allowances of each home of the books over its period, each schedule priced once. */
export function allowancesOf(
  books: Pick<Books, 'homes' | 'period' | 'rateTables'>,
): Map<string, RelatedPartyAllowance[]> {
  const market = marketCache(books.rateTables);
  return new Map(
    books.homes.map((home) => [
      home.id,
      relatedPartyAllowances({
        from: books.period.start,
        to: books.period.end,
        schedules: home.schedules,
        market,
      }),
    ]),
  );
}

/**
 * Each related party met, by reference, with its name and relationship: the register's, else what the
 * models of the schedules give (the latest schedule's first), so that a party is named even before it
 * was registered.
 */
export function partiesMet(
  books: Pick<Books, 'homes' | 'relatedParties'>,
): Map<string, { name: string; relationship: string }> {
  const parties = new Map<string, { name: string; relationship: string }>();
  for (const party of books.relatedParties ?? []) parties.set(party.id, party);
  for (const home of books.homes) {
    for (const schedule of [...home.schedules].reverse()) {
      for (const party of schedule.model.relatedParties ?? []) {
        if (!parties.has(party.id)) parties.set(party.id, party);
      }
    }
  }
  return parties;
}

function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const list = groups.get(key(row));
    if (list) list.push(row);
    else groups.set(key(row), [row]);
  }
  return groups;
}

/**
 * Charges the period and settles it (§7), for the whole organisation or, with `homeId`, one of its
 * homes. `asOf` is the day of working: before the period has ended the settlement is provisional.
 */
export function settleBooks(
  books: Books,
  options: { asOf: string; homeId?: string | undefined },
): { charges: Charges; settlement: Settlement } {
  const { homeId } = options;
  const homes = homeId === undefined ? books.homes : books.homes.filter((home) => home.id === homeId);
  const inScope = new Set(homes.map((home) => home.id));
  const charges = computeCharges({
    from: books.period.start,
    to: books.period.end,
    schedules: homes.flatMap((home) => home.schedules),
    placements: books.placements.filter((placement) => inScope.has(placement.homeId)),
    rateTables: books.rateTables,
  });
  const incomeByHome = groupBy(charges.placements, (placement) => placement.homeId);
  const costsByHome = groupBy(books.actualCosts, (line) => line.homeId);
  const monthsByHome = groupBy(books.monthsImported, (entry) => entry.homeId);
  const paidByHome = groupBy(books.relatedPartyPaid ?? [], (line) => line.homeId);
  const allowances = allowancesOf({ ...books, homes });
  const settlement = settle({
    scope:
      homeId === undefined
        ? { kind: 'organisation', id: books.organisation.id }
        : { kind: 'home', id: homeId },
    capScope: books.organisation.capScope,
    capRate: books.organisation.capRate,
    period: books.period,
    asOf: options.asOf,
    relatedParties: [...partiesMet(books)].map(([id, { name }]) => ({ id, name })),
    homes: homes.map((home) => ({
      id: home.id,
      openedOn: home.openedOn,
      closedOn: home.closedOn,
      income: (incomeByHome.get(home.id) ?? []).map((placement) => ({
        councilCode: placement.councilCode,
        amount: placement.total,
      })),
      monthsImported: (monthsByHome.get(home.id) ?? []).map((entry) => entry.month),
      actualCosts: costsByHome.get(home.id) ?? [],
      relatedPartyPaid: (paidByHome.get(home.id) ?? []).map(({ partyId, code, amount }) => ({
        partyId,
        code,
        amount,
      })),
      relatedPartyAllowances: allowances.get(home.id) ?? [],
    })),
  });
  return { charges, settlement };
}
