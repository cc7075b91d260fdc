import path from 'node:path';
import { performance } from 'node:perf_hooks';
import closeWithGrace from 'close-with-grace';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import { type Config, ConfigError, loadConfig, redactUrl } from './config.js';
import {
  type DatabaseHandle,
  type DatabaseNotice,
  type DataDirLock,
  lockDataDir,
  openDatabase,
} from './db/database.js';
import { prepareSchema } from './db/roles.js';
import { collectStartupGarbage, StartupError, startupSteps } from './db/startup.js';
import { createLogger } from './http/logger.js';
import { PGLITE_TEMPLATE_DIR } from './paths.js';

/**
 * Process entry: config → data folder lock (PGlite) → database → migrations → signing key → app →
 * listen, each step logged with its duration and bounded by STARTUP_TIMEOUT_MS; then a graceful stop
 * on SIGTERM/SIGINT.
 */
async function main(): Promise<void> {
  // Whatever this process creates (PGlite's files, the signing key) is readable by its OS user only.
  process.umask(0o077);
  const configStarted = performance.now();
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }

  const logger = createLogger(config);
  const startup = startupSteps(logger, { timeoutMs: config.STARTUP_TIMEOUT_MS });
  const engine = config.DATABASE_URL ? 'postgres' : 'pglite';
  // sinceProcessStartMs: Node.js's own start and loading (compiling) the modules, before any step;
  // the app's own modules are loaded later, in 'signing key' and 'app built' (see there).
  startup.record('config loaded', Math.round(performance.now() - configStarted), {
    engine,
    sinceProcessStartMs: Math.round(process.uptime() * 1000),
  });
  const where = config.DATABASE_URL ? redactUrl(config.DATABASE_URL) : `PGlite in ${config.dataDir}`;
  const notice = ({ level, message, ...details }: DatabaseNotice) => logger[level](details, message);

  let lock: DataDirLock | undefined;
  let database: DatabaseHandle | undefined;
  let app: FastifyInstance | undefined;
  try {
    if (!config.DATABASE_URL) {
      const dataDir = config.dataDir;
      lock = await startup.run(
        'data folder locked',
        () => lockDataDir(dataDir, notice),
        () => ({ dataDir }),
      );
    }
    const opened = await startup.run(
      'database open',
      async () => {
        const handle = await openDatabase({
          databaseUrl: config.DATABASE_URL,
          dataDir: config.dataDir,
          pgliteTemplate: PGLITE_TEMPLATE_DIR,
          dataDirLock: lock,
          poolMax: config.DATABASE_POOL_MAX,
          statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
          idleInTransactionTimeoutMs: config.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
          connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
          onPoolError: (err) => logger.warn({ err }, 'database connection lost; the pool will reconnect'),
          onNotice: notice,
        });
        database = handle;
        // The pool connects lazily: connect now, so that a server that does not answer is this step's.
        if (handle.engine === 'postgres') await sql`select 1`.execute(handle.db);
        return handle;
      },
      () => ({ database: where }),
    );
    lock = undefined; // the handle owns it now, and releases it on close

    await startup.run(
      'migrations',
      () => migrate(config, opened, logger),
      (result) => result,
    );

    const signingKeyFile = config.SIGNING_KEY_FILE ?? path.join(config.dataDir, 'signing-key.pem');
    const signingKey = await startup.run(
      'signing key',
      async () => {
        // The app's modules are loaded once the database is open and migrated: opening PGlite (and on a
        // new folder without the build's template, initdb) is the peak of the process's memory, and
        // loaded before it they added about 12 MB to that peak.
        const { loadOrCreateSigningKey, registerSigningKey } = await import(
          './modules/fee-schedules/index.js'
        );
        const key = loadOrCreateSigningKey(signingKeyFile);
        await registerSigningKey(opened.db, key);
        return key;
      },
      (key) => ({ keyId: key.keyId }),
    );

    const built = await startup.run('app built', async () => {
      const { buildApp } = await import('./app.js');
      const instance = await buildApp({ config, database: opened, logger, signingKey });
      await collectStartupGarbage();
      return instance;
    });
    app = built;

    closeWithGrace({ delay: config.SHUTDOWN_TIMEOUT_MS }, async ({ signal, err }) => {
      if (err) logger.error({ err }, 'stopping after an uncaught error');
      else logger.info({ signal }, 'stopping: finishing in-flight requests');
      await built.close(); // stops accepting, lets requests finish, then closes the database (onClose)
      logger.info('stopped');
    });

    await startup.run(
      'listening',
      () => built.listen({ host: config.HOST, port: config.PORT }),
      (address) => ({ address }),
    );
  } catch (error) {
    // A StartupError has been logged (fatal, with its step); anything else is unexpected.
    if (!(error instanceof StartupError)) logger.fatal({ err: error }, 'could not start');
    process.stderr.write(`Could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    startup.finish();
    // Release what was taken, briefly: a database that stalled start-up may not close either.
    const openedDatabase = database as DatabaseHandle | undefined;
    await bounded(app ? app.close() : openedDatabase?.close(), 2_000);
    (lock as DataDirLock | undefined)?.release();
    process.exit(1);
  } finally {
    startup.finish();
  }
}

/** Migrations (as the owner when MIGRATION_DATABASE_URL is set), and a `warn` when the service's role could alter its own tables. */
async function migrate(
  config: Config,
  database: DatabaseHandle,
  logger: Logger,
): Promise<Record<string, unknown>> {
  const { applied, owner, privileges } = await prepareSchema(database, {
    migrationUrl: config.MIGRATION_DATABASE_URL,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    idleInTransactionTimeoutMs: config.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
  });
  if (privileges && privileges.problems.length > 0) {
    logger.warn(
      { role: privileges.role, schema: privileges.schema, problems: privileges.problems },
      `the service's database role "${privileges.role}" can alter its own tables (${privileges.problems.join('; ')}): ` +
        'the append-only history is only as safe as its credentials. Migrate as an owner role and run the ' +
        'service as a role that owns nothing (MIGRATION_DATABASE_URL, `npm run cli -- db roles`, docs/operations.md)',
    );
  }
  return owner
    ? {
        applied,
        migratedAs: owner.ownerRole,
        serviceRole: owner.grants.serviceRole,
        appendOnlyTables: owner.grants.appendOnly.length,
        mutableTables: owner.grants.mutable.length,
      }
    : { applied };
}

async function bounded(promise: Promise<unknown> | undefined, ms: number): Promise<void> {
  if (!promise) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise.catch(() => {}),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

main().catch((error: unknown) => {
  process.stderr.write(`Could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
