import { type Kysely, sql } from 'kysely';

/** Signing keys (public halves only, kept after rotation) and each published schedule's proof. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table signing_keys (
      key_id text primary key,
      public_key text not null,
      algorithm text not null default 'Ed25519',
      created_at timestamptz not null default now()
    )
  `.execute(db);
  await sql`
    create table fee_schedule_proofs (
      schedule_id uuid primary key references fee_schedules (id),
      organisation_id uuid not null references organisations (id),
      sequence integer not null check (sequence >= 1),
      hash text not null unique,
      previous_hash text,
      signature text not null,
      key_id text not null references signing_keys (key_id),
      created_at timestamptz not null default now(),
      unique (organisation_id, sequence)
    )
  `.execute(db);
  for (const table of ['signing_keys', 'fee_schedule_proofs']) {
    await sql`
      create trigger ${sql.raw(`${table}_append_only`)} before update or delete on ${sql.table(table)}
      for each row execute function refuse_change()
    `.execute(db);
  }
}
