import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * The organisations a transparency page lists, by name then id, and their homes likewise; only one
 * organisation's when `only` is given (a finance key's own).
 */
export async function listedOrganisations(db: Db, only: string | undefined) {
  let organisations = db.selectFrom('organisations').selectAll().orderBy('name').orderBy('id');
  let homes = db.selectFrom('homes').selectAll().orderBy('name').orderBy('id');
  if (only !== undefined) {
    organisations = organisations.where('id', '=', only);
    homes = homes.where('organisation_id', '=', only);
  }
  return { organisations: await organisations.execute(), homes: await homes.execute() };
}

/** A home's first fee schedule to come into force (the latest published of that day), or undefined. */
export async function firstSchedule(db: Db, homeId: string) {
  return db
    .selectFrom('fee_schedules')
    .selectAll()
    .where('home_id', '=', homeId)
    .orderBy('effective_from', 'asc')
    .orderBy('published_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** A home's name, or undefined when there is no such home. */
export async function homeName(db: Db, homeId: string): Promise<string | undefined> {
  const home = await db.selectFrom('homes').select('name').where('id', '=', homeId).executeTakeFirst();
  return home?.name;
}

/** An organisation's name (it must exist). */
export async function organisationName(db: Db, organisationId: string): Promise<string> {
  const organisation = await db
    .selectFrom('organisations')
    .select('name')
    .where('id', '=', organisationId)
    .executeTakeFirstOrThrow();
  return organisation.name;
}

/** The names of an organisation's homes, by id. */
export async function homeNamesOf(db: Db, organisationId: string): Promise<Map<string, string>> {
  const homes = await db
    .selectFrom('homes')
    .select(['id', 'name'])
    .where('organisation_id', '=', organisationId)
    .execute();
  return new Map(homes.map((home) => [home.id, home.name]));
}
