import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { RequestContext } from '../../core/context.js';
import { invalidField, notFound } from '../../core/errors.js';
import { checkLifetime } from '../../core/lifetime.js';
import { assertOrganisation } from '../../core/principal.js';
import { DomainValidationError } from '../../domain/errors.js';
import type { CostModel } from '../../domain/pricing/index.js';
import {
  applySettings,
  breakEvenAtPoint,
  bySwing,
  combinationSettings,
  type GridRow,
  gridRows,
  planScenario,
  type ScenarioPlan,
  type ScenarioSpec,
  type SensitivityLever,
  sensitivityLevers,
  sensitivityOf,
} from '../../domain/scenarios/index.js';
import {
  type BaseSource,
  type GridHead,
  gridHeads,
  type SavedScenarioFacts,
  type ScenarioHead,
  type ScenarioReport,
  scenarioHead,
} from '../../domain/scenarios/report.js';
import { recordAudit } from '../audit/index.js';
import type { CostModelDraft } from '../cost-models/schemas.js';
import { createCostModel, visibleCostModel } from '../cost-models/service.js';
import { findFeeSchedule, toFeeSchedule } from '../fee-schedules/index.js';
import { rateTables } from '../rates/index.js';
import { findScenario, insertScenario, type ScenarioRow, scenariosOf } from './repository.js';

/**
 * What a scenario is priced from: a model sent inline, a draft, or a published schedule's frozen
 * model (exactly one; the request's schema sees to it).
 */
export interface BaseInput {
  costModel?: CostModel | undefined;
  costModelId?: string | undefined;
  feeScheduleId?: string | undefined;
}

/** A run: the head worked out, and each grid's rows as they are priced. */
export interface ScenarioRun {
  head: ScenarioHead;
  grids: GridHead[];
  rows(grid: number): AsyncGenerator<GridRow>;
}

/** A saved scenario as served. */
export interface SavedScenario {
  id: string;
  name: string;
  costModelId: string;
  organisationId: string;
  savedAgainstVersion: number;
  spec: ScenarioSpec;
  createdBy: string;
  createdAt: string;
}

/** Pricing is CPU work: let other requests in every few milliseconds, and stop when the client goes. */
const SLICE_MS = 8;

class Slicer {
  private last = performance.now();
  constructor(private readonly signal: AbortSignal | undefined) {}
  async tick(): Promise<void> {
    if (performance.now() - this.last < SLICE_MS) return;
    await yieldToEventLoop();
    checkLifetime(this.signal);
    this.last = performance.now();
  }
}

interface LoadedBase {
  model: CostModel;
  source: BaseSource;
}

async function loadBase(ctx: RequestContext, base: BaseInput): Promise<LoadedBase> {
  if (base.costModel !== undefined) {
    return { model: base.costModel, source: { kind: 'costModel', id: null, version: null, homeId: null } };
  }
  if (base.costModelId !== undefined) {
    const row = await visibleCostModel(ctx, base.costModelId);
    return {
      model: row.document as CostModel,
      source: { kind: 'draft', id: row.id, version: row.version, homeId: row.home_id },
    };
  }
  if (base.feeScheduleId === undefined) {
    throw invalidField('/base', 'give exactly one of costModel, costModelId and feeScheduleId');
  }
  const row = await findFeeSchedule(ctx.database.db, base.feeScheduleId);
  if (!row) throw notFound('Fee schedule');
  assertOrganisation(ctx.principal, row.organisation_id, 'Fee schedule');
  const schedule = toFeeSchedule(row);
  return {
    model: schedule.model as CostModel,
    source: { kind: 'feeSchedule', id: schedule.id, version: schedule.version, homeId: schedule.homeId },
  };
}

/** A model sent inline that the method cannot price, named under /base/costModel. */
function plan(loaded: LoadedBase, spec: ScenarioSpec): ScenarioPlan {
  try {
    return planScenario(loaded.model, spec, { rateTables: rateTables() });
  } catch (error) {
    if (!(error instanceof DomainValidationError) || loaded.source.kind !== 'costModel') throw error;
    throw new DomainValidationError(
      error.issues.map((issue) =>
        issue.pointer.startsWith('/changes') ||
        issue.pointer.startsWith('/grids') ||
        issue.pointer.startsWith('/breakEven')
          ? issue
          : { ...issue, pointer: `/base/costModel${issue.pointer}` },
      ),
    );
  }
}

/** Prices a scenario (rule: src/domain/scenarios/index.ts). Nothing is stored. */
export async function runScenario(
  ctx: RequestContext,
  input: { base: BaseInput; spec: ScenarioSpec; scenario?: SavedScenarioFacts },
  signal?: AbortSignal,
): Promise<ScenarioRun> {
  const loaded = await loadBase(ctx, input.base);
  const planned = plan(loaded, input.spec);
  const slicer = new Slicer(signal);
  const sensitivity: SensitivityLever[] = [];
  for (const setting of sensitivityLevers(planned)) {
    sensitivity.push(sensitivityOf(planned, setting));
    await slicer.tick();
  }
  const head = scenarioHead(planned, {
    source: loaded.source,
    scenario: input.scenario,
    breakEven: breakEvenAtPoint(planned),
    sensitivity: bySwing(sensitivity),
  });
  return {
    head,
    grids: gridHeads(planned),
    async *rows(index: number) {
      const grid = planned.grids[index];
      if (grid === undefined) return;
      for (const row of gridRows(planned, grid)) {
        yield row;
        await slicer.tick();
      }
    },
  };
}

