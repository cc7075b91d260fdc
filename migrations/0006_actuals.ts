import { type Kysely, sql } from 'kysely';

/**
 * Open-book actuals: what a home really spent, by month and by the method's codes. Each import of a
 * month is a new version; earlier versions are kept. The provider's own nominal codes map to the
 * method's codes through a per-organisation mapping.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table nominal_code_mappings (
      organisation_id uuid not null references organisations (id),
      nominal_code text not null,
      spec_code text not null,
      primary key (organisation_id, nominal_code)
    )
  `.execute(db);
  await sql`
    create table actuals_imports (
      id uuid primary key default gen_random_uuid(),
      batch_id uuid not null,
      organisation_id uuid not null references organisations (id),
      home_id uuid not null references homes (id),
      month date not null check (extract(day from month) = 1),
      version integer not null check (version >= 1),
      source text not null check (source in ('json', 'csv')),
      imported_by text not null,
      imported_at timestamptz not null default now(),
      unique (home_id, month, version)
    )
  `.execute(db);
  await sql`
    create table actual_amounts (
      import_id uuid not null references actuals_imports (id),
      line integer not null,
      code text not null,
      amount numeric(19, 2) not null,
      nominal_code text,
      description text,
      primary key (import_id, line)
    )
  `.execute(db);
  for (const table of ['actuals_imports', 'actual_amounts']) {
    await sql`
      create trigger ${sql.raw(`${table}_append_only`)} before update or delete on ${sql.table(table)}
      for each row execute function refuse_change()
    `.execute(db);
  }
}
