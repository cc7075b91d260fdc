import { z } from 'zod';
import { DomainValidationError } from '../errors.js';
import {
  compareExact,
  exact,
  formatGbp,
  formatGbpPennies,
  formatPercent,
  formatUnits,
  penniesHalfUp,
  percentChange,
  plainDecimal,
} from '../money.js';
import { type Breakdown, type BreakdownLine, breakdownLineSchema, moneyString } from './breakdown.js';
import {
  CENTRAL_BASIS_WORDS,
  FREQUENCY_WORDS,
  type Frequency,
  type RelatedPartyRelationship,
} from './codes.js';
import { priceCostModel } from './engine.js';
import { RATE_FIELDS, type RateTables, resolveRates } from './rates.js';
import {
  type CostModel,
  type CoverFigures,
  type Enhancement,
  isoDay,
  type PropertyLine,
  type RatesBlock,
  type RunningLine,
  type StaffingLine,
} from './schema.js';

// Why a home's weekly fee per child moved between two published fee schedules.
//
// Lines: the two breakdowns side by side, matched by (code, description).
//
// Causes, by sequential substitution: start from the `from` model and apply the inputs that moved
// one cause at a time, re-pricing after each step; a cause's effect is the rounded weekly fee after
// its step less the fee before it, so the effects telescope to the fee difference exactly. The
// steps follow the order of the cost model document:
//   period · home · rates (rates / ratesFrom) · cover · staffing · property · running · central · surplus
// and, within staffing, property and running, the lines in the order of the `to` model (each
// matched line's fields in document order; an added line as one step), then removed lines in the
// order of the `from` model. Enhancements are priced on top of the fee, so they come last with an
// effect of 0.00. A different order can split the same total differently (each step is priced with
// the figures already moved before it): the split is a faithful account, not the only one.

// ── the output ─────────────────────────────────────────────────────────────────────────────────

const percentage = (description: string) =>
  z
    .string()
    .regex(/^-?\d+\.\d{2}$/)
    .nullable()
    .describe(
      `${description} A percentage with two decimal places (half-up, away from zero); null when the earlier amount is 0.`,
    );

export const FEE_CHANGE_LINE_STATUSES = ['changed', 'unchanged', 'added', 'removed'] as const;
export type FeeChangeLineStatus = (typeof FEE_CHANGE_LINE_STATUSES)[number];

/** The part of the cost model a cause belongs to; `recalculation` is the rare gap described below. */
export const FEE_CHANGE_SECTIONS = [
  'period',
  'home',
  'rates',
  'cover',
  'staffing',
  'property',
  'running',
  'central',
  'surplus',
  'enhancements',
  'recalculation',
] as const;
export type FeeChangeSection = (typeof FEE_CHANGE_SECTIONS)[number];

export const feeChangeLineSchema = z
  .object({
    code: breakdownLineSchema.shape.code,
    category: breakdownLineSchema.shape.category,
    description: breakdownLineSchema.shape.description,
    fromWeekly: moneyString('The line per child per week before ("0.00" when the line is new).'),
    toWeekly: moneyString('The line per child per week after ("0.00" when the line has gone).'),
    difference: moneyString('toWeekly − fromWeekly.'),
    percentage: percentage('difference ÷ fromWeekly × 100.'),
    status: z
      .enum(FEE_CHANGE_LINE_STATUSES)
      .describe('added or removed when the line is on one side only; otherwise changed or unchanged.'),
  })
  .describe('One line of the two breakdowns side by side, matched by code and description.');
export type FeeChangeLine = z.infer<typeof feeChangeLineSchema>;

export const feeChangeCauseSchema = z
  .object({
    section: z.enum(FEE_CHANGE_SECTIONS).describe('The part of the cost model that moved.'),
    description: z.string().describe('What moved, in words and figures a commissioner can check.'),
    path: z
      .array(z.string())
      .describe(
        'JSON pointers (RFC 6901) to what moved: into the later model, or into the earlier one for something removed.',
      ),
    from: z
      .string()
      .nullable()
      .describe(
        'The earlier raw value: the value itself for one pointer (JSON text for an object), a JSON object from pointer to value for several; null when absent.',
      ),
    to: z.string().nullable().describe('The later raw value, written the same way as `from`.'),
    effectOnWeeklyFee: moneyString(
      'How much this cause moved the weekly fee per child, by sequential substitution; the effects add up to the difference.',
    ),
  })
  .describe('One input that moved, and its effect on the weekly fee.');
export type FeeChangeCause = z.infer<typeof feeChangeCauseSchema>;

/** Method v2 §6: the kinds of related-party change between two schedules (none moves the fee). */
export const RELATED_PARTY_CHANGE_KINDS = [
  'party_added',
  'party_removed',
  'party_changed',
  'payment_added',
  'payment_removed',
  'payment_changed',
  'market_changed',
] as const;
export type RelatedPartyChangeKind = (typeof RELATED_PARTY_CHANGE_KINDS)[number];

export const relatedPartyChangeSchema = z
  .object({
    kind: z
      .enum(RELATED_PARTY_CHANGE_KINDS)
      .describe(
        'party_added / party_removed: a related party listed by one model only (removed: no longer paid); party_changed: its name, relationship or Companies House number; payment_added / payment_removed: a property or running line, or a central overhead component, newly paid (or no longer paid) to the party; payment_changed: what a central overhead component pays the party; market_changed: the market amount or its evidence of a payment to the same party.',
      ),
    partyId: z
      .string()
      .describe("The related party concerned: its id in the model (the register's reference)."),
    description: z.string().describe('What changed, in words and figures.'),
    path: z
      .array(z.string())
      .describe(
        'JSON pointers (RFC 6901) to what changed: into the later model, or into the earlier one for something removed.',
      ),
    from: z.string().nullable().describe('The earlier raw value, written as for a cause; null when absent.'),
    to: z.string().nullable().describe('The later raw value, written the same way as `from`.'),
  })
  .describe('Method v2 §6: one change in what the home pays related parties. It does not move the fee.');
export type RelatedPartyChange = z.infer<typeof relatedPartyChangeSchema>;

const rate = (description: string) =>
  z
    .string()
    .regex(/^-?\d+(\.\d+)?$/)
    .nullable()
    .describe(description);

export const relatedPartyChangesSchema = z
  .object({
    fromExcessWeeklyPerChild: moneyString(
      'X of the earlier schedule: paid to related parties above market, per child per week; null when it lists no related parties.',
    ).nullable(),
    toExcessWeeklyPerChild: moneyString(
      'X of the later schedule; null when it lists no related parties.',
    ).nullable(),
    excessDifference: moneyString(
      'toExcessWeeklyPerChild − fromExcessWeeklyPerChild, an absent X counting as 0.00.',
    ),
    fromAdjustedSurplusRate: rate(
      'The earlier adjusted surplus rate (S + X) ÷ (C − X); null when the earlier schedule lists no related parties.',
    ),
    toAdjustedSurplusRate: rate(
      'The later adjusted surplus rate; null when the later schedule lists no related parties.',
    ),
    description: z.string().describe('The change in X and in the adjusted surplus rate, in words.'),
    changes: z
      .array(relatedPartyChangeSchema)
      .describe(
        'The parties (in the order of the later model, then those no longer paid), then the payments (property lines, running lines, central overhead components) whose related party or market amount changed.',
      ),
  })
  .describe(
    'Method v2 §6: what changed in the payments to related parties. The fee never depends on market amounts or on who is paid, so none of these is a cause of the fee difference; the excess paid above market counts as surplus when the surplus is tested against the cap.',
  );
