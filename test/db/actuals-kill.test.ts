import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownDatabase } from '../helpers/database.js';
import { type RunningService, startService } from '../helpers/service.js';

/**
 * The service killed (SIGKILL) in the middle of a streamed CSV import on PostgreSQL: nothing of the
 * import is left behind, and the same import retried with the same Idempotency-Key after a restart
 * completes in full. The service takes no search_path from its environment, so the test makes a
 * database of its own.
 */
const baseUrl = process.env.TEST_DATABASE_URL;
const ADMIN_KEY = 'kill-test-admin-key-0123456789abcdef0123';
const auth = { authorization: `Bearer ${ADMIN_KEY}` };
const ROWS = 2000;
const CHUNK_ROWS = 50;
const CHUNK_DELAY_MS = 30; // 40 chunks: about 1.2 s to send the whole file
const CODES = ['PROPERTY_LEASE', 'STAFF_PAY', 'RUNNING_FOOD_HOUSEHOLD', 'RUNNING_ACTIVITIES'];

function csvLine(i: number): string {
  const month = `2026-${String(4 + (i % 6)).padStart(2, '0')}`;
  const code = CODES[Math.floor(i / 6) % CODES.length]!;
  return `${month},${code},${(i % 900) + 1}.${String(i % 100).padStart(2, '0')},Invoice ${i}\n`;
}

/** The same CSV every time, sent in chunks of CHUNK_ROWS rows, each after `delayMs`. */
function csvBody(delayMs: number): ReadableStream {
  let next = 0;
  let timer: NodeJS.Timeout | undefined;
  const chunk = () => {
    let text = next === 0 ? 'month,code,amount,description\n' : '';
    const end = Math.min(ROWS, next + CHUNK_ROWS);
    for (; next < end; next++) text += csvLine(next);
    return text;
  };
  const stream = new Readable({
    read() {
      if (next >= ROWS) {
        this.push(null);
        return;
      }
      if (delayMs === 0) this.push(chunk());
      else timer = setTimeout(() => this.push(chunk()), delayMs);
    },
    destroy(error, callback) {
      clearTimeout(timer);
      callback(error);
    },
  });
  return Readable.toWeb(stream) as ReadableStream;
}

describe.skipIf(!baseUrl)('an actuals import killed half way, on PostgreSQL', () => {
  const name = `care_kill_${process.pid}`;
  let databaseUrl: string;
  let dataDir: string;
  let service: RunningService | undefined;
  let db: pg.Client | undefined;

  let dropDatabase: (() => Promise<void>) | undefined;
  const start = () =>
    startService({
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
      ADMIN_API_KEY: ADMIN_KEY,
      RATE_LIMIT_PER_MINUTE: '0',
      RATE_LIMIT_ANONYMOUS_PER_MINUTE: '0',
    });
  const count = async (table: string) =>
    Number((await db!.query<{ n: string }>(`select count(*) as n from ${table}`)).rows[0]!.n);
  const post = async (url: string, body: unknown) => {
    const response = await fetch(`${service!.address}${url}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (response.status !== 201) throw new Error(`POST ${url}: ${response.status} ${await response.text()}`);
    return (await response.json()) as { id: string };
  };
  const importCsv = (homeId: string, delayMs: number) =>
    fetch(`${service!.address}/v1/homes/${homeId}/actuals`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/csv', 'idempotency-key': 'kill-test-import-0001' },
      body: csvBody(delayMs),
      duplex: 'half',
    } as RequestInit);

  beforeAll(async () => {
    const own = await ownDatabase(baseUrl!, name);
    databaseUrl = own.url;
    dropDatabase = own.drop;
    dataDir = mkdtempSync(path.join(tmpdir(), 'care-kill-'));
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    if (service && service.child.exitCode === null && service.child.signalCode === null) {
      service.child.kill('SIGTERM');
      await service.exited;
    }
    await db?.end();
    await dropDatabase?.();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('leaves nothing half written, and the retry completes', async () => {
    service = await start();
    const organisation = await post('/v1/organisations', {
      name: 'Kill Test CIC',
      legalForm: 'community_interest_company',
    });
    const home = await post('/v1/homes', {
      organisationId: organisation.id,
      name: 'Kill House',
      hostCouncil: 'E08000015',
      registeredPlaces: 4,
      openedOn: '2020-01-01',
    });

    // The slow import: wait until its open transaction has written rows (a lock on actual_amounts
    // held by the service's connection), then kill the service.
    const killed = importCsv(home.id, CHUNK_DELAY_MS).then(
      (response) => ({ status: response.status }),
      (error: unknown) => ({ error }),
    );
    const deadline = Date.now() + 10_000;
    let writing = false;
    while (!writing && Date.now() < deadline) {
      const { rows } = await db!.query<{ n: string }>(
        `select count(*) as n from pg_locks l join pg_class c on c.oid = l.relation
          where c.relname = 'actual_amounts' and l.mode = 'RowExclusiveLock' and l.pid <> pg_backend_pid()`,
      );
      writing = Number(rows[0]!.n) > 0;
      if (!writing) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(writing, 'the import never started writing').toBe(true);
    service.child.kill('SIGKILL');
    expect(await service.exited).toBeNull(); // killed by the signal, no exit code
    const outcome = await killed;
    expect(outcome, 'the killed import must not have answered').toHaveProperty('error');

    // PostgreSQL rolls the open transaction back when the connection drops.
    service = await start();
    expect(await count('actuals_imports')).toBe(0);
    expect(await count('actual_amounts')).toBe(0);

    const retry = await importCsv(home.id, 0);
    const body = await retry.text();
    expect(retry.status, body).toBe(201);
    const summary = JSON.parse(body) as { replayed: boolean; months: Array<{ rows: number }> };
    expect(summary.replayed).toBe(false);
    expect(summary.months.reduce((sum, month) => sum + month.rows, 0)).toBe(ROWS);
    expect(await count('actuals_imports')).toBe(6);
    expect(await count('actual_amounts')).toBe(ROWS);
  }, 60_000);
});
