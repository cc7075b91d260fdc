// Scenarios: what a fee does when occupancy, pay, agency use or a cost line move (pure: no I/O, no
// clock). Every combination is a cost model priced by the method's own engine (priceFee, the same
// steps and rounding as a quote); nothing here is stored, signed or chained.
//
// THE SCENARIO RULE
//
// 1. The point. The base model with the scenario's `changes` applied in the order given: a lever
//    sets its field (occupancy, agency share, employer NI rate, an hourly rate, a line's amount, the
//    surplus rate); a pay uplift u multiplies the pay (annualSalaryFte or hourlyRate) of the lines it
//    names by 1 + u, half-up to the penny, and uplifts compound. A model that names a rate table
//    (ratesFrom) takes that table's rates as its own when the employer NI rate moves.
// 2. Grids. Each combination of a grid's axes is applied to the point (the last axis varies
//    fastest) and priced. A combination the method refuses (§6: an adjusted surplus rate above the
//    cap, say) is reported with the method's reason and no fee.
// 3. Break-even occupancy. The unrounded weekly fee is exactly a + b ÷ o in the occupancy o: the
//    per_child running lines give a, every other line b (§2: a home-level line is its annual amount
//    ÷ W ÷ P, P = registered places × o; the surplus is a mark-up on both). So the occupancy at
//    which a target fee T covers cost plus surplus is o* = b ÷ (T − a), solved exactly in integers on
//    the engine's common scale. It is published rounded up to 6 decimal places (the precision of
//    plannedOccupancy), the lowest such occupancy at which the fee priced is at most T, with the
//    exact fraction beside it. There is none when the per-child lines alone cost T or more.
// 4. Sensitivity. For each lever at the point (occupancy, pay by staff group, agency share, employer
//    NI rate, surplus rate, each property and running line's amount), its value × (1 + s) for
//    s = −10%, −5%, +5%, +10%, half-up to the field's precision (a pay group's pay moves by s as an
//    uplift), priced; a value outside the field's bounds (occupancy above 1, a surplus rate above the
//    cap) is reported with no fee. A lever whose value is 0 is left out (a share of nothing is
//    nothing). The levers are listed by swing, the widest first.

import { DomainValidationError, type FieldIssue } from '../errors.js';
import {
  divideHalfUp,
  exact,
  formatExact,
  formatPennies,
  formatUnits,
  penniesOf,
  pow10,
  unitsAt,
} from '../money.js';
import {
  type CostModel,
  type FeeCurve,
  type PricedFee,
  type PriceOptions,
  priceFee,
  type RatesBlock,
  resolveRates,
  STAFF_GROUPS,
  type StaffingLine,
} from '../pricing/index.js';
import { type Lever, MAX_COMBINATIONS, type ScenarioSpec } from './schema.js';

export * from './schema.js';

// ── levers: what each sets, its precision and bounds ────────────────────────────────────────────

interface LeverRule {
  places: 2 | 6;
  /** Inclusive bounds in units of 10^-places; `above` makes the lower bound exclusive. */
  min: bigint;
  above?: boolean;
  max?: bigint;
  what: string;
}

const UNIT = 1_000_000n;
const RULES: Record<Lever, LeverRule> = {
  plannedOccupancy: {
    places: 6,
    min: 0n,
    above: true,
    max: UNIT,
    what: 'an occupancy above 0 and at most 1',
  },
  payUplift: { places: 6, min: -UNIT / 2n, max: UNIT, what: 'an uplift from -0.5 to 1' },
  agencyShare: { places: 6, min: 0n, max: UNIT, what: 'a share from 0 to 1' },
  employerNiRate: { places: 6, min: 0n, max: UNIT, what: 'a rate from 0 to 1' },
  hourlyRate: { places: 2, min: 0n, above: true, max: 10n ** 14n - 1n, what: 'an hourly rate above £0' },
  amount: { places: 2, min: 0n, max: 10n ** 14n - 1n, what: 'an amount of £0 or more' },
  surplusRate: { places: 6, min: 0n, what: 'a surplus rate of 0 or more' },
};

const SIGNED_DECIMAL = /^-?\d{1,12}(\.\d+)?$/;

