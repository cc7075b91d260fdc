// Statements of charges: placement days × fee schedules in force (pure: no I/O, no clock, no randomness).
//
// THE CHARGING RULE (published with every statement)
//
// 1. Days. Dates are calendar days (YYYY-MM-DD, no time zone). The statement's `from` and `to` are
//    both included. A placement is charged from its `start` to its `end`, both included (`end: null`
//    = ongoing), clipped to the statement's range. An enhancement is charged on the days inside both
//    its own window and its placement's (and the range): a window reaching past its placement is
//    clipped, not refused.
// 2. Schedule in force. For a home on a day it is the schedule with the latest `effectiveFrom` on or
//    before that day; between equal `effectiveFrom`s the later `publishedAt` wins, then the higher
//    `version`. Days before a home's first schedule are not charged and are reported as unpriced
//    (never guessed).
//    A schedule may be deferred for a council (its uplift notice: a rise applies to that council only
//    from the end of the framework's notice period, `deferredFor[council]`). For that council's
//    placements it starts on that later day instead, the schedule before it holding until then; if
//    the next schedule starts on or before that day, it is never in force for that council.
// 3. Daily charge. The weekly fee ÷ 7, exactly: nothing is rounded per day. An enhancement's weekly
//    charge is priced by the pricing method (§2–§3) on the frozen cost model of the schedule in force
//    that day, with `[{ description, roleId, hoursPerWeek }]` as its only enhancement, and taken as
//    that enhancement's `weeklyCharge`. If that model has no staffing line `roleId`, the enhancement's
//    days under that schedule are reported as unpriced for it (reason `unknown_role`).
// 4. Lines. Consecutive days of one placement with the same basis (the same schedule, on the same side
//    of that schedule's own period end; for enhancement lines, also the same enhancement) form one
//    line, worth exactly weekly rate × days ÷ 7. A schedule's own period is its frozen cost model's
//    `period`. A schedule still in force after its period's end is charged on those days as on any
//    other (the last agreed fee holds), but they are held over (method §7): they form lines of their
//    own marked `heldOver`, and the fee days among them are counted as `heldOverDays` per placement
//    and per home. Lines are ordered by first day, the fee before enhancements, then enhancements in
//    input order.
// 5. Rounding. A placement's total is the exact sum of its lines rounded half-up to the penny. The
//    lines' amounts are allocated from that total by largest remainder (floor each line to the penny,
//    then one penny to each of the largest remainders, ties to the earlier line), so a placement's
//    lines add up to its total exactly. `feeTotal` and `enhancementTotal` are the sums of the
//    allocated fee and enhancement lines. Each placement is invoiced on its own: a home's subtotal and
//    the statement total are sums of placement totals.
//
// Refused input (DomainValidationError, with a JSON pointer per issue): a date that is not a real
// YYYY-MM-DD date; `to` before `from`; a placement or enhancement `end` before its `start`; an
// enhancement with no day in common with its placement; `hoursPerWeek` that is not a decimal string
// above 0 with at most 6 decimal places; a `weeklyFeePerChild` that is not money (≥ 0, at most 2 dp);
// a `publishedAt` that is not an ISO instant; a `version` that is not a whole number ≥ 1; duplicate
// schedule ids, duplicate (homeId, periodLabel, version), duplicate placement ids, duplicate enhancement ids
// within a placement; a schedule whose frozen model has no real `period.end`; and a schedule whose
// frozen model cannot be priced (pointer under its `/model`).

import { DomainValidationError, escapePointerToken, type FieldIssue } from '../errors.js';
import {
  allocateUnits,
  divideHalfUp,
  exact,
  formatPennies,
  penniesOf,
  plainDecimal,
  ratio,
} from '../money.js';
import { type CostModel, priceCostModel, type RateTables } from '../pricing/index.js';
import { dayOf, instantOf, isoOf } from './days.js';

export { dayOf, instantOf, isoOf } from './days.js';

/** One sentence stating the charging rule (rounding and held-over days), repeated on every statement. */
export const CHARGING_RULE =
  "Each placement's total is the exact sum of its lines (weekly rate × days ÷ 7) rounded half-up to the penny, its lines' amounts are that total allocated by largest remainder (each line floored to the penny, the remaining pennies to the largest remainders, ties to the earlier line), the statement total is the sum of the placement totals, and days after a fee schedule's own period are charged at that schedule (the last agreed fee holds) on lines of their own marked held over, and a rise a council was given notice of is charged to that council from the day its uplift notice lets it apply.";

