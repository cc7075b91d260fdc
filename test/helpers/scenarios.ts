import { type CostModel, costModelSchema } from '../../src/domain/pricing/index.js';
import {
  breakEvenAtPoint,
  bySwing,
  gridRows,
  planScenario,
  type ScenarioSpecInput,
  scenarioSpecSchema,
  sensitivityLevers,
  sensitivityOf,
} from '../../src/domain/scenarios/index.js';
import {
  type BaseSource,
  gridHeads,
  type SavedScenarioFacts,
  type ScenarioReport,
  scenarioHead,
} from '../../src/domain/scenarios/report.js';
import { rateTables } from '../../src/modules/rates/index.js';
import { exampleModel } from './books.js';

/** The Wirral worked example, parsed. */
export const wirralModel: CostModel = costModelSchema.parse(exampleModel('wirral-four-bed-2026-27'));

/**
 * A whole scenario report of a model, assembled from the domain's pieces as the service's
 * runScenario and collectReport assemble it (without their pauses), for the formats' tests.
 */
export function scenarioReportOf(
  model: CostModel,
  spec: ScenarioSpecInput,
  parts: { source?: BaseSource; scenario?: SavedScenarioFacts | undefined } = {},
): ScenarioReport {
  const plan = planScenario(model, scenarioSpecSchema.parse(spec), { rateTables: rateTables() });
  const head = scenarioHead(plan, {
    source: parts.source ?? { kind: 'costModel', id: null, version: null, homeId: null },
    scenario: parts.scenario,
    breakEven: breakEvenAtPoint(plan),
    sensitivity: bySwing(sensitivityLevers(plan).map((setting) => sensitivityOf(plan, setting))),
  });
  return {
    ...head,
    grids: gridHeads(plan).map((grid, g) => ({ ...grid, rows: [...gridRows(plan, plan.grids[g]!)] })),
  };
}
