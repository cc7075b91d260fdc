import { z } from 'zod';
import { breakdownSchema } from '../../domain/pricing/index.js';

export const feeScheduleSchema = z
  .object({
    id: z.uuid(),
    homeId: z.uuid(),
    organisationId: z.uuid(),
    costModelId: z.uuid(),
    costModelVersion: z.number().int(),
    period: z.object({ label: z.string(), start: z.string(), end: z.string() }),
    version: z.number().int().describe('1, 2, 3 … per home and period'),
    effectiveFrom: z.string(),
    weeklyFeePerChild: z.string(),
    surplusRate: z.string(),
    methodVersion: z.number().int(),
    publishedBy: z.string(),
    publishedAt: z.string(),
    model: z.record(z.string(), z.unknown()).describe('The cost model as it was priced, frozen'),
    breakdown: breakdownSchema.describe('The breakdown the method gave for the frozen model'),
  })
  .meta({ id: 'FeeSchedule' });

export const feeScheduleSummarySchema = z
  .object({
    id: z.uuid(),
    homeId: z.uuid(),
    organisationId: z.uuid(),
    period: z.object({ label: z.string(), start: z.string(), end: z.string() }),
    version: z.number().int(),
    effectiveFrom: z.string(),
    weeklyFeePerChild: z.string(),
    surplusRate: z.string(),
    publishedBy: z.string(),
    publishedAt: z.string(),
    status: z
      .enum(['current', 'superseded', 'scheduled'])
      .describe('current: in force today; scheduled: in force from a later day; superseded: replaced'),
  })
  .meta({ id: 'FeeScheduleSummary' });

export type FeeSchedule = z.infer<typeof feeScheduleSchema>;
export type FeeScheduleSummary = z.infer<typeof feeScheduleSummarySchema>;
