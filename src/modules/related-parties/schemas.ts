import { z } from 'zod';
import { RELATED_PARTY_RELATIONSHIPS } from '../../domain/pricing/codes.js';
import { COMPANIES_HOUSE_NUMBER } from '../../domain/pricing/schema.js';
import { isoDate } from '../../http/dates.js';

// Method v2 §6: an organisation's register of related parties.

export const REFERENCE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/;

const companiesHouseNumber = z
  .string()
  .regex(COMPANIES_HOUSE_NUMBER, {
    error: 'must be a Companies House number: 8 digits, or 2 capital letters and 6 digits',
  })
  .describe('The Companies House number, when the party is a company.');

export const relatedPartyInputSchema = z
  .strictObject({
    organisationId: z
      .uuid({ error: 'must be a UUID' })
      .optional()
      .describe("The organisation whose register this is; a finance key's own by default."),
    reference: z
      .string()
      .regex(REFERENCE_PATTERN, {
        error: 'must be 1–40 letters, digits, "_", "." or "-", starting with a letter or digit',
      })
      .describe(
        'A short reference, unique in the organisation, that cost models (relatedParties[].id, relatedPartyId) and actual spending rows (related_party) use to name the party. Never changes.',
      ),
    name: z.string().min(1).max(200),
    companiesHouseNumber: companiesHouseNumber.optional(),
    relationship: z.enum(RELATED_PARTY_RELATIONSHIPS),
    description: z
      .string()
      .min(1)
      .max(500)
      .describe('What the relationship is and what the provider buys from the party.'),
    from: isoDate.describe('The first day the party is related (YYYY-MM-DD).'),
    to: isoDate.nullable().optional().describe('The last day, once the relationship has ended.'),
  })
  .describe('A related party to add to an organisation’s register.');
export type RelatedPartyInput = z.infer<typeof relatedPartyInputSchema>;

export const relatedPartyPatchSchema = z
  .strictObject({
    name: z.string().min(1).max(200).optional(),
    companiesHouseNumber: companiesHouseNumber.nullable().optional(),
    relationship: z.enum(RELATED_PARTY_RELATIONSHIPS).optional(),
    description: z.string().min(1).max(500).optional(),
    from: isoDate.optional(),
    to: isoDate
      .nullable()
      .optional()
      .describe('End the relationship on this day (a party is never deleted); null reopens it.'),
  })
  .describe('Changes to a related party; the reference never changes.');
export type RelatedPartyPatch = z.infer<typeof relatedPartyPatchSchema>;

export const relatedPartySchema = z
  .object({
    id: z.uuid(),
    organisationId: z.uuid(),
    reference: z.string(),
    name: z.string(),
    companiesHouseNumber: z.string().nullable(),
    relationship: z.enum(RELATED_PARTY_RELATIONSHIPS),
    description: z.string(),
    from: z.string(),
    to: z.string().nullable(),
    version: z.number().int().describe('Goes up by one with each change.'),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .describe('A related party in an organisation’s register (method v2 §6).');
export type RelatedPartyRecord = z.infer<typeof relatedPartySchema>;
