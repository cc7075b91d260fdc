import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { SERVICE_NODE_FLAGS } from '../helpers/service.js';
import { startCompiledService } from './service-process.js';

/** The bench server's admin key, sent with every request that needs one. */
export const BENCH_API_KEY = 'bench-admin-key-0123456789abcdef012345';

export const root = fileURLToPath(new URL('../..', import.meta.url));

export interface Figure {
  figure: string;
  value: number;
  unit: string;
  baseline?: { figure: string; value: number };
  ratio?: number;
  /** A second baseline: for HTTP figures, the cheapest route inside the service (GET /health/live). */
  inServer?: { figure: string; value: number; ratio: number };
  /**
   * A third: the bare Fastify process answering the same request with the same bytes and doing
   * nothing else (test/bench/bare-hello.mjs): the most any Fastify route could do for these bytes.
   */
  ceiling?: { figure: string; value: number; ratio: number };
  aim?: string;
  met?: boolean;
}

/** Runs `fn` repeatedly for about `ms` milliseconds after a warm-up; returns nanoseconds per call. */
export function timeInProcess(fn: () => unknown, ms = 2000): number {
  const warmUntil = performance.now() + Math.min(500, ms / 4);
  while (performance.now() < warmUntil) fn();
  let calls = 0;
  const start = process.hrtime.bigint();
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    for (let i = 0; i < 100; i++) fn();
    calls += 100;
  }
  return Number(process.hrtime.bigint() - start) / calls;
}

