import { z } from 'zod';

const money = z.string().describe('£, a decimal string with two places');
const nullableMoney = money.nullable();

/** One council's statement of a frozen reconciliation, as `GET …/statements/{councilCode}` serves it as JSON. */
export const councilReconciliationStatementSchema = z
  .object({
    reconciliationId: z.uuid(),
    organisationId: z.uuid(),
    homeId: z
      .uuid()
      .nullable()
      .describe('The home the reconciliation covers; null for the whole organisation'),
    period: z.object({ start: z.string(), end: z.string() }),
    ruleVersion: z
      .number()
      .int()
      .describe('The version of the settlement rule (method §7) it was worked out by'),
    supersededBy: z.uuid().nullable().describe('A later reconciliation of the same scope and period, if any'),
    councilCode: z.string(),
    charged: money.describe("What the council was charged in the period for the provider's homes"),
    share: z.string().describe('Its share of the excess: a ratio, six places'),
    rebate: money.describe('What the provider owes the council'),
    homes: z
      .array(z.object({ homeId: z.uuid(), charged: money, rebate: nullableMoney }))
      .describe('What the council paid each home, and (under the home scope) what each home owes it'),
    provider: z.object({
      income: money,
      actualCost: money,
      realisedSurplus: money,
      realisedRateOnCost: z.string().nullable(),
      relatedPartyExcess: nullableMoney.describe(
        'Rule 3 (method §7): paid to related parties above market; null for earlier documents',
      ),
      adjustedSurplus: nullableMoney.describe(
        'Rule 3: realised surplus + related-party excess, the surplus the cap is tested on',
      ),
      adjustedCost: nullableMoney.describe(
        'Rule 3: actual cost − related-party excess, the cost the cap is a mark-up on',
      ),
      capRate: z.string(),
      capScope: z.enum(['organisation', 'home']).nullable(),
      status: z.string().nullable(),
      allowedSurplus: nullableMoney,
      excess: nullableMoney,
      outcome: z.string(),
    }),
    rule: z.string().describe('The settlement rule in words'),
    hash: z.string().describe('SHA-256 (hex) of the frozen reconciliation'),
    keyId: z.string().describe('The key that signed it, at /.well-known/fee-schedule-keys.json'),
  })
  .meta({ id: 'CouncilReconciliationStatement' });

export type CouncilReconciliationStatement = z.infer<typeof councilReconciliationStatementSchema>;
