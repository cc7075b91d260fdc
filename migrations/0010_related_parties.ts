import { type Kysely, sql } from 'kysely';

/**
 * Method v2 §6: each organisation's register of related parties (the people and bodies a cost model
 * may pay: a landlord under common control, a parent charging a management fee …). A party is named
 * by its `reference`, the id cost models (`relatedParties[].id`) and actual spending rows
 * (`related_party`) use. Parties are changed and ended, never deleted: a trigger refuses DELETE.
 * Every change is in the audit trail with the row before and after.
 *
 * Actual spending rows may name a party of the register (§7: what was paid to it is tested against
 * the market amounts of the fee schedules in force).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table related_parties (
      id uuid primary key default gen_random_uuid(),
      organisation_id uuid not null references organisations (id),
      reference text not null check (reference ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$'),
      name text not null,
      companies_house_number text,
      relationship text not null check (relationship in (
        'parent', 'subsidiary', 'common_control', 'director_or_trustee', 'key_personnel',
        'family_of_key_personnel', 'other'
      )),
      description text not null,
      from_date date not null,
      to_date date check (to_date is null or to_date >= from_date),
      version integer not null default 1,
      created_by text not null,
      updated_by text not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (organisation_id, reference)
    )
  `.execute(db);
  await sql`
    create function refuse_delete() returns trigger language plpgsql as $$
    begin
      raise exception '% rows are never deleted: end them instead', tg_table_name
        using errcode = 'restrict_violation';
    end
    $$
  `.execute(db);
  await sql`
    create trigger related_parties_never_deleted before delete on related_parties
    for each row execute function refuse_delete()
  `.execute(db);
  await sql`alter table actual_amounts add column related_party text`.execute(db);
  // the service now prices by version 2 of the method (version 1 models price as before)
  await sql`update app_meta set value = '2' where key = 'pricing_method_version'`.execute(db);
}
