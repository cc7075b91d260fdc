// The annual financial return for government (pure: no I/O, no clock, no randomness).
//
// One organisation's return is built from its books for the financial year (src/domain/settlement/
// books.ts): its homes open during the year, the fee schedules published for them, the placements
// (latest versions), the actual spending by code and the months imported. What is owed — income, cost,
// surplus, the allowed surplus, the excess and the rebates — is the year-end settlement (§7), the very
// function the reconciliation calls; the return adds the facts government asks for (places, occupancy,
// fee versions, staffing). The organisation's income, cost and counts are the sums of its homes' to
// the penny; its cap figures are the settlement's, at the level the cap is tested on. Related-party
// transactions (method §7, settlement rule item 4) are the settlement's lines: each home's paid,
// allowance and excess per party and code, the organisation's added up by party and code.

import { type ChargeSchedule, dayOf, feesInForce, occupancy } from '../charges/index.js';
import { formatExact, formatPennies, formatUnits, penniesOf, pow10, ratio, unitsAt } from '../money.js';
import type { StaffingLine } from '../pricing/index.js';
import { type Books, type BooksHome, partiesMet, settleBooks } from '../settlement/books.js';
import {
  type CapScope,
  type CostCategory,
  type CostCode,
  categoryOfCost,
  costBreakdown,
  type SettlementFigures,
  type SettlementOutcome,
  type SettlementStatus,
  sharesOf,
} from '../settlement/index.js';

/** The identifier of the schema every return declares (`schema`), bumped on any change of shape. */
export const ANNUAL_RETURN_SCHEMA = 'urn:cost-plus-care:annual-return:3';
export const STAFF_GROUPS = ['management', 'care', 'support'] as const;
export type StaffGroup = (typeof STAFF_GROUPS)[number];

// ── input ───────────────────────────────────────────────────────────────────────────────────────

export interface ReturnSchedule extends ChargeSchedule {
  surplusRate: string;
  /** The schedule's SHA-256 in its organisation's hash chain (null if published before proofs). */
  hash: string | null;
}

export interface ReturnHomeInput extends BooksHome {
  name: string;
  ofstedUrn: string | null;
  /** ONS code of the council the home is in. */
  hostCouncil: string;
  registeredPlaces: number;
  /** Every schedule of the home effective on or before the year's end. */
  schedules: ReturnSchedule[];
}

