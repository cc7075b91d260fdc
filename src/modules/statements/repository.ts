import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import { deferredFor } from '../fee-schedules/index.js';

type Db = Kysely<Database> | Transaction<Database>;

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
