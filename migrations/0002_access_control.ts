import { type Kysely, sql } from 'kysely';

/**
 * Organisations (the providers whose data a finance key may touch), API keys (only a hash of each
 * secret is kept) and the append-only audit trail. One SQL statement per call (PGlite).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table organisations (
      id uuid primary key default gen_random_uuid(),
      name text not null,
      legal_form text not null,
      companies_house_number text,
      surplus_cap_rate numeric(9, 6) not null default 0.05
        check (surplus_cap_rate >= 0 and surplus_cap_rate <= 1),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )
  `.execute(db);
  await sql`create unique index organisations_companies_house_number on organisations (companies_house_number)`.execute(
    db,
  );

  await sql`
    create table api_keys (
      id uuid primary key default gen_random_uuid(),
      prefix text not null unique,
      secret_hash text not null,
      role text not null check (role in ('admin', 'finance', 'commissioner', 'regulator')),
      organisation_id uuid references organisations (id),
      councils text[] not null default '{}',
      label text not null,
      created_at timestamptz not null default now(),
      created_by text not null,
      expires_at timestamptz,
      revoked_at timestamptz,
      last_used_at timestamptz,
      check ((role = 'finance') = (organisation_id is not null)),
      check ((role = 'commissioner') = (cardinality(councils) > 0))
    )
  `.execute(db);

  await sql`
    create table audit_events (
      id bigserial primary key,
      occurred_at timestamptz not null default now(),
      actor text not null,
      actor_key_id uuid,
      actor_role text not null,
      organisation_id uuid,
      action text not null,
      resource_type text not null,
      resource_id text not null,
      request_id text,
      before jsonb,
      after jsonb
    )
  `.execute(db);
  await sql`create index audit_events_organisation on audit_events (organisation_id, id)`.execute(db);
  await sql`create index audit_events_resource on audit_events (resource_type, resource_id, id)`.execute(db);

  // Immutability in the schema: the database itself refuses to change or remove what is recorded.
  await sql`
    create function refuse_change() returns trigger language plpgsql as $$
    begin
      raise exception '% is append-only: % refused', tg_table_name, tg_op using errcode = '42501';
    end
    $$
  `.execute(db);
  await sql`
    create trigger audit_events_append_only before update or delete on audit_events
    for each row execute function refuse_change()
  `.execute(db);
  await sql`
    create trigger audit_events_no_truncate before truncate on audit_events
    for each statement execute function refuse_change()
  `.execute(db);
}
