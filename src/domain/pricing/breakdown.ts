import { z } from 'zod';
import { BREAKDOWN_LINE_CODES, CENTRAL_BASES, PENSION_BASES, RELATED_PARTY_RELATIONSHIPS } from './codes.js';
import { rateSourcesSchema } from './rates.js';

// §4 What comes out. A plain description of the breakdown (no transforms) so that the HTTP layer can
// use it as the response schema and publish it in the OpenAPI document.

/** Pounds as a signed decimal string with exactly two decimal places, described. */
export const moneyString = (description: string) =>
  z
    .string()
    .regex(/^-?\d+\.\d{2}$/)
    .describe(`${description} Pounds as a decimal string with exactly two decimal places.`);
const decimal = (description: string) =>
  z
    .string()
    .regex(/^-?\d+(\.\d+)?$/)
    .describe(description);
const share = (description: string) =>
  z
    .string()
    .regex(/^\d\.\d{4}$/)
    .describe(`${description} A fraction with exactly four decimal places.`);

export const breakdownLineSchema = z
  .object({
    code: z.enum(BREAKDOWN_LINE_CODES).describe('Line code from the closed list of §1.'),
    category: z
      .enum(['staffing', 'property', 'running', 'central', 'surplus'])
      .describe('Category of the code.'),
    description: z
      .string()
      .describe('The staffing role, the description given for the line, or a generated name.'),
    annualAmount: moneyString('The line for the whole period, allocated so that the column adds up (§3).'),
    weeklyPerChild: moneyString(
      'The line per child per week, allocated so that the column adds up to the weekly fee (§3).',
    ),
    shareOfFee: share("The line's share of the weekly fee; the shares add up to 1.0000."),
    basis: z
      .string()
      .describe('How the line is worked out, in figures a commissioner can re-check with a calculator.'),
    relatedPartyId: z
      .string()
      .optional()
      .describe(
        'Method v2 §6: the related party this line is paid to, wholly or partly (for the central overhead, the first party among its related-party components); absent when none.',
      ),
    relatedPartyIds: z
      .array(z.string())
      .optional()
      .describe('Method v2 §6: every related party the line is paid to, when there is more than one.'),
  })
  .describe('One line of the breakdown.');
export type BreakdownLine = z.infer<typeof breakdownLineSchema>;

export const enhancementLineSchema = z.object({
  code: z.enum(['ENHANCEMENT_STAFFING', 'SURPLUS']),
  category: z.enum(['enhancement', 'surplus']),
  weeklyAmount: moneyString('The line per week, allocated so that the lines add up to the weekly charge.'),
  basis: z.string().describe('How the line is worked out.'),
});
export type EnhancementLine = z.infer<typeof enhancementLineSchema>;

export const enhancementBreakdownSchema = z
  .object({
    description: z.string(),
    roleId: z.string().describe('The staffing line whose loaded hourly cost prices the extra hours.'),
    hoursPerWeek: decimal('Extra hours a week.'),
    loadedHourlyCost: moneyString(
      'Employment cost and absence cover of the referenced line per hour worked, half-up.',
    ),
    weeklyCost: moneyString('Extra hours × unrounded loaded hourly cost, half-up (for information).'),
    weeklyCharge: moneyString(
      'Cost plus surplus at the same rate, half-up: what the placement pays a week on top of the fee.',
    ),
    lines: z.array(enhancementLineSchema),
  })
  .describe('Extra staffing for one placement, charged on top of the weekly fee.');
export type EnhancementBreakdown = z.infer<typeof enhancementBreakdownSchema>;

export const relatedPartyLineSchema = z
  .object({
    code: z.enum(BREAKDOWN_LINE_CODES).describe('The breakdown line the payment is part of.'),
    description: z.string().describe('The line, or the central component, paid to the party.'),
    annualAmount: moneyString(
      'What the model pays the party in the year (for a central component, this home’s share), half-up.',
    ),
    marketAnnualAmount: moneyString('The market amount annualised the same way, half-up.'),
    excessAnnual: moneyString('max(0, amount − market amount) for the year, half-up.'),
    marketEvidence: z.string().describe('Where the market amount comes from.'),
  })
  .describe('Method v2 §6: one payment to a related party, against its market amount.');
export type RelatedPartyLine = z.infer<typeof relatedPartyLineSchema>;

export const relatedPartyBreakdownSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    companiesHouseNumber: z.string().optional(),
    relationship: z.enum(RELATED_PARTY_RELATIONSHIPS),
    lines: z
      .array(relatedPartyLineSchema)
      .describe('Property and running lines, then central components, in input order.'),
    excessAnnual: moneyString('The sum of the lines’ excesses (each half-up).'),
  })
  .describe('Method v2 §6: a related party the model pays, with its lines.');
