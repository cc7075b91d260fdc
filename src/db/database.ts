import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import type { Database } from './schema.js';

export type Engine = 'pglite' | 'postgres';

export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly engine: Engine;
  /** Resolves when the database answers a trivial query, rejects otherwise. */
  ping(timeoutMs?: number): Promise<void>;
  /** Closes the pool or the embedded database; safe to call twice. */
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** A PostgreSQL server; without it the embedded PGlite is used. */
  databaseUrl?: string | undefined;
  /** PGlite data folder; `memory://` (or undefined) keeps it in memory. */
  dataDir?: string | undefined;
  /** PostgreSQL only: the schema to work in (tests give each file its own). */
  searchPath?: string | undefined;
  poolMax?: number;
  statementTimeoutMs?: number;
  connectTimeoutMs?: number;
  onPoolError?: (error: Error) => void;
}

// Type parity between the drivers: numeric (money), int8 and date come back as strings on both,
// so that no amount ever passes through a JavaScript number and no date through a time zone.
const INT8 = 20;
const NUMERIC = 1700;
const DATE = 1082;
const asString = (value: string) => value;

export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
}

export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<DatabaseHandle> {
  return options.databaseUrl ? openPostgres(options.databaseUrl, options) : openPglite(options.dataDir);
}

/**
 * PGlite is a database in this process: a second process opening the same folder would corrupt it.
 * A lock file holding the owner's pid keeps them apart; a lock left by a process that has died is taken over.
 */
function lockDataDir(dataDir: string): () => void {
  const lockFile = path.join(dataDir, 'service.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      return () => rmSync(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(lockFile, 'utf8'));
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new Error(
          `The database in ${dataDir} is in use by process ${owner}: stop it first (or use the API / DATABASE_URL)`,
        );
      }
      rmSync(lockFile, { force: true });
    }
  }
  throw new Error(`Could not lock ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function openPglite(dataDir: string | undefined): Promise<DatabaseHandle> {
  const inMemory = dataDir === undefined || dataDir.startsWith('memory://');
  if (!inMemory) mkdirSync(dataDir, { recursive: true });
  const unlock = inMemory ? () => {} : lockDataDir(dataDir);
  // One options object: PGlite ignores the options of `new PGlite(undefined, options)`.
  const pglite = new PGlite({
    ...(inMemory ? {} : { dataDir }),
    parsers: {
      [pgliteTypes.INT8]: asString,
      [pgliteTypes.NUMERIC]: asString,
      [pgliteTypes.DATE]: asString,
    },
  });
  try {
    await pglite.waitReady;
  } catch (error) {
    unlock();
    throw error;
  }
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  let closed = false;
  return {
    db,
    engine: 'pglite',
    async ping(timeoutMs = 2000) {
      if (closed || pglite.closed) throw new DatabaseUnavailableError('The embedded database is closed');
      await withTimeout(sql`select 1`.execute(db), timeoutMs);
    },
    async close() {
      if (closed) return;
      closed = true;
      // Kysely's destroy does not close PGlite; closing it releases the data folder cleanly.
      await db.destroy();
      if (!pglite.closed) await pglite.close();
      unlock();
    },
  };
}

async function openPostgres(url: string, options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  const runtimeParams = [`-c statement_timeout=${options.statementTimeoutMs ?? 15_000}`];
  if (options.searchPath) runtimeParams.push(`-c search_path=${options.searchPath}`);
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolMax ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    idleTimeoutMillis: 30_000,
    options: runtimeParams.join(' '),
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
        if (oid === INT8 || oid === NUMERIC || oid === DATE) return asString;
        return pg.types.getTypeParser(oid, format ?? 'text');
      }) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its connection (server restart) must not kill the process.
  pool.on('error', (error) => options.onPoolError?.(error));
  // The pool listens for errors on idle clients only. A client that is checked out but between
  // queries (inside a transaction, or while a streamed export holds it) emits 'error' when the server
  // goes away; with no listener that would end the process. The error also reaches the query that
  // next uses the client, and pg releases a broken client from the pool.
  pool.on('connect', (client) => {
    client.on('error', (error) => options.onPoolError?.(error));
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  let closed = false;
  return {
    db,
    engine: 'postgres',
    async ping(timeoutMs = 2000) {
      if (closed) throw new DatabaseUnavailableError('The database pool is closed');
      await withTimeout(sql`select 1`.execute(db), timeoutMs);
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy(); // ends the pool
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DatabaseUnavailableError(`No answer from the database in ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