// ── input ───────────────────────────────────────────────────────────────────────────────────────

/** A published fee schedule of a home. */
export interface ChargeSchedule {
  id: string;
  homeId: string;
  version: number;
  periodLabel: string;
  /** YYYY-MM-DD */
  effectiveFrom: string;
  /** ISO instant; breaks ties between equal effectiveFrom (later wins). */
  publishedAt: string;
  /** Money string, e.g. "5495.78". */
  weeklyFeePerChild: string;
  /** The frozen cost model, for pricing enhancements. */
  model: CostModel;
  /** Rule 2: councils (ONS code) for which it starts on a later day (YYYY-MM-DD), by uplift notice. */
  deferredFor?: Readonly<Record<string, string>> | undefined;
}

export interface ChargeEnhancement {
  id: string;
  description: string;
  roleId: string;
  hoursPerWeek: string;
  start: string;
  end: string | null;
}

export interface ChargePlacement {
  id: string;
  homeId: string;
  councilCode: string;
  reference: string;
  start: string;
  end: string | null;
  enhancements: ChargeEnhancement[];
}

export interface ChargesInput {
  from: string;
  to: string;
  placements: ChargePlacement[];
  schedules: ChargeSchedule[];
  rateTables?: RateTables | undefined;
}

// ── output ──────────────────────────────────────────────────────────────────────────────────────

export interface ChargeLine {
  kind: 'fee' | 'enhancement';
  /** Only on enhancement lines. */
  enhancementId?: string;
  description: string;
  from: string;
  to: string;
  days: number;
  scheduleId: string;
  scheduleVersion: number;
  /** The weekly fee, or the enhancement's weekly charge, under that schedule. */
  weeklyRate: string;
  /** Allocated from the placement total (rule 5). */
  amount: string;
  /** Every day of the line is after its schedule's own period end (rule 4, method §7). */
  heldOver: boolean;
}

export type UnpricedReason = 'no_schedule' | 'unknown_role';

/** A run of days that is not charged, and why. */
export interface UnpricedRun {
  kind: 'fee' | 'enhancement';
  enhancementId?: string;
  from: string;
  to: string;
  days: number;
  reason: UnpricedReason;
  /** For `unknown_role`: the schedule whose model has no such staffing line. */
  scheduleId?: string;
}

export interface PlacementCharges {
  placementId: string;
  homeId: string;
  councilCode: string;
  reference: string;
  /** The placement's days inside the range. */
  from: string;
  to: string;
  /** Days charged a fee. */
  daysCharged: number;
  /** Of `daysCharged`, those charged at a schedule after its own period's end (rule 4). */
  heldOverDays: number;
  /** Days of the placement in the range with no schedule in force (not charged). */
  unpricedDays: number;
  /** Runs not charged: fee days with no schedule, enhancement days with no schedule or unknown role. */
  unpriced: UnpricedRun[];
  lines: ChargeLine[];
  feeTotal: string;
  enhancementTotal: string;
  total: string;
}

export interface HomeCharges {
  homeId: string;
  /** Number of placements charged in the range. */
  placements: number;
  daysCharged: number;
  /** Of `daysCharged`, those charged at a schedule after its own period's end (rule 4). */
  heldOverDays: number;
  unpricedDays: number;
  total: string;
}

export interface Charges {
  from: string;
  to: string;
  placements: PlacementCharges[];
  /** In order of each home's first placement. */
  homes: HomeCharges[];
  total: string;
  rule: string;
}

// ── validation ──────────────────────────────────────────────────────────────────────────────────

const MONEY = /^\d+(\.\d{1,2})?$/;
const QUANTITY = /^\d+(\.\d{1,6})?$/;

interface CheckedSchedule {
  schedule: ChargeSchedule;
  index: number;
  effectiveDay: number;
  publishedMs: number;
  /** The last day of the schedule's own period (its frozen model's `period.end`). */
  periodEndDay: number;
  weeklyPennies: bigint;
  roles: ReadonlySet<string>;
  /** Rule 2: council → the day the schedule starts for it. */
  deferredFor: ReadonlyMap<string, number>;
}

interface CheckedEnhancement {
  enhancement: ChargeEnhancement;
  index: number;
  start: number;
  end: number;
  hoursKey: string;
}

interface CheckedPlacement {
  placement: ChargePlacement;
  start: number;
  end: number;
  enhancements: CheckedEnhancement[];
}

