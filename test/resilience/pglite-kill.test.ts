import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../../src/db/database.js';
import { type RunningService, startService } from '../helpers/service.js';
import {
  type Answer,
  client,
  expectNothingHalfWritten,
  publishedState,
  seedHome,
  stopService,
  verifyWithCli,
} from './kill-helpers.js';

/**
 * The embedded database survives the process being killed (SIGKILL): once when idle, straight after
 * its last answer, and once in the middle of a burst of writes. Each time the service restarts on
 * the same DATA_DIR, although the dead process's lock file is still there; every write it answered
 * 2xx is there and readable, no write is there in part, and the fee schedule chain verifies.
 */
const ADMIN_KEY = 'pglite-kill-admin-key-0123456789abcdef012';
const BURST_PLACEMENTS = 24;
const BURST_PUBLISHES = 8;
const BURST_PATCHES = 12;
/** Kill once this many writes of the burst have been answered. */
const KILL_AFTER = 10;

interface Acknowledged {
  placements: Map<string, string>; // id → reference
  schedules: Map<string, number>; // id → version
  draftVersion: number;
  draftPlaces: string;
  keys: string[];
}

describe('PGlite killed with SIGKILL', () => {
  let dataDir: string;
  let service: RunningService | undefined;
  let direct: DatabaseHandle | undefined;
  const api = client(() => service!.address, ADMIN_KEY);
  const start = async () => {
    service = await startService({
      DATA_DIR: dataDir,
      ADMIN_API_KEY: ADMIN_KEY,
      RATE_LIMIT_PER_MINUTE: '0',
      RATE_LIMIT_ANONYMOUS_PER_MINUTE: '0',
    });
    return service;
  };
  /** Kill the running service; its lock file stays behind, naming the dead process. */
  const kill = async () => {
    const victim = service!;
    victim.child.kill('SIGKILL');
    expect(await victim.exited).toBeNull();
    expect(Number(readFileSync(path.join(dataDir, 'service.lock'), 'utf8'))).toBe(victim.child.pid);
  };

  let home: Awaited<ReturnType<typeof seedHome>>;
  let secondHomeId: string;
  const acked: Acknowledged = {
    placements: new Map(),
    schedules: new Map(),
    draftVersion: 0,
    draftPlaces: '',
    keys: [],
  };
  let financeKey: string;

  const placement = (i: number) =>
    api.call('POST', '/v1/placements', {
      homeId: i % 2 === 0 ? home.homeId : secondHomeId,
      councilCode: 'E08000015',
      reference: `WIR-KILL-${String(i).padStart(4, '0')}`,
      start: '2026-05-01',
    });
  const keep = (answer: Answer, status = 201) => {
    expect(answer.status, JSON.stringify(answer.body)).toBe(status);
    return answer.body;
  };
  const patchDraft = (ifMatch: number, plannedOccupancy: string) =>
    api.call('PATCH', `/v1/cost-models/${home.draftId}`, JSON.stringify({ home: { plannedOccupancy } }), {
      'if-match': `"${ifMatch}"`,
      'content-type': 'application/merge-patch+json',
    });

  /** Everything answered 2xx so far is there, as it was answered. */
  const expectAcknowledgedWrites = async () => {
    for (const [id, reference] of acked.placements) {
      const read = await api.call('GET', `/v1/placements/${id}`);
      expect(read.status, `placement ${id}`).toBe(200);
      expect(read.body.reference).toBe(reference);
      expect(read.body.history.length).toBe(read.body.version);
    }
    for (const [id, version] of acked.schedules) {
      const read = await api.call('GET', `/v1/fee-schedules/${id}`);
      expect(read.status, `schedule ${id}`).toBe(200);
      expect(read.body.version).toBe(version);
      expect((await api.call('GET', `/v1/fee-schedules/${id}/proof`)).status).toBe(200);
    }
    const draft = await api.call('GET', `/v1/cost-models/${home.draftId}`);
    expect(draft.status).toBe(200);
    expect(Number(draft.headers.get('etag')!.slice(1, -1))).toBeGreaterThanOrEqual(acked.draftVersion);
    // the finance key made through the API still opens its organisation's data
    const own = await fetch(`${service!.address}/v1/homes/${home.homeId}`, {
      headers: { authorization: `Bearer ${financeKey}` },
    });
    expect(own.status).toBe(200);
    for (const organisationId of [home.organisationId]) await publishedState(api, organisationId);
    const quote = await api.call('GET', `/v1/cost-models/${home.draftId}/quote`);
    expect(quote.status).toBe(200);
  };

  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'care-pglite-kill-'));
  });
  afterAll(async () => {
    await stopService(service, 'SIGKILL');
    await direct?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps every acknowledged write through a kill when idle and a kill mid-burst', async () => {
    const t0 = Date.now();
    const marks: string[] = [];
    const mark = (label: string) => marks.push(`${label} ${Date.now() - t0}`);
    await start();
    mark('started');

    // 1. Write a little of everything, then kill straight after the last answer.
    home = await seedHome(api, 'Survivor House');
    secondHomeId = (
      keep(
        await api.call('POST', '/v1/homes', {
          organisationId: home.organisationId,
          name: 'Second Survivor House',
          hostCouncil: 'E08000015',
          registeredPlaces: 3,
          openedOn: '2021-01-01',
        }),
      ) as { id: string }
    ).id;
    financeKey = keep(
      await api.call('POST', '/v1/api-keys', {
        role: 'finance',
        organisationId: home.organisationId,
        label: 'survivor',
      }),
    ).key;
    const patched = await patchDraft(1, '0.85');
    keep(patched, 200);
    acked.draftVersion = 2;
    const v1 = keep(
      await api.call(
        'POST',
        `/v1/cost-models/${home.draftId}/publish`,
        { effectiveFrom: '2026-04-01' },
        { 'idempotency-key': 'pglite-kill-v1' },
      ),
    );
    acked.schedules.set(v1.id, 1);
    for (let i = 0; i < 4; i++) {
      const created = keep(await placement(i));
      acked.placements.set(created.id, created.reference);
    }
    const ended = await api.call('POST', `/v1/placements/${[...acked.placements.keys()][0]}/versions`, {
      action: 'end',
      end: '2026-06-30',
    });
    keep(ended);
    await kill();
    mark('killed idle');

    await start();
    mark('restarted');
    await expectAcknowledgedWrites();
    const endedNow = await api.call('GET', `/v1/placements/${[...acked.placements.keys()][0]}`);
    expect(endedNow.body.version).toBe(2);
    expect(endedNow.body.end).toBe('2026-06-30');
    const draft = await api.call('GET', `/v1/cost-models/${home.draftId}`);
    expect(draft.body.document.home.plannedOccupancy).toBe('0.85');
    mark('checked');

    // 2. A burst of writes of every kind at once, killed once KILL_AFTER of them have been answered.
    let answered = 0;
    let killing: Promise<void> | undefined;
    const onAnswer = () => {
      answered += 1;
      if (answered === KILL_AFTER) killing = kill();
    };
    const track = (promise: Promise<Answer>) =>
      promise.then(
        (answer) => {
          onAnswer();
          return answer;
        },
        () => undefined,
      );
    const placements = Array.from({ length: BURST_PLACEMENTS }, (_, i) => track(placement(100 + i)));
    const publishes = Array.from({ length: BURST_PUBLISHES }, (_, i) =>
      track(
        api.call(
          'POST',
          `/v1/cost-models/${home.draftId}/publish`,
          { effectiveFrom: '2026-06-01' },
          { 'idempotency-key': `pglite-kill-burst-${i}` },
        ),
      ),
    );
    // A writer that changes the draft again and again with fresh ETags.
    const patches = (async () => {
      let version = acked.draftVersion;
      for (let i = 0; i < BURST_PATCHES; i++) {
        const occupancy = (0.8 - i / 100).toFixed(2);
        const answer = await track(patchDraft(version, occupancy));
        if (!answer) return;
        expect(answer.status, JSON.stringify(answer.body)).toBe(200);
        version += 1;
        acked.draftVersion = version;
        acked.draftPlaces = occupancy;
      }
    })();
    const [placed, published] = await Promise.all([Promise.all(placements), Promise.all(publishes), patches]);
    await killing;
    expect(killing, 'the burst finished before the kill').toBeDefined();
    mark('killed mid-burst');
    for (const answer of placed) {
      if (!answer) continue;
      acked.placements.set(keep(answer).id, answer.body.reference);
    }
    for (const answer of published) {
      if (!answer) continue;
      acked.schedules.set(keep(answer).id, answer.body.version);
    }
    const unanswered = [...placed, ...published].filter((answer) => answer === undefined).length;
    expect(unanswered, 'every write had answered before the kill').toBeGreaterThan(0);

    await start();
    mark('restarted');
    await expectAcknowledgedWrites();
    if (acked.draftPlaces) {
      const now = await api.call('GET', `/v1/cost-models/${home.draftId}`);
      const version = Number(now.headers.get('etag')!.slice(1, -1));
      // the last acknowledged change is there, or one change after it that committed unanswered
      if (version === acked.draftVersion)
        expect(now.body.document.home.plannedOccupancy).toBe(acked.draftPlaces);
      else expect(version).toBe(acked.draftVersion + 1);
    }
    // The unanswered publishes, retried with their keys: one schedule each, in one unbroken chain.
    const retried = await Promise.all(
      Array.from({ length: BURST_PUBLISHES }, (_, i) =>
        api.call(
          'POST',
          `/v1/cost-models/${home.draftId}/publish`,
          { effectiveFrom: '2026-06-01' },
          { 'idempotency-key': `pglite-kill-burst-${i}` },
        ),
      ),
    );
    for (const answer of retried) expect([200, 201]).toContain(answer.status);
    // an acknowledged publish is replayed as it was answered
    published.forEach((answer, i) => {
      if (answer) expect(retried[i]!.body.id).toBe(answer.body.id);
    });
    const { schedules, chain } = await publishedState(api, home.organisationId);
    expect(schedules).toHaveLength(1 + BURST_PUBLISHES);
    await verifyWithCli(chain, dataDir);
    mark('verified');

    // 3. Stop cleanly and look inside: nothing in part, every placement with its versions.
    await stopService(service);
    expect(existsSync(path.join(dataDir, 'service.lock'))).toBe(false);
    direct = await openDatabase({ dataDir });
    await expectNothingHalfWritten(direct);
    const { rows } = await sql<{ check: string; n: string }>`
      select 'placement without a version' as check, count(*) as n from placements p
        where not exists (select 1 from placement_versions v where v.placement_id = p.id)
      union all
      select 'placement without its create audit event', count(*) from placements p
        where not exists (select 1 from audit_events a where a.resource_id = p.id::text and a.action = 'create')
    `.execute(direct.db);
    expect(Object.fromEntries(rows.map((row) => [row.check, Number(row.n)]))).toEqual({
      'placement without a version': 0,
      'placement without its create audit event': 0,
    });
    const stored = await direct.db.selectFrom('placements').select('id').execute();
    for (const id of acked.placements.keys()) expect(stored.map((row) => row.id)).toContain(id);
    mark('inspected');
    if (process.env.RESILIENCE_VERBOSE)
      console.log(`${acked.placements.size} placements, ${unanswered} unanswered; ${marks.join(', ')}`);
  }, 120_000);
});
