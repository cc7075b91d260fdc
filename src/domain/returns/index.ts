// The annual financial return for government (pure: no I/O, no clock, no randomness).
//
// One organisation's return is built from plain rows: its homes open during the financial year, the
// fee schedules published for them, the placements (latest versions) and the actual spending by
// code. Everything a figure rests on is computed by the domain functions commissioners already see:
// charges (src/domain/charges), occupancy, the schedules in force and the year-end reconciliation
// (src/domain/reconciliation), one home at a time. The organisation's totals are the sums of its
// homes' figures, penny for penny; its rates are worked out again from those sums.

import {
  type ChargePlacement,
  type ChargeSchedule,
  computeCharges,
  dayOf,
  feesInForce,
  occupancy,
} from '../charges/index.js';
import { exact, formatExact, formatPennies, formatUnits, pow10, ratio } from '../money.js';
import { CATEGORY_OF_CODE, LINE_CODES, type RateTables, type StaffingLine } from '../pricing/index.js';
import { COST_CATEGORIES, type CostCategory, reconcile } from '../reconciliation/index.js';

/** The identifier of the schema every return declares (`schema`), bumped on any change of shape. */
export const ANNUAL_RETURN_SCHEMA = 'urn:cost-plus-care:annual-return:1';
export const STAFF_GROUPS = ['management', 'care', 'support'] as const;
export type StaffGroup = (typeof STAFF_GROUPS)[number];

// ── input ───────────────────────────────────────────────────────────────────────────────────────

export interface ReturnSchedule extends ChargeSchedule {
  surplusRate: string;
  /** The schedule's SHA-256 in its organisation's hash chain (null if published before proofs). */
  hash: string | null;
}

export interface ReturnHomeInput {
  id: string;
  name: string;
  ofstedUrn: string | null;
  hostCouncil: { code: string; name: string };
  registeredPlaces: number;
  openedOn: string;
  closedOn: string | null;
  /** Every schedule of the home effective on or before the year's end. */
  schedules: ReturnSchedule[];
}

export interface ReturnInput {
  financialYear: string;
  period: { start: string; end: string };
  organisation: {
    id: string;
    name: string;
    legalForm: string;
    companiesHouseNumber: string | null;
    /** The surplus cap as a mark-up on cost, e.g. "0.05". */
    capRate: string;
  };
  /** ONS code → council name, for every council met. */
  councilNames: Readonly<Record<string, string>>;
  homes: ReturnHomeInput[];
  /** Placements (latest versions) in these homes overlapping the year. */
  placements: ChargePlacement[];
  /** Actual spending by home and code over the year (latest version of each month). */
  actualCosts: Array<{ homeId: string; code: string; amount: string }>;
  rateTables?: RateTables | undefined;
}

// ── output ──────────────────────────────────────────────────────────────────────────────────────

export interface CouncilAmount {
  councilCode: string;
  councilName: string;
  amount: string;
}
export interface CodeAmount {
  category: CostCategory;
  code: string;
  amount: string;
}
export interface CategoryAmount {
  category: CostCategory;
  amount: string;
}
export interface StaffGroupFigures {
  group: StaffGroup;
  headcount: number;
  fte: string;
}
export interface FeeVersion {
  feeScheduleId: string;
  version: number;
  periodLabel: string;
  effectiveFrom: string;
  inForceFrom: string;
  inForceTo: string;
  daysInForce: number;
  weeklyFeePerChild: string;
  surplusRate: string;
  hash: string | null;
}

export interface Figures {
  registeredPlaces: number;
  occupancy: {
    placeDays: number;
    occupiedDays: number;
    achieved: string | null;
    planned: string | null;
  };
  placements: number;
  unpricedDays: number;
  income: { total: string; byCouncil: CouncilAmount[] };
  actualCosts: { total: string; byCategory: CategoryAmount[]; byCode: CodeAmount[] };
  surplus: {
    realised: string;
    rateOnCost: string | null;
    shareOfIncome: string | null;
    allowed: string;
    excess: string;
    shortfall: string;
  };
  rebates: { total: string; byCouncil: CouncilAmount[] };
  staffing: { headcount: number; fte: string; groups: StaffGroupFigures[] };
}

export interface HomeReturn extends Figures {
  id: string;
  name: string;
  ofstedUrn: string | null;
  hostCouncil: { code: string; name: string };
  openedOn: string;
  closedOn: string | null;
  /** The days of the year the home was open (the occupancy's denominator is places × these days). */
  openFrom: string;
  openTo: string;
  capRate: string;
  outcome: 'within_cap' | 'excess_rebated' | 'overspent' | 'not_assessed';
  agencyShareOfCover: string | null;
  /** The fee schedule whose cost model the staffing figures come from (in force at the year's end). */
  staffingFrom: string | null;
  fees: FeeVersion[];
}