export type RelatedPartyChanges = z.infer<typeof relatedPartyChangesSchema>;

export const feeChangeSchema = z
  .object({
    fromWeeklyFee: moneyString('The earlier weekly fee per child.'),
    toWeeklyFee: moneyString('The later weekly fee per child.'),
    difference: moneyString('toWeeklyFee − fromWeeklyFee.'),
    percentage: percentage('difference ÷ fromWeeklyFee × 100.'),
    lines: z
      .array(feeChangeLineSchema)
      .describe(
        'Every line of either breakdown, in the order of the later one, then removed lines in the earlier order; the differences add up to the fee difference.',
      ),
    causes: z
      .array(feeChangeCauseSchema)
      .describe(
        'The inputs that moved, in the order of the cost model document (period, home, rates, cover, staffing, property, running, central, surplus, enhancements), each with its effect on the fee by sequential substitution in that order; the effects add up to the difference exactly. Another order could split the same total differently.',
      ),
    relatedParties: relatedPartyChangesSchema
      .optional()
      .describe(
        'Method v2 §6: present when either schedule lists related parties (even none). Listed beside the causes, not among them: the fee never depends on market amounts.',
      ),
  })
  .describe('Why the weekly fee per child moved between two priced cost models.');
export type FeeChange = z.infer<typeof feeChangeSchema>;

/** The frozen cost model and breakdown of a published fee schedule. */
export interface PricedModel {
  model: CostModel;
  breakdown: Breakdown;
}

export interface FeeChangeOptions {
  /**
   * Rate tables by tax year. Only needed for a model that names `ratesFrom` when its breakdown does
   * not carry the rates it was priced with; otherwise the breakdown's rates (the published figures)
   * are used, so a rate table revised since publication does not change the explanation.
   */
  rateTables?: RateTables | undefined;
}

/**
 * Explains why the weekly fee per child moved from one published fee schedule to another: the lines
 * side by side and the inputs that moved, each with its effect on the fee (see the note above for
 * the method and its order). Pure and deterministic. Never throws for two models that price.
 */
export function explainFeeChange(
  from: PricedModel,
  to: PricedModel,
  options: FeeChangeOptions = {},
): FeeChange {
  const fromFee = penniesHalfUp(from.breakdown.weeklyFeePerChild);
  const toFee = penniesHalfUp(to.breakdown.weeklyFeePerChild);
  const plan = planChanges(working(from, options), working(to, options));
  const related = relatedPartyChanges(from, to);
  return {
    fromWeeklyFee: formatUnits(fromFee, 2),
    toWeeklyFee: formatUnits(toFee, 2),
    difference: formatUnits(toFee - fromFee, 2),
    percentage: percentChange(toFee - fromFee, fromFee),
    lines: compareLines(from.breakdown.lines, to.breakdown.lines),
    causes: substitute(plan, fromFee, toFee),
    // only when either side has §6, so that the explanation of two version 1 schedules keeps its bytes
    ...(related === undefined ? {} : { relatedParties: related }),
  };
}

// ── sequential substitution ───────────────────────────────────────────────────────────────────

interface Entry {
  pointer: string;
  /** undefined when absent on that side. */
  from: unknown;
  to: unknown;
}

interface Draft {
  section: FeeChangeSection;
  description: string;
  entries: Entry[];
}

interface Plan {
  /** Causes that change the priced model, in order. */
  fee: Draft[];
  /** Causes that cannot move the fee (enhancements), reported with 0.00. */
  info: Draft[];
  /** The `from` model with the first `k` fee causes applied (k = fee.length gives the `to` model). */
  build(k: number): CostModel;
}

function substitute(plan: Plan, fromFee: bigint, toFee: bigint): FeeChangeCause[] {
  const feeAfter = (k: number): bigint | undefined => {
    try {
      return penniesHalfUp(priceCostModel(plan.build(k)).weeklyFeePerChild);
    } catch (error) {
      if (error instanceof DomainValidationError) return undefined;
      throw error;
    }
  };
  const count = plan.fee.length;
  const start = feeAfter(0) ?? fromFee;
  let before = start;
  let pending: Draft[] = [];
  const causes: FeeChangeCause[] = [];
  for (let k = 1; k <= count; k += 1) {
    pending.push(plan.fee[k - 1]!);
    // An intermediate model the engine refuses is merged with the next step; the last step is the
    // `to` model itself.
    const after = k === count ? (feeAfter(k) ?? toFee) : feeAfter(k);
    if (after === undefined) continue;
    causes.push(causeOf(pending, after - before));
    before = after;
    pending = [];
  }
  for (const draft of plan.info) causes.push(causeOf([draft], 0n));
  // The published fees are the end points. Re-pricing the frozen models reproduces them unless the
  // engine's rounding or method was revised since; any gap is shown rather than hidden in a cause.
  const gap = toFee - fromFee - (before - start);
  if (gap !== 0n) {
    causes.push({
      section: 'recalculation',
      description: `Not explained by the inputs: the same models re-priced today give ${formatGbpPennies(start)} → ${formatGbpPennies(before)} against the published ${formatGbpPennies(fromFee)} → ${formatGbpPennies(toFee)}`,
      path: [],
      from: formatUnits(start, 2),
      to: formatUnits(before, 2),
      effectOnWeeklyFee: formatUnits(gap, 2),
    });
  }
  return causes;
}

function causeOf(drafts: readonly Draft[], effect: bigint): FeeChangeCause {
  const entries = drafts.flatMap((draft) => draft.entries);
  return {
    section: drafts[0]!.section,
    description: drafts.map((draft) => draft.description).join('; '),
    path: entries.map((entry) => entry.pointer),
    from: rawValue(entries, 'from'),
    to: rawValue(entries, 'to'),
    effectOnWeeklyFee: formatUnits(effect, 2),
  };
}

function rawValue(entries: readonly Entry[], side: 'from' | 'to'): string | null {
  const text = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
  if (entries.length === 1) {
    const value = entries[0]![side];
    return value === undefined ? null : text(value);
  }
  const values: Record<string, unknown> = {};
  for (const entry of entries) if (entry[side] !== undefined) values[entry.pointer] = entry[side];
  return Object.keys(values).length === 0 ? null : JSON.stringify(values);
}

// ── what moved ───────────────────────────────────────────────────────────────────────────────

/** A model as it is re-priced: the rates it was published with, inline. */
interface Working {
  model: CostModel;
  rates: RatesBlock;
  /** The tax year of `ratesFrom`, or null when the model gives its own rates. */
  source: string | null;
}

function working(priced: PricedModel, options: FeeChangeOptions): Working {
  const { model, breakdown } = priced;
  if (model.rates !== undefined) return { model, rates: model.rates, source: null };
  const published = breakdown.rates as Partial<RatesBlock> | undefined;
  const complete = published !== undefined && RATE_FIELDS.every((field) => published[field] !== undefined);
  return {
    model,
    rates: complete ? (published as RatesBlock) : resolveRates(model, options.rateTables).rates,
    source: model.ratesFrom ?? null,
  };
}

