import { type Kysely, sql } from 'kysely';

/**
 * The year-end settlement (method §7): each organisation's scope of the surplus cap, and frozen
 * reconciliations that say which rule made them (1 for those frozen before this migration) and which
 * earlier reconciliation of the same period they supersede (one successor each).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table organisations add column cap_scope text not null default 'organisation'
      check (cap_scope in ('organisation', 'home'))
  `.execute(db);
  await sql`alter table reconciliations add column rule_version integer not null default 1`.execute(db);
  await sql`alter table reconciliations add column supersedes uuid references reconciliations (id)`.execute(
    db,
  );
  await sql`
    create unique index reconciliations_one_successor on reconciliations (supersedes) where supersedes is not null
  `.execute(db);
}
