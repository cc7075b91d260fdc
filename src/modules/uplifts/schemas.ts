import { z } from 'zod';
import { isoDate } from '../../http/dates.js';

export { upliftFormulaSchema } from '../../domain/uplifts/schema.js';

export const indexValueInputSchema = z.strictObject({
  date: isoDate.describe(
    'RLW: the day the rate is in force from (employers pay it by then); CPI: the last day of the month the 12-month rate is for.',
  ),
  value: z
    .string({ message: 'must be a decimal string, not a JSON number' })
    .describe(
      'RLW: pounds an hour, e.g. "13.45"; CPI: the 12-month rate as a fraction, e.g. "0.021" for 2.1%.',
    ),
  source: z.string().trim().min(1).max(300).describe('Who published the figure, and where.'),
  sourceUrl: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).max(500),
});

export const indexValueSchema = z
  .object({
    series: z.enum(['NLW', 'RLW', 'CPI']),
    date: z.string(),
    value: z.string(),
    source: z.string(),
    sourceUrl: z.string(),
    statutory: z.boolean().describe('True for the NLW history shipped with the service (fixtures/indices).'),
    recordedBy: z.string().nullable(),
    recordedAt: z.string().nullable(),
  })
  .meta({ id: 'IndexValue' });

export const formulaRecordSchema = z
  .object({
    councilCode: z.string(),
    version: z.number().int(),
    formula: z.unknown().describe('The UpliftFormula, as recorded (defaults filled in).'),
    recordedBy: z.string(),
    recordedAt: z.string(),
  })
  .meta({ id: 'UpliftFormulaVersion' });

export const noticeSummarySchema = z
  .object({
    id: z.uuid(),
    councilCode: z.string(),
    organisationId: z.uuid(),
    homeId: z.uuid(),
    scheduleId: z.uuid(),
    previousScheduleId: z.uuid(),
    issuedOn: z.string(),
    appliesFrom: z.string(),
    oldFee: z.string(),
    frameworkFee: z.string().nullable(),
    newFee: z.string(),
    acknowledged: z
      .object({ by: z.string(), at: z.string(), note: z.string().nullable() })
      .nullable()
      .describe('Who acknowledged it for the council, and when; null while outstanding.'),
  })
  .meta({ id: 'UpliftNoticeSummary' });

export const noticeSchema = z
  .object({
    notice: z
      .unknown()
      .describe(
        'The signed notice: council, provider, home, issue day, the day the new fee applies to the council (rule 4), the previous and new schedules, the framework uplift worked out (formula version, each anniversary with its index figures, their sources and dates, lower-of, floor and cap) and its fee, the comparison (old fee, framework fee, new fee, changes), the cost-plus change by cause, the council’s placements reached (its own references), and the rule.',
      ),
    hash: z.string().describe('SHA-256 (hex) of the RFC 8785 canonical JSON of `notice`.'),
    signature: z.string().describe("Ed25519 signature (base64) of the hash's hex text."),
    keyId: z.string().describe('The signing key: GET /v1/signing-keys lists its public half.'),
    acknowledged: noticeSummarySchema.shape.acknowledged,
  })
  .meta({ id: 'UpliftNotice' });

export type IndexValueInput = z.infer<typeof indexValueInputSchema>;
export type NoticeSummary = z.infer<typeof noticeSummarySchema>;
