import { z } from 'zod';
import { isoDate } from '../../http/dates.js';
import { ONS_COUNCIL_CODE } from '../api-keys/index.js';

/** The one date schema (src/http/dates.ts), here too for the modules that import it from homes. */
export { isoDate };

export const homeInputSchema = z.strictObject({
  organisationId: z.uuid().optional().describe('The provider; a finance key may leave it out (its own)'),
  name: z.string().trim().min(1).max(200),
  ofstedUrn: z
    .string()
    .regex(/^(SC\d{6}|\d{7})$/, { message: 'must be an Ofsted URN such as SC123456 or 2654321' })
    .optional(),
  hostCouncil: z.string().regex(ONS_COUNCIL_CODE, { message: 'must be an ONS code such as E08000015' }),
  registeredPlaces: z.number().int().min(1).max(100),
  openedOn: isoDate,
  closedOn: isoDate.optional(),
});

export const homePatchSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    ofstedUrn: z
      .string()
      .regex(/^(SC\d{6}|\d{7})$/, { message: 'must be an Ofsted URN such as SC123456 or 2654321' })
      .nullable()
      .optional(),
    registeredPlaces: z.number().int().min(1).max(100).optional(),
    closedOn: isoDate.nullable().optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, { message: 'change at least one field' });

export const homeSchema = z
  .object({
    id: z.uuid(),
    organisationId: z.uuid(),
    name: z.string(),
    ofstedUrn: z.string().nullable(),
    hostCouncil: z.string(),
    registeredPlaces: z.number().int(),
    openedOn: z.string(),
    closedOn: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Home' });

export type HomeInput = z.infer<typeof homeInputSchema>;
export type HomePatch = z.infer<typeof homePatchSchema>;
export type Home = z.infer<typeof homeSchema>;
