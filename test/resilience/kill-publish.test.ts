import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, type Engine, openDatabase } from '../../src/db/database.js';
import { ownDatabase } from '../helpers/database.js';
import { type RunningService, startService } from '../helpers/service.js';
import {
  type Answer,
  client,
  expectNothingHalfWritten,
  publishedState,
  seedHome,
  stopService,
} from './kill-helpers.js';

/**
 * The service killed (SIGKILL) while a burst of publishes is in flight, on PostgreSQL (a database of
 * its own on TEST_DATABASE_URL's server) and on PGlite (a DATA_DIR folder). Each home is in an
 * organisation of its own and already has version 1; the burst publishes version 2 of every home at
 * once and the process is killed as soon as the first answer comes back (on PostgreSQL, as soon after
 * that as another publishing transaction is seen holding its locks). After a restart each
 * publish is either all there (schedule, proof, chain link, audit event, idempotency key) or not
 * there at all, every publish that was answered 201 is there, the chains verify, and retrying every
 * publish with its Idempotency-Key leaves exactly one version 2 per home.
 */
const baseUrl = process.env.TEST_DATABASE_URL;
const engines: Engine[] = baseUrl ? ['pglite', 'postgres'] : ['pglite'];
const ADMIN_KEY = 'kill-publish-admin-key-0123456789abcdef01';
const HOMES = 16;

describe.each(engines)('a burst of publishes killed half way, on %s', (engine) => {
  let dataDir: string;
  let databaseUrl: string | undefined;
  let dropDatabase: (() => Promise<void>) | undefined;
  let service: RunningService | undefined;
  let watcher: pg.Client | undefined;
  let direct: DatabaseHandle | undefined;
  const api = client(() => service!.address, ADMIN_KEY);
  const start = async () => {
    service = await startService({
      DATA_DIR: dataDir,
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      ADMIN_API_KEY: ADMIN_KEY,
      RATE_LIMIT_PER_MINUTE: '0',
      RATE_LIMIT_ANONYMOUS_PER_MINUTE: '0',
    });
    return service;
  };
  const publish = (draftId: string, key: string) =>
    api.call(
      'POST',
      `/v1/cost-models/${draftId}/publish`,
      { effectiveFrom: '2026-10-01' },
      { 'idempotency-key': key },
    );

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), `care-kill-publish-${engine}-`));
    if (engine === 'postgres') {
      const own = await ownDatabase(baseUrl!, `care_kill_publish_${process.pid}`);
      databaseUrl = own.url;
      dropDatabase = own.drop;
      watcher = new pg.Client({ connectionString: databaseUrl });
      await watcher.connect();
    }
  });

  afterAll(async () => {
    await stopService(service, 'SIGKILL');
    await direct?.close();
    await watcher?.end();
    await dropDatabase?.();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('leaves every publish whole or absent, keeps every acknowledged one, and the retries complete', async () => {
    const t0 = Date.now();
    const marks: string[] = [];
    const mark = (label: string) => marks.push(`${label} ${Date.now() - t0}`);
    const first = await start();
    mark('started');
    const homes = await Promise.all(
      Array.from({ length: HOMES }, (_, i) => seedHome(api, `Burst House ${i}`)),
    );
    for (const [i, home] of homes.entries()) {
      const v1 = await publish(home.draftId, `kill-publish-v1-${i}`);
      expect(v1.status).toBe(201);
    }

    mark('seeded');
    // The burst: version 2 of every home at once; kill at the first sign of it landing.
    const burst = homes.map((home, i) =>
      publish(home.draftId, `kill-publish-v2-${i}`).then(
        (answer): Answer | { error: unknown } => answer,
        (error: unknown) => ({ error }),
      ),
    );
    // The first answer means some publishes are committed; on PostgreSQL then wait (briefly) to see
    // another publishing transaction holding its write lock on fee_schedule_proofs, and kill then.
    let trigger = 'first answer';
    await Promise.race(burst);
    if (watcher) {
      const deadline = Date.now() + 1000;
      while (Date.now() < deadline) {
        const { rows } = await watcher.query<{ n: string }>(
          `select count(*) as n from pg_locks l join pg_class c on c.oid = l.relation
            where c.relname = 'fee_schedule_proofs' and l.mode = 'RowExclusiveLock' and l.pid <> pg_backend_pid()`,
        );
        if (Number(rows[0]!.n) > 0) {
          trigger = 'first answer, then a transaction in flight';
          break;
        }
      }
    }
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull(); // killed by the signal
    const outcomes = await Promise.all(burst);

    const acknowledged = new Map<number, string>();
    outcomes.forEach((outcome, i) => {
      if ('status' in outcome) {
        // Whatever answered before the kill answered properly.
        expect(outcome.status, JSON.stringify(outcome.body)).toBe(201);
        acknowledged.set(i, outcome.body.id);
      }
    });
    const unanswered = HOMES - acknowledged.size;
    expect(unanswered, `killed on ${trigger}, but every publish had answered`).toBeGreaterThan(0);

    // The restart: on PGlite the dead process's lock file is still there and must not stop it.
    if (engine === 'pglite') {
      expect(Number(readFileSync(path.join(dataDir, 'service.lock'), 'utf8'))).toBe(first.child.pid);
    }
    mark('killed');
    await start();
    mark('restarted');
    const versionsAfterKill: number[] = [];
    for (const [i, home] of homes.entries()) {
      const { schedules } = await publishedState(api, home.organisationId);
      versionsAfterKill.push(schedules.length);
      expect(schedules.length === 1 || schedules.length === 2, `home ${i}: ${schedules.length}`).toBe(true);
      const id = acknowledged.get(i);
      if (id) expect(schedules.map((s) => s.id)).toContain(id);
    }
    if (direct === undefined && databaseUrl) direct = await openDatabase({ databaseUrl });
    if (direct) await expectNothingHalfWritten(direct);

    mark('checked');
    // Every publish again with its own key: the acknowledged ones (and any that committed without an
    // answer) are replayed, the rest are published now. Twice, to see the second time replay.
    for (const round of [1, 2]) {
      const retries = await Promise.all(
        homes.map((home, i) => publish(home.draftId, `kill-publish-v2-${i}`)),
      );
      retries.forEach((answer, i) => {
        const wasThere = versionsAfterKill[i] === 2 || round === 2;
        expect(answer.status, JSON.stringify(answer.body)).toBe(wasThere ? 200 : 201);
        expect(answer.body.version).toBe(2);
        if (wasThere) expect(answer.headers.get('idempotent-replayed')).toBe('true');
        const id = acknowledged.get(i);
        if (id) expect(answer.body.id).toBe(id);
      });
    }
    // Each chain checked as `npm run cli -- verify` would (its hashes, signatures and links; the
    // CLI itself runs in pglite-kill.test.ts).
    for (const home of homes) {
      const { schedules } = await publishedState(api, home.organisationId);
      expect(schedules.map((s) => s.version).sort()).toEqual([1, 2]);
    }
    mark('retried');

    if (engine === 'pglite') {
      // PGlite has one user at a time: stop the service to look inside.
      await stopService(service);
      expect(existsSync(path.join(dataDir, 'service.lock'))).toBe(false);
      direct = await openDatabase({ dataDir });
    }
    mark('opened');
    await expectNothingHalfWritten(direct!);
    const count = await direct!.db
      .selectFrom('fee_schedules')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(2 * HOMES);
    if (process.env.RESILIENCE_VERBOSE)
      console.log(
        `${engine}: killed on ${trigger}; ${acknowledged.size} of ${HOMES} acknowledged; ${marks.join(', ')}`,
      );
  }, 120_000);
});
