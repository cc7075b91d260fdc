import { readFileSync } from 'node:fs';
import { ownDatabase } from '../helpers/database.js';
import {
  BENCH_API_KEY,
  call,
  distinctModelBodies,
  type Figure,
  printTable,
  processCpuMicros,
  publishWirral,
  root,
  saveResults,
  startServiceForBench,
} from './harness.js';

/**
 * npm run bench:costs — the CPU one request of each kind costs the service, as `npm start` runs it
 * on PostgreSQL (BENCH_DATABASE_URL, default the local server, in a database of its own, dropped
 * after): the process's own CPU time (all its threads, from /proc) over a run of requests of one
 * kind, divided by their number. The load is light (BENCH_COSTS_CONCURRENCY, 4, requests at a
 * time), so that the figure is the work of a request, not of queueing. docs/scaling.md turns these
 * into the cores a national deployment needs.
 */
const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const concurrency = Number(process.env.BENCH_COSTS_CONCURRENCY ?? 4);
const scale = process.env.BENCH_PROFILE === 'short' ? 0.25 : 1;
const auth = { authorization: `Bearer ${BENCH_API_KEY}` };
const json = { ...auth, 'content-type': 'application/json' };
const wirralText = readFileSync(`${root}/fixtures/examples/wirral-four-bed-2026-27.model.json`, 'utf8');
const wirral = JSON.parse(wirralText);
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const figures: Figure[] = [];

interface Request {
  method?: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
}

const own = await ownDatabase(databaseUrl, `bench_costs_${process.pid}`);
const server = await startServiceForBench({ databaseUrl: own.url });

async function send({ method = 'GET', path, body, headers = auth }: Request): Promise<Response> {
  const response = await fetch(`${server.url}${path}`, { method, headers, body: body ?? null });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response;
}

/** Sends `count` requests made by `make`, `concurrency` at a time, and records the CPU each cost. */
async function measure(what: string, count: number, make: (i: number) => Request): Promise<void> {
  const n = Math.max(4, Math.round(count * scale));
  // a few first, unmeasured: compiled code and caches warm, as in a running service
  for (let i = 0; i < Math.min(20, n); i++) await (await send(make(-1 - i))).arrayBuffer();
  const before = processCpuMicros(server.pid);
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < n; i = next++) await (await send(make(i))).arrayBuffer();
    }),
  );
  const cpu = (processCpuMicros(server.pid) - before) / n;
  const wall = (performance.now() - started) / n;
  figures.push({
    figure: what,
    value: cpu / 1000,
    unit: `ms of CPU a request (${n} requests, ${concurrency} at a time; ${wall.toFixed(2)} ms wall each)`,
  });
}

try {
  const { homeId, scheduleId } = await publishWirral(server, 'Costs');

  await measure('GET /health/ready (one query)', 2000, () => ({ path: '/health/ready' }));
  await measure('GET /v1/fee-schedules/{id} (served from memory)', 4000, () => ({
    path: `/v1/fee-schedules/${scheduleId}`,
  }));
  await measure('GET /v1/homes/{id}/fee-schedules/current (read from the database)', 2000, () => ({
    path: `/v1/homes/${homeId}/fee-schedules/current`,
  }));
  const distinctBody = distinctModelBodies(wirralText);
  await measure('POST /v1/quotes, a body not seen before', 2000, (i) => ({
    method: 'POST',
    path: '/v1/quotes',
    body: distinctBody(i),
    headers: json,
  }));
  await measure('POST /v1/placements', 400, (i) => ({
    method: 'POST',
    path: '/v1/placements',
    headers: json,
    body: JSON.stringify({
      homeId,
      councilCode: 'E08000015',
      reference: `COSTS${process.pid}X${i + 100}`,
      start: `2026-${String(4 + (Math.abs(i) % 9)).padStart(2, '0')}-01`,
      enhancements: [],
    }),
  }));
  // A draft for each publish, made beforehand (a draft's creation is not the publish's cost).
  const publishes = Math.max(4, Math.round(100 * scale)) + 20;
  const drafts: string[] = [];
  for (let i = 0; i < publishes; i++)
    drafts.push((await call(server, 'POST', `/v1/homes/${homeId}/cost-models`, wirral)).id);
  await measure('POST /v1/cost-models/{id}/publish (sign, chain, store)', 100, (i) => ({
    method: 'POST',
    path: `/v1/cost-models/${drafts[i < 0 ? -1 - i : 20 + i]}/publish`,
    headers: { ...json, 'idempotency-key': `costs-publish-${process.pid}-${i}` },
    body: JSON.stringify({ effectiveFrom: '2026-04-01' }),
  }));
  const month = (i: number) => `2026-${String(4 + (Math.abs(i) % 9)).padStart(2, '0')}`;
  const csv = (i: number) =>
    [
      'month,code,amount,description',
      ...Array.from(
        { length: 150 },
        (_, line) => `${month(i)},RUNNING_OTHER,${100 + line}.25,Invoice ${line}`,
      ),
    ].join('\n');
  await measure('POST /v1/homes/{id}/actuals (a month, 150 lines of CSV)', 100, (i) => ({
    method: 'POST',
    path: `/v1/homes/${homeId}/actuals`,
    headers: { ...auth, 'content-type': 'text/csv', 'idempotency-key': `costs-actuals-${process.pid}-${i}` },
    body: csv(i),
  }));
  const statement = '/v1/councils/E08000015/statements?from=2026-04-01&to=2027-03-31';
  await measure("GET a council's statement for a year (the placements above), JSON", 40, () => ({
    path: statement,
  }));
  await measure(`same, XLSX`, 20, () => ({ path: statement, headers: { ...auth, accept: XLSX } }));
} finally {
  await server.stop();
  await own.drop();
}

printTable(
  `CPU per request, PostgreSQL (${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${concurrency} at a time)`,
  figures,
);
saveResults('costs', figures);
