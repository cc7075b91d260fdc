import { z } from 'zod';

const line = z.object({
  kind: z.enum(['fee', 'enhancement']),
  enhancementId: z.string().optional(),
  description: z.string(),
  from: z.string(),
  to: z.string(),
  days: z.number().int(),
  scheduleId: z.string(),
  scheduleVersion: z.number().int(),
  weeklyRate: z.string(),
  amount: z.string(),
  heldOver: z
    .boolean()
    .describe(
      "Every day of the line is after its fee schedule's own period end: the last agreed fee, held over",
    ),
});

const heldOverDays = z
  .number()
  .int()
  .describe(
    "Of the days charged a fee, those charged at a fee schedule after its own period's end (held over)",
  );

const unpriced = z.object({
  kind: z.enum(['fee', 'enhancement']),
  enhancementId: z.string().optional(),
  from: z.string(),
  to: z.string(),
  days: z.number().int(),
  reason: z.enum(['no_schedule', 'unknown_role']),
  scheduleId: z.string().optional(),
});

export const statementSchema = z
  .object({
    council: z.object({ onsCode: z.string(), name: z.string() }),
    from: z.string(),
    to: z.string(),
    rule: z.string().describe('How the amounts are rounded, so that they can be checked'),
    total: z.string(),
    homes: z.array(
      z.object({
        homeId: z.string(),
        homeName: z.string(),
        placements: z.number().int(),
        daysCharged: z.number().int(),
        heldOverDays: heldOverDays,
        unpricedDays: z.number().int(),
        total: z.string(),
      }),
    ),
    placements: z.array(
      z.object({
        placementId: z.string(),
        homeId: z.string(),
        homeName: z.string(),
        councilCode: z.string(),
        reference: z.string(),
        from: z.string(),
        to: z.string(),
        daysCharged: z.number().int(),
        heldOverDays: heldOverDays,
        unpricedDays: z.number().int(),
        unpriced: z.array(unpriced),
        lines: z.array(line),
        feeTotal: z.string(),
        enhancementTotal: z.string(),
        total: z.string(),
      }),
    ),
    feeSchedules: z
      .array(
        z.object({
          id: z.string(),
          homeId: z.string(),
          version: z.number().int(),
          periodLabel: z.string(),
          effectiveFrom: z.string(),
          weeklyFeePerChild: z.string(),
        }),
      )
      .describe('The fee schedule versions the lines refer to'),
  })
  .meta({ id: 'Statement' });

export type Statement = z.infer<typeof statementSchema>;