/** A lever and what it names in the model. */
export interface LeverTarget {
  lever: Lever;
  group?: (typeof STAFF_GROUPS)[number];
  /** A staffing line id (payUplift, hourlyRate) or a property or running line's pointer (amount). */
  line?: string;
  /** `lever`, `lever:group` or `lever:line`: the name of the lever's column. */
  key: string;
  /** In words, for a reader. */
  label: string;
}

/** A lever set to a value (in units of 10^-places of its rule). */
export interface Setting {
  target: LeverTarget;
  units: bigint;
}

/** A value as the model writes it: "0.75", "1", "30500.00". */
export function leverText(lever: Lever, units: bigint): string {
  const { places } = RULES[lever];
  return places === 2 ? formatUnits(units, places) : formatExact({ units, places });
}

/** A lever as a column of what a scenario publishes: its key, what it names, and its label. */
export interface LeverColumn {
  key: string;
  lever: Lever;
  group?: string;
  line?: string;
  label: string;
}

export function leverColumn(target: LeverTarget): LeverColumn {
  return {
    key: target.key,
    lever: target.lever,
    ...(target.group === undefined ? {} : { group: target.group }),
    ...(target.line === undefined ? {} : { line: target.line }),
    label: target.label,
  };
}

// ── the plan: the request checked against the model ─────────────────────────────────────────────

export interface PlannedAxis {
  target: LeverTarget;
  values: bigint[];
}

export interface PlannedGrid {
  name: string;
  axes: PlannedAxis[];
  combinations: number;
}

export interface ScenarioPlan {
  base: CostModel;
  point: CostModel;
  changes: Setting[];
  grids: PlannedGrid[];
  combinations: number;
  /** The fee to break even at, in pennies, and whether it was given or is the base's own. */
  target: { pennies: bigint; source: 'given' | 'base' };
  baseFee: PricedFee;
  pointFee: PricedFee;
  options: PriceOptions;
}

/**
 * Checks a scenario against its base model and prices the base and the point. Throws
 * DomainValidationError naming every offending field (pointers into the request: `/changes/0/value`,
 * `/grids/1/axes/0/range/step`), or 422 at `/grids` with the count when there are more than
 * MAX_COMBINATIONS combinations; a base or point the method refuses is named at `/changes`.
 */
export function planScenario(base: CostModel, spec: ScenarioSpec, options: PriceOptions = {}): ScenarioPlan {
  const issues: FieldIssue[] = [];
  const changes: Setting[] = [];
  spec.changes.forEach((change, index) => {
    const pointer = `/changes/${index}`;
    const target = targetOf(base, change, pointer, issues);
    const units = valueUnits(change.lever, change.value, `${pointer}/value`, base, issues);
    if (target !== undefined && units !== undefined) changes.push({ target, units });
  });
  const grids: PlannedGrid[] = [];
  let combinations = 0;
  spec.grids.forEach((grid, g) => {
    const axes: PlannedAxis[] = [];
    let count = 1;
    grid.axes.forEach((axis, a) => {
      const pointer = `/grids/${g}/axes/${a}`;
      const target = targetOf(base, axis, pointer, issues);
      const values = axisValues(axis, pointer, base, issues);
      if (values !== undefined) count *= values.length;
      if (target !== undefined && values !== undefined) axes.push({ target, values });
    });
    combinations += count;
    grids.push({ name: grid.name, axes, combinations: count });
  });
  if (combinations > MAX_COMBINATIONS) {
    issues.push({
      pointer: '/grids',
      message: `asks for ${combinations.toLocaleString('en-GB')} combinations; at most ${MAX_COMBINATIONS.toLocaleString('en-GB')} over all grids`,
    });
  }
  let targetPennies: bigint | undefined;
  if (spec.breakEven !== undefined) {
    targetPennies = moneyUnits(spec.breakEven.weeklyFee, '/breakEven/weeklyFee', true, issues);
  }
  if (issues.length > 0) throw new DomainValidationError(issues);
  const baseFee = priceFee(base, options);
  const point = applySettings(base, changes, options);
  let pointFee: PricedFee;
  try {
    pointFee = priceFee(point, options);
  } catch (error) {
    throw refusedAt('/changes', 'the point (the base with these changes)', error);
  }
  return {
    base,
    point,
    changes,
    grids,
    combinations,
    target:
      targetPennies === undefined
        ? { pennies: penniesOf(baseFee.weeklyFeePerChild), source: 'base' }
        : { pennies: targetPennies, source: 'given' },
    baseFee,
    pointFee,
    options,
  };
}

