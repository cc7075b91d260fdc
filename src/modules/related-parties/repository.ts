import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, RelatedPartiesTable } from '../../db/schema.js';
import type { RelatedPartyRecord } from './schemas.js';

// Method v2 §6: the register of related parties. Every query on `related_parties` lives here.

type Db = Kysely<Database> | Transaction<Database>;
export type RelatedPartyRow = Selectable<RelatedPartiesTable>;

export function toRelatedParty(row: RelatedPartyRow): RelatedPartyRecord {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    reference: row.reference,
    name: row.name,
    companiesHouseNumber: row.companies_house_number,
    relationship: row.relationship,
    description: row.description,
    from: row.from_date,
    to: row.to_date,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export async function findRelatedParty(db: Db, id: string) {
  return db.selectFrom('related_parties').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Locks the party's row for a change (changes to one party queue on it). */
export async function lockRelatedParty(db: Db, id: string) {
  return db.selectFrom('related_parties').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

/** The organisation's parties by reference (the id models and actuals name), in reference order. */
export async function partiesByReference(
  db: Db,
  organisationId: string,
): Promise<Map<string, RelatedPartyRow>> {
  const rows = await db
    .selectFrom('related_parties')
    .selectAll()
    .where('organisation_id', '=', organisationId)
    .orderBy('reference')
    .execute();
  return new Map(rows.map((row) => [row.reference, row]));
}

export async function insertRelatedParty(
  db: Db,
  values: Omit<RelatedPartyRow, 'id' | 'version' | 'created_at' | 'updated_at'>,
) {
  return db.insertInto('related_parties').values(values).returningAll().executeTakeFirstOrThrow();
}

export async function updateRelatedParty(
  db: Db,
  id: string,
  values: Partial<
    Pick<
      RelatedPartyRow,
      'name' | 'companies_house_number' | 'relationship' | 'description' | 'from_date' | 'to_date'
    >
  > & { updated_by: string; version: number },
) {
  // when the row was written: the wall clock, not the request's business clock (tests fix that one)
  return db
    .updateTable('related_parties')
    .set({ ...values, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function listRelatedParties(
  db: Db,
  filter: { organisationId?: string | undefined; afterId?: string | undefined; limit: number },
) {
  let query = db
    .selectFrom('related_parties')
    .selectAll()
    .orderBy('id')
    .limit(filter.limit + 1);
  if (filter.organisationId) query = query.where('organisation_id', '=', filter.organisationId);
  if (filter.afterId) query = query.where('id', '>', filter.afterId);
  return query.execute();
}
