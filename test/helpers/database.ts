import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type DatabaseHandle, type Engine, openDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';

/**
 * Database tests run once per engine: always on PGlite, and on PostgreSQL too when
 * TEST_DATABASE_URL is set. Each test database is isolated: a fresh in-memory PGlite, or a
 * schema of its own on the server, dropped afterwards.
 */
export const engines: Engine[] = process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

export interface TestDatabase {
  handle: DatabaseHandle;
  databaseUrl?: string;
  schema?: string;
  /** Close the handle (if still open) and drop what was created. */
  cleanup(): Promise<void>;
}

export async function createTestDatabase(
  engine: Engine,
  options: { migrate?: boolean } = {},
): Promise<TestDatabase> {
  const migrate = options.migrate ?? true;
  if (engine === 'pglite') {
    const handle = await openDatabase({ dataDir: 'memory://' });
    if (migrate) await migrateToLatest(handle.db);
    return { handle, cleanup: () => handle.close() };
  }
  const databaseUrl = process.env.TEST_DATABASE_URL;
  if (!databaseUrl) throw new Error('TEST_DATABASE_URL is not set');
  const schema = `test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdmin(databaseUrl, (client) => client.query(`create schema ${schema}`));
  const handle = await openDatabase({ databaseUrl, searchPath: schema, poolMax: 5 });
  if (migrate) await migrateToLatest(handle.db);
  return {
    handle,
    databaseUrl,
    schema,
    async cleanup() {
      await handle.close();
      await withAdmin(databaseUrl, (client) => client.query(`drop schema if exists ${schema} cascade`));
    },
  };
}

async function withAdmin<T>(databaseUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A database of its own on the shared server, made afresh, for a test that runs the real service (which
 * takes no search_path from its environment).
 */
export async function ownDatabase(baseUrl: string, name: string) {
  const admin = async (statement: string) => {
    const connection = new pg.Client({ connectionString: baseUrl });
    await connection.connect();
    try {
      await connection.query(statement);
    } finally {
      await connection.end();
    }
  };
  await admin(`drop database if exists ${name} with (force)`);
  await admin(`create database ${name}`);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) };
}
