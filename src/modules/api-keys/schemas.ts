import { z } from 'zod';

export const ONS_COUNCIL_CODE = /^E(06|07|08|09|10)\d{6}$/;

export const apiKeyInputSchema = z
  .strictObject({
    role: z.enum(['admin', 'finance', 'commissioner', 'regulator']),
    label: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .describe('What the key is for, e.g. "Wirral commissioning team"'),
    organisationId: z.uuid().optional().describe('Required for finance keys: the provider organisation'),
    councils: z
      .array(
        z
          .string()
          .regex(ONS_COUNCIL_CODE, { message: 'must be an ONS local authority code such as E08000015' }),
      )
      .min(1)
      .max(50)
      .optional()
      .describe('Required for commissioner keys: the councils (ONS codes) it acts for'),
    expiresAt: z.iso.datetime({ offset: true }).optional().describe('When the key stops working (ISO 8601)'),
  })
  .superRefine((input, ctx) => {
    if (input.role === 'finance' && !input.organisationId) {
      ctx.addIssue({ code: 'custom', path: ['organisationId'], message: 'is required for a finance key' });
    }
    if (input.role !== 'finance' && input.organisationId) {
      ctx.addIssue({ code: 'custom', path: ['organisationId'], message: 'is only for finance keys' });
    }
    if (input.role === 'commissioner' && !input.councils) {
      ctx.addIssue({ code: 'custom', path: ['councils'], message: 'is required for a commissioner key' });
    }
    if (input.role !== 'commissioner' && input.councils) {
      ctx.addIssue({ code: 'custom', path: ['councils'], message: 'is only for commissioner keys' });
    }
  });

export const apiKeySchema = z
  .object({
    id: z.uuid(),
    prefix: z.string().describe('The visible start of the key, to tell keys apart'),
    role: z.enum(['admin', 'finance', 'commissioner', 'regulator']),
    organisationId: z.string().nullable(),
    councils: z.array(z.string()),
    label: z.string(),
    createdAt: z.string(),
    createdBy: z.string(),
    expiresAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
  })
  .meta({ id: 'ApiKey' });

export const createdApiKeySchema = apiKeySchema
  .extend({ key: z.string().describe('The secret key: shown this once and never again') })
  .meta({ id: 'CreatedApiKey' });

export type ApiKeyInput = z.infer<typeof apiKeyInputSchema>;
export type ApiKey = z.infer<typeof apiKeySchema>;