const NONE = -1;
const HOME_FIELDS = ['registeredPlaces', 'plannedOccupancy', 'fteHoursPerWeek'] as const;
type HomeField = (typeof HOME_FIELDS)[number];
type RateField = (typeof RATE_FIELDS)[number];
const COVER_FIELDS = [
  'workingDaysPerYear',
  'annualLeaveDays',
  'sicknessDays',
  'trainingDays',
  'agencyShare',
  'agencyPremiumRate',
] as const satisfies readonly (keyof CoverFigures)[];
type CoverField = (typeof COVER_FIELDS)[number];
/** Staffing fields that move together as one cause (the pay basis is one choice of two fields). */
const STAFF_FIELD_GROUPS = [
  ['role'],
  ['group'],
  ['headcount'],
  ['ftePerPerson'],
  ['annualSalaryFte', 'hourlyRate'],
  ['enhancementRate'],
  ['allowancesAnnualPerPerson'],
  ['requiresCover'],
] as const satisfies readonly (readonly (keyof StaffingLine)[])[];
type StaffField = (typeof STAFF_FIELD_GROUPS)[number][number];

/** The causes found so far: those that move the fee, in substitution order, and those that cannot. */
interface Causes {
  fee: Draft[];
  info: Draft[];
}

/** Adds a cause that moves the fee; returns its number, the step of the substitution it is applied at. */
function addCause(causes: Causes, section: FeeChangeSection, description: string, entries: Entry[]): number {
  return causes.fee.push({ section, description, entries }) - 1;
}

/** Each part of the model with the numbers of the causes that move it (NONE where nothing moved). */
interface Steps {
  period: number;
  home: Map<HomeField, number>;
  rates: { byField: Map<RateField, number>; source: number };
  cover: Map<CoverField, number>;
  staffing: StaffPlan[];
  property: CostLinePlan<PropertyLine>[];
  running: CostLinePlan<RunningLine>[];
  central: { pool: number; basis: number; units: number };
  surplus: { rate: number; cap: number };
}

/** The causes in the order of the cost model document (the note at the top), then the enhancements. */
function planChanges(from: Working, to: Working): Plan {
  const causes: Causes = { fee: [], info: [] };
  const fm = from.model;
  const tm = to.model;
  // each step adds its causes in turn: the order of these properties is the order of substitution
  const steps: Steps = {
    period: planPeriod(causes, fm.period, tm.period),
    home: planHome(causes, fm.home, tm.home),
    rates: planRates(causes, from, to),
    cover: planCover(causes, fm.cover, tm.cover),
    staffing: planStaffing(causes, fm.staffing, tm.staffing),
    property: planCostLines(causes, 'property', fm.property, tm.property),
    running: planCostLines(causes, 'running', fm.running, tm.running),
    central: planCentral(causes, fm.central, tm.central),
    surplus: planSurplus(causes, fm.surplus, tm.surplus),
  };
  planEnhancements(causes, fm, tm);
  return { fee: causes.fee, info: causes.info, build: (k) => buildModel(from, to, steps, k) };
}

/** Period: label, start and end as one cause (a period is one year, so start and end move together). */
function planPeriod(causes: Causes, a: CostModel['period'], b: CostModel['period']): number {
  const fields = (['label', 'start', 'end'] as const).filter((f) => a[f] !== b[f]);
  if (fields.length === 0) return NONE;
  const entries = fields.map((f) => ({ pointer: `/period/${f}`, from: a[f], to: b[f] }));
  return addCause(causes, 'period', describePeriod(a, b), entries);
}

/** Home: registered places, planned occupancy and the hours of a full-time week, each its own cause. */
function planHome(causes: Causes, a: CostModel['home'], b: CostModel['home']): Map<HomeField, number> {
  const steps = new Map<HomeField, number>();
  for (const field of HOME_FIELDS) {
    if (same(a[field], b[field])) continue;
    const entries = [{ pointer: `/home/${field}`, from: a[field], to: b[field] }];
    steps.set(field, addCause(causes, 'home', describeHome(field, a, b), entries));
  }
  return steps;
}

/** Rates: field by field while both models give their own; a change of source is one cause. */
function planRates(causes: Causes, from: Working, to: Working): Steps['rates'] {
  const moved = RATE_FIELDS.filter((field) => !same(from.rates[field], to.rates[field]));
  if (from.source === null && to.source === null) {
    return { byField: planRateFields(causes, from.rates, to.rates, moved), source: NONE };
  }
  if (from.source === to.source && moved.length === 0) return { byField: new Map(), source: NONE };
  return { byField: new Map(), source: planRateSource(causes, from, to, moved) };
}

/** Rates the models give themselves, each figure that moved a cause. */
function planRateFields(
  causes: Causes,
  a: RatesBlock,
  b: RatesBlock,
  moved: readonly RateField[],
): Map<RateField, number> {
  const steps = new Map<RateField, number>();
  for (const field of moved) {
    if (steps.has(field)) continue;
    const fields: RateField[] = [field];
    // the lower limit alone must not rise above the old upper limit: move both together
    if (
      field === 'pensionQualifyingLowerAnnual' &&
      moved.includes('pensionQualifyingUpperAnnual') &&
      compareExact(exact(b.pensionQualifyingLowerAnnual), exact(a.pensionQualifyingUpperAnnual)) > 0
    ) {
      fields.push('pensionQualifyingUpperAnnual');
    }
    const cause = addCause(
      causes,
      'rates',
      fields.map((f) => describeRate(f, a[f], b[f])).join('; '),
      fields.map((f) => ({ pointer: `/rates/${f}`, from: a[f], to: b[f] })),
    );
    for (const f of fields) steps.set(f, cause);
  }
  return steps;
}

/** Rates from a table: another table, a table in place of the model's own rates, or a revised table. */
function planRateSource(causes: Causes, from: Working, to: Working, moved: readonly RateField[]): number {
  const figures = moved.map((f) => describeRate(f, from.rates[f], to.rates[f]));
  const heading =
    from.source !== null && to.source !== null
      ? from.source === to.source
        ? `Rate table ${to.source} revised`
        : `Rate table ${from.source} → ${to.source}`
      : `Rates ${sourceWords(from.source)} → ${sourceWords(to.source)}`;
  const entries: Entry[] =
    from.source === null || to.source === null
      ? [
          { pointer: '/rates', from: from.model.rates, to: to.model.rates },
          { pointer: '/ratesFrom', from: from.model.ratesFrom, to: to.model.ratesFrom },
        ]
      : from.source === to.source
        ? // the same table, revised since: the figures that moved
          [{ pointer: '/ratesFrom', from: pickRates(from.rates, moved), to: pickRates(to.rates, moved) }]
        : [{ pointer: '/ratesFrom', from: from.source, to: to.source }];
  const words = figures.length === 0 ? ' (no figure changed)' : `: ${figures.join('; ')}`;
  return addCause(causes, 'rates', `${heading}${words}`, entries);
}