/** The method's refusal of a model the scenario made, named at the request's field. */
function refusedAt(pointer: string, what: string, error: unknown): unknown {
  if (!(error instanceof DomainValidationError)) return error;
  return new DomainValidationError(
    error.issues.map((issue) => ({
      pointer,
      message: `the method cannot price ${what}: ${issue.pointer} ${issue.message}`,
    })),
  );
}

function moneyUnits(
  text: string,
  pointer: string,
  positive: boolean,
  issues: FieldIssue[],
): bigint | undefined {
  const units = decimalUnits(text, 2, pointer, issues);
  if (units === undefined) return undefined;
  if (positive && units <= 0n) {
    issues.push({ pointer, message: 'must be above 0' });
    return undefined;
  }
  return units;
}

/** A decimal string as units of 10^-places, or an issue. */
function decimalUnits(
  text: string,
  places: number,
  pointer: string,
  issues: FieldIssue[],
): bigint | undefined {
  if (!SIGNED_DECIMAL.test(text)) {
    issues.push({
      pointer,
      message: `must be a decimal string such as "${places === 2 ? '12.50' : '0.06'}"`,
    });
    return undefined;
  }
  const value = exact(text);
  if (value.places > places) {
    issues.push({ pointer, message: `must have at most ${places} decimal places` });
    return undefined;
  }
  return value.units * pow10(places - value.places);
}

function valueUnits(
  lever: Lever,
  text: string,
  pointer: string,
  model: CostModel,
  issues: FieldIssue[],
): bigint | undefined {
  const rule = RULES[lever];
  const units = decimalUnits(text, rule.places, pointer, issues);
  if (units === undefined) return undefined;
  const max = lever === 'surplusRate' ? capUnits(model) : rule.max;
  if (units < rule.min || (rule.above === true && units === rule.min) || (max !== undefined && units > max)) {
    const cap = lever === 'surplusRate' ? ` (the cap is ${model.surplus.capRate})` : '';
    issues.push({ pointer, message: `must be ${rule.what}${cap}` });
    return undefined;
  }
  return units;
}

function capUnits(model: CostModel): bigint {
  return unitsAt(model.surplus.capRate, 6);
}

function axisValues(
  axis: ScenarioSpec['grids'][number]['axes'][number],
  pointer: string,
  model: CostModel,
  issues: FieldIssue[],
): bigint[] | undefined {
  if ((axis.values === undefined) === (axis.range === undefined)) {
    issues.push({ pointer, message: 'give either values or range' });
    return undefined;
  }
  if (axis.values !== undefined) {
    const before = issues.length;
    const values = axis.values.map((value, i) =>
      valueUnits(axis.lever, value, `${pointer}/values/${i}`, model, issues),
    );
    return issues.length > before ? undefined : (values as bigint[]);
  }
  const range = axis.range!;
  const before = issues.length;
  const from = valueUnits(axis.lever, range.from, `${pointer}/range/from`, model, issues);
  const to = valueUnits(axis.lever, range.to, `${pointer}/range/to`, model, issues);
  const step = decimalUnits(range.step, RULES[axis.lever].places, `${pointer}/range/step`, issues);
  if (step !== undefined && step <= 0n)
    issues.push({ pointer: `${pointer}/range/step`, message: 'must be above 0' });
  if (from !== undefined && to !== undefined && to < from) {
    issues.push({ pointer: `${pointer}/range/to`, message: 'must not be below from' });
  }
  if (issues.length > before || from === undefined || to === undefined || step === undefined)
    return undefined;
  const count = (to - from) / step + 1n;
  if (count > BigInt(MAX_COMBINATIONS)) {
    issues.push({
      pointer: `${pointer}/range`,
      message: `gives ${count.toLocaleString('en-GB')} values; at most ${MAX_COMBINATIONS.toLocaleString('en-GB')} combinations over all grids`,
    });
    return undefined;
  }
  const values: bigint[] = [];
  for (let value = from; value <= to; value += step) values.push(value);
  return values;
}