export interface ReturnInput extends Books {
  financialYear: string;
  organisation: Books['organisation'] & {
    name: string;
    legalForm: string;
    companiesHouseNumber: string | null;
  };
  /** ONS code → council name, for every council met. */
  councilNames: Readonly<Record<string, string>>;
  homes: ReturnHomeInput[];
  /** The day the return is made: before the year's end its settlement is provisional. */
  asOf: string;
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
/** A related-party transaction of the year (method §7): paid, allowed and the excess. */
export interface RelatedPartyTransaction {
  /** The party's reference in the organisation's register. */
  partyId: string;
  partyName: string | null;
  relationship: string | null;
  category: CostCategory;
  code: string;
  paid: string;
  allowance: string;
  excess: string;
}

export interface CouncilRebate {
  councilCode: string;
  councilName: string;
  charged: string;
  share: string;
  rebate: string;
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
  /** Placement days charged at a fee schedule after its own period's end (§7 held over). */
  heldOverDays: number;
  income: { total: string; byCouncil: CouncilAmount[] };
  actualCosts: { total: string; byCategory: CategoryAmount[]; byCode: CodeAmount[] };
  surplus: {
    realised: string;
    rateOnCost: string | null;
    shareOfIncome: string | null;
    /** Null where the cap is not tested (or the books are not settled). */
    allowed: string | null;
    excess: string | null;
    shortfall: string | null;
  };
  rebates: { total: string | null; byCouncil: CouncilRebate[] };
  /** Method §7: the related-party excess and the figures the cap is tested on (summable). */
  relatedParties: { excess: string; adjustedCost: string; adjustedSurplus: string };
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
  /** Whether the cap is tested on this home alone (the organisation's scope is `home`). */
  capTested: boolean;
  outcome: SettlementOutcome;
  /** Months (YYYY-MM) the home was open without an accepted import of its actuals. */
  missingMonths: string[];
  agencyShareOfCover: string | null;
  /** The fee schedule whose cost model the staffing figures come from (in force at the year's end). */
  staffingFrom: string | null;
  fees: FeeVersion[];
  /** Each related party and code the home paid or its fee schedules allow for (method §7). */
  relatedPartyTransactions: RelatedPartyTransaction[];
}

export interface Totals extends Figures {
  homes: number;
}

/** Who the provider is and how its cap applies: the facts the return and the books share. */
export interface OrganisationFacts {
  id: string;
  name: string;
  legalForm: string;
  companiesHouseNumber: string | null;
  capRate: string;
  capScope: CapScope;
}

export interface OrganisationReturn extends OrganisationFacts {
  /** final, or provisional (the year has not ended) or incomplete (months missing): then nothing is owed. */
  status: SettlementStatus;
  outcome: SettlementOutcome;
  missingMonths: Array<{ homeId: string; month: string }>;
  /** The homes' related-party transactions added up by party and code (excesses added, never offset). */
  relatedPartyTransactions: RelatedPartyTransaction[];
  homes: HomeReturn[];
  totals: Totals;
}

// ── building ────────────────────────────────────────────────────────────────────────────────────

const RATE_PLACES = 6;

/** Actual costs from amounts by code (for totals), by the settlement's rule. */
function costLines(byCode: ReadonlyMap<string, bigint>): Figures['actualCosts'] {
  const costs = costBreakdown(byCode as ReadonlyMap<CostCode, bigint>);
  return { total: formatPennies(costs.total), byCategory: costs.byCategory, byCode: costs.byCode };
}

function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Exact decimal sums kept as units at 6 places (FTE, occupancy weights). */
function sixPlaces(text: string): bigint {
  return unitsAt(text, RATE_PLACES);
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

/** Rebates summed by council, each with its share of them all (6 dp, adding up to 1: §7). */
function rebateLines(
  byCouncil: ReadonlyMap<string, { charged: bigint; rebate: bigint }>,
  names: Readonly<Record<string, string>>,
): CouncilRebate[] {
  const councils = [...byCouncil.keys()].sort(byString);
  const amounts = councils.map((code) => byCouncil.get(code)!.rebate);
  const total = amounts.reduce((sum, amount) => sum + amount, 0n);
  const shares = total > 0n ? sharesOf(amounts, total) : councils.map(() => formatUnits(0n, RATE_PLACES));
  return councils.map((councilCode, index) => ({
    councilCode,
    councilName: names[councilCode] ?? councilCode,
    charged: formatPennies(byCouncil.get(councilCode)!.charged),
    share: shares[index]!,
    rebate: formatPennies(amounts[index]!),
  }));
}

/** The settlement's related-party lines as the return's transactions, with the register's facts. */
function transactions(
  figures: SettlementFigures,
  relationships: ReadonlyMap<string, string>,
): RelatedPartyTransaction[] {
  return figures.relatedParties.map((line) => ({
    partyId: line.partyId,
    partyName: line.name ?? null,
    relationship: relationships.get(line.partyId) ?? null,
    category: categoryOfCost(line.code),
    code: line.code,
    paid: line.paid,
    allowance: line.allowance,
    excess: line.excess,
  }));
}

/** The settlement's figures in the return's shape (income, costs, surplus, rebates, related parties). */
function settled(
  figures: SettlementFigures,
  names: Readonly<Record<string, string>>,
): Pick<Figures, 'income' | 'actualCosts' | 'surplus' | 'rebates' | 'relatedParties'> {
  return {
    income: {
      total: figures.income,
      byCouncil: figures.incomeByCouncil.map((line) => ({
        councilCode: line.councilCode,
        councilName: names[line.councilCode] ?? line.councilCode,
        amount: line.amount,
      })),
    },
    actualCosts: {
      total: figures.actualCost,
      byCategory: figures.costByCategory,
      byCode: figures.costByCode,
    },
    surplus: {
      realised: figures.realisedSurplus,
      rateOnCost: figures.realisedRateOnCost,
      shareOfIncome: figures.realisedShareOfIncome,
      allowed: figures.allowedSurplus,
      excess: figures.excess,
      shortfall: figures.shortfall,
    },
    rebates: {
      total: figures.excess,
      byCouncil: figures.rebates.map((line) => ({
        councilCode: line.councilCode,
        councilName: names[line.councilCode] ?? line.councilCode,
        charged: line.charged,
        share: line.share,
        rebate: line.rebate,
      })),
    },
    relatedParties: {
      excess: figures.relatedPartyExcess,
      adjustedCost: figures.adjustedCost,
      adjustedSurplus: figures.adjustedSurplus,
    },
  };
}

/** The return of one organisation for one financial year. Throws DomainValidationError on bad rows. */
export function buildOrganisationReturn(input: ReturnInput): OrganisationReturn {
  const { period } = input;
  const names = input.councilNames;
  const { charges, settlement } = settleBooks(input, { asOf: input.asOf });
  const homeSettlements = new Map(settlement.homes.map((home) => [home.homeId, home]));
  const relationships = new Map([...partiesMet(input)].map(([id, party]) => [id, party.relationship]));

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
    const own = homeSettlements.get(home.id)!;
    const yearEnd = fees.at(-1)?.schedule;
    return {
      id: home.id,
      name: home.name,
      ofstedUrn: home.ofstedUrn,
      hostCouncil: { code: home.hostCouncil, name: names[home.hostCouncil] ?? home.hostCouncil },
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
      heldOverDays: placements.reduce((sum, placement) => sum + placement.heldOverDays, 0),
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
      ...settled(own, names),
      relatedPartyTransactions: transactions(own, relationships),
      capRate: settlement.capRate,
      capTested: own.capTested,
      outcome: own.outcome,
      missingMonths: own.missingMonths,
      staffing: staffingOf(yearEnd?.model.staffing),
      staffingFrom: yearEnd?.id ?? null,
      agencyShareOfCover: yearEnd?.model.cover.agencyShare ?? null,
    };
  });

