import { type Kysely, sql } from 'kysely';

/**
 * Placements: a council's child in a home, known only by the council's pseudonymous reference.
 * `placements` holds what never changes; every change (an end, a correction, an enhancement) is a new
 * row of `placement_versions`, and the database refuses to edit or delete either.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table placements (
      id uuid primary key default gen_random_uuid(),
      organisation_id uuid not null references organisations (id),
      council_code text not null references councils (ons_code),
      reference text not null,
      moved_from uuid references placements (id),
      created_at timestamptz not null default now(),
      created_by text not null
    )
  `.execute(db);
  await sql`create index placements_council on placements (council_code, id)`.execute(db);
  await sql`create index placements_organisation on placements (organisation_id, id)`.execute(db);
  await sql`
    create table placement_versions (
      placement_id uuid not null references placements (id),
      version integer not null check (version >= 1),
      home_id uuid not null references homes (id),
      start_date date not null,
      end_date date check (end_date is null or end_date >= start_date),
      enhancements jsonb not null,
      action text not null check (action in ('create', 'end', 'move', 'correct', 'enhance')),
      note text,
      recorded_at timestamptz not null default now(),
      recorded_by text not null,
      primary key (placement_id, version)
    )
  `.execute(db);
  await sql`create index placement_versions_home on placement_versions (home_id)`.execute(db);
  for (const table of ['placements', 'placement_versions']) {
    await sql`
      create trigger ${sql.raw(`${table}_append_only`)} before update or delete on ${sql.table(table)}
      for each row execute function refuse_change()
    `.execute(db);
  }
}
