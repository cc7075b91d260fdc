import type { Kysely, Selectable, Transaction } from 'kysely';
import type { CostModelsTable, Database } from '../../db/schema.js';
import type { CostModelDraft } from './schemas.js';

type Db = Kysely<Database> | Transaction<Database>;

export function toDraft(row: Selectable<CostModelsTable>): CostModelDraft {
  return {
    id: row.id,
    homeId: row.home_id,
    organisationId: row.organisation_id,
    period: { label: row.period_label, start: row.period_start, end: row.period_end },
    version: row.version,
    centralSource: row.central_source,
    document: row.document as Record<string, unknown>,
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
