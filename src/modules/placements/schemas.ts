import { z } from 'zod';
import { ONS_COUNCIL_CODE } from '../api-keys/index.js';
import { isoDate } from '../homes/index.js';

/**
 * The council's own pseudonymous reference for the child, and nothing that could identify a child:
 * letters, digits and - _ / . only, at least one digit, no spaces (no names), and nothing that looks
 * like a date (of birth) or an NHS number.
 */
export const childReference = z
  .string()
  .trim()
  .min(3)
  .max(40)
  .regex(/^[A-Za-z0-9][A-Za-z0-9/_.-]*$/, {
    message:
      "must be the council's pseudonymous reference: letters, digits and - _ / . only, no spaces or names",
  })
  .refine((value) => /\d/.test(value), {
    message: 'must contain a digit: a pseudonymous reference, not a name',
  })
  .refine((value) => !/(\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4})|(\d{4}[/.-]\d{1,2}[/.-]\d{1,2})/.test(value), {
    message: 'must not contain a date: no dates of birth',
  })
  .refine((value) => !/^\d{3}[ -]?\d{3}[ -]?\d{4}$/.test(value.replace(/[/_.-]/g, '')), {
    message: 'must not be an NHS number',
  });

const hours = z
  .string({ message: 'must be a decimal string such as "12.5"' })
  .regex(/^\d{1,3}(\.\d{1,2})?$/, { message: 'must be hours a week: a decimal string such as "12.5"' });

export const enhancementInputSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z0-9-]{1,40}$/)
    .optional()
    .describe('Kept across versions; given when left out'),
  description: z.string().trim().min(1).max(200),
  roleId: z
    .string()
    .min(1)
    .max(100)
    .describe("The staffing line of the home's cost model whose loaded hourly cost prices it"),
  hoursPerWeek: hours,
  start: isoDate,
  end: isoDate.nullable().optional(),
});

export const placementInputSchema = z.strictObject({
  homeId: z.uuid(),
  councilCode: z.string().regex(ONS_COUNCIL_CODE, { message: 'must be an ONS code such as E08000015' }),
  reference: childReference,
  start: isoDate,
  end: isoDate.nullable().optional(),
  enhancements: z.array(enhancementInputSchema).max(20).default([]),
  note: z.string().max(500).optional(),
});

export const placementChangeSchema = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('end'), end: isoDate, note: z.string().max(500).optional() }),
  z.strictObject({
    action: z.literal('correct'),
    start: isoDate.optional(),
    end: isoDate.nullable().optional(),
    note: z.string().min(1).max(500).describe('Why the record is corrected'),
  }),
  z.strictObject({
    action: z.literal('enhance'),
    enhancements: z
      .array(enhancementInputSchema)
      .max(20)
      .describe('The whole list of enhancements from now on'),
    note: z.string().max(500).optional(),
  }),
]);

export const placementMoveSchema = z.strictObject({
  homeId: z.uuid().describe('The home the child moves to'),
  date: isoDate.describe('The first day in the new home; the old placement ends the day before'),
  note: z.string().max(500).optional(),
});

const enhancementSchema = z.object({
  id: z.string(),
  description: z.string(),
  roleId: z.string(),
  hoursPerWeek: z.string(),
  start: z.string(),
  end: z.string().nullable(),
});

export const placementSchema = z
  .object({
    id: z.uuid(),
    organisationId: z.uuid(),
    councilCode: z.string(),
    reference: z.string(),
    movedFrom: z.uuid().nullable(),
    homeId: z.uuid(),
    start: z.string(),
    end: z.string().nullable(),
    enhancements: z.array(enhancementSchema),
    version: z.number().int(),
    history: z.array(
      z.object({
        version: z.number().int(),
        action: z.string(),
        homeId: z.uuid(),
        start: z.string(),
        end: z.string().nullable(),
        enhancements: z.array(enhancementSchema),
        note: z.string().nullable(),
        recordedAt: z.string(),
        recordedBy: z.string(),
      }),
    ),
  })
  .meta({ id: 'Placement' });

export type PlacementInput = z.infer<typeof placementInputSchema>;
export type PlacementChange = z.infer<typeof placementChangeSchema>;
export type Placement = z.infer<typeof placementSchema>;
export type PlacementEnhancement = z.infer<typeof enhancementSchema>;
