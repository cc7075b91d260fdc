import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { BENCH_API_KEY } from './harness.js';

/**
 * The app as `npm start` builds it, from the sources through tsx, on an in-memory PGlite (or
 * BENCH_DATABASE_URL + BENCH_SCHEMA, a seeded schema): for the benchmarks that time work (imports,
 * exports, probes beside them). The throughput benchmarks run the compiled service itself
 * (test/bench/service-process.ts). Prints its address, then serves.
 */
// Rate limits off (0): the benchmark measures the service, not the limiter's refusals.
const config = loadConfig({
  ...process.env,
  NODE_ENV: 'production',
  LOG_LEVEL: 'silent',
  ADMIN_API_KEY: BENCH_API_KEY,
  RATE_LIMIT_PER_MINUTE: '0',
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: '0',
});
// PGlite in memory by default; BENCH_DATABASE_URL (+ BENCH_SCHEMA) puts the service on a PostgreSQL server.
const database = await openDatabase(
  process.env.BENCH_DATABASE_URL
    ? { databaseUrl: process.env.BENCH_DATABASE_URL, searchPath: process.env.BENCH_SCHEMA, poolMax: 10 }
    : { dataDir: 'memory://' },
);
await migrateToLatest(database.db);
const app = await buildApp({ config, database });
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${address}\n`);
process.on('SIGTERM', () => {
  app.close().then(() => process.exit(0));
});
