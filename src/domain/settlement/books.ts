// A provider's books for a period, settled: the placements charged at the fee schedules in force (the
// statements' rule), the actual costs and imported months, then §7's settlement. The reconciliation
// and the annual return both start here, so they cannot disagree.

import { type ChargePlacement, type ChargeSchedule, type Charges, computeCharges } from '../charges/index.js';
import type { RateTables } from '../pricing/index.js';
import { type CapScope, type Settlement, settle } from './index.js';

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
  rateTables?: RateTables | undefined;
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
  const settlement = settle({
    scope:
      homeId === undefined
        ? { kind: 'organisation', id: books.organisation.id }
        : { kind: 'home', id: homeId },
    capScope: books.organisation.capScope,
    capRate: books.organisation.capRate,
    period: books.period,
    asOf: options.asOf,
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
    })),
  });
  return { charges, settlement };
}
