import { Readable } from 'node:stream';
import {
  BENCH_API_KEY,
  type BenchServer,
  call,
  type Figure,
  printTable,
  saveResults,
  startBenchServer,
} from './harness.js';

/**
 * npm run bench:probe — how long an ordinary request that reads the database (GET /v1/homes/{id})
 * takes while heavy work runs beside it, against the bench server in a child process (PGlite in
 * memory, whose one connection every request shares; BENCH_DATABASE_URL + BENCH_SCHEMA for
 * PostgreSQL):
 *
 * - at rest (the baseline);
 * - during a 100,000-row CSV import of actual spending (read whole, then written in slices);
 * - during exports of the annual return of every provider (BENCH_PROBE_PROVIDERS providers, 300 by
 *   default, each with a home, made through the API), produced whole before they are sent;
 * - while ten uploads stall after their header line and ten readers of the export never read.
 *
 * Figures: the slowest probe and the 99th percentile, and the ratio of the slowest to the median at
 * rest. A probe is sent every 20 ms, one at a time.
 */
const auth = { authorization: `Bearer ${BENCH_API_KEY}` };
const PROVIDERS = Number(process.env.BENCH_PROBE_PROVIDERS ?? 300);
const figures: Figure[] = [];

function csvStream(rows: number): Readable {
  let i = -1;
  return new Readable({
    read() {
      let chunk = '';
      if (i < 0) {
        chunk = 'month,code,amount,description\n';
        i = 0;
      }
      for (; i < rows && chunk.length < 64 * 1024; i++) {
        const month = `2026-${String(4 + (i % 6)).padStart(2, '0')}`;
        chunk += `${month},RUNNING_OTHER,${(i % 5000) + 1}.${String(i % 100).padStart(2, '0')},Invoice ${i}\n`;
      }
      this.push(chunk || null);
      if (chunk && i >= rows) this.push(null);
    },
  });
}

/** Probes one at a time, every 20 ms, until `work` settles; the latencies in ms. */
async function probeDuring(server: BenchServer, homeId: string, work: Promise<unknown>): Promise<number[]> {
  let done = false;
  const finished = work.finally(() => {
    done = true;
  });
  const times: number[] = [];
  while (!done) {
    const started = performance.now();
    const response = await fetch(`${server.url}/v1/homes/${homeId}`, { headers: auth });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`probe: ${response.status}`);
    times.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await finished;
  return times;
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};

function report(what: string, times: number[], rest: number, workMs: number) {
  const slowest = Math.max(...times);
  figures.push({
    figure: `probe during ${what}: slowest`,
    value: slowest,
    unit: `ms (${times.length} probes over ${(workMs / 1000).toFixed(1)} s; p99 ${quantile(times, 0.99).toFixed(0)} ms)`,
    baseline: { figure: 'median probe at rest, ms', value: rest },
    ratio: slowest / rest,
    aim: '< 1000 ms',
    met: slowest < 1000,
  });
}

const server = await startBenchServer({
  REQUEST_TIMEOUT_MS: '600000',
  RATE_LIMIT_PER_MINUTE: '0',
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: '0',
});
try {
  const organisation = await call(server, 'POST', '/v1/organisations', {
    name: 'Bench Probe CIC',
    legalForm: 'community_interest_company',
  });
  const home = await call(server, 'POST', '/v1/homes', {
    organisationId: organisation.id,
    name: 'Probe House',
    hostCouncil: 'E08000015',
    registeredPlaces: 4,
    openedOn: '2020-01-01',
  });

  const rest = await probeDuring(server, home.id, new Promise((resolve) => setTimeout(resolve, 2000)));
  const restMedian = quantile(rest, 0.5);
  figures.push({ figure: 'probe at rest: median', value: restMedian, unit: `ms (${rest.length} probes)` });

  // A 100,000-row import in a home of its own.
  const importHome = await call(server, 'POST', '/v1/homes', {
    organisationId: organisation.id,
    name: 'Import House',
    hostCouncil: 'E08000015',
    registeredPlaces: 4,
    openedOn: '2020-01-01',
  });
  let started = performance.now();
  const importing = fetch(`${server.url}/v1/homes/${importHome.id}/actuals`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'text/csv', 'idempotency-key': 'bench-probe-100k' },
    body: Readable.toWeb(csvStream(100_000)) as ReadableStream,
    duplex: 'half',
  } as RequestInit).then(async (response) => {
    const text = await response.text();
    if (response.status !== 201) throw new Error(`import: ${response.status} ${text}`);
  });
  const duringImport = await probeDuring(server, home.id, importing);
  report('a 100,000-row CSV import', duringImport, restMedian, performance.now() - started);

  // Providers for the export, made through the API a few at a time.
  for (let i = 0; i < PROVIDERS; i += 10) {
    await Promise.all(
      Array.from({ length: Math.min(10, PROVIDERS - i) }, async (_, j) => {
        const provider = await call(server, 'POST', '/v1/organisations', {
          name: `Provider ${i + j} CIC`,
          legalForm: 'community_interest_company',
        });
        await call(server, 'POST', '/v1/homes', {
          organisationId: provider.id,
          name: `Provider ${i + j} House`,
          hostCouncil: 'E08000015',
          registeredPlaces: 4,
          openedOn: '2020-01-01',
        });
      }),
    );
  }
  started = performance.now();
  const exporting = (async () => {
    for (const format of ['json', 'csv', 'xlsx']) {
      const response = await fetch(`${server.url}/v1/returns/2026-27?format=${format}`, { headers: auth });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`export: ${response.status}`);
    }
  })();
  const duringExport = await probeDuring(server, home.id, exporting);
  report(
    `exports of every provider (${PROVIDERS + 1}; JSON, CSV, XLSX)`,
    duringExport,
    restMedian,
    performance.now() - started,
  );

  // Ten uploads that stall after their header line, ten export readers that never read.
  const hanging: AbortController[] = [];
  for (let i = 0; i < 10; i++) {
    const stalled = new AbortController();
    hanging.push(stalled);
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('month,code,amount,description\n'));
      },
    });
    fetch(`${server.url}/v1/homes/${importHome.id}/actuals`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/csv', 'idempotency-key': `bench-probe-stalled-${i}` },
      body,
      duplex: 'half',
      signal: stalled.signal,
    } as RequestInit).catch(() => undefined);
    const reader = new AbortController();
    hanging.push(reader);
    fetch(`${server.url}/v1/returns/2026-27`, { headers: auth, signal: reader.signal }).catch(
      () => undefined,
    );
  }
  started = performance.now();
  const duringHostile = await probeDuring(
    server,
    home.id,
    new Promise((resolve) => setTimeout(resolve, 5000)),
  );
  report('10 stalled uploads and 10 unread exports', duringHostile, restMedian, performance.now() - started);
  for (const controller of hanging) controller.abort();
} finally {
  await server.stop();
}

printTable(
  `A probe request beside heavy work, on ${process.env.BENCH_DATABASE_URL ? 'PostgreSQL' : 'PGlite (in memory)'}`,
  figures,
);
saveResults('probe', figures);
