import { DomainValidationError } from '../errors.js';
import {
  addExact,
  allocateUnits,
  compareExact,
  divideExactHalfUp,
  divideHalfUp,
  type Exact,
  exact,
  formatExact,
  formatGbp,
  formatGbpPennies,
  formatPennies,
  formatPercent,
  formatUnits,
  multiplyExact,
  plainDecimal,
  pow10,
  ratio,
  scaleExact,
  subtractExact,
} from '../money.js';
import type {
  Breakdown,
  BreakdownLine,
  EnhancementBreakdown,
  EnhancementLine,
  RelatedPartyBreakdown,
} from './breakdown.js';
import { centralProductWords, centralShareMessage } from './central.js';
import { type BreakdownLineCode, CENTRAL_BASIS_WORDS, FREQUENCY_WORDS, type Frequency } from './codes.js';
import { type RateTables, type ResolvedRates, resolveRates } from './rates.js';
import {
  type CostModel,
  type Enhancement,
  isoDay,
  type PropertyLine,
  type RatesBlock,
  type RunningLine,
  type StaffingLine,
} from './schema.js';

// The cost-plus pricing method (docs/pricing.md): version 1, and of version 2 the related-party
// costs (§6) and the central share `central.annualAmount` (§7). `priceCostModel` reads as the method:
// each step below is a plain function over plain data, named after the section it implements.
//
// How the arithmetic stays exact. Every line is first worked out as an exact decimal numerator
// (additions and multiplications only, on BigInt: see money.ts `Exact`). A line's annual amount is
// its numerator over one of three denominators: 7 (anything involving weeks, W = D / 7, is carried
// "× 7"), 7 × (working days − A) for absence cover, and totalUnits for the central overhead. The
// numerators are then put over one common denominator as whole numbers, so that each division §3
// needs (the fee half-up, floors, remainders, shares) is one exact integer division. Nothing is
// rounded before §3 says so, and a value that is exactly half a penny rounds up, always.

/** The method version of a model that uses nothing of version 2; such breakdowns keep their bytes. */
export const METHOD_VERSION = 1;

/**
 * A model that lists related parties (§6, even none) or gives its central share as `annualAmount`
 * (§7) is priced by method version 2; any other prices exactly as under version 1.
 */
export function methodVersionOf(model: Pick<CostModel, 'central' | 'relatedParties'>): 1 | 2 {
  return model.central.annualAmount === undefined && model.relatedParties === undefined ? METHOD_VERSION : 2;
}

export interface PriceOptions {
  /** Rate tables by tax year, for models that name `ratesFrom`. */
  rateTables?: RateTables | undefined;
}

/**
 * Prices a validated cost model by the pricing method (§2–§4, docs/pricing.md).
 * Pure: the same model and tables always give the same breakdown. Throws DomainValidationError for
 * a model that cannot be priced: an unknown `ratesFrom` year, or a rule the schema enforces.
 */
export function priceCostModel(model: CostModel, options: PriceOptions = {}): Breakdown {
  const { resolved, figures, staffing, lines, scale, fee, relatedParties } = priceSteps(model, options);
  const rounded = roundColumns(lines, fee, scale, model.surplus.rate);
  const enhancements = enhancementsOf(model, staffing.staffById, figures);
  return assembleBreakdown({ model, resolved, figures, rounded, enhancements, relatedParties });
}

/**
 * §2 the unrounded weekly fee per child as a function of the occupied places P, for a model priced
 * at P₀ places: fee(P) = (homeTotal + placeTotal × P ÷ P₀) × 7 ÷ (annualDenominator × days × P).
 * homeTotal is cost plus surplus of the lines a home pays whatever its occupancy (staffing,
 * property, per_home running lines, central); placeTotal that of the per_child running lines at P₀.
 * Exact: every figure is a whole number on the engine's common scale.
 */
export interface FeeCurve {
  homeTotal: bigint;
  placeTotal: bigint;
  /** P₀ = registeredPlaces × plannedOccupancy, exact. */
  places: { units: bigint; places: number };
  annualDenominator: bigint;
  days: bigint;
}

/** The fee of a cost model and its parts, without the breakdown's lines (priceFee). */
export interface PricedFee {
  methodVersion: 1 | 2;
  weeklyFeePerChild: string;
  weeklyCostPerChild: string;
  weeklySurplusPerChild: string;
  annualIncomeAtPlannedOccupancy: string;
  /** §6 present when the model lists related parties. */
  adjustedSurplusRate?: string;
  curve: FeeCurve;
}

/**
 * The figures of priceCostModel that a "what if" needs (the fee, its cost and surplus per child a
 * week, the annual income, §6 the adjusted surplus rate) by the same steps and the same rounding,
 * without writing the lines' columns, shares and enhancements: priceCostModel(model) gives the same
 * four figures. Throws DomainValidationError where priceCostModel would.
 */
export function priceFee(model: CostModel, options: PriceOptions = {}): PricedFee {
  const { figures, lines, scale, fee, relatedParties } = priceSteps(model, options);
  const weekly = weeklyColumn(lines, fee, scale, model.surplus.rate);
  let homeSum = 0n;
  let placeSum = 0n;
  for (let i = 0; i < lines.length; i += 1) {
    if (lines[i]!.perChild === true) placeSum += fee.numerators[i]!;
    else homeSum += fee.numerators[i]!;
  }
  const withSurplus = (sum: bigint) => sum + surplusOn(sum, figures.surplusRate);
  return {
    methodVersion: methodVersionOf(model),
    weeklyFeePerChild: formatPennies(weekly.feePennies),
    weeklyCostPerChild: formatPennies(weekly.feePennies - weekly.surplusPennies),
    weeklySurplusPerChild: formatPennies(weekly.surplusPennies),
    annualIncomeAtPlannedOccupancy: formatPennies(divideHalfUp(fee.total * 100n, scale.annualDenominator)),
    ...(relatedParties === undefined ? {} : { adjustedSurplusRate: relatedParties.adjustedRate }),
    curve: {
      homeTotal: withSurplus(homeSum),
      placeTotal: withSurplus(placeSum),
      places: figures.places,
      annualDenominator: scale.annualDenominator,
      days: figures.days,
    },
  };
}

