import { readFileSync } from 'node:fs';
import { costModelSchema, priceCostModel } from '../../src/domain/pricing/index.js';
import { rateTables } from '../../src/modules/rates/repository.js';
import {
  type Figure,
  load,
  printTable,
  root,
  saveResults,
  startBenchServer,
  timeInProcess,
} from './harness.js';

/**
 * npm run bench:pricing — quotes per second for the spec's examples, in-process and over HTTP
 * against a hello-world route of the same server. BENCH_SECONDS sets each HTTP run's length (10).
 */
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const examples = ['halton-three-bed-2025-26', 'wirral-four-bed-2026-27'];
const figures: Figure[] = [];

for (const name of examples) {
  const text = readFileSync(`${root}/../shared/spec/examples/${name}.model.json`, 'utf8');
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

const server = await startBenchServer();
try {
  const wirral = readFileSync(`${root}/../shared/spec/examples/wirral-four-bed-2026-27.model.json`, 'utf8');
  // A short warm-up of each, so that JIT and connection set-up are not measured.
  await load({ url: `${server.url}/bench/hello`, duration: 2 });
  await load({
    url: `${server.url}/v1/quotes`,
    method: 'POST',
    body: wirral,
    headers: { 'content-type': 'application/json' },
    duration: 2,
  });
  const hello = await load({ url: `${server.url}/bench/hello`, duration: seconds });
  const quotes = await load({
    url: `${server.url}/v1/quotes`,
    method: 'POST',
    body: wirral,
    headers: { 'content-type': 'application/json' },
    duration: seconds,
  });
  const ratio = quotes.requestsPerSecond / hello.requestsPerSecond;
  figures.push({ figure: 'HTTP hello-world', value: hello.requestsPerSecond, unit: 'req/s' });
  figures.push({
    figure: 'HTTP POST /v1/quotes (Wirral)',
    value: quotes.requestsPerSecond,
    unit: 'req/s',
    baseline: { figure: 'hello req/s', value: hello.requestsPerSecond },
    ratio,
    aim: '≥ 0.5 of hello-world',
    met: ratio >= 0.5,
  });
  figures.push({
    figure: 'HTTP quotes p50 / p99 latency',
    value: quotes.p50,
    unit: `ms p50, ${quotes.p99} ms p99`,
  });
  figures.push({
    figure: 'HTTP errors (hello + quotes)',
    value: hello.errors + hello.non2xx + quotes.errors + quotes.non2xx,
    unit: '',
  });
} finally {
  await server.stop();
}

printTable(
  `Pricing benchmark (${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${seconds}s HTTP runs)`,
  figures,
);
saveResults('pricing', figures);
