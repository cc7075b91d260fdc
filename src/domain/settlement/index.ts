// The year-end settlement (method §7): one rule, one function, for every document that states what a
// provider owes its councils — the reconciliation (preview, frozen, council statements, its page) and
// the annual return (JSON, CSV, XLSX, the all-providers stream). Pure: no I/O, no clock, no randomness
// (the day it is worked out on is an input).
//
// THE SETTLEMENT RULE (version 3, published with every settlement; version 2 had no item 4)
//
// 1. Income is what the statements charge each council (the day-exact charging rule); cost is the
//    latest accepted import of each month's actual spending, credits included. Both are exact sums in
//    pennies. Realised surplus = income − cost; its rate on cost and share of income are half-up (away
//    from zero) to 6 dp, null when the divisor is not above zero.
// 2. Complete books. Every month the home was open in the period needs an accepted import (a month
//    with no spending is imported as an explicit nil month). A period that has not ended on the day
//    of working is `provisional`; one that has ended with a month missing is `incomplete`, listing the
//    missing months. Neither states an allowed surplus, an excess or a rebate: no rebate is due, and
//    neither can be frozen.
// 3. Scope of the cap, the organisation's policy. `organisation` (the default): the cap is tested on
//    the whole provider — its homes' incomes and costs are added up, one home's overspend offsets
//    another's surplus, and the home figures are shown for information only. `home`: each home is
//    tested alone, a home's shortfall offsets nothing, and each home settles on its own books (one
//    home's missing month does not hold up another home's rebate).
// 4. Related-party excess (method §7, with §6). Actual spending rows may name a related party (its
//    register reference). Per home, party and code: paid = the rows of that home naming the party
//    with that code over the period (the latest import of each month, as costs are taken);
//    allowance = the market amounts of the home's fee schedules in force, pro rata by days
//    (src/domain/settlement/related-parties.ts: annual market amount × days in force ÷ the schedule's
//    days in period, summed exactly, half-up to the penny once; 0.00 where no schedule in force gives
//    one); excess = max(0, paid − allowance). A home's related-party excess is the sum over its
//    parties and codes, an organisation's the sum over its homes: one home's (or code's) payment
//    below market never offsets another's above it. Adjusted surplus = realised surplus + excess;
//    adjusted cost = cost − excess. With no row naming a related party both equal the realised
//    figures and nothing below changes.
// 5. The cap. Allowed surplus = adjusted cost × cap rate, half-up to the penny (a mark-up on cost, as
//    in the price). Excess over the cap = adjusted surplus − allowed surplus when that is above zero,
//    else zero: never negative. Without related-party excess it is never more than the realised
//    surplus (under `organisation`, the provider's); with it, it can be — even when the realised
//    surplus is below zero, the outcome is then `excess_rebated` (what was paid to related parties
//    above market is surplus taken out as cost). An adjusted cost below zero (credits without the costs
//    they offset) has no base for the cap: the outcome is `not_assessed`.
// 6. Rebates. The excess over the cap goes back to the councils in proportion to what each paid:
//    under `organisation` to all the provider was paid, under `home` to what that home was paid (the
//    provider's rebate to a council is then the sum of its homes' rebates). Each rebate is floored to
//    the penny and the pennies left go one each to the largest remainders, ties to the earlier council
//    in code order, so the rebates add up to the excess exactly. Shares (6 dp) are allocated the same
//    way, so they add up to 1.
//
// Refused input (DomainValidationError, a JSON pointer per issue): bad dates or an end before the
// start; a cap rate that is not a decimal from 0 to 1 with at most 6 places; a cap scope other than
// `organisation` or `home`; money that is not a plain decimal with at most 2 places, or income or an
// allowance below zero; a council code that is not an English ONS code; a cost code outside the closed
// list (or SURPLUS); a related party id that is not a non-empty string; a month that is not YYYY-MM;
// the same home twice.

import { dayOf } from '../charges/days.js';
import { DomainValidationError, type FieldIssue } from '../errors.js';
import {
  allocateUnits,
  divideHalfUp,
  formatPennies,
  formatUnits,
  penniesOf,
  pow10,
  ratio,
  unitsAt,
} from '../money.js';
import { CATEGORY_OF_CODE, type Category, LINE_CODES, type LineCode } from '../pricing/codes.js';

/**
 * The version of the settlement rule a document was made by: 3 since related-party excess (method §7);
 * 2 for reconciliations frozen before it, 1 for those frozen before the year-end settlement.
 */
export const SETTLEMENT_RULE_VERSION = 3;