/** §2 the steps before §3's rounding, shared by priceCostModel and priceFee. */
function priceSteps(model: CostModel, options: PriceOptions) {
  const resolved = resolveRates(model, options.rateTables);
  const figures = figuresOf(model, periodOf(model.period));
  const staffing = staffingLines(model, figures, onCostRatesOf(resolved.rates));
  const costLines = propertyAndRunningLines(model, figures);
  const central = centralLine(model.central, figures);
  const lines = [
    ...staffing.lines,
    ...onCostLines(staffing.totals, resolved.rates, figures),
    ...costLines.lines,
    central.line,
  ];
  const related = [...costLines.related, ...central.related];
  const scale = scaleOf(lines, related, figures);
  const fee = feeOf(lines, scale, figures.surplusRate);
  const relatedParties =
    model.relatedParties === undefined
      ? undefined
      : relatedPartySection(model.relatedParties, related, scale, fee, model.surplus);
  return { resolved, figures, staffing, lines, scale, fee, relatedParties };
}

// ── plain data passed between the steps ──────────────────────────────────────────────────────────

const ZERO: Exact = { units: 0n, places: 0 };
const ONE: Exact = { units: 1n, places: 0 };
const SEVEN: Exact = { units: 7n, places: 0 };

/** "× 7 × annualising factor" for each frequency (§2: weekly × W, monthly × 12, quarterly × 4). */
const ANNUAL7_FACTOR: Record<Exclude<Frequency, 'weekly'>, bigint> = {
  monthly: 84n,
  quarterly: 28n,
  annual: 7n,
};

/** Which exact denominator a line's numerator is over (see the note at the top). */
type Over = 'seven' | 'cover' | 'central';

interface DraftLine {
  code: BreakdownLineCode;
  category: BreakdownLine['category'];
  description: string;
  over: Over;
  numerator: Exact;
  basis: string;
  /** §6 the related parties the line is paid to (wholly or partly), in the order they are named. */
  relatedPartyIds?: string[];
  /** §2 a per_child running line: its annual amount grows with the occupied places. */
  perChild?: true;
}

/** §6 one payment to a related party: what is paid and its market amount, over the same denominator. */
interface RelatedDraft {
  partyId: string;
  code: BreakdownLineCode;
  description: string;
  over: Over;
  paid: Exact;
  market: Exact;
  evidence: string;
}

interface StaffFacts {
  line: StaffingLine;
  index: number;
  /** 7 × the line's employment cost E (all heads). */
  employment7: Exact;
}

interface PeriodFacts {
  days: number;
  /** W to 6 dp, for basis sentences. */
  weeks6: string;
}

/** The checked figures that drive the price (§1–§2). */
interface Figures {
  /** D (365 or 366), and W to 6 dp. */
  days: bigint;
  daysInPeriod: number;
  weeks6: string;
  /** P = registeredPlaces × plannedOccupancy, and as a reader would write it. */
  places: Exact;
  placesText: string;
  /** fteHoursPerWeek × D (= fteHoursPerWeek × W × 7). */
  hoursTimesDays: Exact;
  /** A = leave + sickness + training, and working days − A. */
  absence: Exact;
  workingLessAbsence: Exact;
  /** 1 + agencyShare × agencyPremiumRate, and A × that. */
  agencyFactor: Exact;
  coverFactor: Exact;
  homeUnits: Exact;
  totalUnits: Exact;
  surplusRate: Exact;
}

function invalid(pointer: string, message: string): never {
  throw new DomainValidationError([{ pointer, message }]);
}

function isPositive(value: Exact): boolean {
  return value.units > 0n;
}

/** An exact amount carried "× 7", as "£1,234.57" (half-up). */
function gbpOfSevenths(value: Exact): string {
  return formatGbpPennies(divideExactHalfUp(value, SEVEN, 2));
}

function staffLines(count: number): string {
  return `${count} staffing line${count === 1 ? '' : 's'}`;
}

// ── §1–§2 the figures that drive the price ───────────────────────────────────────────────────────

/** Periods already checked, by start and end. */
const periodCache = new Map<string, PeriodFacts>();

/** §1 a period is one year, so D = days from start to end, both included, is 365 or 366. */
function periodOf(period: CostModel['period']): PeriodFacts {
  const key = `${period.start}/${period.end}`;
  const known = periodCache.get(key);
  if (known !== undefined) return known;
  const start = isoDay(period.start);
  const end = isoDay(period.end);
  if (start === undefined) invalid('/period/start', 'is not a real calendar date');
  if (end === undefined) invalid('/period/end', 'is not a real calendar date');
  if (period.start.endsWith('-02-29')) invalid('/period/start', 'a period cannot start on 29 February');
  const nextYear = String(Number(period.start.slice(0, 4)) + 1).padStart(4, '0');
  const anniversary = isoDay(`${nextYear}${period.start.slice(4)}`);
  if (anniversary === undefined || end !== anniversary - 1) {
    invalid('/period/end', 'a period is one year: the end is the day before the anniversary of the start');
  }
  const days = end - start + 1;
  const facts = { days, weeks6: ratio(BigInt(days), 7n, 6) };
  if (periodCache.size >= 1024) periodCache.clear();
  periodCache.set(key, facts);
  return facts;
}

/** §2 planned occupied places P = registeredPlaces × plannedOccupancy; the hours of a full-time week. */
function homeFigures(home: CostModel['home']): { places: Exact; hours: Exact } {
  const occupancy = exact(home.plannedOccupancy);
  if (!isPositive(occupancy) || compareExact(occupancy, ONE) > 0) {
    invalid('/home/plannedOccupancy', 'must be above 0 and at most 1');
  }
  const places = scaleExact(occupancy, BigInt(home.registeredPlaces));
  if (!isPositive(places)) invalid('/home/registeredPlaces', 'must be at least 1');
  const hours = exact(home.fteHoursPerWeek);
  if (!isPositive(hours)) invalid('/home/fteHoursPerWeek', 'must be above 0');
  return { places, hours };
}

/** §2 absence cover: A = leave + sickness + training below working days; cover = E × A ÷ (working − A) × agency. */
function coverFigures(
  cover: CostModel['cover'],
): Pick<Figures, 'absence' | 'workingLessAbsence' | 'agencyFactor' | 'coverFactor'> {
  const absence = addExact(
    addExact(exact(cover.annualLeaveDays), exact(cover.sicknessDays)),
    exact(cover.trainingDays),
  );
  const workingLessAbsence = subtractExact(exact(cover.workingDaysPerYear), absence);
  if (!isPositive(workingLessAbsence)) {
    invalid('/cover', 'absence days (annual leave + sickness + training) must be below workingDaysPerYear');
  }
  const agencyFactor = addExact(ONE, multiplyExact(exact(cover.agencyShare), exact(cover.agencyPremiumRate)));
  return { absence, workingLessAbsence, agencyFactor, coverFactor: multiplyExact(absence, agencyFactor) };
}

