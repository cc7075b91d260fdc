import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, OrganisationsTable } from '../../db/schema.js';
import type { Organisation, OrganisationInput, OrganisationPolicy } from './schemas.js';

type Db = Kysely<Database> | Transaction<Database>;

export function toOrganisation(row: Selectable<OrganisationsTable>): Organisation {
  return {
    id: row.id,
    name: row.name,
    legalForm: row.legal_form as Organisation['legalForm'],
    companiesHouseNumber: row.companies_house_number,
    // numeric(9, 6) comes back padded ("0.050000"); publish it as entered
    surplusCapRate: row.surplus_cap_rate.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, ''),
    capScope: row.cap_scope,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export async function insertOrganisation(trx: Db, input: OrganisationInput) {
  return trx
    .insertInto('organisations')
    .values({
      name: input.name,
      legal_form: input.legalForm,
      companies_house_number: input.companiesHouseNumber ?? null,
      surplus_cap_rate: input.surplusCapRate,
      cap_scope: input.capScope,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findOrganisation(db: Db, id: string) {
  return db.selectFrom('organisations').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listOrganisations(
  db: Db,
  options: { onlyId?: string | undefined; after?: [string, string]; limit: number },
) {
  let query = db
    .selectFrom('organisations')
    .selectAll()
    .orderBy('name')
    .orderBy('id')
    .limit(options.limit + 1);
  if (options.onlyId) query = query.where('id', '=', options.onlyId);
  if (options.after) {
    const [name, id] = options.after;
    query = query.where((eb) =>
      eb.or([eb('name', '>', name), eb.and([eb('name', '=', name), eb('id', '>', id)])]),
    );
  }
  return query.execute();
}

/** Sets an organisation's policy; the row as it was and as it is now (undefined when there is none). */
export async function updateOrganisationPolicy(trx: Db, id: string, policy: OrganisationPolicy) {
  const before = await trx
    .selectFrom('organisations')
    .selectAll()
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
  if (!before) return undefined;
  const after = await trx
    .updateTable('organisations')
    .set({ cap_scope: policy.capScope, updated_at: new Date() }) // the wall clock: when the row was written
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return { before, after };
}
