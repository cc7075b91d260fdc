import { type Insertable, type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { ApiKeysTable, Database } from '../../db/schema.js';
import type { ApiKey } from './schemas.js';

type Db = Kysely<Database> | Transaction<Database>;

export function toApiKey(row: Selectable<ApiKeysTable>): ApiKey {
  const iso = (value: Date | null) => (value ? new Date(value).toISOString() : null);
  return {
    id: row.id,
    prefix: `cpk_${row.prefix}`,
    role: row.role,
    organisationId: row.organisation_id,
    councils: row.councils,
    label: row.label,
    createdAt: row.created_at.toISOString(),
    createdBy: row.created_by,
    expiresAt: iso(row.expires_at),
    revokedAt: iso(row.revoked_at),
    lastUsedAt: iso(row.last_used_at),
  };
}

export async function findKeyByPrefix(db: Db, prefix: string) {
  return db.selectFrom('api_keys').selectAll().where('prefix', '=', prefix).executeTakeFirst();
}

export async function findKey(db: Db, id: string) {
  return db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Records use at most once a minute per key, so that reads do not turn into a write each. */
export async function touchKey(db: Db, id: string): Promise<void> {
  await db
    .updateTable('api_keys')
    .set({ last_used_at: sql`now()` })
    .where('id', '=', id)
    .where((eb) =>
      eb.or([
        eb('last_used_at', 'is', null),
        eb('last_used_at', '<', sql<Date>`now() - interval '1 minute'`),
      ]),
    )
    .execute();
}

export async function listKeys(db: Db, options: { afterId?: string | undefined; limit: number }) {
  let query = db
    .selectFrom('api_keys')
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(options.limit + 1);
  if (options.afterId) {
    // compared in the database, at its microsecond precision (a JavaScript Date has milliseconds)
    query = query.where(
      sql<boolean>`(created_at, id) < (select k.created_at, k.id from api_keys k where k.id = ${options.afterId})`,
    );
  }
  return query.execute();
}

export async function insertKey(
  db: Db,
  values: Omit<Insertable<ApiKeysTable>, 'id' | 'created_at' | 'revoked_at' | 'last_used_at'>,
) {
  return db.insertInto('api_keys').values(values).returningAll().executeTakeFirstOrThrow();
}

export async function markKeyRevoked(db: Db, id: string) {
  return db
    .updateTable('api_keys')
    .set({ revoked_at: new Date() }) // the wall clock: when the key stopped working
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}