const FAR_FUTURE = Number.MAX_SAFE_INTEGER;

function validate(input: ChargesInput): {
  from: number;
  to: number;
  schedules: CheckedSchedule[];
  placements: CheckedPlacement[];
} {
  const issues: FieldIssue[] = [];
  const issue = (pointer: string, message: string) => issues.push({ pointer, message });
  const dayAt = (value: unknown, pointer: string): number | undefined => {
    const day = dayOf(value);
    if (day === undefined) issue(pointer, 'must be a real calendar date written YYYY-MM-DD');
    return day;
  };

  const from = dayAt(input.from, '/from');
  const to = dayAt(input.to, '/to');
  if (from !== undefined && to !== undefined && to < from) issue('/to', 'must not be before from');

  const schedules: CheckedSchedule[] = [];
  const scheduleIds = new Set<string>();
  const homeVersions = new Set<string>();
  (input.schedules ?? []).forEach((schedule, index) => {
    const at = `/schedules/${index}`;
    if (scheduleIds.has(schedule.id)) issue(`${at}/id`, 'is the id of an earlier schedule');
    scheduleIds.add(schedule.id);
    const versionOk = Number.isSafeInteger(schedule.version) && schedule.version >= 1;
    if (!versionOk) issue(`${at}/version`, 'must be a whole number of at least 1');
    // versions count per home and pricing period (a home's 2027-28 schedules start again at 1)
    const homeVersion = `${schedule.homeId}\u0000${schedule.periodLabel}\u0000${schedule.version}`;
    if (versionOk && homeVersions.has(homeVersion)) {
      issue(`${at}/version`, 'another schedule of this home and period has the same version');
    }
    homeVersions.add(homeVersion);
    const effectiveDay = dayAt(schedule.effectiveFrom, `${at}/effectiveFrom`);
    const publishedMs = instantOf(schedule.publishedAt);
    if (publishedMs === undefined)
      issue(`${at}/publishedAt`, 'must be an ISO instant such as 2026-03-01T09:30:00Z');
    const feeOk = typeof schedule.weeklyFeePerChild === 'string' && MONEY.test(schedule.weeklyFeePerChild);
    if (!feeOk)
      issue(`${at}/weeklyFeePerChild`, 'must be money: a decimal string ≥ 0 with at most 2 decimals');
    const periodEndDay = dayAt(schedule.model?.period?.end, `${at}/model/period/end`);
    const deferredFor = deferredDays(schedule, at, dayAt);
    if (
      effectiveDay === undefined ||
      publishedMs === undefined ||
      periodEndDay === undefined ||
      !feeOk ||
      !versionOk
    )
      return;
    schedules.push({
      schedule,
      index,
      effectiveDay,
      publishedMs,
      periodEndDay,
      weeklyPennies: penniesOf(schedule.weeklyFeePerChild),
      roles: new Set((schedule.model?.staffing ?? []).map((line) => line.id)),
      deferredFor,
    });
  });

  const placements: CheckedPlacement[] = [];
  const placementIds = new Set<string>();
  (input.placements ?? []).forEach((placement, index) => {
    const at = `/placements/${index}`;
    if (placementIds.has(placement.id)) issue(`${at}/id`, 'is the id of an earlier placement');
    placementIds.add(placement.id);
    const start = dayAt(placement.start, `${at}/start`);
    const end = placement.end === null ? FAR_FUTURE : dayAt(placement.end, `${at}/end`);
    if (start !== undefined && end !== undefined && end < start)
      issue(`${at}/end`, 'must not be before start');
    const enhancements: CheckedEnhancement[] = [];
    const enhancementIds = new Set<string>();
    (placement.enhancements ?? []).forEach((enhancement, j) => {
      const checked = checkEnhancement(enhancement, j, at, { start, end }, enhancementIds, { issue, dayAt });
      if (checked !== undefined) enhancements.push(checked);
    });
    if (start === undefined || end === undefined) return;
    placements.push({ placement, start, end, enhancements });
  });

  if (issues.length > 0 || from === undefined || to === undefined) throw new DomainValidationError(issues);
  return { from, to, schedules, placements };
}

/** Rule 2: a schedule's deferred days by council, each checked to be a real date. */
function deferredDays(
  schedule: ChargeSchedule,
  at: string,
  dayAt: (value: unknown, pointer: string) => number | undefined,
): Map<string, number> {
  const days = new Map<string, number>();
  for (const [council, day] of Object.entries(schedule.deferredFor ?? {})) {
    const deferred = dayAt(day, `${at}/deferredFor/${escapePointerToken(council)}`);
    if (deferred !== undefined) days.set(council, deferred);
  }
  return days;
}

