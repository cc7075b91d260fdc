import { z } from 'zod';
import { ONS_COUNCIL_CODE } from '../api-keys/index.js';

export const councilSchema = z
  .object({ onsCode: z.string(), name: z.string() })
  .meta({ id: 'Council', description: 'An English local authority, by its ONS code' });

export const councilInputSchema = z.strictObject({
  onsCode: z
    .string()
    .regex(ONS_COUNCIL_CODE, { message: 'must be an ONS local authority code such as E08000015' }),
  name: z.string().trim().min(1).max(200),
});

export type Council = z.infer<typeof councilSchema>;
export type CouncilInput = z.infer<typeof councilInputSchema>;