export const SETTLEMENT_RULE =
  'Settlement rule v3 (method §7): income is what the statements charged, cost the latest accepted actuals of each month; a period is settled only when it has ended and every month of every home has an accepted import (nil months included), otherwise it is provisional or incomplete and no rebate is due. Related-party excess: for each home, related party and code, the allowance is the market amount of the fee schedules in force, pro rata by days (annual market amount × days in force ÷ days in the schedule’s period, summed exactly, half-up to the penny), and the excess is what the actuals paid the party under that code less the allowance, when above zero; a home’s excess is the sum of its parties’ and codes’, an organisation’s the sum of its homes’ (a payment below market never offsets another above it). Adjusted surplus = realised surplus + related-party excess; adjusted cost = cost − related-party excess. The surplus allowed is adjusted cost × the cap rate, half-up to the penny; the adjusted surplus above it is the excess (which related-party excess can make more than the realised surplus). Under the organisation scope the cap is tested on the whole provider and the excess is shared among the councils in proportion to all they paid; under the home scope each home is tested alone and its excess shared among the councils that paid that home. Rebates are floored to the penny and the remaining pennies go to the largest remainders (ties to the earlier council code), so they add up to the excess exactly.';

export const CAP_SCOPES = ['organisation', 'home'] as const;
export type CapScope = (typeof CAP_SCOPES)[number];

/** ONS codes of English unitary, non-metropolitan district, metropolitan, London and county councils. */
export const COUNCIL_CODE = /^E(06|07|08|09|10)\d{6}$/;

/** Categories a cost can fall into (every category of the closed list but the surplus). */
export const COST_CATEGORIES = ['staffing', 'property', 'running', 'central', 'enhancement'] as const;
export type CostCategory = (typeof COST_CATEGORIES)[number];
export type CostCode = Exclude<LineCode, 'SURPLUS'>;

// ── input ───────────────────────────────────────────────────────────────────────────────────────

export interface SettlementHomeInput {
  id: string;
  /** The days the home was open (YYYY-MM-DD; closedOn null while open): its months need books. */
  openedOn: string;
  closedOn: string | null;
  /** What each council was charged for this home's placements (a council may appear more than once). */
  income: ReadonlyArray<{ councilCode: string; amount: string }>;
  /** Months (YYYY-MM) with an accepted import, nil months included. */
  monthsImported: readonly string[];
  /** Actual spending by code, the latest import of each month (credits allowed). */
  actualCosts: ReadonlyArray<{ code: string; amount: string }>;
  /**
   * Rule 4: of `actualCosts`, what the rows naming a related party paid it, by party (its register
   * reference) and code (a party and code may appear more than once: they are added up).
   */
  relatedPartyPaid?: ReadonlyArray<{ partyId: string; code: string; amount: string }> | undefined;
  /** Rule 4: the allowance per party and code over the period (src/domain/settlement/related-parties.ts). */
  relatedPartyAllowances?: ReadonlyArray<{ partyId: string; code: string; amount: string }> | undefined;
}

export interface SettlementInput {
  /** What is settled: the whole organisation, or one of its homes. */
  scope: { kind: 'organisation' | 'home'; id: string };
  capScope: CapScope;
  /** The surplus cap as a mark-up on cost, e.g. "0.05". */
  capRate: string;
  /** YYYY-MM-DD, both included. */
  period: { start: string; end: string };
  /** The day the settlement is worked out on: the period has ended when this is after its end. */
  asOf: string;
  homes: readonly SettlementHomeInput[];
  /** The names of the related parties (the register's, by reference), for the lines of rule 4. */
  relatedParties?: ReadonlyArray<{ id: string; name: string }> | undefined;
}

// ── output ──────────────────────────────────────────────────────────────────────────────────────

export type SettlementStatus = 'provisional' | 'incomplete' | 'final';
export type SettlementOutcome =
  | 'provisional'
  | 'incomplete'
  | 'not_assessed'
  | 'information_only'
  | 'within_cap'
  | 'excess_rebated'
  | 'overspent';
export const SETTLEMENT_OUTCOMES: readonly SettlementOutcome[] = [
  'provisional',
  'incomplete',
  'not_assessed',
  'information_only',
  'within_cap',
  'excess_rebated',
  'overspent',
];

export interface CouncilIncome {
  councilCode: string;
  amount: string;
}
export interface CategoryCost {
  category: CostCategory;
  amount: string;
}
export interface CodeCost {
  category: CostCategory;
  code: CostCode;
  amount: string;
}
export interface Rebate {
  councilCode: string;
  /** What the council paid the provider (or, for a home, that home) over the period. */
  charged: string;
  /** The council's share of the excess, 6 dp, allocated by largest remainder (the shares add up to 1). */
  share: string;
  rebate: string;
}

