import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminAuth, createTestApp, TEST_ADMIN_KEY, type TestApp } from '../helpers/app.js';
import { engines } from '../helpers/database.js';

/**
 * Hostile clients that start a request and never finish it: uploads of actual spending cut off or
 * stalled after their header line, and readers of the all-providers annual return that never read
 * a byte of it. Before, each held a database transaction as long as its client did: on PGlite (one
 * connection) every other request waited, on PostgreSQL ten of them took the whole pool. Now an
 * import reads its whole file before it opens a transaction, and an export is produced whole into a
 * private file before it is sent: while they hang, other requests keep their usual speed, and the
 * service needs no restart afterwards.
 */
const HOSTILE = 10;
const PROBE_LIMIT_MS = 1000;

describe.each(engines)('abandoned uploads and unread exports on %s', (engine) => {
  let testApp: TestApp;
  let port = 0;
  let homeId: string;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    testApp = await createTestApp(engine, {
      env: { RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '0' },
    });
    await testApp.app.listen({ host: '127.0.0.1', port: 0 });
    port = (testApp.app.server.address() as AddressInfo).port;
    // Enough providers that the return is larger than the socket's buffers (a reader that stops
    // reading stops the writer), each with a home.
    const db = testApp.database.handle.db;
    await sql`
      insert into organisations (name, legal_form)
      select 'Provider ' || g || ' CIC', 'community_interest_company' from generate_series(1, 300) g
    `.execute(db);
    await sql`
      insert into homes (organisation_id, name, host_council, registered_places, opened_on)
      select id, replace(name, ' CIC', ' House'), 'E08000015', 4, '2020-01-01' from organisations
    `.execute(db);
    homeId = (await db.selectFrom('homes').select('id').limit(1).executeTakeFirstOrThrow()).id;
  }, 120_000);

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await testApp?.close();
  });

  /** A raw connection that sends `head` (and optionally a first chunk) and then does as it is told. */
  function hostile(head: string, then: 'stall' | 'drop' | 'never-read', chunk?: string): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        socket.write(head);
        if (chunk !== undefined) socket.write(`${Buffer.byteLength(chunk).toString(16)}\r\n${chunk}\r\n`);
        if (then === 'never-read') socket.pause();
        if (then === 'drop') setTimeout(() => socket.destroy(), 50);
        resolve(socket);
      });
      socket.setNoDelay(true);
      socket.on('error', () => undefined);
      socket.once('error', reject);
      sockets.push(socket);
    });
  }

  const upload = (key: string) =>
    [
      `POST /v1/homes/${homeId}/actuals HTTP/1.1`,
      `Host: 127.0.0.1:${port}`,
      `Authorization: Bearer ${TEST_ADMIN_KEY}`,
      'Content-Type: text/csv',
      `Idempotency-Key: ${key}`,
      'Transfer-Encoding: chunked',
      '',
      '',
    ].join('\r\n');
  const exportRequest = [
    'GET /v1/returns/2026-27?format=json HTTP/1.1',
    `Host: 127.0.0.1:${port}`,
    `Authorization: Bearer ${TEST_ADMIN_KEY}`,
    '',
    '',
  ].join('\r\n');

  let storms = 0;
  /**
   * Ten uploads that stall or drop after their first chunk and ten readers of the return that never
   * read: the sockets, uploads first (each storm's Idempotency-Keys its own).
   */
  async function storm(): Promise<Socket[]> {
    const round = String(++storms).padStart(4, '0');
    return Promise.all([
      ...Array.from({ length: HOSTILE / 2 }, (_, i) =>
        hostile(upload(`abandoned-stall-${i}-${round}`), 'stall', 'month,code,amount,description\n'),
      ),
      ...Array.from({ length: HOSTILE / 2 }, (_, i) =>
        hostile(upload(`abandoned-drop-${i}-0${round}`), 'drop', 'month,code,amount,description\n'),
      ),
      ...Array.from({ length: HOSTILE }, () => hostile(exportRequest, 'never-read')),
    ]);
  }

  /** One request that needs the database: its status and how long it took. */
  async function probe(): Promise<{ status: number; ms: number }> {
    const started = performance.now();
    const response = await fetch(`http://127.0.0.1:${port}/v1/homes/${homeId}`, {
      headers: adminAuth,
      signal: AbortSignal.timeout(10_000),
    });
    await response.arrayBuffer();
    return { status: response.status, ms: performance.now() - started };
  }

  it('answers others within a second while ten uploads hang or drop and ten readers never read', async () => {
    expect((await probe()).status).toBe(200);
    const hanging = await storm();
    expect(hanging).toHaveLength(2 * HOSTILE);

    // Probe for a few seconds while they hang: the exports are produced (and stall on their
    // readers) during this time.
    const probes: Array<{ status: number; ms: number }> = [];
    const until = Date.now() + 4000;
    while (Date.now() < until) {
      probes.push(await probe());
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(probes.length).toBeGreaterThan(10);
    expect(probes.filter((p) => p.status !== 200)).toEqual([]);
    const slowest = Math.max(...probes.map((p) => p.ms));
    expect(slowest, `slowest probe ${slowest.toFixed(0)} ms`).toBeLessThan(PROBE_LIMIT_MS);

    // The stalled readers did get an answer (a 200 being sent, or a 503 when more exports were asked
    // for at once than the service produces together), not a request held open on the database.
    const answered = await Promise.all(
      hanging.slice(HOSTILE).map(
        (socket) =>
          new Promise<string>((resolve) => {
            socket.once('data', (data: Buffer) => resolve(data.subarray(0, 12).toString()));
            socket.resume();
          }),
      ),
    );
    for (const line of answered) expect(line).toMatch(/^HTTP\/1\.1 (200|503)$/);
  }, 60_000);

  it('needs no restart afterwards: the hostile clients gone, the database serves everyone at once', async () => {
    // hostile clients of its own, left hanging while their exports are produced, then gone
    await storm();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    for (const socket of sockets.splice(0)) socket.destroy();
    // More requests at once than a pool has connections: each gets its answer.
    const results = await Promise.all(Array.from({ length: 20 }, () => probe()));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    // An import and an export after all that: the database is whole.
    const imported = await testApp.app.inject({
      method: 'POST',
      url: `/v1/homes/${homeId}/actuals`,
      headers: { ...adminAuth, 'content-type': 'text/csv', 'idempotency-key': 'after-the-storm-0001' },
      payload: 'month,code,amount,description\n2026-04,PROPERTY_LEASE,2400.00,Rent\n',
    });
    expect(imported.statusCode, imported.body).toBe(201);
    const exported = await testApp.app.inject({ url: '/v1/returns/2026-27', headers: adminAuth });
    expect(exported.statusCode).toBe(200);
    expect(exported.json().organisations).toHaveLength(300);
  }, 60_000);
});
