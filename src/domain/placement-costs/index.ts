// Placement costs in the shape of the SocialCareData placements standard's `actualPlacement` block
// (pure: no I/O, no clock, no randomness).
//
// THE SPLIT (published with every answer as PLACEMENT_COST_RULE)
//
// Spans are read off the charging rule's lines (src/domain/charges, computeCharges), never worked out
// again: a span is a run of a placement's days covered by one fee line and the same enhancement lines,
// i.e. the same fee schedule in force, the same enhancements charged and the same held-over status.
// Days with no fee line (no fee schedule in force) are no span: they are reported as unpriced runs,
// with the charging rule's other unpriced runs (an enhancement whose role the model does not have).
//
// Per span, in whole pennies:
//   educationWeeklyCost         = the fee schedule's education share: the sum of the `weeklyPerChild`
//                                 of its breakdown lines coded RUNNING_EDUCATION (0 when it has none);
//   coreWeeklyCost              = the weekly fee (the fee line's weekly rate) − educationWeeklyCost;
//   additionalSupportWeeklyCost = the sum of the weekly charges of the enhancement lines of the span;
//   totalWeeklyCost             = the weekly fee + additionalSupportWeeklyCost;
//   otherWeeklyCost             = totalWeeklyCost − the three others (0.00: nothing else is charged),
//                                 a residual, so that the parts add up to the total by construction.

import type { ChargeLine, PlacementCharges, UnpricedRun } from '../charges/index.js';
import { dayOf, isoOf } from '../charges/index.js';
import { DomainValidationError, type FieldIssue } from '../errors.js';
import { formatPennies, penniesOf } from '../money.js';

/** The breakdown line code whose weekly column is a fee's education share. */
export const EDUCATION_CODE = 'RUNNING_EDUCATION';

/** How the five weekly costs are split, repeated on every answer. */
export const PLACEMENT_COST_RULE =
  'Per span of days with the same fee schedule in force, the same enhancements charged and the same held-over status (as the charging rule\u2019s lines give them): educationWeeklyCost is the fee schedule\u2019s education share (the sum of the weekly per child column of its breakdown lines coded RUNNING_EDUCATION), coreWeeklyCost is the weekly fee less that share, additionalSupportWeeklyCost is the sum of the weekly charges of the enhancements charged, totalWeeklyCost is the weekly fee plus those charges, and otherWeeklyCost is the total less the other three (0.00, since nothing else is charged), so that the parts add up to the total to the penny. Days with no fee schedule in force are listed as unpriced, not guessed.';

/** The five weekly costs of the standard's `actualPlacement` block, money strings with two places. */
export interface WeeklyCosts {
  coreWeeklyCost: string;
  additionalSupportWeeklyCost: string;
  educationWeeklyCost: string;
  otherWeeklyCost: string;
  totalWeeklyCost: string;
}

export interface WeeklyCostInput {
  /** The weekly fee per child, e.g. "5495.78". */
  weeklyFee: string;
  /** The fee's education share, at most the fee. */
  educationShare: string;
  /** The weekly charge of each enhancement active. */
  enhancementCharges: readonly string[];
}

const MONEY = /^\d+(\.\d{1,2})?$/;

/**
 * The weekly costs of one span, split as PLACEMENT_COST_RULE says. Throws DomainValidationError for
 * an amount that is not money (≥ 0, at most 2 dp) or an education share above the fee.
 */
export function splitWeeklyCost(input: WeeklyCostInput): WeeklyCosts {
  const issues: FieldIssue[] = [];
  const pennies = (value: unknown, pointer: string): bigint | undefined => {
    if (typeof value === 'string' && MONEY.test(value)) return penniesOf(value);
    issues.push({ pointer, message: 'must be money: a decimal string ≥ 0 with at most 2 decimals' });
    return undefined;
  };
  const fee = pennies(input.weeklyFee, '/weeklyFee');
  const education = pennies(input.educationShare, '/educationShare');
  const charges = (input.enhancementCharges ?? []).map((charge, i) =>
    pennies(charge, `/enhancementCharges/${i}`),
  );
  if (fee !== undefined && education !== undefined && education > fee)
    issues.push({ pointer: '/educationShare', message: 'must not be above the weekly fee' });
  if (issues.length > 0) throw new DomainValidationError(issues);
  return split(fee!, education!, charges as bigint[]);
}

/** PLACEMENT_COST_RULE on whole pennies (education ≤ fee, every amount ≥ 0). */
function split(fee: bigint, education: bigint, enhancementCharges: readonly bigint[]): WeeklyCosts {
  let additionalSupport = 0n;
  for (const charge of enhancementCharges) additionalSupport += charge;
  const total = fee + additionalSupport;
  const core = fee - education;
  const other = total - core - education - additionalSupport;
  return {
    coreWeeklyCost: formatPennies(core),
    additionalSupportWeeklyCost: formatPennies(additionalSupport),
    educationWeeklyCost: formatPennies(education),
    otherWeeklyCost: formatPennies(other),
    totalWeeklyCost: formatPennies(total),
  };
}

/** A breakdown line as far as the split reads it. */
export interface ShareLine {
  code: string;
  weeklyPerChild: string;
}

/** A fee's education share: the sum of the weekly column of its RUNNING_EDUCATION lines ("0.00" if none). */
export function educationShare(lines: readonly ShareLine[]): string {
  return formatPennies(educationPennies(lines));
}

function educationPennies(lines: readonly ShareLine[]): bigint {
  let sum = 0n;
  for (const line of lines) if (line.code === EDUCATION_CODE) sum += penniesOf(line.weeklyPerChild);
  return sum;
}

// ── spans ───────────────────────────────────────────────────────────────────────────────────────

