import { formatUnits } from '../money.js';
import type {
  BreakEvenAnswer,
  GridRow,
  LeverColumn,
  ScenarioFigures,
  ScenarioPlan,
  SensitivityLever,
} from './index.js';
import { leverColumn, leverText, pointFigures, SENSITIVITY_STEPS } from './index.js';

// What a scenario publishes: the same figures in every format (JSON, CSV, workbook, page).

export interface ChangeReport extends LeverColumn {
  value: string;
}

export interface AxisReport extends LeverColumn {
  values: string[];
}

export interface GridHead {
  name: string;
  axes: AxisReport[];
  combinations: number;
}

export type Figures = ScenarioFigures & { plannedOccupancy: string; methodVersion: 1 | 2 };

/** Where the base came from. */
export interface BaseSource {
  kind: 'costModel' | 'draft' | 'feeSchedule';
  /** The draft's or schedule's id; null for a model sent inline. */
  id: string | null;
  /** The draft's version, or the schedule's; null for a model sent inline. */
  version: number | null;
  homeId: string | null;
}

/** A saved scenario's own facts, when the report is of one. */
export interface SavedScenarioFacts {
  id: string;
  name: string;
  costModelId: string;
  /** The draft's version when the scenario was saved, and now: they differ when the draft has changed since. */
  savedAgainstVersion: number;
  createdAt: string;
  createdBy: string;
}

export interface ScenarioHead {
  scenario?: SavedScenarioFacts;
  base: BaseSource & {
    period: { label: string; start: string; end: string };
    registeredPlaces: number;
    figures: Figures;
  };
  changes: ChangeReport[];
  point: Figures;
  breakEven: BreakEvenAnswer;
  sensitivity: { steps: string[]; levers: SensitivityLever[] };
  combinations: number;
}

export interface ScenarioReport extends ScenarioHead {
  grids: (GridHead & { rows: GridRow[] })[];
}

/** The report's head: everything but the grids' rows. */
export function scenarioHead(
  plan: ScenarioPlan,
  parts: {
    source: BaseSource;
    scenario?: SavedScenarioFacts | undefined;
    breakEven: BreakEvenAnswer;
    sensitivity: SensitivityLever[];
  },
): ScenarioHead {
  return {
    ...(parts.scenario === undefined ? {} : { scenario: parts.scenario }),
    base: {
      ...parts.source,
      period: { ...plan.base.period },
      registeredPlaces: plan.base.home.registeredPlaces,
      figures: pointFigures(plan, 'base'),
    },
    changes: plan.changes.map((change) => ({
      ...leverColumn(change.target),
      value: leverText(change.target.lever, change.units),
    })),
    point: pointFigures(plan, 'point'),
    breakEven: parts.breakEven,
    sensitivity: {
      steps: SENSITIVITY_STEPS.map((step) => formatUnits(step / 10_000n, 2)),
      levers: parts.sensitivity,
    },
    combinations: plan.combinations,
  };
}

/** Each grid's head: its axes with their values as the model writes them. */
export function gridHeads(plan: ScenarioPlan): GridHead[] {
  return plan.grids.map((grid) => ({
    name: grid.name,
    axes: grid.axes.map((axis) => ({
      ...leverColumn(axis.target),
      values: axis.values.map((units) => leverText(axis.target.lever, units)),
    })),
    combinations: grid.combinations,
  }));
}

/** The columns of a grid's table after its axes, in the order every format writes them. */
export const GRID_FIGURE_COLUMNS = [
  'weeklyFeePerChild',
  'weeklyCostPerChild',
  'weeklySurplusPerChild',
  'annualIncomeAtPlannedOccupancy',
  'breakEvenOccupancy',
  'problem',
] as const;
