import type { Selectable, Transaction } from 'kysely';
import type { RequestContext } from '../../core/context.js';
import { DATE_RANGE_MESSAGE, isDateInRange } from '../../core/dates.js';
import { invalidField, notFound, StaleError } from '../../core/errors.js';
import { decodeCursor, pageOf } from '../../core/paging.js';
import { assertOrganisation } from '../../core/principal.js';
import type { Database, HomesTable } from '../../db/schema.js';
import { DomainValidationError, zodIssuesToFieldIssues } from '../../domain/errors.js';
import { type Breakdown, type CostModel, costModelSchema } from '../../domain/pricing/index.js';
import { draftAbout } from '../../formats/breakdown-about.js';
import { breakdownWorkbook } from '../../formats/breakdown-workbook.js';
import { recordAudit } from '../audit/index.js';
import { centralFromPool, findPool, withPoolParties } from '../central-cost-pools/index.js';
import { findHome, visibleHome } from '../homes/index.js';
import { findOrganisation } from '../organisations/index.js';
import { quote } from '../quotes/index.js';
import { assertRegisterAgrees, partiesByReference } from '../related-parties/index.js';
import {
  type CostModelRow,
  findCostModel,
  insertCostModel,
  listCostModels,
  toDraft,
  updateCostModelAt,
} from './repository.js';
import type { CostModelDraft } from './schemas.js';

type Document = Record<string, unknown>;

/** The submitted `period`, as far as it is an object (it is checked by the schema later). */
function submittedPeriod(document: Document) {
  return (document.period ?? undefined) as { start?: unknown; end?: unknown } | undefined;
}

/**
 * Turns a submitted document into the stored one: capRate from the organisation's policy, central
 * from the pool when left out, then the method's schema and a trial pricing (so that a draft that
 * cannot be priced is refused now, not at publishing).
 */
async function prepare(
  trx: Transaction<Database>,
  home: Selectable<HomesTable>,
  submitted: Document,
): Promise<{ model: CostModel; centralSource: 'pool' | 'model' }> {
  const organisation = await findOrganisation(trx, home.organisation_id);
  if (!organisation) throw notFound('Organisation');
  const document: Document = structuredClone(submitted);
  const surplus = document.surplus;
  if (surplus && typeof surplus === 'object' && !Array.isArray(surplus)) {
    document.surplus = { ...surplus, capRate: organisation.surplus_cap_rate.replace(/\.?0+$/, '') || '0' };
  }
  const centralSource = await takeCentralFromPool(trx, home, document);
  const model = checkedModel(document);
  quote(model); // throws DomainValidationError for what only the engine can tell (an unknown ratesFrom year)
  // §6 the parties it pays are the organisation's register's
  await assertRegisterAgrees(trx, home.organisation_id, model);
  return { model, centralSource };
}

/**
 * A document that leaves `central` out takes the home's share of the organisation's pool for its
 * period (and the register's parties the pool pays), in place: 'pool'. Else 'model'.
 */
async function takeCentralFromPool(
  trx: Transaction<Database>,
  home: Selectable<HomesTable>,
  document: Document,
): Promise<'pool' | 'model'> {
  const period = submittedPeriod(document);
  // A start that is a string but not a date the service accepts is never looked up: the checks
  // of checkedModel name it (and the missing `central`).
  const start = typeof period?.start === 'string' ? period.start : undefined;
  if (document.central !== undefined || (start !== undefined && !isDateInRange(start))) return 'model';
  const pool = start !== undefined ? await findPool(trx, home.organisation_id, start) : undefined;
  if (!pool) {
    throw invalidField(
      '/central',
      'is required: there is no central cost pool for this organisation and period to take it from',
    );
  }
  const central = await centralFromPool(trx, pool, home.id, document);
  Object.assign(
    document,
    withPoolParties(document, central, await partiesByReference(trx, home.organisation_id), false),
  );
  return 'pool';
}

/** The document checked against the method's schema and the service's dates: every issue at once. */
function checkedModel(document: Document): CostModel {
  const period = submittedPeriod(document);
  const parsed = costModelSchema.safeParse(document);
  const issues = parsed.success ? [] : zodIssuesToFieldIssues(parsed.error);
  // The method's dates may be any year; the service stores those of 1900–2200 only (src/core/dates.ts).
  for (const field of ['start', 'end'] as const) {
    const value = typeof period === 'object' ? period[field] : undefined;
    const pointer = `/period/${field}`;
    if (
      typeof value === 'string' &&
      !isDateInRange(value) &&
      !issues.some((issue) => issue.pointer === pointer)
    )
      issues.push({ pointer, message: DATE_RANGE_MESSAGE });
  }
  if (!parsed.success || issues.length > 0) throw new DomainValidationError(issues);
  return parsed.data;
}