const GROUP_WORDS: Record<(typeof STAFF_GROUPS)[number], string> = {
  management: 'management staff',
  care: 'care staff',
  support: 'support staff',
};

type TargetSpec = {
  lever: Lever;
  group?: (typeof STAFF_GROUPS)[number] | undefined;
  line?: string | undefined;
};

/** What a lever names in the model, checked: a staffing line, a group with lines, a cost line. */
function targetOf(
  model: CostModel,
  spec: TargetSpec,
  pointer: string,
  issues: FieldIssue[],
): LeverTarget | undefined {
  const { lever, group, line } = spec;
  const strays = (fields: readonly ('group' | 'line')[]) => {
    const found = fields.filter((field) => spec[field] !== undefined);
    for (const field of found) {
      issues.push({ pointer: `${pointer}/${field}`, message: `is not used by the ${lever} lever` });
    }
    return found.length > 0;
  };
  switch (lever) {
    case 'plannedOccupancy':
    case 'agencyShare':
    case 'employerNiRate':
    case 'surplusRate':
      return strays(['group', 'line']) ? undefined : { lever, key: lever, label: SIMPLE_LABELS[lever] };
    case 'payUplift':
      return payTarget(model, group, line, pointer, issues);
    case 'hourlyRate':
      return strays(['group']) ? undefined : hourlyTarget(model, line, pointer, issues);
    case 'amount':
      return strays(['group']) ? undefined : amountTarget(model, line, pointer, issues);
  }
}

function payTarget(
  model: CostModel,
  group: (typeof STAFF_GROUPS)[number] | undefined,
  line: string | undefined,
  pointer: string,
  issues: FieldIssue[],
): LeverTarget | undefined {
  const lever = 'payUplift';
  if (group !== undefined && line !== undefined) {
    issues.push({ pointer: `${pointer}/line`, message: 'give a group or a line, not both' });
    return undefined;
  }
  if (group !== undefined) {
    if (!model.staffing.some((s) => s.group === group)) {
      issues.push({
        pointer: `${pointer}/group`,
        message: `no staffing line of the model is in the ${group} group`,
      });
      return undefined;
    }
    return { lever, group, key: `payUplift:${group}`, label: `Pay of ${GROUP_WORDS[group]}` };
  }
  if (line !== undefined) {
    const staff = staffingLine(model, line, `${pointer}/line`, issues);
    return staff && { lever, line, key: `payUplift:${line}`, label: `Pay of ${staff.role} (${line})` };
  }
  if (model.staffing.length === 0) {
    issues.push({ pointer, message: 'the model has no staffing lines to uplift' });
    return undefined;
  }
  return { lever, key: 'payUplift', label: 'Pay of all staff' };
}

function hourlyTarget(
  model: CostModel,
  line: string | undefined,
  pointer: string,
  issues: FieldIssue[],
): LeverTarget | undefined {
  if (line === undefined) {
    issues.push({
      pointer: `${pointer}/line`,
      message: 'is required: the id of a staffing line paid by the hour',
    });
    return undefined;
  }
  const staff = staffingLine(model, line, `${pointer}/line`, issues);
  if (staff === undefined) return undefined;
  if (staff.hourlyRate === undefined) {
    issues.push({
      pointer: `${pointer}/line`,
      message: `staffing line ${JSON.stringify(line)} is paid a salary, not by the hour`,
    });
    return undefined;
  }
  return {
    lever: 'hourlyRate',
    line,
    key: `hourlyRate:${line}`,
    label: `Hourly rate of ${staff.role} (${line})`,
  };
}

