import { readFileSync } from 'node:fs';
import { costModelSchema, priceCostModel } from '../../src/domain/pricing/index.js';
import { rateTables } from '../../src/modules/rates/repository.js';
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
  timeInProcess,
} from './harness.js';

/**
 * npm run bench:pricing — quotes per second for the spec's examples, in-process and over HTTP
 * against a hello-world route of the same server. BENCH_ROUNDS (3) interleaved rounds of BENCH_SECONDS (5) each.
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

const server = await startBenchServer();
try {
  const json = { 'content-type': 'application/json', authorization: `Bearer ${BENCH_API_KEY}` };
  const bodies = Object.fromEntries(
    examples.map((name) => [name, readFileSync(`${root}/fixtures/examples/${name}.model.json`, 'utf8')]),
  );
  const quoteLoad = (body: string, duration: number) =>
    load({ url: `${server.url}/v1/quotes`, method: 'POST', body, headers: json, duration });
  // Every request a different body (the period label carries a counter): nothing can come from the cache.
  let counter = 0;
  const wirral = JSON.parse(bodies['wirral-four-bed-2026-27']!);
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
            return {
              ...request,
              body: JSON.stringify({ ...wirral, period: { ...wirral.period, label: `2026-27 #${counter}` } }),
            };
          },
        },
      ],
    });

  // A short warm-up of each, so that JIT and connection set-up are not measured.
  await load({ url: `${server.url}/bench/hello`, duration: 2 });
  for (const name of examples) await quoteLoad(bodies[name]!, 2);
  await distinctLoad(2);

  // Rounds interleave the baseline and the quotes, so that drift on a shared machine hits both alike;
  // each figure is the median of its rounds.
  const helloRuns: LoadResult[] = [];
  const quoteRuns: Record<string, LoadResult[]> = Object.fromEntries(examples.map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    helloRuns.push(await load({ url: `${server.url}/bench/hello`, duration: seconds }));
    for (const name of examples) quoteRuns[name]!.push(await quoteLoad(bodies[name]!, seconds));
  }
  const hello = median(helloRuns);
  figures.push({ figure: 'HTTP hello-world', value: hello.requestsPerSecond, unit: 'req/s' });
  let errors = helloRuns.reduce((sum, run) => sum + run.errors + run.non2xx, 0);
  for (const name of examples) {
    const runs = quoteRuns[name]!;
    const result = median(runs);
    const ratio = result.requestsPerSecond / hello.requestsPerSecond;
    errors += runs.reduce((sum, run) => sum + run.errors + run.non2xx, 0);
    figures.push({
      figure: `HTTP POST /v1/quotes ${name} (repeat body)`,
      value: result.requestsPerSecond,
      unit: `req/s (p50 ${result.p50} ms, p99 ${result.p99} ms)`,
      baseline: { figure: 'hello req/s', value: hello.requestsPerSecond },
      ratio,
      aim: '≥ 0.5 of hello-world',
      met: ratio >= 0.5,
    });
  }
  const distinct = await distinctLoad(seconds);
  errors += distinct.errors + distinct.non2xx;
  figures.push({
    figure: 'HTTP POST /v1/quotes Wirral, every body distinct (no cache)',
    value: distinct.requestsPerSecond,
    unit: `req/s (p50 ${distinct.p50} ms, p99 ${distinct.p99} ms)`,
    baseline: { figure: 'hello req/s', value: hello.requestsPerSecond },
    ratio: distinct.requestsPerSecond / hello.requestsPerSecond,
  });
  figures.push({ figure: 'HTTP errors and non-2xx, all runs', value: errors, unit: '' });
} finally {
  await server.stop();
}

printTable(
  `Pricing benchmark (${new Date().toISOString().slice(0, 10)}, node ${process.version}, HTTP: median of ${rounds} interleaved rounds of ${seconds} s)`,
  figures,
);
saveResults('pricing', figures);
