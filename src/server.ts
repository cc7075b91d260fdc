import path from 'node:path';
import closeWithGrace from 'close-with-grace';
import { pino } from 'pino';
import { ConfigError, loadConfig, redactUrl } from './config.js';
import { openDatabase } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { buildApp } from './http/app.js';
import { loggerOptions } from './http/logger.js';
import { registerSigningKey } from './modules/fee-schedules/proofs.js';
import { loadOrCreateSigningKey } from './modules/fee-schedules/signing.js';

/** Process entry: config → database → migrations → app → listen, and a graceful stop on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }

  const logger = pino(loggerOptions(config));
  const database = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.dataDir,
    poolMax: config.DATABASE_POOL_MAX,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
    onPoolError: (err) => logger.warn({ err }, 'database connection lost; the pool will reconnect'),
  });
  const where = config.DATABASE_URL ? redactUrl(config.DATABASE_URL) : `PGlite in ${config.dataDir}`;
  try {
    const applied = await migrateToLatest(database.db);
    logger.info(
      { database: where, applied },
      applied.length ? 'migrations applied' : 'database is up to date',
    );
  } catch (error) {
    logger.fatal({ err: error, database: where }, 'could not prepare the database');
    await database.close();
    process.exit(1);
  }

  const signingKeyFile = config.SIGNING_KEY_FILE ?? path.join(config.dataDir, 'signing-key.pem');
  const signingKey = loadOrCreateSigningKey(signingKeyFile);
  await registerSigningKey(database.db, signingKey);
  logger.info({ keyId: signingKey.keyId }, 'published fee schedules are signed with this key');
  const app = await buildApp({ config, database, logger, signingKey });

  closeWithGrace({ delay: config.SHUTDOWN_TIMEOUT_MS }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'stopping after an uncaught error');
    else logger.info({ signal }, 'stopping: finishing in-flight requests');
    await app.close(); // stops accepting, lets requests finish, then closes the database (onClose)
    logger.info('stopped');
  });

  await app.listen({ host: config.HOST, port: config.PORT });
}

main().catch((error: unknown) => {
  process.stderr.write(`Could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
