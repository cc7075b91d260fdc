import { spawn } from 'node:child_process';
import http from 'node:http';
import { cpus, loadavg } from 'node:os';
import { parse } from 'csv-parse/sync';
import pg from 'pg';
import {
  BENCH_API_KEY,
  type BenchServer,
  type Figure,
  memoryOf,
  printTable,
  resetPeak,
  saveResults,
  startBenchServer,
} from './harness.js';
import { FINANCIAL_YEAR, LINES, returnRowsSql, seedReturns } from './returns-seed.js';

/**
 * npm run bench:returns — the all-providers annual return of 2026-27 (GET /v1/returns/2026-27, no
 * organisation ⇒ every provider) exported as CSV and as XLSX from a national-scale data set on
 * PostgreSQL: 600 organisations, 3,500 homes, 10,000 placements, a year of monthly actuals per home
 * (30 lines per month over the method's 24 actual cost codes; see returns-seed.ts), in a schema of
 * its own, dropped at the end unless BENCH_KEEP=1 (BENCH_SCHEMA=name reuses a kept, seeded schema).
 *
 * Figures: time to first and to last byte of each format (streamed to a byte counter, never
 * buffered here), the server's peak RSS (VmHWM) during each export, and the CSV's time against
 * `psql -c "\copy (select …) to stdout"` of the same long-format rows in the same run.
 */
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = process.env.BENCH_SCHEMA ?? `bench_returns_${process.pid}`;
const KEEP = process.env.BENCH_KEEP === '1';
// BENCH_RETURNS_SCALE (1) scales the data set, to see that memory does not grow with it.
const SCALE = Number(process.env.BENCH_RETURNS_SCALE ?? 1);
if (!(SCALE > 0 && SCALE <= 4)) throw new Error(`BENCH_RETURNS_SCALE must be in (0, 4], not ${SCALE}`);
const SIZES = {
  organisations: Math.max(1, Math.round(600 * SCALE)),
  homes: Math.max(1, Math.round(3500 * SCALE)),
  placements: Math.round(10_000 * SCALE),
};
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const URL_PATH = `/v1/returns/${FINANCIAL_YEAR.label}`;
const FORMATS = {
  CSV: 'text/csv',
  XLSX: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  JSON: 'application/json',
} as const;
type Format = keyof typeof FORMATS;

if (!/^[a-z_][a-z0-9_]*$/.test(SCHEMA)) throw new Error(`BENCH_SCHEMA must be a plain identifier: ${SCHEMA}`);
const log = (line: string) => process.stderr.write(`${line}\n`);

interface Transfer {
  status: number;
  contentType: string;
  /** Milliseconds from the request to the response's headers, its first body byte, its last. */
  headersMs: number;
  firstByteMs: number;
  lastByteMs: number;
  bytes: number;
  /** Newlines seen (the rows of a CSV, its header included). */
  lines: number;
  /** The start of the body (for error messages and format checks); the rest is only counted. */
  head: string;
  /** The last 64 bytes (where a zip keeps its directory's end). */
  tail: Buffer;
  /** False when the connection closed before the body's end (a stream that broke mid-way). */
  complete: boolean;
  error?: string;
  /** HTTP trailers received (the streamed export's Return-Hash, when first produced). */
  trailers: string[];
}

/** Counts a stream's bytes and newlines as they arrive, keeping only its first 512 bytes. */
function counter(started: bigint) {
  const state = { firstByteMs: 0, bytes: 0, lines: 0, head: Buffer.alloc(0), tail: Buffer.alloc(0) };
  const since = () => Number(process.hrtime.bigint() - started) / 1e6;
  return {
    state,
    since,
    add(chunk: Buffer) {
      if (state.bytes === 0) state.firstByteMs = since();
      state.bytes += chunk.length;
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) state.lines++;
      if (state.head.length < 512) state.head = Buffer.concat([state.head, chunk.subarray(0, 512)]);
      state.tail = Buffer.concat([state.tail, chunk.subarray(-64)]).subarray(-64);
    },
  };
}