/** Rule 4: what was paid one related party under one code, against its allowance. */
export interface RelatedPartyLine {
  /** The party's register reference (the id cost models and actual spending rows name). */
  partyId: string;
  /** The party's name, when known (the register's, else the fee schedules' models'). */
  name?: string;
  code: CostCode;
  /** What the rows naming the party with this code paid over the period. */
  paid: string;
  /** The market amounts of the fee schedules in force, pro rata by days, half-up. */
  allowance: string;
  /**
   * max(0, paid − allowance) for a home; for a provider, the sum of its homes' excesses (which may be
   * more than its paid − allowance: one home's payment below market offsets nothing).
   */
  excess: string;
}

export interface SettlementFigures {
  income: string;
  /** Sorted by council code, amounts added up. */
  incomeByCouncil: CouncilIncome[];
  actualCost: string;
  /** Every cost category in a fixed order, "0.00" when nothing was spent under it. */
  costByCategory: CategoryCost[];
  /** Each code with spending, in the closed list's order. */
  costByCode: CodeCost[];
  realisedSurplus: string;
  realisedRateOnCost: string | null;
  realisedShareOfIncome: string | null;
  /** Rule 4: the sum of the related-party lines' excesses ("0.00" when no row names a related party). */
  relatedPartyExcess: string;
  /** Rule 4: realised surplus + related-party excess: the surplus the cap is tested on. */
  adjustedSurplus: string;
  /** Rule 4: actual cost − related-party excess: the cost the cap is a mark-up on. */
  adjustedCost: string;
  /** Rule 4: each related party and code paid or allowed for, by party id then code order. */
  relatedParties: RelatedPartyLine[];
  /** Adjusted cost × cap rate; null when the cap is not tested here or the books are not settled. */
  allowedSurplus: string | null;
  /** Adjusted surplus above the allowed surplus (≥ 0); null as allowedSurplus. */
  excess: string | null;
  /** −surplus when the surplus is below zero; null as allowedSurplus, and "0.00" otherwise. */
  shortfall: string | null;
  outcome: SettlementOutcome;
  /** One line per council charged (code order) when there is an excess; otherwise empty. */
  rebates: Rebate[];
}

export interface HomeSettlement extends SettlementFigures {
  homeId: string;
  /** Whether the cap is tested on this home (the `home` scope). */
  capTested: boolean;
  /** Months (YYYY-MM) the home was open in the period without an accepted import. */
  missingMonths: string[];
}

export interface Settlement extends SettlementFigures {
  ruleVersion: typeof SETTLEMENT_RULE_VERSION;
  scope: { kind: 'organisation' | 'home'; id: string };
  period: { start: string; end: string };
  capScope: CapScope;
  /** The cap rate, 6 dp. */
  capRate: string;
  status: SettlementStatus;
  missingMonths: Array<{ homeId: string; month: string }>;
  /** In input order. */
  homes: HomeSettlement[];
  rule: string;
}

// ── validation ──────────────────────────────────────────────────────────────────────────────────

const MONEY = /^-?\d+(\.\d{1,2})?$/;
const RATE = /^\d+(\.\d{1,6})?$/;
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const RATE_PLACES = 6;
const MONEY_MESSAGE = 'must be a money string with at most 2 decimal places, e.g. "1234.56"';
const CODE_INDEX: ReadonlyMap<string, number> = new Map(LINE_CODES.map((code, index) => [code, index]));

function isCostCode(code: unknown): code is CostCode {
  return typeof code === 'string' && CODE_INDEX.has(code) && code !== 'SURPLUS';
}

export function categoryOfCost(code: CostCode): CostCategory {
  return CATEGORY_OF_CODE[code] as Exclude<Category, 'surplus'>;
}

/** Cost codes in the closed list's order. */
export function byCodeOrder(a: string, b: string): number {
  return (CODE_INDEX.get(a) ?? 999) - (CODE_INDEX.get(b) ?? 999);
}

interface Books {
  id: string;
  /** Council code → pennies charged. */
  charged: Map<string, bigint>;
  /** Cost code → pennies spent. */
  costByCode: Map<CostCode, bigint>;
  related: RelatedByParty;
  missingMonths: string[];
}

/** Checks a `{ code, amount }` list and adds it up by code, in pennies. */
export function costsByCode(
  lines: ReadonlyArray<{ code: string; amount: string }>,
  at: string,
  issues: FieldIssue[],
): Map<CostCode, bigint> {
  const sums = new Map<CostCode, bigint>();
  lines.forEach((line, index) => {
    let ok = true;
    if (!isCostCode(line.code)) {
      ok = false;
      issues.push({
        pointer: `${at}/${index}/code`,
        message:
          line.code === 'SURPLUS'
            ? 'SURPLUS is not a cost: the realised surplus is income − actual cost'
            : 'is not a cost code of the closed list',
      });
    }
    if (typeof line.amount !== 'string' || !MONEY.test(line.amount)) {
      ok = false;
      issues.push({ pointer: `${at}/${index}/amount`, message: MONEY_MESSAGE });
    }
    if (ok) {
      const code = line.code as CostCode;
      sums.set(code, (sums.get(code) ?? 0n) + penniesOf(line.amount));
    }
  });
  return sums;
}