/** The issue recorder and date reader of one validation, shared with its helpers. */
interface Checker {
  issue: (pointer: string, message: string) => void;
  dayAt: (value: unknown, pointer: string) => number | undefined;
}

/**
 * Checks enhancement `index` of the placement at `at` (its days as far as they are known), recording
 * its issues in order; the checked enhancement, or undefined when it is refused.
 */
function checkEnhancement(
  enhancement: ChargeEnhancement,
  index: number,
  at: string,
  placementDays: { start: number | undefined; end: number | undefined },
  earlierIds: Set<string>,
  { issue, dayAt }: Checker,
): CheckedEnhancement | undefined {
  const eat = `${at}/enhancements/${index}`;
  if (earlierIds.has(enhancement.id)) issue(`${eat}/id`, 'is the id of an earlier enhancement');
  earlierIds.add(enhancement.id);
  const hoursOk =
    typeof enhancement.hoursPerWeek === 'string' &&
    QUANTITY.test(enhancement.hoursPerWeek) &&
    exact(enhancement.hoursPerWeek).units > 0n;
  if (!hoursOk) {
    issue(`${eat}/hoursPerWeek`, 'must be a decimal string above 0 with at most 6 decimals');
  }
  const eStart = dayAt(enhancement.start, `${eat}/start`);
  const eEnd = enhancement.end === null ? FAR_FUTURE : dayAt(enhancement.end, `${eat}/end`);
  if (eStart === undefined || eEnd === undefined) return undefined;
  if (eEnd < eStart) {
    issue(`${eat}/end`, 'must not be before start');
    return undefined;
  }
  const { start, end } = placementDays;
  if (start !== undefined && end !== undefined && end >= start && (eEnd < start || eStart > end)) {
    issue(eat, 'has no day in common with its placement');
    return undefined;
  }
  if (!hoursOk) return undefined;
  return {
    enhancement,
    index,
    start: eStart,
    end: eEnd,
    hoursKey: plainDecimal(enhancement.hoursPerWeek),
  };
}

// ── schedules in force ──────────────────────────────────────────────────────────────────────────

/** A home's schedules in force: `schedules[k]` from `starts[k]` to the day before `starts[k + 1]`. */
interface Timeline {
  starts: number[];
  schedules: CheckedSchedule[];
}

/**
 * Rule 2's deferrals: the home's timeline as a council sees it, each schedule deferred for the
 * council starting on its later day (the one before it holding until then), or dropped when the next
 * starts on or before that day.
 */
function deferredTimeline(base: Timeline, councilCode: string): Timeline {
  const starts: number[] = [];
  const schedules: CheckedSchedule[] = [];
  base.schedules.forEach((schedule, index) => {
    const deferred = schedule.deferredFor.get(councilCode);
    const start = deferred === undefined ? base.starts[index]! : Math.max(base.starts[index]!, deferred);
    const next = base.starts[index + 1];
    if (next !== undefined && start >= next) return;
    starts.push(start);
    schedules.push(schedule);
  });
  return { starts, schedules };
}

/** The timeline of a placement's home as its council sees it (rule 2). */
function timelineFor(byHome: ReadonlyMap<string, Timeline>, homeId: string, councilCode: string) {
  const base = byHome.get(homeId);
  if (base === undefined || !base.schedules.some((schedule) => schedule.deferredFor.has(councilCode)))
    return base;
  return deferredTimeline(base, councilCode);
}

function timelines(schedules: readonly CheckedSchedule[]): Map<string, Timeline> {
  const byHome = new Map<string, CheckedSchedule[]>();
  for (const schedule of schedules) {
    const list = byHome.get(schedule.schedule.homeId);
    if (list === undefined) byHome.set(schedule.schedule.homeId, [schedule]);
    else list.push(schedule);
  }
  const result = new Map<string, Timeline>();
  for (const [homeId, list] of byHome) {
    // rule 2: latest effectiveFrom; equal → later publishedAt, then higher version (last in this order wins)
    list.sort(
      (a, b) =>
        a.effectiveDay - b.effectiveDay ||
        a.publishedMs - b.publishedMs ||
        a.schedule.version - b.schedule.version,
    );
    const timeline: Timeline = { starts: [], schedules: [] };
    for (const schedule of list) {
      const last = timeline.starts.length - 1;
      if (last >= 0 && timeline.starts[last] === schedule.effectiveDay) timeline.schedules[last] = schedule;
      else {
        timeline.starts.push(schedule.effectiveDay);
        timeline.schedules.push(schedule);
      }
    }
    result.set(homeId, timeline);
  }
  return result;
}

