import { ownDatabase } from '../helpers/database.js';
import {
  type Figure,
  IN_SERVER_ROUTE,
  type LoadResult,
  load,
  median,
  printTable,
  publishWirral,
  ratios,
  saveResults,
  startServiceForBench,
} from './harness.js';
import { type BareHello, startBareHello } from './service-process.js';

/**
 * npm run bench:api — GET /v1/fee-schedules/{id} from the service as `npm start` runs it, against
 * a bare Fastify hello-world in its own process (and the service's own cheapest route), on
 * PostgreSQL (BENCH_DATABASE_URL, default the local server, in a database of its own, dropped after)
 * and on PGlite (a new folder). BENCH_ROUNDS (3) interleaved rounds of BENCH_SECONDS (5).
 */
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const figures: Figure[] = [];

async function measure(engine: string, databaseUrl?: string) {
  const server = await startServiceForBench({ databaseUrl });
  let bare: BareHello | undefined;
  try {
    const { scheduleId } = await publishWirral(server, 'Bench');
    const scheduleUrl = `${server.url}/v1/fee-schedules/${scheduleId}`;
    const inServerUrl = `${server.url}${IN_SERVER_ROUTE}`;
    const first = await fetch(scheduleUrl);
    const etag = first.headers.get('etag') ?? '';
    const scheduleBytes = new Uint8Array(await first.arrayBuffer());
    // The bare process, answering with the schedule's own bytes as well as hello-world.
    bare = await startBareHello({ schedule: scheduleBytes });
    const sameBytesUrl = bare.bytesUrl('schedule');
    await load({ url: bare.url, duration: 2 });
    await load({ url: sameBytesUrl, duration: 2 });
    await load({ url: inServerUrl, duration: 2 });
    await load({ url: scheduleUrl, duration: 2 });
    const bareRuns: LoadResult[] = [];
    const sameBytesRuns: LoadResult[] = [];
    const inServerRuns: LoadResult[] = [];
    const schedule: LoadResult[] = [];
    const revalidate: LoadResult[] = [];
    for (let round = 0; round < rounds; round++) {
      bareRuns.push(await load({ url: bare.url, duration: seconds }));
      sameBytesRuns.push(await load({ url: sameBytesUrl, duration: seconds }));
      inServerRuns.push(await load({ url: inServerUrl, duration: seconds }));
      schedule.push(await load({ url: scheduleUrl, duration: seconds }));
      revalidate.push(
        await load({ url: scheduleUrl, duration: seconds, headers: { 'if-none-match': etag } }),
      );
    }
    const bareHello = median(bareRuns).requestsPerSecond;
    const sameBytes = median(sameBytesRuns).requestsPerSecond;
    const inServer = median(inServerRuns).requestsPerSecond;
    const read = median(schedule);
    const notModified = median(revalidate);
    const errors = [...bareRuns, ...sameBytesRuns, ...inServerRuns, ...schedule, ...revalidate].reduce(
      (sum, r) => sum + r.errors,
      0,
    );
    const non2xx = [...bareRuns, ...sameBytesRuns, ...inServerRuns, ...schedule].reduce(
      (sum, r) => sum + r.non2xx,
      0,
    );
    const readRatios = ratios(read.requestsPerSecond, bareHello, inServer, sameBytes);
    figures.push({
      figure: `${engine}: HTTP bare Fastify hello-world (own process)`,
      value: bareHello,
      unit: 'req/s',
    });
    figures.push({
      figure: `${engine}: HTTP bare Fastify, GET answering with the schedule's bytes`,
      value: sameBytes,
      unit: `req/s (${scheduleBytes.length} bytes out)`,
      baseline: { figure: 'bare Fastify hello-world req/s', value: bareHello },
      ratio: sameBytes / bareHello,
    });
    figures.push({
      figure: `${engine}: HTTP service ${IN_SERVER_ROUTE}`,
      value: inServer,
      unit: 'req/s',
      baseline: { figure: 'bare Fastify hello-world req/s', value: bareHello },
      ratio: inServer / bareHello,
    });
    figures.push({
      figure: `${engine}: GET /v1/fee-schedules/{id}`,
      value: read.requestsPerSecond,
      unit: `req/s (p50 ${read.p50} ms, p99 ${read.p99} ms)`,
      ...readRatios,
      aim: '≥ 0.6 of bare hello-world',
      met: readRatios.ratio! >= 0.6,
    });
    figures.push({
      figure: `${engine}: same, If-None-Match → 304`,
      value: notModified.requestsPerSecond,
      unit: 'req/s',
      ...ratios(notModified.requestsPerSecond, bareHello, inServer),
    });
    figures.push({ figure: `${engine}: errors, non-2xx (all runs)`, value: errors + non2xx, unit: '' });
  } finally {
    await bare?.stop();
    await server.stop();
  }
}

const own = await ownDatabase(databaseUrl, `bench_api_${process.pid}`);
try {
  await measure('PostgreSQL', own.url);
} finally {
  await own.drop();
}
await measure('PGlite');

printTable(
  `API benchmark (${new Date().toISOString().slice(0, 10)}, node ${process.version}, median of ${rounds} interleaved rounds of ${seconds} s)`,
  figures,
);
saveResults('api', figures);