/** Cover, field by field (an intermediate step the engine refuses is merged with the next). */
function planCover(causes: Causes, a: CoverFigures, b: CoverFigures): Map<CoverField, number> {
  const steps = new Map<CoverField, number>();
  for (const field of COVER_FIELDS) {
    if (same(a[field], b[field])) continue;
    const entries = [entry(`/cover/${field}`, a[field], b[field])];
    steps.set(field, addCause(causes, 'cover', describeCover(field, a[field], b[field]), entries));
  }
  return steps;
}

interface StaffPlan {
  pair: Pair<StaffingLine>;
  /** The cause of an added or removed line. */
  whole: number;
  /** The causes of a matched line, by field. */
  groups: Map<StaffField, number>;
}

/** Staffing lines matched by id: each group of fields that moved; an added or removed line as one cause. */
function planStaffing(
  causes: Causes,
  fromLines: readonly StaffingLine[],
  toLines: readonly StaffingLine[],
): StaffPlan[] {
  return pairUp(fromLines, toLines, (line) => line.id).map((pair) => {
    if (pair.from !== undefined && pair.to !== undefined) {
      return {
        pair,
        whole: NONE,
        groups: planStaffFields(causes, pair.from, pair.to, pair.toIndex, toLines),
      };
    }
    const whole =
      pair.to !== undefined
        ? addCause(causes, 'staffing', `Staffing line added: ${describeNewStaff(pair.to, toLines)}`, [
            { pointer: `/staffing/${pair.toIndex}`, from: undefined, to: pair.to },
          ])
        : addCause(causes, 'staffing', `Staffing line removed: ${staffLabel(pair.from!, fromLines)}`, [
            { pointer: `/staffing/${pair.fromIndex}`, from: pair.from, to: undefined },
          ]);
    return { pair, whole, groups: new Map<StaffField, number>() };
  });
}

/** A matched staffing line: each group of fields that moved, as one cause. */
function planStaffFields(
  causes: Causes,
  before: StaffingLine,
  after: StaffingLine,
  toIndex: number,
  toLines: readonly StaffingLine[],
): Map<StaffField, number> {
  const label = staffLabel(after, toLines);
  const groups = new Map<StaffField, number>();
  for (const fields of STAFF_FIELD_GROUPS) {
    const moved = fields.filter((f) => !same(before[f], after[f]));
    if (moved.length === 0) continue;
    const cause = addCause(
      causes,
      'staffing',
      describeStaffChange(fields[0], before, after, label),
      moved.map((f) => ({ pointer: `/staffing/${toIndex}/${f}`, from: before[f], to: after[f] })),
    );
    for (const f of fields) groups.set(f, cause);
  }
  return groups;
}

interface CostLinePlan<T> {
  pair: Pair<T>;
  cause: number;
}

/**
 * Property or running lines, matched by (code, description); amount, frequency and basis are one
 * cause, since together they say what the line costs.
 */
function planCostLines<T extends PropertyLine | RunningLine>(
  causes: Causes,
  section: 'property' | 'running',
  fromLines: readonly T[],
  toLines: readonly T[],
): CostLinePlan<T>[] {
  const heading = section === 'property' ? 'Property line' : 'Running line';
  return pairUp(fromLines, toLines, (line) => `${line.code}\u0000${line.description}`).map((pair) => {
    if (pair.from !== undefined && pair.to !== undefined) {
      const before = costFields(pair.from);
      const after = costFields(pair.to);
      const moved = (Object.keys(after) as (keyof typeof after)[]).filter((f) => !same(before[f], after[f]));
      if (moved.length === 0) return { pair, cause: NONE };
      const basisMoved = moved.includes('basis');
      const cause = addCause(
        causes,
        section,
        `${pair.to.description} ${costWords(pair.from, basisMoved)} → ${costWords(pair.to, basisMoved)}`,
        moved.map((f) => entry(`/${section}/${pair.toIndex}/${f}`, before[f], after[f])),
      );
      return { pair, cause };
    }
    const cause =
      pair.to !== undefined
        ? addCause(causes, section, `${heading} added: ${pair.to.description} ${costWords(pair.to, false)}`, [
            { pointer: `/${section}/${pair.toIndex}`, from: undefined, to: pair.to },
          ])
        : addCause(
            causes,
            section,
            `${heading} removed: ${pair.from!.description} ${costWords(pair.from!, false)}`,
            [{ pointer: `/${section}/${pair.fromIndex}`, from: pair.from, to: undefined }],
          );
    return { pair, cause };
  });
}

function costFields(line: PropertyLine | RunningLine): {
  amount: string;
  frequency: Frequency;
  basis?: string;
} {
  return 'basis' in line || line.code.startsWith('RUNNING_')
    ? { amount: line.amount, frequency: line.frequency, basis: basisOf(line) }
    : { amount: line.amount, frequency: line.frequency };
}

/** Central: the pool, the basis it is shared by, and the home's units of it (both units together). */
function planCentral(causes: Causes, a: CostModel['central'], b: CostModel['central']): Steps['central'] {
  const pool = same(a.poolAnnual, b.poolAnnual)
    ? NONE
    : addCause(
        causes,
        'central',
        `Central overhead pool ${formatGbp(a.poolAnnual)} → ${formatGbp(b.poolAnnual)} a year`,
        [entry('/central/poolAnnual', a.poolAnnual, b.poolAnnual)],
      );
  const basis =
    a.basis === b.basis
      ? NONE
      : addCause(
          causes,
          'central',
          `Central overhead shared by ${CENTRAL_BASIS_WORDS[a.basis]} → ${CENTRAL_BASIS_WORDS[b.basis]}`,
          [entry('/central/basis', a.basis, b.basis)],
        );
  const unitFields = (['homeUnits', 'totalUnits'] as const).filter((f) => !same(a[f], b[f]));
  const units =
    unitFields.length === 0
      ? NONE
      : addCause(
          causes,
          'central',
          `Home's share of the central overhead ${plainDecimal(a.homeUnits)} of ${plainDecimal(a.totalUnits)} units → ${plainDecimal(b.homeUnits)} of ${plainDecimal(b.totalUnits)} units`,
          unitFields.map((f) => entry(`/central/${f}`, a[f], b[f])),
        );
  return { pool, basis, units };
}

/** Surplus: the rate, then the cap; together when the new rate is above the old cap. */
function planSurplus(causes: Causes, a: CostModel['surplus'], b: CostModel['surplus']): Steps['surplus'] {
  const rateMoved = !same(a.rate, b.rate);
  const capMoved = !same(a.capRate, b.capRate);
  const rateWords = `Surplus rate ${formatPercent(a.rate)} → ${formatPercent(b.rate)}`;
  const capWords = `Surplus cap ${formatPercent(a.capRate)} → ${formatPercent(b.capRate)}`;
  const rateEntry = entry('/surplus/rate', a.rate, b.rate);
  const capEntry = entry('/surplus/capRate', a.capRate, b.capRate);
  if (rateMoved && capMoved && compareExact(exact(b.rate), exact(a.capRate)) > 0) {
    const both = addCause(causes, 'surplus', `${rateWords}; ${capWords}`, [rateEntry, capEntry]);
    return { rate: both, cap: both };
  }
  const rate = rateMoved ? addCause(causes, 'surplus', rateWords, [rateEntry]) : NONE;
  const cap = capMoved ? addCause(causes, 'surplus', capWords, [capEntry]) : NONE;
  return { rate, cap };
}

