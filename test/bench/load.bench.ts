import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import pg from 'pg';
import { ownDatabase } from '../helpers/database.js';
import {
  BENCH_API_KEY,
  type BenchServer,
  type Figure,
  printTable,
  processCpuMicros,
  root,
  saveResults,
  startServiceForBench,
} from './harness.js';
import { type BareHello, startBareHello } from './service-process.js';

/**
 * npm run bench:load — a mixed workload on PostgreSQL (the server of BENCH_DATABASE_URL, default the
 * local one, in a database of its own that is dropped afterwards: a schema of its own is not enough
 * while another schema of the same database holds kysely's migration tables, as kysely's migrator
 * then takes them for its own), from the service as `npm start` runs it, against a bare Fastify
 * hello-world in its own process measured in the same run (before and after).
 *
 * Every connection cycles through 20 requests: 16 public fee schedule reads (across the schedules
 * published at set-up), 3 quotes (three different bodies) and 1 write (in turn: a draft merge patch
 * with the current If-Match, a publish with a fresh Idempotency-Key, a new placement). A draft is
 * lent to one write at a time and its ETag taken from the response, so every write is valid: any
 * error or non-2xx fails the script (exit 1).
 *
 * BENCH_SECONDS (60): the measured run. BENCH_CONNECTIONS: one number to fix the concurrency, or a
 * list (default 8,16,32,64) to try briefly and keep the smallest within 3% of the best throughput.
 * BENCH_LOAD_HOMES_PER_ORG (1): homes per organisation; see docs/benchmarks.md before raising it.
 */
const seconds = Number(process.env.BENCH_SECONDS ?? 60);
const candidates = (process.env.BENCH_CONNECTIONS ?? '8,16,32,64').split(',').map(Number);
const homesPerOrganisation = Number(process.env.BENCH_LOAD_HOMES_PER_ORG ?? 1);
const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const HOMES = 8;
const calibrateSeconds = Math.max(3, Math.min(10, Math.round(seconds / 6)));
const helloSeconds = Math.max(3, Math.min(15, Math.round(seconds / 4)));

const auth = { authorization: `Bearer ${BENCH_API_KEY}` };
const json = { ...auth, 'content-type': 'application/json' };
const example = (name: string) => readFileSync(`${root}/fixtures/examples/${name}.model.json`, 'utf8');
const wirralText = example('wirral-four-bed-2026-27');
const haltonText = example('halton-three-bed-2025-26');
const wirral = JSON.parse(wirralText);
const halton = JSON.parse(haltonText);
const wirralPayRise = structuredClone(wirral);
wirralPayRise.staffing[3].annualSalaryFte = '30500';
const quoteBodies = [wirralText, haltonText, JSON.stringify(wirralPayRise)];

interface Draft {
  id: string;
  homeId: string;
  effectiveFrom: string;
  etag: string;
}
interface Fixture {
  scheduleIds: string[];
  drafts: Draft[];
  wirralHomeIds: string[];
}

async function call(base: string, method: string, path: string, body?: unknown, headers = {}) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...json, ...headers },
    body: body === undefined ? null : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return {
    body: (await response.json()) as Record<string, string>,
    etag: response.headers.get('etag') ?? '',
  };
}

/**
 * HOMES homes (half Wirral, half Halton), each with one published schedule (the reads) and enough
 * drafts that every connection can hold one.
 */
