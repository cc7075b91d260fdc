import { readFileSync } from 'node:fs';
import { costModelSchema, priceCostModel } from '../../src/domain/pricing/index.js';
import { rateTables } from '../../src/modules/rates/repository.js';
import {
  BENCH_API_KEY,
  distinctModelBodies,
  type Figure,
  IN_SERVER_ROUTE,
  type LoadResult,
  load,
  median,
  printTable,
  ratios,
  root,
  saveResults,
  startServiceForBench,
  timeInProcess,
} from './harness.js';
import { startBareHello } from './service-process.js';

/**
 * npm run bench:pricing — quotes per second for the spec's examples, in-process, and over HTTP
 * against the service as `npm start` runs it, each figure as a ratio to a bare Fastify hello-world
 * in its own process (and to the service's own cheapest route). BENCH_ROUNDS (3) interleaved rounds
 * of BENCH_SECONDS (5) each, with BENCH_HTTP_CONNECTIONS (10) connections.
 */
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const examples = ['halton-three-bed-2025-26', 'wirral-four-bed-2026-27'];
const figures: Figure[] = [];

// Warm the engine on both examples first, so that neither is measured cold.
for (const name of examples) {
  const model = costModelSchema.parse(
    JSON.parse(readFileSync(`${root}/fixtures/examples/${name}.model.json`, 'utf8')),
  );
  timeInProcess(() => priceCostModel(model, { rateTables: rateTables() }), 1000);
}

for (const name of examples) {
  const text = readFileSync(`${root}/fixtures/examples/${name}.model.json`, 'utf8');
  const model = costModelSchema.parse(JSON.parse(text));
  const tables = rateTables();
  const engineNs = timeInProcess(() => priceCostModel(model, { rateTables: tables }));
  const fullNs = timeInProcess(() =>
    priceCostModel(costModelSchema.parse(JSON.parse(text)), { rateTables: tables }),
  );
  const isWirral = name.startsWith('wirral');
  figures.push({
    figure: `engine: price ${name}`,
    value: engineNs / 1000,
    unit: 'µs/quote',
    ...(isWirral ? { aim: '< 100 µs (Wirral)', met: engineNs / 1000 < 100 } : {}),
  });
  figures.push({ figure: `engine: quotes/s ${name}`, value: 1e9 / engineNs, unit: 'quotes/s' });
  figures.push({
    figure: `parse + validate + price ${name}`,
    value: fullNs / 1000,
    unit: 'µs/quote',
    baseline: { figure: 'engine alone µs', value: engineNs / 1000 },
    ratio: fullNs / engineNs,
  });
}