export interface Totals extends Figures {
  homes: number;
}

export interface OrganisationReturn {
  id: string;
  name: string;
  legalForm: string;
  companiesHouseNumber: string | null;
  capRate: string;
  homes: HomeReturn[];
  totals: Totals;
}

// ── building ────────────────────────────────────────────────────────────────────────────────────

const CODE_ORDER: ReadonlyMap<string, number> = new Map(LINE_CODES.map((code, index) => [code, index]));
const RATE_PLACES = 6;

function pennies(text: string): bigint {
  const { units, places } = exact(text);
  return units * pow10(2 - places);
}

/**
 * Actual costs from amounts by code, for a home and for totals alike: the total, every category in
 * the method's order (each the sum of its codes), and each code with spending in the method's order.
 */
function costLines(byCode: ReadonlyMap<string, bigint>): Figures['actualCosts'] {
  const categoryOf = (code: string) =>
    CATEGORY_OF_CODE[code as keyof typeof CATEGORY_OF_CODE] as CostCategory;
  const byCategory = new Map<CostCategory, bigint>(COST_CATEGORIES.map((category) => [category, 0n]));
  let total = 0n;
  for (const [code, amount] of byCode) {
    total += amount;
    byCategory.set(categoryOf(code), byCategory.get(categoryOf(code))! + amount);
  }
  return {
    total: formatPennies(total),
    byCategory: COST_CATEGORIES.map((category) => ({
      category,
      amount: formatPennies(byCategory.get(category)!),
    })),
    byCode: [...byCode.keys()].sort(byCodeOrder).map((code) => ({
      category: categoryOf(code),
      code,
      amount: formatPennies(byCode.get(code)!),
    })),
  };
}

function byCodeOrder(a: string, b: string): number {
  return (CODE_ORDER.get(a) ?? 999) - (CODE_ORDER.get(b) ?? 999);
}

function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Exact decimal sums kept as units at 6 places (FTE, occupancy weights). */
function sixPlaces(text: string): bigint {
  const { units, places } = exact(text);
  return units * pow10(RATE_PLACES - places);
}

function formatSix(units: bigint): string {
  return formatExact({ units, places: RATE_PLACES });
}

function later(a: string, b: string): string {
  return a > b ? a : b;
}
function earlier(a: string, b: string): string {
  return a < b ? a : b;
}

function staffingOf(lines: readonly StaffingLine[] | undefined): Figures['staffing'] {
  const groups = STAFF_GROUPS.map((group) => ({ group, headcount: 0, fte: 0n }));
  for (const line of lines ?? []) {
    const entry = groups.find((candidate) => candidate.group === line.group);
    if (!entry) continue;
    entry.headcount += line.headcount;
    entry.fte += BigInt(line.headcount) * sixPlaces(line.ftePerPerson);
  }
  return {
    headcount: groups.reduce((sum, group) => sum + group.headcount, 0),
    fte: formatSix(groups.reduce((sum, group) => sum + group.fte, 0n)),
    groups: groups.map((group) => ({
      group: group.group,
      headcount: group.headcount,
      fte: formatSix(group.fte),
    })),
  };
}

function councilLines(amounts: ReadonlyMap<string, bigint>, names: Readonly<Record<string, string>>) {
  return [...amounts.keys()].sort(byString).map((councilCode) => ({
    councilCode,
    councilName: names[councilCode] ?? councilCode,
    amount: formatPennies(amounts.get(councilCode)!),
  }));
}