/** §2 the home's units of the central pool (at most totalUnits); §7 a share within a penny of the product. */
function centralUnits(central: CostModel['central']): { homeUnits: Exact; totalUnits: Exact } {
  const totalUnits = exact(central.totalUnits);
  const homeUnits = exact(central.homeUnits);
  if (!isPositive(totalUnits)) invalid('/central/totalUnits', 'must be above 0');
  if (compareExact(homeUnits, totalUnits) > 0) invalid('/central/homeUnits', 'must not be above totalUnits');
  if (central.annualAmount !== undefined) {
    const message = centralShareMessage({
      poolAnnual: central.poolAnnual,
      homeUnits: central.homeUnits,
      totalUnits: central.totalUnits,
      annualAmount: central.annualAmount,
    });
    if (message !== undefined) invalid('/central/annualAmount', message);
  }
  return { homeUnits, totalUnits };
}

/** §2 the surplus is a mark-up on cost, allowed only up to capRate. */
function surplusRateOf(surplus: CostModel['surplus']): Exact {
  const rate = exact(surplus.rate);
  if (compareExact(rate, exact(surplus.capRate)) > 0) invalid('/surplus/rate', 'must not be above capRate');
  return rate;
}

/** §1–§2 the figures that drive the price, checked in the order of the model. */
function figuresOf(model: CostModel, period: PeriodFacts): Figures {
  const days = BigInt(period.days);
  const { places, hours } = homeFigures(model.home);
  const cover = coverFigures(model.cover);
  const { homeUnits, totalUnits } = centralUnits(model.central);
  const surplusRate = surplusRateOf(model.surplus);
  return {
    days,
    daysInPeriod: period.days,
    weeks6: period.weeks6,
    places,
    placesText: formatExact(places),
    hoursTimesDays: scaleExact(hours, days),
    absence: cover.absence,
    workingLessAbsence: cover.workingLessAbsence,
    agencyFactor: cover.agencyFactor,
    coverFactor: cover.coverFactor,
    homeUnits,
    totalUnits,
    surplusRate,
  };
}

// ── §2 staffing: pay, on-costs, cover ────────────────────────────────────────────────────────────

/** The statutory rates of §2 as exact figures (annual amounts × 7). */
interface OnCostRates {
  niRate: Exact;
  niThreshold7: Exact;
  pensionRate: Exact;
  pensionOnGross: boolean;
  pensionLower7: Exact;
  pensionUpper7: Exact;
  levyRate: Exact;
}

/** What §2's staffing lines add up to for the home-level on-cost and cover lines (all × 7). */
interface StaffingTotals {
  ni7: Exact;
  pension7: Exact;
  levy7: Exact;
  coverEmployment7: Exact;
  niLines: number;
  pensionLines: number;
  levyLines: number;
  coverLines: number;
}

/** §2 the rates the on-costs are worked out with. */
function onCostRatesOf(rates: RatesBlock): OnCostRates {
  return {
    niRate: exact(rates.employerNiRate),
    niThreshold7: scaleExact(exact(rates.niSecondaryThresholdAnnual), 7n),
    pensionRate: exact(rates.employerPensionRate),
    pensionOnGross: rates.pensionBasis === 'gross',
    pensionLower7: scaleExact(exact(rates.pensionQualifyingLowerAnnual), 7n),
    pensionUpper7: scaleExact(exact(rates.pensionQualifyingUpperAnnual), 7n),
    levyRate: exact(rates.apprenticeshipLevyRate),
  };
}

/** §2 pay per FTE: annualSalaryFte, or hourlyRate × fteHoursPerWeek × W (× 7), and its words. */
function payPerFte7(
  line: StaffingLine,
  index: number,
  figures: Figures,
  fteHoursPerWeek: string,
): { pay7: Exact; words: string } {
  if (line.annualSalaryFte !== undefined) {
    if (line.hourlyRate !== undefined) {
      invalid(`/staffing/${index}/hourlyRate`, 'give either annualSalaryFte or hourlyRate, not both');
    }
    return {
      pay7: scaleExact(exact(line.annualSalaryFte), 7n),
      words: `${formatGbp(line.annualSalaryFte)} salary`,
    };
  }
  if (line.hourlyRate !== undefined) {
    return {
      pay7: multiplyExact(exact(line.hourlyRate), figures.hoursTimesDays),
      words: `${formatGbp(line.hourlyRate)} an hour × ${plainDecimal(fteHoursPerWeek)} hours × ${figures.weeks6} weeks`,
    };
  }
  invalid(`/staffing/${index}`, 'give either annualSalaryFte or hourlyRate');
}

/** §2 g = payPerFte × ftePerPerson × (1 + enhancementRate) + allowancesAnnualPerPerson (× 7), and its words. */
function grossPerPerson7(
  line: StaffingLine,
  index: number,
  pay: { pay7: Exact; words: string },
): { gross7: Exact; words: string } {
  const fte = exact(line.ftePerPerson);
  if (!isPositive(fte)) invalid(`/staffing/${index}/ftePerPerson`, 'must be above 0');
  let gross7 = fte.units === 1n && fte.places === 0 ? pay.pay7 : multiplyExact(pay.pay7, fte);
  let words = `${pay.words} × ${formatExact(fte)} FTE`;
  const enhancement = exact(line.enhancementRate);
  if (isPositive(enhancement)) {
    const enhancementFactor = addExact(ONE, enhancement);
    gross7 = multiplyExact(gross7, enhancementFactor);
    words += ` × ${formatExact(enhancementFactor)} enhancement`;
  }
  const allowances = exact(line.allowancesAnnualPerPerson);
  if (isPositive(allowances)) {
    gross7 = addExact(gross7, scaleExact(allowances, 7n));
    words += ` + ${formatGbp(line.allowancesAnnualPerPerson)} allowances`;
  }
  return { gross7, words };
}

/**
 * §2 employer on-costs per person (× 7): NI = max(0, g − threshold) × rate; pension = g × rate, or
 * max(0, min(g, upper) − lower) × rate on qualifying earnings; levy = g × rate. ZERO where there is none.
 */
function onCostsPerPerson7(gross7: Exact, rates: OnCostRates): { ni7: Exact; pension7: Exact; levy7: Exact } {
  let ni7 = ZERO;
  if (isPositive(rates.niRate) && compareExact(gross7, rates.niThreshold7) > 0) {
    ni7 = multiplyExact(subtractExact(gross7, rates.niThreshold7), rates.niRate);
  }
  let pension7 = ZERO;
  if (isPositive(rates.pensionRate)) {
    if (rates.pensionOnGross) {
      if (isPositive(gross7)) pension7 = multiplyExact(gross7, rates.pensionRate);
    } else {
      const capped = compareExact(gross7, rates.pensionUpper7) < 0 ? gross7 : rates.pensionUpper7;
      if (compareExact(capped, rates.pensionLower7) > 0) {
        pension7 = multiplyExact(subtractExact(capped, rates.pensionLower7), rates.pensionRate);
      }
    }
  }
  const levy7 =
    isPositive(rates.levyRate) && isPositive(gross7) ? multiplyExact(gross7, rates.levyRate) : ZERO;
  return { ni7, pension7, levy7 };
}