/** Every row of every grid, in memory (for the workbook and the page: at most 10,000 rows). */
export async function collectReport(run: ScenarioRun): Promise<ScenarioReport> {
  const grids: ScenarioReport['grids'] = [];
  for (const [index, grid] of run.grids.entries()) {
    const rows: GridRow[] = [];
    for await (const row of run.rows(index)) rows.push(row);
    grids.push({ ...grid, rows });
  }
  return { ...run.head, grids };
}

// ── saved scenarios ─────────────────────────────────────────────────────────────────────────────

function toSaved(row: ScenarioRow): SavedScenario {
  return {
    id: row.id,
    name: row.name,
    costModelId: row.cost_model_id,
    organisationId: row.organisation_id,
    savedAgainstVersion: row.saved_against_version,
    spec: row.spec,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
  };
}

/**
 * Saves a named scenario on a draft, checked against the draft as it is (a scenario the draft cannot
 * run is refused now, with the same pointers as POST /v1/scenarios). Audited.
 */
export async function saveScenario(
  ctx: RequestContext,
  costModelId: string,
  input: { name: string; spec: ScenarioSpec },
): Promise<SavedScenario> {
  const draft = await visibleCostModel(ctx, costModelId);
  planScenario(draft.document as CostModel, input.spec, { rateTables: rateTables() });
  return ctx.database.db.transaction().execute(async (trx) => {
    const row = await insertScenario(trx, {
      organisationId: draft.organisation_id,
      costModelId: draft.id,
      name: input.name,
      spec: input.spec,
      savedAgainstVersion: draft.version,
      actor: ctx.principal.actor,
    });
    const saved = toSaved(row);
    await recordAudit(trx, {
      principal: ctx.principal,
      requestId: ctx.requestId,
      action: 'create',
      resourceType: 'scenario',
      resourceId: saved.id,
      organisationId: saved.organisationId,
      after: saved,
    });
    return saved;
  });
}

/** A draft's saved scenarios. */
export async function listScenarios(ctx: RequestContext, costModelId: string): Promise<SavedScenario[]> {
  const draft = await visibleCostModel(ctx, costModelId);
  return (await scenariosOf(ctx.database.db, draft.id)).map(toSaved);
}

async function visibleScenario(ctx: RequestContext, id: string): Promise<SavedScenario> {
  const row = await findScenario(ctx.database.db, id);
  if (!row) throw notFound('Scenario');
  assertOrganisation(ctx.principal, row.organisation_id, 'Scenario');
  return toSaved(row);
}

/** A saved scenario run against its draft as the draft is now. */
export async function runSavedScenario(
  ctx: RequestContext,
  id: string,
  signal?: AbortSignal,
): Promise<ScenarioRun> {
  const saved = await visibleScenario(ctx, id);
  return runScenario(
    ctx,
    {
      base: { costModelId: saved.costModelId },
      spec: saved.spec,
      scenario: {
        id: saved.id,
        name: saved.name,
        costModelId: saved.costModelId,
        savedAgainstVersion: saved.savedAgainstVersion,
        createdAt: saved.createdAt,
        createdBy: saved.createdBy,
      },
    },
    signal,
  );
}

/**
 * A new draft for the scenario's home: its draft as it is now with the scenario's changes applied
 * (and, when asked, one combination of one grid). A draft that takes its central block from the
 * organisation's pool keeps doing so. The new draft is audited as any other.
 */
export async function scenarioToDraft(
  ctx: RequestContext,
  id: string,
  pick: { grid?: number | undefined; combination?: number | undefined },
): Promise<CostModelDraft> {
  const saved = await visibleScenario(ctx, id);
  const draft = await visibleCostModel(ctx, saved.costModelId);
  const planned = planScenario(draft.document as CostModel, saved.spec, { rateTables: rateTables() });
  let model = planned.point;
  if ((pick.grid === undefined) !== (pick.combination === undefined)) {
    throw invalidField(
      pick.grid === undefined ? '/grid' : '/combination',
      'give grid and combination together',
    );
  }
  if (pick.grid !== undefined && pick.combination !== undefined) {
    const grid = planned.grids[pick.grid];
    if (grid === undefined) throw invalidField('/grid', `the scenario has ${planned.grids.length} grids`);
    if (pick.combination >= grid.combinations) {
      throw invalidField('/combination', `the grid has ${grid.combinations} combinations, numbered from 0`);
    }
    model = applySettings(model, combinationSettings(grid, pick.combination), planned.options);
  }
  const document: Record<string, unknown> = structuredClone(model);
  if (draft.central_source === 'pool') delete document.central;
  return createCostModel(ctx, { homeId: draft.home_id, document });
}
