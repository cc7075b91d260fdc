import { readFileSync } from 'node:fs';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { BENCH_API_KEY, type Figure, printTable, root, saveResults } from './harness.js';

/**
 * npm run bench:statements — a council's statement over a year with 200 and with 2,000 placements,
 * as JSON and as XLSX, in-process on PGlite: time per statement, and the peak memory one statement
 * takes above the idle process.
 */
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const auth = { authorization: `Bearer ${BENCH_API_KEY}` };
const wirral = JSON.parse(
  readFileSync(`${root}/fixtures/examples/wirral-four-bed-2026-27.model.json`, 'utf8'),
);
const figures: Figure[] = [];

const config = loadConfig({
  LOG_LEVEL: 'silent',
  NODE_ENV: 'production',
  ADMIN_API_KEY: BENCH_API_KEY,
  RATE_LIMIT_PER_MINUTE: '0',
});
const database = await openDatabase({ dataDir: 'memory://' });
await migrateToLatest(database.db);
const app = await buildApp({ config, database });
await app.ready();

const call = async (
  method: 'GET' | 'POST',
  url: string,
  payload?: unknown,
  headers: Record<string, string> = {},
) => {
  const response = await app.inject({
    method,
    url,
    payload: payload as object,
    headers: { ...auth, ...headers },
  });
  if (response.statusCode >= 300)
    throw new Error(`${method} ${url}: ${response.statusCode} ${response.body}`);
  return response;
};

const organisation = (
  await call('POST', '/v1/organisations', {
    name: 'Bench CIC',
    legalForm: 'community_interest_company',
    surplusCapRate: '0.08',
  })
).json();
const homes: string[] = [];
for (let i = 0; i < 10; i++) {
  const home = await call('POST', '/v1/homes', {
    organisationId: organisation.id,
    name: `Home ${i + 1}`,
    hostCouncil: 'E08000015',
    registeredPlaces: 4,
    openedOn: '2020-01-01',
  });
  const draft = (await call('POST', `/v1/homes/${home.json().id}/cost-models`, wirral)).json();
  for (const [n, effectiveFrom] of ['2026-04-01', '2026-10-01'].entries()) {
    await call(
      'POST',
      `/v1/cost-models/${draft.id}/publish`,
      { effectiveFrom },
      { 'idempotency-key': `bench-${i}-${n}-publish` },
    );
  }
  homes.push(home.json().id);
}

/** Adds placements straight to the tables (the API path is measured elsewhere): staggered starts, a third with an enhancement. */
async function addPlacements(count: number, offset: number) {
  await database.db.transaction().execute(async (trx) => {
    for (let i = offset; i < offset + count; i++) {
      const start = `2026-${String(4 + (i % 9)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`;
      const row = await trx
        .insertInto('placements')
        .values({
          organisation_id: organisation.id,
          council_code: 'E08000015',
          reference: `BENCH-${i}`,
          created_by: 'bench',
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('placement_versions')
        .values({
          placement_id: row.id,
          version: 1,
          home_id: homes[i % homes.length]!,
          start_date: start,
          end_date: i % 2 === 0 ? null : '2027-03-31',
          enhancements: JSON.stringify(
            i % 3 === 0
              ? [
                  {
                    id: `e${i}`,
                    description: '1:1 support',
                    roleId: 'rcw',
                    hoursPerWeek: '10',
                    start,
                    end: null,
                  },
                ]
              : [],
          ),
          action: 'create',
          recorded_by: 'bench',
        })
        .execute();
    }
  });
}

async function measure(placements: number, format: 'JSON' | 'XLSX') {
  const url = '/v1/councils/E08000015/statements?from=2026-04-01&to=2027-03-31';
  const headers: Record<string, string> = format === 'XLSX' ? { accept: XLSX } : {};
  await call('GET', url, undefined, headers); // warm
  const runs = placements >= 2000 ? 3 : 10;
  const started = process.hrtime.bigint();
  let bytes = 0;
  for (let i = 0; i < runs; i++) bytes = (await call('GET', url, undefined, headers)).rawPayload.length;
  const ms = Number(process.hrtime.bigint() - started) / 1e6 / runs;
  figures.push({
    figure: `${placements} placements, a year, ${format}`,
    value: ms,
    unit: `ms per statement (${(bytes / 1024).toFixed(0)} KiB)`,
  });
  // Peak memory of one statement: JS heap and buffers above the level after a full GC, sampled every
  // 2 ms. (The process's RSS is dominated by PGlite's WebAssembly memory and does not move.)
  const used = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.external + m.arrayBuffers;
  };
  globalThis.gc?.();
  const base = used();
  let peak = base;
  const sampler = setInterval(() => {
    peak = Math.max(peak, used());
  }, 2);
  await call('GET', url, undefined, headers);
  peak = Math.max(peak, used());
  clearInterval(sampler);
  figures.push({
    figure: `${placements} placements, ${format}: peak memory`,
    value: (peak - base) / 2 ** 20,
    unit: 'MiB above idle',
  });
}

await addPlacements(200, 0);
await measure(200, 'JSON');
await measure(200, 'XLSX');
const small = figures.filter((f) => f.unit.startsWith('ms')).map((f) => f.value);
await addPlacements(1800, 200);
await measure(2000, 'JSON');
await measure(2000, 'XLSX');
const timed = figures.filter((f) => f.unit.startsWith('ms'));
timed[2]!.baseline = { figure: '200 placements ms', value: small[0]! };
timed[2]!.ratio = timed[2]!.value / small[0]!;
timed[3]!.baseline = { figure: '200 placements ms', value: small[1]! };
timed[3]!.ratio = timed[3]!.value / small[1]!;
await app.close();

printTable(
  `Statements benchmark (${new Date().toISOString().slice(0, 10)}, node ${process.version}, PGlite, in-process)`,
  figures,
);
saveResults('statements', figures);
