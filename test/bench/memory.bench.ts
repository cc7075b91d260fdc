import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ownDatabase } from '../helpers/database.js';
import { type Figure, load, memoryOf, printTable, resetPeak, saveResults } from './harness.js';
import { benchNodeFlags, type ServiceProcess, startCompiledService } from './service-process.js';

/**
 * npm run bench:memory — the resident memory (RSS, from /proc/<pid>/status) of the service as
 * `npm start` runs it (test/bench/service-process.ts: compiled, the start script's Node.js flags,
 * NODE_ENV=production), on PGlite in a new data folder and on PostgreSQL in a database of its own
 * (BENCH_DATABASE_URL, default the local server; skipped when it does not answer):
 *
 * - the first start's peak: VmHWM once the service listens (for PGlite, initdb and the migrations);
 * - at rest, BENCH_IDLE_SECONDS (5; 3 with BENCH_PROFILE=short) after it listens;
 * - at rest after a warm-up: 10 × GET /health/ready and GET /openapi.json, then a second;
 * - the peak during BENCH_MEMORY_LOAD_SECONDS (2) of autocannon on GET /health/ready (the peak is
 *   reset first where the kernel allows, and RSS is sampled every 20 ms besides);
 * - PGlite only, not with BENCH_PROFILE=short: a second start on the same folder (its peak, at rest).
 *
 * Aims: at rest ≤ 200 MiB on PGlite and ≤ 120 MiB on PostgreSQL, a first start's peak ≤ 400 MiB.
 * BENCH_NODE_FLAGS (space-separated) replaces the start script's flags, to weigh another set.
 * Exits 1 when a request fails, not when an aim is not met.
 */
const short = process.env.BENCH_PROFILE === 'short';
const idleSeconds = Number(process.env.BENCH_IDLE_SECONDS ?? (short ? 3 : 5));
const loadSeconds = Number(process.env.BENCH_MEMORY_LOAD_SECONDS ?? 2);
const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const WARM_UP_REQUESTS = 10;
const FIRST_START_AIM = 400;
/** The rate limits off (0), as for the other HTTP benchmarks: the load is measured, not the limiter's refusals. */
const SERVICE_ENV = { RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '0' };
const IDLE_AIM = { PGlite: 200, PostgreSQL: 120 } as const;
type Engine = keyof typeof IDLE_AIM;

const figures: Figure[] = [];
let failures = 0;

const mib = (value: number) => Math.round(value);

function aimed(figure: string, value: number, unit: string, aim: number): Figure {
  return { figure, value: mib(value), unit, aim: `≤ ${aim} MiB`, met: value <= aim };
}

async function get(url: string): Promise<void> {
  const response = await fetch(url);
  await response.arrayBuffer();
  if (response.status !== 200) {
    failures++;
    process.stderr.write(`GET ${url}: ${response.status}\n`);
  }
}

/** The highest RSS while `work` runs: VmHWM after a reset of the peak, and a sample every 20 ms. */
async function peakDuring(pid: number, work: () => Promise<unknown>): Promise<number> {
  const reset = resetPeak(pid);
  let sampled = memoryOf(pid).rss;
  const timer = setInterval(() => {
    sampled = Math.max(sampled, memoryOf(pid).rss);
  }, 20);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  const after = memoryOf(pid);
  return Math.max(sampled, after.rss, reset ? after.hwm : 0);
}

/** The figures of one start: its peak once listening, at rest, after a warm-up, and under load. */
async function measure(engine: Engine, label: string, service: ServiceProcess, firstStart: boolean) {
  const started = memoryOf(service.pid);
  // How a new PGlite folder's database was made (src/db/database.ts logs it): a copy of the build's
  // template, or initdb when there is no usable template (the peak is then initdb's).
  const log = readFileSync(service.logFile, 'utf8');
  const made = log.includes('from the build’s template')
    ? ', database copied from the build’s template'
    : log.includes('(initdb)')
      ? ', database made by initdb'
      : '';
  const startedIn = `started in ${(service.startMs / 1000).toFixed(1)} s${made}`;
  figures.push(
    firstStart
      ? aimed(
          `${label}: peak RSS of the start (VmHWM once listening)`,
          started.hwm,
          `MiB (${startedIn})`,
          FIRST_START_AIM,
        )
      : {
          figure: `${label}: peak RSS of the start (VmHWM once listening)`,
          value: mib(started.hwm),
          unit: `MiB (${startedIn})`,
        },
  );
  await sleep(idleSeconds * 1000);
  figures.push(
    aimed(
      `${label}: RSS at rest, ${idleSeconds} s after listening`,
      memoryOf(service.pid).rss,
      'MiB',
      IDLE_AIM[engine],
    ),
  );
  for (let i = 0; i < WARM_UP_REQUESTS; i++) {
    await get(`${service.url}/health/ready`);
    await get(`${service.url}/openapi.json`);
  }
  await sleep(1000);
  figures.push(
    aimed(
      `${label}: RSS at rest after ${WARM_UP_REQUESTS} × GET /health/ready and /openapi.json`,
      memoryOf(service.pid).rss,
      'MiB',
      IDLE_AIM[engine],
    ),
  );
  if (!firstStart) return;
  let requestsPerSecond = 0;
  const peak = await peakDuring(service.pid, async () => {
    const result = await load({ url: `${service.url}/health/ready`, duration: loadSeconds });
    requestsPerSecond = result.requestsPerSecond;
    failures += result.errors + result.non2xx;
  });
  figures.push({
    figure: `${label}: peak RSS during ${loadSeconds} s of load on GET /health/ready`,
    value: mib(peak),
    unit: `MiB (${Math.round(requestsPerSecond)} req/s)`,
  });
}

async function pglite(): Promise<void> {
  const folder = mkdtempSync(path.join(tmpdir(), 'cpcp-bench-memory-'));
  const dataDir = path.join(folder, 'data');
  try {
    const starts = [
      ['PGlite, new folder', true],
      ['PGlite, second start (same folder)', false],
    ] as const;
    for (const [label, firstStart] of short ? starts.slice(0, 1) : starts) {
      const service = await startCompiledService({ env: { ...SERVICE_ENV, DATA_DIR: dataDir } });
      try {
        await measure('PGlite', label, service, firstStart);
      } finally {
        await service.stop();
      }
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

async function postgres(): Promise<void> {
  let own: Awaited<ReturnType<typeof ownDatabase>>;
  try {
    own = await ownDatabase(databaseUrl, 'bench_memory');
  } catch (error) {
    process.stderr.write(`PostgreSQL skipped: ${databaseUrl} — ${(error as Error).message}\n`);
    return;
  }
  try {
    const service = await startCompiledService({ databaseUrl: own.url, env: SERVICE_ENV });
    try {
      await measure('PostgreSQL', 'PostgreSQL, new database', service, true);
    } finally {
      await service.stop();
    }
  } finally {
    await own.drop();
  }
}

await pglite();
await postgres();
figures.push({
  figure: 'failed requests (errors + non-2xx)',
  value: failures,
  unit: '',
  aim: 'errors 0',
  met: failures === 0,
});

printTable(
  `Memory benchmark (${new Date().toISOString().slice(0, 10)}, node ${process.version}, flags: ${benchNodeFlags.join(' ') || 'none'})`,
  figures,
);
saveResults('memory', figures);
if (failures > 0) process.exit(1);