interface Piece {
  from: number;
  to: number;
  schedule: CheckedSchedule | null;
}

/** Splits the days `from`..`to` into runs of one schedule in force (or none). */
function piecesOf(timeline: Timeline | undefined, from: number, to: number): Piece[] {
  if (timeline === undefined || timeline.starts.length === 0) return [{ from, to, schedule: null }];
  const { starts, schedules } = timeline;
  const pieces: Piece[] = [];
  let day = from;
  if (day < starts[0]!) {
    const end = Math.min(to, starts[0]! - 1);
    pieces.push({ from: day, to: end, schedule: null });
    day = end + 1;
  }
  // the last segment starting on or before `day`
  let k = 0;
  while (k + 1 < starts.length && starts[k + 1]! <= day) k += 1;
  while (day <= to) {
    const segmentEnd = k + 1 < starts.length ? starts[k + 1]! - 1 : FAR_FUTURE;
    const end = Math.min(to, segmentEnd);
    pieces.push({ from: day, to: end, schedule: schedules[k]! });
    day = end + 1;
    k += 1;
  }
  return pieces;
}

/** A run of days under one schedule, on one side of its own period end (rule 4). */
interface Run {
  from: number;
  to: number;
  heldOver: boolean;
}

/** Splits a piece under a schedule at that schedule's own period end: the days after it are held over. */
function runsOf(piece: Piece & { schedule: CheckedSchedule }): Run[] {
  const end = piece.schedule.periodEndDay;
  if (piece.to <= end) return [{ from: piece.from, to: piece.to, heldOver: false }];
  if (piece.from > end) return [{ from: piece.from, to: piece.to, heldOver: true }];
  return [
    { from: piece.from, to: end, heldOver: false },
    { from: end + 1, to: piece.to, heldOver: true },
  ];
}

/** A fee schedule's days in force inside a range (rule 2). */
export interface FeeInForce {
  schedule: ChargeSchedule;
  /** YYYY-MM-DD, both included. */
  from: string;
  to: string;
  days: number;
  /** Of `days`, those after the schedule's own period end (held over, rule 4). */
  heldOverDays: number;
}

/**
 * The fee schedules in force over `from`..`to` for one home, in date order, each with the days it
 * was in force (rule 2: the latest effectiveFrom on or before the day; equal → the later published).
 */
export function feesInForce(input: {
  from: string;
  to: string;
  schedules: readonly ChargeSchedule[];
  /** As this council's placements are charged (rule 2's deferrals); the home's own fees when left out. */
  councilCode?: string | undefined;
}): FeeInForce[] {
  const checked = validate({
    from: input.from,
    to: input.to,
    schedules: [...input.schedules],
    placements: [],
  });
  const homes = new Set(input.schedules.map((schedule) => schedule.homeId));
  if (homes.size > 1) throw new RangeError('feesInForce takes the schedules of one home');
  const byHome = timelines(checked.schedules);
  const homeId = input.schedules[0]?.homeId;
  const timeline =
    homeId === undefined
      ? undefined
      : input.councilCode === undefined
        ? byHome.get(homeId)
        : timelineFor(byHome, homeId, input.councilCode);
  return piecesOf(timeline, checked.from, checked.to).flatMap((piece) =>
    piece.schedule === null
      ? []
      : [
          {
            schedule: piece.schedule.schedule,
            from: isoOf(piece.from),
            to: isoOf(piece.to),
            days: piece.to - piece.from + 1,
            heldOverDays: Math.max(0, piece.to - Math.max(piece.from, piece.schedule.periodEndDay + 1) + 1),
          },
        ],
  );
}

// ── charges ─────────────────────────────────────────────────────────────────────────────────────

interface ExactLine {
  kind: 'fee' | 'enhancement';
  order: number; // 0 for the fee, 1 + enhancement index otherwise
  enhancementId?: string;
  description: string;
  from: number;
  to: number;
  schedule: CheckedSchedule;
  weeklyPennies: bigint;
  heldOver: boolean;
}

/**
 * The charges for the placements in `from`..`to` by the charging rule at the top of this file.
 * Pure; throws DomainValidationError for input the rule refuses.
 */