/** The months (YYYY-MM) from the month of `from` to the month of `to`, both included. */
export function monthsBetween(from: string, to: string): string[] {
  const months: string[] = [];
  let year = Number(from.slice(0, 4));
  let month = Number(from.slice(5, 7));
  const last = to.slice(0, 7);
  for (;;) {
    const label = `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}`;
    if (label > last) break;
    months.push(label);
    month += 1;
    if (month === 13) {
      month = 1;
      year += 1;
    }
  }
  return months;
}

function checkHome(
  home: SettlementHomeInput,
  at: string,
  period: { start: string; end: string } | undefined,
  issues: FieldIssue[],
): Books {
  if (typeof home.id !== 'string' || home.id.length === 0)
    issues.push({ pointer: `${at}/id`, message: 'must be a non-empty string' });
  const opened = dayOf(home.openedOn);
  const closed = home.closedOn === null ? null : dayOf(home.closedOn);
  if (opened === undefined) issues.push({ pointer: `${at}/openedOn`, message: 'must be a date YYYY-MM-DD' });
  if (closed === undefined)
    issues.push({ pointer: `${at}/closedOn`, message: 'must be a date YYYY-MM-DD or null' });

  const charged = new Map<string, bigint>();
  home.income.forEach((line, index) => {
    let ok = true;
    if (typeof line.councilCode !== 'string' || !COUNCIL_CODE.test(line.councilCode)) {
      ok = false;
      issues.push({
        pointer: `${at}/income/${index}/councilCode`,
        message: 'must be an ONS council code: E06, E07, E08, E09 or E10 and six digits',
      });
    }
    if (typeof line.amount !== 'string' || !MONEY.test(line.amount)) {
      ok = false;
      issues.push({ pointer: `${at}/income/${index}/amount`, message: MONEY_MESSAGE });
    } else if (penniesOf(line.amount) < 0n) {
      ok = false;
      issues.push({ pointer: `${at}/income/${index}/amount`, message: 'must not be negative' });
    }
    if (ok) charged.set(line.councilCode, (charged.get(line.councilCode) ?? 0n) + penniesOf(line.amount));
  });

  const imported = new Set<string>();
  home.monthsImported.forEach((month, index) => {
    if (typeof month !== 'string' || !MONTH.test(month))
      issues.push({ pointer: `${at}/monthsImported/${index}`, message: 'must be a month YYYY-MM' });
    else imported.add(month);
  });

  const costByCode = costsByCode(home.actualCosts, `${at}/actualCosts`, issues);
  const related: RelatedByParty = new Map();
  addRelatedPartyLines(home.relatedPartyPaid, at, 'relatedPartyPaid', related, issues);
  addRelatedPartyLines(home.relatedPartyAllowances, at, 'relatedPartyAllowances', related, issues);

  // §7 complete books: every month the home was open in the period
  let missingMonths: string[] = [];
  if (period && opened !== undefined && closed !== undefined) {
    // biome-ignore lint/complexity/useMathMinMax: ISO dates compared as strings, not numbers
    const from = home.openedOn > period.start ? home.openedOn : period.start;
    const to = home.closedOn !== null && home.closedOn < period.end ? home.closedOn : period.end;
    if (from <= to) missingMonths = monthsBetween(from, to).filter((month) => !imported.has(month));
  }
  return { id: home.id, charged, costByCode, related, missingMonths };
}

/** Rule 4: party id → code → pennies paid and allowed. */
type RelatedByParty = Map<string, Map<CostCode, { paid: bigint; allowance: bigint }>>;

type RelatedPartyField = 'relatedPartyPaid' | 'relatedPartyAllowances';

/** Checks a home's related-party payments or allowances, adding the valid lines to `related` (rule 4). */
function addRelatedPartyLines(
  lines: SettlementHomeInput['relatedPartyPaid'],
  at: string,
  field: RelatedPartyField,
  related: RelatedByParty,
  issues: FieldIssue[],
): void {
  (lines ?? []).forEach((line, index) => {
    if (!relatedPartyLineOk(line, `${at}/${field}/${index}`, field, issues)) return;
    const code = line.code as CostCode;
    const byCode = related.get(line.partyId) ?? new Map<CostCode, { paid: bigint; allowance: bigint }>();
    const entry = byCode.get(code) ?? { paid: 0n, allowance: 0n };
    if (field === 'relatedPartyPaid') entry.paid += penniesOf(line.amount);
    else entry.allowance += penniesOf(line.amount);
    byCode.set(code, entry);
    related.set(line.partyId, byCode);
  });
}