/** A fee schedule with its breakdown's lines (the charging rule's lines name it by id). */
export interface ScheduleLines {
  id: string;
  breakdown: { lines: readonly ShareLine[] };
}

export interface SpanEnhancement {
  id: string;
  description: string;
  /** The enhancement's weekly charge under the span's fee schedule (the charging rule's weekly rate). */
  weeklyCharge: string;
}

/** A run of a placement's days over which its weekly costs are constant. */
export interface CostSpan {
  placementId: string;
  homeId: string;
  reference: string;
  /** YYYY-MM-DD, both included. */
  from: string;
  to: string;
  days: number;
  /** The days are after the fee schedule's own period end: the last agreed fee, held over. */
  heldOver: boolean;
  feeSchedule: { id: string; version: number; weeklyFeePerChild: string };
  /** The enhancements charged on these days, in the order the placement lists them. */
  enhancements: SpanEnhancement[];
  costs: WeeklyCosts;
}

/** Days of a placement that are not charged (or one of its enhancements that is not), and why. */
export interface UnpricedCostRun extends UnpricedRun {
  placementId: string;
  homeId: string;
  reference: string;
}

export interface PlacementCosts {
  spans: CostSpan[];
  unpriced: UnpricedCostRun[];
}

interface DayLine {
  line: ChargeLine;
  from: number;
  to: number;
  /** The enhancement's place in the placement's order (its first line's index); 0 for fee lines. */
  order: number;
}

/**
 * The spans of the charged placements (in their order, each placement's by date) and their unpriced
 * runs, by PLACEMENT_COST_RULE. `schedules` must hold every fee schedule the lines name (a RangeError
 * otherwise: the caller charged with schedules it did not pass).
 */
export function placementCostSpans(input: {
  placements: readonly PlacementCharges[];
  schedules: readonly ScheduleLines[];
}): PlacementCosts {
  const education = new Map<string, bigint>();
  for (const schedule of input.schedules)
    education.set(schedule.id, educationPennies(schedule.breakdown.lines));
  const spans: CostSpan[] = [];
  const unpriced: UnpricedCostRun[] = [];
  for (const placement of input.placements) {
    spans.push(...spansOf(placement, education));
    const { placementId, homeId, reference } = placement;
    for (const run of placement.unpriced) unpriced.push({ placementId, homeId, reference, ...run });
  }
  return { spans, unpriced };
}

/** One placement's spans: its days cut wherever a line starts or ends, runs of equal costs merged. */
function spansOf(placement: PlacementCharges, education: ReadonlyMap<string, bigint>): CostSpan[] {
  const lines = dayLines(placement.lines);
  const cuts = [...new Set(lines.flatMap((l) => [l.from, l.to + 1]))].sort((a, b) => a - b);
  const spans: CostSpan[] = [];
  let last: { key: string; to: number; span: CostSpan } | undefined;
  for (let k = 0; k + 1 < cuts.length; k += 1) {
    const from = cuts[k]!;
    const to = cuts[k + 1]! - 1;
    const covering = lines.filter((l) => l.from <= from && from <= l.to);
    const fee = covering.find((l) => l.line.kind === 'fee');
    if (fee === undefined) continue; // no schedule in force: an unpriced run of the charging rule
    const enhancements = covering
      .filter((l) => l.line.kind === 'enhancement')
      .sort((a, b) => a.order - b.order);
    const key = JSON.stringify([
      fee.line.scheduleId,
      fee.line.weeklyRate,
      fee.line.heldOver,
      enhancements.map((e) => [e.line.enhancementId, e.line.weeklyRate, e.line.description]),
    ]);
    if (last !== undefined && last.key === key && last.to + 1 === from) {
      last.to = to;
      last.span.to = isoOf(to);
      last.span.days += to - from + 1;
      continue;
    }
    const span = spanOf(placement, fee.line, enhancements, from, to, education);
    spans.push(span);
    last = { key, to, span };
  }
  return spans;
}

function dayLines(lines: readonly ChargeLine[]): DayLine[] {
  const order = new Map<string, number>();
  return lines.map((line, index) => {
    const from = dayOf(line.from);
    const to = dayOf(line.to);
    if (from === undefined || to === undefined || to < from)
      throw new RangeError(`not a charging rule line: ${JSON.stringify(line)}`);
    const id = line.enhancementId ?? '';
    if (line.kind === 'enhancement' && !order.has(id)) order.set(id, index);
    return { line, from, to, order: line.kind === 'fee' ? 0 : order.get(id)! };
  });
}

function spanOf(
  placement: PlacementCharges,
  fee: ChargeLine,
  enhancements: readonly DayLine[],
  from: number,
  to: number,
  education: ReadonlyMap<string, bigint>,
): CostSpan {
  const share = education.get(fee.scheduleId);
  if (share === undefined) throw new RangeError(`no breakdown given for fee schedule ${fee.scheduleId}`);
  const feePennies = penniesOf(fee.weeklyRate);
  if (share > feePennies)
    throw new RangeError(`the education share of fee schedule ${fee.scheduleId} is above its weekly fee`);
  return {
    placementId: placement.placementId,
    homeId: placement.homeId,
    reference: placement.reference,
    from: isoOf(from),
    to: isoOf(to),
    days: to - from + 1,
    heldOver: fee.heldOver,
    feeSchedule: { id: fee.scheduleId, version: fee.scheduleVersion, weeklyFeePerChild: fee.weeklyRate },
    enhancements: enhancements.map(({ line }) => ({
      id: line.enhancementId ?? '',
      description: line.description,
      weeklyCharge: line.weeklyRate,
    })),
    costs: split(
      feePennies,
      share,
      enhancements.map(({ line }) => penniesOf(line.weeklyRate)),
    ),
  };
}
