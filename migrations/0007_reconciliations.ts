import { type Kysely, sql } from 'kysely';

/**
 * Frozen year-end reconciliations: immutable, hashed and signed like fee schedules. The same figures
 * frozen twice hash alike, so the hash is not unique.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table reconciliations (
      id uuid primary key default gen_random_uuid(),
      organisation_id uuid not null references organisations (id),
      home_id uuid references homes (id),
      period_start date not null,
      period_end date not null,
      document jsonb not null,
      hash text not null,
      signature text not null,
      key_id text not null references signing_keys (key_id),
      created_by text not null,
      created_at timestamptz not null default now()
    )
  `.execute(db);
  await sql`
    create trigger reconciliations_append_only before update or delete on reconciliations
    for each row execute function refuse_change()
  `.execute(db);
}
