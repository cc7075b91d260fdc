import { z } from 'zod';
import { type FieldIssue, zodIssuesToFieldIssues } from '../errors.js';
import { Dec, type Decimal } from '../money.js';
import { centralShareMessage } from './central.js';
import {
  CENTRAL_BASES,
  FREQUENCIES,
  PENSION_BASES,
  PROPERTY_CODES,
  RELATED_PARTY_RELATIONSHIPS,
  RUNNING_BASES,
  RUNNING_CODES,
  STAFF_GROUPS,
} from './codes.js';

// §1 The cost model document. Money and rates are JSON decimal strings, never JSON numbers; counts
// are JSON integers. Every object is strict. Rules that tie fields together run even when other
// fields fail, so that one response names every offending field.

export const MAX_STAFFING_LINES = 200;
export const MAX_PROPERTY_AND_RUNNING_LINES = 500;
export const MAX_ENHANCEMENTS = 50;
export const MAX_TEXT_LENGTH = 200;
export const MAX_COUNT = 10_000;
export const MAX_RELATED_PARTIES = 50;
export const MAX_RELATED_PARTY_CHARGES = 50;
export const MAX_EVIDENCE_LENGTH = 300;
/** A Companies House number: eight characters, digits or a two-letter prefix and six digits. */
export const COMPANIES_HOUSE_NUMBER = /^(\d{8}|[A-Z]{2}\d{6})$/;

/** Money: at most 12 whole digits and 2 decimal places. */
export const MONEY_PATTERN = /^\d{1,12}(\.\d{1,2})?$/;
/** Rates and quantities: at most 12 whole digits and 6 decimal places. */
export const QUANTITY_PATTERN = /^\d{1,12}(\.\d{1,6})?$/;
export const ISO_DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
export const TAX_YEAR_PATTERN = /^\d{4}-\d{2}$/;

const NUMBER_MESSAGE = 'must be a decimal string such as "12.50", not a JSON number';

type ErrorFn = (issue: { code?: string; input?: unknown }) => string | undefined;

function describeType(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  return typeof input === 'object' ? 'an object' : `a ${typeof input}`;
}

function expected(what: string): ErrorFn {
  return (issue) => {
    if (issue.code !== 'invalid_type') return undefined;
    return issue.input === undefined ? 'is required' : `must be ${what}, not ${describeType(issue.input)}`;
  };
}

/**
 * Rules that tie fields together run even when another field of the object failed, so that one
 * response lists every issue; they read the raw fields defensively. They need an object, though.
 */
const always = {
  when: (payload: { value: unknown }) =>
    typeof payload.value === 'object' && payload.value !== null && !Array.isArray(payload.value),
};

// ---------------------------------------------------------------------------------------------
// Scalars

interface DecimalRule {
  /** 2 for money, 6 for rates and quantities. */
  places: 2 | 6;
  /** Strictly above zero. */
  positive?: boolean;
  /** Inclusive upper bound, as a decimal string. */
  max?: string;
}

function decimalMessage(value: string, rule: DecimalRule): string | undefined {
  const pattern = rule.places === 2 ? MONEY_PATTERN : QUANTITY_PATTERN;
  const example = rule.places === 2 ? '"12.50"' : '"0.15"';
  if (!pattern.test(value)) {
    if (/^-\d+(\.\d+)?$/.test(value)) return 'must not be negative';
    const plain = /^(\d+)(?:\.(\d+))?$/.exec(value);
    if (plain) {
      if ((plain[2]?.length ?? 0) > rule.places) return `must have at most ${rule.places} decimal places`;
      return 'must be below 1000000000000';
    }
    return `must be a decimal string such as ${example}`;
  }
  if (rule.positive === true || rule.max !== undefined) {
    const amount = new Dec(value);
    if (rule.positive === true && amount.isZero()) return 'must be above 0';
    if (rule.max !== undefined && amount.gt(rule.max)) return `must be at most ${rule.max}`;
  }
  return undefined;
}

