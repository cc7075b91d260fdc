import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminAuth, createTestApp, TEST_ADMIN_KEY, type TestApp } from '../helpers/app.js';

describe('request logs', () => {
  let testApp: TestApp;
  const lines: string[] = [];

  beforeAll(async () => {
    const { loggerOptions } = await import('../../src/http/logger.js');
    const logger = pino(loggerOptions({ LOG_LEVEL: 'info', NODE_ENV: 'test' }, false), {
      write: (line: string) => lines.push(line),
    });
    testApp = await createTestApp('pglite', { logger });
  });
  afterAll(() => testApp.close());

  it('writes one JSON line per request with id, route, status and duration, secrets redacted', async () => {
    lines.length = 0;
    await testApp.app.inject({
      url: '/health/live',
      headers: { ...adminAuth, 'x-request-id': 'abc-1' },
    });
    const entries = lines.map((line) => JSON.parse(line));
    const requestLines = entries.filter((entry) => entry.reqId === 'abc-1');
    expect(requestLines).toHaveLength(1);
    expect(requestLines[0]).toMatchObject({
      msg: 'request',
      route: '/health/live',
      status: 200,
      method: 'GET',
    });
    expect(requestLines[0].durationMs).toBeGreaterThanOrEqual(0);
    expect(lines.join('\n')).not.toContain(TEST_ADMIN_KEY);
  });

  it('redacts secrets a handler might log by mistake', () => {
    lines.length = 0;
    testApp.app.log.info(
      {
        headers: { authorization: 'Bearer x-secret-1' },
        DATABASE_URL: 'postgres://u:x-secret-2@h/d',
        config: { ADMIN_API_KEY: 'x-secret-3' },
      },
      'oops',
    );
    expect(lines.join('\n')).not.toMatch(/x-secret-\d/);
  });
});
