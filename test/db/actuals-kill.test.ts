import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ownDatabase } from '../helpers/database.js';
import { type RunningService, startService } from '../helpers/service.js';

/**
 * The service killed (SIGKILL) in the middle of a streamed CSV import on PostgreSQL, while the file
 * is still arriving and while its lines are being written: nothing of the import is ever seen, and
 * the same import retried with the same Idempotency-Key after a restart completes in full. The
 * service takes no search_path from its environment, so the test makes a database of its own.
 */
const baseUrl = process.env.TEST_DATABASE_URL;
const ADMIN_KEY = 'kill-test-admin-key-0123456789abcdef0123';
const auth = { authorization: `Bearer ${ADMIN_KEY}` };
const ROWS = 20_000; // written in 10 slices of 2,000 lines
const CHUNK_ROWS = 500;
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
      headers: { ...auth, 'content-type': 'text/csv', 'idempotency-key': `kill-test-${homeId}` },
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

  // each test starts (and restarts) the service it needs, and leaves none running
  afterEach(async () => {
    if (service && service.child.exitCode === null && service.child.signalCode === null) {
      service.child.kill('SIGTERM');
      await service.exited;
    }
    service = undefined;
  });

  afterAll(async () => {
    await db?.end();
    await dropDatabase?.();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** Imports (and their lines) that readers see: none of a batch still listed as pending. */
  const visible = async (homeId: string) => {
    const { rows } = await db!.query<{ imports: string; lines: string }>(
      `select count(distinct i.id) as imports, count(a.line) as lines
         from actuals_imports i left join actual_amounts a on a.import_id = i.id
        where i.home_id = $1 and not exists (select 1 from actuals_pending p where p.batch_id = i.batch_id)`,
      [homeId],
    );
    return { imports: Number(rows[0]!.imports), lines: Number(rows[0]!.lines) };
  };
  const newHome = async (name: string) => {
    const organisation = await post('/v1/organisations', {
      name: `${name} CIC`,
      legalForm: 'community_interest_company',
    });
    return post('/v1/homes', {
      organisationId: organisation.id,
      name,
      hostCouncil: 'E08000015',
      registeredPlaces: 4,
      openedOn: '2020-01-01',
    });
  };
  const until = async (what: string, check: () => Promise<boolean>) => {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (await check()) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error(`timed out waiting: ${what}`);
  };
  const kill = async (importing: Promise<Response>) => {
    service!.child.kill('SIGKILL');
    expect(await service!.exited).toBeNull(); // killed by the signal, no exit code
    const outcome = await importing.then(
      (response) => ({ status: response.status }),
      (error: unknown) => ({ error }),
    );
    expect(outcome, 'the killed import must not have answered').toHaveProperty('error');
  };
  const retryCompletes = async (homeId: string) => {
    const retry = await importCsv(homeId, 0);
    const body = await retry.text();
    expect(retry.status, body).toBe(201);
    const summary = JSON.parse(body) as { replayed: boolean; months: Array<{ rows: number }> };
    expect(summary.replayed).toBe(false);
    expect(summary.months.reduce((sum, month) => sum + month.rows, 0)).toBe(ROWS);
    expect(await visible(homeId)).toEqual({ imports: 6, lines: ROWS });
  };

  it('writes nothing at all when killed while the file is still arriving', async () => {
    service = await start();
    const home = await newHome('Upload House');

    const importing = importCsv(home.id, CHUNK_DELAY_MS);
    importing.catch(() => undefined); // it is killed: handled in kill()
    await new Promise((resolve) => setTimeout(resolve, 400)); // a third of the file sent
    await kill(importing);
    const written = await db!.query('select 1 from actuals_imports where home_id = $1', [home.id]);
    expect(written.rows).toEqual([]);
    expect(await count('actuals_pending')).toBe(0);
    service = await start();
    await retryCompletes(home.id);
  }, 60_000);

  it('shows nothing of an import killed while its lines are being written, and the retry completes', async () => {
    service = await start();
    const home = await newHome('Kill House');
    const importing = importCsv(home.id, 0);
    let answered = '';
    importing.then(
      async (response) => {
        answered = `${response.status} ${await response.text()}`;
      },
      () => undefined,
    );
    // wait until the batch is pending and some of its lines are written, then kill the service
    await until('the import writing its lines', async () => {
      if (answered) throw new Error(`the import answered before it could be killed: ${answered}`);
      const { rows } = await db!.query<{ n: string }>(
        `select count(*) as n from actual_amounts a join actuals_imports i on i.id = a.import_id
          where i.home_id = $1`,
        [home.id],
      );
      return Number(rows[0]!.n) > 0;
    });
    await kill(importing);
    service = await start();
    expect(await visible(home.id)).toEqual({ imports: 0, lines: 0 });
    const month = await fetch(`${service.address}/v1/homes/${home.id}/actuals?month=2026-04`, {
      headers: auth,
    });
    expect(month.status).toBe(404);
    await retryCompletes(home.id);
  }, 60_000);
});
