import { Readable } from 'node:stream';
import {
  BENCH_API_KEY,
  type BenchServer,
  call,
  type Figure,
  memoryOf,
  printTable,
  resetPeak,
  saveResults,
  startBenchServer,
} from './harness.js';

/**
 * npm run bench:actuals — a home's actual spending imported as one streamed CSV of 10,000 and of
 * 100,000 rows (12 months × cost codes × varying descriptions, no two rows alike), against the bench
 * server in a child process (PGlite in memory; BENCH_DATABASE_URL + BENCH_SCHEMA for PostgreSQL):
 * rows per second, total time, and the growth of the server's peak RSS (VmHWM) over the import.
 */
const CODES = [
  'PROPERTY_LEASE',
  'STAFF_PAY',
  'RUNNING_FOOD_HOUSEHOLD',
  'RUNNING_ACTIVITIES',
  'RUNNING_TRANSPORT',
];
const MONTHS = Array.from({ length: 12 }, (_, i) => {
  const month = ((3 + i) % 12) + 1;
  return `${2026 + (month < 4 ? 1 : 0)}-${String(month).padStart(2, '0')}`;
});
const auth = { authorization: `Bearer ${BENCH_API_KEY}` };
const figures: Figure[] = [];

/** Lines of a CSV with `rows` data rows, produced as they are read. */
function* csvLines(rows: number): Generator<string> {
  yield 'month,code,amount,description\n';
  for (let i = 0; i < rows; i++) {
    const month = MONTHS[i % MONTHS.length]!;
    const code = CODES[Math.floor(i / MONTHS.length) % CODES.length]!;
    const amount = `${(i % 5000) + 1}.${String(i % 100).padStart(2, '0')}`;
    yield `${month},${code},${amount},Invoice ${i} from supplier ${i % 97}\n`;
  }
}

/** A Readable over the generator, in chunks of about 64 KiB. */
function csvStream(rows: number): Readable {
  const lines = csvLines(rows);
  return new Readable({
    read() {
      let chunk = '';
      for (;;) {
        const next = lines.next();
        if (next.done) {
          if (chunk) this.push(chunk);
          this.push(null);
          return;
        }
        chunk += next.value;
        if (chunk.length >= 64 * 1024) break;
      }
      this.push(chunk);
    },
  });
}

async function measure(server: BenchServer, homeId: string, rows: number) {
  const pid = server.child.pid!;
  const reset = resetPeak(pid);
  const before = memoryOf(pid);
  const started = process.hrtime.bigint();
  const response = await fetch(`${server.url}/v1/homes/${homeId}/actuals`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'text/csv', 'idempotency-key': `bench-actuals-${rows}` },
    body: Readable.toWeb(csvStream(rows)) as ReadableStream,
    duplex: 'half',
  } as RequestInit);
  const text = await response.text();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const after = memoryOf(pid);
  if (response.status !== 201) throw new Error(`import of ${rows} rows: ${response.status} ${text}`);
  const stored = (JSON.parse(text) as { months: Array<{ rows: number }> }).months.reduce(
    (sum, month) => sum + month.rows,
    0,
  );
  if (stored !== rows) throw new Error(`import of ${rows} rows stored ${stored}`);
  figures.push(
    { figure: `${rows} rows, CSV streamed`, value: (rows / ms) * 1000, unit: 'rows/s' },
    { figure: `${rows} rows, total time`, value: ms, unit: 'ms' },
    {
      figure: `${rows} rows, server peak RSS (VmHWM) growth`,
      value: after.hwm - before.hwm,
      unit: `MiB (peak ${before.hwm.toFixed(0)} → ${after.hwm.toFixed(0)}${reset ? ', reset before' : ', NOT reset'}; RSS ${before.rss.toFixed(0)} → ${after.rss.toFixed(0)})`,
    },
  );
}

const server = await startBenchServer({ REQUEST_TIMEOUT_MS: '600000' });
try {
  const organisation = await call(server, 'POST', '/v1/organisations', {
    name: 'Bench Actuals CIC',
    legalForm: 'community_interest_company',
    surplusCapRate: '0.08',
  });
  for (const rows of [10_000, 100_000]) {
    // A home of its own per size, so that each import is version 1 of its months.
    const home = await call(server, 'POST', '/v1/homes', {
      organisationId: organisation.id,
      name: `Actuals ${rows}`,
      hostCouncil: 'E08000015',
      registeredPlaces: 4,
      openedOn: '2020-01-01',
    });
    await measure(server, home.id, rows);
  }
} finally {
  await server.stop();
}

printTable(
  `Actuals import, streamed CSV, on ${process.env.BENCH_DATABASE_URL ? 'PostgreSQL' : 'PGlite (in memory)'}`,
  figures,
);
saveResults('actuals', figures);