function decimalString(rule: DecimalRule) {
  const pattern = rule.places === 2 ? MONEY_PATTERN : QUANTITY_PATTERN;
  const bounds = [
    rule.positive === true ? 'above 0' : '0 or more',
    rule.max === undefined ? '' : `at most ${rule.max}`,
  ]
    .filter(Boolean)
    .join(' and ');
  const base = z
    .string({
      error: (issue) => {
        if (issue.code !== 'invalid_type') return undefined;
        if (issue.input === undefined) return 'is required';
        if (typeof issue.input === 'number') return NUMBER_MESSAGE;
        return `must be a decimal string such as ${rule.places === 2 ? '"12.50"' : '"0.15"'}, not ${describeType(issue.input)}`;
      },
    })
    // the pattern appears in the JSON Schema; the message says what is wrong with the value
    .regex(pattern, { error: (issue) => decimalMessage(String(issue.input), rule) });
  // Bounds need a decimal comparison; a plain "0 or more" field is settled by its pattern alone.
  const bounded =
    rule.positive === true || rule.max !== undefined
      ? base.superRefine((value, ctx) => {
          if (!pattern.test(value)) return;
          const message = decimalMessage(value, rule);
          if (message !== undefined) ctx.addIssue({ code: 'custom', message, input: value });
        })
      : base;
  return bounded.describe(
    rule.places === 2
      ? `Money in pounds: a decimal string with at most 2 decimal places, ${bounds} (e.g. "2400" or "12.50"); never a JSON number.`
      : `A rate or quantity: a decimal string with at most 6 decimal places, ${bounds} (e.g. "0.15"); never a JSON number.`,
  );
}

/** Money: a decimal string ≥ 0 with at most 2 decimal places. */
export const money = () => decimalString({ places: 2 });
/** A rate or quantity: a decimal string ≥ 0 with at most 6 decimal places. */
export const quantity = (rule: Omit<DecimalRule, 'places'> = {}) => decimalString({ places: 6, ...rule });

/** A JSON integer from 1 to 10,000. */
export const count = () =>
  z
    .number({ error: expected('a whole number (a JSON integer)') })
    .int({ error: 'must be a whole number' })
    .min(1, { error: 'must be at least 1' })
    .max(MAX_COUNT, { error: `must be at most ${MAX_COUNT}` });

/** Non-empty text of at most 200 characters. */
export const text = () =>
  z
    .string({ error: expected('a string') })
    .min(1, { error: 'must not be empty' })
    .max(MAX_TEXT_LENGTH, { error: `must be at most ${MAX_TEXT_LENGTH} characters` });

/** Days since 1970-01-01 of a real calendar date `YYYY-MM-DD`, or undefined. */
export function isoDay(value: unknown): number | undefined {
  if (typeof value !== 'string' || !ISO_DATE_PATTERN.test(value)) return undefined;
  const year = Number(value.slice(0, 4));
  const month = Number(value.slice(5, 7));
  const day = Number(value.slice(8, 10));
  if (month < 1 || month > 12 || day < 1) return undefined;
  // setUTCFullYear, unlike Date.UTC, does not read years 0–99 as 1900–1999
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day)
    return undefined;
  return date.getTime() / 86_400_000;
}

/** An ISO calendar date `YYYY-MM-DD` that exists. */
export const isoDate = () =>
  z.string({ error: expected('a date string such as "2026-04-01"') }).superRefine((value, ctx) => {
    if (!ISO_DATE_PATTERN.test(value)) {
      ctx.addIssue({ code: 'custom', message: 'must be a date written YYYY-MM-DD', input: value });
    } else if (isoDay(value) === undefined) {
      ctx.addIssue({ code: 'custom', message: 'is not a real calendar date', input: value });
    }
  });

/** A UK tax year such as `"2026-27"`: the second part is the year after the first. */
export const taxYear = () =>
  z.string({ error: expected('a tax year string such as "2026-27"') }).superRefine((value, ctx) => {
    if (!TAX_YEAR_PATTERN.test(value)) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be a tax year written YYYY-YY, such as "2026-27"',
        input: value,
      });
      return;
    }
    const first = Number(value.slice(0, 4));
    const second = Number(value.slice(5, 7));
    if ((first + 1) % 100 !== second) {
      ctx.addIssue({
        code: 'custom',
        message: `must name consecutive years, such as "${first}-${String((first + 1) % 100).padStart(2, '0')}"`,
        input: value,
      });
    }
  });

function oneOf<const T extends readonly [string, ...string[]]>(values: T, what: string) {
  return z.enum(values, {
    error: (issue) => {
      if (issue.input === undefined) return 'is required';
      return `${typeof issue.input === 'string' ? JSON.stringify(issue.input) : describeType(issue.input)} is not a known ${what}; use one of ${values.join(', ')}`;
    },
  });
}