function download(server: BenchServer, accept: string): Promise<Transfer> {
  const started = process.hrtime.bigint();
  const count = counter(started);
  return new Promise((resolve, reject) => {
    const request = http.get(
      `${server.url}${URL_PATH}`,
      { headers: { authorization: `Bearer ${BENCH_API_KEY}`, accept }, agent: false },
      (response) => {
        const headersMs = count.since();
        let error: string | undefined;
        response.on('data', count.add);
        response.on('error', (e) => {
          error = e.message;
        });
        // 'close' comes after 'end', and also when the server drops the connection mid-body.
        response.on('close', () =>
          resolve({
            status: response.statusCode ?? 0,
            contentType: String(response.headers['content-type'] ?? ''),
            headersMs,
            firstByteMs: count.state.firstByteMs || headersMs,
            lastByteMs: count.since(),
            bytes: count.state.bytes,
            lines: count.state.lines,
            head: count.state.head.toString('latin1'),
            tail: count.state.tail,
            complete: response.complete && error === undefined,
            ...(error === undefined ? {} : { error }),
            trailers: Object.keys(response.trailers),
          }),
        );
      },
    );
    request.on('error', reject);
    request.setTimeout(900_000, () => request.destroy(new Error('no answer in 15 minutes')));
  });
}

/** `psql -c "\copy (select …) to stdout with csv header"` of the return's rows, streamed to a counter. */
function psqlCopy(): Promise<Transfer> {
  const started = process.hrtime.bigint();
  const count = counter(started);
  const query = returnRowsSql().replace(/\s+/g, ' ');
  return new Promise((resolve, reject) => {
    const child = spawn(
      'psql',
      [
        DATABASE_URL,
        '-X',
        '-q',
        '-v',
        'ON_ERROR_STOP=1',
        '-c',
        `\\copy (${query}) to stdout with (format csv, header)`,
      ],
      {
        env: { ...process.env, PGOPTIONS: `-c search_path=${SCHEMA}` },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stdout.on('data', count.add);
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`psql exited with ${code}: ${stderr}`));
      resolve({
        status: 0,
        contentType: 'text/csv',
        headersMs: 0,
        firstByteMs: count.state.firstByteMs,
        lastByteMs: count.since(),
        bytes: count.state.bytes,
        lines: count.state.lines,
        head: count.state.head.toString('latin1'),
        tail: count.state.tail,
        complete: true,
        trailers: [],
      });
    });
  });
}

interface Measured extends Transfer {
  peakMiB: number;
  rssBeforeMiB: number;
  reset: boolean;
}

/** One export, with the server's peak RSS over it (VmHWM reset before, and VmRSS sampled every 10 ms). */
async function exportOnce(server: BenchServer, format: Format): Promise<Measured> {
  const pid = server.child.pid!;
  const reset = resetPeak(pid);
  const before = memoryOf(pid);
  let sampled = before.rss;
  const sampler = setInterval(() => {
    sampled = Math.max(sampled, memoryOf(pid).rss);
  }, 10);
  try {
    const transfer = await download(server, FORMATS[format]);
    const after = memoryOf(pid);
    return {
      ...transfer,
      peakMiB: reset ? after.hwm : Math.max(sampled, after.rss),
      rssBeforeMiB: before.rss,
      reset,
    };
  } finally {
    clearInterval(sampler);
  }
}

