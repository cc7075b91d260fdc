import { readFileSync } from 'node:fs';
import pg from 'pg';
import {
  BENCH_API_KEY,
  type Figure,
  type LoadResult,
  load,
  median,
  printTable,
  root,
  saveResults,
  startBenchServer,
} from './harness.js';

/**
 * npm run bench:api — GET /v1/fee-schedules/{id} against a hello-world route of the same server,
 * on PostgreSQL (BENCH_DATABASE_URL, default the local server's `test` database, in a schema of its
 * own) and on PGlite. BENCH_ROUNDS (3) interleaved rounds of BENCH_SECONDS (5).
 */
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const admin = { authorization: `Bearer ${BENCH_API_KEY}`, 'content-type': 'application/json' };
const wirral = JSON.parse(
  readFileSync(`${root}/fixtures/examples/wirral-four-bed-2026-27.model.json`, 'utf8'),
);
const figures: Figure[] = [];

async function call(url: string, method: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method,
    headers: { ...admin, ...headers },
    body: body ? JSON.stringify(body) : null,
  });
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
  return response.json() as Promise<Record<string, string>>;
}

/** An organisation, a home, a draft and one published schedule, through the API. */
async function publishOne(base: string): Promise<string> {
  const organisation = await call(`${base}/v1/organisations`, 'POST', {
    name: 'Bench CIC',
    legalForm: 'community_interest_company',
    surplusCapRate: '0.08',
  });
  const home = await call(`${base}/v1/homes`, 'POST', {
    organisationId: organisation.id,
    name: 'Bench House',
    hostCouncil: 'E08000015',
    registeredPlaces: 4,
    openedOn: '2020-01-01',
  });
  const draft = await call(`${base}/v1/homes/${home.id}/cost-models`, 'POST', wirral);
  const schedule = await call(
    `${base}/v1/cost-models/${draft.id}/publish`,
    'POST',
    { effectiveFrom: '2026-04-01' },
    {
      'idempotency-key': 'bench-publish-0001',
    },
  );
  return schedule.id!;
}

async function measure(engine: string, env: Record<string, string>) {
  const server = await startBenchServer(env);
  try {
    const scheduleId = await publishOne(server.url);
    const scheduleUrl = `${server.url}/v1/fee-schedules/${scheduleId}`;
    await load({ url: `${server.url}/bench/hello`, duration: 2 });
    await load({ url: scheduleUrl, duration: 2 });
    const hello: LoadResult[] = [];
    const schedule: LoadResult[] = [];
    const revalidate: LoadResult[] = [];
    const etag = (await fetch(scheduleUrl)).headers.get('etag') ?? '';
    for (let round = 0; round < rounds; round++) {
      hello.push(await load({ url: `${server.url}/bench/hello`, duration: seconds }));
      schedule.push(await load({ url: scheduleUrl, duration: seconds }));
      revalidate.push(
        await load({ url: scheduleUrl, duration: seconds, headers: { 'if-none-match': etag } }),
      );
    }
    const base = median(hello);
    const read = median(schedule);
    const notModified = median(revalidate);
    const errors = [...hello, ...schedule, ...revalidate].reduce((sum, r) => sum + r.errors, 0);
    const non2xx = [...hello, ...schedule].reduce((sum, r) => sum + r.non2xx, 0);
    figures.push({ figure: `${engine}: HTTP hello-world`, value: base.requestsPerSecond, unit: 'req/s' });
    figures.push({
      figure: `${engine}: GET /v1/fee-schedules/{id}`,
      value: read.requestsPerSecond,
      unit: `req/s (p50 ${read.p50} ms, p99 ${read.p99} ms)`,
      baseline: { figure: 'hello req/s', value: base.requestsPerSecond },
      ratio: read.requestsPerSecond / base.requestsPerSecond,
      ...(engine === 'PostgreSQL'
        ? { aim: '≥ 0.6 of hello-world', met: read.requestsPerSecond / base.requestsPerSecond >= 0.6 }
        : {}),
    });
    figures.push({
      figure: `${engine}: same, If-None-Match → 304`,
      value: notModified.requestsPerSecond,
      unit: 'req/s',
      baseline: { figure: 'hello req/s', value: base.requestsPerSecond },
      ratio: notModified.requestsPerSecond / base.requestsPerSecond,
    });
    figures.push({ figure: `${engine}: errors, non-2xx (200 runs)`, value: errors + non2xx, unit: '' });
  } finally {
    await server.stop();
  }
}

const schema = `bench_${process.pid}`;
const admin_ = new pg.Client({ connectionString: databaseUrl });
await admin_.connect();
await admin_.query(`create schema ${schema}`);
try {
  await measure('PostgreSQL', { BENCH_DATABASE_URL: databaseUrl, BENCH_SCHEMA: schema });
} finally {
  await admin_.query(`drop schema if exists ${schema} cascade`);
  await admin_.end();
}
await measure('PGlite', {});

printTable(
  `API benchmark (${new Date().toISOString().slice(0, 10)}, node ${process.version}, median of ${rounds} interleaved rounds of ${seconds} s)`,
  figures,
);
saveResults('api', figures);
