import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { buildApp } from '../../src/http/app.js';

/**
 * The service as `npm start` builds it (on an in-memory PGlite), plus a hello-world route that
 * is the baseline of every HTTP benchmark in the same run. Prints its address, then serves.
 */
const config = loadConfig({ ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'silent' });
const database = await openDatabase({ dataDir: 'memory://' });
await migrateToLatest(database.db);
const app = await buildApp({ config, database });
app.get('/bench/hello', { schema: { hide: true } }, async () => ({ hello: 'world' }));
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${address}\n`);
process.on('SIGTERM', () => {
  app.close().then(() => process.exit(0));
});