/**
 * §2 staffing: one STAFF_PAY line (headcount × g) per staffing line, in input order; the employer
 * on-costs and the employment cost E = headcount × (g + NI + pension + levy) of the lines needing
 * cover, summed for the home-level lines; and each line's E for its enhancements.
 */
function staffingLines(
  model: CostModel,
  figures: Figures,
  rates: OnCostRates,
): { lines: DraftLine[]; totals: StaffingTotals; staffById: Map<string, StaffFacts> } {
  const lines: DraftLine[] = [];
  const staffById = new Map<string, StaffFacts>();
  const totals: StaffingTotals = {
    ni7: ZERO,
    pension7: ZERO,
    levy7: ZERO,
    coverEmployment7: ZERO,
    niLines: 0,
    pensionLines: 0,
    levyLines: 0,
    coverLines: 0,
  };
  model.staffing.forEach((line, index) => {
    const pay = payPerFte7(line, index, figures, model.home.fteHoursPerWeek);
    const gross = grossPerPerson7(line, index, pay);
    const person = onCostsPerPerson7(gross.gross7, rates);
    const headcount = BigInt(line.headcount);
    const employment7 = scaleExact(
      addExact(addExact(addExact(gross.gross7, person.ni7), person.pension7), person.levy7),
      headcount,
    );
    addOnCosts(totals, person, headcount);
    if (line.requiresCover) {
      totals.coverEmployment7 = addExact(totals.coverEmployment7, employment7);
      totals.coverLines += 1;
    }
    if (!staffById.has(line.id)) staffById.set(line.id, { line, index, employment7 });
    lines.push({
      code: 'STAFF_PAY',
      category: 'staffing',
      description: line.role,
      over: 'seven',
      numerator: scaleExact(gross.gross7, headcount),
      basis: `${line.headcount} × ${gbpOfSevenths(gross.gross7)} gross pay (${gross.words})`,
    });
  });
  return { lines, totals, staffById };
}

/** §2 a line's on-costs (all heads) into the home's sums; a line with an on-cost counts towards it. */
function addOnCosts(
  totals: StaffingTotals,
  person: { ni7: Exact; pension7: Exact; levy7: Exact },
  headcount: bigint,
): void {
  if (isPositive(person.ni7)) {
    totals.ni7 = addExact(totals.ni7, scaleExact(person.ni7, headcount));
    totals.niLines += 1;
  }
  if (isPositive(person.pension7)) {
    totals.pension7 = addExact(totals.pension7, scaleExact(person.pension7, headcount));
    totals.pensionLines += 1;
  }
  if (isPositive(person.levy7)) {
    totals.levy7 = addExact(totals.levy7, scaleExact(person.levy7, headcount));
    totals.levyLines += 1;
  }
}

/** §2 the home-level staffing lines after STAFF_PAY: NI, pension, levy (summed over lines), then cover. */
function onCostLines(totals: StaffingTotals, rates: RatesBlock, figures: Figures): DraftLine[] {
  const pensionOf =
    rates.pensionBasis === 'gross'
      ? 'gross'
      : `(gross up to ${formatGbp(rates.pensionQualifyingUpperAnnual)} − ${formatGbp(rates.pensionQualifyingLowerAnnual)} lower limit)`;
  return [
    staffingLine(
      'STAFF_EMPLOYER_NI',
      'Employer National Insurance',
      totals.ni7,
      `Σ headcount × ${formatPercent(rates.employerNiRate)} × (gross − ${formatGbp(rates.niSecondaryThresholdAnnual)} threshold), over ${staffLines(totals.niLines)}`,
    ),
    staffingLine(
      'STAFF_EMPLOYER_PENSION',
      'Employer pension',
      totals.pension7,
      `Σ headcount × ${formatPercent(rates.employerPensionRate)} × ${pensionOf}, over ${staffLines(totals.pensionLines)}`,
    ),
    staffingLine(
      'STAFF_APPRENTICESHIP_LEVY',
      'Apprenticeship levy',
      totals.levy7,
      `Σ headcount × ${formatPercent(rates.apprenticeshipLevyRate)} × gross, over ${staffLines(totals.levyLines)}`,
    ),
    // cover: annual = E7 × A × agency / (7 × (working − A))
    staffingLine(
      'STAFF_ABSENCE_COVER',
      'Absence cover',
      multiplyExact(totals.coverEmployment7, figures.coverFactor),
      `${gbpOfSevenths(totals.coverEmployment7)} employment cost of ${staffLines(totals.coverLines)} needing cover × ${formatExact(figures.absence)} ÷ ${formatExact(figures.workingLessAbsence)} absence uplift × ${formatExact(figures.agencyFactor)} agency premium`,
      'cover',
    ),
  ];
}

/** A home-level staffing line, over 7 unless said otherwise. */
function staffingLine(
  code: BreakdownLineCode,
  description: string,
  numerator: Exact,
  basis: string,
  over: Over = 'seven',
): DraftLine {
  return { code, category: 'staffing', description, over, numerator, basis };
}

// ── §2 property and running lines, §6 their payments to related parties ─────────────────────────

/** §2 an amount a year (× 7): weekly × W, monthly × 12, quarterly × 4; a per_child line also × P. */
function annual7(amount: string, frequency: Frequency, perChild: boolean, figures: Figures): Exact {
  const factor = frequency === 'weekly' ? figures.days : ANNUAL7_FACTOR[frequency];
  const annual = scaleExact(exact(amount), factor);
  return perChild ? multiplyExact(annual, figures.places) : annual;
}

/** §6 a line paid to a related party gives its market amount (annualised as its amount) and evidence. */
function relatedPaymentOf(
  pointer: string,
  line: PropertyLine | RunningLine,
  paid: Exact,
  perChild: boolean,
  figures: Figures,
): RelatedDraft | undefined {
  if (line.relatedPartyId === undefined) return undefined;
  if (line.marketAmount === undefined) {
    invalid(`${pointer}/marketAmount`, 'is required: a line paid to a related party gives its market amount');
  }
  if (line.marketEvidence === undefined) {
    invalid(`${pointer}/marketEvidence`, 'is required: a line paid to a related party gives its evidence');
  }
  return {
    partyId: line.relatedPartyId,
    code: line.code,
    description: line.description,
    over: 'seven',
    paid,
    market: annual7(line.marketAmount, line.frequency, perChild, figures),
    evidence: line.marketEvidence,
  };
}

