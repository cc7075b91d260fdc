import type { Insertable, Kysely, Transaction } from 'kysely';
import type { Database, ReconciliationsTable } from '../../db/schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** True when the home is one of the organisation's. */
export async function isHomeOf(db: Db, homeId: string, organisationId: string): Promise<boolean> {
  const home = await db
    .selectFrom('homes')
    .select('id')
    .where('id', '=', homeId)
    .where('organisation_id', '=', organisationId)
    .executeTakeFirst();
  return home !== undefined;
}

/** The dates of a pricing period of a home's fee schedules, by its label; undefined when it has none. */
export async function pricingPeriod(db: Db, homeId: string, label: string) {
  return db
    .selectFrom('fee_schedules')
    .select(['period_start', 'period_end'])
    .where('home_id', '=', homeId)
    .where('period_label', '=', label)
    .executeTakeFirst();
}

/** Locks the organisation's row: freezes of one organisation queue here. */
export async function lockOrganisation(trx: Transaction<Database>, organisationId: string): Promise<void> {
  await trx
    .selectFrom('organisations')
    .select('id')
    .where('id', '=', organisationId)
    .forUpdate()
    .executeTakeFirst();
}

/**
 * The latest reconciliation of a scope and period that nothing supersedes yet (the one a new freeze
 * supersedes), or undefined.
 */
export async function latestReconciliationOf(
  db: Db,
  scope: { organisationId: string; homeId?: string | undefined; from: string; to: string },
): Promise<{ id: string } | undefined> {
  return db
    .selectFrom('reconciliations as r')
    .select('r.id')
    .where('r.organisation_id', '=', scope.organisationId)
    .where((eb) => (scope.homeId ? eb('r.home_id', '=', scope.homeId) : eb('r.home_id', 'is', null)))
    .where('r.period_start', '=', scope.from)
    .where('r.period_end', '=', scope.to)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('reconciliations as later').select('later.id').whereRef('later.supersedes', '=', 'r.id'),
        ),
      ),
    )
    .orderBy('r.created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** Stores a frozen reconciliation; returns the row as stored. */
export async function insertReconciliation(
  trx: Transaction<Database>,
  values: Insertable<ReconciliationsTable>,
) {
  return trx.insertInto('reconciliations').values(values).returningAll().executeTakeFirstOrThrow();
}

export async function findReconciliationRow(db: Db, id: string) {
  return db.selectFrom('reconciliations').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The id of the reconciliation that supersedes this one, or undefined. */
export async function successorOf(db: Db, id: string): Promise<string | undefined> {
  const successor = await db
    .selectFrom('reconciliations')
    .select('id')
    .where('supersedes', '=', id)
    .executeTakeFirst();
  return successor?.id;
}