export interface BenchServer {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** The flags of `npm start`, unless BENCH_NODE_FLAGS (space-separated) says otherwise. */
const nodeFlags = process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? SERVICE_NODE_FLAGS;

/**
 * The service as `npm start` runs it (test/bench/service-process.ts: compiled, production logging,
 * helmet, auth) with the bench's admin key and the rate limits off (0: the benchmark measures the
 * service, not the limiter's refusals), on a new PGlite folder or the PostgreSQL database given.
 * The HTTP benchmarks (pricing, api, load) run this, against the bare hello-world.
 */
export async function startServiceForBench(
  options: { databaseUrl?: string; env?: Record<string, string>; extraNodeFlags?: string[] } = {},
): Promise<BenchServer & { pid: number }> {
  const service = await startCompiledService({
    databaseUrl: options.databaseUrl,
    extraNodeFlags: options.extraNodeFlags,
    env: {
      ADMIN_API_KEY: BENCH_API_KEY,
      RATE_LIMIT_PER_MINUTE: '0',
      RATE_LIMIT_ANONYMOUS_PER_MINUTE: '0',
      ...options.env,
    },
  });
  return { url: service.url, child: service.child, pid: service.pid, stop: service.stop };
}

/** The route inside the service that HTTP figures are also compared with: the cheapest one. */
export const IN_SERVER_ROUTE = '/health/live';

/**
 * A figure's ratio to the bare hello-world, to the in-server route and (when given) to the bare
 * process answering with the same bytes, all measured in the same run.
 */
export function ratios(
  value: number,
  bare: number,
  inServer: number,
  sameBytes?: number,
): Pick<Figure, 'baseline' | 'ratio' | 'inServer' | 'ceiling'> {
  return {
    baseline: { figure: 'bare Fastify hello-world req/s', value: bare },
    ratio: value / bare,
    inServer: { figure: `service ${IN_SERVER_ROUTE} req/s`, value: inServer, ratio: value / inServer },
    ...(sameBytes === undefined
      ? {}
      : {
          ceiling: { figure: 'bare Fastify, same bytes req/s', value: sameBytes, ratio: value / sameBytes },
        }),
  };
}

/**
 * Starts test/bench/server.ts (the app built from the sources through tsx, on PGlite in memory or
 * BENCH_DATABASE_URL + BENCH_SCHEMA) in its own process, so that load and service do not share a
 * core: for the benchmarks that time work (imports, exports, probes) rather than compare throughput.
 */
export function startBenchServer(env: Record<string, string> = {}): Promise<BenchServer> {
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', 'test/bench/server.ts'], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
    child.stdout?.once('data', (chunk) => {
      const url = String(chunk).trim();
      resolve({
        url,
        child,
        stop: () =>
          new Promise((done) => {
            child.removeAllListeners('exit');
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

/** A JSON request to the bench server as its admin; throws unless it succeeds; the created resource. */
export async function call(
  server: Pick<BenchServer, 'url'>,
  method: string,
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${server.url}${url}`, {
    method,
    headers: { authorization: `Bearer ${BENCH_API_KEY}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  if (response.status >= 300)
    throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
  return response.json() as Promise<{ id: string }>;
}

/**
 * Through the API as the admin: an organisation (`${name} CIC`), a home (`${name} House`), a draft of
 * the Wirral example and its schedule published, in force from 2026-04-01. The ids made.
 */
export async function publishWirral(
  server: Pick<BenchServer, 'url'>,
  name: string,
): Promise<{ homeId: string; draftId: string; scheduleId: string }> {
  const organisation = await call(server, 'POST', '/v1/organisations', {
    name: `${name} CIC`,
    legalForm: 'community_interest_company',
    surplusCapRate: '0.08',
  });
  const home = await call(server, 'POST', '/v1/homes', {
    organisationId: organisation.id,
    name: `${name} House`,
    hostCouncil: 'E08000015',
    registeredPlaces: 4,
    openedOn: '2020-01-01',
  });
  const wirral = JSON.parse(
    readFileSync(`${root}/fixtures/examples/wirral-four-bed-2026-27.model.json`, 'utf8'),
  );
  const draft = await call(server, 'POST', `/v1/homes/${home.id}/cost-models`, wirral);
  const schedule = await call(
    server,
    'POST',
    `/v1/cost-models/${draft.id}/publish`,
    { effectiveFrom: '2026-04-01' },
    { 'idempotency-key': `${name.toLowerCase().replace(/\W+/g, '-')}-publish-${process.pid}` },
  );
  return { homeId: home.id, draftId: draft.id, scheduleId: schedule.id };
}

/** Connections of the throughput benchmarks (BENCH_HTTP_CONNECTIONS, 10): the figures were taken with 10. */
export const HTTP_CONNECTIONS = Number(process.env.BENCH_HTTP_CONNECTIONS ?? 10);

export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

export async function load(options: autocannon.Options): Promise<LoadResult> {
  const result = await autocannon({ connections: HTTP_CONNECTIONS, pipelining: 1, duration: 10, ...options });
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

/** The run with the median throughput. */
export function median(runs: LoadResult[]): LoadResult {
  const sorted = [...runs].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export function printTable(title: string, figures: Figure[]): void {
  const rows = figures.map((f) => [
    f.figure,
    `${round(f.value)} ${f.unit}`,
    f.baseline ? `${f.baseline.figure}: ${round(f.baseline.value)}` : '',
    f.ratio === undefined ? '' : f.ratio.toFixed(3),
    f.inServer ? f.inServer.ratio.toFixed(3) : '',
    f.ceiling ? `${f.ceiling.ratio.toFixed(3)} (of ${round(f.ceiling.value)})` : '',
    f.aim ?? '',
    f.met === undefined ? '' : f.met ? 'met' : 'NOT MET',
  ]);
  const header = [
    'figure',
    'value',
    'baseline (same run)',
    'ratio',
    'ratio to in-server route',
    'ratio to same bytes (bare)',
    'aim',
    '',
  ];
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join(' | ')
      .trimEnd();
  process.stdout.write(`\n${title}\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('-|-')}\n`);
  for (const r of rows) process.stdout.write(`${line(r)}\n`);
}

export function saveResults(name: string, figures: Figure[]): void {
  mkdirSync(`${root}/bench-results`, { recursive: true });
  writeFileSync(
    `${root}/bench-results/${name}.json`,
    `${JSON.stringify({ name, at: new Date().toISOString(), figures }, null, 2)}\n`,
  );
}

function round(value: number): string {
  return value >= 100 ? value.toFixed(0) : value.toFixed(2);
}

/** CPU time (user + system, all its threads) a process has used, in µs, from /proc (ticks of 10 ms); 0 where unreadable. */
export function processCpuMicros(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000; // utime + stime, in USER_HZ (100)
  } catch {
    return 0;
  }
}

/**
 * A cost model's JSON that is new on every call (its period label carries the number given), so
 * that no quote comes from the cache: two fixed halves around the number, so that making a body
 * costs the load generator next to nothing.
 */
export function distinctModelBodies(modelJson: string): (n: number) => string {
  const [before, after] = JSON.stringify(JSON.parse(modelJson))
    .replace('"label":"2026-27"', '"label":"2026-27 #\u0000"')
    .split('\u0000') as [string, string];
  if (after === undefined) throw new Error('the model has no period label "2026-27" to vary');
  return (n) => `${before}${n}${after}`;
}

/** A process's current and peak resident set, in MiB, from /proc/<pid>/status. */
export function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, hwm: kib('VmHWM') / 1024 };
}

/**
 * Resets a process's peak (VmHWM) to its current RSS, so that a start-up peak (PGlite, migrations)
 * does not hide what is measured next. False where the kernel does not allow it.
 */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
