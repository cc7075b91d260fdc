import { type ChildProcess, spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseNotice, openDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { StartupError, startupSteps } from '../../src/db/startup.js';
import { SERVICE_ENV } from '../helpers/service.js';

/**
 * Start-up: every step logged with its duration and bounded by STARTUP_TIMEOUT_MS; the PGlite data
 * folder private to the service's user; the lock file's verdict on a live process that is not the
 * service; and (PostgreSQL) connections that never stay idle in a transaction and a pool that recovers
 * from terminated backends.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const ADMIN_KEY = 'startup-test-admin-key-0123456789abcdef01';
const STEPS = [
  'config loaded',
  'data folder locked',
  'database open',
  'migrations',
  'signing key',
  'app built',
  'listening',
];

// biome-ignore lint/suspicious/noExplicitAny: log lines are JSON of many shapes
type LogLine = Record<string, any>;

interface Spawned {
  child: ChildProcess;
  lines: LogLine[];
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first log line that matches, rejects when the process exits first or on timeout. */
  waitFor(match: (line: LogLine) => boolean, ms: number): Promise<LogLine>;
}

/** The real service (`node --import tsx src/server.ts`), its stdout read as JSON lines. */
function spawnServer(env: Record<string, string>): Spawned {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: root,
    env: {
      ...process.env,
      ...SERVICE_ENV,
      ADMIN_API_KEY: ADMIN_KEY,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return follow(child);
}

function follow(child: ChildProcess): Spawned {
  const lines: LogLine[] = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  let buffer = '';
  child.stdout?.on('data', (chunk) => {
    buffer += String(chunk);
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    for (const part of parts) {
      try {
        lines.push(JSON.parse(part));
      } catch {
        lines.push({ text: part });
      }
    }
    for (const wake of waiters) wake();
  });
  child.stderr?.on('data', (chunk) => stderr.push(String(chunk)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      resolve({ code, signal });
      for (const wake of waiters) wake();
    }),
  );
  let done = false;
  void exited.then(() => {
    done = true;
  });
  const waitFor = (match: (line: LogLine) => boolean, ms: number) =>
    new Promise<LogLine>((resolve, reject) => {
      const check = () => {
        const found = lines.find(match);
        if (found) return finish(() => resolve(found));
        if (done) finish(() => reject(new Error(`exited first:\n${show()}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`not seen in ${ms} ms:\n${show()}`))), ms);
      const finish = (then: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        then();
      };
      waiters.add(check);
      check();
    });
  const show = () => [...lines.map((line) => JSON.stringify(line)), ...stderr].join('\n');
  return { child, lines, stderr, exited, waitFor };
}

/** Every file and folder under `dir` that its group or others may read, write or enter. */
function notPrivate(dir: string): string[] {
  const found: string[] = [];
  const visit = (entry: string) => {
    const stat = lstatSync(entry);
    if (stat.isSymbolicLink()) return;
    if (stat.mode & 0o077) found.push(`${entry} ${(stat.mode & 0o777).toString(8)}`);
    if (stat.isDirectory()) for (const name of readdirSync(entry)) visit(path.join(entry, name));
  };
  visit(dir);
  return found;
}

function stepLines(lines: LogLine[]): LogLine[] {
  return lines.filter((line) => typeof line.step === 'string' && line.level === 30);
}

const temporary: string[] = [];
const children: ChildProcess[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  temporary.push(dir);
  return dir;
}
function sleeper(): ChildProcess {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  children.push(child);
  return child;
}

afterAll(() => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

describe('the service starting on PGlite', () => {
  let running: Spawned | undefined;
  afterEach(async () => {
    if (running && running.child.exitCode === null && running.child.signalCode === null) {
      running.child.kill('SIGKILL');
      await running.exited;
    }
    running = undefined;
  });

  it('logs each step with its duration in ms, answers /health/ready, and keeps its folder private', async () => {
    const dataDir = path.join(tempDir('care-startup-'), 'data');
    running = spawnServer({ DATA_DIR: dataDir });
    const listening = await running.waitFor((line) => line.step === 'listening', 170_000);
    const steps = stepLines(running.lines);
    expect(steps.map((line) => line.step)).toEqual(STEPS);
    for (const line of steps) {
      expect(typeof line.durationMs, line.step).toBe('number');
      expect(line.durationMs).toBeGreaterThanOrEqual(0);
    }
    expect(steps.find((line) => line.step === 'migrations')?.applied).toContain('0001_init');

    const address = listening.address as string;
    const ready = await fetch(`${address}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', database: 'pglite' });
    const created = await fetch(`${address}/v1/organisations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Private Files CIC', legalForm: 'community_interest_company' }),
    });
    expect(created.status).toBe(201);

    // the folder, PGlite's files, the lock and the signing key: the service's user only
    expect(lstatSync(dataDir).mode & 0o777).toBe(0o700);
    expect(lstatSync(path.join(dataDir, 'signing-key.pem')).mode & 0o777).toBe(0o600);
    expect(notPrivate(dataDir)).toEqual([]);

    running.child.kill('SIGTERM');
    expect((await running.exited).code).toBe(0);
    expect(notPrivate(dataDir)).toEqual([]);
    expect(existsSync(path.join(dataDir, 'service.lock'))).toBe(false);
    expect(existsSync(path.join(dataDir, 'service.lock.owner'))).toBe(false);
  }, 240_000);

  it('a step that overruns STARTUP_TIMEOUT_MS is logged as fatal by name, and the process exits 1', async () => {
    const dataDir = path.join(tempDir('care-startup-timeout-'), 'data');
    running = spawnServer({ DATA_DIR: dataDir, STARTUP_TIMEOUT_MS: '1' });
    const { code } = await running.exited;
    expect(code).toBe(1);
    const fatal = running.lines.find((line) => line.level === 60);
    expect(fatal).toMatchObject({ step: 'database open', timeoutMs: 1 });
    expect(fatal?.msg).toMatch(
      /^Start-up step "database open" did not finish within 1 ms \(STARTUP_TIMEOUT_MS\)/,
    );
    expect(running.stderr.join('')).toContain('Could not start: Start-up step "database open"');
    expect(stepLines(running.lines).map((line) => line.step)).toEqual([
      'config loaded',
      'data folder locked',
    ]);
    expect(existsSync(path.join(dataDir, 'service.lock'))).toBe(false); // released on the way out
  }, 120_000);

  it('a lock file naming a live process that is not the service is refused at once, naming the pid and the file', async () => {
    const dataDir = tempDir('care-startup-lock-');
    chmodSync(dataDir, 0o700);
    const stranger = sleeper();
    const lockFile = path.join(dataDir, 'service.lock');
    writeFileSync(lockFile, String(stranger.pid)); // as an older version (or a crash) left it
    const started = Date.now();
    running = spawnServer({ DATA_DIR: dataDir });
    const { code } = await running.exited;
    expect(code).toBe(1);
    expect(Date.now() - started).toBeLessThan(60_000);
    const fatal = running.lines.find((line) => line.level === 60);
    // no waiting: refused as soon as the configuration has been read
    const configured = running.lines.find((line) => line.step === 'config loaded');
    expect(fatal!.time - configured!.time).toBeLessThan(2_000);
    expect(fatal?.step).toBe('data folder locked');
    expect(fatal?.err?.message).toContain(`is in use by process ${stranger.pid}`);
    expect(fatal?.err?.message).toContain(`delete ${lockFile} and start again`);
    expect(running.stderr.join('')).toContain(`in use by process ${stranger.pid}`);
    // the lock is not ours: it is left where it was
    expect(readFileSync(lockFile, 'utf8')).toBe(String(stranger.pid));
  }, 60_000);
});

describe.skipIf(!existsSync('/proc/self/stat'))('the data folder lock (Linux: /proc)', () => {
  const bootId = () => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  const startTicks = (pid: number) => {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[19]!;
  };
  const lockAs = (dataDir: string, pid: number, owner: Record<string, unknown>) => {
    writeFileSync(path.join(dataDir, 'service.lock'), String(pid));
    writeFileSync(
      path.join(dataDir, 'service.lock.owner'),
      JSON.stringify({ pid, token: 'earlier', ...owner }),
    );
  };

  it('refuses the process that took it, and takes over from a reused pid or an earlier boot', async () => {
    const dataDir = tempDir('care-lock-proc-');
    const stranger = sleeper();
    const pid = stranger.pid!;
    // the process that took the lock, still running: refused, with no hint to delete the lock
    lockAs(dataDir, pid, { startTicks: startTicks(pid), bootId: bootId() });
    const refusal = openDatabase({ dataDir }).then(
      () => 'opened',
      (error: Error) => error.message,
    );
    expect(await refusal).toBe(
      `The database in ${dataDir} is in use by process ${pid}: stop it first (or use the API / DATABASE_URL)`,
    );

    // the same pid, but a process that started at another time: the pid was reused, the lock is stale
    lockAs(dataDir, pid, { startTicks: '1', bootId: bootId() });
    const notices: DatabaseNotice[] = [];
    const reopened = await openDatabase({ dataDir, onNotice: (notice) => notices.push(notice) });
    expect(notices.find((notice) => notice.level === 'warn')?.message).toMatch(
      new RegExp(
        `took over a stale lock on the data folder: process ${pid} is not the one that took the lock`,
      ),
    );
    expect(readFileSync(path.join(dataDir, 'service.lock'), 'utf8')).toBe(String(process.pid));
    // a second opener in this process is refused too
    await expect(openDatabase({ dataDir })).rejects.toThrow(/already open in this process/);
    await reopened.close();
    expect(existsSync(path.join(dataDir, 'service.lock'))).toBe(false);

    // taken before the machine last started
    lockAs(dataDir, pid, { startTicks: startTicks(pid), bootId: 'another-boot' });
    const after: DatabaseNotice[] = [];
    const third = await openDatabase({ dataDir, onNotice: (notice) => after.push(notice) });
    expect(after.map((notice) => notice.message).join('\n')).toContain('the machine has restarted since');
    await third.close();
  }, 180_000);

  it('makes the files of an older folder private when it opens it', async () => {
    const dataDir = tempDir('care-old-folder-');
    const first = await openDatabase({ dataDir });
    await migrateToLatest(first.db);
    await first.close();
    // as PGlite 0.5 and earlier versions of the service left it: 0666 files, 0755 folders
    const loosen = (entry: string) => {
      const stat = lstatSync(entry);
      chmodSync(entry, stat.isDirectory() ? 0o777 : 0o666);
      if (stat.isDirectory()) for (const name of readdirSync(entry)) loosen(path.join(entry, name));
    };
    loosen(dataDir);
    expect(notPrivate(dataDir).length).toBeGreaterThan(900);

    const notices: DatabaseNotice[] = [];
    const database = await openDatabase({ dataDir, onNotice: (notice) => notices.push(notice) });
    try {
      expect(notPrivate(dataDir)).toEqual([]);
      expect(notices).toContainEqual(
        expect.objectContaining({
          level: 'info',
          message: expect.stringMatching(/^made the data folder private/),
        }),
      );
      await sql`create table written_after (id int)`.execute(database.db);
      await sql`insert into written_after values (1)`.execute(database.db);
    } finally {
      await database.close();
    }
    expect(notPrivate(dataDir)).toEqual([]);
  }, 180_000);
});

describe('start-up steps', () => {
  function capture() {
    const lines: LogLine[] = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(JSON.parse(String(chunk)));
          done();
        },
      }),
    );
    return { logger, lines };
  }

  it('log each step with its duration; one that never finishes fails by name within the limit', async () => {
    const { logger, lines } = capture();
    const startup = startupSteps(logger, { timeoutMs: 200, watchdog: false });
    expect(
      await startup.run(
        'quick',
        async () => 42,
        (value) => ({ value }),
      ),
    ).toBe(42);
    const started = Date.now();
    const stuck = startup.run('stuck', () => new Promise<never>(() => {}));
    await expect(stuck).rejects.toBeInstanceOf(StartupError);
    await expect(stuck).rejects.toMatchObject({ step: 'stuck', timedOut: true });
    expect(Date.now() - started).toBeLessThan(2_000);
    await expect(startup.run('broken', () => Promise.reject(new Error('no such file')))).rejects.toThrow(
      'Start-up step "broken" failed: no such file',
    );
    startup.finish();
    expect(lines.map((line) => [line.level, line.step])).toEqual([
      [30, 'quick'],
      [60, 'stuck'],
      [60, 'broken'],
    ]);
    expect(lines[0]).toMatchObject({ value: 42, msg: expect.stringMatching(/^start-up: quick \(\d+ ms\)$/) });
    expect(typeof lines[0]?.durationMs).toBe('number');
    expect(lines[1]).toMatchObject({ timeoutMs: 200 });
    expect(lines[2]?.err?.message).toBe('no such file');
  });

  it('a step that blocks the thread is ended by the watchdog, which logs it first', async () => {
    const dir = tempDir('care-watchdog-');
    const script = path.join(dir, 'blocked.mts');
    const startupModule = path.join(root, 'src/db/startup.ts');
    writeFileSync(
      script,
      `import { startupSteps } from ${JSON.stringify(startupModule)};
const quiet = { info() {}, fatal() {} };
const startup = startupSteps(quiet as never, { timeoutMs: 300, graceMs: 300 });
await new Promise((resolve) => setTimeout(resolve, 500)); // the watchdog thread is up
await startup.run('replaying the WAL', () => {
  const end = Date.now() + 60_000;
  while (Date.now() < end) {} // synchronous, as WebAssembly is: no timer of this thread can fire
});
`,
    );
    const started = Date.now();
    const blocked = follow(
      spawn(process.execPath, ['--import', 'tsx', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    children.push(blocked.child);
    const { signal } = await blocked.exited;
    expect(signal).toBe('SIGKILL');
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(blocked.lines).toContainEqual(
      expect.objectContaining({ level: 60, step: 'replaying the WAL', timeoutMs: 300, watchdog: true }),
    );
    expect(blocked.stderr.join('')).toContain(
      'Could not start: Start-up step "replaying the WAL" did not finish',
    );
  }, 60_000);
});

const baseUrl = process.env.TEST_DATABASE_URL;

describe.runIf(baseUrl)('PostgreSQL connections', () => {
  const applicationName = `care_startup_${process.pid}_${Date.now().toString(36)}`;
  let admin: pg.Client;
  beforeAll(async () => {
    admin = new pg.Client({ connectionString: baseUrl });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
  });
  const terminateAll = async (name: string) => {
    // pg_terminate_backend in the select list, so that it runs on the rows the filter kept and no other
    const { rows } = await admin.query<{ terminated: boolean }>(
      'select pg_terminate_backend(pid) as terminated from pg_stat_activity where application_name = $1 and pid <> pg_backend_pid()',
      [name],
    );
    return rows.filter((row) => row.terminated).length;
  };

  it('carry statement_timeout, idle_in_transaction_session_timeout and application_name', async () => {
    const database = await openDatabase({
      databaseUrl: baseUrl,
      applicationName,
      statementTimeoutMs: 12_345,
      idleInTransactionTimeoutMs: 23_456,
    });
    try {
      const { rows } = await sql<{ statement: string; idle: string; name: string }>`
        select current_setting('statement_timeout') as statement,
          current_setting('idle_in_transaction_session_timeout') as idle,
          current_setting('application_name') as name
      `.execute(database.db);
      expect(rows[0]).toEqual({ statement: '12345ms', idle: '23456ms', name: applicationName });
      const defaults = await openDatabase({ databaseUrl: baseUrl });
      try {
        const fallback = await sql<{
          idle: string;
        }>`select current_setting('idle_in_transaction_session_timeout') as idle`.execute(defaults.db);
        expect(fallback.rows[0]?.idle).toBe('1min');
      } finally {
        await defaults.close();
      }
    } finally {
      await database.close();
    }
  });

  it('a pool whose backends are terminated drops those clients, and the next queries work', async () => {
    const name = `${applicationName}_t`;
    const poolErrors: Error[] = [];
    const database = await openDatabase({
      databaseUrl: baseUrl,
      applicationName: name,
      poolMax: 2,
      onPoolError: (error) => poolErrors.push(error),
    });
    try {
      // two connections: one idle in the pool, one checked out in a transaction when both are killed
      await Promise.all([
        sql`select pg_sleep(0.05)`.execute(database.db),
        sql`select pg_sleep(0.05)`.execute(database.db),
      ]);
      const transaction = database.db.transaction().execute(async (trx) => {
        await sql`select 1`.execute(trx);
        expect(await terminateAll(name)).toBe(2);
        await new Promise((resolve) => setTimeout(resolve, 200));
        await sql`select 1`.execute(trx); // its backend has gone
      });
      await expect(transaction).rejects.toThrow();
      for (let i = 0; i < 5; i++) {
        const { rows } = await sql<{ n: number }>`select ${i}::int as n`.execute(database.db);
        expect(rows[0]?.n).toBe(i);
      }
      const together = await Promise.all(
        [0, 1, 2, 3, 4].map((i) => sql<{ n: number }>`select ${i}::int as n`.execute(database.db)),
      );
      expect(together.map((result) => result.rows[0]?.n)).toEqual([0, 1, 2, 3, 4]);
      expect(poolErrors.length).toBeGreaterThan(0); // reported, not thrown
    } finally {
      await database.close();
    }
  });

  it('a transaction left idle is ended by the server, and the pool goes on', async () => {
    const name = `${applicationName}_i`;
    const database = await openDatabase({
      databaseUrl: baseUrl,
      applicationName: name,
      poolMax: 2,
      idleInTransactionTimeoutMs: 300,
      onPoolError: () => {},
    });
    try {
      const transaction = database.db.transaction().execute(async (trx) => {
        await sql`select 1`.execute(trx);
        await new Promise((resolve) => setTimeout(resolve, 1_500)); // a handler that stalled mid-transaction
        await sql`select 1`.execute(trx);
      });
      await expect(transaction).rejects.toThrow();
      const { rows } = await admin.query(
        `select count(*)::int as n from pg_stat_activity where application_name = $1 and state like 'idle in transaction%'`,
        [name],
      );
      expect(rows[0].n).toBe(0);
      const { rows: after } = await sql<{ ok: number }>`select 1 as ok`.execute(database.db);
      expect(after[0]?.ok).toBe(1);
    } finally {
      await database.close();
    }
  });
});