/** §2 each property line, then each running line, annualised (per_child lines × W × P); §6 payments. */
function propertyAndRunningLines(
  model: CostModel,
  figures: Figures,
): { lines: DraftLine[]; related: RelatedDraft[] } {
  const lines: DraftLine[] = [];
  const related: RelatedDraft[] = [];
  const add = (kind: 'property' | 'running', line: PropertyLine | RunningLine, index: number) => {
    const perChild = kind === 'running' && (line as RunningLine).basis === 'per_child';
    const numerator = annual7(line.amount, line.frequency, perChild, figures);
    const payment = relatedPaymentOf(`/${kind}/${index}`, line, numerator, perChild, figures);
    if (payment !== undefined) related.push(payment);
    lines.push({
      code: line.code,
      category: kind,
      description: line.description,
      over: 'seven',
      numerator,
      basis: (perChild ? perChildBasis : perHomeBasis)(line.amount, line.frequency, figures),
      ...(payment === undefined ? {} : { relatedPartyIds: [payment.partyId] }),
      ...(perChild ? { perChild: true as const } : {}),
    });
  };
  for (const [index, line] of model.property.entries()) add('property', line, index);
  for (const [index, line] of model.running.entries()) add('running', line, index);
  return { lines, related };
}

/** §4 the basis of a home-level line: its amount a year ÷ W ÷ P. */
function perHomeBasis(amount: string, frequency: Frequency, figures: Figures): string {
  const per = `${formatGbp(amount)} ${FREQUENCY_WORDS[frequency]}`;
  const { weeks6, placesText } = figures;
  switch (frequency) {
    case 'weekly':
      return `${per} ÷ ${placesText} places`;
    case 'monthly':
      return `${per} × 12 ÷ ${weeks6} weeks ÷ ${placesText} places`;
    case 'quarterly':
      return `${per} × 4 ÷ ${weeks6} weeks ÷ ${placesText} places`;
    case 'annual':
      return `${per} ÷ ${weeks6} weeks ÷ ${placesText} places`;
  }
}

/** §4 the basis of a per_child line: its weekly equivalent, and a year × W × P. */
function perChildBasis(amount: string, frequency: Frequency, figures: Figures): string {
  const per = `${formatGbp(amount)} ${FREQUENCY_WORDS[frequency]} per child`;
  const { weeks6, placesText } = figures;
  switch (frequency) {
    case 'weekly':
      return `${per} × ${weeks6} weeks × ${placesText} places`;
    case 'monthly':
      return `${per} × 12 ÷ ${weeks6} weeks; a year: × 12 × ${placesText} places`;
    case 'quarterly':
      return `${per} × 4 ÷ ${weeks6} weeks; a year: × 4 × ${placesText} places`;
    case 'annual':
      return `${per} ÷ ${weeks6} weeks; a year: × ${placesText} places`;
  }
}

// ── §2 central share (§7 the home's penny share), §6 its components paid to related parties ──────

/**
 * §2 CENTRAL_OVERHEAD = poolAnnual × homeUnits / totalUnits, or §7 the home's penny share of the pool
 * in its place. A share is a whole number of pennies, so the annual column keeps it exactly: §3 gives
 * the column's missing pennies only to lines with a remainder, and they never number more. §6 a
 * component's excess is max(0, amount − market) × homeUnits / totalUnits.
 */
function centralLine(
  central: CostModel['central'],
  figures: Figures,
): { line: DraftLine; related: RelatedDraft[] } {
  const { homeUnits, totalUnits } = figures;
  const related: RelatedDraft[] = [];
  const parties: string[] = [];
  for (const component of central.relatedPartyCharges ?? []) {
    related.push({
      partyId: component.relatedPartyId,
      code: 'CENTRAL_OVERHEAD',
      description: component.description,
      over: 'central',
      paid: multiplyExact(exact(component.amountAnnual), homeUnits),
      market: multiplyExact(exact(component.marketAmountAnnual), homeUnits),
      evidence: component.marketEvidence,
    });
    if (!parties.includes(component.relatedPartyId)) parties.push(component.relatedPartyId);
  }
  const basisWords = CENTRAL_BASIS_WORDS[central.basis];
  const share = central.annualAmount;
  const line: DraftLine = {
    code: 'CENTRAL_OVERHEAD',
    category: 'central',
    description: 'Central overhead',
    over: share === undefined ? 'central' : 'seven',
    numerator:
      share === undefined
        ? multiplyExact(exact(central.poolAnnual), homeUnits)
        : scaleExact(exact(share), 7n),
    basis:
      share === undefined
        ? `${formatGbp(central.poolAnnual)} pool × ${formatExact(homeUnits)} ÷ ${formatExact(totalUnits)} units (${basisWords})`
        : `${formatGbp(share)}, this home's share of the pool by largest remainder (${centralProductWords(central.poolAnnual, central.homeUnits, central.totalUnits, basisWords)})`,
  };
  if (parties.length > 0) line.relatedPartyIds = parties;
  return { line, related };
}

// ── §2 per child: W and planned occupancy, on one common denominator ─────────────────────────────

/**
 * The common denominator: annual_i = N_i / K, K = 7 × (working − A) × totalUnits (all × 10^z so
 * that every N_i is whole); weekly per child_i = annual_i × 7 / (D × P).
 */
interface Scale {
  z: number;
  workingLessAbsence: Exact;
  totalUnits: Exact;
  /** N_i of a line over 7 is its numerator × this; of the central line, × centralMultiplier. */
  sevenMultiplier: bigint;
  centralMultiplier: bigint;
  annualDenominator: bigint;
  weeklyMultiplier: bigint;
  weeklyDenominator: bigint;
}

/** §2 per child per week a home-level line is a / W / P: the scale every line is put on. */
function scaleOf(lines: readonly DraftLine[], related: readonly RelatedDraft[], figures: Figures): Scale {
  const { workingLessAbsence: wl, totalUnits: tu, places, surplusRate } = figures;
  let maxPlaces = 0;
  for (const line of lines) if (line.numerator.places > maxPlaces) maxPlaces = line.numerator.places;
  for (const draft of related) maxPlaces = Math.max(maxPlaces, draft.paid.places, draft.market.places);
  const z = maxPlaces + wl.places + tu.places + surplusRate.places;
  const annualDenominator = 7n * wl.units * tu.units * pow10(z - wl.places - tu.places);
  return {
    z,
    workingLessAbsence: wl,
    totalUnits: tu,
    sevenMultiplier: wl.units * tu.units,
    centralMultiplier: 7n * wl.units,
    annualDenominator,
    weeklyMultiplier: 7n * pow10(places.places),
    weeklyDenominator: annualDenominator * figures.days * places.units,
  };
}

