import { z } from 'zod';
import { STAFF_GROUPS } from '../pricing/codes.js';
import { MAX_TEXT_LENGTH } from '../pricing/schema.js';

// A scenario request's shape (what a "what if" asks). The values themselves (decimal strings, their
// bounds, what a lever names in the model) are checked against the model by planScenario, which
// names every offending field at once.

export const LEVERS = [
  'plannedOccupancy',
  'payUplift',
  'agencyShare',
  'employerNiRate',
  'hourlyRate',
  'amount',
  'surplusRate',
] as const;
export type Lever = (typeof LEVERS)[number];

/** At most this many combinations over all of a scenario's grids. */
export const MAX_COMBINATIONS = 10_000;
export const MAX_CHANGES = 50;
export const MAX_GRIDS = 10;
export const MAX_AXES = 4;

const LEVER_WORDS = [
  '`plannedOccupancy` (a fraction in (0, 1]);',
  '`payUplift` (a fraction from -0.5 to 1, applied to annualSalaryFte or hourlyRate and rounded half-up to the penny; all staff, or one `group`, or one staffing `line` by id);',
  '`agencyShare` (0 to 1); `employerNiRate` (0 to 1);',
  '`hourlyRate` of a staffing `line` paid by the hour (pounds);',
  '`amount` of a property or running `line`, named by its JSON pointer such as "/property/0" (pounds, in the line’s own frequency);',
  '`surplusRate` (0 to the model’s capRate).',
].join(' ');

const text = () =>
  z
    .string()
    .min(1, { error: 'must not be empty' })
    .max(MAX_TEXT_LENGTH, { error: `must be at most ${MAX_TEXT_LENGTH} characters` });

const decimalText = () =>
  z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? 'is required'
          : typeof issue.input === 'number'
            ? 'must be a decimal string such as "0.06", not a JSON number'
            : 'must be a decimal string such as "0.06"',
    })
    .max(40, { error: 'must be at most 40 characters' });

const target = {
  lever: z.enum(LEVERS, {
    error: (issue) =>
      issue.input === undefined ? 'is required' : `is not a lever; use one of ${LEVERS.join(', ')}`,
  }),
  group: z
    .enum(STAFF_GROUPS, { error: `must be one of ${STAFF_GROUPS.join(', ')}` })
    .optional()
    .describe(
      'For payUplift: the staff group whose pay moves (all staff when neither group nor line is given).',
    ),
  line: text()
    .optional()
    .describe(
      'For payUplift and hourlyRate: a staffing line id. For amount: the JSON pointer of a property or running line, such as "/running/2".',
    ),
};

export const changeSchema = z
  .strictObject({ ...target, value: decimalText() })
  .describe(`One lever set to one value, for every combination. Levers: ${LEVER_WORDS}`);

export const rangeSchema = z
  .strictObject({ from: decimalText(), to: decimalText(), step: decimalText() })
  .describe('from, from + step, … up to and including to (when it is reached).');

export const axisSchema = z
  .strictObject({
    ...target,
    values: z
      .array(decimalText())
      .min(1, { error: 'must hold at least one value' })
      .max(MAX_COMBINATIONS, { error: `must hold at most ${MAX_COMBINATIONS} values` })
      .optional(),
    range: rangeSchema.optional(),
  })
  .describe('One axis of a grid: a lever and its values (a list, or a range). Give values or range.');

export const gridSchema = z.strictObject({
  name: text().describe('A name for the grid (its sheet, in the workbook).'),
  axes: z
    .array(axisSchema)
    .min(1, { error: 'must hold at least one axis' })
    .max(MAX_AXES, { error: `must hold at most ${MAX_AXES} axes` }),
});

export const breakEvenSchema = z.strictObject({
  weeklyFee: decimalText().describe(
    'The weekly fee per child to break even at, in pounds (default: the base’s own fee, the fee quoted).',
  ),
});

/** What a scenario asks of a base: the changes, the grids and the break-even fee. */
export const scenarioSpecSchema = z.strictObject({
  changes: z
    .array(changeSchema)
    .max(MAX_CHANGES, { error: `must hold at most ${MAX_CHANGES} changes` })
    .default([])
    .describe('Levers set to one value each: the scenario’s point, around which the grids vary.'),
  grids: z
    .array(gridSchema)
    .max(MAX_GRIDS, { error: `must hold at most ${MAX_GRIDS} grids` })
    .default([])
    .describe(
      `Grids of combinations, each priced from the point: at most ${MAX_COMBINATIONS} combinations over all grids.`,
    ),
  breakEven: breakEvenSchema.optional(),
});

export type ScenarioSpec = z.infer<typeof scenarioSpecSchema>;
export type ScenarioSpecInput = z.input<typeof scenarioSpecSchema>;
export type ChangeSpec = z.infer<typeof changeSchema>;
export type AxisSpec = z.infer<typeof axisSchema>;
