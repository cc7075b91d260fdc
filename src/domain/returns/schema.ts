import { z } from 'zod';
import { RELATED_PARTY_RELATIONSHIPS } from '../pricing/codes.js';
import { COST_CATEGORIES, SETTLEMENT_OUTCOMES, SETTLEMENT_RULE } from '../settlement/index.js';
import { ANNUAL_RETURN_SCHEMA, STAFF_GROUPS } from './index.js';

// The shape of the annual return, with every field's meaning and unit. `openapi/returns/` holds the
// JSON Schema (2020-12) generated from it (`npm run openapi`), which government clients validate against.

const money = z
  .string()
  .regex(/^-?\d+\.\d{2}$/)
  .describe('Money in pounds sterling (GBP) as a decimal string with exactly two decimal places');
const rate6 = z
  .string()
  .regex(/^-?\d+\.\d{6}$/)
  .describe('A ratio as a decimal string with six decimal places (0.050000 is 5%), rounded half-up');
const decimal = z
  .string()
  .regex(/^\d+(\.\d{1,6})?$/)
  .describe('A non-negative decimal string with at most six decimal places');
const date = z.iso.date().describe('A calendar date, YYYY-MM-DD');
const councilCode = z
  .string()
  .regex(/^E(06|07|08|09|10)\d{6}$/)
  .describe('ONS code of an English council');
const category = z.enum(COST_CATEGORIES).describe('Cost category of the pricing method (§1)');

const councilAmount = z
  .object({ councilCode, councilName: z.string(), amount: money })
  .strict()
  .describe('An amount by council, in council code order');
const councilRebate = z
  .object({
    councilCode,
    councilName: z.string(),
    charged: money.describe('What the council paid (the provider, or this home), £'),
    share: rate6.describe(
      "The council's share of the excess, allocated by largest remainder so that the shares add up to 1.000000",
    ),
    rebate: money.describe('The rebate due to the council, £'),
  })
  .strict()
  .describe('A rebate by council, in council code order');
const relatedPartyTransaction = z
  .object({
    partyId: z
      .string()
      .describe("The party's reference in the organisation's register of related parties (method §6)"),
    partyName: z
      .string()
      .nullable()
      .describe(
        "The register's name of the party (else the fee schedules' cost models'); null when neither has it",
      ),
    relationship: z
      .enum(RELATED_PARTY_RELATIONSHIPS)
      .nullable()
      .describe('How the party is related to the provider, as the register (else the cost models) says'),
    category,
    code: z.string().describe('Cost code of the method (§1) the payments were made under'),
    paid: money.describe(
      'What the actual spending rows naming the party paid it under this code in the year (latest import of each month), £',
    ),
    allowance: money.describe(
      "The market amounts of the fee schedules in force, pro rata by days (annual market amount × days in force ÷ days in the schedule's period, summed exactly, half-up to the penny), £; 0.00 where no schedule gives one",
    ),
    excess: money.describe(
      "max(0, paid − allowance) for a home, £; for an organisation the sum of its homes' excesses (a home's payment below market never offsets another's above it)",
    ),
  })
  .strict()
  .describe(
    'A related-party transaction (method §7): one party and code, by party reference then the closed list of codes',
  );
const outcome = z
  .enum(SETTLEMENT_OUTCOMES as [string, ...string[]])
  .describe(
    'The settlement (method §7): within_cap, excess_rebated or overspent once the books are settled; provisional while the year has not ended; incomplete while a month of actuals is missing (then nothing is owed yet); not_assessed when the actual costs total below zero (credits without the costs they offset); information_only for a home whose cap is tested on the whole organisation',
  );

