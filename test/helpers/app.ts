import type { FastifyInstance, InjectOptions } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config.js';
import type { Engine } from '../../src/db/database.js';
import { createTestDatabase, type TestDatabase } from './database.js';

/** The bootstrap admin key every test app is started with. */
export const TEST_ADMIN_KEY = 'test-admin-key-0123456789abcdef0123456789';
export const adminAuth = { authorization: `Bearer ${TEST_ADMIN_KEY}` } as const;

export interface TestApp {
  app: FastifyInstance;
  database: TestDatabase;
  config: Config;
  close(): Promise<void>;
}

/** A ready app on a fresh, migrated test database of the given engine. */
export interface TestAppOptions {
  env?: Record<string, string>;
  /** A logger to capture what the app logs. */
  logger?: Logger;
  /** Add test-only routes before the app is ready. */
  beforeReady?: (app: FastifyInstance) => void | Promise<void>;
  /** A fixed day for the app's clock (YYYY-MM-DD, noon in London), e.g. after a financial year ended. */
  today?: string;
}

export async function createTestApp(engine: Engine, options: TestAppOptions = {}): Promise<TestApp> {
  const { env = {}, logger, beforeReady, today } = options;
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ADMIN_API_KEY: TEST_ADMIN_KEY, ...env });
  const database = await createTestDatabase(engine);
  const app = await buildApp({
    config,
    database: database.handle,
    ...(logger ? { logger } : {}),
    ...(today ? { clock: () => new Date(`${today}T12:00:00Z`) } : {}),
  });
  await beforeReady?.(app);
  await app.ready();
  return {
    app,
    database,
    config,
    async close() {
      await app.close();
      await database.cleanup();
    },
  };
}

/** Setup, not the test: a request that must answer `status`; anything else throws with the answer. */
export async function injectOk(app: FastifyInstance, options: InjectOptions, status: number) {
  const response = await app.inject(options);
  if (response.statusCode !== status) {
    throw new Error(`${options.method ?? 'GET'} ${options.url} → ${response.statusCode}: ${response.body}`);
  }
  return response;
}
