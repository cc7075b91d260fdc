import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net, { type AddressInfo, type Socket } from 'node:net';
import type { ConnectionError, FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { addressKey, FailureLimiter } from '../../src/http/auth-failures.js';
import { clientErrorHandler } from '../../src/http/server-errors.js';
import { adminAuth, createTestApp, type TestApp } from '../helpers/app.js';
import { bearer, createHome, createKey, createOrganisation } from '../helpers/keys.js';

/** The edges of HTTP: rate-limit buckets, failed authentications, methods, and what Node itself answers. */

// biome-ignore lint/suspicious/noExplicitAny: the tests read arbitrary problem documents
type Json = any;

const expectProblem = (
  response: { statusCode: number; headers: Record<string, unknown>; json(): Json },
  status: number,
) => {
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = response.json();
  expect(body).toMatchObject({ status, type: expect.any(String), title: expect.any(String) });
  expect(typeof body.detail).toBe('string');
  return body;
};

/** A well-formed key (`cpk_<prefix>_<secret>`) that no one was ever given. */
const unknownKey = () => `cpk_${randomBytes(6).toString('hex')}_${randomBytes(32).toString('base64url')}`;

describe('rate limits: one bucket per key, and failed authentications per address', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await createTestApp('pglite', { env: { RATE_LIMIT_PER_MINUTE: '5' } });
  });
  afterAll(() => testApp.close());

  it('puts every spelling of one key in one bucket: the 6th request is 429 whatever the spelling', async () => {
    const { key } = await createKey(testApp.app, { role: 'admin' });
    const spellings = [
      `Bearer ${key}`,
      `Bearer  ${key}`,
      `bearer ${key}`,
      `Bearer\t${key}`,
      `Bearer ${key}  `,
      `BEARER ${key}`,
    ];
    const request = (authorization: string) =>
      testApp.app.inject({ url: '/v1/organisations', headers: { authorization } });
    const remaining: string[] = [];
    for (const authorization of spellings.slice(0, 5)) {
      const response = await request(authorization);
      expect(response.statusCode, JSON.stringify(authorization)).toBe(200);
      remaining.push(String(response.headers['x-ratelimit-remaining']));
    }
    expect(remaining).toEqual(['4', '3', '2', '1', '0']);
    for (const authorization of spellings) {
      const limited = await request(authorization);
      const body = expectProblem(limited, 429);
      expect(body.type).toBe('/problems/rate-limited');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    }
  });

  it('refuses an address after 20 failed authentications with 429, without looking the key up', async () => {
    const attacker = '203.0.113.7';
    const { key } = await createKey(testApp.app, { role: 'admin' });
    const verify = vi.spyOn(testApp.app.keyStore, 'verify');
    const attempt = (authorization: string, remoteAddress = attacker) =>
      testApp.app.inject({ url: '/v1/organisations', headers: { authorization }, remoteAddress });

    // The same unknown key ten times: 401 each time, never the key bucket's 429 (5 a minute) — a
    // failed authentication does not reach the per-key limit, it is counted per address.
    const repeated = unknownKey();
    for (let i = 0; i < 10; i++) {
      const response = await attempt(`Bearer ${repeated}`);
      expect(expectProblem(response, 401).type).toBe('/problems/unauthorized');
    }
    // Malformed headers count too (and need no look-up); then more unknown keys.
    for (const malformed of ['Basic abc', 'Bearer', 'Bearer a b', 'Token x', 'Bearer\t']) {
      expect((await attempt(malformed)).statusCode, malformed).toBe(401);
    }
    for (let i = 0; i < 5; i++) expect((await attempt(`Bearer ${unknownKey()}`)).statusCode).toBe(401);
    expect(verify).toHaveBeenCalledTimes(15);

    // The 21st: 429 with Retry-After, and the store is not asked (no database query).
    const refused = await attempt(`Bearer ${unknownKey()}`);
    expect(expectProblem(refused, 429)).toMatchObject({
      type: '/problems/rate-limited',
      detail: expect.stringContaining('failed authentications'),
    });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await attempt('Basic abc')).statusCode).toBe(429);
    // From that address, while refused, any key is refused before it is looked up, a valid one too.
    expect((await attempt(`Bearer ${key}`)).statusCode).toBe(429);
    expect(verify).toHaveBeenCalledTimes(15);
    // The same /64 of IPv6 is one address; IPv4-mapped IPv6 is the IPv4 address.
    expect((await attempt(`Bearer ${key}`, `::ffff:${attacker}`)).statusCode).toBe(429);

    // Anonymous requests from the address are not authentications: public routes still answer.
    expect((await testApp.app.inject({ url: '/v1/rates', remoteAddress: attacker })).statusCode).toBe(200);
    // Another address with a valid key is unaffected.
    expect((await attempt(`Bearer ${key}`, '198.51.100.9')).statusCode).toBe(200);
    expect(verify).toHaveBeenCalledTimes(16);
    verify.mockRestore();
  });
});