/** The return of one organisation for one financial year. Throws DomainValidationError on bad rows. */
export function buildOrganisationReturn(input: ReturnInput): OrganisationReturn {
  const { period } = input;
  const allSchedules = input.homes.flatMap((home) => home.schedules);
  const charges = computeCharges({
    from: period.start,
    to: period.end,
    schedules: allSchedules,
    placements: input.placements,
    rateTables: input.rateTables,
  });
  const costsByHome = new Map<string, Array<{ code: string; amount: string }>>();
  for (const line of input.actualCosts) {
    const list = costsByHome.get(line.homeId);
    if (list) list.push(line);
    else costsByHome.set(line.homeId, [line]);
  }

  const homes = input.homes.map((home): HomeReturn => {
    const openFrom = later(period.start, home.openedOn);
    const openTo = home.closedOn === null ? period.end : earlier(period.end, home.closedOn);
    const fees = feesInForce({ from: period.start, to: period.end, schedules: home.schedules });
    // planned occupancy weighted by the days each schedule was in force while the home was open
    let plannedWeight = 0n;
    let plannedDays = 0;
    for (const fee of fees) {
      const days = Math.max(0, dayOf(earlier(fee.to, openTo))! - dayOf(later(fee.from, openFrom))! + 1);
      plannedWeight += BigInt(days) * sixPlaces(fee.schedule.model.home.plannedOccupancy);
      plannedDays += days;
    }
    const placements = charges.placements.filter((placement) => placement.homeId === home.id);
    const achieved = occupancy({
      from: openFrom,
      to: openTo,
      registeredPlaces: home.registeredPlaces,
      placements: input.placements
        .filter((placement) => placement.homeId === home.id)
        .map((placement) => ({ start: placement.start, end: placement.end })),
    });
    const homeCosts = costsByHome.get(home.id) ?? [];
    const costByCode = new Map<string, bigint>();
    for (const line of homeCosts) {
      costByCode.set(line.code, (costByCode.get(line.code) ?? 0n) + pennies(line.amount));
    }
    const costTotal = [...costByCode.values()].reduce((sum, amount) => sum + amount, 0n);
    // Credits recorded without the costs they offset can leave a year's ledger below zero: there is
    // then no cost base to apply the cap to, so the home is reported as recorded but not assessed.
    const assessable = costTotal >= 0n;
    const reconciliation = reconcile({
      scope: { kind: 'home', id: home.id },
      period,
      capRate: input.organisation.capRate,
      income: placements.map((placement) => ({
        councilCode: placement.councilCode,
        amount: placement.total,
      })),
      actualCosts: assessable ? homeCosts : [],
    });
    const incomePennies = pennies(reconciliation.income);
    const realised = incomePennies - costTotal;
    const yearEnd = fees.at(-1)?.schedule;
    const names = input.councilNames;
    return {
      id: home.id,
      name: home.name,
      ofstedUrn: home.ofstedUrn,
      hostCouncil: home.hostCouncil,
      openedOn: home.openedOn,
      closedOn: home.closedOn,
      openFrom,
      openTo,
      registeredPlaces: home.registeredPlaces,
      occupancy: {
        placeDays: achieved.placeDays,
        occupiedDays: achieved.occupiedDays,
        achieved: achieved.occupancy,
        planned:
          plannedDays === 0
            ? null
            : ratio(plannedWeight, BigInt(plannedDays) * pow10(RATE_PLACES), RATE_PLACES),
      },
      placements: placements.length,
      unpricedDays: placements.reduce((sum, placement) => sum + placement.unpricedDays, 0),
      fees: fees.map((fee) => {
        const schedule = fee.schedule as ReturnSchedule;
        return {
          feeScheduleId: schedule.id,
          version: schedule.version,
          periodLabel: schedule.periodLabel,
          effectiveFrom: schedule.effectiveFrom,
          inForceFrom: fee.from,
          inForceTo: fee.to,
          daysInForce: fee.days,
          weeklyFeePerChild: schedule.weeklyFeePerChild,
          surplusRate: schedule.surplusRate,
          hash: schedule.hash,
        };
      }),
      income: {
        total: reconciliation.income,
        byCouncil: reconciliation.incomeByCouncil.map((line) => ({
          councilCode: line.councilCode,
          councilName: names[line.councilCode] ?? line.councilCode,
          amount: line.amount,
        })),
      },
      actualCosts: costLines(costByCode),
      surplus: assessable
        ? {
            realised: reconciliation.realisedSurplus,
            rateOnCost: reconciliation.realisedRateOnCost,
            shareOfIncome: reconciliation.realisedShareOfIncome,
            allowed: reconciliation.allowedSurplus,
            excess: reconciliation.excess,
            shortfall: reconciliation.shortfall ?? '0.00',
          }
        : {
            realised: formatPennies(realised),
            rateOnCost: null,
            shareOfIncome: incomePennies === 0n ? null : ratio(realised, incomePennies, RATE_PLACES),
            allowed: '0.00',
            excess: '0.00',
            shortfall: '0.00',
          },
      capRate: reconciliation.capRate,
      outcome: assessable ? reconciliation.outcome : 'not_assessed',
      rebates: {
        total: assessable ? reconciliation.excess : '0.00',
        byCouncil: (assessable ? reconciliation.rebates : []).map((line) => ({
          councilCode: line.councilCode,
          councilName: names[line.councilCode] ?? line.councilCode,
          amount: line.rebate,
        })),
      },
      staffing: staffingOf(yearEnd?.model.staffing),
      staffingFrom: yearEnd?.id ?? null,
      agencyShareOfCover: yearEnd?.model.cover.agencyShare ?? null,
    };
  });

  const capRate = formatUnits(sixPlaces(input.organisation.capRate), RATE_PLACES);
  return {
    id: input.organisation.id,
    name: input.organisation.name,
    legalForm: input.organisation.legalForm,
    companiesHouseNumber: input.organisation.companiesHouseNumber,
    capRate,
    homes,
    totals: sumFigures(homes, input.councilNames),
  };
}

