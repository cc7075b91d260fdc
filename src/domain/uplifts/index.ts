// Framework uplifts: how a council's framework would move a fee each year (pure: no I/O, no clock).
//
// THE UPLIFT RULE (published with every uplift notice)
//
// 1. Index figures. NLW and RLW are hourly rates, each in force from its date; CPI is the 12-month
//    rate (a fraction: 0.021 is 2.1%) dated by the month it is for. The change of a rate series
//    (NLW, RLW) as at a day is the figure in force that day ÷ the figure in force on the same day a
//    year before − 1, half-up to 10 decimal places; the change of CPI as at a day is its latest
//    figure dated on or before that day. A FIXED term's change is its own rate.
// 2. The uplift as at a day is Σ weight × change over the formula's terms, exactly; each `lowerOf`
//    alternative is worked out the same way and the lowest of them all is taken; then the floor (if
//    any) and the cap (if any) bound it; the result is rounded half-up (away from zero) to 4 decimal
//    places, 0.01%, which is the rate applied.
// 3. The framework fee. The uplift is applied at each of the formula's anniversaries after the old
//    fee took effect, up to and including the day the new fee takes effect: fee × (1 + uplift as at
//    the anniversary), half-up to the penny, once per anniversary. With no anniversary in between,
//    the framework allows the old fee.
// 4. Notice. A notice is issued the day the new fee is published. A rise applies to the council from
//    the later of the day the new fee takes effect and the day the notice period ends (issue day +
//    notice days); a fee that does not rise applies from the day it takes effect.
//
// Refused input (DomainValidationError, a JSON pointer per issue) is checked by the formula's schema
// (schema.ts); a figure missing for a term is not an error here: the result names what is missing
// and has no rate, so that a notice can still be issued and say why it has no framework figure.

import { dayOf, isoOf } from '../charges/days.js';
import {
  addExact,
  compareExact,
  type Exact,
  exact,
  formatExact,
  formatPennies,
  multiplyExact,
  penniesOf,
  pow10,
  ratio,
} from '../money.js';

export const INDEX_SERIES = ['NLW', 'RLW', 'CPI'] as const;
export type IndexSeries = (typeof INDEX_SERIES)[number];
export const TERM_INDICES = [...INDEX_SERIES, 'FIXED'] as const;
export type TermIndex = (typeof TERM_INDICES)[number];

/** Series whose figures are hourly rates (their change is a ratio); CPI's figures are changes already. */
export const RATE_SERIES: readonly IndexSeries[] = ['NLW', 'RLW'];

export const INDEX_NAMES: Record<TermIndex, string> = {
  NLW: 'National Living Wage',
  RLW: 'Real Living Wage',
  CPI: 'Consumer Prices Index (12-month rate)',
  FIXED: 'Fixed rate',
};

/** One published figure of an index, with where it was published. */
export interface IndexValue {
  series: IndexSeries;
  /** YYYY-MM-DD: the day an hourly rate is in force from, or the last day of CPI's month. */
  date: string;
  /** An hourly rate in pounds (NLW, RLW) or a 12-month rate as a fraction (CPI). */
  value: string;
  source: string;
  sourceUrl: string;
}

export interface UpliftTerm {
  index: TermIndex;
  /** A fraction of the cost the term moves (0.4 = 40%). */
  weight: string;
  /** FIXED only: the rate (a fraction). */
  rate?: string | undefined;
}

export interface UpliftFormula {
  /** The framework's name, as the council calls it. */
  framework: string;
  terms: UpliftTerm[];
  /** "Lower of" rules: alternatives worked out like `terms`; the lowest of all is taken. */
  lowerOf: Array<{ terms: UpliftTerm[] }>;
  floor: string | null;
  cap: string | null;
  /** The framework provides for a review when this index's change passes `above`. */
  reviewWhen: { index: IndexSeries; above: string } | null;
  noticeDays: number;
  /** MM-DD: the day each year the framework's prices move. */
  anniversary: string;
}

/** A figure an uplift used (or could not find). */
export interface FigureUsed extends IndexValue {
  /** What the figure is used as: the level now, the level a year before, or the rate. */
  role: 'current' | 'year_before' | 'rate';
}

export interface TermResult {
  index: TermIndex;
  weight: string;
  /** The term's change (a fraction, up to 10 dp), null when a figure is missing. */
  change: string | null;
  /** weight × change, exactly; null when a figure is missing. */
  contribution: string | null;
  figures: FigureUsed[];
}