/** Records the issues of one related-party line, in order; whether it has none. */
function relatedPartyLineOk(
  line: NonNullable<SettlementHomeInput['relatedPartyPaid']>[number],
  pointer: string,
  field: RelatedPartyField,
  issues: FieldIssue[],
): boolean {
  let ok = true;
  if (typeof line.partyId !== 'string' || line.partyId.length === 0) {
    ok = false;
    issues.push({ pointer: `${pointer}/partyId`, message: 'must be a non-empty string' });
  }
  if (!isCostCode(line.code)) {
    ok = false;
    issues.push({ pointer: `${pointer}/code`, message: 'is not a cost code of the closed list' });
  }
  if (typeof line.amount !== 'string' || !MONEY.test(line.amount)) {
    ok = false;
    issues.push({ pointer: `${pointer}/amount`, message: MONEY_MESSAGE });
  } else if (field === 'relatedPartyAllowances' && penniesOf(line.amount) < 0n) {
    ok = false;
    issues.push({ pointer: `${pointer}/amount`, message: 'must not be negative' });
  }
  return ok;
}

interface Checked {
  scope: SettlementInput['scope'];
  period: { start: string; end: string };
  capScope: CapScope;
  capUnits: bigint;
  ended: boolean;
  homes: Books[];
  partyNames: ReadonlyMap<string, string>;
}

function check(input: SettlementInput): Checked {
  const issues: FieldIssue[] = [];
  if (input.scope?.kind !== 'home' && input.scope?.kind !== 'organisation')
    issues.push({ pointer: '/scope/kind', message: 'must be "home" or "organisation"' });
  if (typeof input.scope?.id !== 'string' || input.scope.id.length === 0)
    issues.push({ pointer: '/scope/id', message: 'must be a non-empty string' });
  if (!(CAP_SCOPES as readonly string[]).includes(input.capScope))
    issues.push({ pointer: '/capScope', message: 'must be "organisation" or "home"' });

  const start = dayOf(input.period?.start);
  const end = dayOf(input.period?.end);
  if (start === undefined) issues.push({ pointer: '/period/start', message: 'must be a date YYYY-MM-DD' });
  if (end === undefined) issues.push({ pointer: '/period/end', message: 'must be a date YYYY-MM-DD' });
  if (start !== undefined && end !== undefined && end < start)
    issues.push({ pointer: '/period/end', message: 'must not be before the start' });
  const asOf = dayOf(input.asOf);
  if (asOf === undefined) issues.push({ pointer: '/asOf', message: 'must be a date YYYY-MM-DD' });

  let capUnits = 0n;
  if (typeof input.capRate !== 'string' || !RATE.test(input.capRate)) {
    issues.push({
      pointer: '/capRate',
      message: 'must be a decimal string from 0 to 1 with at most 6 decimal places, e.g. "0.05"',
    });
  } else {
    capUnits = unitsAt(input.capRate, RATE_PLACES);
    if (capUnits > pow10(RATE_PLACES)) issues.push({ pointer: '/capRate', message: 'must not be above 1' });
  }

  const periodOk = start !== undefined && end !== undefined && end >= start;
  const seen = new Set<string>();
  const homes = input.homes.map((home, index) => {
    if (seen.has(home.id))
      issues.push({ pointer: `/homes/${index}/id`, message: 'is the id of an earlier home' });
    seen.add(home.id);
    return checkHome(home, `/homes/${index}`, periodOk ? input.period : undefined, issues);
  });

  const partyNames = new Map<string, string>();
  (input.relatedParties ?? []).forEach((party, index) => {
    if (typeof party.id !== 'string' || party.id.length === 0)
      issues.push({ pointer: `/relatedParties/${index}/id`, message: 'must be a non-empty string' });
    else if (typeof party.name === 'string' && !partyNames.has(party.id))
      partyNames.set(party.id, party.name);
  });

  if (issues.length > 0) throw new DomainValidationError(issues);
  return {
    scope: { kind: input.scope.kind, id: input.scope.id },
    period: { start: input.period.start, end: input.period.end },
    capScope: input.capScope,
    capUnits,
    ended: asOf! > end!,
    homes,
    partyNames,
  };
}

// ── arithmetic ──────────────────────────────────────────────────────────────────────────────────