/** A numerator over its own denominator as a whole numerator over the common one. */
function onScale(scale: Scale, over: Over, { units, places }: Exact): bigint {
  const { z, workingLessAbsence: wl, totalUnits: tu } = scale;
  return over === 'seven'
    ? units * scale.sevenMultiplier * pow10(z - places - wl.places - tu.places)
    : over === 'cover'
      ? units * tu.units * pow10(z - places - tu.places)
      : units * scale.centralMultiplier * pow10(z - places - wl.places);
}

// ── §2 surplus ───────────────────────────────────────────────────────────────────────────────────

/** The cost lines on the common scale, their sum C, the surplus S and the fee F = C + S. */
interface Fee {
  numerators: bigint[];
  costSum: bigint;
  surplusNumerator: bigint;
  total: bigint;
}

/** §2 S = C × rate, exactly: every numerator on the common scale is a multiple of 10^(rate's places). */
function surplusOn(cost: bigint, rate: Exact): bigint {
  return (cost / pow10(rate.places)) * rate.units;
}

/** §2 C = the sum of all lines; S = C × rate; F = C + S (S is exact: 10^(rate's places) divides C). */
function feeOf(lines: readonly DraftLine[], scale: Scale, surplusRate: Exact): Fee {
  const numerators: bigint[] = [];
  let costSum = 0n;
  for (const line of lines) {
    const n = onScale(scale, line.over, line.numerator);
    numerators.push(n);
    costSum += n;
  }
  const surplusNumerator = surplusOn(costSum, surplusRate);
  return { numerators, costSum, surplusNumerator, total: costSum + surplusNumerator };
}

// ── §3 rounding: every published column adds up (largest remainder) ─────────────────────────────

interface Rounded {
  /** The lines published: not exactly zero, SURPLUS last. */
  kept: DraftLine[];
  weeklyPennies: bigint[];
  annualPennies: bigint[];
  /** Shares of the fee in ten-thousandths; null when the fee is 0. */
  shares: bigint[] | null;
  feePennies: bigint;
  /** The SURPLUS line's weekly amount (0 when there is none). */
  surplusPennies: bigint;
  incomePennies: bigint;
}

/**
 * §3 the weekly fee is F half-up and the annual column adds up to F × W × P half-up; lines exactly
 * zero are left out, SURPLUS comes last, and each column is allocated by largest remainder. The
 * shares of the published weekly amounts, to 4 dp, add up to 1.0000.
 */
function roundColumns(lines: readonly DraftLine[], fee: Fee, scale: Scale, surplusRateText: string): Rounded {
  const { kept, numerators, weeklyPennies, feePennies, surplusPennies } = weeklyColumn(
    lines,
    fee,
    scale,
    surplusRateText,
  );
  const incomePennies = divideHalfUp(fee.total * 100n, scale.annualDenominator);
  return {
    kept,
    weeklyPennies,
    annualPennies: allocateUnits(numerators, scale.annualDenominator, 100n, incomePennies),
    shares: feePennies > 0n ? allocateUnits(weeklyPennies, feePennies, 10_000n, 10_000n) : null,
    feePennies,
    surplusPennies,
    incomePennies,
  };
}

/**
 * §3 the weekly fee F half-up and the weekly column allocated to it by largest remainder, over the
 * lines kept (not exactly zero, SURPLUS last), and the SURPLUS line's amount: the fee less it is the
 * weekly cost.
 */
function weeklyColumn(
  lines: readonly DraftLine[],
  fee: Fee,
  scale: Scale,
  surplusRateText: string,
): {
  kept: DraftLine[];
  numerators: bigint[];
  weeklyPennies: bigint[];
  feePennies: bigint;
  surplusPennies: bigint;
} {
  const { weeklyMultiplier, weeklyDenominator } = scale;
  const feePennies = divideHalfUp(fee.total * weeklyMultiplier * 100n, weeklyDenominator);
  const kept: DraftLine[] = [];
  const numerators: bigint[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const n = fee.numerators[i]!;
    if (n !== 0n) {
      kept.push(lines[i]!);
      numerators.push(n);
    }
  }
  if (fee.surplusNumerator !== 0n) {
    kept.push(surplusLine(fee, scale, surplusRateText));
    numerators.push(fee.surplusNumerator);
  }
  const weeklyPennies = allocateUnits(numerators, weeklyDenominator, 100n * weeklyMultiplier, feePennies);
  const surplusPennies = fee.surplusNumerator !== 0n ? weeklyPennies[weeklyPennies.length - 1]! : 0n;
  return { kept, numerators, weeklyPennies, feePennies, surplusPennies };
}

/** §2 the SURPLUS line, whose basis quotes the unrounded weekly cost to pennies. */
function surplusLine(fee: Fee, scale: Scale, surplusRateText: string): DraftLine {
  const costPennies = divideHalfUp(fee.costSum * scale.weeklyMultiplier * 100n, scale.weeklyDenominator);
  return {
    code: 'SURPLUS',
    category: 'surplus',
    description: 'Surplus',
    over: 'seven',
    numerator: ZERO,
    basis: `${formatPercent(surplusRateText)} of ${formatGbpPennies(costPennies)} weekly cost`,
  };
}

// ── §6 related-party excess ──────────────────────────────────────────────────────────────────────

interface RelatedSection {
  parties: RelatedPartyBreakdown[];
  excessWeekly: string;
  adjustedRate: string;
}

/** §6 one payment in pennies: paid, market and excess, each half-up on its own. */
interface PricedPayment {
  draft: RelatedDraft;
  paid: bigint;
  market: bigint;
  excess: bigint;
}

/** §6 each party's payments in pennies, and Σx on the common scale, exactly. */
function pricePayments(
  parties: NonNullable<CostModel['relatedParties']>,
  related: readonly RelatedDraft[],
  scale: Scale,
): { priced: { party: (typeof parties)[number]; lines: PricedPayment[] }[]; excessSum: bigint } {
  const pennies = (n: bigint) => divideHalfUp(n * 100n, scale.annualDenominator);
  let excessSum = 0n;
  const priced = parties.map((party) => ({
    party,
    lines: related
      .filter((draft) => draft.partyId === party.id)
      .map((draft) => {
        const paid = onScale(scale, draft.over, draft.paid);
        const market = onScale(scale, draft.over, draft.market);
        const excess = paid > market ? paid - market : 0n;
        excessSum += excess;
        return { draft, paid: pennies(paid), market: pennies(market), excess: pennies(excess) };
      }),
  }));
  return { priced, excessSum };
}