export function computeCharges(input: ChargesInput): Charges {
  const { from, to, schedules, placements } = validate(input);
  const byHome = timelines(schedules);
  const weeklyEnhancementPennies = enhancementPricer(input.rateTables);

  const results: PlacementCharges[] = [];
  const homes = new Map<string, HomeTally>();
  let grandTotal = 0n;

  for (const checked of placements) {
    const charged = chargePlacement(checked, from, to, byHome, weeklyEnhancementPennies);
    if (charged === undefined) continue; // does not overlap the range
    results.push(charged.charges);
    addToHome(homes, charged.charges, charged.total);
    grandTotal += charged.total;
  }

  return {
    from: isoOf(from),
    to: isoOf(to),
    placements: results,
    homes: [...homes].map(([homeId, home]) => ({
      homeId,
      placements: home.placements,
      daysCharged: home.daysCharged,
      heldOverDays: home.heldOverDays,
      unpricedDays: home.unpricedDays,
      total: formatPennies(home.total),
    })),
    total: formatPennies(grandTotal),
    rule: CHARGING_RULE,
  };
}

/** An enhancement's weekly charge in pennies under a schedule; undefined when its model has no such role. */
type EnhancementPricer = (schedule: CheckedSchedule, enhancement: CheckedEnhancement) => bigint | undefined;

/**
 * Rule 3: an enhancement's weekly charge per schedule, role and hours (the engine prices the whole
 * model), remembered so that each is priced once. A model that cannot be priced is refused with
 * pointers under its schedule's `/model`.
 */
function enhancementPricer(rateTables: RateTables | undefined): EnhancementPricer {
  const enhancementCharges = new Map<string, bigint>();
  return (schedule, enhancement) => {
    const { roleId, description, hoursPerWeek } = enhancement.enhancement;
    if (!schedule.roles.has(roleId)) return undefined;
    const key = `${schedule.schedule.id}\u0000${roleId}\u0000${enhancement.hoursKey}`;
    const known = enhancementCharges.get(key);
    if (known !== undefined) return known;
    let pennies: bigint;
    try {
      const breakdown = priceCostModel(
        { ...schedule.schedule.model, enhancements: [{ description, roleId, hoursPerWeek }] },
        { rateTables },
      );
      pennies = penniesOf(breakdown.enhancements[0]!.weeklyCharge);
    } catch (error) {
      if (error instanceof DomainValidationError) {
        throw new DomainValidationError(
          error.issues.map((found) => ({
            pointer: `/schedules/${schedule.index}/model${found.pointer}`,
            message: found.message,
          })),
        );
      }
      throw error;
    }
    enhancementCharges.set(key, pennies);
    return pennies;
  };
}

type PendingUnpriced = UnpricedRun & { start: number; order: number };

/** A placement's lines before rounding, and the days it is charged, held over and not charged. */
interface PlacementDays {
  lines: ExactLine[];
  unpriced: PendingUnpriced[];
  daysCharged: number;
  heldOverDays: number;
  unpricedDays: number;
}

/**
 * One placement's charges over its days inside `from`..`to`, with its exact total in pennies;
 * undefined when the placement has no day in the range.
 */
function chargePlacement(
  checked: CheckedPlacement,
  from: number,
  to: number,
  byHome: ReadonlyMap<string, Timeline>,
  weeklyEnhancementPennies: EnhancementPricer,
): { charges: PlacementCharges; total: bigint } | undefined {
  const { placement } = checked;
  const windowFrom = Math.max(checked.start, from);
  const windowTo = Math.min(checked.end, to);
  if (windowTo < windowFrom) return undefined;
  const timeline = timelineFor(byHome, placement.homeId, placement.councilCode);

  const days = feeDays(timeline, windowFrom, windowTo);
  for (const enhancement of checked.enhancements) {
    addEnhancementDays(days, timeline, enhancement, windowFrom, windowTo, weeklyEnhancementPennies);
  }

  // rule 4 order, then rule 5
  days.lines.sort((a, b) => a.from - b.from || a.order - b.order);
  days.unpriced.sort((a, b) => a.start - b.start || a.order - b.order);
  const { published, feeTotal, enhancementTotal, total } = allocateLines(days.lines);

  const charges: PlacementCharges = {
    placementId: placement.id,
    homeId: placement.homeId,
    councilCode: placement.councilCode,
    reference: placement.reference,
    from: isoOf(windowFrom),
    to: isoOf(windowTo),
    daysCharged: days.daysCharged,
    heldOverDays: days.heldOverDays,
    unpricedDays: days.unpricedDays,
    unpriced: days.unpriced.map(({ start: _start, order: _order, ...run }) => run),
    lines: published,
    feeTotal: formatPennies(feeTotal),
    enhancementTotal: formatPennies(enhancementTotal),
    total: formatPennies(total),
  };
  return { charges, total };
}