/** Enhancements: charged on top of the fee, so never in the re-priced models (an effect of 0.00). */
function planEnhancements(causes: Causes, fm: CostModel, tm: CostModel): void {
  const push = (description: string, entries: Entry[]) =>
    causes.info.push({ section: 'enhancements', description, entries });
  for (const pair of pairUp(fm.enhancements ?? [], tm.enhancements ?? [], (e) => e.description)) {
    if (pair.from !== undefined && pair.to !== undefined) {
      const pointer = `/enhancements/${pair.toIndex}`;
      if (pair.from.roleId !== pair.to.roleId) {
        push(
          `Enhancement "${pair.to.description}" priced on ${roleName(pair.from.roleId, fm.staffing)} → ${roleName(pair.to.roleId, tm.staffing)} (charged on top of the weekly fee)`,
          [entry(`${pointer}/roleId`, pair.from.roleId, pair.to.roleId)],
        );
      }
      if (!same(pair.from.hoursPerWeek, pair.to.hoursPerWeek)) {
        push(
          `Enhancement "${pair.to.description}" hours a week ${plainDecimal(pair.from.hoursPerWeek)} → ${plainDecimal(pair.to.hoursPerWeek)} (charged on top of the weekly fee)`,
          [entry(`${pointer}/hoursPerWeek`, pair.from.hoursPerWeek, pair.to.hoursPerWeek)],
        );
      }
    } else if (pair.to !== undefined) {
      push(
        `Enhancement added (charged on top of the weekly fee): ${describeEnhancement(pair.to, tm.staffing)}`,
        [{ pointer: `/enhancements/${pair.toIndex}`, from: undefined, to: pair.to }],
      );
    } else {
      push(`Enhancement removed: ${describeEnhancement(pair.from!, fm.staffing)}`, [
        { pointer: `/enhancements/${pair.fromIndex}`, from: pair.from, to: undefined },
      ]);
    }
  }
}

// ── the models in between ────────────────────────────────────────────────────────────────────────

/** The `from` model with the first `k` fee causes applied (k = all of them gives the `to` model). */
function buildModel(from: Working, to: Working, steps: Steps, k: number): CostModel {
  const on = (cause: number) => cause !== NONE && cause < k;
  const pick = <T>(cause: number | undefined, a: T, b: T): T => (cause !== undefined && on(cause) ? b : a);
  const fm = from.model;
  const tm = to.model;
  const { central, surplus } = steps;
  return {
    period: pick(steps.period, fm.period, tm.period),
    home: Object.fromEntries(
      HOME_FIELDS.map((f) => [f, pick(steps.home.get(f), fm.home[f], tm.home[f])]),
    ) as CostModel['home'],
    rates: on(steps.rates.source)
      ? { ...to.rates }
      : (Object.fromEntries(
          RATE_FIELDS.map((f) => [f, pick(steps.rates.byField.get(f), from.rates[f], to.rates[f])]),
        ) as RatesBlock),
    cover: Object.fromEntries(
      COVER_FIELDS.map((f) => [f, pick(steps.cover.get(f), fm.cover[f], tm.cover[f])]),
    ) as CoverFigures,
    staffing: buildStaffing(steps.staffing, on),
    property: buildCostLines(steps.property, on),
    running: buildCostLines(steps.running, on),
    central: {
      poolAnnual: pick(central.pool, fm.central.poolAnnual, tm.central.poolAnnual),
      basis: pick(central.basis, fm.central.basis, tm.central.basis),
      homeUnits: pick(central.units, fm.central.homeUnits, tm.central.homeUnits),
      totalUnits: pick(central.units, fm.central.totalUnits, tm.central.totalUnits),
    },
    surplus: {
      rate: pick(surplus.rate, fm.surplus.rate, tm.surplus.rate),
      capRate: pick(surplus.cap, fm.surplus.capRate, tm.surplus.capRate),
    },
  };
}

/** The staffing lines after the causes that are on: a matched line field by field. */
function buildStaffing(plans: readonly StaffPlan[], on: (cause: number) => boolean): StaffingLine[] {
  const staffing: StaffingLine[] = [];
  for (const { pair, whole, groups } of plans) {
    if (pair.from !== undefined && pair.to !== undefined) {
      const line: Record<string, unknown> = { ...pair.from };
      for (const [field, cause] of groups) {
        if (!on(cause)) continue;
        if (pair.to[field] === undefined) delete line[field];
        else line[field] = pair.to[field];
      }
      staffing.push(line as StaffingLine);
    } else if (pair.to !== undefined ? on(whole) : !on(whole)) {
      staffing.push((pair.to ?? pair.from)!);
    }
  }
  return staffing;
}

function buildCostLines<T>(plans: readonly CostLinePlan<T>[], on: (cause: number) => boolean): T[] {
  const lines: T[] = [];
  for (const { pair, cause } of plans) {
    if (pair.from !== undefined && pair.to !== undefined) lines.push(on(cause) ? pair.to : pair.from);
    else if (pair.to !== undefined) {
      if (on(cause)) lines.push(pair.to);
    } else if (!on(cause)) lines.push(pair.from!);
  }
  return lines;
}

// ── related parties (method v2 §6) ─────────────────────────────────────────────────────────────

/** §6 how a related party is related to the provider, in words. */
export const RELATIONSHIP_WORDS: Record<RelatedPartyRelationship, string> = {
  parent: 'parent of the provider',
  subsidiary: 'subsidiary of the provider',
  common_control: 'under common control with the provider',
  director_or_trustee: 'director or trustee of the provider',
  key_personnel: 'key management personnel of the provider',
  family_of_key_personnel: "family member of the provider's key management personnel",
  other: 'other related party',
};

type Party = NonNullable<CostModel['relatedParties']>[number];
type Charge = NonNullable<CostModel['central']['relatedPartyCharges']>[number];

/** Records one related-party change. */
type Push = (kind: RelatedPartyChangeKind, partyId: string, description: string, entries: Entry[]) => void;

/** The parties each model lists, for their names. */
interface Parties {
  from: readonly Party[];
  to: readonly Party[];
}

/**
 * §6 what changed in the payments to related parties, or undefined when neither schedule lists
 * related parties. Read from the frozen models (for the pointers and raw values) and breakdowns
 * (for X and the adjusted surplus rate). Nothing here moves the fee.
 */