/**
 * §6 the related parties' lines against their market amounts, X (the excess per child per week,
 * half-up) and the adjusted surplus rate (S + X) / (C − X), 6 dp half-up. Throws a 422 at
 * `/surplus/rate` naming each party's excess when the adjusted rate is above the cap.
 */
function relatedPartySection(
  parties: NonNullable<CostModel['relatedParties']>,
  related: readonly RelatedDraft[],
  scale: Scale,
  fee: Fee,
  surplus: CostModel['surplus'],
): RelatedSection {
  const { priced, excessSum } = pricePayments(parties, related, scale);
  const excessWeekly = divideHalfUp(excessSum * scale.weeklyMultiplier * 100n, scale.weeklyDenominator);
  const adjustedSurplus = fee.surplusNumerator + excessSum;
  const adjustedCost = fee.costSum - excessSum;
  const cap = exact(surplus.capRate);
  // (S + X) / (C − X) > cap, exactly; with no cost left after the excess any surplus breaks the cap
  const breaks =
    adjustedCost <= 0n
      ? adjustedSurplus > 0n
      : adjustedSurplus * pow10(cap.places) > cap.units * adjustedCost;
  const adjustedRate = adjustedCost <= 0n ? null : ratio(adjustedSurplus, adjustedCost, 6);
  if (breaks) refuseAboveCap(priced, adjustedRate, excessWeekly, surplus.capRate);
  return {
    parties: priced.map(({ party, lines }) => ({
      id: party.id,
      name: party.name,
      ...(party.companiesHouseNumber === undefined
        ? {}
        : { companiesHouseNumber: party.companiesHouseNumber }),
      relationship: party.relationship,
      lines: lines.map(({ draft, paid, market, excess }) => ({
        code: draft.code,
        description: draft.description,
        annualAmount: formatPennies(paid),
        marketAnnualAmount: formatPennies(market),
        excessAnnual: formatPennies(excess),
        marketEvidence: draft.evidence,
      })),
      excessAnnual: formatPennies(lines.reduce((sum, line) => sum + line.excess, 0n)),
    })),
    excessWeekly: formatPennies(excessWeekly),
    adjustedRate: adjustedRate ?? formatUnits(0n, 6),
  };
}

/** §6 the 422 of a model whose adjusted surplus rate is above the cap, naming each party's excess. */
function refuseAboveCap(
  priced: readonly { party: { id: string; name: string }; lines: readonly PricedPayment[] }[],
  adjustedRate: string | null,
  excessWeekly: bigint,
  capRate: string,
): never {
  const named = priced
    .map(({ party, lines }) => ({ party, lines: lines.filter((line) => line.excess > 0n) }))
    .filter(({ lines }) => lines.length > 0)
    .map(
      ({ party, lines }) =>
        `${party.name} (${party.id}) ${lines
          .map(
            (line) =>
              `${line.draft.code} ${formatGbpPennies(line.paid)} a year against a market ${formatGbpPennies(line.market)}, excess ${formatGbpPennies(line.excess)}`,
          )
          .join('; ')}`,
    )
    .join('; ');
  invalid(
    '/surplus/rate',
    `the adjusted surplus rate ${adjustedRate ?? '(no cost is left once the excess is taken out)'}, counting ${formatGbpPennies(excessWeekly)} a week per child paid to related parties above market as surplus, is above the cap (${plainDecimal(capRate)}): ${named}`,
  );
}

// ── §2–§3 enhancements ───────────────────────────────────────────────────────────────────────────

/** §2 each enhancement, priced on the staffing line it names. */
function enhancementsOf(
  model: CostModel,
  staffById: ReadonlyMap<string, StaffFacts>,
  figures: Figures,
): EnhancementBreakdown[] {
  return (model.enhancements ?? []).map((enhancement, index) => {
    const staff = staffById.get(enhancement.roleId);
    if (staff === undefined) invalid(`/enhancements/${index}/roleId`, 'names no staffing line');
    return priceEnhancement(enhancement, staff, figures, model);
  });
}

/**
 * §2 the loaded hourly cost h = (E + cover) / (headcount × ftePerPerson × fteHoursPerWeek × W), as
 * an exact numerator and denominator. With E7 = 7E and W = D / 7: h = E7 × (1 + u × agency) /
 * (headcount × fte × hours × D), where 1 + u × agency = (working − A + A × agency) / (working − A)
 * for a line that needs cover.
 */
function loadedHourlyCost(
  staff: StaffFacts,
  figures: Figures,
): { numerator: Exact; denominator: Exact; words: string } {
  const { line, employment7 } = staff;
  const { workingLessAbsence, coverFactor } = figures;
  const heads = scaleExact(
    multiplyExact(figures.hoursTimesDays, exact(line.ftePerPerson)),
    BigInt(line.headcount),
  );
  if (!line.requiresCover) {
    return {
      numerator: employment7,
      denominator: heads,
      words: `${gbpOfSevenths(employment7)} employment cost`,
    };
  }
  const numerator = multiplyExact(employment7, addExact(workingLessAbsence, coverFactor));
  const employmentAndCover = divideExactHalfUp(numerator, scaleExact(workingLessAbsence, 7n), 2);
  return {
    numerator,
    denominator: multiplyExact(heads, workingLessAbsence),
    words: `${formatGbpPennies(employmentAndCover)} employment cost and absence cover`,
  };
}

/**
 * §2 an enhancement's weekly cost = hoursPerWeek × h with h unrounded; surplus at the same rate.
 * §3 the weekly charge is cost plus surplus half-up, and its two lines are allocated to it by
 * largest remainder.
 */