async function setUp(base: string, connections: number): Promise<Fixture> {
  const draftsPerHome = Math.ceil(connections / HOMES);
  const organisations: string[] = [];
  for (let i = 0; i < Math.ceil(HOMES / homesPerOrganisation); i++) {
    const { body } = await call(base, 'POST', '/v1/organisations', {
      name: `Load Bench ${i} CIC`,
      legalForm: 'community_interest_company',
      surplusCapRate: '0.08',
    });
    organisations.push(body.id!);
  }
  const homes = await Promise.all(
    Array.from({ length: HOMES }, async (_, i) => {
      const model = i % 2 === 0 ? wirral : halton;
      const { body: home } = await call(base, 'POST', '/v1/homes', {
        organisationId: organisations[Math.floor(i / homesPerOrganisation)],
        name: `Load House ${i}`,
        hostCouncil: 'E08000015',
        registeredPlaces: model.home.registeredPlaces,
        openedOn: '2020-01-01',
      });
      const drafts: Draft[] = [];
      for (let d = 0; d < draftsPerHome; d++) {
        const { body, etag } = await call(base, 'POST', `/v1/homes/${home.id}/cost-models`, model);
        drafts.push({ id: body.id!, homeId: home.id!, effectiveFrom: model.period.start, etag });
      }
      return { id: home.id!, wirral: i % 2 === 0, drafts };
    }),
  );
  // One at a time: see BENCH_LOAD_HOMES_PER_ORG in docs/benchmarks.md.
  const scheduleIds: string[] = [];
  for (const home of homes) {
    const { body: schedule } = await call(
      base,
      'POST',
      `/v1/cost-models/${home.drafts[0]!.id}/publish`,
      { effectiveFrom: home.drafts[0]!.effectiveFrom },
      { 'idempotency-key': `load-setup-${process.pid}-${scheduleIds.length}` },
    );
    scheduleIds.push(schedule.id!);
  }
  return {
    scheduleIds,
    drafts: homes.flatMap((h) => h.drafts),
    wirralHomeIds: homes.filter((h) => h.wirral).map((h) => h.id),
  };
}

type WriteKind = 'patch' | 'publish' | 'placement';
const WRITE_KINDS: WriteKind[] = ['patch', 'publish', 'placement'];
const WRITE_LABELS: Record<WriteKind, string> = {
  patch: 'PATCH draft (If-Match)',
  publish: 'publish (Idempotency-Key)',
  placement: 'POST /v1/placements',
};

/** What the writes did, across every run of this process. */
const writes = {
  counter: 0,
  ok: { patch: 0, publish: 0, placement: 0 } as Record<WriteKind, number>,
  failed: 0,
  failures: [] as string[],
  /** Milliseconds from sending to the response, by kind (measured here: autocannon's are for the whole mix). */
  latencies: { patch: [], publish: [], placement: [] } as Record<WriteKind, number[]>,
};

function header(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers ?? {}))
    if (key.toLowerCase() === name) return Array.isArray(value) ? String(value[0]) : String(value);
  return undefined;
}

/** The 20-request cycle of one connection: 80% reads, 15% quotes, 5% writes. */
function mixedRequests(fixture: Fixture, free: Draft[]): autocannon.Request[] {
  const read = (i: number): autocannon.Request => ({
    method: 'GET',
    path: `/v1/fee-schedules/${fixture.scheduleIds[i % fixture.scheduleIds.length]}`,
  });
  const quote = (i: number): autocannon.Request => ({
    method: 'POST',
    path: '/v1/quotes',
    headers: json,
    body: quoteBodies[i % quoteBodies.length]!,
  });
  const write: autocannon.Request = {
    method: 'POST',
    path: '/v1/placements',
    setupRequest: (request, context) => {
      const n = writes.counter++;
      const state = context as { kind?: WriteKind; draft?: Draft; sentAt?: number };
      let kind = WRITE_KINDS[n % WRITE_KINDS.length]!;
      // A draft is lent to one write at a time (there are at least as many as connections).
      const draft = kind === 'placement' ? undefined : free.shift();
      if (!draft) kind = 'placement';
      state.kind = kind;
      state.draft = draft;
      state.sentAt = performance.now();
      if (kind === 'patch' && draft) {
        return {
          ...request,
          method: 'PATCH',
          path: `/v1/cost-models/${draft.id}`,
          headers: { ...auth, 'content-type': 'application/merge-patch+json', 'if-match': draft.etag },
          body: JSON.stringify({ rates: { niSecondaryThresholdAnnual: String(5000 + (n % 97)) } }),
        };
      }
      if (kind === 'publish' && draft) {
        return {
          ...request,
          method: 'POST',
          path: `/v1/cost-models/${draft.id}/publish`,
          headers: { ...json, 'idempotency-key': `load-${process.pid}-${n}` },
          body: JSON.stringify({ effectiveFrom: draft.effectiveFrom }),
        };
      }
      const homeId = fixture.wirralHomeIds[n % fixture.wirralHomeIds.length]!;
      return {
        ...request,
        method: 'POST',
        path: '/v1/placements',
        headers: json,
        body: JSON.stringify({
          homeId,
          councilCode: n % 2 === 0 ? 'E08000015' : 'E08000014',
          reference: `LOAD${process.pid}X${n}`,
          start: '2026-06-01',
          enhancements:
            n % 4 === 0
              ? [
                  {
                    description: '1:1 in school hours',
                    roleId: 'rcw',
                    hoursPerWeek: '25',
                    start: '2026-06-03',
                  },
                ]
              : [],
        }),
      };
    },
    onResponse: (status, body, context, headers) => {
      const state = context as { kind: WriteKind; draft?: Draft; sentAt: number };
      writes.latencies[state.kind].push(performance.now() - state.sentAt);
      if (status >= 200 && status < 300) {
        writes.ok[state.kind]++;
        const etag = header(headers, 'etag');
        if (state.kind === 'patch' && state.draft && etag) state.draft.etag = etag;
      } else {
        writes.failed++;
        if (writes.failures.length < 5)
          writes.failures.push(`${state.kind} ${status}: ${body.slice(0, 300)}`);
      }
      if (state.draft) free.push(state.draft);
    },
  };
  const cycle: autocannon.Request[] = [];
  for (let i = 0, r = 0, q = 0; i < 20; i++) {
    if (i === 13) cycle.push(write);
    else if (i === 4 || i === 10 || i === 17) cycle.push(quote(q++));
    else cycle.push(read(r++));
  }
  return cycle;
}

