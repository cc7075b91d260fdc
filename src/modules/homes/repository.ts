import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, HomesTable } from '../../db/schema.js';
import type { Home } from './schemas.js';

type Db = Kysely<Database> | Transaction<Database>;

export function toHome(row: Selectable<HomesTable>): Home {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    name: row.name,
    ofstedUrn: row.ofsted_urn,
    hostCouncil: row.host_council,
    registeredPlaces: row.registered_places,
    openedOn: row.opened_on,
    closedOn: row.closed_on,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export async function findHome(db: Db, id: string) {
  return db.selectFrom('homes').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The organisation's homes open at some time in [start, end]. */
/** These homes' names and Ofsted URNs (null when not recorded), any order. */
export async function homesById(db: Db, homeIds: readonly string[]) {
  if (homeIds.length === 0) return [];
  return db
    .selectFrom('homes')
    .select(['id', 'name', 'ofsted_urn'])
    .where('id', 'in', [...homeIds])
    .execute();
}

export async function homesOpenIn(db: Db, organisationId: string, start: string, end: string) {
  return db
    .selectFrom('homes')
    .selectAll()
    .where('organisation_id', '=', organisationId)
    .where('opened_on', '<=', end)
    .where((eb) => eb.or([eb('closed_on', 'is', null), eb('closed_on', '>=', start)]))
    .orderBy('id')
    .execute();
}

export async function listHomes(
  db: Db,
  filter: {
    organisationId?: string | undefined;
    hostCouncil?: string | undefined;
    afterId?: string | undefined;
    limit: number;
  },
) {
  let query = db
    .selectFrom('homes')
    .selectAll()
    .orderBy('id')
    .limit(filter.limit + 1);
  if (filter.organisationId) query = query.where('organisation_id', '=', filter.organisationId);
  if (filter.hostCouncil) query = query.where('host_council', '=', filter.hostCouncil);
  if (filter.afterId) query = query.where('id', '>', filter.afterId);
  return query.execute();
}

export async function insertHome(
  db: Db,
  values: Pick<
    Selectable<HomesTable>,
    | 'organisation_id'
    | 'name'
    | 'ofsted_urn'
    | 'host_council'
    | 'registered_places'
    | 'opened_on'
    | 'closed_on'
  >,
) {
  return db.insertInto('homes').values(values).returningAll().executeTakeFirstOrThrow();
}

export async function updateHomeRow(
  db: Db,
  id: string,
  values: Partial<Pick<Selectable<HomesTable>, 'name' | 'ofsted_urn' | 'registered_places' | 'closed_on'>>,
) {
  // when the row was written: the wall clock, not the request's business clock (tests fix that one)
  return db
    .updateTable('homes')
    .set({ ...values, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}
