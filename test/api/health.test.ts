import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { engines } from '../helpers/database.js';

describe.each(engines)('health on %s', (engine) => {
  let testApp: TestApp | undefined;
  afterEach(async () => {
    await testApp?.close();
    testApp = undefined;
  });

  it('is live and ready when the database answers', async () => {
    testApp = await createTestApp(engine);
    const live = await testApp.app.inject({ url: '/health/live' });
    expect(live.statusCode).toBe(200);
    expect(live.json()).toEqual({ status: 'live' });
    const ready = await testApp.app.inject({ url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', database: engine });
    expect(ready.headers['x-request-id']).toBeTruthy();
    // Helmet's security headers on every response
    expect(ready.headers['x-content-type-options']).toBe('nosniff');
    expect(ready.headers['content-security-policy']).toContain("default-src 'self'");
    expect(ready.headers['strict-transport-security']).toBeTruthy();
  });

  it('is live but not ready (503 problem) when the database is gone', async () => {
    testApp = await createTestApp(engine);
    await testApp.database.handle.close();
    const ready = await testApp.app.inject({ url: '/health/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(ready.headers['retry-after']).toBe('5');
    expect(ready.json()).toMatchObject({
      status: 503,
      type: '/problems/service-unavailable',
      title: 'Service unavailable',
    });
    const live = await testApp.app.inject({ url: '/health/live' });
    expect(live.statusCode).toBe(200);
  });
});

describe('health with an unreachable PostgreSQL server', () => {
  it('answers 503 promptly instead of hanging', async () => {
    const { loadConfig } = await import('../../src/config.js');
    const { openDatabase } = await import('../../src/db/database.js');
    const { buildApp } = await import('../../src/app.js');
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
    const database = await openDatabase({
      databaseUrl: 'postgres://postgres@127.0.0.1:1/none',
      connectTimeoutMs: 1000,
    });
    const app = await buildApp({ config, database });
    try {
      const started = Date.now();
      const ready = await app.inject({ url: '/health/ready' });
      expect(ready.statusCode).toBe(503);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await app.close();
    }
  });
});