describe('the failure limiter', () => {
  it('counts in windows, and forgets an address when its window ends', () => {
    let now = 1_000_000;
    const limiter = new FailureLimiter({ max: 3, windowMs: 60_000 }, () => now);
    for (let i = 0; i < 2; i++) limiter.recordFailure('192.0.2.1');
    expect(limiter.blockedFor('192.0.2.1')).toBe(0);
    limiter.recordFailure('192.0.2.1');
    expect(limiter.blockedFor('192.0.2.1')).toBe(60_000);
    expect(limiter.blockedFor('192.0.2.2')).toBe(0);
    now += 45_000;
    expect(limiter.blockedFor('192.0.2.1')).toBe(15_000);
    now += 15_000;
    expect(limiter.blockedFor('192.0.2.1')).toBe(0);
  });

  it('remembers a bounded number of addresses', () => {
    const limiter = new FailureLimiter({ max: 1, windowMs: 60_000, addresses: 2 });
    limiter.recordFailure('192.0.2.1');
    expect(limiter.blockedFor('192.0.2.1')).toBeGreaterThan(0);
    limiter.recordFailure('192.0.2.2');
    limiter.recordFailure('192.0.2.3'); // the least recently used, 192.0.2.1, is forgotten
    expect(limiter.blockedFor('192.0.2.1')).toBe(0);
    expect(limiter.blockedFor('192.0.2.3')).toBeGreaterThan(0);
  });

  it('is off with max 0', () => {
    const limiter = new FailureLimiter({ max: 0, windowMs: 60_000 });
    for (let i = 0; i < 100; i++) limiter.recordFailure('192.0.2.1');
    expect(limiter.blockedFor('192.0.2.1')).toBe(0);
  });

  it('counts IPv6 callers by /64, and IPv4-mapped addresses as IPv4', () => {
    expect(addressKey('192.0.2.1')).toBe('192.0.2.1');
    expect(addressKey('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(addressKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('2001:db8:1:2::1')).not.toBe(addressKey('2001:db8:1:3::1'));
  });
});

const wirral = JSON.parse(
  readFileSync(
    new URL('../../fixtures/examples/wirral-four-bed-2026-27.model.json', import.meta.url),
    'utf8',
  ),
);

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  json(): Json;
}

/** A raw TCP connection: what Node's HTTP parser sees, which app.inject bypasses. */
class RawConnection {
  private buffer = '';
  private closed = false;
  private readonly parsed: RawResponse[] = [];
  private wake: () => void = () => {};

  private constructor(readonly socket: Socket) {
    socket.setEncoding('latin1'); // one character per byte: Content-Length counts bytes
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.parse();
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  write(text: string): void {
    this.socket.write(text);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Waits for `count` responses (or the connection's end), at most `timeoutMs`. */
  async responses(count: number, timeoutMs = 5000): Promise<RawResponse[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.parsed.length < count && !this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, Math.max(0, deadline - Date.now()));
      });
    }
    return this.parsed.slice(0, count);
  }

  /** Waits for the server to close the connection. */
  async end(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, Math.max(0, deadline - Date.now()));
      });
    }
    return this.closed;
  }

  private parse(): void {
    for (;;) {
      const headEnd = this.buffer.indexOf('\r\n\r\n');
      if (headEnd === -1) return;
      const [statusLine = '', ...lines] = this.buffer.slice(0, headEnd).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const status = Number(statusLine.split(' ')[1]);
      if (status === 100) {
        this.buffer = this.buffer.slice(headEnd + 4);
        continue;
      }
      const length = Number(headers['content-length'] ?? 0);
      if (this.buffer.length < headEnd + 4 + length) return;
      const body = Buffer.from(this.buffer.slice(headEnd + 4, headEnd + 4 + length), 'latin1').toString(
        'utf8',
      );
      this.buffer = this.buffer.slice(headEnd + 4 + length);
      this.parsed.push({ status, headers, body, json: () => JSON.parse(body) });
    }
  }
}