function lineCode<const T extends readonly [string, ...string[]]>(values: T, kind: 'property' | 'running') {
  const other = kind === 'property' ? RUNNING_CODES : PROPERTY_CODES;
  const otherKind = kind === 'property' ? 'running' : 'property';
  return z.enum(values, {
    error: (issue) => {
      const input = issue.input;
      if (input === undefined) return 'is required';
      if (typeof input === 'string' && (other as readonly string[]).includes(input)) {
        return `${input} is a ${otherKind} code; a ${kind} line takes one of ${values.join(', ')}`;
      }
      return `${typeof input === 'string' ? JSON.stringify(input) : describeType(input)} is not a ${kind} code; use one of ${values.join(', ')}`;
    },
  });
}

/** Decimal value of a field if it is a well-formed decimal string, for rules that tie fields. */
function decimalOf(value: unknown, pattern: RegExp = QUANTITY_PATTERN): Decimal | undefined {
  return typeof value === 'string' && pattern.test(value) ? new Dec(value) : undefined;
}

function objectOf(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

const objectError = expected('an object');
const arrayError = expected('an array');

// ---------------------------------------------------------------------------------------------
// Blocks

export const periodSchema = z
  .strictObject({ label: text(), start: isoDate(), end: isoDate() }, { error: objectError })
  .superRefine((period, ctx) => {
    // §1 a period is one year: end is the day before the anniversary of start; start is never 29 February
    const start = isoDay(period.start);
    const end = isoDay(period.end);
    if (start === undefined) return;
    const startText = period.start as string;
    if (startText.slice(5) === '02-29') {
      ctx.addIssue({
        code: 'custom',
        path: ['start'],
        message: 'a period cannot start on 29 February',
        input: period.start,
      });
      return;
    }
    if (end === undefined) return;
    const nextYear = String(Number(startText.slice(0, 4)) + 1).padStart(4, '0');
    const anniversary = isoDay(`${nextYear}${startText.slice(4)}`);
    if (anniversary === undefined || end !== anniversary - 1) {
      const expectedEnd =
        anniversary === undefined
          ? 'the day before its anniversary'
          : new Date((anniversary - 1) * 86_400_000).toISOString().slice(0, 10);
      ctx.addIssue({
        code: 'custom',
        path: ['end'],
        message: `a period is one year: with start ${startText} the end must be ${expectedEnd}`,
        input: period.end,
      });
    }
  }, always);

export const homeSchema = z.strictObject(
  {
    registeredPlaces: count(),
    plannedOccupancy: quantity({ positive: true, max: '1' }),
    fteHoursPerWeek: quantity({ positive: true }),
  },
  { error: objectError },
);

/** §1 the rates block (also the `rates` of a rate table). */
export const ratesBlockSchema = z
  .strictObject(
    {
      employerNiRate: quantity({ max: '1' }),
      niSecondaryThresholdAnnual: money(),
      employerPensionRate: quantity({ max: '1' }),
      pensionBasis: oneOf(PENSION_BASES, 'pension basis'),
      pensionQualifyingLowerAnnual: money(),
      pensionQualifyingUpperAnnual: money(),
      apprenticeshipLevyRate: quantity({ max: '1' }),
    },
    { error: objectError },
  )
  .superRefine((rates, ctx) => {
    const lower = decimalOf(rates.pensionQualifyingLowerAnnual, MONEY_PATTERN);
    const upper = decimalOf(rates.pensionQualifyingUpperAnnual, MONEY_PATTERN);
    if (lower !== undefined && upper !== undefined && lower.gt(upper)) {
      ctx.addIssue({
        code: 'custom',
        path: ['pensionQualifyingLowerAnnual'],
        message: 'the lower limit of qualifying earnings must not be above the upper limit',
        input: rates.pensionQualifyingLowerAnnual,
      });
    }
  }, always);

export const coverSchema = z
  .strictObject(
    {
      workingDaysPerYear: quantity(),
      annualLeaveDays: quantity(),
      sicknessDays: quantity(),
      trainingDays: quantity(),
      agencyShare: quantity({ max: '1' }),
      agencyPremiumRate: quantity(),
    },
    { error: objectError },
  )
  .superRefine((cover, ctx) => {
    // §2 absence days must be below working days, or the uplift A / (working − A) is meaningless
    const working = decimalOf(cover.workingDaysPerYear);
    const leave = decimalOf(cover.annualLeaveDays);
    const sickness = decimalOf(cover.sicknessDays);
    const training = decimalOf(cover.trainingDays);
    if (working === undefined || leave === undefined || sickness === undefined || training === undefined)
      return;
    const absence = leave.plus(sickness).plus(training);
    if (!absence.lt(working)) {
      ctx.addIssue({
        code: 'custom',
        message: `absence days (annual leave + sickness + training = ${absence.toFixed()}) must be below workingDaysPerYear (${working.toFixed()})`,
        input: cover,
      });
    }
  }, always);

export const staffingLineSchema = z
  .strictObject(
    {
      id: text(),
      role: text(),
      group: oneOf(STAFF_GROUPS, 'staff group'),
      headcount: count(),
      ftePerPerson: quantity({ positive: true }),
      annualSalaryFte: money().optional(),
      hourlyRate: money().optional(),
      enhancementRate: quantity(),
      allowancesAnnualPerPerson: money(),
      requiresCover: z.boolean({ error: expected('true or false') }),
    },
    { error: objectError },
  )
  .superRefine((line, ctx) => {
    // §1 a staffing line has exactly one of annualSalaryFte or hourlyRate
    const hasSalary = line.annualSalaryFte !== undefined;
    const hasHourly = line.hourlyRate !== undefined;
    if (!hasSalary && !hasHourly) {
      ctx.addIssue({ code: 'custom', message: 'give either annualSalaryFte or hourlyRate', input: line });
    } else if (hasSalary && hasHourly) {
      ctx.addIssue({
        code: 'custom',
        path: ['hourlyRate'],
        message: 'give either annualSalaryFte or hourlyRate, not both',
        input: line.hourlyRate,
      });
    }
  }, always);

/** §6 the evidence for a market amount: non-empty text of at most 300 characters. */
const evidence = () =>
  z
    .string({ error: expected('a string') })
    .min(1, { error: 'must not be empty' })
    .max(MAX_EVIDENCE_LENGTH, { error: `must be at most ${MAX_EVIDENCE_LENGTH} characters` })
    .describe(
      'Method v2 §6: where the market amount comes from (a valuation, a benchmark, a quote), at most 300 characters.',
    );

/** §6 the fields a property or running line gives when it is paid to a related party. */
const relatedPartyFields = {
  relatedPartyId: text()
    .optional()
    .describe("Method v2 §6: the id of the model's related party (relatedParties) this line is paid to."),
  marketAmount: money()
    .optional()
    .describe(
      'Method v2 §6: what the same goods or service would cost at market, with the same frequency and basis as amount; required with relatedPartyId.',
    ),
  marketEvidence: evidence().optional(),
};

/**
 * §6 a line naming a related party gives its market amount and evidence; a line that names none
 * gives neither (a market figure with no party to test it against would be silently ignored). The
 * missing or stray fields, each with its message: for cost model lines and central pool lines alike.
 */
export function relatedPartyFieldIssues(line: {
  relatedPartyId?: unknown;
  marketAmount?: unknown;
  marketEvidence?: unknown;
}): Array<{ field: 'marketAmount' | 'marketEvidence'; message: string }> {
  const named = line.relatedPartyId !== undefined;
  const issues: Array<{ field: 'marketAmount' | 'marketEvidence'; message: string }> = [];
  for (const field of ['marketAmount', 'marketEvidence'] as const) {
    if (named && line[field] === undefined) {
      issues.push({
        field,
        message: `is required: a line paid to a related party gives ${field === 'marketAmount' ? 'the market amount of the same goods or service' : 'the evidence for its market amount'}`,
      });
    } else if (!named && line[field] !== undefined) {
      issues.push({
        field,
        message: 'is only for a line paid to a related party: give relatedPartyId too, or leave it out',
      });
    }
  }
  return issues;
}

function checkRelatedPartyFields(line: Record<string, unknown>, ctx: z.RefinementCtx): void {
  for (const { field, message } of relatedPartyFieldIssues(line)) {
    ctx.addIssue({ code: 'custom', path: [field], message, input: line[field] });
  }
}

export const propertyLineSchema = z
  .strictObject(
    {
      code: lineCode(PROPERTY_CODES, 'property'),
      description: text(),
      amount: money(),
      frequency: oneOf(FREQUENCIES, 'frequency'),
      ...relatedPartyFields,
    },
    { error: objectError },
  )
  .superRefine(checkRelatedPartyFields, always);

export const runningLineSchema = z
  .strictObject(
    {
      code: lineCode(RUNNING_CODES, 'running'),
      description: text(),
      amount: money(),
      frequency: oneOf(FREQUENCIES, 'frequency'),
      basis: oneOf(RUNNING_BASES, 'basis').default('per_home'),
      ...relatedPartyFields,
    },
    { error: objectError },
  )
  .superRefine(checkRelatedPartyFields, always);

/** §6 a component of the central pool paid to a related party (e.g. a group management fee). */
export const relatedPartyChargeSchema = z.strictObject(
  {
    relatedPartyId: text().describe("The id of the model's related party (relatedParties) paid."),
    description: text(),
    amountAnnual: money().describe('What the pool pays the party in the year: part of poolAnnual.'),
    marketAmountAnnual: money().describe('What the same service would cost at market in the year.'),
    marketEvidence: evidence(),
  },
  { error: objectError },
);

/** §6 a related party the model pays. */
export const relatedPartySchema = z
  .strictObject(
    {
      id: text().describe('An id the lines name in relatedPartyId (the register reference, for a draft).'),
      name: text(),
      companiesHouseNumber: z
        .string({ error: expected('a string') })
        .regex(COMPANIES_HOUSE_NUMBER, {
          error: 'must be a Companies House number: 8 digits, or 2 capital letters and 6 digits',
        })
        .optional()
        .describe('The Companies House number, when the party is a company.'),
      relationship: oneOf(RELATED_PARTY_RELATIONSHIPS, 'relationship'),
    },
    { error: objectError },
  )
  .describe('Method v2 §6: a person or body related to the provider, which the model pays.');

export const centralSchema = z
  .strictObject(
    {
      poolAnnual: money(),
      basis: oneOf(CENTRAL_BASES, 'central basis'),
      homeUnits: quantity(),
      totalUnits: quantity({ positive: true }),
      annualAmount: money()
        .optional()
        .describe(
          "This home's share of the pool in pounds (method v2, §7), in place of poolAnnual × homeUnits ÷ totalUnits and within a penny of it: the service writes the penny shares of a pool shared among an organisation's homes, which add up to the pool exactly. Money: a decimal string with at most 2 decimal places, 0 or more.",
        ),
      relatedPartyCharges: z
        .array(relatedPartyChargeSchema, { error: arrayError })
        .max(MAX_RELATED_PARTY_CHARGES, {
          error: `at most ${MAX_RELATED_PARTY_CHARGES} related-party components`,
        })
        .optional()
        .describe(
          'Method v2 §6: components of the pool paid to related parties; their amountAnnual add up to at most poolAnnual.',
        ),
    },
    { error: objectError },
  )
  .superRefine((central, ctx) => {
    const home = decimalOf(central.homeUnits);
    const total = decimalOf(central.totalUnits);
    if (home !== undefined && total !== undefined && home.gt(total)) {
      ctx.addIssue({
        code: 'custom',
        path: ['homeUnits'],
        message: `homeUnits (${home.toFixed()}) must not be above totalUnits (${total.toFixed()})`,
        input: central.homeUnits,
      });
    }
    // §7 a share given in place of the product must lie within a penny of it
    const pool = central.poolAnnual;
    const share = central.annualAmount;
    if (
      home !== undefined &&
      total !== undefined &&
      !total.isZero() &&
      typeof pool === 'string' &&
      MONEY_PATTERN.test(pool) &&
      typeof share === 'string' &&
      MONEY_PATTERN.test(share)
    ) {
      const message = centralShareMessage({
        poolAnnual: pool,
        homeUnits: central.homeUnits as string,
        totalUnits: central.totalUnits as string,
        annualAmount: share,
      });
      if (message !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['annualAmount'], message, input: share });
      }
    }
    // §6 the related-party components are part of the pool
    const charges = Array.isArray(central.relatedPartyCharges) ? central.relatedPartyCharges : [];
    const poolAmount = decimalOf(pool, MONEY_PATTERN);
    let charged = new Dec(0);
    let complete = true;
    for (const charge of charges) {
      const amount = decimalOf(objectOf(charge)?.amountAnnual, MONEY_PATTERN);
      if (amount === undefined) complete = false;
      else charged = charged.plus(amount);
    }
    if (complete && poolAmount !== undefined && charged.gt(poolAmount)) {
      ctx.addIssue({
        code: 'custom',
        path: ['relatedPartyCharges'],
        message: `the related-party components (£${charged.toFixed(2)} a year) are part of the pool and must not add up to more than poolAnnual (£${poolAmount.toFixed(2)})`,
        input: central.relatedPartyCharges,
      });
    }
  }, always);