function relatedPartyChanges(from: PricedModel, to: PricedModel): RelatedPartyChanges | undefined {
  const fb = from.breakdown;
  const tb = to.breakdown;
  if (fb.relatedParties === undefined && tb.relatedParties === undefined) return undefined;
  const fm = from.model;
  const tm = to.model;
  const parties: Parties = { from: fm.relatedParties ?? [], to: tm.relatedParties ?? [] };
  const changes: RelatedPartyChange[] = [];
  const push: Push = (kind, partyId, description, entries) =>
    changes.push({
      kind,
      partyId,
      description,
      path: entries.map((e) => e.pointer),
      from: rawValue(entries, 'from'),
      to: rawValue(entries, 'to'),
    });
  partyChanges(push, parties);
  linePaymentChanges(push, 'property', fm.property, tm.property, parties);
  linePaymentChanges(push, 'running', fm.running, tm.running, parties);
  componentChanges(push, fm.central.relatedPartyCharges ?? [], tm.central.relatedPartyCharges ?? [], parties);

  const fromExcess = fb.relatedPartyExcessWeeklyPerChild ?? null;
  const toExcess = tb.relatedPartyExcessWeeklyPerChild ?? null;
  const fromRate = fb.relatedParties === undefined ? null : (fb.adjustedSurplusRate ?? null);
  const toRate = tb.relatedParties === undefined ? null : (tb.adjustedSurplusRate ?? null);
  const excessDifference = penniesHalfUp(toExcess ?? '0') - penniesHalfUp(fromExcess ?? '0');
  return {
    fromExcessWeeklyPerChild: fromExcess,
    toExcessWeeklyPerChild: toExcess,
    excessDifference: formatUnits(excessDifference, 2),
    fromAdjustedSurplusRate: fromRate,
    toAdjustedSurplusRate: toRate,
    description: describeExcess(fb, tb, excessDifference),
    changes,
  };
}

function nameIn(parties: readonly Party[], id: string): string {
  return parties.find((party) => party.id === id)?.name ?? id;
}

/** §6 the parties, matched by id: added, no longer paid, or changed. */
function partyChanges(push: Push, parties: Parties): void {
  for (const pair of pairUp(parties.from, parties.to, (party) => party.id)) {
    if (pair.from !== undefined && pair.to !== undefined) {
      partyChanged(push, pair.from, pair.to, `/relatedParties/${pair.toIndex}`);
    } else if (pair.to !== undefined) {
      push('party_added', pair.to.id, `Related party added: ${partyWords(pair.to)}`, [
        { pointer: `/relatedParties/${pair.toIndex}`, from: undefined, to: pair.to },
      ]);
    } else {
      push('party_removed', pair.from!.id, `Related party no longer paid: ${partyWords(pair.from!)}`, [
        { pointer: `/relatedParties/${pair.fromIndex}`, from: pair.from, to: undefined },
      ]);
    }
  }
}

/** §6 a party both models list: its name, relationship and Companies House number, as one change. */
function partyChanged(push: Push, a: Party, b: Party, pointer: string): void {
  const parts: string[] = [];
  const entries: Entry[] = [];
  if (a.name !== b.name) {
    parts.push(`name ${a.name} → ${b.name}`);
    entries.push(entry(`${pointer}/name`, a.name, b.name));
  }
  if (a.relationship !== b.relationship) {
    parts.push(`relationship ${RELATIONSHIP_WORDS[a.relationship]} → ${RELATIONSHIP_WORDS[b.relationship]}`);
    entries.push(entry(`${pointer}/relationship`, a.relationship, b.relationship));
  }
  if (a.companiesHouseNumber !== b.companiesHouseNumber) {
    parts.push(
      `Companies House number ${a.companiesHouseNumber ?? 'none'} → ${b.companiesHouseNumber ?? 'none'}`,
    );
    entries.push(entry(`${pointer}/companiesHouseNumber`, a.companiesHouseNumber, b.companiesHouseNumber));
  }
  if (entries.length > 0)
    push('party_changed', b.id, `Related party ${b.name}: ${parts.join('; ')}`, entries);
}

/** §6 property or running lines, matched as for the causes by (code, description). */
function linePaymentChanges(
  push: Push,
  section: 'property' | 'running',
  fromLines: readonly (PropertyLine | RunningLine)[],
  toLines: readonly (PropertyLine | RunningLine)[],
  parties: Parties,
): void {
  for (const pair of pairUp(fromLines, toLines, (line) => `${line.code}\u0000${line.description}`)) {
    const a = pair.from?.relatedPartyId;
    const b = pair.to?.relatedPartyId;
    // a pointer into the later model while the line is there, else into the earlier one
    const pointer = pair.to !== undefined ? `/${section}/${pair.toIndex}` : `/${section}/${pair.fromIndex}`;
    if (a !== undefined && a !== b) {
      const gone = pair.to === undefined ? ' (the line is removed)' : '';
      push(
        'payment_removed',
        a,
        `${lineName(pair.from!)} no longer paid to related party ${nameIn(parties.from, a)}${gone}`,
        [entry(`${pointer}/relatedPartyId`, a, b)],
      );
    }
    if (b !== undefined && b !== a) {
      const line = pair.to!;
      const added = pair.from === undefined ? ' (a new line)' : '';
      push(
        'payment_added',
        b,
        `${lineName(line)} now paid to related party ${nameIn(parties.to, b)}${added}: ${costWords(line, false)} against a market ${marketWords(line)} (${line.marketEvidence ?? 'no evidence given'})`,
        [entry(`${pointer}/relatedPartyId`, a, b)],
      );
    }
    if (a !== undefined && a === b)
      lineMarketChanged(push, pair.from!, pair.to!, pointer, nameIn(parties.to, b));
  }
}

/** §6 a line paid to the same party in both models: its market amount and evidence, as one change. */
function lineMarketChanged(
  push: Push,
  before: PropertyLine | RunningLine,
  after: PropertyLine | RunningLine,
  pointer: string,
  name: string,
): void {
  const parts: string[] = [];
  const entries: Entry[] = [];
  if (marketWords(before) !== marketWords(after)) {
    parts.push(`market amount ${marketWords(before)} → ${marketWords(after)}`);
    entries.push(entry(`${pointer}/marketAmount`, before.marketAmount, after.marketAmount));
  }
  if (before.marketEvidence !== after.marketEvidence) {
    parts.push(`evidence “${before.marketEvidence ?? ''}” → “${after.marketEvidence ?? ''}”`);
    entries.push(entry(`${pointer}/marketEvidence`, before.marketEvidence, after.marketEvidence));
  }
  if (entries.length > 0) {
    push(
      'market_changed',
      after.relatedPartyId!,
      `${lineName(after)}, paid to related party ${name}: ${parts.join('; ')}`,
      entries,
    );
  }
}

/** §6 central overhead components paid to related parties, matched by description. */
function componentChanges(
  push: Push,
  fromCharges: readonly Charge[],
  toCharges: readonly Charge[],
  parties: Parties,
): void {
  for (const pair of pairUp(fromCharges, toCharges, (charge) => charge.description)) {
    const a = pair.from;
    const b = pair.to;
    if (a !== undefined && b !== undefined && a.relatedPartyId === b.relatedPartyId) {
      componentChanged(
        push,
        a,
        b,
        `/central/relatedPartyCharges/${pair.toIndex}`,
        nameIn(parties.to, b.relatedPartyId),
      );
      continue;
    }
    if (a !== undefined) {
      const pointer =
        b !== undefined
          ? `/central/relatedPartyCharges/${pair.toIndex}/relatedPartyId`
          : `/central/relatedPartyCharges/${pair.fromIndex}`;
      push(
        'payment_removed',
        a.relatedPartyId,
        `${chargeName(a)} no longer paid to related party ${nameIn(parties.from, a.relatedPartyId)}`,
        [b !== undefined ? entry(pointer, a.relatedPartyId, b.relatedPartyId) : entry(pointer, a, undefined)],
      );
    }
    if (b !== undefined) {
      const pointer =
        a !== undefined
          ? `/central/relatedPartyCharges/${pair.toIndex}/relatedPartyId`
          : `/central/relatedPartyCharges/${pair.toIndex}`;
      push(
        'payment_added',
        b.relatedPartyId,
        `${chargeName(b)} now paid to related party ${nameIn(parties.to, b.relatedPartyId)}: ${formatGbp(b.amountAnnual)} a year against a market ${formatGbp(b.marketAmountAnnual)} a year (${b.marketEvidence})`,
        [a !== undefined ? entry(pointer, a.relatedPartyId, b.relatedPartyId) : entry(pointer, undefined, b)],
      );
    }
  }
}

