import { type Kysely, sql } from 'kysely';

/**
 * Issue 20, the commissioners' year. Index figures (CPI and the Real Living Wage; the statutory
 * National Living Wage ships in fixtures/indices), each council's framework uplift formula (a new
 * version at each change), the signed uplift notices issued when a home's new fee schedule is
 * published (one per council placing there), and their acknowledgements. All append-only: a figure,
 * a formula version, a notice or an acknowledgement is never changed or deleted.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table index_values (
      series text not null check (series in ('RLW', 'CPI')),
      date date not null,
      value numeric not null,
      source text not null,
      source_url text not null check (source_url ~ '^https?://'),
      recorded_by text not null,
      recorded_at timestamptz not null default now(),
      primary key (series, date)
    )
  `.execute(db);
  await sql`
    create table uplift_formulas (
      council_code text not null references councils (ons_code),
      version integer not null check (version >= 1),
      formula jsonb not null,
      recorded_by text not null,
      recorded_at timestamptz not null default now(),
      primary key (council_code, version)
    )
  `.execute(db);
  await sql`
    create table uplift_notices (
      id uuid primary key default gen_random_uuid(),
      council_code text not null references councils (ons_code),
      organisation_id uuid not null references organisations (id),
      home_id uuid not null references homes (id),
      schedule_id uuid not null references fee_schedules (id),
      previous_schedule_id uuid not null references fee_schedules (id),
      issued_on date not null,
      applies_from date not null,
      document jsonb not null,
      hash text not null,
      signature text not null,
      key_id text not null,
      created_at timestamptz not null default now(),
      unique (schedule_id, council_code)
    )
  `.execute(db);
  await sql`create index uplift_notices_council on uplift_notices (council_code, created_at)`.execute(db);
  await sql`create index uplift_notices_organisation on uplift_notices (organisation_id, created_at)`.execute(
    db,
  );
  await sql`create index uplift_notices_home on uplift_notices (home_id, council_code, applies_from)`.execute(
    db,
  );
  await sql`
    create table uplift_notice_acknowledgements (
      notice_id uuid primary key references uplift_notices (id),
      acknowledged_by text not null,
      acknowledged_by_key_id uuid,
      note text,
      acknowledged_at timestamptz not null default now()
    )
  `.execute(db);
  for (const table of [
    'index_values',
    'uplift_formulas',
    'uplift_notices',
    'uplift_notice_acknowledgements',
  ]) {
    await sql`
      create trigger ${sql.id(`${table}_append_only`)} before update or delete on ${sql.id(table)}
      for each row execute function refuse_change()
    `.execute(db);
    await sql`
      create trigger ${sql.id(`${table}_no_truncate`)} before truncate on ${sql.id(table)}
      for each statement execute function refuse_change()
    `.execute(db);
  }
}