/**
 * Totals of a list of homes (or of organisations' totals): every amount and count is the sum of the
 * parts; occupancy and the surplus rates are worked out again from the summed figures.
 */
export function sumFigures(
  parts: ReadonlyArray<Figures & { homes?: number }>,
  councilNames: Readonly<Record<string, string>>,
): Totals {
  let homes = 0;
  let registeredPlaces = 0;
  let placeDays = 0;
  let occupiedDays = 0;
  let plannedWeight = 0n;
  let plannedPlaceDays = 0;
  let placements = 0;
  let unpricedDays = 0;
  let income = 0n;
  let cost = 0n;
  let allowed = 0n;
  let excess = 0n;
  let shortfall = 0n;
  let rebates = 0n;
  const incomeByCouncil = new Map<string, bigint>();
  const rebatesByCouncil = new Map<string, bigint>();
  const byCode = new Map<string, bigint>();
  const groups = new Map<StaffGroup, { headcount: number; fte: bigint }>(
    STAFF_GROUPS.map((group) => [group, { headcount: 0, fte: 0n }]),
  );
  const add = (map: Map<string, bigint>, key: string, amount: string) =>
    map.set(key, (map.get(key) ?? 0n) + pennies(amount));

  for (const part of parts) {
    homes += part.homes ?? 1;
    registeredPlaces += part.registeredPlaces;
    placeDays += part.occupancy.placeDays;
    occupiedDays += part.occupancy.occupiedDays;
    if (part.occupancy.planned !== null) {
      plannedWeight += BigInt(part.occupancy.placeDays) * sixPlaces(part.occupancy.planned);
      plannedPlaceDays += part.occupancy.placeDays;
    }
    placements += part.placements;
    unpricedDays += part.unpricedDays;
    income += pennies(part.income.total);
    cost += pennies(part.actualCosts.total);
    allowed += pennies(part.surplus.allowed);
    excess += pennies(part.surplus.excess);
    shortfall += pennies(part.surplus.shortfall);
    rebates += pennies(part.rebates.total);
    for (const line of part.income.byCouncil) add(incomeByCouncil, line.councilCode, line.amount);
    for (const line of part.rebates.byCouncil) add(rebatesByCouncil, line.councilCode, line.amount);
    for (const line of part.actualCosts.byCode) add(byCode, line.code, line.amount);
    for (const group of part.staffing.groups) {
      const entry = groups.get(group.group)!;
      entry.headcount += group.headcount;
      entry.fte += sixPlaces(group.fte);
    }
  }
  const surplus = income - cost;
  const staffGroups = STAFF_GROUPS.map((group) => ({
    group,
    headcount: groups.get(group)!.headcount,
    fte: formatSix(groups.get(group)!.fte),
  }));
  return {
    homes,
    registeredPlaces,
    occupancy: {
      placeDays,
      occupiedDays,
      achieved: placeDays === 0 ? null : ratio(BigInt(occupiedDays), BigInt(placeDays), RATE_PLACES),
      planned:
        plannedPlaceDays === 0
          ? null
          : ratio(plannedWeight, BigInt(plannedPlaceDays) * pow10(RATE_PLACES), RATE_PLACES),
    },
    placements,
    unpricedDays,
    income: { total: formatPennies(income), byCouncil: councilLines(incomeByCouncil, councilNames) },
    actualCosts: costLines(byCode),
    surplus: {
      realised: formatPennies(surplus),
      rateOnCost: cost <= 0n ? null : ratio(surplus, cost, RATE_PLACES),
      shareOfIncome: income === 0n ? null : ratio(surplus, income, RATE_PLACES),
      allowed: formatPennies(allowed),
      excess: formatPennies(excess),
      shortfall: formatPennies(shortfall),
    },
    rebates: { total: formatPennies(rebates), byCouncil: councilLines(rebatesByCouncil, councilNames) },
    staffing: {
      headcount: staffGroups.reduce((sum, group) => sum + group.headcount, 0),
      fte: formatSix(staffGroups.reduce((sum, group) => sum + sixPlaces(group.fte), 0n)),
      groups: staffGroups,
    },
  };
}
