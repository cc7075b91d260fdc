import { z } from 'zod';
import { costModelSchema } from '../../domain/pricing/index.js';
import { LEVERS, MAX_COMBINATIONS, scenarioSpecSchema } from '../../domain/scenarios/index.js';

const money = z.string().regex(/^-?\d+\.\d{2}$/);
const nullableMoney = money.nullable();

export const baseSchema = z
  .strictObject({
    costModel: costModelSchema.optional().describe('A cost model sent inline, as for POST /v1/quotes.'),
    costModelId: z.uuid().optional().describe('A draft of your organisation, as it is now.'),
    feeScheduleId: z
      .uuid()
      .optional()
      .describe('A published schedule of your organisation: its frozen model.'),
  })
  .superRefine((base, ctx) => {
    const given = ['costModel', 'costModelId', 'feeScheduleId'].filter(
      (key) => (base as Record<string, unknown>)[key] !== undefined,
    );
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: 'give exactly one of costModel, costModelId and feeScheduleId',
        input: base,
      });
    }
  })
  .describe('What the scenario starts from.');

export const scenarioRequestSchema = z.strictObject({ base: baseSchema, ...scenarioSpecSchema.shape });

export const saveScenarioSchema = z.strictObject({
  name: z.string().trim().min(1).max(200).describe('A name for the finance team, e.g. "NLW at 6%".'),
  ...scenarioSpecSchema.shape,
});

export const toDraftSchema = z
  .strictObject({
    grid: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('With combination: take one combination of this grid too.'),
    combination: z
      .number()
      .int()
      .min(0)
      .max(MAX_COMBINATIONS)
      .optional()
      .describe('The combination, numbered from 0 as in the CSV.'),
  })
  .default({});

export const savedScenarioSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    costModelId: z.uuid(),
    organisationId: z.uuid(),
    savedAgainstVersion: z.number().int().describe("The draft's version when the scenario was saved."),
    spec: z.record(z.string(), z.unknown()).describe('The changes, grids and break-even fee, as saved.'),
    createdBy: z.string(),
    createdAt: z.string(),
  })
  .meta({ id: 'SavedScenario' });

const figures = z.object({
  plannedOccupancy: z.string(),
  methodVersion: z.number().int(),
  weeklyFeePerChild: nullableMoney,
  weeklyCostPerChild: nullableMoney,
  weeklySurplusPerChild: nullableMoney,
  annualIncomeAtPlannedOccupancy: nullableMoney,
  breakEvenOccupancy: z.string().nullable().describe('At the break-even fee: 6 dp, rounded up.'),
});

const column = {
  key: z.string(),
  lever: z.enum(LEVERS),
  group: z.string().optional(),
  line: z.string().optional(),
  label: z.string(),
};

export const scenarioReportSchema = z
  .object({
    scenario: savedScenarioSchema.omit({ spec: true, organisationId: true }).optional(),
    base: z.object({
      kind: z.enum(['costModel', 'draft', 'feeSchedule']),
      id: z.string().nullable(),
      version: z.number().int().nullable(),
      homeId: z.string().nullable(),
      period: z.object({ label: z.string(), start: z.string(), end: z.string() }),
      registeredPlaces: z.number().int(),
      figures,
    }),
    changes: z.array(z.object({ ...column, value: z.string() })),
    point: figures.describe('The base with the changes applied.'),
    breakEven: z.object({
      weeklyFee: money,
      source: z.enum(['given', 'base']),
      occupancy: z
        .string()
        .nullable()
        .describe('6 dp, rounded up: the lowest at which the fee covers cost plus surplus.'),
      occupancy10: z.string().nullable(),
      fraction: z.string().nullable().describe('The exact break-even occupancy, in lowest terms.'),
      occupiedPlaces: z.string().nullable(),
      reachable: z.boolean(),
      weeklyFeeAtOccupancy: nullableMoney.describe('The point priced at `occupancy`.'),
      explanation: z.string(),
    }),
    sensitivity: z.object({
      steps: z.array(z.string()),
      levers: z.array(
        z.object({
          ...column,
          value: z.string(),
          points: z.array(
            z.object({
              step: z.string(),
              value: z.string(),
              weeklyFeePerChild: nullableMoney,
              problem: z.string().optional(),
            }),
          ),
          swing: money,
        }),
      ),
    }),
    combinations: z.number().int(),
    grids: z.array(
      z.object({
        name: z.string(),
        axes: z.array(z.object({ ...column, values: z.array(z.string()) })),
        combinations: z.number().int(),
        rows: z.array(
          figures
            .omit({ plannedOccupancy: true, methodVersion: true })
            .extend({ at: z.array(z.string()), problem: z.string().optional() }),
        ),
      }),
    ),
  })
  .meta({ id: 'ScenarioReport' });