function amountTarget(
  model: CostModel,
  line: string | undefined,
  pointer: string,
  issues: FieldIssue[],
): LeverTarget | undefined {
  if (line === undefined) {
    issues.push({
      pointer: `${pointer}/line`,
      message: 'is required: the pointer of a property or running line, such as "/property/0"',
    });
    return undefined;
  }
  const cost = costLine(model, line);
  if (cost === undefined) {
    issues.push({
      pointer: `${pointer}/line`,
      message:
        'names no property or running line of the model; use a pointer such as "/property/0" or "/running/2"',
    });
    return undefined;
  }
  return {
    lever: 'amount',
    line,
    key: `amount:${line}`,
    label: `${cost.code} ${cost.description} (${line})`,
  };
}

const SIMPLE_LABELS = {
  plannedOccupancy: 'Planned occupancy',
  agencyShare: 'Agency share of absence cover',
  employerNiRate: 'Employer National Insurance rate',
  surplusRate: 'Surplus rate',
} as const;

function staffingLine(
  model: CostModel,
  id: string,
  pointer: string,
  issues: FieldIssue[],
): StaffingLine | undefined {
  const staff = model.staffing.find((s) => s.id === id);
  if (staff === undefined)
    issues.push({ pointer, message: `no staffing line of the model has id ${JSON.stringify(id)}` });
  return staff;
}

const LINE_POINTER = /^\/(property|running)\/(0|[1-9]\d{0,3})$/;

function costLine(model: CostModel, pointer: string) {
  const match = LINE_POINTER.exec(pointer);
  if (match === null) return undefined;
  const lines = match[1] === 'property' ? model.property : model.running;
  return lines[Number(match[2])];
}

// ── applying levers ─────────────────────────────────────────────────────────────────────────────

/** Pay × (1 + u), half-up to the penny (u in millionths). */
function uplifted(pay: string, u: bigint): string {
  return formatPennies(divideHalfUp(penniesOf(pay) * (UNIT + u), UNIT));
}

function upliftLine(line: StaffingLine, u: bigint): StaffingLine {
  return line.annualSalaryFte !== undefined
    ? { ...line, annualSalaryFte: uplifted(line.annualSalaryFte, u) }
    : { ...line, hourlyRate: uplifted(line.hourlyRate!, u) };
}

/**
 * The model with the settings applied in order (rule 1): copies what changes and shares the rest,
 * so that pricing thousands of combinations copies little.
 */
export function applySettings(
  model: CostModel,
  settings: readonly Setting[],
  options: PriceOptions = {},
): CostModel {
  if (settings.length === 0) return model;
  let { home, cover, staffing, property, running, surplus } = model;
  let rates: RatesBlock | undefined;
  for (const { target, units } of settings) {
    const value = leverText(target.lever, units);
    switch (target.lever) {
      case 'plannedOccupancy':
        home = { ...home, plannedOccupancy: value };
        break;
      case 'agencyShare':
        cover = { ...cover, agencyShare: value };
        break;
      case 'employerNiRate':
        rates = { ...(rates ?? resolveRates(model, options.rateTables).rates), employerNiRate: value };
        break;
      case 'surplusRate':
        surplus = { ...surplus, rate: value };
        break;
      case 'payUplift':
        staffing = staffing.map((line) =>
          target.group !== undefined
            ? line.group === target.group
              ? upliftLine(line, units)
              : line
            : target.line !== undefined
              ? line.id === target.line
                ? upliftLine(line, units)
                : line
              : upliftLine(line, units),
        );
        break;
      case 'hourlyRate':
        staffing = staffing.map((line) => (line.id === target.line ? { ...line, hourlyRate: value } : line));
        break;
      case 'amount': {
        const match = LINE_POINTER.exec(target.line!)!;
        const index = Number(match[2]);
        if (match[1] === 'property') {
          property = property.map((line, i) => (i === index ? { ...line, amount: value } : line));
        } else {
          running = running.map((line, i) => (i === index ? { ...line, amount: value } : line));
        }
        break;
      }
    }
  }
  const next: CostModel = { ...model, home, cover, staffing, property, running, surplus };
  if (rates !== undefined) {
    next.rates = rates;
    delete next.ratesFrom;
  }
  return next;
}

// ── pricing a combination ───────────────────────────────────────────────────────────────────────

