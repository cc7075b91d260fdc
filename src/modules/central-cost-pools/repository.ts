import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { CentralCostPoolsTable, Database, DraftDocument, StoredPoolLine } from '../../db/schema.js';
import type { Pool } from './schemas.js';

type Db = Kysely<Database> | Transaction<Database>;

export type PoolRow = Selectable<CentralCostPoolsTable>;

export function toPool(row: PoolRow): Pool {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    period: { label: row.period_label, start: row.period_start, end: row.period_end },
    basis: row.basis,
    lines: row.lines,
    totalAnnual: row.total_annual,
    version: row.version,
    updatedAt: row.updated_at.toISOString(),
  };
}

export async function findPool(db: Db, organisationId: string, periodStart: string) {
  return db
    .selectFrom('central_cost_pools')
    .selectAll()
    .where('organisation_id', '=', organisationId)
    .where('period_start', '=', periodStart)
    .executeTakeFirst();
}

/** What a pool holds beside its organisation and period start (which name it). */
export interface PoolValues {
  periodLabel: string;
  periodEnd: string;
  basis: PoolRow['basis'];
  lines: readonly StoredPoolLine[];
  totalAnnual: string;
}

export async function insertPool(
  db: Db,
  key: { organisationId: string; periodStart: string },
  values: PoolValues,
): Promise<PoolRow> {
  return db
    .insertInto('central_cost_pools')
    .values({
      organisation_id: key.organisationId,
      period_label: values.periodLabel,
      period_start: key.periodStart,
      period_end: values.periodEnd,
      basis: values.basis,
      lines: JSON.stringify(values.lines),
      total_annual: values.totalAnnual,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Replaces a pool's contents; its version becomes `version`. */
export async function updatePool(
  db: Db,
  id: string,
  values: PoolValues & { version: number },
): Promise<PoolRow> {
  return db
    .updateTable('central_cost_pools')
    .set({
      period_label: values.periodLabel,
      period_end: values.periodEnd,
      basis: values.basis,
      lines: JSON.stringify(values.lines),
      total_annual: values.totalAnnual,
      version: values.version,
      updated_at: new Date(), // the wall clock: when the row was written
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

// The drafts a pool's change refreshes (cost_models rows whose central block comes from the pool):
// read and rewritten here, so that pools depend on no other module and cost models on pools only.

/**
 * The documents of an organisation's drafts for a period (all homes', or all but one home's), the
 * latest changed first: what the staff FTE shares of a central pool are counted from.
 */
export async function draftDocumentsOfPeriod(
  db: Db,
  filter: { organisationId: string; periodStart: string; exceptHomeId?: string | undefined },
): Promise<Array<{ home_id: string; document: DraftDocument }>> {
  let query = db
    .selectFrom('cost_models')
    .select(['home_id', 'document'])
    .where('organisation_id', '=', filter.organisationId)
    .where('period_start', '=', filter.periodStart);
  if (filter.exceptHomeId !== undefined) query = query.where('home_id', '!=', filter.exceptHomeId);
  // of drafts changed at the same instant (refreshed together by a pool change), the later id first
  return query.orderBy('updated_at', 'desc').orderBy('id', 'desc').execute();
}

/** The drafts of an organisation's period that take their central block from its pool, by home name. */
export async function poolSourcedDrafts(db: Db, organisationId: string, periodStart: string) {
  return db
    .selectFrom('cost_models')
    .innerJoin('homes', 'homes.id', 'cost_models.home_id')
    .select([
      'cost_models.id',
      'cost_models.home_id',
      'cost_models.document',
      'cost_models.version',
      'homes.name',
    ])
    .where('cost_models.organisation_id', '=', organisationId)
    .where('cost_models.period_start', '=', periodStart)
    .where('cost_models.central_source', '=', 'pool')
    .orderBy('homes.name')
    .orderBy('cost_models.id')
    .execute();
}

/**
 * Gives each draft its new document in one statement: every row's version goes up by one, and each
 * is marked changed by `actor`, now (the wall clock: when the rows were written). The document's other columns (period, central source) stay.
 */
export async function rewriteDraftDocuments(
  db: Db,
  documents: ReadonlyArray<{ id: string; document: object }>,
  change: { actor: string },
): Promise<void> {
  if (documents.length === 0) return;
  const rows = sql.join(
    documents.map(({ id, document }) => sql`(${id}::uuid, ${JSON.stringify(document)}::jsonb)`),
  );
  await sql`
    update cost_models
    set document = v.document,
        version = cost_models.version + 1,
        updated_at = ${new Date()},
        updated_by = ${change.actor}
    from (values ${rows}) as v (id, document)
    where cost_models.id = v.id
  `.execute(db);
}
