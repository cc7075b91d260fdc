import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestApp, type TestApp } from '../helpers/app.js';

/** Every error is an RFC 9457 problem document; these routes exist only in this test. */
describe('problem documents', () => {
  let testApp: TestApp;
  const logs: string[] = [];

  beforeAll(async () => {
    const logger = pino({ level: 'info' }, { write: (line: string) => logs.push(line) });
    testApp = await createTestApp('pglite', {
      env: { BODY_LIMIT_BYTES: '1024' },
      logger,
      beforeReady: (app) => {
        const typed = app.withTypeProvider<ZodTypeProvider>();
        typed.post(
          '/test/echo',
          {
            config: { access: { public: true } },
            schema: {
              body: z.strictObject({
                name: z.string().min(1),
                amount: z.string().regex(/^\d+\.\d{2}$/),
                'a/b': z.string().optional(),
              }),
              querystring: z.object({ page: z.coerce.number().int().min(1).optional() }),
            },
          },
          async (request) => request.body,
        );
        typed.get('/test/boom', { config: { access: { public: true } } }, async () => {
          throw new Error('secret internals: password=hunter2');
        });
      },
    });
  });
  afterAll(() => testApp.close());

  const expectProblem = (
    // biome-ignore lint/suspicious/noExplicitAny: the test reads arbitrary problem documents
    response: { statusCode: number; headers: Record<string, unknown>; json(): any },
    status: number,
  ) => {
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = response.json();
    expect(body).toMatchObject({
      status,
      type: expect.any(String),
      title: expect.any(String),
      detail: expect.any(String),
    });
    return body;
  };

  it('malformed JSON → 400', async () => {
    const response = await testApp.app.inject({
      method: 'POST',
      url: '/test/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": "x",',
    });
    expect(expectProblem(response, 400).type).toBe('/problems/malformed-request');
  });

  it('prototype pollution keys → 400, never applied', async () => {
    const response = await testApp.app.inject({
      method: 'POST',
      url: '/test/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"name":"x","amount":"1.00","__proto__":{"admin":true}}',
    });
    expectProblem(response, 400);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('wrong content type → 415', async () => {
    const response = await testApp.app.inject({
      method: 'POST',
      url: '/test/echo',
      headers: { 'content-type': 'text/plain' },
      payload: 'name=x',
    });
    expect(expectProblem(response, 415).type).toBe('/problems/unsupported-media-type');
  });

  it('body over the limit → 413', async () => {
    const response = await testApp.app.inject({
      method: 'POST',
      url: '/test/echo',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'x'.repeat(2000), amount: '1.00' }),
    });
    expect(expectProblem(response, 413).type).toBe('/problems/payload-too-large');
  });

  it('invalid body → 422 with a JSON pointer per offending field', async () => {
    const response = await testApp.app.inject({
      method: 'POST',
      url: '/test/echo',
      payload: { name: '', amount: 12.5, 'a/b': 3, extra: true },
    });
    const body = expectProblem(response, 422);
    expect(body.type).toBe('/problems/validation');
    const pointers = body.errors.map((e: { pointer: string }) => e.pointer).sort();
    expect(pointers).toEqual(['/amount', '/a~1b', '/extra', '/name']);
    for (const issue of body.errors) {
      expect(issue.in).toBe('body');
      expect(issue.message).toEqual(expect.any(String));
    }
  });

  it('invalid query → 400 with a pointer into the query', async () => {
    const response = await testApp.app.inject({
      method: 'POST',
      url: '/test/echo?page=0',
      payload: { name: 'x', amount: '1.00' },
    });
    const body = expectProblem(response, 400);
    expect(body.errors).toEqual([expect.objectContaining({ pointer: '/page', in: 'query' })]);
  });

  it('unknown route → 404', async () => {
    const response = await testApp.app.inject({ url: '/nowhere?x=1' });
    const body = expectProblem(response, 404);
    expect(body.detail).toBe('No route GET /nowhere');
  });

  it('a failure on our side → 500 without the message or stack, logged with the request id', async () => {
    const response = await testApp.app.inject({ url: '/test/boom', headers: { 'x-request-id': 'req-123' } });
    const body = expectProblem(response, 500);
    expect(response.body).not.toContain('hunter2');
    expect(response.body).not.toContain('at ');
    expect(body.requestId).toBe('req-123');
    expect(body.detail).toContain('req-123');
    const logged = logs.map((line) => JSON.parse(line)).find((entry) => entry.level === 50);
    expect(logged).toMatchObject({
      reqId: 'req-123',
      err: { message: expect.stringContaining('secret internals') },
    });
    expect(logged.err.stack).toEqual(expect.any(String));
    const requestLine = logs
      .map((line) => JSON.parse(line))
      .find((entry) => entry.msg === 'request' && entry.reqId === 'req-123');
    expect(requestLine).toMatchObject({ route: '/test/boom', status: 500, durationMs: expect.any(Number) });
  });
});