interface Run {
  connections: number;
  requestsPerSecond: number;
  total: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  /** Share of all cores busy (anything on the machine), and of one core used by the service process. */
  machineBusy: number;
  serviceCpu: number;
}

function machineTimes() {
  let idle = 0;
  let total = 0;
  for (const { times } of cpus()) {
    idle += times.idle;
    total += times.user + times.nice + times.sys + times.idle + times.irq;
  }
  return { idle, total };
}

/** A load run; `pid` is the process whose CPU is measured (the service, or the bare hello-world). */
async function run(
  pid: number | undefined,
  options: autocannon.Options & { connections: number },
): Promise<Run> {
  const machineBefore = machineTimes();
  const serviceBefore = processCpuMicros(pid);
  const start = performance.now();
  const result = await autocannon({ pipelining: 1, ...options });
  const elapsed = (performance.now() - start) / 1000;
  const machineAfter = machineTimes();
  return {
    connections: options.connections,
    requestsPerSecond: result.requests.average,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    machineBusy: 1 - (machineAfter.idle - machineBefore.idle) / (machineAfter.total - machineBefore.total),
    serviceCpu: (processCpuMicros(pid) - serviceBefore) / 1e6 / elapsed,
  };
}

const cpuNote = (r: Run) =>
  `machine ${(100 * r.machineBusy).toFixed(0)}% busy, service ${(100 * r.serviceCpu).toFixed(0)}% of a core`;

/**
 * One mixed run. Before it, every draft's ETag is read again: a write still in flight when the
 * previous run stopped has moved the draft on without its response being seen.
 */
async function mixed(server: BenchServer, fixture: Fixture, connections: number, duration: number) {
  await sleep(300);
  const free: Draft[] = [];
  for (const draft of fixture.drafts) {
    draft.etag = (await call(server.url, 'GET', `/v1/cost-models/${draft.id}`)).etag;
    free.push(draft);
  }
  return run(server.child.pid, {
    url: server.url,
    connections,
    duration,
    requests: mixedRequests(fixture, free),
  });
}

/** The baseline: the bare Fastify hello-world, in its own process with the service's Node.js flags. */
const hello = (bare: BareHello, connections: number, duration: number) =>
  run(bare.pid, { url: bare.url, connections, duration });

