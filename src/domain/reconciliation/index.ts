// Year-end reconciliation of a cost-plus price (pure: no I/O, no clock, no randomness).
//
// THE RECONCILIATION RULE (published with every reconciliation)
//
// 1. Totals. Income is the sum of what each council was charged over the period (a council listed
//    more than once is added up). Actual cost is the sum of the actual spending lines, credits
//    (negative lines) included; the total must not be negative. All sums are exact, in pennies.
// 2. Realised surplus = income − actual cost (negative when the home overspent). Its rate on cost is
//    surplus ÷ cost and its share of income is surplus ÷ income, both half-up (away from zero) to 6 dp,
//    and null when the divisor is zero.
// 3. Cap. The allowed surplus is actual cost × cap rate, half-up to the penny: the cap is a mark-up
//    on cost, as in the price. The excess is surplus − allowed surplus when that is above zero, and
//    zero otherwise, so it is never negative and never more than the surplus.
// 4. Outcome. `overspent` when the surplus is below zero (the shortfall, −surplus, is shown and nothing
//    is rebated); `excess_rebated` when the excess is above zero; `within_cap` otherwise.
// 5. Rebates. The excess goes back to the councils in proportion to what each was charged: council i
//    is owed exactly excess × charged_i ÷ income. By §3 largest remainder, each amount is floored to
//    the penny and the pennies left over go one each to the largest remainders, ties to the earlier
//    council in code order, so the rebates add up to the excess exactly. A council charged nothing
//    gets nothing. The 6 dp `share` is shown for reading only: rebates use the exact proportion.
//    There are rebate lines only when there is an excess (which needs income above zero).
// 6. Variance (when a budget is given). For every code in the budget or the actuals, in the closed
//    list's order: difference = actual − budget, and percentage = difference ÷ |budget| × 100, half-up
//    to 2 dp (positive means over budget), null when the budget is zero.
//
// Refused input (DomainValidationError, with a JSON pointer per issue): a scope kind other than
// `home` or `organisation`, or an empty scope id; a period date that is not a real YYYY-MM-DD date, or
// an end before the start; a cap rate that is not a decimal string from 0 to 1 with at most 6 decimal
// places; a money string that is not a plain decimal with at most 2 decimal places; a negative income
// amount; a council code that is not an ONS code of an English upper-tier or unitary council
// (`E06`, `E07`, `E08`, `E09`, `E10` and six digits); a cost or budget code outside the closed list,
// or `SURPLUS` (a surplus is not a cost); a negative total actual cost.

import { dayOf } from '../charges/days.js';
import { DomainValidationError, type FieldIssue } from '../errors.js';
import { allocateUnits, divideHalfUp, exact, formatPennies, formatUnits, pow10, ratio } from '../money.js';
import { CATEGORY_OF_CODE, type Category, LINE_CODES, type LineCode } from '../pricing/codes.js';

/** One sentence stating the rule, repeated on every reconciliation. */
export const RECONCILIATION_RULE =
  'The surplus allowed is actual cost × the cap rate (a mark-up on cost), rounded half-up to the penny; any realised surplus (income − actual cost) above it is the excess, returned to the councils in proportion to what each was charged, allocated by largest remainder (each rebate floored to the penny, the remaining pennies to the largest remainders, ties to the earlier council in code order) so that the rebates add up to the excess exactly; an overspend is shown as a shortfall and rebates nothing.';

/** ONS codes of English unitary, non-metropolitan district, metropolitan, London and county councils. */
export const COUNCIL_CODE = /^E(06|07|08|09|10)\d{6}$/;

/** Categories a cost can fall into (every category of the closed list but the surplus). */
export const COST_CATEGORIES = ['staffing', 'property', 'running', 'central', 'enhancement'] as const;
export type CostCategory = (typeof COST_CATEGORIES)[number];
export type CostCode = Exclude<LineCode, 'SURPLUS'>;

// ── input ───────────────────────────────────────────────────────────────────────────────────────

export interface ReconciliationInput {
  scope: { kind: 'home' | 'organisation'; id: string };
  /** YYYY-MM-DD, both included. */
  period: { start: string; end: string };
  /** The surplus cap as a mark-up on cost, e.g. "0.05". */
  capRate: string;
  /** What each council was charged (money strings ≥ 0); a council may appear more than once. */
  income: Array<{ councilCode: string; amount: string }>;
  /** Actual spending by code (money strings; a line may be a credit, the total may not). */
  actualCosts: Array<{ code: string; amount: string }>;
  /** Budgeted cost by code, for the variance by code. */
  budget?: Array<{ code: string; amount: string }> | undefined;
}

