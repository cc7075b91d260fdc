import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../../src/db/database.js';
import { ownDatabase } from '../helpers/database.js';
import { type RunningService, startService } from '../helpers/service.js';
import {
  client,
  expectNothingHalfWritten,
  publishedState,
  seedHome,
  stopService,
  wirral,
} from './kill-helpers.js';

/**
 * Several instances of the real service behind one load balancer, on one PostgreSQL database and one
 * Redis, give the same answers whichever instance is asked. A and B (rate limits off) are started
 * together on a fresh database, so that they also migrate it at the same time; C and D share their
 * database and Redis with a limit of 6 requests a minute per key. All four sign with one key file,
 * made once here as an operator would (docs/scaling.md).
 */
const baseUrl = process.env.TEST_DATABASE_URL;
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
// A key of this run's own: the rate limit counters in Redis are per key, so runs never share them.
const ADMIN_KEY = `two-instances-${randomBytes(16).toString('hex')}`;
const LIMIT = 6;
const root = fileURLToPath(new URL('../..', import.meta.url));
const execFileAsync = promisify(execFile);

describe.skipIf(!baseUrl)('two instances behind a load balancer, on one PostgreSQL and one Redis', () => {
  let dir: string;
  let dropDatabase: (() => Promise<void>) | undefined;
  let databaseUrl: string;
  let direct: DatabaseHandle | undefined;
  const services: Record<'A' | 'B' | 'C' | 'D', RunningService | undefined> = {
    A: undefined,
    B: undefined,
    C: undefined,
    D: undefined,
  };
  const A = client(() => services.A!.address, ADMIN_KEY);
  const B = client(() => services.B!.address, ADMIN_KEY);
  const C = client(() => services.C!.address, ADMIN_KEY);
  const D = client(() => services.D!.address, ADMIN_KEY);
  const as = (key: string) => ({ authorization: `Bearer ${key}` });
  /** The status of a read through `api` with `key` (200 while the key works, 401 once refused). */
  const readWith = async (api: typeof A, key: string): Promise<number> =>
    (await api.call('GET', '/v1/organisations', undefined, as(key))).status;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'care-two-instances-'));
    const own = await ownDatabase(baseUrl!, `care_two_instances_${process.pid}`);
    databaseUrl = own.url;
    dropDatabase = own.drop;
    // The one signing key every instance uses, made before any of them starts.
    const signingKeyFile = path.join(dir, 'signing-key.pem');
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(signingKeyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const env = (name: string, limit: number) => ({
      DATA_DIR: path.join(dir, name), // nothing is kept there on PostgreSQL
      DATABASE_URL: databaseUrl,
      REDIS_URL,
      SIGNING_KEY_FILE: signingKeyFile,
      ADMIN_API_KEY: ADMIN_KEY,
      // long enough that a revocation seen within a second is the notification, not the cache expiring
      API_KEY_CACHE_SECONDS: '60',
      RATE_LIMIT_PER_MINUTE: String(limit),
      RATE_LIMIT_ANONYMOUS_PER_MINUTE: '0',
    });
    const started = await Promise.allSettled([
      startService(env('a', 0)),
      startService(env('b', 0)),
      startService(env('c', LIMIT)),
      startService(env('d', LIMIT)),
    ]);
    (['A', 'B', 'C', 'D'] as const).forEach((name, i) => {
      const outcome = started[i]!;
      if (outcome.status === 'fulfilled') services[name] = outcome.value;
    });
    const failed = started.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
    direct = await openDatabase({ databaseUrl });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(Object.values(services).map((service) => stopService(service)));
    await direct?.close();
    await dropDatabase?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  const publish = (api: typeof A, draftId: string, key: string, effectiveFrom = '2026-10-01') =>
    api.call('POST', `/v1/cost-models/${draftId}/publish`, { effectiveFrom }, { 'idempotency-key': key });

  it('reads on B, by id and as the schedule in force, what was published on A a moment before', async () => {
    const { homeId, draftId } = await seedHome(A, 'Read Across House');
    const first = await publish(A, draftId, 'read-across-1');
    expect(first.status).toBe(201);
    const byId = await B.call('GET', `/v1/fee-schedules/${first.body.id}`);
    expect(byId.status).toBe(200);
    expect(byId.body).toEqual(first.body);
    const current = `/v1/homes/${homeId}/fee-schedules/current?on=2026-10-01`;
    expect((await B.call('GET', current)).body.id).toBe(first.body.id);

    // A second schedule for the same day on A: B's answer for the schedule in force changes at once.
    const second = await publish(A, draftId, 'read-across-2');
    expect(second.status).toBe(201);
    expect(second.body.version).toBe(2);
    const now = await B.call('GET', current);
    expect(now.status).toBe(200);
    expect(now.body.id).toBe(second.body.id);
    expect((await A.call('GET', current)).body).toEqual(now.body);
  });

  it('refuses on B, within a second, a key revoked on A that B had cached', async () => {
    const created = await A.created('/v1/api-keys', { role: 'regulator', label: 'revoked across' });
    const key = created.key as string;
    for (let i = 0; i < 2; i++) {
      expect(await readWith(B, key)).toBe(200);
    }

    // The control: B does cache. A key revoked behind the service's back (no notification) still
    // works on B, from its cache.
    const quiet = await A.created('/v1/api-keys', { role: 'regulator', label: 'revoked quietly' });
    expect(await readWith(B, quiet.key as string)).toBe(200);
    await direct!.db
      .updateTable('api_keys')
      .set({ revoked_at: new Date() })
      .where('id', '=', quiet.id)
      .execute();
    expect(await readWith(B, quiet.key as string)).toBe(200);

    const revoked = await A.call('DELETE', `/v1/api-keys/${created.id}`);
    expect(revoked.status).toBe(204);
    const since = Date.now();
    let status = 200;
    while (Date.now() - since < 2_000) {
      status = await readWith(B, key);
      if (status !== 200) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const elapsed = Date.now() - since;
    if (process.env.RESILIENCE_VERBOSE) console.log(`revoked on A, refused on B after ${elapsed} ms`);
    expect(status).toBe(401);
    expect(elapsed).toBeLessThan(1_000);
    expect(await readWith(A, key)).toBe(401);
  });

  it('refuses on A and B a key revoked with the command line', async () => {
    const created = await A.created('/v1/api-keys', { role: 'regulator', label: 'revoked by the CLI' });
    const key = created.key as string;
    for (const api of [A, B]) {
      expect(await readWith(api, key)).toBe(200);
    }
    const { stdout } = await execFileAsync(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'keys', 'revoke', created.id],
      {
        cwd: root,
        encoding: 'utf8',
        timeout: 30_000,
        env: { ...process.env, DATABASE_URL: databaseUrl, DATA_DIR: path.join(dir, 'cli') },
      },
    );
    expect(stdout).toContain(`Revoked ${created.id}`);
    for (const api of [A, B]) {
      await expect
        .poll(() => readWith(api, key), {
          timeout: 1_000,
          interval: 50,
        })
        .toBe(401);
    }
  }, 30_000);

  it('forgets every cached key when the notification connection comes back, and hears again', async () => {
    const missed = await A.created('/v1/api-keys', { role: 'regulator', label: 'missed notification' });
    const later = await A.created('/v1/api-keys', { role: 'regulator', label: 'revoked after' });
    for (const created of [missed, later]) {
      expect(await readWith(B, created.key as string)).toBe(200);
    }
    // Every instance's listening connection cut; meanwhile a revocation it cannot hear of.
    await sql`
      select pg_terminate_backend(pid) from pg_stat_activity
       where datname = current_database() and application_name like '% listener'
    `.execute(direct!.db);
    await direct!.db
      .updateTable('api_keys')
      .set({ revoked_at: new Date() })
      .where('id', '=', missed.id)
      .execute();
    await expect
      .poll(() => readWith(B, missed.key as string), {
        timeout: 5_000,
        interval: 50,
      })
      .toBe(401);
    // log lines are written in batches, at most LOG_FLUSH_MS (500 ms) after they are logged
    const logged = () => services.B!.lines.join('\n');
    await expect.poll(logged).toMatch(/"level":40,.*lost the database notification connection/);
    await expect.poll(logged).toMatch(/listening for database notifications again/);

    expect((await A.call('DELETE', `/v1/api-keys/${later.id}`)).status).toBe(204);
    await expect
      .poll(() => readWith(B, later.key as string), {
        timeout: 1_000,
        interval: 50,
      })
      .toBe(401);
  });

  it('keeps one chain when 20 drafts of one home are published at once through A and B', async () => {
    const { organisationId, homeId, draftId } = await seedHome(A, 'Split Burst House');
    const drafts = [
      draftId,
      ...(await Promise.all(
        Array.from({ length: 19 }, (_, i) =>
          (i % 2 ? A : B).created(`/v1/homes/${homeId}/cost-models`, wirral).then((draft) => draft.id),
        ),
      )),
    ];
    const answers = await Promise.all(drafts.map((id, i) => publish(i % 2 ? B : A, id, `split-burst-${i}`)));
    for (const answer of answers) expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    expect(answers.map((a) => a.body.version).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );

    // The chain as each instance serves it: sequences 1…20, every link to its predecessor's hash, one
    // head (the one hash no other entry links to), every signature good, all with the one key.
    const { chain } = await publishedState(B, organisationId);
    expect((await A.call('GET', `/v1/organisations/${organisationId}/fee-schedule-chain`)).body).toEqual(
      chain,
    );
    const proofs = chain.entries.map(
      (entry: { proof: { sequence: number; hash: string; previousHash: string | null; keyId: string } }) =>
        entry.proof,
    );
    expect(proofs).toHaveLength(20);
    proofs.forEach((proof: { sequence: number; previousHash: string | null }, i: number) => {
      expect(proof.sequence).toBe(i + 1);
      expect(proof.previousHash).toBe(i === 0 ? null : proofs[i - 1].hash);
    });
    const linkedTo = new Set(proofs.map((proof: { previousHash: string | null }) => proof.previousHash));
    expect(proofs.filter((proof: { hash: string }) => !linkedTo.has(proof.hash))).toHaveLength(1);
    expect(new Set(proofs.map((proof: { keyId: string }) => proof.keyId)).size).toBe(1);
    expect(chain.keys).toHaveLength(1);
    await expectNothingHalfWritten(direct!);
  }, 30_000);

  it('limits one key to 6 requests a minute across C and D together, not 6 on each', async () => {
    const created = await A.created('/v1/api-keys', { role: 'regulator', label: 'limited across' });
    const statuses: number[] = [];
    for (let i = 0; i < 2 * LIMIT; i++) {
      const answer = await (i % 2 ? D : C).call(
        'GET',
        '/v1/organisations',
        undefined,
        as(created.key as string),
      );
      statuses.push(answer.status);
      if (answer.status === 429) {
        expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
      }
    }
    expect(statuses).toEqual([...Array(LIMIT).fill(200), ...Array(LIMIT).fill(429)]);
  });

  it('replays on B the answer A gave to an Idempotency-Key, and refuses the key for another request', async () => {
    const { draftId } = await seedHome(A, 'Replay House');
    const other = await seedHome(A, 'Other House');
    const original = await publish(A, draftId, 'replayed-across');
    expect(original.status).toBe(201);
    const replay = await publish(B, draftId, 'replayed-across');
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(original.body);
    const reused = await publish(B, other.draftId, 'replayed-across');
    expect(reused.status).toBe(422);
    expect(reused.body.type).toBe('/problems/idempotency-key-reused');
  });
});
