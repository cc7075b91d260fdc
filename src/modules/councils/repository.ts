import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Every council known here, by name. */
export async function listCouncils(db: Db) {
  return db.selectFrom('councils').select(['ons_code', 'name']).orderBy('name').execute();
}

/** A council by its ONS code, with its name; undefined when it is not known here. */
export async function findCouncil(db: Db, onsCode: string) {
  return db
    .selectFrom('councils')
    .select(['ons_code', 'name'])
    .where('ons_code', '=', onsCode)
    .executeTakeFirst();
}

/** Adds a council; undefined when one with this code exists already (nothing is changed then). */
export async function insertCouncil(db: Db, council: { onsCode: string; name: string }) {
  return db
    .insertInto('councils')
    .values({ ons_code: council.onsCode, name: council.name })
    .onConflict((oc) => oc.doNothing())
    .returning('ons_code')
    .executeTakeFirst();
}
