import { z } from 'zod';
import { isoDate } from '../homes/index.js';

/**
 * A draft as stored: the cost model document of the method (§1), with `central` filled from the
 * organisation's pool when the draft did not give one, and `surplus.capRate` set from its policy.
 */
export const costModelDraftSchema = z
  .object({
    id: z.uuid(),
    homeId: z.uuid(),
    organisationId: z.uuid(),
    period: z.object({ label: z.string(), start: z.string(), end: z.string() }),
    version: z.number().int().describe('Increases with every change; the ETag is this number, quoted'),
    centralSource: z
      .enum(['pool', 'model'])
      .describe("pool: `central` is computed from the organisation's pool"),
    document: z
      .record(z.string(), z.unknown())
      .describe('The cost model (see the CostModel schema of POST /v1/quotes)'),
    createdBy: z.string(),
    updatedBy: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'CostModelDraft' });

export type CostModelDraft = z.infer<typeof costModelDraftSchema>;

/** The body of POST/PUT: a cost model document, checked against the method's schema by the service. */
export const costModelBodySchema = z
  .record(z.string(), z.unknown())
  .describe(
    "A cost model document as for POST /v1/quotes. Leave out `central` to take it from the organisation's central cost pool for the period; `surplus.capRate` is always set from the organisation's policy.",
  );

/** The body of POST /v1/cost-models/:id/publish. */
export const publishInputSchema = z.strictObject({
  effectiveFrom: isoDate.describe("The first day the fee applies; within the cost model's period"),
  costModelVersion: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('Publish only if the draft is still at this version (else 412)'),
});

export type PublishInput = z.infer<typeof publishInputSchema>;