export const surplusSchema = z
  .strictObject({ rate: quantity(), capRate: quantity({ max: '1' }) }, { error: objectError })
  .superRefine((surplus, ctx) => {
    // §2 surplus is allowed only when 0 ≤ rate ≤ capRate; the pointer names the rate, not the cap
    const rate = decimalOf(surplus.rate);
    const cap = decimalOf(surplus.capRate);
    if (rate !== undefined && cap !== undefined && rate.gt(cap)) {
      ctx.addIssue({
        code: 'custom',
        path: ['rate'],
        message: `the surplus rate (${rate.toFixed()}) must not be above the cap (${cap.toFixed()})`,
        input: surplus.rate,
      });
    }
  }, always);

export const enhancementSchema = z.strictObject(
  { description: text(), roleId: text(), hoursPerWeek: quantity() },
  { error: objectError },
);

// ---------------------------------------------------------------------------------------------
// The cost model

export const costModelSchema = z
  .strictObject(
    {
      period: periodSchema.describe(
        'The pricing period: one year, end = the day before the anniversary of start.',
      ),
      home: homeSchema.describe('Registered places, planned occupancy and the hours of one FTE.'),
      rates: ratesBlockSchema.optional().describe('Employment rates; give either this block or ratesFrom.'),
      ratesFrom: taxYear()
        .optional()
        .describe('A tax year such as "2026-27" whose published rate table supplies the rates.'),
      cover: coverSchema.describe('Working days, absence days and agency use, for absence cover.'),
      staffing: z
        .array(staffingLineSchema, { error: arrayError })
        .max(MAX_STAFFING_LINES, { error: `at most ${MAX_STAFFING_LINES} staffing lines` }),
      property: z.array(propertyLineSchema, { error: arrayError }).max(MAX_PROPERTY_AND_RUNNING_LINES, {
        error: `at most ${MAX_PROPERTY_AND_RUNNING_LINES} property and running lines together`,
      }),
      running: z.array(runningLineSchema, { error: arrayError }).max(MAX_PROPERTY_AND_RUNNING_LINES, {
        error: `at most ${MAX_PROPERTY_AND_RUNNING_LINES} property and running lines together`,
      }),
      central: centralSchema.describe("The provider's central overhead pool and this home's share of it."),
      surplus: surplusSchema.describe('Surplus as a mark-up on cost, and its cap.'),
      enhancements: z
        .array(enhancementSchema, { error: arrayError })
        .max(MAX_ENHANCEMENTS, { error: `at most ${MAX_ENHANCEMENTS} enhancements` })
        .optional(),
      relatedParties: z
        .array(relatedPartySchema, { error: arrayError })
        .max(MAX_RELATED_PARTIES, { error: `at most ${MAX_RELATED_PARTIES} related parties` })
        .optional()
        .describe(
          'Method v2 §6: the related parties the model pays, each named by at least one property or running line or central component. A model that gives this list (even empty) is priced by method version 2.',
        ),
    },
    { error: objectError },
  )
  .superRefine((model, ctx) => {
    const raw = model as Record<string, unknown>;
    // Extension: the rates block is given inline or named by tax year, exactly one of the two.
    const hasRates = raw.rates !== undefined;
    const hasRatesFrom = raw.ratesFrom !== undefined;
    if (!hasRates && !hasRatesFrom) {
      ctx.addIssue({
        code: 'custom',
        path: ['rates'],
        message: 'is required (or name a rate table by tax year with ratesFrom)',
        input: undefined,
      });
    } else if (hasRates && hasRatesFrom) {
      ctx.addIssue({
        code: 'custom',
        path: ['ratesFrom'],
        message: 'give either rates or ratesFrom, not both',
        input: raw.ratesFrom,
      });
    }

    const property = Array.isArray(raw.property) ? raw.property : [];
    const running = Array.isArray(raw.running) ? raw.running : [];
    if (property.length + running.length > MAX_PROPERTY_AND_RUNNING_LINES) {
      ctx.addIssue({
        code: 'custom',
        path: ['running'],
        message: `at most ${MAX_PROPERTY_AND_RUNNING_LINES} property and running lines together (got ${property.length + running.length})`,
        input: undefined,
      });
    }

    const staffing = Array.isArray(raw.staffing) ? raw.staffing : [];
    const ids = new Set<string>();
    staffing.forEach((line, index) => {
      const id = objectOf(line)?.id;
      if (typeof id !== 'string' || id === '') return;
      if (ids.has(id)) {
        ctx.addIssue({
          code: 'custom',
          path: ['staffing', index, 'id'],
          message: `staffing id ${JSON.stringify(id)} is used by an earlier line`,
          input: id,
        });
      }
      ids.add(id);
    });

    checkRelatedParties(raw, ctx);

    const enhancements = Array.isArray(raw.enhancements) ? raw.enhancements : [];
    enhancements.forEach((enhancement, index) => {
      const roleId = objectOf(enhancement)?.roleId;
      if (typeof roleId !== 'string' || roleId === '') return;
      if (!ids.has(roleId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['enhancements', index, 'roleId'],
          message: `names no staffing line: no staffing id is ${JSON.stringify(roleId)}`,
          input: roleId,
        });
      }
    });
  }, always)
  .meta({
    id: 'CostModel',
    description: 'A cost model: one home for one pricing period (the pricing method §1, docs/pricing.md).',
  });

