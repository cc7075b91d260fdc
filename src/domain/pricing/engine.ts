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
  formatGbpPennies,
  formatPennies,
  formatUnits,
  multiplyExact,
  pow10,
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
import type { BreakdownLineCode, Frequency } from './codes.js';
import { type RateTables, resolveRates } from './rates.js';
import { type CostModel, type Enhancement, isoDay, type StaffingLine } from './schema.js';

// The cost-plus pricing method (docs/pricing.md): version 1, and of version 2 the
// central share `central.annualAmount` (§7); a model that uses it is priced as method version 2.
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

const ZERO: Exact = { units: 0n, places: 0 };
const ONE: Exact = { units: 1n, places: 0 };
const SEVEN: Exact = { units: 7n, places: 0 };

/** "× 7 × annualising factor" for each frequency (§2: weekly × W, monthly × 12, quarterly × 4). */
const ANNUAL7_FACTOR: Record<Exclude<Frequency, 'weekly'>, bigint> = {
  monthly: 84n,
  quarterly: 28n,
  annual: 7n,
};

const FREQUENCY_WORDS: Record<Frequency, string> = {
  weekly: 'a week',
  monthly: 'a month',
  quarterly: 'a quarter',
  annual: 'a year',
};

const CENTRAL_BASIS_WORDS = { places: 'places', staff_fte: 'staff FTE', equal: 'equal shares' } as const;

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

export interface PriceOptions {
  /** Rate tables by tax year, for models that name `ratesFrom`. */
  rateTables?: RateTables | undefined;
}

function invalid(pointer: string, message: string): never {
  throw new DomainValidationError([{ pointer, message }]);
}

function isPositive(value: Exact): boolean {
  return value.units > 0n;
}

/** "0.90" → "0.9", "040" → "40": an input figure as a reader would write it. */
function plain(text: string): string {
  return formatExact(exact(text));
}

/** A rate as a percentage: "0.15" → "15%", "0.005" → "0.5%". */
function percent(rate: string): string {
  const { units, places } = exact(rate);
  return `${formatExact(places >= 2 ? { units, places: places - 2 } : { units: units * pow10(2 - places), places: 0 })}%`;
}

/** A money input as "£2,400.00". */
function gbp(amount: string): string {
  const { units, places } = exact(amount);
  return formatGbpPennies(places <= 2 ? units * pow10(2 - places) : divideHalfUp(units, pow10(places - 2)));
}

/** An exact amount carried "× 7", as "£1,234.57" (half-up). */
function gbpOfSevenths(value: Exact): string {
  return formatGbpPennies(divideExactHalfUp(value, SEVEN, 2));
}

function staffLines(count: number): string {
  return `${count} staffing line${count === 1 ? '' : 's'}`;
}

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
  const facts = { days, weeks6: formatUnits(divideHalfUp(BigInt(days) * 1_000_000n, 7n), 6) };
  if (periodCache.size >= 1024) periodCache.clear();
  periodCache.set(key, facts);
  return facts;
}

/**
 * Prices a validated cost model by the pricing method (§2–§4, docs/pricing.md).
 * Pure: the same model and tables always give the same breakdown. Throws DomainValidationError for
 * a model that cannot be priced: an unknown `ratesFrom` year, or a rule the schema enforces.
 */