/** §6 a component paid to the same party in both: what it pays (part of the pool), then its market. */
function componentChanged(push: Push, a: Charge, b: Charge, pointer: string, name: string): void {
  if (!same(a.amountAnnual, b.amountAnnual)) {
    push(
      'payment_changed',
      b.relatedPartyId,
      `${chargeName(b)}, paid to related party ${name}: ${formatGbp(a.amountAnnual)} → ${formatGbp(b.amountAnnual)} a year (part of the central overhead pool)`,
      [entry(`${pointer}/amountAnnual`, a.amountAnnual, b.amountAnnual)],
    );
  }
  const parts: string[] = [];
  const entries: Entry[] = [];
  if (!same(a.marketAmountAnnual, b.marketAmountAnnual)) {
    parts.push(
      `market amount ${formatGbp(a.marketAmountAnnual)} → ${formatGbp(b.marketAmountAnnual)} a year`,
    );
    entries.push(entry(`${pointer}/marketAmountAnnual`, a.marketAmountAnnual, b.marketAmountAnnual));
  }
  if (a.marketEvidence !== b.marketEvidence) {
    parts.push(`evidence “${a.marketEvidence}” → “${b.marketEvidence}”`);
    entries.push(entry(`${pointer}/marketEvidence`, a.marketEvidence, b.marketEvidence));
  }
  if (entries.length > 0) {
    push(
      'market_changed',
      b.relatedPartyId,
      `${chargeName(b)}, paid to related party ${name}: ${parts.join('; ')}`,
      entries,
    );
  }
}

/** The change in X and in the adjusted surplus rate, in words. */
function describeExcess(fb: Breakdown, tb: Breakdown, difference: bigint): string {
  const cap = (breakdown: Breakdown) => `the ${formatPercent(breakdown.capRate)} cap`;
  const excess = (breakdown: Breakdown) => formatGbp(breakdown.relatedPartyExcessWeeklyPerChild ?? '0');
  const adjusted = (breakdown: Breakdown) =>
    formatPercent(breakdown.adjustedSurplusRate ?? breakdown.surplusRate);
  if (fb.relatedParties === undefined) {
    return `Related parties declared for the first time: ${excess(tb)} a week per child paid to them above market; counting it as surplus, the adjusted surplus rate is ${adjusted(tb)} (surplus rate ${formatPercent(tb.surplusRate)}), within ${cap(tb)}`;
  }
  if (tb.relatedParties === undefined) {
    return `Related parties no longer declared (the earlier schedule paid them ${excess(fb)} a week per child above market, an adjusted surplus rate of ${adjusted(fb)})`;
  }
  const signed =
    difference === 0n ? 'no change' : `${difference > 0n ? '+' : ''}${formatGbpPennies(difference)}`;
  return `Paid to related parties above market, a week per child: ${excess(fb)} → ${excess(tb)} (${signed}); the adjusted surplus rate, counting it as surplus, ${adjusted(fb)} → ${adjusted(tb)}, within ${cap(tb)}`;
}

function partyWords(party: Party): string {
  const number =
    party.companiesHouseNumber === undefined ? '' : ` (Companies House ${party.companiesHouseNumber})`;
  return `${party.name}${number}, ${RELATIONSHIP_WORDS[party.relationship]}`;
}

function lineName(line: PropertyLine | RunningLine): string {
  return `${line.description} (${line.code})`;
}

function chargeName(charge: Charge): string {
  return `Central overhead component ${charge.description}`;
}

/** The market amount of a line paid to a related party, with the line's frequency and basis. */
function marketWords(line: PropertyLine | RunningLine): string {
  return line.marketAmount === undefined
    ? 'none given'
    : costWords({ ...line, amount: line.marketAmount }, false);
}

// ── lines side by side ───────────────────────────────────────────────────────────────────────

function compareLines(
  fromLines: readonly BreakdownLine[],
  toLines: readonly BreakdownLine[],
): FeeChangeLine[] {
  return pairUp(fromLines, toLines, (line) => `${line.code}\u0000${line.description}`).map((pair) => {
    const line = (pair.to ?? pair.from)!;
    const before = pair.from === undefined ? 0n : penniesHalfUp(pair.from.weeklyPerChild);
    const after = pair.to === undefined ? 0n : penniesHalfUp(pair.to.weeklyPerChild);
    const status: FeeChangeLineStatus =
      pair.from === undefined
        ? 'added'
        : pair.to === undefined
          ? 'removed'
          : after === before
            ? 'unchanged'
            : 'changed';
    return {
      code: line.code,
      category: line.category,
      description: line.description,
      fromWeekly: formatUnits(before, 2),
      toWeekly: formatUnits(after, 2),
      difference: formatUnits(after - before, 2),
      percentage: percentChange(after - before, before),
      status,
    };
  });
}

// ── matching ─────────────────────────────────────────────────────────────────────────────────

interface Pair<T> {
  from: T | undefined;
  fromIndex: number;
  to: T | undefined;
  toIndex: number;
}

/**
 * Matches two lists by key, the n-th occurrence of a key with the n-th: matched and added items in
 * the order of `to`, then removed items in the order of `from`.
 */
function pairUp<T>(fromItems: readonly T[], toItems: readonly T[], key: (item: T) => string): Pair<T>[] {
  const waiting = new Map<string, number[]>();
  fromItems.forEach((item, index) => {
    const k = key(item);
    const queue = waiting.get(k);
    if (queue === undefined) waiting.set(k, [index]);
    else queue.push(index);
  });
  const matched = new Set<number>();
  const pairs: Pair<T>[] = toItems.map((item, toIndex) => {
    const fromIndex = waiting.get(key(item))?.shift();
    if (fromIndex === undefined) return { from: undefined, fromIndex: NONE, to: item, toIndex };
    matched.add(fromIndex);
    return { from: fromItems[fromIndex], fromIndex, to: item, toIndex };
  });
  fromItems.forEach((item, fromIndex) => {
    if (!matched.has(fromIndex)) pairs.push({ from: item, fromIndex, to: undefined, toIndex: NONE });
  });
  return pairs;
}

// ── words and figures ────────────────────────────────────────────────────────────────────────

const DECIMAL = /^-?\d+(\.\d+)?$/;

const PENSION_BASIS_WORDS: Record<RatesBlock['pensionBasis'], string> = {
  gross: 'gross pay',
  qualifying_earnings: 'qualifying earnings',
};