const figures = {
  registeredPlaces: z.int().min(0).describe('Places registered with Ofsted (count)'),
  occupancy: z
    .object({
      placeDays: z.int().min(0).describe('Registered places × days open in the year (place-days)'),
      occupiedDays: z.int().min(0).describe('Days of placements in the home during the year (child-days)'),
      achieved: rate6.nullable().describe('occupiedDays ÷ placeDays; null when there were no place-days'),
      planned: rate6
        .nullable()
        .describe(
          "The cost models' planned occupancy, weighted by the days each fee schedule was in force (and, in totals, by place-days); null without a fee schedule",
        ),
    })
    .strict(),
  placements: z.int().min(0).describe('Placements charged during the year (count)'),
  unpricedDays: z
    .int()
    .min(0)
    .describe('Placement days with no fee schedule in force (not charged, never guessed)'),
  heldOverDays: z
    .int()
    .min(0)
    .describe(
      "Placement days charged at a fee schedule after its own pricing period's end (the last agreed fee held over)",
    ),
  income: z
    .object({
      total: money.describe('What councils were charged for the year, £'),
      byCouncil: z.array(councilAmount),
    })
    .strict(),
  actualCosts: z
    .object({
      total: money.describe('Actual spending for the year from the open-book ledger, £'),
      byCategory: z
        .array(z.object({ category, amount: money }).strict())
        .describe('Every cost category in the fixed order of the method'),
      byCode: z
        .array(
          z
            .object({ category, code: z.string().describe('Cost code of the method (§1)'), amount: money })
            .strict(),
        )
        .describe('Each cost code with spending, in the order of the closed list of codes'),
    })
    .strict(),
  surplus: z
    .object({
      realised: money.describe('income − actual cost, £ (negative for an overspend)'),
      rateOnCost: rate6.nullable().describe('realised ÷ actual cost; null when cost is zero or below'),
      shareOfIncome: rate6.nullable().describe('realised ÷ income; null when income is zero'),
      allowed: money
        .nullable()
        .describe(
          'adjusted cost (relatedParties.adjustedCost) × cap rate, half-up to the penny, £, where the cap is tested (the organisation, or each home under the home scope, then summed); null where it is not tested or the books are not settled',
        ),
      excess: money
        .nullable()
        .describe(
          'The adjusted surplus (relatedParties.adjustedSurplus) above the allowed surplus, £ (returned to councils); null as allowed. Without related-party excess never more than the realised surplus; with it, it can be',
        ),
      shortfall: money
        .nullable()
        .describe('−realised surplus where costs ran over income, otherwise 0.00, £; null as allowed'),
    })
    .strict(),
  rebates: z
    .object({
      total: money.nullable().describe('Rebates due to councils (equals the excess), £; null as allowed'),
      byCouncil: z.array(councilRebate),
    })
    .strict(),
  relatedParties: z
    .object({
      excess: money.describe(
        "The related-party excess (method §7): the sum of the excesses of the related-party transactions (a home's; an organisation's the sum of its homes'), £; 0.00 when no spending row names a related party",
      ),
      adjustedCost: money.describe('actual cost − related-party excess: the cost the cap is a mark-up on, £'),
      adjustedSurplus: money.describe(
        'realised surplus + related-party excess: the adjusted profit the cap is tested on, £',
      ),
    })
    .strict()
    .describe('Method §7: payments to related parties above market count as surplus, not cost'),
  staffing: z
    .object({
      headcount: z.int().min(0).describe('People employed (count)'),
      fte: decimal.describe('Full-time equivalents (headcount × FTE per person)'),
      groups: z
        .array(
          z
            .object({
              group: z.enum(STAFF_GROUPS),
              headcount: z.int().min(0),
              fte: decimal,
            })
            .strict(),
        )
        .describe('management, care and support, always in that order'),
    })
    .strict()
    .describe("From the cost model of the fee schedule in force at the year's end"),
};