export interface UpliftResult {
  /** The day the uplift is worked out as at (an anniversary). */
  on: string;
  terms: TermResult[];
  /** Σ contributions of `terms`, exactly. */
  weightedSum: string | null;
  alternatives: Array<{ terms: TermResult[]; weightedSum: string | null }>;
  /** Which was lowest: -1 for `terms`, else the index of the `lowerOf` alternative. */
  lowestOf: number | null;
  floorApplied: boolean;
  capApplied: boolean;
  /** The rate applied, half-up to 4 dp (a fraction); null when a figure is missing. */
  rate: string | null;
  /** `rate` as a percentage with 2 dp, e.g. "1.50". */
  percentage: string | null;
  /** Why there is no rate: the figures missing, in words. */
  missing: string[];
  review: { index: IndexSeries; above: string; change: string; triggered: boolean } | null;
}

const CHANGE_PLACES = 10;
const RATE_PLACES = 4;

/** The figure of `series` in force on `day` (latest date on or before it), or undefined. */
function inForce(values: readonly IndexValue[], series: IndexSeries, day: string): IndexValue | undefined {
  let best: IndexValue | undefined;
  for (const value of values) {
    if (value.series !== series || value.date > day) continue;
    if (best === undefined || value.date > best.date) best = value;
  }
  return best;
}

/** The same calendar day a year before (29 February → 28 February). */
export function yearBefore(day: string): string {
  const year = Number(day.slice(0, 4)) - 1;
  const candidate = `${year}${day.slice(4)}`;
  return dayOf(candidate) === undefined ? `${year}-02-28` : candidate;
}

function termResult(term: UpliftTerm, values: readonly IndexValue[], on: string, missing: string[]) {
  const result: TermResult = {
    index: term.index,
    weight: term.weight,
    change: null,
    contribution: null,
    figures: [],
  };
  let change: Exact | undefined;
  if (term.index === 'FIXED') {
    change = exact(term.rate ?? '0');
  } else if (term.index === 'CPI') {
    const figure = inForce(values, 'CPI', on);
    if (figure === undefined) missing.push(`no CPI figure dated on or before ${on}`);
    else {
      result.figures.push({ ...figure, role: 'rate' });
      change = exact(figure.value);
    }
  } else {
    const before = yearBefore(on);
    const current = inForce(values, term.index, on);
    const previous = inForce(values, term.index, before);
    if (current === undefined) missing.push(`no ${term.index} figure in force on ${on}`);
    if (previous === undefined) missing.push(`no ${term.index} figure in force on ${before}`);
    if (current !== undefined) result.figures.push({ ...current, role: 'current' });
    if (previous !== undefined) result.figures.push({ ...previous, role: 'year_before' });
    if (current !== undefined && previous !== undefined) {
      const a = exact(current.value);
      const b = exact(previous.value);
      // (a − b) ÷ b, half-up to CHANGE_PLACES, on whole units
      const numerator = a.units * pow10(b.places) - b.units * pow10(a.places);
      const denominator = b.units * pow10(a.places);
      change = exact(ratio(numerator, denominator, CHANGE_PLACES));
    }
  }
  if (change !== undefined) {
    result.change = formatExact(change);
    result.contribution = formatExact(multiplyExact(exact(term.weight), change));
  }
  return { result, change };
}

function weighted(
  terms: readonly UpliftTerm[],
  values: readonly IndexValue[],
  on: string,
  missing: string[],
) {
  const results: TermResult[] = [];
  let sum: Exact | undefined = { units: 0n, places: 0 };
  for (const term of terms) {
    const { result, change } = termResult(term, values, on, missing);
    results.push(result);
    if (change === undefined || sum === undefined) sum = undefined;
    else sum = addExact(sum, multiplyExact(exact(term.weight), change));
  }
  return { results, sum };
}

