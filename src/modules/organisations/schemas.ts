import { z } from 'zod';
import { CAP_SCOPES } from '../../domain/settlement/index.js';

export const LEGAL_FORMS = [
  'community_interest_company',
  'charitable_incorporated_organisation',
  'company_limited_by_guarantee',
  'community_benefit_society',
  'cooperative_society',
  'charitable_trust',
  'other',
] as const;

const rate = z
  .string({ message: 'must be a decimal string such as "0.05"' })
  .regex(/^(0(\.\d{1,6})?|1(\.0{1,6})?)$/, {
    message: 'must be a decimal string from "0" to "1", at most 6 places',
  });

const capScope = z
  .enum(CAP_SCOPES)
  .describe(
    "Where the year-end settlement tests the surplus cap (method §7): on the whole provider (`organisation`, the default: one home's overspend offsets another's surplus) or on each home alone (`home`)",
  );

export const organisationInputSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  legalForm: z.enum(LEGAL_FORMS),
  companiesHouseNumber: z
    .string()
    .regex(/^(\d{8}|[A-Z]{2}\d{6})$/, {
      message: 'must be a Companies House number: 8 digits, or 2 letters and 6 digits',
    })
    .optional(),
  surplusCapRate: rate
    .default('0.05')
    .describe('The highest surplus rate (a mark-up on cost) the organisation allows itself; default 5%'),
  capScope: capScope.default('organisation'),
});

export const organisationPolicySchema = z.strictObject({
  capScope: capScope.describe(
    "Where the year-end settlement tests the cap (method §7): on the whole provider (`organisation`), or on each home alone (`home`, where the provider's contracts say so). Reconciliations already frozen keep the scope they were made under.",
  ),
});

export const organisationSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    legalForm: z.enum(LEGAL_FORMS),
    companiesHouseNumber: z.string().nullable(),
    surplusCapRate: z.string(),
    capScope: z.enum(CAP_SCOPES),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Organisation' });

export type OrganisationInput = z.infer<typeof organisationInputSchema>;
export type OrganisationPolicy = z.infer<typeof organisationPolicySchema>;
export type Organisation = z.infer<typeof organisationSchema>;
