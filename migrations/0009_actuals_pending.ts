import { type Kysely, sql } from 'kysely';

/**
 * Imports of actual spending are written in short steps, so that a 100,000-row file never holds the
 * database (on PGlite, its only connection) for the whole of its length. While an import is being
 * written its batch is listed here, and every reader leaves it out; the import's last, short
 * transaction removes the row, and the whole import becomes visible at once. A batch that never
 * finished (the service stopped mid-write) stays listed, and so stays invisible: its version numbers
 * are never reused.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table actuals_pending (
      batch_id uuid primary key,
      home_id uuid not null references homes (id),
      started_at timestamptz not null default now()
    )
  `.execute(db);
}