/** The framework's uplift as at `on` (rule 2). */
export function upliftAt(formula: UpliftFormula, values: readonly IndexValue[], on: string): UpliftResult {
  const missing: string[] = [];
  const main = weighted(formula.terms, values, on, missing);
  const alternatives = formula.lowerOf.map((alternative) => weighted(alternative.terms, values, on, missing));
  let review: UpliftResult['review'] = null;
  if (formula.reviewWhen !== null) {
    const { index, above } = formula.reviewWhen;
    const probe = termResult({ index, weight: '1' }, values, on, []);
    if (probe.change !== undefined) {
      review = {
        index,
        above,
        change: formatExact(probe.change),
        triggered: compareExact(probe.change, exact(above)) > 0,
      };
    }
  }
  const base: UpliftResult = {
    on,
    terms: main.results,
    weightedSum: main.sum === undefined ? null : formatExact(main.sum),
    alternatives: alternatives.map((alternative) => ({
      terms: alternative.results,
      weightedSum: alternative.sum === undefined ? null : formatExact(alternative.sum),
    })),
    lowestOf: null,
    floorApplied: false,
    capApplied: false,
    rate: null,
    percentage: null,
    missing: [...new Set(missing)],
    review,
  };
  if (main.sum === undefined || alternatives.some((alternative) => alternative.sum === undefined))
    return base;
  let lowest = main.sum;
  let lowestOf = -1;
  alternatives.forEach((alternative, index) => {
    if (compareExact(alternative.sum!, lowest) < 0) {
      lowest = alternative.sum!;
      lowestOf = index;
    }
  });
  let bounded = lowest;
  let floorApplied = false;
  let capApplied = false;
  if (formula.floor !== null && compareExact(bounded, exact(formula.floor)) < 0) {
    bounded = exact(formula.floor);
    floorApplied = true;
  }
  if (formula.cap !== null && compareExact(bounded, exact(formula.cap)) > 0) {
    bounded = exact(formula.cap);
    capApplied = true;
  }
  const rate = ratio(bounded.units, pow10(bounded.places), RATE_PLACES);
  return {
    ...base,
    lowestOf,
    floorApplied,
    capApplied,
    rate,
    percentage: ratio(exact(rate).units * 100n, pow10(RATE_PLACES), 2),
  };
}

/** The formula's anniversaries after `after` up to and including `upTo` (YYYY-MM-DD each). */
export function anniversariesBetween(anniversary: string, after: string, upTo: string): string[] {
  const days: string[] = [];
  const first = Number(after.slice(0, 4));
  const last = Number(upTo.slice(0, 4));
  for (let year = first; year <= last; year += 1) {
    let day = `${year}-${anniversary}`;
    if (dayOf(day) === undefined) day = `${year}-02-28`; // a 29 February anniversary in a common year
    if (day > after && day <= upTo) days.push(day);
  }
  return days;
}

/** A fee × (1 + rate), half-up to the penny. */
export function upliftFee(fee: string, rate: string): string {
  const pennies = penniesOf(fee);
  const factor = exact(rate);
  const scale = pow10(factor.places);
  return formatPennies(BigInt(ratio(pennies * (scale + factor.units), scale, 0)));
}

export interface FrameworkFee {
  /** One uplift per anniversary passed (rule 3), in date order. */
  uplifts: UpliftResult[];
  /** The old fee moved by each uplift in turn; null when a figure is missing. */
  fee: string | null;
  /** The compound rate frameworkFee ÷ oldFee − 1 as a percentage (2 dp); null with `fee`. */
  percentage: string | null;
}

/** What the framework would allow for a fee that took effect on `oldEffectiveFrom`, on `newEffectiveFrom` (rule 3). */
export function frameworkFee(
  formula: UpliftFormula,
  values: readonly IndexValue[],
  fees: { oldFee: string; oldEffectiveFrom: string; newEffectiveFrom: string },
): FrameworkFee {
  const uplifts = anniversariesBetween(formula.anniversary, fees.oldEffectiveFrom, fees.newEffectiveFrom).map(
    (day) => upliftAt(formula, values, day),
  );
  let fee: string | null = fees.oldFee;
  for (const uplift of uplifts)
    fee = fee === null || uplift.rate === null ? null : upliftFee(fee, uplift.rate);
  const old = penniesOf(fees.oldFee);
  return {
    uplifts,
    fee,
    percentage: fee === null || old === 0n ? null : ratio((penniesOf(fee) - old) * 100n, old, 2),
  };
}

/** Rule 4: the day a new fee applies to a council given notice on `issuedOn`. */
export function appliesFrom(input: {
  issuedOn: string;
  noticeDays: number;
  effectiveFrom: string;
  oldFee: string;
  newFee: string;
}): string {
  if (penniesOf(input.newFee) <= penniesOf(input.oldFee)) return input.effectiveFrom;
  return isoOf(Math.max(dayOf(input.issuedOn)! + input.noticeDays, dayOf(input.effectiveFrom)!));
}

/** One sentence of the uplift rule, repeated on every notice. */
export const UPLIFT_RULE =
  "The framework's uplift as at each anniversary is the weighted sum of its index changes (an hourly rate's change is its figure in force that day ÷ its figure a year before − 1, to 10 decimal places; CPI's is its latest 12-month rate), the lowest of it and any 'lower of' alternatives, bounded by the floor and the cap, rounded half-up to 0.01%; the framework fee is the old fee moved by the uplift of each anniversary after it took effect up to the new fee's, half-up to the penny each time; a rise applies to the council from the later of its effective date and the end of the notice period.";