export function priceCostModel(model: CostModel, options: PriceOptions = {}): Breakdown {
  const resolved = resolveRates(model, options.rateTables);
  const rates = resolved.rates;
  const period = periodOf(model.period);
  const days = BigInt(period.days);
  const { home, cover, central, surplus } = model;

  // ── the figures that drive the price ─────────────────────────────────────────────────────
  const occupancy = exact(home.plannedOccupancy);
  if (!isPositive(occupancy) || compareExact(occupancy, ONE) > 0) {
    invalid('/home/plannedOccupancy', 'must be above 0 and at most 1');
  }
  const places = scaleExact(occupancy, BigInt(home.registeredPlaces)); // P
  if (!isPositive(places)) invalid('/home/registeredPlaces', 'must be at least 1');
  const hours = exact(home.fteHoursPerWeek);
  if (!isPositive(hours)) invalid('/home/fteHoursPerWeek', 'must be above 0');

  // A = leave + sickness + training; cover = E × A / (working − A) × (1 + agencyShare × premium)
  const absence = addExact(
    addExact(exact(cover.annualLeaveDays), exact(cover.sicknessDays)),
    exact(cover.trainingDays),
  );
  const workingLessAbsence = subtractExact(exact(cover.workingDaysPerYear), absence);
  if (!isPositive(workingLessAbsence)) {
    invalid('/cover', 'absence days (annual leave + sickness + training) must be below workingDaysPerYear');
  }
  const agencyFactor = addExact(ONE, multiplyExact(exact(cover.agencyShare), exact(cover.agencyPremiumRate)));
  const coverFactor = multiplyExact(absence, agencyFactor);

  const totalUnits = exact(central.totalUnits);
  const homeUnits = exact(central.homeUnits);
  if (!isPositive(totalUnits)) invalid('/central/totalUnits', 'must be above 0');
  if (compareExact(homeUnits, totalUnits) > 0) invalid('/central/homeUnits', 'must not be above totalUnits');
  const centralShare = central.annualAmount;
  if (centralShare !== undefined) {
    const message = centralShareMessage({
      poolAnnual: central.poolAnnual,
      homeUnits: central.homeUnits,
      totalUnits: central.totalUnits,
      annualAmount: centralShare,
    });
    if (message !== undefined) invalid('/central/annualAmount', message);
  }

  const surplusRate = exact(surplus.rate);
  if (compareExact(surplusRate, exact(surplus.capRate)) > 0)
    invalid('/surplus/rate', 'must not be above capRate');

  const niRate = exact(rates.employerNiRate);
  const niThreshold7 = scaleExact(exact(rates.niSecondaryThresholdAnnual), 7n);
  const pensionRate = exact(rates.employerPensionRate);
  const pensionOnGross = rates.pensionBasis === 'gross';
  const pensionLower7 = scaleExact(exact(rates.pensionQualifyingLowerAnnual), 7n);
  const pensionUpper7 = scaleExact(exact(rates.pensionQualifyingUpperAnnual), 7n);
  const levyRate = exact(rates.apprenticeshipLevyRate);
  const hasNi = isPositive(niRate);
  const hasPension = isPositive(pensionRate);
  const hasLevy = isPositive(levyRate);
  const hourlyPay7Factor = scaleExact(hours, days); // hourlyRate × hours × W × 7 = hourlyRate × hours × D

  // ── §2 staffing ──────────────────────────────────────────────────────────────────────────
  const lines: DraftLine[] = [];
  const staffById = new Map<string, StaffFacts>();
  let ni7 = ZERO;
  let pension7 = ZERO;
  let levy7 = ZERO;
  let coverEmployment7 = ZERO;
  let niLines = 0;
  let pensionLines = 0;
  let levyLines = 0;
  let coverLines = 0;

  const staffing = model.staffing;
  for (let index = 0; index < staffing.length; index += 1) {
    const line = staffing[index]!;
    // pay per FTE: annualSalaryFte, or hourlyRate × fteHoursPerWeek × W (all × 7)
    let pay7: Exact;
    let payWords: string;
    if (line.annualSalaryFte !== undefined) {
      if (line.hourlyRate !== undefined) {
        invalid(`/staffing/${index}/hourlyRate`, 'give either annualSalaryFte or hourlyRate, not both');
      }
      pay7 = scaleExact(exact(line.annualSalaryFte), 7n);
      payWords = `${gbp(line.annualSalaryFte)} salary`;
    } else if (line.hourlyRate !== undefined) {
      pay7 = multiplyExact(exact(line.hourlyRate), hourlyPay7Factor);
      payWords = `${gbp(line.hourlyRate)} an hour × ${plain(home.fteHoursPerWeek)} hours × ${period.weeks6} weeks`;
    } else {
      invalid(`/staffing/${index}`, 'give either annualSalaryFte or hourlyRate');
    }
    const fte = exact(line.ftePerPerson);
    if (!isPositive(fte)) invalid(`/staffing/${index}/ftePerPerson`, 'must be above 0');
    // g = payPerFte × ftePerPerson × (1 + enhancementRate) + allowancesAnnualPerPerson
    let gross7 = fte.units === 1n && fte.places === 0 ? pay7 : multiplyExact(pay7, fte);
    const enhancement = exact(line.enhancementRate);
    const enhancementFactor = addExact(ONE, enhancement);
    if (isPositive(enhancement)) gross7 = multiplyExact(gross7, enhancementFactor);
    const allowances = exact(line.allowancesAnnualPerPerson);
    if (isPositive(allowances)) gross7 = addExact(gross7, scaleExact(allowances, 7n));

    // employer NI = max(0, g − threshold) × rate
    let personNi7 = ZERO;
    if (hasNi && compareExact(gross7, niThreshold7) > 0) {
      personNi7 = multiplyExact(subtractExact(gross7, niThreshold7), niRate);
      niLines += 1;
    }
    // employer pension: g × rate, or max(0, min(g, upper) − lower) × rate on qualifying earnings
    let personPension7 = ZERO;
    if (hasPension) {
      if (pensionOnGross) {
        if (isPositive(gross7)) personPension7 = multiplyExact(gross7, pensionRate);
      } else {
        const capped = compareExact(gross7, pensionUpper7) < 0 ? gross7 : pensionUpper7;
        if (compareExact(capped, pensionLower7) > 0) {
          personPension7 = multiplyExact(subtractExact(capped, pensionLower7), pensionRate);
        }
      }
      if (isPositive(personPension7)) pensionLines += 1;
    }
    // apprenticeship levy = g × rate
    let personLevy7 = ZERO;
    if (hasLevy && isPositive(gross7)) {
      personLevy7 = multiplyExact(gross7, levyRate);
      levyLines += 1;
    }

    // E = headcount × (g + NI + pension + levy)
    const headcount = BigInt(line.headcount);
    const employment7 = scaleExact(
      addExact(addExact(addExact(gross7, personNi7), personPension7), personLevy7),
      headcount,
    );
    if (hasNi) ni7 = addExact(ni7, scaleExact(personNi7, headcount));
    if (hasPension) pension7 = addExact(pension7, scaleExact(personPension7, headcount));
    if (hasLevy) levy7 = addExact(levy7, scaleExact(personLevy7, headcount));
    if (line.requiresCover) {
      coverEmployment7 = addExact(coverEmployment7, employment7);
      coverLines += 1;
    }
    if (!staffById.has(line.id)) staffById.set(line.id, { line, index, employment7 });

    let grossWords = `${payWords} × ${formatExact(fte)} FTE`;
    if (isPositive(enhancement)) grossWords += ` × ${formatExact(enhancementFactor)} enhancement`;
    if (isPositive(allowances)) grossWords += ` + ${gbp(line.allowancesAnnualPerPerson)} allowances`;
    lines.push({
      code: 'STAFF_PAY',
      category: 'staffing',
      description: line.role,
      over: 'seven',
      numerator: scaleExact(gross7, headcount),
      basis: `${line.headcount} × ${gbpOfSevenths(gross7)} gross pay (${grossWords})`,
    });
  }

  lines.push({
    code: 'STAFF_EMPLOYER_NI',
    category: 'staffing',
    description: 'Employer National Insurance',
    over: 'seven',
    numerator: ni7,
    basis: `Σ headcount × ${percent(rates.employerNiRate)} × (gross − ${gbp(rates.niSecondaryThresholdAnnual)} threshold), over ${staffLines(niLines)}`,
  });
  lines.push({
    code: 'STAFF_EMPLOYER_PENSION',
    category: 'staffing',
    description: 'Employer pension',
    over: 'seven',
    numerator: pension7,
    basis: pensionOnGross
      ? `Σ headcount × ${percent(rates.employerPensionRate)} × gross, over ${staffLines(pensionLines)}`
      : `Σ headcount × ${percent(rates.employerPensionRate)} × (gross up to ${gbp(rates.pensionQualifyingUpperAnnual)} − ${gbp(rates.pensionQualifyingLowerAnnual)} lower limit), over ${staffLines(pensionLines)}`,
  });
  lines.push({
    code: 'STAFF_APPRENTICESHIP_LEVY',
    category: 'staffing',
    description: 'Apprenticeship levy',
    over: 'seven',
    numerator: levy7,
    basis: `Σ headcount × ${percent(rates.apprenticeshipLevyRate)} × gross, over ${staffLines(levyLines)}`,
  });
  // cover: annual = E7 × A × agency / (7 × (working − A))
  const absenceText = formatExact(absence);
  const workingLessAbsenceText = formatExact(workingLessAbsence);
  lines.push({
    code: 'STAFF_ABSENCE_COVER',
    category: 'staffing',
    description: 'Absence cover',
    over: 'cover',
    numerator: multiplyExact(coverEmployment7, coverFactor),
    basis: `${gbpOfSevenths(coverEmployment7)} employment cost of ${staffLines(coverLines)} needing cover × ${absenceText} ÷ ${workingLessAbsenceText} absence uplift × ${formatExact(agencyFactor)} agency premium`,
  });

  // ── property and running lines, annualised; per_child lines are weekly equivalent × W × P ──
  const placesText = formatExact(places);
  // §6 a line paid to a related party also carries its market amount, annualised the same way
  const related: RelatedDraft[] = [];
  const annual7Of = (amount: string, frequency: Frequency, perChild: boolean): Exact => {
    const annual7 = scaleExact(exact(amount), frequency === 'weekly' ? days : ANNUAL7_FACTOR[frequency]);
    return perChild ? multiplyExact(annual7, places) : annual7;
  };
  const relatedOf = (
    kind: 'property' | 'running',
    index: number,
    line: CostModel['property'][number] | CostModel['running'][number],
    numerator: Exact,
    perChild: boolean,
  ): Pick<DraftLine, 'relatedPartyIds'> => {
    if (line.relatedPartyId === undefined) return {};
    if (line.marketAmount === undefined) {
      invalid(
        `/${kind}/${index}/marketAmount`,
        'is required: a line paid to a related party gives its market amount',
      );
    }
    if (line.marketEvidence === undefined) {
      invalid(
        `/${kind}/${index}/marketEvidence`,
        'is required: a line paid to a related party gives its evidence',
      );
    }
    related.push({
      partyId: line.relatedPartyId,
      code: line.code,
      description: line.description,
      over: 'seven',
      paid: numerator,
      market: annual7Of(line.marketAmount, line.frequency, perChild),
      evidence: line.marketEvidence,
    });
    return { relatedPartyIds: [line.relatedPartyId] };
  };
  model.property.forEach((line, index) => {
    const numerator = annual7Of(line.amount, line.frequency, false);
    lines.push({
      code: line.code,
      category: 'property',
      description: line.description,
      over: 'seven',
      numerator,
      basis: perHomeBasis(line.amount, line.frequency, period.weeks6, placesText),
      ...relatedOf('property', index, line, numerator, false),
    });
  });
  model.running.forEach((line, index) => {
    const perChild = line.basis === 'per_child';
    const numerator = annual7Of(line.amount, line.frequency, perChild);
    lines.push({
      code: line.code,
      category: 'running',
      description: line.description,
      over: 'seven',
      numerator,
      basis: perChild
        ? perChildBasis(line.amount, line.frequency, period.weeks6, placesText)
        : perHomeBasis(line.amount, line.frequency, period.weeks6, placesText),
      ...relatedOf('running', index, line, numerator, perChild),
    });
  });

  // §6 a central component's excess is max(0, amount − market) × homeUnits / totalUnits
  const components = central.relatedPartyCharges ?? [];
  const centralParties: string[] = [];
  for (const component of components) {
    related.push({
      partyId: component.relatedPartyId,
      code: 'CENTRAL_OVERHEAD',
      description: component.description,
      over: 'central',
      paid: multiplyExact(exact(component.amountAnnual), homeUnits),
      market: multiplyExact(exact(component.marketAmountAnnual), homeUnits),
      evidence: component.marketEvidence,
    });
    if (!centralParties.includes(component.relatedPartyId)) centralParties.push(component.relatedPartyId);
  }

  // CENTRAL_OVERHEAD = poolAnnual × homeUnits / totalUnits, or §7 the home's penny share of the pool
  // in its place. A share is a whole number of pennies, so the annual column keeps it exactly: §3
  // gives the column's missing pennies only to lines with a remainder, and they never number more.
  const centralRelated = centralParties.length > 0 ? { relatedPartyIds: centralParties } : {};
  lines.push(
    centralShare === undefined
      ? {
          ...centralRelated,
          code: 'CENTRAL_OVERHEAD',
          category: 'central',
          description: 'Central overhead',
          over: 'central',
          numerator: multiplyExact(exact(central.poolAnnual), homeUnits),
          basis: `${gbp(central.poolAnnual)} pool × ${formatExact(homeUnits)} ÷ ${formatExact(totalUnits)} units (${CENTRAL_BASIS_WORDS[central.basis]})`,
        }
      : {
          ...centralRelated,
          code: 'CENTRAL_OVERHEAD',
          category: 'central',
          description: 'Central overhead',
          over: 'seven',
          numerator: scaleExact(exact(centralShare), 7n),
          basis: `${gbp(centralShare)}, this home's share of the pool by largest remainder (${centralProductWords(central.poolAnnual, central.homeUnits, central.totalUnits, CENTRAL_BASIS_WORDS[central.basis])})`,
        },
  );

  // ── one common denominator ───────────────────────────────────────────────────────────────
  // annual_i = N_i / K, K = 7 × (working − A) × totalUnits (all × 10^z so that every N_i is whole);
  // weekly_i = annual_i × 7 / (D × P).
  const wl = workingLessAbsence;
  const tu = totalUnits;
  let maxPlaces = 0;
  for (const line of lines) if (line.numerator.places > maxPlaces) maxPlaces = line.numerator.places;
  for (const draft of related) maxPlaces = Math.max(maxPlaces, draft.paid.places, draft.market.places);
  const z = maxPlaces + wl.places + tu.places + surplusRate.places;
  const sevenMultiplier = wl.units * tu.units;
  const centralMultiplier = 7n * wl.units;
  const common = (over: Over, { units, places: p }: Exact): bigint =>
    over === 'seven'
      ? units * sevenMultiplier * pow10(z - p - wl.places - tu.places)
      : over === 'cover'
        ? units * tu.units * pow10(z - p - tu.places)
        : units * centralMultiplier * pow10(z - p - wl.places);
  const numerators: bigint[] = [];
  let costSum = 0n;
  for (const line of lines) {
    const n = common(line.over, line.numerator);
    numerators.push(n);
    costSum += n;
  }
  const annualDenominator = 7n * wl.units * tu.units * pow10(z - wl.places - tu.places);
  const weeklyMultiplier = 7n * pow10(places.places);
  const weeklyDenominator = annualDenominator * days * places.units;

  // §2 S = C × rate, F = C + S. The surplus numerator is exact: 10^(rate's places) divides every N_i.
  const surplusNumerator = (costSum / pow10(surplusRate.places)) * surplusRate.units;
  const total = costSum + surplusNumerator;

  // §6 the related-party excess counts as surplus: (S + X) / (C − X) must not exceed the cap
  const relatedParties =
    model.relatedParties === undefined
      ? undefined
      : relatedPartySection(model.relatedParties, related, common, annualDenominator, {
          costSum,
          surplusNumerator,
          weeklyMultiplier,
          weeklyDenominator,
          surplus,
        });

  // §3 the weekly fee is F half-up; the annual column adds up to F × W × P half-up.
  const feePennies = divideHalfUp(total * weeklyMultiplier * 100n, weeklyDenominator);
  const incomePennies = divideHalfUp(total * 100n, annualDenominator);

  // §3 lines whose annual amount is exactly zero are left out; SURPLUS comes last.
  const kept: DraftLine[] = [];
  const annualNumerators: bigint[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const n = numerators[i]!;
    if (n !== 0n) {
      kept.push(lines[i]!);
      annualNumerators.push(n);
    }
  }
  if (surplusNumerator !== 0n) {
    const costPennies = divideHalfUp(costSum * weeklyMultiplier * 100n, weeklyDenominator);
    kept.push({
      code: 'SURPLUS',
      category: 'surplus',
      description: 'Surplus',
      over: 'seven',
      numerator: ZERO,
      basis: `${percent(surplus.rate)} of ${formatGbpPennies(costPennies)} weekly cost`,
    });
    annualNumerators.push(surplusNumerator);
  }

  const weeklyPennies = allocateUnits(
    annualNumerators,
    weeklyDenominator,
    100n * weeklyMultiplier,
    feePennies,
  );
  const annualPennies = allocateUnits(annualNumerators, annualDenominator, 100n, incomePennies);
  // shares of the published weekly amounts, to 4 dp, adding up to 1.0000
  const shares = feePennies > 0n ? allocateUnits(weeklyPennies, feePennies, 10_000n, 10_000n) : null;

  const published: BreakdownLine[] = [];
  let surplusWeekly = 0n;
  for (let i = 0; i < kept.length; i += 1) {
    const line = kept[i]!;
    if (line.code === 'SURPLUS') surplusWeekly = weeklyPennies[i]!;
    const parties = line.relatedPartyIds;
    published.push({
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

  // ── enhancements ─────────────────────────────────────────────────────────────────────────
  const enhancements: EnhancementBreakdown[] = [];
  const requested = model.enhancements ?? [];
  for (let index = 0; index < requested.length; index += 1) {
    const enhancement = requested[index]!;
    const staff = staffById.get(enhancement.roleId);
    if (staff === undefined) invalid(`/enhancements/${index}/roleId`, 'names no staffing line');
    enhancements.push(
      priceEnhancement(enhancement, staff, {
        fteHoursPerWeek: home.fteHoursPerWeek,
        hoursTimesDays: hourlyPay7Factor,
        weeks6: period.weeks6,
        workingLessAbsence,
        coverFactor,
        surplusRate,
        surplusRateText: surplus.rate,
      }),
    );
  }

  return {
    methodVersion: methodVersionOf(model),
    currency: 'GBP',
    period: { label: model.period.label, start: model.period.start, end: model.period.end },
    daysInPeriod: period.days,
    weeksInPeriod: period.weeks6,
    registeredPlaces: home.registeredPlaces,
    plannedOccupancy: home.plannedOccupancy,
    plannedOccupiedPlaces: placesText,
    fteHoursPerWeek: home.fteHoursPerWeek,
    rates: {
      employerNiRate: rates.employerNiRate,
      niSecondaryThresholdAnnual: rates.niSecondaryThresholdAnnual,
      employerPensionRate: rates.employerPensionRate,
      pensionBasis: rates.pensionBasis,
      pensionQualifyingLowerAnnual: rates.pensionQualifyingLowerAnnual,
      pensionQualifyingUpperAnnual: rates.pensionQualifyingUpperAnnual,
      apprenticeshipLevyRate: rates.apprenticeshipLevyRate,
    },
    ratesFrom: resolved.ratesFrom ?? null,
    cover: {
      workingDaysPerYear: cover.workingDaysPerYear,
      annualLeaveDays: cover.annualLeaveDays,
      sicknessDays: cover.sicknessDays,
      trainingDays: cover.trainingDays,
      agencyShare: cover.agencyShare,
      agencyPremiumRate: cover.agencyPremiumRate,
      absenceDays: absenceText,
      coverUplift: formatUnits(divideExactHalfUp(absence, workingLessAbsence, 6), 6),
    },
    central: {
      poolAnnual: central.poolAnnual,
      basis: central.basis,
      homeUnits: central.homeUnits,
      totalUnits: central.totalUnits,
      // only when given, so that a version 1 breakdown keeps its bytes
      ...(centralShare === undefined ? {} : { annualAmount: centralShare }),
    },
    surplusRate: surplus.rate,
    capRate: surplus.capRate,
    surplusShareOfFee: formatUnits(divideExactHalfUp(surplusRate, addExact(ONE, surplusRate), 4), 4),
    weeklyFeePerChild: formatPennies(feePennies),
    weeklyCostPerChild: formatPennies(feePennies - surplusWeekly),
    weeklySurplusPerChild: formatPennies(surplusWeekly),
    annualIncomeAtPlannedOccupancy: formatPennies(incomePennies),
    lines: published,
    totals: {
      annualAmount: formatPennies(incomePennies),
      weeklyPerChild: formatPennies(feePennies),
      shareOfFee: shares === null ? '0.0000' : '1.0000',
    },
    enhancements,
    ...(relatedParties === undefined
      ? {}
      : {
          relatedParties: relatedParties.parties,
          relatedPartyExcessWeeklyPerChild: relatedParties.excessWeekly,
          adjustedSurplusRate: relatedParties.adjustedRate,
        }),
  };
}

interface RelatedTotals {
  costSum: bigint;
  surplusNumerator: bigint;
  weeklyMultiplier: bigint;
  weeklyDenominator: bigint;
  surplus: CostModel['surplus'];
}

/**
 * §6 the related parties' lines against their market amounts, X (the excess per child per week,
 * half-up) and the adjusted surplus rate (S + X) / (C − X), 6 dp half-up. Throws a 422 at
 * `/surplus/rate` naming each party's excess when the adjusted rate is above the cap.
 */
function relatedPartySection(
  parties: NonNullable<CostModel['relatedParties']>,
  related: readonly RelatedDraft[],
  common: (over: Over, value: Exact) => bigint,
  annualDenominator: bigint,
  totals: RelatedTotals,
): { parties: RelatedPartyBreakdown[]; excessWeekly: string; adjustedRate: string } {
  const pennies = (n: bigint) => divideHalfUp(n * 100n, annualDenominator);
  let excessSum = 0n;
  // each party's lines in pennies (each half-up on its own), for the breakdown and a refusal alike
  const priced = parties.map((party) => ({
    party,
    lines: related
      .filter((draft) => draft.partyId === party.id)
      .map((draft) => {
        const paid = common(draft.over, draft.paid);
        const market = common(draft.over, draft.market);
        const excess = paid > market ? paid - market : 0n;
        excessSum += excess;
        return { draft, paid: pennies(paid), market: pennies(market), excess: pennies(excess) };
      }),
  }));
  const published: RelatedPartyBreakdown[] = priced.map(({ party, lines }) => ({
    id: party.id,
    name: party.name,
    ...(party.companiesHouseNumber === undefined ? {} : { companiesHouseNumber: party.companiesHouseNumber }),
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
  }));

  const { costSum, surplusNumerator, weeklyMultiplier, weeklyDenominator, surplus } = totals;
  const excessWeekly = divideHalfUp(excessSum * weeklyMultiplier * 100n, weeklyDenominator);
  const adjustedSurplus = surplusNumerator + excessSum;
  const adjustedCost = costSum - excessSum;
  const cap = exact(surplus.capRate);
  // (S + X) / (C − X) > cap, exactly; with no cost left after the excess any surplus breaks the cap
  const breaks =
    adjustedCost <= 0n
      ? adjustedSurplus > 0n
      : adjustedSurplus * pow10(cap.places) > cap.units * adjustedCost;
  const adjustedRate = adjustedCost <= 0n ? null : divideHalfUp(adjustedSurplus * 1_000_000n, adjustedCost);
  if (breaks) {
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
      `the adjusted surplus rate ${adjustedRate === null ? '(no cost is left once the excess is taken out)' : formatUnits(adjustedRate, 6)}, counting ${formatGbpPennies(excessWeekly)} a week per child paid to related parties above market as surplus, is above the cap (${plain(surplus.capRate)}): ${named}`,
    );
  }
  return {
    parties: published,
    excessWeekly: formatPennies(excessWeekly),
    adjustedRate: formatUnits(adjustedRate ?? 0n, 6),
  };
}

function perHomeBasis(amount: string, frequency: Frequency, weeks6: string, placesText: string): string {
  const per = `${gbp(amount)} ${FREQUENCY_WORDS[frequency]}`;
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

function perChildBasis(amount: string, frequency: Frequency, weeks6: string, placesText: string): string {
  const per = `${gbp(amount)} ${FREQUENCY_WORDS[frequency]} per child`;
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

interface EnhancementContext {
  fteHoursPerWeek: string;
  /** fteHoursPerWeek × D. */
  hoursTimesDays: Exact;
  weeks6: string;
  workingLessAbsence: Exact;
  coverFactor: Exact;
  surplusRate: Exact;
  surplusRateText: string;
}

/**
 * §2 enhancements: h = (E + cover) / (headcount × ftePerPerson × fteHoursPerWeek × W); weekly cost
 * = hoursPerWeek × h with h unrounded; surplus at the same rate. §3 the weekly charge is cost plus
 * surplus half-up, and its two lines are allocated to it by largest remainder.
 */
function priceEnhancement(
  enhancement: Enhancement,
  staff: StaffFacts,
  context: EnhancementContext,
): EnhancementBreakdown {
  const { line } = staff;
  // With E7 = 7E and W = D / 7: h = E7 × (1 + u × agency) / (headcount × fte × hours × D), where
  // 1 + u × agency = (working − A + A × agency) / (working − A) for a line that needs cover.
  let hourlyNumerator = staff.employment7;
  let hourlyDenominator = scaleExact(
    multiplyExact(context.hoursTimesDays, exact(line.ftePerPerson)),
    BigInt(line.headcount),
  );
  let loadedWords = `${gbpOfSevenths(staff.employment7)} employment cost`;
  if (line.requiresCover) {
    hourlyNumerator = multiplyExact(
      hourlyNumerator,
      addExact(context.workingLessAbsence, context.coverFactor),
    );
    hourlyDenominator = multiplyExact(hourlyDenominator, context.workingLessAbsence);
    const employmentAndCover = divideExactHalfUp(
      hourlyNumerator,
      scaleExact(context.workingLessAbsence, 7n),
      2,
    );
    loadedWords = `${formatGbpPennies(employmentAndCover)} employment cost and absence cover`;
  }
  if (!isPositive(hourlyDenominator)) invalid(`/staffing/${staff.index}/ftePerPerson`, 'must be above 0');

  // weekly cost = hoursPerWeek × h; surplus = cost × rate; all over one denominator
  const hoursPerWeek = exact(enhancement.hoursPerWeek);
  const rate = context.surplusRate;
  const base = hoursPerWeek.units * hourlyNumerator.units * pow10(hourlyDenominator.places);
  const costNumerator = base * pow10(rate.places);
  const surplusNumerator = base * rate.units;
  const denominator =
    hourlyDenominator.units * pow10(hourlyNumerator.places + hoursPerWeek.places + rate.places);

  const chargePennies = divideHalfUp((costNumerator + surplusNumerator) * 100n, denominator);
  const costPennies = divideHalfUp(costNumerator * 100n, denominator);
  const loadedPennies = divideExactHalfUp(hourlyNumerator, hourlyDenominator, 2);

  const drafts: { code: EnhancementLine['code']; category: EnhancementLine['category']; basis: string }[] =
    [];
  const numerators: bigint[] = [];
  if (costNumerator !== 0n) {
    drafts.push({
      code: 'ENHANCEMENT_STAFFING',
      category: 'enhancement',
      basis: `${plain(enhancement.hoursPerWeek)} hours × ${formatGbpPennies(loadedPennies)} loaded hourly cost of ${line.role} (${loadedWords} ÷ (${line.headcount} × ${plain(line.ftePerPerson)} FTE × ${plain(context.fteHoursPerWeek)} hours × ${context.weeks6} weeks))`,
    });
    numerators.push(costNumerator);
  }
  if (surplusNumerator !== 0n) {
    drafts.push({
      code: 'SURPLUS',
      category: 'surplus',
      basis: `${percent(context.surplusRateText)} of ${formatGbpPennies(costPennies)} weekly cost`,
    });
    numerators.push(surplusNumerator);
  }
  const amounts = allocateUnits(numerators, denominator, 100n, chargePennies);
  const lines: EnhancementLine[] = [];
  for (let i = 0; i < drafts.length; i += 1) {
    const draft = drafts[i]!;
    lines.push({
      code: draft.code,
      category: draft.category,
      weeklyAmount: formatPennies(amounts[i]!),
      basis: draft.basis,
    });
  }
  return {
    description: enhancement.description,
    roleId: enhancement.roleId,
    hoursPerWeek: enhancement.hoursPerWeek,
    loadedHourlyCost: formatPennies(loadedPennies),
    weeklyCost: formatPennies(costPennies),
    weeklyCharge: formatPennies(chargePennies),
    lines,
  };
}
