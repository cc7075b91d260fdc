import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningService, startService } from '../helpers/service.js';

/**
 * The database goes away under load and comes back. The test runs a PostgreSQL cluster of its own
 * (never the shared server on 5432, which other test files use at the same time), starts the real
 * service against it, keeps it busy with reads, quotes and readiness checks, stops the cluster
 * (`pg_ctl stop -m immediate`) and starts it again. While it is down every request that needs the
 * database answers 503 with a problem document, promptly; what needs no database keeps answering;
 * the process stays up; and once the database is back the service recovers by itself.
 */
const PG_BIN = '/usr/lib/postgresql/15/bin';
const ADMIN_KEY = 'outage-test-admin-key-0123456789abcdef01';
const CONNECT_TIMEOUT_MS = 1000;
const STATEMENT_TIMEOUT_MS = 2000;
const REQUEST_TIMEOUT_MS = 5000;
/** The test gives up on a request after this long and records it as hung. */
const GIVE_UP_MS = REQUEST_TIMEOUT_MS + 5000;
const WORKERS = 6;

const wirral = readFileSync(
  new URL('../../fixtures/examples/wirral-four-bed-2026-27.model.json', import.meta.url),
  'utf8',
);
const auth = { authorization: `Bearer ${ADMIN_KEY}` };
const execFileAsync = promisify(execFile);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs a PostgreSQL tool as the postgres user when we are root (initdb refuses root). Asynchronous,
 * so that the load keeps running (and its timings stay true) while the cluster stops and starts. */