const figures: Figure[] = [];
const allRuns: Run[] = [];
let persisted = { placements: 0, schedules: 0 };
const own = await ownDatabase(databaseUrl, `bench_load_${process.pid}`);
let chosen = candidates[0]!;
try {
  const server = await startServiceForBench({ databaseUrl: own.url });
  const bare = await startBareHello();
  try {
    const fixture = await setUp(server.url, Math.max(...candidates));
    // Warm-up: both routes, every path of the mix.
    allRuns.push(await hello(bare, 32, 2), await mixed(server, fixture, 32, 3));

    if (candidates.length > 1) {
      const tried: Run[] = [];
      for (const connections of candidates) {
        const result = await mixed(server, fixture, connections, calibrateSeconds);
        tried.push(result);
        allRuns.push(result);
      }
      const best = Math.max(...tried.map((r) => r.requestsPerSecond));
      chosen = tried.find((r) => r.requestsPerSecond >= 0.97 * best)!.connections;
      for (const r of tried) {
        figures.push({
          figure: `try ${r.connections} connections (${calibrateSeconds} s)`,
          value: r.requestsPerSecond,
          unit: `req/s (p50 ${r.p50} ms, p99 ${r.p99} ms; ${cpuNote(r)})${r.connections === chosen ? ', chosen' : ''}`,
        });
      }
    }

    const helloBefore = await hello(bare, chosen, helloSeconds);
    const okBefore = { ...writes.ok };
    const seenBefore = WRITE_KINDS.map((kind) => writes.latencies[kind].length);
    const main = await mixed(server, fixture, chosen, seconds);
    const helloAfter = await hello(bare, chosen, helloSeconds);
    allRuns.push(helloBefore, main, helloAfter);
    const baseline = (helloBefore.requestsPerSecond + helloAfter.requestsPerSecond) / 2;

    await sleep(500);
    const reader = new pg.Client({ connectionString: own.url });
    await reader.connect();
    const count = async (table: string) =>
      Number((await reader.query(`select count(*)::int as n from ${table}`)).rows[0].n);
    persisted = { placements: await count('placements'), schedules: await count('fee_schedules') };
    await reader.end();

    figures.push(
      {
        figure: `HTTP bare Fastify hello-world (own process), ${chosen} connections`,
        value: baseline,
        unit: `req/s (${helloSeconds} s before: ${helloBefore.requestsPerSecond.toFixed(0)}, after: ${helloAfter.requestsPerSecond.toFixed(0)}; ${cpuNote(helloBefore)})`,
      },
      {
        figure: `mixed 80/15/5, ${chosen} connections, ${seconds} s`,
        value: main.requestsPerSecond,
        unit: `req/s (${cpuNote(main)})`,
        baseline: { figure: 'bare hello req/s', value: baseline },
        ratio: main.requestsPerSecond / baseline,
      },
      { figure: 'mixed: latency p50', value: main.p50, unit: 'ms' },
      { figure: 'mixed: latency p99', value: main.p99, unit: 'ms' },
      { figure: 'mixed: requests completed', value: main.total, unit: 'requests' },
    );
    WRITE_KINDS.forEach((kind, i) => {
      const latencies = writes.latencies[kind].slice(seenBefore[i]).sort((a, b) => a - b);
      const at = (q: number) =>
        latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
      figures.push({
        figure: `mixed: ${WRITE_LABELS[kind]} completed`,
        value: writes.ok[kind] - okBefore[kind],
        unit: `(p50 ${at(0.5).toFixed(1)} ms, p99 ${at(0.99).toFixed(1)} ms)`,
      });
    });
  } finally {
    await server.stop();
    await bare.stop();
  }
} finally {
  await own.drop();
}

// Every write answered 2xx must be in the database (a few more may have landed after a run stopped).
const lost =
  Math.max(0, writes.ok.placement - persisted.placements) +
  Math.max(0, writes.ok.publish + HOMES - persisted.schedules);
// Writes refused are among autocannon's non-2xx; they are counted apart only to name them below.
const failures = allRuns.reduce((sum, r) => sum + r.errors + r.non2xx, 0) + lost;
figures.push({
  figure: 'errors + non-2xx + lost writes, all runs',
  value: failures,
  unit: '',
  aim: 'errors 0',
  met: failures === 0,
});

printTable(
  `Load benchmark: mixed workload on PostgreSQL (${new Date().toISOString().slice(0, 10)}, node ${process.version})`,
  figures,
);
saveResults('load', figures);
if (failures > 0) {
  process.stderr.write(
    `\n${failures} failed: ${writes.failed} writes refused, ${lost} writes lost\n${writes.failures.join('\n')}\n`,
  );
  process.exit(1);
}
