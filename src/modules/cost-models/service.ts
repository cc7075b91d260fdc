import type { Selectable, Transaction } from 'kysely';
import type { DatabaseHandle } from '../../db/database.js';
import type { Database, HomesTable } from '../../db/schema.js';
import { DomainValidationError, zodIssuesToFieldIssues } from '../../domain/errors.js';
import { type Breakdown, type CostModel, costModelSchema } from '../../domain/pricing/index.js';
import { assertOrganisation, notFound, type Principal } from '../../http/auth.js';
import { stale } from '../../http/conditional.js';
import { DATE_RANGE_MESSAGE, isDateInRange } from '../../http/dates.js';
import { invalidField } from '../../http/errors.js';
import { decodeCursor, pageOf } from '../../http/paging.js';
import { recordAudit } from '../audit/repository.js';
import { centralFromPool, findPool, withPoolParties } from '../central-cost-pools/service.js';
import { findHome } from '../homes/repository.js';
import { visibleHome } from '../homes/service.js';
import { findOrganisation } from '../organisations/repository.js';
import { quote } from '../quotes/service.js';
import { partiesByReference } from '../related-parties/repository.js';
import { assertRegisterAgrees } from '../related-parties/service.js';
import { findCostModel, listCostModels, toDraft } from './repository.js';
import type { CostModelDraft } from './schemas.js';

type Document = Record<string, unknown>;

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
  let centralSource: 'pool' | 'model' = 'model';
  const period = (document.period ?? undefined) as { start?: unknown; end?: unknown } | undefined;
  // A start that is a string but not a date the service accepts is never looked up: the checks
  // below name it (and the missing `central`).
  const start = typeof period?.start === 'string' ? period.start : undefined;
  if (document.central === undefined && (start === undefined || isDateInRange(start))) {
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
    centralSource = 'pool';
  }
  const parsed = costModelSchema.safeParse(document);
  const issues = parsed.success ? [] : zodIssuesToFieldIssues(parsed.error);
  // The method's dates may be any year; the service stores those of 1900–2200 only (src/http/dates.ts).
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
  quote(parsed.data); // throws DomainValidationError for what only the engine can tell (an unknown ratesFrom year)
  // §6 the parties it pays are the organisation's register's
  await assertRegisterAgrees(trx, home.organisation_id, parsed.data);
  return { model: parsed.data, centralSource };
}

export async function createCostModel(
  database: DatabaseHandle,
  principal: Principal,
  requestId: string,
  homeId: string,
  submitted: Document,
): Promise<CostModelDraft> {
  const home = await visibleHome(database, principal, homeId);
  return database.db.transaction().execute(async (trx) => {
    const { model, centralSource } = await prepare(trx, home, submitted);
    const row = await trx
      .insertInto('cost_models')
      .values({
        home_id: home.id,
        organisation_id: home.organisation_id,
        period_label: model.period.label,
        period_start: model.period.start,
        period_end: model.period.end,
        document: JSON.stringify(model),
        central_source: centralSource,
        created_by: principal.actor,
        updated_by: principal.actor,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const draft = toDraft(row);
    await recordAudit(trx, {
      principal,
      requestId,
      action: 'create',
      resourceType: 'cost_model',
      resourceId: draft.id,
      organisationId: draft.organisationId,
      after: draft,
    });
    return draft;
  });
}

export async function visibleCostModel(database: DatabaseHandle, principal: Principal, id: string) {
  const row = await findCostModel(database.db, id);
  if (!row) throw notFound('Cost model');
  assertOrganisation(principal, row.organisation_id, 'Cost model');
  return row;
}

/** Replaces a draft's document, if it is still at `expectedVersion` (else 412). */
export async function replaceCostModel(
  database: DatabaseHandle,
  principal: Principal,
  requestId: string,
  id: string,
  expectedVersion: number,
  submitted: Document | ((current: Document) => Document),
): Promise<CostModelDraft> {
  const current = await visibleCostModel(database, principal, id);
  return database.db.transaction().execute(async (trx) => {
    const home = await findHome(trx, current.home_id);
    if (!home) throw notFound('Home');
    let document = typeof submitted === 'function' ? submitted(current.document as Document) : submitted;
    // A draft that takes its central block from the pool keeps doing so unless a change gives one.
    if (typeof submitted === 'function' && current.central_source === 'pool') {
      const { central: _drop, ...rest } = document;
      if (JSON.stringify(document.central) === JSON.stringify((current.document as Document).central))
        document = rest;
    }
    const { model, centralSource } = await prepare(trx, home, document);
    const row = await trx
      .updateTable('cost_models')
      .set({
        period_label: model.period.label,
        period_start: model.period.start,
        period_end: model.period.end,
        document: JSON.stringify(model),
        central_source: centralSource,
        version: expectedVersion + 1,
        updated_by: principal.actor,
        updated_at: new Date(),
      })
      .where('id', '=', id)
      .where('version', '=', expectedVersion) // the optimistic lock: nobody changed it since it was read
      .returningAll()
      .executeTakeFirst();
    if (!row) {
      const now = await findCostModel(trx, id);
      throw stale(now?.version ?? expectedVersion);
    }
    const draft = toDraft(row);
    await recordAudit(trx, {
      principal,
      requestId,
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

export function priceDraft(row: { document: unknown }): Breakdown {
  return quote(row.document as CostModel);
}

export async function pageCostModels(
  database: DatabaseHandle,
  principal: Principal,
  query: {
    organisationId?: string | undefined;
    homeId?: string | undefined;
    periodStart?: string | undefined;
    cursor?: string | undefined;
    limit: number;
  },
) {
  const organisationId =
    principal.role === 'finance' ? (principal.organisationId ?? undefined) : query.organisationId;
  const afterId = query.cursor ? decodeCursor(query.cursor, ['uuid'])[0] : undefined;
  const rows = await listCostModels(database.db, { ...query, organisationId, afterId });
  return pageOf(rows, query.limit, toDraft, (draft) => [draft.id]);
}
