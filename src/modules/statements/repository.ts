import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import { deferredFor } from '../fee-schedules/index.js';

type Db = Kysely<Database> | Transaction<Database>;

/** A council by its ONS code, with its name; undefined when it is not known here. */
export async function findCouncilNamed(db: Db, onsCode: string) {
  return db.selectFrom('councils').selectAll().where('ons_code', '=', onsCode).executeTakeFirst();
}

/** The names of these homes (any order). */
export async function homeNames(db: Db, homeIds: readonly string[]) {
  if (homeIds.length === 0) return [];
  return db
    .selectFrom('homes')
    .select(['id', 'name'])
    .where('id', 'in', [...homeIds])
    .execute();
}

/** Every fee schedule of these homes published for any day up to `to`, with what charging reads. */
export async function schedulesEffectiveBy(db: Db, homeIds: readonly string[], to: string) {
  if (homeIds.length === 0) return [];
  return db
    .selectFrom('fee_schedules')
    .select([
      'id',
      'home_id',
      'version',
      'period_label',
      'effective_from',
      'published_at',
      'weekly_fee_per_child',
      'model',
      'breakdown',
      deferredFor('fee_schedules'),
    ])
    .where('home_id', 'in', [...homeIds])
    .where('effective_from', '<=', to)
    .execute();
}