const homeReturn = z
  .object({
    id: z.uuid(),
    name: z.string(),
    ofstedUrn: z.string().nullable().describe('Ofsted unique reference number'),
    hostCouncil: z
      .object({ code: councilCode, name: z.string() })
      .strict()
      .describe('Council the home is in'),
    openedOn: date,
    closedOn: date.nullable(),
    openFrom: date.describe('First day of the year the home was open'),
    openTo: date.describe('Last day of the year the home was open'),
    capRate: rate6.describe("The organisation's surplus cap, a mark-up on cost"),
    capTested: z
      .boolean()
      .describe("Whether the cap is tested on this home alone (the organisation's cap scope is home)"),
    outcome,
    missingMonths: z
      .array(z.string().regex(/^\d{4}-\d{2}$/))
      .describe('Months (YYYY-MM) the home was open in the year without an accepted import of its actuals'),
    agencyShareOfCover: decimal
      .nullable()
      .describe('Share of absence cover worked by agency staff, as planned in the year-end cost model'),
    staffingFrom: z.uuid().nullable().describe('The fee schedule the staffing figures come from'),
    fees: z
      .array(
        z
          .object({
            feeScheduleId: z.uuid(),
            version: z.int().min(1),
            periodLabel: z.string(),
            effectiveFrom: date,
            inForceFrom: date,
            inForceTo: date,
            daysInForce: z.int().min(1),
            weeklyFeePerChild: money.describe('Weekly fee per child, £'),
            surplusRate: z.string().describe('The surplus mark-up the fee was priced with'),
            hash: z
              .string()
              .regex(/^[0-9a-f]{64}$/)
              .nullable()
              .describe(
                "SHA-256 of the schedule in its organisation's hash chain (GET /v1/fee-schedules/{id}/proof)",
              ),
          })
          .strict(),
      )
      .describe('Every fee schedule version in force during the year, with its dates'),
    relatedPartyTransactions: z
      .array(relatedPartyTransaction)
      .describe(
        "Each related party and code the home's actual spending named, or its fee schedules in force give a market amount for",
      ),
    ...figures,
  })
  .strict();

const totals = z
  .object({ homes: z.int().min(0).describe('Homes in the return (count)'), ...figures })
  .strict()
  .describe(
    "Income, costs and counts are the sums of the homes' figures to the penny, rates and occupancy worked out again from the sums; the cap figures and rebates are the organisation's settlement (method §7) at the level its cap is tested on",
  );

const organisationReturn = z
  .object({
    id: z.uuid(),
    name: z.string(),
    legalForm: z.string(),
    companiesHouseNumber: z.string().nullable(),
    capRate: rate6.describe('The surplus cap, a mark-up on cost'),
    capScope: z
      .enum(['organisation', 'home'])
      .describe(
        "The organisation's policy: the cap tested on the whole provider (organisation: one home's overspend offsets another's surplus) or on each home alone (home)",
      ),
    status: z
      .enum(['provisional', 'incomplete', 'final'])
      .describe(
        'final when the year has ended and every month of every home has accepted actuals; otherwise provisional or incomplete, and nothing is owed yet',
      ),
    outcome,
    missingMonths: z
      .array(z.object({ homeId: z.uuid(), month: z.string().regex(/^\d{4}-\d{2}$/) }).strict())
      .describe('Every month of every home without an accepted import of its actuals'),
    relatedPartyTransactions: z
      .array(relatedPartyTransaction)
      .describe(
        "The provider's related-party transactions: its homes' added up by party and code (paid, allowance and excess each the sum of the homes')",
      ),
    homes: z.array(homeReturn).describe('Homes open during the year, by name then id'),
    totals,
  })
  .strict();

export const annualReturnSchema = z
  .object({
    schema: z.literal(ANNUAL_RETURN_SCHEMA).describe('The version of this schema the document follows'),
    financialYear: z
      .string()
      .regex(/^\d{4}-\d{2}$/)
      .describe('The financial year, e.g. 2026-27'),
    period: z.object({ start: date, end: date }).strict().describe('1 April to 31 March, both included'),
    generatedAt: z.iso
      .datetime()
      .describe('When the document was produced; the only time in it, left out of its hash'),
    organisations: z.array(organisationReturn).describe('By organisation id'),
    rule: z.literal(SETTLEMENT_RULE).describe('The settlement rule (method §7) every figure owed follows'),
    totals: z
      .object({ organisations: z.int().min(0), ...totals.shape })
      .strict()
      .describe("Sums of the organisations' totals to the penny (cap figures: of those that state them)"),
  })
  .strict();

/** The JSON Schema (2020-12) of the annual return, as committed in openapi/returns/. */
export function annualReturnJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(annualReturnSchema, { target: 'draft-2020-12', io: 'output' });
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: ANNUAL_RETURN_SCHEMA,
    title: 'Annual financial return of a cost-plus children’s residential care provider (version 3)',
    description:
      'GET /v1/returns/{financialYear} as application/json. Money is GBP as decimal strings with two places; ratios are decimal strings with six places. The document is RFC 8785 canonical JSON; its SHA-256 (ETag, Digest) is taken over the document without generatedAt.',
    ...Object.fromEntries(Object.entries(generated).filter(([key]) => key !== '$schema')),
  };
}