/** A whole answer: 200, body to its end, and for XLSX a zip that ends with its central directory. */
function sound(format: Format, transfer: Transfer): boolean {
  if (transfer.status !== 200 || !transfer.complete) return false;
  if (format !== 'XLSX') return true;
  return transfer.head.startsWith('PK') && transfer.tail.includes(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
}

const middle = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/**
 * Compares the CSV export with the rows of the baseline select: same (home, code) pairs, same
 * amounts, same organisation and home columns. Untimed; the CSV is buffered here only for this check.
 */
async function checkCsv(server: BenchServer, client: pg.Client): Promise<string[]> {
  const response = await fetch(`${server.url}${URL_PATH}`, {
    headers: { authorization: `Bearer ${BENCH_API_KEY}`, accept: FORMATS.CSV },
  });
  const records = parse(await response.text(), { columns: true, bom: true }) as Record<string, string>[];
  const expected = (await client.query(returnRowsSql())).rows as Record<string, string>[];
  const problems: string[] = [];
  const columns = [
    'financial_year',
    'organisation_id',
    'organisation_name',
    'home_id',
    'ofsted_urn',
    'home_name',
    'category',
    'code',
    'amount',
  ];
  const missingColumns = columns.filter((column) => records.length > 0 && !(column in records[0]!));
  if (missingColumns.length > 0) problems.push(`CSV lacks the columns ${missingColumns.join(', ')}`);
  const key = (row: Record<string, string>) => `${row.home_id}/${row.code}`;
  const got = new Map(records.map((row) => [key(row), row]));
  let differ = 0;
  let absent = 0;
  let zeroRows = 0;
  for (const row of expected) {
    const csv = got.get(key(row));
    got.delete(key(row));
    if (!csv) {
      absent++;
      continue;
    }
    const same = columns.every((column) =>
      column === 'amount'
        ? Number(csv.amount) === Number(row.amount)
        : String(csv[column] ?? '') === String(row[column] ?? ''),
    );
    if (!same) {
      if (differ < 3) problems.push(`differs: ${JSON.stringify(csv)} vs expected ${JSON.stringify(row)}`);
      differ++;
    }
  }
  for (const extra of got.values()) if (Number(extra.amount) === 0) zeroRows++;
  if (differ > 0) problems.push(`${differ} of ${expected.length} rows differ from the baseline select`);
  if (absent > 0) problems.push(`${absent} rows of the baseline select are not in the CSV`);
  if (got.size > 0)
    problems.push(`${got.size} CSV rows are not in the baseline select (${zeroRows} of them with amount 0)`);
  return problems;
}

const figures: Figure[] = [];
const loadAtStart = loadavg()[0]!;
const admin = new pg.Client({ connectionString: DATABASE_URL });
await admin.connect();
await admin.query(`create schema if not exists ${SCHEMA}`);
const client = new pg.Client({ connectionString: DATABASE_URL, options: `-c search_path=${SCHEMA}` });
const serverEnv = { BENCH_DATABASE_URL: DATABASE_URL, BENCH_SCHEMA: SCHEMA, REQUEST_TIMEOUT_MS: '600000' };
let server: BenchServer | undefined;
let missing = false;
let checkProblems: string[] = [];
try {
  // Seeding: a server of its own (it migrates the schema and makes the template through the API).
  server = await startBenchServer(serverEnv);
  await client.connect();
  const seeded = Number((await client.query('select count(*) as n from actual_amounts')).rows[0].n) > 0;
  const started = Number((await client.query('select count(*) as n from organisations')).rows[0].n) > 0;
  if (started && !seeded) throw new Error(`${SCHEMA} is partly seeded: drop schema ${SCHEMA} cascade`);
  if (seeded) {
    log(`Reusing the seeded schema ${SCHEMA}`);
  } else {
    log(`Seeding ${SCHEMA} on ${DATABASE_URL.replace(/\/\/[^@]*@/, '//')}:`);
    const outcome = await seedReturns(server.url, client, SIZES, log);
    log(`  counts: ${JSON.stringify(outcome.counts)}`);
    figures.push({
      figure: 'seeding (API template + SQL clones + analyze)',
      value: outcome.ms / 1000,
      unit: `s (${outcome.counts.organisations} organisations, ${outcome.counts.homes} homes, ${outcome.counts.placements} placements, ${outcome.counts.actuals_imports} imports, ${outcome.counts.actual_amounts} actual lines)`,
    });
  }
  const size = (
    await client.query('select pg_size_pretty(pg_total_relation_size($1)) as s', ['actual_amounts'])
  ).rows[0].s;
  log(`actual_amounts: ${size} with indexes`);
  const probe = await download(server, FORMATS.CSV);
  await server.stop();
  server = undefined;
  missing = probe.status === 404;
  if (missing) log(`GET ${URL_PATH} answers 404: the export does not exist yet; measuring the baseline only`);
  else if (probe.status !== 200)
    throw new Error(`GET ${URL_PATH} (CSV) answered ${probe.status}: ${probe.head.slice(0, 400)}`);

  // Baseline: psql's \copy of the same rows, once to warm the cache, then between the CSV runs.
  await psqlCopy();
  const copies: Transfer[] = [];
  const runs: Record<Format, Measured[]> = { CSV: [], XLSX: [], JSON: [] };
  const cold: Partial<Record<Format, Measured>> = {};
  // Each format on a freshly started server, so that the heap one format grew is not the floor of the
  // next one's peak: a cold first request, then RUNS more (fewer when it breaks or is slow).
  for (const format of missing ? [] : (['CSV', 'XLSX', 'JSON'] as const)) {
    server = await startBenchServer(serverEnv);
    log(`${format}: server started (RSS ${memoryOf(server.child.pid!).rss.toFixed(0)} MiB)`);
    const first = await exportOnce(server, format);
    cold[format] = first;
    log(`${format}: cold ${first.status} in ${first.lastByteMs.toFixed(0)} ms, ${mib(first.bytes)}`);
    for (let i = 0; i < RUNS && sound(format, first) && first.lastByteMs < 60_000; i++) {
      if (format === 'CSV') copies.push(await psqlCopy());
      runs[format].push(await exportOnce(server, format));
    }
    await server.stop();
    server = undefined;
  }
  while (copies.length < RUNS) copies.push(await psqlCopy());
  const copyMs = middle(copies.map((c) => c.lastByteMs));
  const copyRows = copies[0]!.lines - 1;
  figures.push({
    figure: 'psql \\copy (select …) to stdout, CSV (baseline)',
    value: copyMs,
    unit: `ms to last byte (first byte ${middle(copies.map((c) => c.firstByteMs)).toFixed(0)} ms; ${copyRows} rows, ${mib(copies[0]!.bytes)}; median of ${copies.length})`,
  });

  for (const format of missing ? [] : (['CSV', 'XLSX', 'JSON'] as const)) {
    const coldRun = cold[format]!;
    const all = [coldRun, ...runs[format]];
    if (coldRun.status !== 200) {
      figures.push({
        figure: `${format} export`,
        value: coldRun.status,
        unit: `HTTP status: ${coldRun.head.slice(0, 200)}`,
        aim: '200',
        met: false,
      });
      continue;
    }
    // Times of the warm runs (the cold one when it is all there is); the peak over every run.
    const timed = runs[format].length > 0 ? runs[format] : [coldRun];
    const good = timed.filter((m) => sound(format, m));
    const last = middle(timed.map((m) => m.lastByteMs));
    const first = middle(timed.map((m) => m.firstByteMs));
    const headers = middle(timed.map((m) => m.headersMs));
    const peak = Math.max(...all.map((m) => m.peakMiB));
    const sample = timed[0]!;
    const runsText = `${timed === runs[format] ? `median of ${timed.length} warm runs` : 'the cold run only'}${good.length === 0 ? ', BROKEN' : ''}`;
    const detail =
      format === 'CSV'
        ? `${sample.lines - 1} rows (psql ${copyRows}), ${mib(sample.bytes)}`
        : mib(sample.bytes);
    const broken = all.filter((m) => !sound(format, m));
    if (broken.length > 0) {
      const one = broken[0]!;
      figures.push({
        figure: `${format} export: complete responses`,
        value: all.length - broken.length,
        unit: `of ${all.length} (a broken one: ${one.complete ? 'body complete but not a valid workbook (no zip directory at its end)' : `connection closed mid-body${one.error ? ` (${one.error})` : ''}`} after ${mib(one.bytes)} and ${one.lastByteMs.toFixed(0)} ms)`,
        aim: 'all complete',
        met: false,
      });
    }
    figures.push({
      figure: `${format} export: time to first byte`,
      value: first,
      unit: `ms (headers ${headers.toFixed(0)} ms; ${runsText})`,
    });
    figures.push({
      figure: `${format} export: time to last byte`,
      value: last,
      unit: `ms (${detail}; cold first request ${coldRun.lastByteMs.toFixed(0)} ms; ${runsText})`,
      baseline: { figure: 'psql \\copy ms', value: copyMs },
      ratio: last / copyMs,
      ...(format === 'CSV' ? { aim: '≤ 5× psql \\copy', met: good.length > 0 && last / copyMs <= 5 } : {}),
    });
    figures.push({
      figure: `${format} export: server peak RSS (VmHWM)`,
      value: peak,
      unit: `MiB (fresh server, RSS ${coldRun.rssBeforeMiB.toFixed(0)} MiB before; ${coldRun.reset ? 'peak reset before each run' : 'peak NOT reset, sampled RSS'}; max of ${all.length} runs)`,
      ...(format === 'JSON' ? {} : { aim: '< 300 MiB', met: peak < 300 }),
    });
  }
  if (!missing && sound('CSV', probe)) {
    server = await startBenchServer(serverEnv);
    checkProblems = await checkCsv(server, client);
  }
} finally {
  await server?.stop();
  await client.end().catch(() => {});
  if (KEEP)
    log(`Kept the schema ${SCHEMA} (BENCH_SCHEMA=${SCHEMA} reuses it; drop schema ${SCHEMA} cascade)`);
  else await admin.query(`drop schema if exists ${SCHEMA} cascade`);
  await admin.end();
}

printTable(
  `Annual return ${FINANCIAL_YEAR.label}, all providers (${SIZES.organisations} organisations, ${SIZES.homes} homes, ${SIZES.placements} placements, ${LINES.length} actual lines per home-month), on PostgreSQL (${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${cpus().length} CPUs, load average ${loadAtStart.toFixed(1)} at start)`,
  figures,
);
if (missing) process.stdout.write(`\nGET ${URL_PATH} answered 404: the export was not measured.\n`);
if (checkProblems.length > 0)
  process.stdout.write(`\nThe CSV does not match the baseline select:\n  ${checkProblems.join('\n  ')}\n`);
else if (!missing) process.stdout.write('\nThe CSV matches the baseline select row for row.\n');
saveResults('returns', figures);
if (missing) process.exitCode = 1;