// ── notices ─────────────────────────────────────────────────────────────────────────────────────

export interface NoticeSchedule {
  id: string;
  version: number;
  periodLabel: string;
  effectiveFrom: string;
  weeklyFeePerChild: string;
}

/** One input that moved the fee, as the schedule's `…/changes` explains it. */
export interface NoticeCause {
  section: string;
  description: string;
  effectOnWeeklyFee: string;
}

export interface NoticeInput {
  id: string;
  council: { onsCode: string; name: string };
  organisation: { id: string; name: string };
  home: { id: string; name: string; ofstedUrn: string | null };
  issuedOn: string;
  schedule: NoticeSchedule;
  previousSchedule: NoticeSchedule;
  /** The council's formula in force when the notice is issued, or null when it has none. */
  formula: { version: number; formula: UpliftFormula } | null;
  indexValues: readonly IndexValue[];
  causes: readonly NoticeCause[];
  /** The council's placements at the home the new fee reaches (its own references only). */
  placements: ReadonlyArray<{ id: string; reference: string }>;
}

export interface UpliftNoticeDocument {
  id: string;
  council: { onsCode: string; name: string };
  organisation: { id: string; name: string };
  home: { id: string; name: string; ofstedUrn: string | null };
  issuedOn: string;
  /** The day the new fee applies to this council (rule 4). */
  appliesFrom: string;
  noticeDays: number | null;
  previousSchedule: NoticeSchedule;
  newSchedule: NoticeSchedule;
  framework: {
    name: string;
    formulaVersion: number;
    formula: UpliftFormula;
    uplifts: UpliftResult[];
    /** The old fee moved as the framework would allow; null when a figure is missing. */
    fee: string | null;
    percentage: string | null;
  } | null;
  comparison: {
    oldFee: string;
    frameworkFee: string | null;
    newFee: string;
    /** newFee − oldFee: the cost-plus change. */
    costPlusChange: string;
    costPlusPercentage: string | null;
    /** frameworkFee − oldFee. */
    frameworkChange: string | null;
    /** newFee − frameworkFee: above (+) or below (−) what the framework would allow. */
    newFeeLessFrameworkFee: string | null;
  };
  /** The cost-plus change by cause; the effects add up to costPlusChange. */
  causes: NoticeCause[];
  placements: Array<{ id: string; reference: string }>;
  rule: string;
}

function percentOf(difference: bigint, base: bigint): string | null {
  return base === 0n ? null : ratio(difference * 100n, base < 0n ? -base : base, 2);
}

/** The notice a council is given of a new fee at a home where it places children (pure). */
export function upliftNotice(input: NoticeInput): UpliftNoticeDocument {
  const oldFee = input.previousSchedule.weeklyFeePerChild;
  const newFee = input.schedule.weeklyFeePerChild;
  const old = penniesOf(oldFee);
  const next = penniesOf(newFee);
  const framework =
    input.formula === null
      ? null
      : {
          name: input.formula.formula.framework,
          formulaVersion: input.formula.version,
          formula: input.formula.formula,
          ...frameworkFee(input.formula.formula, input.indexValues, {
            oldFee,
            oldEffectiveFrom: input.previousSchedule.effectiveFrom,
            newEffectiveFrom: input.schedule.effectiveFrom,
          }),
        };
  const frameworkPennies = framework?.fee == null ? null : penniesOf(framework.fee);
  const noticeDays = input.formula?.formula.noticeDays ?? null;
  return {
    id: input.id,
    council: input.council,
    organisation: input.organisation,
    home: input.home,
    issuedOn: input.issuedOn,
    appliesFrom: appliesFrom({
      issuedOn: input.issuedOn,
      noticeDays: noticeDays ?? 0,
      effectiveFrom: input.schedule.effectiveFrom,
      oldFee,
      newFee,
    }),
    noticeDays,
    previousSchedule: input.previousSchedule,
    newSchedule: input.schedule,
    framework,
    comparison: {
      oldFee,
      frameworkFee: framework?.fee ?? null,
      newFee,
      costPlusChange: formatPennies(next - old),
      costPlusPercentage: percentOf(next - old, old),
      frameworkChange: frameworkPennies === null ? null : formatPennies(frameworkPennies - old),
      newFeeLessFrameworkFee: frameworkPennies === null ? null : formatPennies(next - frameworkPennies),
    },
    causes: [...input.causes],
    placements: [...input.placements],
    rule: UPLIFT_RULE,
  };
}