/** The figures of one priced combination, or the method's reason for refusing it. */
export interface ScenarioFigures {
  weeklyFeePerChild: string | null;
  weeklyCostPerChild: string | null;
  weeklySurplusPerChild: string | null;
  annualIncomeAtPlannedOccupancy: string | null;
  /** Rule 3: the occupancy at which the target fee covers cost plus surplus (6 dp, rounded up). */
  breakEvenOccupancy: string | null;
  problem?: string;
}

function figuresOf(priced: PricedFee, registeredPlaces: number, targetPennies: bigint): ScenarioFigures {
  return {
    weeklyFeePerChild: priced.weeklyFeePerChild,
    weeklyCostPerChild: priced.weeklyCostPerChild,
    weeklySurplusPerChild: priced.weeklySurplusPerChild,
    annualIncomeAtPlannedOccupancy: priced.annualIncomeAtPlannedOccupancy,
    breakEvenOccupancy: solveBreakEven(priced.curve, registeredPlaces, targetPennies)?.occupancy ?? null,
  };
}

function priceOrProblem(model: CostModel, plan: ScenarioPlan): ScenarioFigures {
  try {
    return figuresOf(priceFee(model, plan.options), model.home.registeredPlaces, plan.target.pennies);
  } catch (error) {
    if (!(error instanceof DomainValidationError)) throw error;
    return {
      weeklyFeePerChild: null,
      weeklyCostPerChild: null,
      weeklySurplusPerChild: null,
      annualIncomeAtPlannedOccupancy: null,
      breakEvenOccupancy: null,
      problem: error.issues.map((issue) => `${issue.pointer} ${issue.message}`).join('; '),
    };
  }
}

/** One combination of a grid: the value of each axis (as the model writes it) and its figures. */
export interface GridRow extends ScenarioFigures {
  at: string[];
}

/**
 * The rows of a grid, one per combination, the last axis varying fastest (rule 2). A generator, so
 * that a caller holds one row at a time and may pause between rows.
 */
export function* gridRows(plan: ScenarioPlan, grid: PlannedGrid): Generator<GridRow> {
  const { axes } = grid;
  const index = axes.map(() => 0);
  for (let n = 0; n < grid.combinations; n += 1) {
    const settings = axes.map((axis, a) => ({ target: axis.target, units: axis.values[index[a]!]! }));
    const model = applySettings(plan.point, settings, plan.options);
    yield { at: settings.map((s) => leverText(s.target.lever, s.units)), ...priceOrProblem(model, plan) };
    for (let a = axes.length - 1; a >= 0; a -= 1) {
      index[a] = index[a]! + 1;
      if (index[a]! < axes[a]!.values.length) break;
      index[a] = 0;
    }
  }
}

/** The settings of combination `n` of a grid (rule 2's order), for turning it into a draft. */
export function combinationSettings(grid: PlannedGrid, n: number): Setting[] {
  const settings: Setting[] = [];
  let rest = n;
  for (let a = grid.axes.length - 1; a >= 0; a -= 1) {
    const axis = grid.axes[a]!;
    settings.unshift({ target: axis.target, units: axis.values[rest % axis.values.length]! });
    rest = Math.floor(rest / axis.values.length);
  }
  return settings;
}

// ── break-even occupancy (rule 3) ───────────────────────────────────────────────────────────────