/** The fee lines of a placement's days `from`..`to`, and its days with no schedule in force. */
function feeDays(timeline: Timeline | undefined, from: number, to: number): PlacementDays {
  const result: PlacementDays = { lines: [], unpriced: [], daysCharged: 0, heldOverDays: 0, unpricedDays: 0 };
  for (const piece of piecesOf(timeline, from, to)) {
    const days = piece.to - piece.from + 1;
    if (piece.schedule === null) {
      result.unpricedDays += days;
      result.unpriced.push(unpricedRun('fee', undefined, piece, 'no_schedule', 0));
      continue;
    }
    result.daysCharged += days;
    // rule 4: held-over days get lines of their own; the total is unchanged (rule 5 rounds the exact sum once)
    for (const run of runsOf({ ...piece, schedule: piece.schedule })) {
      if (run.heldOver) result.heldOverDays += run.to - run.from + 1;
      result.lines.push({
        kind: 'fee',
        order: 0,
        description: `Weekly fee per child, ${piece.schedule.schedule.periodLabel}`,
        ...run,
        schedule: piece.schedule,
        weeklyPennies: piece.schedule.weeklyPennies,
      });
    }
  }
  return result;
}

/**
 * Adds an enhancement's lines over its days inside the placement's `windowFrom`..`windowTo` (rule 1),
 * and its runs with no schedule in force or no such role in the schedule's model (rule 3).
 */
function addEnhancementDays(
  days: PlacementDays,
  timeline: Timeline | undefined,
  enhancement: CheckedEnhancement,
  windowFrom: number,
  windowTo: number,
  weeklyEnhancementPennies: EnhancementPricer,
): void {
  const eFrom = Math.max(enhancement.start, windowFrom);
  const eTo = Math.min(enhancement.end, windowTo);
  if (eTo < eFrom) return;
  const id = enhancement.enhancement.id;
  const order = 1 + enhancement.index;
  for (const piece of piecesOf(timeline, eFrom, eTo)) {
    if (piece.schedule === null) {
      days.unpriced.push(unpricedRun('enhancement', id, piece, 'no_schedule', order));
      continue;
    }
    const weekly = weeklyEnhancementPennies(piece.schedule, enhancement);
    if (weekly === undefined) {
      const run = unpricedRun('enhancement', id, piece, 'unknown_role', order);
      run.scheduleId = piece.schedule.schedule.id;
      days.unpriced.push(run);
      continue;
    }
    for (const run of runsOf({ ...piece, schedule: piece.schedule })) {
      days.lines.push({
        kind: 'enhancement',
        order,
        enhancementId: id,
        description: enhancement.enhancement.description,
        ...run,
        schedule: piece.schedule,
        weeklyPennies: weekly,
      });
    }
  }
}

/**
 * Rule 5: the placement's total is the exact sum of its lines rounded half-up to the penny, allocated
 * to the lines by largest remainder. Numerators are pennies × 7 (weekly pennies × days), exact.
 */
function allocateLines(lines: readonly ExactLine[]): {
  published: ChargeLine[];
  feeTotal: bigint;
  enhancementTotal: bigint;
  total: bigint;
} {
  const numerators = lines.map((line) => line.weeklyPennies * BigInt(line.to - line.from + 1));
  let sum = 0n;
  for (const numerator of numerators) sum += numerator;
  const total = divideHalfUp(sum, 7n);
  // rule 5: largest remainder, ties to the earlier line
  const amounts = allocateUnits(numerators, 7n, 1n, total);
  let feeTotal = 0n;
  let enhancementTotal = 0n;
  const published: ChargeLine[] = lines.map((line, i) => {
    const amount = amounts[i]!;
    if (line.kind === 'fee') feeTotal += amount;
    else enhancementTotal += amount;
    return {
      kind: line.kind,
      ...(line.enhancementId !== undefined ? { enhancementId: line.enhancementId } : {}),
      description: line.description,
      from: isoOf(line.from),
      to: isoOf(line.to),
      days: line.to - line.from + 1,
      scheduleId: line.schedule.schedule.id,
      scheduleVersion: line.schedule.schedule.version,
      weeklyRate: formatPennies(line.weeklyPennies),
      amount: formatPennies(amount),
      heldOver: line.heldOver,
    };
  });
  return { published, feeTotal, enhancementTotal, total };
}