// Over HTTP: the service as `npm start` runs it, against the bare Fastify hello-world in its own
// process (the ceiling of any Fastify route here), the service's own cheapest route, and the bare
// process answering the same request with the same bytes (the ceiling for such an answer).
const server = await startServiceForBench();
const json = { 'content-type': 'application/json', authorization: `Bearer ${BENCH_API_KEY}` };
const bodies = Object.fromEntries(
  examples.map((name) => [name, readFileSync(`${root}/fixtures/examples/${name}.model.json`, 'utf8')]),
);
const answers: Record<string, Uint8Array> = {};
for (const name of examples) {
  const response = await fetch(`${server.url}/v1/quotes`, {
    method: 'POST',
    headers: json,
    body: bodies[name],
  });
  if (!response.ok) throw new Error(`quote ${name}: ${response.status} ${await response.text()}`);
  answers[name] = new Uint8Array(await response.arrayBuffer());
}
const bare = await startBareHello(answers);
try {
  const quoteLoad = (body: string, duration: number) =>
    load({ url: `${server.url}/v1/quotes`, method: 'POST', body, headers: json, duration });
  const sameBytesLoad = (name: string, duration: number) =>
    load({ url: bare.bytesUrl(name), method: 'POST', body: bodies[name], headers: json, duration });
  // Every request a different body: nothing can come from the cache.
  let counter = 0;
  const distinctBody = distinctModelBodies(bodies['wirral-four-bed-2026-27']!);
  const distinctLoad = (duration: number) =>
    load({
      url: `${server.url}/v1/quotes`,
      method: 'POST',
      headers: json,
      duration,
      requests: [
        {
          setupRequest: (request) => {
            counter += 1;
            return { ...request, body: distinctBody(counter) };
          },
        },
      ],
    });
  const bareLoad = (duration: number) => load({ url: bare.url, duration });
  const inServerLoad = (duration: number) => load({ url: `${server.url}${IN_SERVER_ROUTE}`, duration });

  // A short warm-up of each, so that JIT and connection set-up are not measured.
  await bareLoad(2);
  await inServerLoad(2);
  for (const name of examples) {
    await quoteLoad(bodies[name]!, 2);
    await sameBytesLoad(name, 2);
  }
  await distinctLoad(2);

  // Rounds interleave the baselines and the quotes, so that drift on a shared machine hits all
  // alike; each figure is the median of its rounds.
  const bareRuns: LoadResult[] = [];
  const inServerRuns: LoadResult[] = [];
  const distinctRuns: LoadResult[] = [];
  const quoteRuns: Record<string, LoadResult[]> = Object.fromEntries(examples.map((name) => [name, []]));
  const sameBytesRuns: Record<string, LoadResult[]> = Object.fromEntries(examples.map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    bareRuns.push(await bareLoad(seconds));
    inServerRuns.push(await inServerLoad(seconds));
    for (const name of examples) {
      quoteRuns[name]!.push(await quoteLoad(bodies[name]!, seconds));
      sameBytesRuns[name]!.push(await sameBytesLoad(name, seconds));
    }
    distinctRuns.push(await distinctLoad(seconds));
  }
  const bareHello = median(bareRuns).requestsPerSecond;
  const inServer = median(inServerRuns).requestsPerSecond;
  figures.push({ figure: 'HTTP bare Fastify hello-world (own process)', value: bareHello, unit: 'req/s' });
  figures.push({
    figure: `HTTP service ${IN_SERVER_ROUTE}`,
    value: inServer,
    unit: 'req/s',
    baseline: { figure: 'bare Fastify hello-world req/s', value: bareHello },
    ratio: inServer / bareHello,
  });
  let errors = [...bareRuns, ...inServerRuns, ...distinctRuns].reduce(
    (sum, run) => sum + run.errors + run.non2xx,
    0,
  );
  for (const name of examples) {
    const sameBytes = median(sameBytesRuns[name]!).requestsPerSecond;
    figures.push({
      figure: `HTTP bare Fastify, POST with ${name}'s body and quote bytes`,
      value: sameBytes,
      unit: `req/s (${answers[name]!.length} bytes out)`,
      baseline: { figure: 'bare Fastify hello-world req/s', value: bareHello },
      ratio: sameBytes / bareHello,
    });
  }
  for (const name of examples) {
    const runs = quoteRuns[name]!;
    const result = median(runs);
    const figure = ratios(
      result.requestsPerSecond,
      bareHello,
      inServer,
      median(sameBytesRuns[name]!).requestsPerSecond,
    );
    errors += [...runs, ...sameBytesRuns[name]!].reduce((sum, run) => sum + run.errors + run.non2xx, 0);
    figures.push({
      figure: `HTTP POST /v1/quotes ${name} (repeat body)`,
      value: result.requestsPerSecond,
      unit: `req/s (p50 ${result.p50} ms, p99 ${result.p99} ms)`,
      ...figure,
      aim: '≥ 0.6 of bare hello-world',
      met: figure.ratio! >= 0.6,
    });
  }
  const distinct = median(distinctRuns);
  const distinctRatios = ratios(
    distinct.requestsPerSecond,
    bareHello,
    inServer,
    median(sameBytesRuns['wirral-four-bed-2026-27']!).requestsPerSecond,
  );
  figures.push({
    figure: 'HTTP POST /v1/quotes Wirral, every body distinct (no cache)',
    value: distinct.requestsPerSecond,
    unit: `req/s (p50 ${distinct.p50} ms, p99 ${distinct.p99} ms)`,
    ...distinctRatios,
    aim: '≥ 0.4 of bare hello-world',
    met: distinctRatios.ratio! >= 0.4,
  });
  figures.push({ figure: 'HTTP errors and non-2xx, all runs', value: errors, unit: '' });
} finally {
  await server.stop();
  await bare.stop();
}

printTable(
  `Pricing benchmark (${new Date().toISOString().slice(0, 10)}, node ${process.version}, HTTP: median of ${rounds} interleaved rounds of ${seconds} s)`,
  figures,
);
saveResults('pricing', figures);