  return {
    id: input.organisation.id,
    name: input.organisation.name,
    legalForm: input.organisation.legalForm,
    companiesHouseNumber: input.organisation.companiesHouseNumber,
    capRate: settlement.capRate,
    capScope: settlement.capScope,
    status: settlement.status,
    outcome: settlement.outcome,
    missingMonths: settlement.missingMonths,
    relatedPartyTransactions: transactions(settlement, relationships),
    homes,
    // counts and occupancy are the homes' sums; what is owed is the settlement's, as tested
    totals: { ...sumFigures(homes, names), ...settled(settlement, names) },
  };
}

/**
 * Totals of a list of homes (or of organisations' totals): every amount and count is the sum of the
 * parts; occupancy and the surplus rates are worked out again from the summed figures. The cap
 * figures (allowed, excess, shortfall, rebates) add up the parts that state them, and are null when
 * none does.
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
  let heldOverDays = 0;
  let income = 0n;
  let cost = 0n;
  let relatedExcess = 0n;
  const capSums = { allowed: null, excess: null, shortfall: null, rebates: null } as Record<
    'allowed' | 'excess' | 'shortfall' | 'rebates',
    bigint | null
  >;
  const addCap = (key: keyof typeof capSums, amount: string | null) => {
    if (amount !== null) capSums[key] = (capSums[key] ?? 0n) + penniesOf(amount);
  };
  const incomeByCouncil = new Map<string, bigint>();
  const rebatesByCouncil = new Map<string, { charged: bigint; rebate: bigint }>();
  const byCode = new Map<string, bigint>();
  const groups = new Map<StaffGroup, { headcount: number; fte: bigint }>(
    STAFF_GROUPS.map((group) => [group, { headcount: 0, fte: 0n }]),
  );
  const add = (map: Map<string, bigint>, key: string, amount: string) =>
    map.set(key, (map.get(key) ?? 0n) + penniesOf(amount));

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
    heldOverDays += part.heldOverDays;
    income += penniesOf(part.income.total);
    cost += penniesOf(part.actualCosts.total);
    relatedExcess += penniesOf(part.relatedParties.excess);
    addCap('allowed', part.surplus.allowed);
    addCap('excess', part.surplus.excess);
    addCap('shortfall', part.surplus.shortfall);
    addCap('rebates', part.rebates.total);
    for (const line of part.income.byCouncil) add(incomeByCouncil, line.councilCode, line.amount);
    for (const line of part.rebates.byCouncil) {
      const entry = rebatesByCouncil.get(line.councilCode) ?? { charged: 0n, rebate: 0n };
      entry.charged += penniesOf(line.charged);
      entry.rebate += penniesOf(line.rebate);
      rebatesByCouncil.set(line.councilCode, entry);
    }
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
  const money = (value: bigint | null) => (value === null ? null : formatPennies(value));
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
    heldOverDays,
    income: { total: formatPennies(income), byCouncil: councilLines(incomeByCouncil, councilNames) },
    actualCosts: costLines(byCode),
    surplus: {
      realised: formatPennies(surplus),
      rateOnCost: cost <= 0n ? null : ratio(surplus, cost, RATE_PLACES),
      shareOfIncome: income === 0n ? null : ratio(surplus, income, RATE_PLACES),
      allowed: money(capSums.allowed),
      excess: money(capSums.excess),
      shortfall: money(capSums.shortfall),
    },
    rebates: {
      total: money(capSums.rebates),
      byCouncil: rebateLines(rebatesByCouncil, councilNames),
    },
    relatedParties: {
      excess: formatPennies(relatedExcess),
      adjustedCost: formatPennies(cost - relatedExcess),
      adjustedSurplus: formatPennies(surplus + relatedExcess),
    },
    staffing: {
      headcount: staffGroups.reduce((sum, group) => sum + group.headcount, 0),
      fte: formatSix(staffGroups.reduce((sum, group) => sum + sixPlaces(group.fte), 0n)),
      groups: staffGroups,
    },
  };
}