interface HomeTally {
  placements: number;
  daysCharged: number;
  heldOverDays: number;
  unpricedDays: number;
  total: bigint;
}

/** Adds a placement to its home's subtotal (a sum of placement totals, rule 5). */
function addToHome(homes: Map<string, HomeTally>, charges: PlacementCharges, total: bigint): void {
  const home = homes.get(charges.homeId) ?? {
    placements: 0,
    daysCharged: 0,
    heldOverDays: 0,
    unpricedDays: 0,
    total: 0n,
  };
  home.placements += 1;
  home.daysCharged += charges.daysCharged;
  home.heldOverDays += charges.heldOverDays;
  home.unpricedDays += charges.unpricedDays;
  home.total += total;
  homes.set(charges.homeId, home);
}

function unpricedRun(
  kind: 'fee' | 'enhancement',
  enhancementId: string | undefined,
  piece: Piece,
  reason: UnpricedReason,
  order: number,
): PendingUnpriced {
  return {
    kind,
    ...(enhancementId !== undefined ? { enhancementId } : {}),
    from: isoOf(piece.from),
    to: isoOf(piece.to),
    days: piece.to - piece.from + 1,
    reason,
    start: piece.from,
    order,
  };
}

// ── occupancy ───────────────────────────────────────────────────────────────────────────────────

export interface OccupancyInput {
  from: string;
  to: string;
  registeredPlaces: number;
  /** The cost model's planned occupancy, repeated for comparison (decimal string). */
  plannedOccupancy?: string | null | undefined;
  /** One home's placements; overlapping placements each count. */
  placements: readonly { start: string; end: string | null }[];
}

export interface Occupancy {
  days: number;
  placeDays: number;
  occupiedDays: number;
  /** occupiedDays ÷ placeDays, half-up to 6 dp. */
  occupancy: string;
  plannedOccupancy: string | null;
}

/** Occupancy of one home over `from`..`to` (both included): occupied days ÷ (registered places × days). */
export function occupancy(input: OccupancyInput): Occupancy {
  const issues: FieldIssue[] = [];
  const from = dayOf(input.from);
  const to = dayOf(input.to);
  if (from === undefined)
    issues.push({ pointer: '/from', message: 'must be a real calendar date written YYYY-MM-DD' });
  if (to === undefined)
    issues.push({ pointer: '/to', message: 'must be a real calendar date written YYYY-MM-DD' });
  if (from !== undefined && to !== undefined && to < from)
    issues.push({ pointer: '/to', message: 'must not be before from' });
  if (!Number.isSafeInteger(input.registeredPlaces) || input.registeredPlaces < 1) {
    issues.push({ pointer: '/registeredPlaces', message: 'must be a whole number of at least 1' });
  }
  const planned = input.plannedOccupancy ?? null;
  if (planned !== null && !(typeof planned === 'string' && QUANTITY.test(planned))) {
    issues.push({
      pointer: '/plannedOccupancy',
      message: 'must be a decimal string with at most 6 decimals',
    });
  }
  let occupiedDays = 0;
  input.placements.forEach((placement, index) => {
    const start = dayOf(placement.start);
    const end = placement.end === null ? FAR_FUTURE : dayOf(placement.end);
    if (start === undefined) {
      issues.push({
        pointer: `/placements/${index}/start`,
        message: 'must be a real calendar date written YYYY-MM-DD',
      });
    }
    if (end === undefined) {
      issues.push({
        pointer: `/placements/${index}/end`,
        message: 'must be a real calendar date written YYYY-MM-DD',
      });
    }
    if (start === undefined || end === undefined) return;
    if (end < start) {
      issues.push({ pointer: `/placements/${index}/end`, message: 'must not be before start' });
      return;
    }
    if (from === undefined || to === undefined) return;
    const days = Math.min(end, to) - Math.max(start, from) + 1;
    if (days > 0) occupiedDays += days;
  });
  if (issues.length > 0 || from === undefined || to === undefined) throw new DomainValidationError(issues);
  const days = to - from + 1;
  const placeDays = input.registeredPlaces * days;
  return {
    days,
    placeDays,
    occupiedDays,
    occupancy: ratio(BigInt(occupiedDays), BigInt(placeDays), 6),
    plannedOccupancy: planned,
  };
}