/**
 * §6 every relatedPartyId names an entry of relatedParties, and every entry is named by a line or a
 * central component; ids are unique.
 */
function checkRelatedParties(raw: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const parties = Array.isArray(raw.relatedParties) ? raw.relatedParties : [];
  const ids = new Map<string, number>();
  parties.forEach((party, index) => {
    const id = objectOf(party)?.id;
    if (typeof id !== 'string' || id === '') return;
    if (ids.has(id)) {
      ctx.addIssue({
        code: 'custom',
        path: ['relatedParties', index, 'id'],
        message: `related party id ${JSON.stringify(id)} is used by an earlier party`,
        input: id,
      });
    } else ids.set(id, index);
  });
  const named = new Set<string>();
  const check = (value: unknown, path: (string | number)[]) => {
    if (typeof value !== 'string' || value === '') return;
    named.add(value);
    if (!ids.has(value)) {
      ctx.addIssue({
        code: 'custom',
        path,
        message: `names no related party: no entry of relatedParties has id ${JSON.stringify(value)}`,
        input: value,
      });
    }
  };
  for (const kind of ['property', 'running'] as const) {
    const lines = Array.isArray(raw[kind]) ? (raw[kind] as unknown[]) : [];
    lines.forEach((line, index) => {
      check(objectOf(line)?.relatedPartyId, [kind, index, 'relatedPartyId']);
    });
  }
  const charges = objectOf(raw.central)?.relatedPartyCharges;
  if (Array.isArray(charges)) {
    charges.forEach((charge, index) => {
      check(objectOf(charge)?.relatedPartyId, ['central', 'relatedPartyCharges', index, 'relatedPartyId']);
    });
  }
  for (const [id, index] of ids) {
    if (!named.has(id)) {
      ctx.addIssue({
        code: 'custom',
        path: ['relatedParties', index],
        message: `no property or running line or central component is paid to ${JSON.stringify(id)}: list only the related parties the model pays`,
        input: parties[index],
      });
    }
  }
}

/** The cost model after validation (`basis` filled in on running lines). */
export type CostModel = z.infer<typeof costModelSchema>;
/** The cost model as a client sends it. */
export type CostModelInput = z.input<typeof costModelSchema>;
export type RatesBlock = z.infer<typeof ratesBlockSchema>;
export type CoverFigures = z.infer<typeof coverSchema>;
export type StaffingLine = z.infer<typeof staffingLineSchema>;
export type PropertyLine = z.infer<typeof propertyLineSchema>;
export type RunningLine = z.infer<typeof runningLineSchema>;
export type Enhancement = z.infer<typeof enhancementSchema>;
export type RelatedParty = z.infer<typeof relatedPartySchema>;
export type RelatedPartyCharge = z.infer<typeof relatedPartyChargeSchema>;

/** Parses a cost model, returning the model or the list of issues. */
export function parseCostModel(
  input: unknown,
): { success: true; model: CostModel } | { success: false; issues: FieldIssue[] } {
  const result = costModelSchema.safeParse(input);
  return result.success
    ? { success: true, model: result.data }
    : { success: false, issues: zodIssuesToFieldIssues(result.error) };
}