export interface BreakEven {
  /** Rounded up to 6 dp: the lowest such occupancy at which the fee priced is at most the target. */
  occupancy: string;
  /** The same to 10 dp, half-up. */
  occupancy10: string;
  /** o* exactly, as a fraction in lowest terms. */
  fraction: string;
  /** Registered places × o*, 6 dp half-up. */
  occupiedPlaces: string;
  /** o* ≤ 1: the target fee covers cost plus surplus with the home full or less. */
  reachable: boolean;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/**
 * o* = b ÷ (T − a) exactly (rule 3): with the fee curve of the engine (FeeCurve), P* = 700 × P₀u ×
 * homeTotal ÷ (Tₚ × K × D × P₀u − 700 × 10^p × placeTotal) occupied places, where P₀ = P₀u ÷ 10^p,
 * Tₚ is the target in pennies, K the annual denominator and D the days; o* = P* ÷ registered places.
 * Undefined when the per-child lines alone cost the target or more.
 */
export function solveBreakEven(
  curve: FeeCurve,
  registeredPlaces: number,
  targetPennies: bigint,
): BreakEven | undefined {
  const { homeTotal, placeTotal, places, annualDenominator, days } = curve;
  const numerator = 700n * places.units * homeTotal;
  const denominatorPlaces =
    targetPennies * annualDenominator * days * places.units - 700n * pow10(places.places) * placeTotal;
  if (denominatorPlaces <= 0n) return undefined;
  const denominator = denominatorPlaces * BigInt(registeredPlaces);
  const up6 = (numerator * UNIT + denominator - 1n) / denominator;
  const divisor = gcd(numerator, denominator) || 1n;
  return {
    occupancy: leverText('plannedOccupancy', up6),
    occupancy10: formatUnits(divideHalfUp(numerator * pow10(10), denominator), 10),
    fraction: `${numerator / divisor}/${denominator / divisor}`,
    occupiedPlaces: formatUnits(divideHalfUp(numerator * UNIT, denominatorPlaces), 6),
    reachable: up6 <= UNIT,
  };
}

export interface BreakEvenAnswer {
  weeklyFee: string;
  source: 'given' | 'base';
  occupancy: string | null;
  occupancy10: string | null;
  fraction: string | null;
  occupiedPlaces: string | null;
  reachable: boolean;
  /** The point priced at `occupancy` (when it is at most 1): at most the target fee. */
  weeklyFeeAtOccupancy: string | null;
  explanation: string;
}

/** Rule 3 at the point: the break-even occupancy, and the point priced back at it. */
export function breakEvenAtPoint(plan: ScenarioPlan): BreakEvenAnswer {
  const weeklyFee = formatPennies(plan.target.pennies);
  const places = plan.point.home.registeredPlaces;
  const solved = solveBreakEven(plan.pointFee.curve, places, plan.target.pennies);
  if (solved === undefined) {
    return {
      weeklyFee,
      source: plan.target.source,
      occupancy: null,
      occupancy10: null,
      fraction: null,
      occupiedPlaces: null,
      reachable: false,
      weeklyFeeAtOccupancy: null,
      explanation: `The lines charged per child alone cost £${weeklyFee} a week or more: no occupancy breaks even at that fee.`,
    };
  }
  let pricedBack: string | null = null;
  if (solved.reachable) {
    const model = { ...plan.point, home: { ...plan.point.home, plannedOccupancy: solved.occupancy } };
    pricedBack = priceOrProblem(model, plan).weeklyFeePerChild;
  }
  return {
    weeklyFee,
    source: plan.target.source,
    ...solved,
    weeklyFeeAtOccupancy: pricedBack,
    explanation: solved.reachable
      ? `At an occupancy of ${solved.occupancy} (${solved.occupiedPlaces} of ${places} places) the fee of £${weeklyFee} a week covers cost plus the surplus; below it, it does not.`
      : `Break-even needs ${solved.occupiedPlaces} occupied places, more than the ${places} registered: the fee of £${weeklyFee} a week does not cover cost plus the surplus even with the home full.`,
  };
}

// ── sensitivity (rule 4) ────────────────────────────────────────────────────────────────────────

export const SENSITIVITY_STEPS = [-100_000n, -50_000n, 50_000n, 100_000n] as const;

export interface SensitivityPoint {
  /** The relative change, "-0.10" … "0.10". */
  step: string;
  value: string;
  weeklyFeePerChild: string | null;
  problem?: string;
}

export interface SensitivityLever extends LeverColumn {
  /** The lever's value at the point (for a pay group, its uplift: 0). */
  value: string;
  points: SensitivityPoint[];
  /** The highest fee less the lowest among the points priced, and the point's fee. */
  swing: string;
}

/** The levers rule 4 varies at the point, each with its value there (units of its rule). */
export function sensitivityLevers(plan: ScenarioPlan): Setting[] {
  const model = plan.point;
  const settings: Setting[] = [];
  const add = (target: Omit<LeverTarget, 'key' | 'label'>, text: string, label: string, key: string) => {
    const value = unitsAt(text, RULES[target.lever].places);
    if (value !== 0n || target.lever === 'payUplift')
      settings.push({ target: { ...target, key, label }, units: value });
  };
  add(
    { lever: 'plannedOccupancy' },
    model.home.plannedOccupancy,
    SIMPLE_LABELS.plannedOccupancy,
    'plannedOccupancy',
  );
  for (const group of STAFF_GROUPS) {
    if (model.staffing.some((line) => line.group === group)) {
      add({ lever: 'payUplift', group }, '0', `Pay of ${GROUP_WORDS[group]}`, `payUplift:${group}`);
    }
  }
  add({ lever: 'agencyShare' }, model.cover.agencyShare, SIMPLE_LABELS.agencyShare, 'agencyShare');
  add(
    { lever: 'employerNiRate' },
    resolveRates(model, plan.options.rateTables).rates.employerNiRate,
    SIMPLE_LABELS.employerNiRate,
    'employerNiRate',
  );
  add({ lever: 'surplusRate' }, model.surplus.rate, SIMPLE_LABELS.surplusRate, 'surplusRate');
  for (const [kind, lines] of [
    ['property', model.property],
    ['running', model.running],
  ] as const) {
    lines.forEach((line, index) => {
      const pointer = `/${kind}/${index}`;
      add(
        { lever: 'amount', line: pointer },
        line.amount,
        `${line.code} ${line.description} (${pointer})`,
        `amount:${pointer}`,
      );
    });
  }
  return settings;
}

/** One lever of rule 4 at its four steps, priced. */
export function sensitivityOf(plan: ScenarioPlan, setting: Setting): SensitivityLever {
  const { target, units } = setting;
  const rule = RULES[target.lever];
  const fee = penniesOf(plan.pointFee.weeklyFeePerChild);
  let low = fee;
  let high = fee;
  const points = SENSITIVITY_STEPS.map((step): SensitivityPoint => {
    const value = target.lever === 'payUplift' ? step : divideHalfUp(units * (UNIT + step), UNIT);
    const text = leverText(target.lever, value);
    const max = target.lever === 'surplusRate' ? capUnits(plan.point) : rule.max;
    const stepText = formatUnits(step / 10_000n, 2);
    if (max !== undefined && value > max) {
      return {
        step: stepText,
        value: text,
        weeklyFeePerChild: null,
        problem: `above the most ${target.label.toLowerCase()} may be (${leverText(target.lever, max)})`,
      };
    }
    const priced = priceOrProblem(applySettings(plan.point, [{ target, units: value }], plan.options), plan);
    if (priced.weeklyFeePerChild !== null) {
      const pennies = penniesOf(priced.weeklyFeePerChild);
      if (pennies < low) low = pennies;
      if (pennies > high) high = pennies;
    }
    return {
      step: stepText,
      value: text,
      weeklyFeePerChild: priced.weeklyFeePerChild,
      ...(priced.problem === undefined ? {} : { problem: priced.problem }),
    };
  });
  return {
    ...leverColumn(target),
    value: leverText(target.lever, units),
    points,
    swing: formatPennies(high - low),
  };
}

/** Rule 4's order: the widest swing first, then the order the levers were listed in. */
export function bySwing(levers: SensitivityLever[]): SensitivityLever[] {
  return levers
    .map((lever, index) => ({ lever, index, swing: penniesOf(lever.swing) }))
    .sort((a, b) => (a.swing === b.swing ? a.index - b.index : a.swing > b.swing ? -1 : 1))
    .map(({ lever }) => lever);
}

/** The figures of the base and the point, as published. */
export function pointFigures(
  plan: ScenarioPlan,
  which: 'base' | 'point',
): ScenarioFigures & { plannedOccupancy: string; methodVersion: 1 | 2 } {
  const model = which === 'base' ? plan.base : plan.point;
  const priced = which === 'base' ? plan.baseFee : plan.pointFee;
  return {
    plannedOccupancy: model.home.plannedOccupancy,
    methodVersion: priced.methodVersion,
    ...figuresOf(priced, model.home.registeredPlaces, plan.target.pennies),
  };
}
