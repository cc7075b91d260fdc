import { z } from 'zod';
import { isoDate } from '../homes/index.js';

export const periodSchema = z.strictObject({
  label: z.string().trim().min(1).max(40),
  start: isoDate,
  end: isoDate,
});

export const poolLineSchema = z.strictObject({
  code: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]{1,49}$/, { message: 'must be an upper-case code such as LEADERSHIP or FINANCE' }),
  description: z.string().trim().min(1).max(200),
  amount: z.string({ message: 'must be a decimal string such as "120000"' }).regex(/^\d{1,12}(\.\d{1,2})?$/, {
    message: 'must be money: a decimal string ≥ 0 with at most 2 decimal places',
  }),
  relatedPartyId: z
    .string()
    .optional()
    .describe(
      "Method v2 §6: the register reference of the related party this component is paid to (e.g. a group management fee); it flows into each home's draft with the home's share",
    ),
  marketAmount: z
    .string({ message: 'must be a decimal string such as "90000"' })
    .regex(/^\d{1,12}(\.\d{1,2})?$/, {
      message: 'must be money: a decimal string ≥ 0 with at most 2 decimal places',
    })
    .optional()
    .describe(
      'Method v2 §6: what the same service would cost a year at market; required with relatedPartyId',
    ),
  marketEvidence: z
    .string()
    .trim()
    .min(1)
    .max(300)
    .optional()
    .describe('Method v2 §6: where the market amount comes from; required with relatedPartyId'),
});

export const poolInputSchema = z.strictObject({
  period: periodSchema,
  basis: z
    .enum(['places', 'staff_fte', 'equal'])
    .describe('How the pool is shared among the homes open in the period'),
  lines: z.array(poolLineSchema).min(1).max(100),
});

export const poolSchema = z
  .object({
    id: z.uuid(),
    organisationId: z.uuid(),
    period: z.object({ label: z.string(), start: z.string(), end: z.string() }),
    basis: z.enum(['places', 'staff_fte', 'equal']),
    lines: z.array(
      z.object({
        code: z.string(),
        description: z.string(),
        amount: z.string(),
        relatedPartyId: z.string().optional(),
        marketAmount: z.string().optional(),
        marketEvidence: z.string().optional(),
      }),
    ),
    totalAnnual: z.string(),
    version: z.number().int(),
    updatedAt: z.string(),
  })
  .meta({ id: 'CentralCostPool' });

export const centralBlockSchema = z.object({
  poolAnnual: z.string(),
  basis: z.string(),
  homeUnits: z.string(),
  totalUnits: z.string(),
  annualAmount: z
    .string()
    .optional()
    .describe(
      "The home's penny share of the pool (§7): the shares of the homes open in the period add up to the pool",
    ),
  relatedPartyCharges: z
    .array(
      z.object({
        relatedPartyId: z.string(),
        description: z.string(),
        amountAnnual: z.string(),
        marketAmountAnnual: z.string(),
        marketEvidence: z.string(),
      }),
    )
    .optional()
    .describe('Method v2 §6: the components of the pool paid to related parties'),
});

export const poolChangeSchema = z
  .object({
    pool: poolSchema,
    movedCostModels: z
      .array(
        z.object({
          costModelId: z.uuid(),
          homeId: z.uuid(),
          homeName: z.string(),
          centralBefore: centralBlockSchema.nullable(),
          centralAfter: centralBlockSchema,
          weeklyFeeBefore: z.string().nullable(),
          weeklyFeeAfter: z.string().nullable(),
        }),
      )
      .describe('Drafts whose central share this change moved (their central block is taken from the pool)'),
  })
  .meta({ id: 'CentralCostPoolChange' });

export type PoolInput = z.infer<typeof poolInputSchema>;
export type Pool = z.infer<typeof poolSchema>;
export type CentralBlock = z.infer<typeof centralBlockSchema>;