function priceEnhancement(
  enhancement: Enhancement,
  staff: StaffFacts,
  figures: Figures,
  model: CostModel,
): EnhancementBreakdown {
  const { line } = staff;
  const hourly = loadedHourlyCost(staff, figures);
  if (!isPositive(hourly.denominator)) invalid(`/staffing/${staff.index}/ftePerPerson`, 'must be above 0');
  // weekly cost = hoursPerWeek × h; surplus = cost × rate; all over one denominator
  const hoursPerWeek = exact(enhancement.hoursPerWeek);
  const rate = figures.surplusRate;
  const base = hoursPerWeek.units * hourly.numerator.units * pow10(hourly.denominator.places);
  const costNumerator = base * pow10(rate.places);
  const surplusNumerator = base * rate.units;
  const denominator =
    hourly.denominator.units * pow10(hourly.numerator.places + hoursPerWeek.places + rate.places);
  const chargePennies = divideHalfUp((costNumerator + surplusNumerator) * 100n, denominator);
  const costPennies = divideHalfUp(costNumerator * 100n, denominator);
  const loadedPennies = divideExactHalfUp(hourly.numerator, hourly.denominator, 2);

  const drafts: Omit<EnhancementLine, 'weeklyAmount'>[] = [];
  const numerators: bigint[] = [];
  if (costNumerator !== 0n) {
    drafts.push({
      code: 'ENHANCEMENT_STAFFING',
      category: 'enhancement',
      basis: `${plainDecimal(enhancement.hoursPerWeek)} hours × ${formatGbpPennies(loadedPennies)} loaded hourly cost of ${line.role} (${hourly.words} ÷ (${line.headcount} × ${plainDecimal(line.ftePerPerson)} FTE × ${plainDecimal(model.home.fteHoursPerWeek)} hours × ${figures.weeks6} weeks))`,
    });
    numerators.push(costNumerator);
  }
  if (surplusNumerator !== 0n) {
    drafts.push({
      code: 'SURPLUS',
      category: 'surplus',
      basis: `${formatPercent(model.surplus.rate)} of ${formatGbpPennies(costPennies)} weekly cost`,
    });
    numerators.push(surplusNumerator);
  }
  const amounts = allocateUnits(numerators, denominator, 100n, chargePennies);
  return {
    description: enhancement.description,
    roleId: enhancement.roleId,
    hoursPerWeek: enhancement.hoursPerWeek,
    loadedHourlyCost: formatPennies(loadedPennies),
    weeklyCost: formatPennies(costPennies),
    weeklyCharge: formatPennies(chargePennies),
    lines: drafts.map((draft, i) => ({
      code: draft.code,
      category: draft.category,
      weeklyAmount: formatPennies(amounts[i]!),
      basis: draft.basis,
    })),
  };
}

// ── §4 what comes out ────────────────────────────────────────────────────────────────────────────

/** §4 the published lines. */
function publishLines(rounded: Rounded): BreakdownLine[] {
  const { kept, weeklyPennies, annualPennies, shares } = rounded;
  const lines: BreakdownLine[] = [];
  for (let i = 0; i < kept.length; i += 1) {
    const line = kept[i]!;
    const parties = line.relatedPartyIds;
    lines.push({
      code: line.code,
      category: line.category,
      description: line.description,
      annualAmount: formatPennies(annualPennies[i]!),
      weeklyPerChild: formatPennies(weeklyPennies[i]!),
      shareOfFee: shares === null ? '0.0000' : formatUnits(shares[i]!, 4),
      basis: line.basis,
      ...(parties === undefined ? {} : { relatedPartyId: parties[0]! }),
      ...(parties !== undefined && parties.length > 1 ? { relatedPartyIds: parties } : {}),
    });
  }
  return lines;
}

/**
 * §4 the breakdown: the inputs that drive the price (period, W, P, the rates and cover figures used),
 * the fee and its columns, the enhancements, and §6 the related parties.
 */
function assembleBreakdown(parts: {
  model: CostModel;
  resolved: ResolvedRates;
  figures: Figures;
  rounded: Rounded;
  enhancements: EnhancementBreakdown[];
  relatedParties: RelatedSection | undefined;
}): Breakdown {
  const { model, figures, rounded, relatedParties } = parts;
  const { home, central, surplus } = model;
  const { feePennies, incomePennies } = rounded;
  const lines = publishLines(rounded);
  return {
    methodVersion: methodVersionOf(model),
    currency: 'GBP',
    period: { label: model.period.label, start: model.period.start, end: model.period.end },
    daysInPeriod: figures.daysInPeriod,
    weeksInPeriod: figures.weeks6,
    registeredPlaces: home.registeredPlaces,
    plannedOccupancy: home.plannedOccupancy,
    plannedOccupiedPlaces: figures.placesText,
    fteHoursPerWeek: home.fteHoursPerWeek,
    rates: ratesUsed(parts.resolved.rates),
    ratesFrom: parts.resolved.ratesFrom ?? null,
    cover: coverUsed(model.cover, figures),
    central: {
      poolAnnual: central.poolAnnual,
      basis: central.basis,
      homeUnits: central.homeUnits,
      totalUnits: central.totalUnits,
      // only when given, so that a version 1 breakdown keeps its bytes
      ...(central.annualAmount === undefined ? {} : { annualAmount: central.annualAmount }),
    },
    surplusRate: surplus.rate,
    capRate: surplus.capRate,
    surplusShareOfFee: formatUnits(
      divideExactHalfUp(figures.surplusRate, addExact(ONE, figures.surplusRate), 4),
      4,
    ),
    weeklyFeePerChild: formatPennies(feePennies),
    weeklyCostPerChild: formatPennies(feePennies - rounded.surplusPennies),
    weeklySurplusPerChild: formatPennies(rounded.surplusPennies),
    annualIncomeAtPlannedOccupancy: formatPennies(incomePennies),
    lines,
    totals: {
      annualAmount: formatPennies(incomePennies),
      weeklyPerChild: formatPennies(feePennies),
      shareOfFee: rounded.shares === null ? '0.0000' : '1.0000',
    },
    enhancements: parts.enhancements,
    ...(relatedParties === undefined
      ? {}
      : {
          relatedParties: relatedParties.parties,
          relatedPartyExcessWeeklyPerChild: relatedParties.excessWeekly,
          adjustedSurplusRate: relatedParties.adjustedRate,
        }),
  };
}

/** §4 the rates used, repeated. */
function ratesUsed(rates: RatesBlock): Breakdown['rates'] {
  return {
    employerNiRate: rates.employerNiRate,
    niSecondaryThresholdAnnual: rates.niSecondaryThresholdAnnual,
    employerPensionRate: rates.employerPensionRate,
    pensionBasis: rates.pensionBasis,
    pensionQualifyingLowerAnnual: rates.pensionQualifyingLowerAnnual,
    pensionQualifyingUpperAnnual: rates.pensionQualifyingUpperAnnual,
    apprenticeshipLevyRate: rates.apprenticeshipLevyRate,
  };
}

/** §4 the cover figures used, with A and the uplift A ÷ (working − A) to 6 dp. */
function coverUsed(cover: CostModel['cover'], figures: Figures): Breakdown['cover'] {
  return {
    workingDaysPerYear: cover.workingDaysPerYear,
    annualLeaveDays: cover.annualLeaveDays,
    sicknessDays: cover.sicknessDays,
    trainingDays: cover.trainingDays,
    agencyShare: cover.agencyShare,
    agencyPremiumRate: cover.agencyPremiumRate,
    absenceDays: formatExact(figures.absence),
    coverUplift: formatUnits(divideExactHalfUp(figures.absence, figures.workingLessAbsence, 6), 6),
  };
}