/** Starts a draft for a home the principal may see. */
export async function createCostModel(
  ctx: RequestContext,
  { homeId, document: submitted }: { homeId: string; document: Document },
): Promise<CostModelDraft> {
  const { principal } = ctx;
  const home = await visibleHome(ctx, homeId);
  return ctx.database.db.transaction().execute(async (trx) => {
    const { model, centralSource } = await prepare(trx, home, submitted);
    const row = await insertCostModel(trx, {
      homeId: home.id,
      organisationId: home.organisation_id,
      period: model.period,
      document: model,
      centralSource,
      actor: principal.actor,
    });
    const draft = toDraft(row);
    await recordAudit(trx, {
      principal,
      requestId: ctx.requestId,
      action: 'create',
      resourceType: 'cost_model',
      resourceId: draft.id,
      organisationId: draft.organisationId,
      after: draft,
    });
    return draft;
  });
}

/** Loads a draft the principal may see, or answers 404 (for a missing one and another tenant's alike). */
export async function visibleCostModel(ctx: RequestContext, id: string): Promise<CostModelRow> {
  const row = await findCostModel(ctx.database.db, id);
  if (!row) throw notFound('Cost model');
  assertOrganisation(ctx.principal, row.organisation_id, 'Cost model');
  return row;
}

/** A draft the principal may see, as served. */
export async function getCostModel(ctx: RequestContext, id: string): Promise<CostModelDraft> {
  return toDraft(await visibleCostModel(ctx, id));
}

/**
 * Replaces a draft's document (or changes it: a function of the current document), if it is still
 * at `expectedVersion` (else a StaleError).
 */
export async function replaceCostModel(
  ctx: RequestContext,
  {
    id,
    expectedVersion,
    submitted,
  }: { id: string; expectedVersion: number; submitted: Document | ((current: Document) => Document) },
): Promise<CostModelDraft> {
  const { principal } = ctx;
  const current = await visibleCostModel(ctx, id);
  return ctx.database.db.transaction().execute(async (trx) => {
    const home = await findHome(trx, current.home_id);
    if (!home) throw notFound('Home');
    let document = typeof submitted === 'function' ? submitted(current.document) : submitted;
    // A draft that takes its central block from the pool keeps doing so unless a change gives one.
    if (typeof submitted === 'function' && current.central_source === 'pool') {
      const { central: _drop, ...rest } = document;
      if (JSON.stringify(document.central) === JSON.stringify(current.document.central)) document = rest;
    }
    const { model, centralSource } = await prepare(trx, home, document);
    const row = await updateCostModelAt(trx, id, expectedVersion, {
      period: model.period,
      document: model,
      centralSource,
      actor: principal.actor,
    });
    if (!row) {
      const now = await findCostModel(trx, id);
      throw new StaleError(now?.version ?? expectedVersion);
    }
    const draft = toDraft(row);
    await recordAudit(trx, {
      principal,
      requestId: ctx.requestId,
      action: 'update',
      resourceType: 'cost_model',
      resourceId: id,
      organisationId: draft.organisationId,
      before: toDraft(current),
      after: draft,
    });
    return draft;
  });
}

/** RFC 7396 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const result: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target)
      ? { ...(target as Document) }
      : {};
  for (const [key, value] of Object.entries(patch as Document)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/**
 * The breakdown of a draft as it is now. Its document passed the method's schema when it was saved
 * (prepare), and a pool change only gives it another central block: the engine takes it as a
 * CostModel, and names anything it cannot price.
 */
export function priceDraft(row: Pick<CostModelRow, 'document'>): Breakdown {
  return quote(row.document as CostModel);
}

/** A draft the principal may see, priced without publishing it. */
export async function quoteCostModel(
  ctx: RequestContext,
  id: string,
): Promise<{ version: number; breakdown: Breakdown }> {
  const draft = await visibleCostModel(ctx, id);
  return { version: draft.version, breakdown: priceDraft(draft) };
}

/** A draft's quote as a live workbook (docs/workbooks.md), with the draft's version for its ETag. */
export async function draftQuoteWorkbook(
  ctx: RequestContext,
  id: string,
): Promise<{ version: number; body: Buffer; filename: string }> {
  const draft = await visibleCostModel(ctx, id);
  const breakdown = priceDraft(draft);
  const about = draftAbout(
    { id: draft.id, version: draft.version, homeId: draft.home_id },
    breakdown,
    draft.updated_at.toISOString().slice(0, 10),
  );
  return {
    version: draft.version,
    body: await breakdownWorkbook(draft.document, breakdown, about),
    filename: `draft-${draft.id.slice(0, 8)}-v${draft.version}-quote.xlsx`,
  };
}

/** Drafts, by id (a finance key: its organisation's only). */
export async function pageCostModels(
  ctx: RequestContext,
  query: {
    organisationId?: string | undefined;
    homeId?: string | undefined;
    periodStart?: string | undefined;
    cursor?: string | undefined;
    limit: number;
  },
) {
  const { principal } = ctx;
  const organisationId =
    principal.role === 'finance' ? (principal.organisationId ?? undefined) : query.organisationId;
  const afterId = query.cursor ? decodeCursor(query.cursor, ['uuid']) : undefined;
  const rows = await listCostModels(ctx.database.db, { ...query, organisationId, afterId: afterId?.[0] });
  return pageOf(rows, query.limit, toDraft, (draft) => [draft.id]);
}
