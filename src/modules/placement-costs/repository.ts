import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** These homes' names and Ofsted URNs (null when not recorded), any order. */
export async function homesWithUrn(db: Db, homeIds: readonly string[]) {
  if (homeIds.length === 0) return [];
  return db
    .selectFrom('homes')
    .select(['id', 'name', 'ofsted_urn'])
    .where('id', 'in', [...homeIds])
    .execute();
}