// ── output ──────────────────────────────────────────────────────────────────────────────────────

export type ReconciliationOutcome = 'within_cap' | 'excess_rebated' | 'overspent';

export interface CouncilIncome {
  councilCode: string;
  amount: string;
}

export interface CategoryCost {
  category: CostCategory;
  amount: string;
}

export interface Rebate {
  councilCode: string;
  /** What the council was charged over the period. */
  charged: string;
  /** charged ÷ income, half-up to 6 dp (for reading; the rebate uses the exact proportion). */
  share: string;
  rebate: string;
}

export interface VarianceLine {
  code: CostCode;
  category: CostCategory;
  budget: string;
  actual: string;
  /** actual − budget: positive is an overspend against budget. */
  difference: string;
  /** difference ÷ |budget| × 100, 2 dp; null when the budget is zero. */
  percentage: string | null;
}

export interface Reconciliation {
  scope: { kind: 'home' | 'organisation'; id: string };
  period: { start: string; end: string };
  income: string;
  /** Sorted by council code, amounts added up. */
  incomeByCouncil: CouncilIncome[];
  actualCost: string;
  /** Every cost category in a fixed order, "0.00" when nothing was spent under it. */
  costByCategory: CategoryCost[];
  realisedSurplus: string;
  /** surplus ÷ cost, 6 dp; null when cost is zero. */
  realisedRateOnCost: string | null;
  /** surplus ÷ income, 6 dp; null when income is zero. */
  realisedShareOfIncome: string | null;
  /** The cap rate, 6 dp. */
  capRate: string;
  allowedSurplus: string;
  excess: string;
  outcome: ReconciliationOutcome;
  /** −surplus when overspent, otherwise null. */
  shortfall: string | null;
  /** One line per council (in code order) when there is an excess; otherwise empty. */
  rebates: Rebate[];
  /** One line per code in the budget or the actuals when a budget is given; otherwise null. */
  variance: VarianceLine[] | null;
  rule: string;
}

// ── validation ──────────────────────────────────────────────────────────────────────────────────

const MONEY = /^-?\d+(\.\d{1,2})?$/;
const RATE = /^\d+(\.\d{1,6})?$/;
const RATE_PLACES = 6;
const MONEY_MESSAGE = 'must be a money string with at most 2 decimal places, e.g. "1234.56"';

