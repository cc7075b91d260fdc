import type { Kysely, Selectable, Transaction } from 'kysely';
import type { CostModelsTable, Database } from '../../db/schema.js';
import type { CostModelDraft } from './schemas.js';

type Db = Kysely<Database> | Transaction<Database>;

export type CostModelRow = Selectable<CostModelsTable>;

export function toDraft(row: CostModelRow): CostModelDraft {
  return {
    id: row.id,
    homeId: row.home_id,
    organisationId: row.organisation_id,
    period: { label: row.period_label, start: row.period_start, end: row.period_end },
    version: row.version,
    centralSource: row.central_source,
    document: row.document,
    createdBy: row.created_by,
    updatedBy: row.updated_by,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export async function findCostModel(db: Db, id: string) {
  return db.selectFrom('cost_models').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listCostModels(
  db: Db,
  filter: {
    organisationId?: string | undefined;
    homeId?: string | undefined;
    periodStart?: string | undefined;
    afterId?: string | undefined;
    limit: number;
  },
) {
  let query = db
    .selectFrom('cost_models')
    .selectAll()
    .orderBy('id')
    .limit(filter.limit + 1);
  if (filter.organisationId) query = query.where('organisation_id', '=', filter.organisationId);
  if (filter.homeId) query = query.where('home_id', '=', filter.homeId);
  if (filter.periodStart) query = query.where('period_start', '=', filter.periodStart);
  if (filter.afterId) query = query.where('id', '>', filter.afterId);
  return query.execute();
}

/** What a draft's document says of itself, kept in columns beside it. */
export interface DraftValues {
  period: { label: string; start: string; end: string };
  /** The checked model, as it is stored. */
  document: object;
  centralSource: CostModelRow['central_source'];
}

export async function insertCostModel(
  db: Db,
  values: DraftValues & { homeId: string; organisationId: string; actor: string },
): Promise<CostModelRow> {
  return db
    .insertInto('cost_models')
    .values({
      home_id: values.homeId,
      organisation_id: values.organisationId,
      period_label: values.period.label,
      period_start: values.period.start,
      period_end: values.period.end,
      document: JSON.stringify(values.document),
      central_source: values.centralSource,
      created_by: values.actor,
      updated_by: values.actor,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Replaces a draft's document if it is still at `expectedVersion` (the optimistic lock: nobody
 * changed it since it was read); undefined when it is not.
 */
export async function updateCostModelAt(
  db: Db,
  id: string,
  expectedVersion: number,
  values: DraftValues & { actor: string },
): Promise<CostModelRow | undefined> {
  return db
    .updateTable('cost_models')
    .set({
      period_label: values.period.label,
      period_start: values.period.start,
      period_end: values.period.end,
      document: JSON.stringify(values.document),
      central_source: values.centralSource,
      version: expectedVersion + 1,
      updated_by: values.actor,
      updated_at: new Date(), // the wall clock: when the row was written
    })
    .where('id', '=', id)
    .where('version', '=', expectedVersion)
    .returningAll()
    .executeTakeFirst();
}
