import { type Kysely, sql } from 'kysely';

/**
 * Issue 21, scenario planning. A finance team's saved "what if" on a draft: its name and the
 * request (changes, grids, break-even fee), never its figures, which are worked out again from the
 * draft as it is each time the scenario is read. Append-only: a saved scenario is never changed (save
 * another under a new name).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table scenarios (
      id uuid primary key default gen_random_uuid(),
      organisation_id uuid not null references organisations (id),
      cost_model_id uuid not null references cost_models (id),
      name text not null check (length(name) between 1 and 200),
      spec jsonb not null,
      saved_against_version integer not null check (saved_against_version >= 1),
      created_by text not null,
      created_at timestamptz not null default now()
    )
  `.execute(db);
  await sql`create index scenarios_cost_model on scenarios (cost_model_id, created_at)`.execute(db);
  await sql`
    create trigger scenarios_append_only before update or delete on scenarios
    for each row execute function refuse_change()
  `.execute(db);
  await sql`
    create trigger scenarios_no_truncate before truncate on scenarios
    for each statement execute function refuse_change()
  `.execute(db);
}