export type RelatedPartyBreakdown = z.infer<typeof relatedPartyBreakdownSchema>;

export const breakdownSchema = z
  .object({
    methodVersion: z
      .literal([1, 2])
      .describe(
        'Version of the pricing method (docs/pricing.md): 2 when the model uses a version 2 input (relatedParties, §6, or central.annualAmount, §7), else 1.',
      ),
    currency: z.literal('GBP'),
    period: z
      .object({ label: z.string(), start: z.string(), end: z.string() })
      .describe('The pricing period.'),
    daysInPeriod: z.number().int().describe('Days from start to end, both included (365 or 366).'),
    weeksInPeriod: decimal('Weeks in the period, W = days ÷ 7, to 6 decimal places.'),
    registeredPlaces: z.number().int(),
    plannedOccupancy: decimal('Planned occupancy, a fraction in (0, 1].'),
    plannedOccupiedPlaces: decimal('P = registered places × planned occupancy, exact.'),
    fteHoursPerWeek: decimal('Hours a week of one full-time equivalent.'),
    rates: z
      .object({
        employerNiRate: z.string(),
        niSecondaryThresholdAnnual: z.string(),
        employerPensionRate: z.string(),
        pensionBasis: z.enum(PENSION_BASES),
        pensionQualifyingLowerAnnual: z.string(),
        pensionQualifyingUpperAnnual: z.string(),
        apprenticeshipLevyRate: z.string(),
      })
      .describe('The employment rates the price uses.'),
    ratesFrom: z
      .object({ taxYear: z.string(), sources: rateSourcesSchema })
      .nullable()
      .describe(
        'The rate table the rates came from, with the public source of each figure; null when the model gave its own rates.',
      ),
    cover: z
      .object({
        workingDaysPerYear: z.string(),
        annualLeaveDays: z.string(),
        sicknessDays: z.string(),
        trainingDays: z.string(),
        agencyShare: z.string(),
        agencyPremiumRate: z.string(),
        absenceDays: decimal('A = annual leave + sickness + training days.'),
        coverUplift: decimal('u = A ÷ (working days − A), to 6 decimal places.'),
      })
      .describe('The absence cover figures the price uses.'),
    central: z
      .object({
        poolAnnual: z.string(),
        basis: z.enum(CENTRAL_BASES),
        homeUnits: z.string(),
        totalUnits: z.string(),
        annualAmount: moneyString(
          "This home's share of the pool (§7), used as the CENTRAL_OVERHEAD annual amount; present only when the model gives it.",
        ).optional(),
      })
      .describe('The central overhead pool and the home’s share of it.'),
    surplusRate: decimal('Surplus as a mark-up on cost.'),
    capRate: decimal('The highest surplus rate allowed.'),
    surplusShareOfFee: share('Surplus as a share of the fee, rate ÷ (1 + rate).'),
    weeklyFeePerChild: moneyString('The weekly fee per child: cost plus surplus, half-up.'),
    weeklyCostPerChild: moneyString('The weekly fee less the surplus line.'),
    weeklySurplusPerChild: moneyString('The surplus line per child per week (0.00 when there is none).'),
    annualIncomeAtPlannedOccupancy: moneyString(
      'Weekly fee × weeks × planned occupied places, exact then half-up.',
    ),
    lines: z.array(breakdownLineSchema).describe('The lines in the order of §3.'),
    totals: z
      .object({
        annualAmount: moneyString('Sum of the annual column (= annual income at planned occupancy).'),
        weeklyPerChild: moneyString('Sum of the weekly column (= the weekly fee).'),
        shareOfFee: share('Sum of the shares.'),
      })
      .describe('Column totals.'),
    enhancements: z.array(enhancementBreakdownSchema),
    relatedParties: z
      .array(relatedPartyBreakdownSchema)
      .optional()
      .describe(
        'Method v2 §6: the related parties the model pays, in input order; present only when the model lists them.',
      ),
    relatedPartyExcessWeeklyPerChild: moneyString(
      'Method v2 §6: X = the related-party excess per child per week, Σ excess ÷ W ÷ P, half-up; present with relatedParties.',
    ).optional(),
    adjustedSurplusRate: decimal(
      'Method v2 §6: (S + X) ÷ (C − X), 6 dp half-up: the surplus rate counting the related-party excess as surplus; never above capRate. Present with relatedParties.',
    ).optional(),
  })
  .meta({
    id: 'Breakdown',
    description: 'The priced breakdown of a cost model (pricing method version 1, or 2: see methodVersion).',
  });

export type Breakdown = z.infer<typeof breakdownSchema>;
