import { z } from 'zod';

// The answer of GET /v1/councils/{code}/placement-costs as application/json. `openapi/` holds the JSON
// Schema (2020-12) generated from it (`npm run openapi`), which a council's loader can validate against.

/** The JSON Schema's `$id`; a change that breaks a reader gets a new version. */
export const PLACEMENT_COSTS_SCHEMA_ID = 'urn:cost-plus-care:placement-costs:1';

const money = (description: string) =>
  z
    .string()
    .regex(/^\d+\.\d{2}$/)
    .describe(
      `${description} Pounds sterling (GBP) a week, a decimal string with exactly two decimal places.`,
    );
const date = (description: string) => z.iso.date().describe(`${description} A calendar date, YYYY-MM-DD.`);

const actualPlacement = z
  .object({
    providerURN: z
      .string()
      .nullable()
      .describe("The home's Ofsted unique reference number (URN); null when the home has none recorded here"),
    placementType: z
      .literal('Residential')
      .describe("Always Residential: a children's residential care home"),
    placementStartDate: date("The placement's start (its first day in this home)."),
    placementSource: z
      .null()
      .describe(
        'How the placement was sourced (spot, framework, block …): not recorded by this service, so always null; the council fills it from its own records',
      ),
    coreWeeklyCost: money(
      "The weekly fee less its education share: the home's care, staffing and running costs and surplus.",
    ),
    additionalSupportWeeklyCost: money(
      'The sum of the weekly charges of the enhancements (extra staffing) charged in the span; 0.00 when none.',
    ),
    educationWeeklyCost: money(
      "The fee's education share: the sum of the weekly per child column of the fee schedule's breakdown lines coded RUNNING_EDUCATION; 0.00 when it has none.",
    ),
    otherWeeklyCost: money(
      'totalWeeklyCost less the three other costs, a residual (0.00, since nothing else is charged), so that the parts add up to the total.',
    ),
    totalWeeklyCost: money(
      'The weekly fee plus additionalSupportWeeklyCost: what the placement is charged a week.',
    ),
  })
  .strict()
  .describe(
    "The SocialCareData placements standard's actualPlacement block, under its field names: coreWeeklyCost + additionalSupportWeeklyCost + educationWeeklyCost + otherWeeklyCost = totalWeeklyCost to the penny",
  );

const record = z
  .object({
    placementId: z.uuid().describe('The placement in this service'),
    reference: z
      .string()
      .describe("The council's own pseudonymous reference for the child: no child-level data beyond it"),
    homeId: z.uuid(),
    homeName: z.string(),
    from: date('The first day of the span (inside the range asked for).'),
    to: date('The last day of the span (inside the range asked for).'),
    days: z.number().int().min(1).describe('Days in the span, both ends included'),
    heldOver: z
      .boolean()
      .describe("The span is after its fee schedule's own period end: the last agreed fee, held over"),
    feeSchedule: z
      .object({
        id: z.uuid(),
        version: z.number().int().min(1),
        weeklyFeePerChild: money('The weekly fee charged under the fee schedule in force in the span.'),
      })
      .strict()
      .describe('The fee schedule in force in the span, by the charging rule'),
    enhancements: z
      .array(
        z
          .object({
            id: z.string(),
            description: z.string(),
            weeklyCharge: money("The enhancement's weekly charge under the span's fee schedule."),
          })
          .strict(),
      )
      .describe('The enhancements charged in the span, in the order the placement lists them'),
    actualPlacement,
  })
  .strict()
  .describe('A span of one placement over which its weekly costs are constant');

const unpriced = z
  .object({
    placementId: z.uuid(),
    reference: z.string(),
    homeId: z.uuid(),
    homeName: z.string(),
    kind: z
      .enum(['fee', 'enhancement'])
      .describe('fee: days with no fee schedule in force; enhancement: days an enhancement is not charged'),
    enhancementId: z.string().optional(),
    from: date('The first day not priced.'),
    to: date('The last day not priced.'),
    days: z.number().int().min(1),
    reason: z
      .enum(['no_schedule', 'unknown_role'])
      .describe(
        "no_schedule: the home had no fee schedule in force; unknown_role: the cost model of the fee schedule in force has no staffing line of the enhancement's role",
      ),
    scheduleId: z.uuid().optional().describe('For unknown_role: the fee schedule in force'),
  })
  .strict()
  .describe('A run of days that is not priced (never guessed): not in the records');

/** The answer, without its OpenAPI component name (the JSON Schema is generated from this, flat). */
const placementCosts = z
  .object({
    council: z.object({ onsCode: z.string(), name: z.string() }).strict(),
    from: date('The first day of the range.'),
    to: date('The last day of the range (the same as from for ?on=).'),
    rule: z.string().describe('How the weekly costs are split, so that they can be checked'),
    records: z.array(record).describe("The council's placements' spans: by placement, then by date"),
    unpriced: z
      .array(unpriced)
      .describe('Days of those placements that are not priced, by placement, then by date'),
  })
  .strict();

export const placementCostsSchema = placementCosts.meta({
  id: 'PlacementCosts',
  description:
    "A council's placements' weekly costs in the SocialCareData placements standard's shape (actualPlacement), per span of days over which they are constant.",
});

export type PlacementCosts = z.infer<typeof placementCostsSchema>;
export type PlacementCostRecord = PlacementCosts['records'][number];

/** The answer's JSON Schema (2020-12), written to openapi/placement-costs.schema.json. */
export function placementCostsJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(placementCosts, { target: 'draft-2020-12', io: 'output' });
  const { $schema: _schema, ...rest } = generated as Record<string, unknown>;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: PLACEMENT_COSTS_SCHEMA_ID,
    title: "A council's placement costs in the SocialCareData placements standard's shape",
    description:
      'GET /v1/councils/{code}/placement-costs as application/json. Per placement and per span of days over which its weekly costs are constant, the actualPlacement block of the SocialCareData placements standard (money: GBP a week, decimal strings with two places). No child-level data beyond the council\u2019s pseudonymous reference.',
    ...rest,
  };
}
