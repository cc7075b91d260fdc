import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig } from '../../src/config.js';
import { Deadlines } from '../../src/http/deadlines.js';
import { createHttpApp, securityHeaders } from '../../src/http/instance.js';
import { serializerCompilerFor } from '../../src/http/serialization.js';
import { findUnstorable } from '../../src/http/validation.js';

// The HTTP shell alone (no database): the per-request work that replaced Fastify's own timer and
// Helmet's middleware, checked on a listening server, where a late answer really is late.
describe('the HTTP shell', () => {
  let app: FastifyInstance;
  let base: string;
  const never = () => new Promise<never>(() => {});

  beforeAll(async () => {
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', REQUEST_TIMEOUT_MS: '300' });
    app = await createHttpApp(config);
    app.get('/hangs', { config: { access: { public: true } } }, never);
    app.get('/slow-but-allowed', { config: { access: { public: true } }, handlerTimeout: 1500 }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 700));
      return { done: true };
    });
    app.get('/starts-then-hangs', { config: { access: { public: true } } }, async (_request, reply) => {
      reply.raw.writeHead(200, { 'content-type': 'text/plain' });
      reply.raw.write('a beginning');
      return never();
    });
    app.get('/quick', { config: { access: { public: true } } }, async () => ({ ok: true }));
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(() => app.close());

  it('answers a handler that never finishes with a 503 problem within REQUEST_TIMEOUT_MS (one timer per process)', async () => {
    const started = performance.now();
    const response = await fetch(`${base}/hangs`);
    const ms = performance.now() - started;
    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(((await response.json()) as { detail: string }).detail).toBe(
      'The request did not finish within 300 ms; try again shortly',
    );
    expect(ms).toBeGreaterThanOrEqual(290);
    expect(ms).toBeLessThan(1000);
  });

  it('gives a route its own handlerTimeout instead of REQUEST_TIMEOUT_MS', async () => {
    const response = await fetch(`${base}/slow-but-allowed`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ done: true });
  });

  it('cuts off an answer that had begun when its time is up', async () => {
    const response = await fetch(`${base}/starts-then-hangs`);
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
  });

  it("sets Helmet's headers and the request id on every response, worked out once", async () => {
    const response = await fetch(`${base}/quick`, { headers: { 'x-request-id': 'shell-1' } });
    expect(response.headers.get('x-request-id')).toBe('shell-1');
    for (const [name, value] of Object.entries(securityHeaders()))
      expect(response.headers.get(name)).toBe(value);
    expect(securityHeaders()['content-security-policy']).toContain("default-src 'self'");
    expect(securityHeaders()['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
  });
});

describe('Deadlines', () => {
  it('forgets a reply once it is settled, and stops its timer when nothing is pending', () => {
    const late: unknown[] = [];
    const deadlines = new Deadlines((reply) => late.push(reply), 10);
    const reply = { sent: false, raw: { destroyed: false, writableFinished: false } } as never;
    deadlines.track(reply, 1000);
    expect(deadlines.size).toBe(1);
    deadlines.settle(reply);
    expect(deadlines.size).toBe(0);
    deadlines.stop();
    expect(late).toEqual([]);
  });
});

describe('findUnstorable', () => {
  it('names the one place refused by its JSON pointer, escaped, and nothing for a clean body', () => {
    expect(findUnstorable({ a: [{ 'b/c': 'x\u0000' }] })).toEqual({
      pointer: '/a/0/b~1c',
      message: 'must not contain a NUL character (U+0000)',
    });
    expect(findUnstorable({ 'k~\u0000': 1 })).toEqual({
      pointer: '/k~0\u0000',
      message: 'is a name with a NUL character (U+0000)',
    });
    expect(findUnstorable('\u0000')?.pointer).toBe('');
    let deep: unknown = 'leaf';
    for (let i = 0; i < 70; i++) deep = { n: deep };
    expect(findUnstorable(deep)).toEqual({
      pointer: `/${Array(64).fill('n').join('/')}`,
      message: 'is nested more than 64 levels deep',
    });
    expect(findUnstorable({ a: [1, 'two', { three: null }] })).toBeUndefined();
  });

  it('refuses a lone surrogate (jsonb cannot store one) and keeps a pair (an emoji)', () => {
    expect(findUnstorable({ name: 'x\ud83d' })?.pointer).toBe('/name');
    expect(findUnstorable({ name: '\ude00x' })?.message).toContain('lone surrogate');
    expect(findUnstorable({ 'k\udc00': 1 })?.message).toContain('lone surrogate');
    expect(findUnstorable({ name: 'Oak House \ud83d\ude00' })).toBeUndefined();
  });
});

describe('response serialisation', () => {
  const route = { schema: z.object({ id: z.string() }), method: 'GET', url: '/thing', httpStatus: '200' };

  it('in production is JSON.stringify alone: no schema runs, so the handler must already fit it', () => {
    const serialise = serializerCompilerFor('production')(route);
    expect(serialise({ id: 'a' })).toBe('{"id":"a"}');
    expect(serialise({ id: 7 })).toBe('{"id":7}');
  });

  it('elsewhere checks the schema, and refuses an answer the schema would have changed', () => {
    const serialise = serializerCompilerFor('test')(route);
    expect(serialise({ id: 'a' })).toBe('{"id":"a"}');
    expect(() => serialise({ id: 7 })).toThrow();
    // zod strips an unknown key; production would send it: the test run says so
    expect(() => serialise({ id: 'a', secret: 'x' })).toThrow(/not what its response schema makes of it/);
  });
});

describe('response serialisation of what a client sent back', () => {
  it('checks an answer holding a lone surrogate (a problem naming an odd key) without failing', () => {
    const route = { schema: z.object({ pointer: z.string() }), method: 'POST', url: '/x', httpStatus: '422' };
    const serialise = serializerCompilerFor('test')(route);
    expect(JSON.parse(serialise({ pointer: '/\udc00\ud800' }))).toEqual({ pointer: '/\udc00\ud800' });
  });
});