/** One request on a fresh connection; its one response. */
async function exchange(port: number, text: string): Promise<RawResponse & { closed: boolean }> {
  const connection = await RawConnection.open(port);
  connection.write(text);
  const [response] = await connection.responses(1);
  if (!response) throw new Error(`no response to ${JSON.stringify(text.slice(0, 60))}`);
  const closed = response.headers.connection?.toLowerCase() === 'close' ? await connection.end() : false;
  connection.socket.destroy();
  return { ...response, closed };
}

const rawProblem = (response: RawResponse, status: number) =>
  expectProblem(
    { statusCode: response.status, headers: response.headers, json: () => response.json() },
    status,
  );

describe('methods, conditional requests and what the HTTP server answers by itself', () => {
  let testApp: TestApp;
  let port: number;
  let finance: Record<string, string>;
  let draftId: string;

  beforeAll(async () => {
    testApp = await createTestApp('pglite');
    const organisationId = await createOrganisation(testApp.app, 'Edge Homes CIC');
    finance = bearer((await createKey(testApp.app, { role: 'finance', organisationId })).key);
    const homeId = await createHome(testApp.app, finance, 'Edge House');
    const draft = await testApp.app.inject({
      method: 'POST',
      url: `/v1/homes/${homeId}/cost-models`,
      headers: finance,
      payload: wirral,
    });
    if (draft.statusCode !== 201) throw new Error(`could not create a draft: ${draft.body}`);
    draftId = draft.json().id;
    await testApp.app.listen({ port: 0, host: '127.0.0.1' });
    port = (testApp.app.server.address() as AddressInfo).port;
  });
  afterAll(() => testApp.close());

  describe('If-Match', () => {
    it('refuses If-Match: * on a draft with 428: it says nothing of the version read', async () => {
      const current = await testApp.app.inject({ url: `/v1/cost-models/${draftId}`, headers: finance });
      const etag = current.headers.etag;
      for (const ifMatch of ['*', ' * ', `*, ${etag}`, `${etag}, *`, 'W/*']) {
        const put = await testApp.app.inject({
          method: 'PUT',
          url: `/v1/cost-models/${draftId}`,
          headers: { ...finance, 'if-match': ifMatch },
          payload: current.json().document,
        });
        const body = expectProblem(put, 428);
        expect(body.type).toBe('/problems/precondition-required');
        expect(body.detail).toBe('If-Match: * does not say which version you read; send the ETag you read');
        const patch = await testApp.app.inject({
          method: 'PATCH',
          url: `/v1/cost-models/${draftId}`,
          headers: { ...finance, 'if-match': ifMatch, 'content-type': 'application/merge-patch+json' },
          payload: JSON.stringify({ rates: { niSecondaryThresholdAnnual: '9100' } }),
        });
        expect(expectProblem(patch, 428).detail).toContain('If-Match: *');
      }
      // Nothing changed; the ETag read still works.
      const after = await testApp.app.inject({ url: `/v1/cost-models/${draftId}`, headers: finance });
      expect(after.headers.etag).toBe(etag);
      const patched = await testApp.app.inject({
        method: 'PATCH',
        url: `/v1/cost-models/${draftId}`,
        headers: { ...finance, 'if-match': String(etag), 'content-type': 'application/merge-patch+json' },
        payload: JSON.stringify({ rates: { niSecondaryThresholdAnnual: '9100' } }),
      });
      expect(patched.statusCode).toBe(200);
    });
  });

  describe('405 and 404', () => {
    it('answers a method a path does not serve with 405 and Allow', async () => {
      const cases: Array<[string, string, string]> = [
        ['DELETE', '/health/live', 'GET, HEAD'],
        ['POST', '/health/ready', 'GET, HEAD'],
        ['PUT', '/v1/rates', 'GET, HEAD'],
        ['TRACE', '/v1/rates/2026-27?x=1', 'GET, HEAD'],
        ['OPTIONS', '/v1/quotes', 'POST'],
        ['PUT', '/v1/cost-models', 'GET, HEAD'],
        ['DELETE', `/v1/cost-models/${draftId}`, 'GET, HEAD, PUT, PATCH'],
        ['GET', '/v1/cost-models/00000000-0000-4000-8000-000000000000/publish', 'POST'],
        ['DELETE', '/health/live/', 'GET, HEAD'],
      ];
      for (const [method, url, allow] of cases) {
        const response = await testApp.app.inject({ method: method as 'GET', url, headers: adminAuth });
        const body = expectProblem(response, 405);
        expect(response.headers.allow, `${method} ${url}`).toBe(allow);
        expect(body).toMatchObject({
          type: '/problems/method-not-allowed',
          title: 'Method not allowed',
          instance: url,
          requestId: expect.any(String),
        });
        expect(body.detail).toContain(allow);
      }
    });

    it('answers 405 before reading a body the method would have had to carry', async () => {
      const response = await testApp.app.inject({
        method: 'DELETE',
        url: '/health/live',
        headers: { 'content-type': 'application/json' },
        payload: '{"not json',
      });
      expectProblem(response, 405);
      expect(response.headers.allow).toBe('GET, HEAD');
    });

    it('answers 404 for a path no route serves, whatever the method', async () => {
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE']) {
        const response = await testApp.app.inject({ method: method as 'GET', url: '/v1/no-such-thing' });
        expect(expectProblem(response, 404).type, method).toBe('/problems/not-found');
        expect(response.headers.allow).toBeUndefined();
      }
      const head = await testApp.app.inject({ method: 'HEAD', url: '/v1/no-such-thing' });
      expect(head.statusCode).toBe(404);
    });
  });

  describe('over a real socket', () => {
    it('answers QUERY and TRACE with 405 (or 404) problem documents', async () => {
      const query = await exchange(port, 'QUERY /v1/rates HTTP/1.1\r\nHost: localhost\r\n\r\n');
      expect(rawProblem(query, 405).type).toBe('/problems/method-not-allowed');
      expect(query.headers.allow).toBe('GET, HEAD');
      const typedQuery = await exchange(
        port,
        'QUERY /v1/rates HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}',
      );
      rawProblem(typedQuery, 405);
      const queryNowhere = await exchange(port, 'QUERY /v1/nowhere HTTP/1.1\r\nHost: localhost\r\n\r\n');
      rawProblem(queryNowhere, 404);
      const traceRoot = await exchange(port, 'TRACE / HTTP/1.1\r\nHost: localhost\r\n\r\n');
      rawProblem(traceRoot, 404);
      const trace = await exchange(port, 'TRACE /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n');
      rawProblem(trace, 405);
      expect(trace.headers.allow).toBe('GET, HEAD');
    });

    it('answers a request it cannot parse with a 400 problem document and closes the connection', async () => {
      for (const malformed of [
        'GET /health/live HTTP/1.1 garbage\r\nHost: localhost\r\n\r\n',
        'FOO /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n',
        'GET /health/live HTTP/1.1\r\nHost: localhost\r\nBad Header\r\n\r\n',
        'GET /health/live HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n',
      ]) {
        const response = await exchange(port, malformed);
        const body = rawProblem(response, 400);
        expect(body.type, malformed).toBe('/problems/malformed-request');
        expect(response.headers.connection).toBe('close');
        expect(response.closed).toBe(true);
      }
    });

    it('answers header fields too large with 431, as a problem document', async () => {
      const response = await exchange(
        port,
        `GET /health/live HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      );
      rawProblem(response, 431);
      expect(response.closed).toBe(true);
    });

    it('answers an HTTP/1.1 request without Host with a 400 problem document', async () => {
      const response = await exchange(port, 'GET /health/live HTTP/1.1\r\n\r\n');
      expect(rawProblem(response, 400).detail).toContain('Host');
      // HTTP/1.0 needs no Host
      expect((await exchange(port, 'GET /health/live HTTP/1.0\r\n\r\n')).status).toBe(200);
    });

    it('answers an Expect it cannot meet with a 417 problem document', async () => {
      const response = await exchange(
        port,
        'GET /health/live HTTP/1.1\r\nHost: localhost\r\nExpect: teapot\r\n\r\n',
      );
      rawProblem(response, 417);
    });
  });
});

describe('the client error handler', () => {
  const answer = (code: string) => {
    let written = '';
    const socket = {
      destroyed: false,
      writable: true,
      end: (data: string) => {
        written = data;
      },
      destroySoon: () => {},
      destroy: () => {},
    } as unknown as Socket;
    const app = { log: { debug: () => {} } } as unknown as FastifyInstance;
    clientErrorHandler.call(app, { code } as ConnectionError, socket);
    const [head = '', body = ''] = written.split('\r\n\r\n');
    return { head, body: body ? JSON.parse(body) : undefined };
  };

  it('answers a request that took too long to arrive with 408, and one too large with 431', () => {
    const timeout = answer('ERR_HTTP_REQUEST_TIMEOUT');
    expect(timeout.head).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(timeout.head).toContain('Content-Type: application/problem+json');
    expect(timeout.head).toContain('Connection: close');
    expect(timeout.body).toMatchObject({ status: 408, type: '/problems/timeout' });
    expect(answer('HPE_HEADER_OVERFLOW').body).toMatchObject({ status: 431 });
    expect(answer('HPE_INVALID_CONSTANT').body).toMatchObject({ status: 400 });
  });

  it('writes nothing on a reset connection', () => {
    expect(answer('ECONNRESET').head).toBe('');
  });
});

describe('while closing', () => {
  let testApp: TestApp;
  let entered: () => void;
  let release: () => void;
  let preClosed: () => void;
  const inHandler = new Promise<void>((resolve) => {
    entered = resolve;
  });
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const closing = new Promise<void>((resolve) => {
    preClosed = resolve;
  });

  beforeAll(async () => {
    testApp = await createTestApp('pglite', {
      beforeReady: (app) => {
        app.get('/test/slow', { config: { access: { public: true } } }, async () => {
          entered();
          await gate;
          return { done: true };
        });
        app.addHook('preClose', async () => preClosed());
      },
    });
  });

  it('answers a request that arrives while the app drains with a 503 problem document', async () => {
    await testApp.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (testApp.app.server.address() as AddressInfo).port;
    const connection = await RawConnection.open(port);
    connection.write('GET /test/slow HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await inHandler;
    const closed = testApp.close();
    await closing;
    // the same (busy, so not closed) connection: a pipelined request that arrives during the drain
    connection.write('GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
    release();
    const [slow, late] = await connection.responses(2);
    expect(slow?.status).toBe(200);
    expect(late).toBeDefined();
    const body = rawProblem(late!, 503);
    expect(body.type).toBe('/problems/service-unavailable');
    expect(late!.headers['retry-after']).toBe('5');
    connection.socket.destroy();
    await closed;
  });
});
