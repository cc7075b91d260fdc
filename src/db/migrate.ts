import { type Kysely, type MigrationResultSet, Migrator, sql } from 'kysely';
import { migrations } from '../../migrations/index.js';

/** Applies pending migrations (forward only). Throws with the failing migration's name. */
export async function migrateToLatest<DB>(db: Kysely<DB>): Promise<string[]> {
  // Kysely looks for its bookkeeping tables in every schema unless told which: name the one we are
  // in, so that databases sharing a server in other schemas (tests, benchmarks) never confuse it.
  const current = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  const migrator = new Migrator({
    db: db as unknown as Kysely<unknown>,
    provider: { getMigrations: async () => migrations },
    migrationTableSchema: current.rows[0]?.schema ?? 'public',
  });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    const cause = result.error instanceof Error ? result.error.message : String(result.error);
    // A role that owns nothing (the service's, on PostgreSQL) may not create or alter tables.
    const hint = /permission denied|must be owner/.test(cause)
      ? ": the connected role may not change the schema; run migrations as the tables' owner (MIGRATION_DATABASE_URL, docs/operations.md)"
      : '';
    throw new Error(`Migration ${failed} failed: ${cause}${hint}`, { cause: result.error });
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