/** Pennies of a string already checked against MONEY. */
function penniesOf(text: string): bigint {
  const { units, places } = exact(text);
  return units * pow10(2 - places);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const CODE_INDEX: ReadonlyMap<string, number> = new Map(LINE_CODES.map((code, index) => [code, index]));

function isCostCode(code: unknown): code is CostCode {
  return typeof code === 'string' && CODE_INDEX.has(code) && code !== 'SURPLUS';
}

interface CodedAmount {
  code: CostCode;
  pennies: bigint;
}

/** Checks a list of `{ code, amount }` lines (actual costs or budget) and reads it as pennies. */
function checkCodedLines(value: unknown, name: string, issues: FieldIssue[]): CodedAmount[] {
  if (!Array.isArray(value)) {
    issues.push({ pointer: `/${name}`, message: 'must be a list of { code, amount }' });
    return [];
  }
  const lines: CodedAmount[] = [];
  value.forEach((line: unknown, index) => {
    if (!isRecord(line)) {
      issues.push({ pointer: `/${name}/${index}`, message: 'must be an object with code and amount' });
      return;
    }
    let ok = true;
    if (!isCostCode(line.code)) {
      ok = false;
      issues.push({
        pointer: `/${name}/${index}/code`,
        message:
          line.code === 'SURPLUS'
            ? 'SURPLUS is not a cost: the realised surplus is income − actual cost'
            : 'is not a cost code of the closed list',
      });
    }
    if (typeof line.amount !== 'string' || !MONEY.test(line.amount)) {
      ok = false;
      issues.push({ pointer: `/${name}/${index}/amount`, message: MONEY_MESSAGE });
    }
    if (ok) lines.push({ code: line.code as CostCode, pennies: penniesOf(line.amount as string) });
  });
  return lines;
}

interface Checked {
  scope: { kind: 'home' | 'organisation'; id: string };
  period: { start: string; end: string };
  capUnits: bigint;
  income: { councilCode: string; pennies: bigint }[];
  actualCosts: CodedAmount[];
  budget: CodedAmount[] | null;
}

function check(input: ReconciliationInput): Checked {
  const issues: FieldIssue[] = [];
  const raw: Record<string, unknown> = isRecord(input) ? input : {};

  // scope
  const scope = raw.scope;
  if (!isRecord(scope)) {
    issues.push({ pointer: '/scope', message: 'must be an object with kind and id' });
  } else {
    if (scope.kind !== 'home' && scope.kind !== 'organisation') {
      issues.push({ pointer: '/scope/kind', message: 'must be "home" or "organisation"' });
    }
    if (typeof scope.id !== 'string' || scope.id.length === 0) {
      issues.push({ pointer: '/scope/id', message: 'must be a non-empty string' });
    }
  }

  // period
  const period = raw.period;
  if (!isRecord(period)) {
    issues.push({ pointer: '/period', message: 'must be an object with start and end' });
  } else {
    const start = dayOf(period.start);
    const end = dayOf(period.end);
    if (start === undefined) issues.push({ pointer: '/period/start', message: 'must be a date YYYY-MM-DD' });
    if (end === undefined) issues.push({ pointer: '/period/end', message: 'must be a date YYYY-MM-DD' });
    if (start !== undefined && end !== undefined && end < start) {
      issues.push({ pointer: '/period/end', message: 'must not be before the start' });
    }
  }

  // cap rate
  let capUnits = 0n;
  const capRate = raw.capRate;
  if (typeof capRate !== 'string' || !RATE.test(capRate)) {
    issues.push({
      pointer: '/capRate',
      message: 'must be a decimal string from 0 to 1 with at most 6 decimal places, e.g. "0.05"',
    });
  } else {
    const { units, places } = exact(capRate);
    capUnits = units * pow10(RATE_PLACES - places);
    if (capUnits > pow10(RATE_PLACES)) issues.push({ pointer: '/capRate', message: 'must not be above 1' });
  }

  // income
  const income: Checked['income'] = [];
  if (!Array.isArray(raw.income)) {
    issues.push({ pointer: '/income', message: 'must be a list of { councilCode, amount }' });
  } else {
    raw.income.forEach((line: unknown, index) => {
      if (!isRecord(line)) {
        issues.push({
          pointer: `/income/${index}`,
          message: 'must be an object with councilCode and amount',
        });
        return;
      }
      let ok = true;
      if (typeof line.councilCode !== 'string' || !COUNCIL_CODE.test(line.councilCode)) {
        ok = false;
        issues.push({
          pointer: `/income/${index}/councilCode`,
          message: 'must be an ONS council code: E06, E07, E08, E09 or E10 and six digits',
        });
      }
      if (typeof line.amount !== 'string' || !MONEY.test(line.amount)) {
        ok = false;
        issues.push({ pointer: `/income/${index}/amount`, message: MONEY_MESSAGE });
      } else if (penniesOf(line.amount) < 0n) {
        ok = false;
        issues.push({ pointer: `/income/${index}/amount`, message: 'must not be negative' });
      }
      if (ok)
        income.push({ councilCode: line.councilCode as string, pennies: penniesOf(line.amount as string) });
    });
  }

  // actual costs (credits allowed line by line, not in total)
  const actualCosts = checkCodedLines(raw.actualCosts, 'actualCosts', issues);
  if (Array.isArray(raw.actualCosts) && actualCosts.length === raw.actualCosts.length) {
    const total = actualCosts.reduce((sum, line) => sum + line.pennies, 0n);
    if (total < 0n) issues.push({ pointer: '/actualCosts', message: 'must not total below zero' });
  }

  const budget = raw.budget === undefined ? null : checkCodedLines(raw.budget, 'budget', issues);

  if (issues.length > 0) throw new DomainValidationError(issues);
  return {
    scope: {
      kind: (scope as ReconciliationInput['scope']).kind,
      id: (scope as ReconciliationInput['scope']).id,
    },
    period: {
      start: (period as ReconciliationInput['period']).start,
      end: (period as ReconciliationInput['period']).end,
    },
    capUnits,
    income,
    actualCosts,
    budget,
  };
}

// ── arithmetic ──────────────────────────────────────────────────────────────────────────────────

function byCode(lines: readonly CodedAmount[]): Map<CostCode, bigint> {
  const sums = new Map<CostCode, bigint>();
  for (const line of lines) sums.set(line.code, (sums.get(line.code) ?? 0n) + line.pennies);
  return sums;
}

function categoryOfCost(code: CostCode): CostCategory {
  return CATEGORY_OF_CODE[code] as Exclude<Category, 'surplus'>;
}

/** Reconciles a period's income with its actual cost under the surplus cap (see the rule above). */
export function reconcile(input: ReconciliationInput): Reconciliation {
  const checked = check(input);

  // 1. totals
  const chargedByCouncil = new Map<string, bigint>();
  for (const line of checked.income) {
    chargedByCouncil.set(line.councilCode, (chargedByCouncil.get(line.councilCode) ?? 0n) + line.pennies);
  }
  const councils = [...chargedByCouncil.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const charged = councils.map((code) => chargedByCouncil.get(code)!);
  const income = charged.reduce((sum, amount) => sum + amount, 0n);

  const costByCode = byCode(checked.actualCosts);
  const cost = [...costByCode.values()].reduce((sum, amount) => sum + amount, 0n);
  const costByCategory = new Map<CostCategory, bigint>(COST_CATEGORIES.map((category) => [category, 0n]));
  for (const [code, amount] of costByCode) {
    const category = categoryOfCost(code);
    costByCategory.set(category, costByCategory.get(category)! + amount);
  }

  // 2. surplus; 3. cap (cost ≥ 0 and cap ≥ 0, so the half-up division is on non-negatives)
  const surplus = income - cost;
  const allowed = divideHalfUp(cost * checked.capUnits, pow10(RATE_PLACES));
  const excess = surplus > allowed ? surplus - allowed : 0n;

  // 4. outcome
  const outcome: ReconciliationOutcome =
    surplus < 0n ? 'overspent' : excess > 0n ? 'excess_rebated' : 'within_cap';

  // 5. §3 largest remainder: part i is charged_i × excess ÷ income pennies (excess > 0 implies income > 0)
  let rebates: Rebate[] = [];
  if (excess > 0n) {
    const allocated = allocateUnits(charged, income, excess, excess);
    rebates = councils.map((councilCode, index) => ({
      councilCode,
      charged: formatPennies(charged[index]!),
      share: ratio(charged[index]!, income, RATE_PLACES),
      rebate: formatPennies(allocated[index]!),
    }));
  }

  // 6. variance
  let variance: VarianceLine[] | null = null;
  if (checked.budget !== null) {
    const budgetByCode = byCode(checked.budget);
    const codes = [...new Set<CostCode>([...budgetByCode.keys(), ...costByCode.keys()])].sort(
      (a, b) => CODE_INDEX.get(a)! - CODE_INDEX.get(b)!,
    );
    variance = codes.map((code) => {
      const budget = budgetByCode.get(code) ?? 0n;
      const actual = costByCode.get(code) ?? 0n;
      const difference = actual - budget;
      return {
        code,
        category: categoryOfCost(code),
        budget: formatPennies(budget),
        actual: formatPennies(actual),
        difference: formatPennies(difference),
        percentage: budget === 0n ? null : ratio(difference * 100n, budget < 0n ? -budget : budget, 2),
      };
    });
  }

  return {
    scope: checked.scope,
    period: checked.period,
    income: formatPennies(income),
    incomeByCouncil: councils.map((councilCode, index) => ({
      councilCode,
      amount: formatPennies(charged[index]!),
    })),
    actualCost: formatPennies(cost),
    costByCategory: COST_CATEGORIES.map((category) => ({
      category,
      amount: formatPennies(costByCategory.get(category)!),
    })),
    realisedSurplus: formatPennies(surplus),
    realisedRateOnCost: cost === 0n ? null : ratio(surplus, cost, RATE_PLACES),
    realisedShareOfIncome: income === 0n ? null : ratio(surplus, income, RATE_PLACES),
    capRate: formatUnits(checked.capUnits, RATE_PLACES),
    allowedSurplus: formatPennies(allowed),
    excess: formatPennies(excess),
    outcome,
    shortfall: surplus < 0n ? formatPennies(-surplus) : null,
    rebates,
    variance,
    rule: RECONCILIATION_RULE,
  };
}
