import { type Kysely, sql } from 'kysely';

// One SQL statement per call: PGlite refuses several in one prepared statement.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table app_meta (
      key text primary key,
      value text not null,
      updated_at timestamptz not null default now()
    )
  `.execute(db);
  await sql`insert into app_meta (key, value) values ('pricing_method_version', '1')`.execute(db);
}