const RATE_WORDS: Record<(typeof RATE_FIELDS)[number], string> = {
  employerNiRate: 'Employer NI rate',
  niSecondaryThresholdAnnual: 'Employer NI secondary threshold',
  employerPensionRate: 'Employer pension rate',
  pensionBasis: 'Pension basis',
  pensionQualifyingLowerAnnual: 'Pension qualifying earnings lower limit',
  pensionQualifyingUpperAnnual: 'Pension qualifying earnings upper limit',
  apprenticeshipLevyRate: 'Apprenticeship levy rate',
};

const COVER_WORDS: Record<(typeof COVER_FIELDS)[number], string> = {
  workingDaysPerYear: 'Working days a year',
  annualLeaveDays: 'Annual leave days',
  sicknessDays: 'Sickness days',
  trainingDays: 'Training days',
  agencyShare: 'Agency share of absence cover',
  agencyPremiumRate: 'Agency premium',
};

/** Equal values: decimal strings by value ("0.9" = "0.90"), anything else strictly. */
function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string' && DECIMAL.test(a) && DECIMAL.test(b)) {
    return compareExact(exact(a), exact(b)) === 0;
  }
  return a === b;
}

function entry(pointer: string, from: unknown, to: unknown): Entry {
  return { pointer, from, to };
}

function basisOf(line: PropertyLine | RunningLine): string {
  return 'basis' in line && line.basis !== undefined ? line.basis : 'per_home';
}

function costWords(line: PropertyLine | RunningLine, showBasis: boolean): string {
  const amount = `${formatGbp(line.amount)} ${FREQUENCY_WORDS[line.frequency]}`;
  if (!line.code.startsWith('RUNNING_')) return amount;
  const basis = basisOf(line);
  return basis === 'per_child' ? `${amount} per child` : showBasis ? `${amount} for the home` : amount;
}

function sourceWords(source: string | null): string {
  return source === null ? 'given in the model' : `from the ${source} rate table`;
}

function pickRates(rates: RatesBlock, fields: readonly (keyof RatesBlock)[]): Partial<RatesBlock> {
  return Object.fromEntries(fields.map((f) => [f, rates[f]]));
}

function describeRate(field: (typeof RATE_FIELDS)[number], a: string, b: string): string {
  const words = RATE_WORDS[field];
  switch (field) {
    case 'pensionBasis':
      return `${words} ${PENSION_BASIS_WORDS[a as RatesBlock['pensionBasis']] ?? a} → ${PENSION_BASIS_WORDS[b as RatesBlock['pensionBasis']] ?? b}`;
    case 'niSecondaryThresholdAnnual':
    case 'pensionQualifyingLowerAnnual':
    case 'pensionQualifyingUpperAnnual':
      return `${words} ${formatGbp(a)} → ${formatGbp(b)}`;
    default:
      return `${words} ${formatPercent(a)} → ${formatPercent(b)}`;
  }
}

function describeHome(field: HomeField, a: CostModel['home'], b: CostModel['home']): string {
  switch (field) {
    case 'registeredPlaces':
      return `Registered places ${a.registeredPlaces} → ${b.registeredPlaces}`;
    case 'plannedOccupancy':
      return `Planned occupancy ${formatPercent(a.plannedOccupancy)} → ${formatPercent(b.plannedOccupancy)}`;
    case 'fteHoursPerWeek':
      return `Hours in a full-time week ${plainDecimal(a.fteHoursPerWeek)} → ${plainDecimal(b.fteHoursPerWeek)}`;
  }
}

function describeCover(field: (typeof COVER_FIELDS)[number], a: string, b: string): string {
  const figure = field === 'agencyShare' || field === 'agencyPremiumRate' ? formatPercent : plainDecimal;
  return `${COVER_WORDS[field]} ${figure(a)} → ${figure(b)}`;
}

function describePeriod(a: CostModel['period'], b: CostModel['period']): string {
  const days = (p: CostModel['period']) => {
    const start = isoDay(p.start);
    const end = isoDay(p.end);
    return start === undefined || end === undefined ? undefined : end - start + 1;
  };
  const text =
    a.label !== b.label
      ? `Period ${a.label} → ${b.label}`
      : `Period ${a.label} dates ${a.start} to ${a.end} → ${b.start} to ${b.end}`;
  const before = days(a);
  const after = days(b);
  return before !== undefined && after !== undefined && before !== after
    ? `${text} (${before} → ${after} days)`
    : text;
}

/** The role, with the id when another line of the same model has the same role. */
function staffLabel(line: StaffingLine, lines: readonly StaffingLine[]): string {
  const shared = lines.some((other) => other !== line && other.role === line.role);
  return shared ? `${line.role} (${line.id})` : line.role;
}

function roleName(id: string, lines: readonly StaffingLine[]): string {
  const line = lines.find((candidate) => candidate.id === id);
  return line === undefined ? id : staffLabel(line, lines);
}

function payWords(line: StaffingLine): string {
  if (line.hourlyRate !== undefined) return `${formatGbp(line.hourlyRate)} an hour`;
  if (line.annualSalaryFte !== undefined) return `${formatGbp(line.annualSalaryFte)} a year per FTE`;
  return 'no pay given';
}

function describeNewStaff(line: StaffingLine, lines: readonly StaffingLine[]): string {
  return `${staffLabel(line, lines)}, ${line.headcount} × ${plainDecimal(line.ftePerPerson)} FTE at ${payWords(line)}`;
}

function describeStaffChange(field: StaffField, a: StaffingLine, b: StaffingLine, label: string): string {
  switch (field) {
    case 'role':
      return `Role renamed: ${a.role} → ${b.role}`;
    case 'group':
      return `${label} staff group ${a.group} → ${b.group}`;
    case 'headcount':
      return `${label} headcount ${a.headcount} → ${b.headcount}`;
    case 'ftePerPerson':
      return `${label} FTE per person ${plainDecimal(a.ftePerPerson)} → ${plainDecimal(b.ftePerPerson)}`;
    case 'annualSalaryFte':
    case 'hourlyRate':
      if (a.hourlyRate !== undefined && b.hourlyRate !== undefined) {
        return `${label} hourly rate ${formatGbp(a.hourlyRate)} → ${formatGbp(b.hourlyRate)}`;
      }
      if (a.annualSalaryFte !== undefined && b.annualSalaryFte !== undefined) {
        return `${label} annual salary per FTE ${formatGbp(a.annualSalaryFte)} → ${formatGbp(b.annualSalaryFte)}`;
      }
      return `${label} pay ${payWords(a)} → ${payWords(b)}`;
    case 'enhancementRate':
      return `${label} pay enhancement ${formatPercent(a.enhancementRate)} → ${formatPercent(b.enhancementRate)}`;
    case 'allowancesAnnualPerPerson':
      return `${label} allowances ${formatGbp(a.allowancesAnnualPerPerson)} → ${formatGbp(b.allowancesAnnualPerPerson)} a year per person`;
    case 'requiresCover':
      return b.requiresCover ? `${label} now needs absence cover` : `${label} no longer needs absence cover`;
  }
}

function describeEnhancement(enhancement: Enhancement, lines: readonly StaffingLine[]): string {
  return `${enhancement.description}, ${plainDecimal(enhancement.hoursPerWeek)} hours a week of ${roleName(enhancement.roleId, lines)}`;
}