function sortedCodes<K extends string>(map: ReadonlyMap<K, unknown>): K[] {
  return [...map.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function addInto<K>(target: Map<K, bigint>, source: ReadonlyMap<K, bigint>): void {
  for (const [key, amount] of source) target.set(key, (target.get(key) ?? 0n) + amount);
}

/** §7 shares (6 dp) of parts by largest remainder, adding up to 1 (parts ≥ 0 summing to total > 0). */
export function sharesOf(parts: readonly bigint[], total: bigint): string[] {
  return allocateUnits(parts, total, pow10(RATE_PLACES), pow10(RATE_PLACES)).map((units) =>
    formatUnits(units, RATE_PLACES),
  );
}

/** Rebates of `excess` in proportion to what each council paid (§7, rule 5). */
function rebatesInProportion(charged: ReadonlyMap<string, bigint>, excess: bigint): Rebate[] {
  const councils = sortedCodes(charged);
  const paid = councils.map((code) => charged.get(code)!);
  const income = paid.reduce((sum, amount) => sum + amount, 0n);
  if (excess <= 0n || income <= 0n) return [];
  const amounts = allocateUnits(paid, income, excess, excess);
  const shares = sharesOf(paid, income);
  return councils.map((councilCode, index) => ({
    councilCode,
    charged: formatPennies(paid[index]!),
    share: shares[index]!,
    rebate: formatPennies(amounts[index]!),
  }));
}

interface Tested {
  allowed: bigint;
  excess: bigint;
  surplus: bigint;
  outcome: 'not_assessed' | 'within_cap' | 'excess_rebated' | 'overspent';
}

/**
 * §7 rule 5: the cap on one set of books, on the surplus and cost adjusted by the related-party
 * excess (rule 4; 0 when no row names a related party, and then exactly the test on the realised
 * figures). Overspent only when nothing is over the cap: an excess is owed even on a realised loss.
 */
function testCap(income: bigint, cost: bigint, relatedExcess: bigint, capUnits: bigint): Tested {
  const surplus = income - cost;
  const adjustedSurplus = surplus + relatedExcess;
  const adjustedCost = cost - relatedExcess;
  if (adjustedCost < 0n) return { allowed: 0n, excess: 0n, surplus, outcome: 'not_assessed' };
  const allowed = divideHalfUp(adjustedCost * capUnits, pow10(RATE_PLACES));
  const excess = adjustedSurplus > allowed ? adjustedSurplus - allowed : 0n;
  const outcome = excess > 0n ? 'excess_rebated' : surplus < 0n ? 'overspent' : 'within_cap';
  return { allowed, excess, surplus, outcome };
}

type Related = ReadonlyMap<
  string,
  ReadonlyMap<CostCode, { paid: bigint; allowance: bigint; excess: bigint }>
>;

/** Rule 4 for one home: each party and code's excess, max(0, paid − allowance). */
function homeRelated(books: Books): Related {
  const result = new Map<string, Map<CostCode, { paid: bigint; allowance: bigint; excess: bigint }>>();
  for (const [partyId, byCode] of books.related) {
    const lines = new Map<CostCode, { paid: bigint; allowance: bigint; excess: bigint }>();
    for (const [code, { paid, allowance }] of byCode) {
      lines.set(code, { paid, allowance, excess: paid > allowance ? paid - allowance : 0n });
    }
    result.set(partyId, lines);
  }
  return result;
}

/** Rule 4 for a provider: its homes' lines added up by party and code (excesses added, not offset). */
function addRelated(parts: readonly Related[]): Related {
  const result = new Map<string, Map<CostCode, { paid: bigint; allowance: bigint; excess: bigint }>>();
  for (const part of parts) {
    for (const [partyId, byCode] of part) {
      const lines =
        result.get(partyId) ?? new Map<CostCode, { paid: bigint; allowance: bigint; excess: bigint }>();
      for (const [code, line] of byCode) {
        const entry = lines.get(code) ?? { paid: 0n, allowance: 0n, excess: 0n };
        lines.set(code, {
          paid: entry.paid + line.paid,
          allowance: entry.allowance + line.allowance,
          excess: entry.excess + line.excess,
        });
      }
      result.set(partyId, lines);
    }
  }
  return result;
}

function relatedExcessOf(related: Related): bigint {
  let excess = 0n;
  for (const byCode of related.values()) for (const line of byCode.values()) excess += line.excess;
  return excess;
}

/** The published lines of rule 4: by party id, then the closed list's code order. */
function relatedLinesOf(related: Related, names: ReadonlyMap<string, string>): RelatedPartyLine[] {
  return sortedCodes(related).flatMap((partyId) => {
    const byCode = related.get(partyId)!;
    const name = names.get(partyId);
    return [...byCode.keys()].sort(byCodeOrder).map((code) => {
      const line = byCode.get(code)!;
      return {
        partyId,
        ...(name === undefined ? {} : { name }),
        code,
        paid: formatPennies(line.paid),
        allowance: formatPennies(line.allowance),
        excess: formatPennies(line.excess),
      };
    });
  });
}

/**
 * Actual costs from amounts by code: the total, every category in the method's order (each the sum of
 * its codes), and each code with spending in the closed list's order.
 */
export function costBreakdown(costByCode: ReadonlyMap<CostCode, bigint>): {
  total: bigint;
  byCategory: CategoryCost[];
  byCode: CodeCost[];
} {
  const byCategory = new Map<CostCategory, bigint>(COST_CATEGORIES.map((category) => [category, 0n]));
  let total = 0n;
  for (const [code, amount] of costByCode) {
    total += amount;
    byCategory.set(categoryOfCost(code), byCategory.get(categoryOfCost(code))! + amount);
  }
  return {
    total,
    byCategory: COST_CATEGORIES.map((category) => ({
      category,
      amount: formatPennies(byCategory.get(category)!),
    })),
    byCode: [...costByCode.keys()].sort(byCodeOrder).map((code) => ({
      category: categoryOfCost(code),
      code,
      amount: formatPennies(costByCode.get(code)!),
    })),
  };
}

/** Income, cost, the realised surplus and rule 4's adjusted figures of a set of books, as published. */
function figuresOf(
  charged: ReadonlyMap<string, bigint>,
  costByCode: ReadonlyMap<CostCode, bigint>,
  related: Related,
  names: ReadonlyMap<string, string>,
) {
  const councils = sortedCodes(charged);
  const income = councils.reduce((sum, code) => sum + charged.get(code)!, 0n);
  const costs = costBreakdown(costByCode);
  const cost = costs.total;
  const surplus = income - cost;
  const relatedExcess = relatedExcessOf(related);
  return {
    income,
    cost,
    relatedExcess,
    published: {
      income: formatPennies(income),
      incomeByCouncil: councils.map((councilCode) => ({
        councilCode,
        amount: formatPennies(charged.get(councilCode)!),
      })),
      actualCost: formatPennies(cost),
      costByCategory: costs.byCategory,
      costByCode: costs.byCode,
      realisedSurplus: formatPennies(surplus),
      realisedRateOnCost: cost <= 0n ? null : ratio(surplus, cost, RATE_PLACES),
      realisedShareOfIncome: income === 0n ? null : ratio(surplus, income, RATE_PLACES),
      relatedPartyExcess: formatPennies(relatedExcess),
      adjustedSurplus: formatPennies(surplus + relatedExcess),
      adjustedCost: formatPennies(cost - relatedExcess),
      relatedParties: relatedLinesOf(related, names),
    },
  };
}

const NOT_TESTED = { allowedSurplus: null, excess: null, shortfall: null, rebates: [] as Rebate[] };

/** The published cap figures of books that are settled and tested. */
function capFigures(tested: Tested, rebates: Rebate[]) {
  if (tested.outcome === 'not_assessed') return { ...NOT_TESTED, outcome: tested.outcome };
  return {
    allowedSurplus: formatPennies(tested.allowed),
    excess: formatPennies(tested.excess),
    shortfall: formatPennies(tested.surplus < 0n ? -tested.surplus : 0n),
    outcome: tested.outcome,
    rebates,
  };
}

/** Settles a period by the rule at the top of this file. Throws DomainValidationError on bad input. */
export function settle(input: SettlementInput): Settlement {
  const checked = check(input);
  const { capScope, capUnits, ended } = checked;
  const unsettled = (missing: readonly string[]): SettlementOutcome | null =>
    !ended ? 'provisional' : missing.length > 0 ? 'incomplete' : null;

  const charged = new Map<string, bigint>();
  const costByCode = new Map<CostCode, bigint>();
  const relatedByHome: Related[] = [];
  const homes: HomeSettlement[] = checked.homes.map((books) => {
    addInto(charged, books.charged);
    addInto(costByCode, books.costByCode);
    const related = homeRelated(books);
    relatedByHome.push(related);
    const { income, cost, relatedExcess, published } = figuresOf(
      books.charged,
      books.costByCode,
      related,
      checked.partyNames,
    );
    const capTested = capScope === 'home';
    const pending = unsettled(books.missingMonths);
    const cap =
      pending !== null
        ? { ...NOT_TESTED, outcome: pending }
        : !capTested
          ? { ...NOT_TESTED, outcome: 'information_only' as const }
          : (() => {
              const tested = testCap(income, cost, relatedExcess, capUnits);
              return capFigures(tested, rebatesInProportion(books.charged, tested.excess));
            })();
    return {
      homeId: books.id,
      capTested,
      missingMonths: books.missingMonths,
      ...published,
      ...cap,
    };
  });

  const missingMonths = checked.homes.flatMap((books) =>
    books.missingMonths.map((month) => ({ homeId: books.id, month })),
  );
  const { income, cost, relatedExcess, published } = figuresOf(
    charged,
    costByCode,
    addRelated(relatedByHome),
    checked.partyNames,
  );
  const status: SettlementStatus = !ended ? 'provisional' : missingMonths.length > 0 ? 'incomplete' : 'final';

  let cap: Pick<SettlementFigures, 'allowedSurplus' | 'excess' | 'shortfall' | 'outcome' | 'rebates'>;
  if (capScope === 'organisation') {
    const pending = unsettled(missingMonths.map((entry) => entry.month));
    if (pending !== null) cap = { ...NOT_TESTED, outcome: pending };
    else if (checked.scope.kind === 'home') cap = { ...NOT_TESTED, outcome: 'information_only' };
    else {
      const tested = testCap(income, cost, relatedExcess, capUnits);
      cap = capFigures(tested, rebatesInProportion(charged, tested.excess));
    }
  } else {
    cap = homeScopeTotals(homes, income - cost, status);
  }

  return {
    ruleVersion: SETTLEMENT_RULE_VERSION,
    scope: checked.scope,
    period: checked.period,
    capScope,
    capRate: formatUnits(capUnits, RATE_PLACES),
    status,
    missingMonths,
    ...published,
    ...cap,
    homes,
    rule: SETTLEMENT_RULE,
  };
}

/**
 * Under the `home` scope the provider's figures are its homes' added up: the allowed surplus, excess
 * and shortfall of the homes tested, and each council's rebate the sum of what each home owes it.
 */
function homeScopeTotals(
  homes: readonly HomeSettlement[],
  surplus: bigint,
  status: SettlementStatus,
): Pick<SettlementFigures, 'allowedSurplus' | 'excess' | 'shortfall' | 'outcome' | 'rebates'> {
  const settled = homes.filter((home) => home.allowedSurplus !== null);
  if (status === 'provisional') return { ...NOT_TESTED, outcome: 'provisional' };
  let allowed = 0n;
  let excess = 0n;
  let shortfall = 0n;
  for (const home of settled) {
    allowed += penniesOf(home.allowedSurplus!);
    excess += penniesOf(home.excess!);
    shortfall += penniesOf(home.shortfall!);
  }
  const rebates = excess > 0n ? homeScopeRebates(homes, settled, excess) : [];
  const outcome = homeScopeOutcome(homes, settled.length, excess, surplus, status);
  return {
    allowedSurplus: formatPennies(allowed),
    excess: formatPennies(excess),
    shortfall: formatPennies(shortfall),
    outcome,
    rebates,
  };
}

/**
 * Rule 6 under the `home` scope: the provider's rebate to a council is the sum of its settled homes'
 * rebates to it, each council listed with what all the homes charged it and its share of the excess.
 */
function homeScopeRebates(
  homes: readonly HomeSettlement[],
  settled: readonly HomeSettlement[],
  excess: bigint,
): Rebate[] {
  const rebateByCouncil = new Map<string, bigint>();
  const chargedByCouncil = new Map<string, bigint>();
  for (const home of settled) {
    for (const line of home.rebates) {
      rebateByCouncil.set(
        line.councilCode,
        (rebateByCouncil.get(line.councilCode) ?? 0n) + penniesOf(line.rebate),
      );
    }
  }
  for (const home of homes) {
    for (const line of home.incomeByCouncil) {
      chargedByCouncil.set(
        line.councilCode,
        (chargedByCouncil.get(line.councilCode) ?? 0n) + penniesOf(line.amount),
      );
    }
  }
  const councils = sortedCodes(chargedByCouncil);
  const amounts = councils.map((code) => rebateByCouncil.get(code) ?? 0n);
  const shares = sharesOf(amounts, excess);
  return councils.map((councilCode, index) => ({
    councilCode,
    charged: formatPennies(chargedByCouncil.get(councilCode)!),
    share: shares[index]!,
    rebate: formatPennies(amounts[index]!),
  }));
}

/** The provider's outcome under the `home` scope, from its homes' (settled: those given an allowed surplus). */
function homeScopeOutcome(
  homes: readonly HomeSettlement[],
  settledHomes: number,
  excess: bigint,
  surplus: bigint,
  status: SettlementStatus,
): SettlementOutcome {
  if (status === 'incomplete') return 'incomplete';
  if (settledHomes === 0 && homes.some((home) => home.outcome === 'not_assessed')) return 'not_assessed';
  if (excess > 0n) return 'excess_rebated';
  return surplus < 0n ? 'overspent' : 'within_cap';
}