async function pgTool(tool: string, args: string[]): Promise<string> {
  const asRoot = process.getuid?.() === 0;
  const [command, argv] = asRoot
    ? ['runuser', ['-u', 'postgres', '--', path.join(PG_BIN, tool), ...args]]
    : [path.join(PG_BIN, tool), args];
  const { stdout } = await execFileAsync(command, argv, { encoding: 'utf8', timeout: 60_000 });
  return stdout;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

type Kind = 'database' | 'cached' | 'pure';
interface Target {
  name: string;
  kind: Kind;
  request: () => { url: string; init?: RequestInit };
}
interface Outcome {
  target: string;
  kind: Kind;
  /** The phase the request started in, and the one it ended in. */
  phase: Phase;
  endedIn: Phase;
  ms: number;
  status: number | 'hung' | 'network-error';
  contentType: string;
  type?: string;
  retryAfter: string | null;
}
type Phase = 'up' | 'stopping' | 'down' | 'starting' | 'recovered' | 'frozen';

describe.skipIf(!existsSync(path.join(PG_BIN, 'initdb')))('a PostgreSQL outage under load', () => {
  let root: string;
  let cluster: string;
  let port: number;
  let service: RunningService | undefined;
  let address: string;
  let homeId: string;
  let organisationId: string;
  let draftId: string;
  let scheduleId: string;

  const pgCtl = (...args: string[]) => pgTool('pg_ctl', ['-D', cluster, ...args]);
  const startCluster = () =>
    pgCtl(
      '-o',
      `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off`,
      '-l',
      path.join(root, 'postgres.log'),
      '-w',
      '-t',
      '30',
      'start',
    );
  const stopCluster = () => pgCtl('-m', 'immediate', '-w', '-t', '30', 'stop');
  /** The postmaster and its children (backends, checkpointer …), for SIGSTOP/SIGCONT. */
  const clusterPids = (): number[] => {
    const pidFile = path.join(cluster, 'postmaster.pid');
    if (!existsSync(pidFile)) return [];
    const postmaster = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    let children: number[] = [];
    try {
      children = execFileSync('pgrep', ['-P', String(postmaster)], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .map(Number);
    } catch {
      // no children
    }
    return [postmaster, ...children];
  };
  const signalCluster = (signal: NodeJS.Signals, pids = clusterPids()) => {
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {
        // gone already
      }
    }
  };

  const call = async (url: string, init: RequestInit = {}) =>
    fetch(`${address}${url}`, { ...init, signal: AbortSignal.timeout(GIVE_UP_MS) });
  const created = async (url: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await call(url, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status !== 201) throw new Error(`POST ${url}: ${response.status} ${text}`);
    return JSON.parse(text) as { id: string };
  };

  const targets = (): Target[] => [
    { name: 'ready', kind: 'database', request: () => ({ url: '/health/ready' }) },
    {
      name: 'schedules of a home',
      kind: 'database',
      request: () => ({ url: `/v1/fee-schedules?homeId=${homeId}` }),
    },
    {
      name: 'schedule in force',
      kind: 'database',
      request: () => ({ url: `/v1/homes/${homeId}/fee-schedules/current?on=2026-06-01` }),
    },
    {
      name: 'organisation',
      kind: 'database',
      request: () => ({ url: `/v1/organisations/${organisationId}`, init: { headers: auth } }),
    },
    // Published schedules never change, so the service keeps them in memory: 200 from there, or 503.
    { name: 'one schedule', kind: 'cached', request: () => ({ url: `/v1/fee-schedules/${scheduleId}` }) },
    {
      name: 'quote',
      kind: 'pure',
      request: () => ({
        url: '/v1/quotes',
        init: { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: wirral },
      }),
    },
    { name: 'live', kind: 'pure', request: () => ({ url: '/health/live' }) },
  ];

  /** WORKERS loops of requests, each outcome labelled with the phase it started in. */
  function load(phase: () => Phase) {
    const outcomes: Outcome[] = [];
    let running = true;
    const list = targets();
    const worker = async (offset: number) => {
      for (let i = offset; running; i++) {
        const target = list[i % list.length]!;
        const { url, init } = target.request();
        const startedIn = phase();
        const started = performance.now();
        let outcome: Omit<Outcome, 'ms' | 'endedIn'>;
        try {
          const response = await call(url, init);
          const body = await response.text();
          const contentType = response.headers.get('content-type') ?? '';
          outcome = {
            target: target.name,
            kind: target.kind,
            phase: startedIn,
            status: response.status,
            contentType,
            retryAfter: response.headers.get('retry-after'),
            ...(contentType.startsWith('application/problem+json') ? { type: JSON.parse(body).type } : {}),
          };
        } catch (error) {
          const hung = (error as Error).name === 'TimeoutError';
          outcome = {
            target: target.name,
            kind: target.kind,
            phase: startedIn,
            status: hung ? 'hung' : 'network-error',
            contentType: '',
            retryAfter: null,
          };
        }
        outcomes.push({ ...outcome, endedIn: phase(), ms: Math.round(performance.now() - started) });
        await pause(5);
      }
    };
    const done = Promise.all(Array.from({ length: WORKERS }, (_, i) => worker(i)));
    return {
      outcomes,
      async stop() {
        running = false;
        await done;
        return outcomes;
      },
    };
  }

  const waitUntilReady = async (deadlineMs: number) => {
    const started = Date.now();
    for (;;) {
      const response = await call('/health/ready').catch(() => undefined);
      if (response?.status === 200) return Date.now() - started;
      if (Date.now() - started > deadlineMs) throw new Error(`not ready again after ${deadlineMs} ms`);
      await pause(100);
    }
  };
  const summary = (outcomes: Outcome[]) => {
    const counts = new Map<string, number>();
    for (const o of outcomes) {
      const key = `${o.phase} ${o.target} ${o.status}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return [...counts].map(([key, n]) => `${key} ×${n}`).join('\n');
  };
  const expectAlive = async () => {
    expect(service!.child.exitCode, service!.lines.slice(-20).join('\n')).toBeNull();
    expect(service!.child.signalCode).toBeNull();
    expect((await call('/health/live')).status).toBe(200);
  };

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'care-pg-outage-'));
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
      chownSync(root, uid, gid);
    }
    cluster = path.join(root, 'cluster');
    await pgTool('initdb', [
      '-D',
      cluster,
      '-A',
      'trust',
      '-U',
      'postgres',
      '--no-sync',
      '--no-instructions',
    ]);
    port = await freePort();
    await startCluster();

    service = await startService({
      DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/postgres`,
      DATA_DIR: path.join(root, 'service'), // the signing key
      ADMIN_API_KEY: ADMIN_KEY,
      DATABASE_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
      DATABASE_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
      DATABASE_POOL_MAX: '4',
      REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      RATE_LIMIT_PER_MINUTE: '0',
      RATE_LIMIT_ANONYMOUS_PER_MINUTE: '0',
    });
    address = service.address;

    organisationId = (
      await created('/v1/organisations', {
        name: 'Outage Homes CIC',
        legalForm: 'community_interest_company',
      })
    ).id;
    homeId = (
      await created('/v1/homes', {
        organisationId,
        name: 'Outage House',
        hostCouncil: 'E08000015',
        registeredPlaces: 4,
        openedOn: '2020-01-01',
      })
    ).id;
    draftId = (await created(`/v1/homes/${homeId}/cost-models`, wirral)).id;
    scheduleId = (
      await created(
        `/v1/cost-models/${draftId}/publish`,
        { effectiveFrom: '2026-04-01' },
        { 'idempotency-key': 'outage-publish-v1' },
      )
    ).id;
  }, 90_000);

  afterAll(async () => {
    if (service && service.child.exitCode === null && service.child.signalCode === null) {
      service.child.kill('SIGTERM');
      const stopped = await Promise.race([service.exited.then(() => true), pause(10_000).then(() => false)]);
      if (!stopped) {
        service.child.kill('SIGKILL');
        await service.exited;
      }
    }
    if (cluster && existsSync(path.join(cluster, 'postmaster.pid'))) {
      signalCluster('SIGCONT'); // a frozen cluster cannot be stopped
      try {
        await stopCluster();
      } catch {
        signalCluster('SIGKILL');
      }
    }
    if (root) rmSync(root, { recursive: true, force: true });
  }, 60_000);

  it('answers 503 problems promptly while the database is down, stays up, and recovers by itself', async () => {
    let phase: Phase = 'up';
    const running = load(() => phase);
    await pause(1500);

    phase = 'stopping';
    await stopCluster();
    phase = 'down';
    await pause(3000);

    // While down: readiness is a 503 problem, a write is refused whole (and may be retried later).
    await expectAlive();
    const ready = await call('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(ready.headers.get('retry-after')).toBe('5');
    expect(await ready.json()).toMatchObject({ status: 503, type: '/problems/service-unavailable' });
    const publishWhileDown = () =>
      call(`/v1/cost-models/${draftId}/publish`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': 'outage-publish-v2' },
        body: JSON.stringify({ effectiveFrom: '2026-10-01' }),
      });
    const refused = await publishWhileDown();
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { type: string }).type).toBe('/problems/service-unavailable');

    phase = 'starting';
    await startCluster();
    const recoveryMs = await waitUntilReady(15_000);
    phase = 'recovered';
    await pause(1500);
    const outcomes = await running.stop();

    // The publish refused while down went nowhere: the same key now publishes it, once.
    const retried = await publishWhileDown();
    expect(retried.status, await retried.clone().text()).toBe(201);
    expect(((await retried.json()) as { version: number }).version).toBe(2);
    await expectAlive();

    const report = `recovered in ${recoveryMs} ms; slowest ${Math.max(...outcomes.map((o) => o.ms))} ms\n${summary(outcomes)}`;
    if (process.env.RESILIENCE_VERBOSE) console.log(report);
    const inPhase = (p: Phase) => outcomes.filter((o) => o.phase === p);
    // Enough traffic in each phase to mean something.
    for (const p of ['up', 'down', 'recovered'] as const)
      expect(inPhase(p).length, report).toBeGreaterThan(20);

    // Never a hang, never a dropped connection, never a 500: whatever the phase.
    for (const o of outcomes) {
      expect(
        typeof o.status === 'number' && o.status !== 500,
        `${o.phase} ${o.target}: ${o.status}\n${report}`,
      ).toBe(true);
      expect(o.ms, `${o.phase} ${o.target} took ${o.ms} ms\n${report}`).toBeLessThan(REQUEST_TIMEOUT_MS);
      if (o.status === 503) {
        expect(o.contentType, report).toMatch(/^application\/problem\+json/);
        expect(o.type, report).toBe('/problems/service-unavailable');
        expect(o.retryAfter, report).toBe('5');
      } else {
        expect(o.status, `${o.phase} ${o.target}\n${report}`).toBe(200);
      }
    }
    // Up and recovered: everything answers.
    // (A request still in flight when the stop began may have been cut off: that one is checked above.)
    for (const o of [...inPhase('up').filter((o) => o.endedIn === 'up'), ...inPhase('recovered')])
      expect(o.status, `${o.phase} ${o.target}\n${report}`).toBe(200);
    // Down: what needs the database is a 503 every time; what does not (pricing, liveness) carries on.
    for (const o of inPhase('down')) {
      if (o.kind === 'database') expect(o.status, `${o.target}\n${report}`).toBe(503);
      if (o.kind === 'pure') expect(o.status, `${o.target}\n${report}`).toBe(200);
    }
    expect(inPhase('down').filter((o) => o.kind === 'database').length, report).toBeGreaterThan(10);
    // A refused connection fails fast: well within the connect timeout.
    const slowestDown = Math.max(...inPhase('down').map((o) => o.ms));
    expect(slowestDown, report).toBeLessThan(CONNECT_TIMEOUT_MS + 1000);
    expect(service!.lines.join('\n')).not.toMatch(/"level":60|uncaught/i);
  }, 60_000);

  // A database that stops answering without closing its connections (a frozen server, a network
  // partition): statement_timeout is enforced by the frozen server itself, so only the service's own
  // handlerTimeout (REQUEST_TIMEOUT_MS) bounds the request, with a 503 problem document.
  it('answers within REQUEST_TIMEOUT_MS when the database freezes instead of going away', async () => {
    await waitUntilReady(15_000);
    // Fill the pool with open connections, then freeze every process of the cluster.
    await Promise.all(
      Array.from({ length: 8 }, () => call(`/v1/fee-schedules?homeId=${homeId}`).then((r) => r.text())),
    );
    const pids = clusterPids();
    let phase: Phase = 'frozen';
    signalCluster('SIGSTOP', pids);
    let outcomes: Outcome[];
    try {
      const running = load(() => phase);
      await pause(REQUEST_TIMEOUT_MS + 1500);
      phase = 'recovered'; // not checked: marks requests started after this point
      signalCluster('SIGCONT', pids);
      outcomes = (await running.stop()).filter((o) => o.phase === 'frozen');
    } finally {
      signalCluster('SIGCONT', pids);
    }
    await waitUntilReady(15_000);
    await expectAlive();
    const report = summary(outcomes);
    for (const o of outcomes) {
      expect(o.status, `${o.target}\n${report}`).not.toBe('hung');
      expect(o.ms, `${o.target} took ${o.ms} ms\n${report}`).toBeLessThan(REQUEST_TIMEOUT_MS + 1000);
      // A request cut off at REQUEST_TIMEOUT_MS is a 503 problem; one that outlived the freeze may be a 200.
      expect([200, 503], `${o.target}\n${report}`).toContain(o.status);
      if (o.status === 503) expect(o.type, report).toBe('/problems/service-unavailable');
    }
    expect(outcomes.filter((o) => o.kind === 'database' && o.status === 503).length, report).toBeGreaterThan(
      0,
    );
  }, 60_000);
});
