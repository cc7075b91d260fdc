import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RequestContext } from '../../src/core/context.js';
import { type CostModel, costModelSchema } from '../../src/domain/pricing/index.js';
import {
  gridRows,
  planScenario,
  type ScenarioSpec,
  scenarioSpecSchema,
} from '../../src/domain/scenarios/index.js';
import { scenarioWorkbook } from '../../src/formats/scenario-workbook.js';
import { rateTables } from '../../src/modules/rates/index.js';
import { type Figure, printTable, root, saveResults } from './harness.js';

/**
 * npm run bench:scenarios — a scenario grid of 100, 1,000 and 10,000 combinations on the Wirral
 * example: planned occupancy (a range of n ÷ 10 values up to 1) × agency share (0 to 0.45 by 0.05),
 * around a point with a 6% care pay uplift.
 *
 * Each size runs in a fresh child process (this file with `--worker <n>`, node --expose-gc), so that
 * its peak memory is its own: after a warm-up (a 1,000-combination grid of other values) and a full GC,
 * it plans the scenario and prices every row through the `gridRows` generator, one row at a time,
 * keeping only counts. Time: the median of BENCH_RUNS (3) such runs. Memory, of the first run: RSS
 * and heapUsed read after every 100 rows (the pricing is synchronous, so a timer would never fire
 * during it), the peak RSS and the peak heap above the level after the GC; and what it retained,
 * the heap after another GC above that level.
 *
 * Aims: the 10,000 grid planned and priced in < 1 s; memory flat: its peak heap above the baseline at
 * most 2× that of the 100 grid or at most FLAT_BOUND_MIB (garbage the young generation has not yet
 * collected is up to some 16 MiB whatever the size), and at most a MiB retained.
 *
 * Then, in this process, the 10,000 grid end to end as the service writes its JSON (runScenario on
 * an inline model, then scenarioJson's chunks, their bytes counted and dropped), and as a workbook
 * (collectReport, then scenarioWorkbook).
 */
const SIZES = [100, 1_000, 10_000] as const;
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const AIM_MS = 1_000;
const FLAT_BOUND_MIB = 32;
const SAMPLE_EVERY = 100;
const MIB = 2 ** 20;

const wirral: CostModel = costModelSchema.parse(
  JSON.parse(readFileSync(`${root}/fixtures/examples/wirral-four-bed-2026-27.model.json`, 'utf8')),
);

/** The grid of `size` combinations: size ÷ 10 occupancies up to 1 × 10 agency shares. */
function specOf(size: number, offset = 0): ScenarioSpec {
  const occupancies = size / 10;
  const step = 500_000 / occupancies; // millionths: the occupancies span the upper half
  const million = (units: number) => (units / 1_000_000).toFixed(6);
  return scenarioSpecSchema.parse({
    changes: [{ lever: 'payUplift', group: 'care', value: '0.06' }],
    grids: [
      {
        name: `${size.toLocaleString('en-GB')} combinations`,
        axes: [
          {
            lever: 'plannedOccupancy',
            range: {
              from: million(1_000_000 - (occupancies - 1) * step - offset),
              to: million(1_000_000 - offset),
              step: million(step),
            },
          },
          {
            lever: 'agencyShare',
            values: Array.from({ length: 10 }, (_, i) => million(i * 50_000 + offset)),
          },
        ],
      },
    ],
  });
}

interface WorkerResult {
  size: number;
  rows: number;
  priced: number;
  ms: number;
  baseRss: number;
  peakRss: number;
  baseHeap: number;
  peakHeap: number;
  retainedHeap: number;
}

/** Plans and prices every row of the grid, keeping counts; `sample` after every SAMPLE_EVERY rows. */
function planAndPrice(spec: ScenarioSpec, sample: () => void = () => {}): { rows: number; priced: number } {
  const plan = planScenario(wirral, spec, { rateTables: rateTables() });
  let rows = 0;
  let priced = 0;
  for (const grid of plan.grids) {
    for (const row of gridRows(plan, grid)) {
      rows += 1;
      if (row.weeklyFeePerChild !== null) priced += 1;
      if (rows % SAMPLE_EVERY === 0) sample();
    }
  }
  sample();
  return { rows, priced };
}

function worker(size: number): WorkerResult {
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error('run the worker with node --expose-gc');
  planAndPrice(specOf(1_000, 1)); // warm-up: other values, so that nothing measured is a repeat
  gc();
  gc();
  const base = process.memoryUsage();
  let peakRss = base.rss;
  let peakHeap = base.heapUsed;
  const sample = () => {
    const now = process.memoryUsage();
    if (now.rss > peakRss) peakRss = now.rss;
    if (now.heapUsed > peakHeap) peakHeap = now.heapUsed;
  };
  const spec = specOf(size);
  const times: number[] = [];
  let counts = { rows: 0, priced: 0 };
  let retained = 0;
  for (let run = 0; run < RUNS; run++) {
    const started = process.hrtime.bigint();
    counts = planAndPrice(spec, run === 0 ? sample : undefined);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (run === 0) {
      gc();
      gc();
      retained = process.memoryUsage().heapUsed;
    }
  }
  times.sort((a, b) => a - b);
  return {
    size,
    ...counts,
    ms: times[Math.floor(times.length / 2)]!,
    baseRss: base.rss,
    peakRss,
    baseHeap: base.heapUsed,
    peakHeap,
    retainedHeap: retained - base.heapUsed,
  };
}

/** One size in a fresh process: its result, from the worker's last line of output. */
function inChild(size: number): Promise<WorkerResult> {
  const self = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', self, '--worker', String(size)],
      { cwd: root, env: process.env, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`worker for ${size} combinations exited with ${code}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1)!) as WorkerResult);
      } catch (error) {
        reject(error);
      }
    });
  });
}

type Timed = { ms: number; bytes: number };

/** The 10,000 grid as the service writes its JSON and its workbook, in this process; undefined if no service. */
async function endToEnd(): Promise<{ json: Timed; xlsx: Timed } | undefined> {
  let service: typeof import('../../src/modules/scenarios/service.js');
  let exporter: typeof import('../../src/modules/scenarios/export.js');
  try {
    service = await import('../../src/modules/scenarios/service.js');
    exporter = await import('../../src/modules/scenarios/export.js');
  } catch (error) {
    process.stderr.write(`scenario service not available, JSON end to end skipped: ${String(error)}\n`);
    return undefined;
  }
  // An inline model: runScenario reads nothing from the context (no database, no principal).
  const ctx = {} as RequestContext;
  const once = async (spec: ScenarioSpec) => {
    const run = await service.runScenario(ctx, { base: { costModel: wirral }, spec });
    let bytes = 0;
    for await (const chunk of exporter.scenarioJson(run)) bytes += Buffer.byteLength(chunk);
    return bytes;
  };
  const workbook = async (spec: ScenarioSpec) => {
    const run = await service.runScenario(ctx, { base: { costModel: wirral }, spec });
    return (await scenarioWorkbook(await service.collectReport(run))).length;
  };
  return { json: await medianOf(once), xlsx: await medianOf(workbook) };
}

/** The median time of RUNS calls on the 10,000 grid, after one on a small grid of other values. */
async function medianOf(
  write: (spec: ScenarioSpec) => Promise<number>,
): Promise<{ ms: number; bytes: number }> {
  await write(specOf(100, 1)); // warm-up
  const times: number[] = [];
  let bytes = 0;
  for (let run = 0; run < RUNS; run++) {
    const started = process.hrtime.bigint();
    bytes = await write(specOf(10_000));
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)]!, bytes };
}

async function main() {
  const results: WorkerResult[] = [];
  for (const size of SIZES) results.push(await inChild(size));
  const figures: Figure[] = [];
  const smallest = results[0]!;
  const smallDelta = (smallest.peakHeap - smallest.baseHeap) / MIB;
  for (const r of results) {
    const label = `${r.size.toLocaleString('en-GB')} combinations`;
    if (r.rows !== r.size) throw new Error(`${label}: ${r.rows} rows priced`);
    const largest = r.size === SIZES.at(-1);
    figures.push({
      figure: `${label}: plan + price every row (median of ${RUNS})`,
      value: r.ms,
      unit: `ms (${r.priced} of ${r.rows} priced)`,
      ...(largest ? { aim: `< ${AIM_MS / 1000} s for ${label}`, met: r.ms < AIM_MS } : {}),
    });
    figures.push({ figure: `${label}: rows per second`, value: (r.rows / r.ms) * 1000, unit: 'rows/s' });
    figures.push({
      figure: `${label}: peak RSS`,
      value: r.peakRss / MIB,
      unit: `MiB (${((r.peakRss - r.baseRss) / MIB).toFixed(1)} above ${(r.baseRss / MIB).toFixed(0)} after GC)`,
    });
    const delta = (r.peakHeap - r.baseHeap) / MIB;
    const flat = delta <= Math.max(2 * smallDelta, FLAT_BOUND_MIB) && r.retainedHeap / MIB <= 1;
    figures.push({
      figure: `${label}: peak heap above baseline`,
      value: delta,
      unit: `MiB (retained after GC: ${(r.retainedHeap / MIB).toFixed(2)} MiB)`,
      ...(largest
        ? {
            baseline: { figure: `${smallest.size} combinations, MiB`, value: smallDelta },
            ratio: delta / smallDelta,
            aim: `memory flat: ≤ 2× the ${smallest.size}-combination peak or ≤ ${FLAT_BOUND_MIB} MiB; ≤ 1 MiB retained`,
            met: flat,
          }
        : {}),
    });
  }
  const written = await endToEnd();
  if (written !== undefined) {
    figures.push({
      figure: `10,000 combinations: JSON end to end (runScenario + scenarioJson, in-process, median of ${RUNS})`,
      value: written.json.ms,
      unit: `ms (${(written.json.bytes / MIB).toFixed(2)} MiB)`,
    });
    figures.push({
      figure: `10,000 combinations: workbook (runScenario + collectReport + scenarioWorkbook, median of ${RUNS})`,
      value: written.xlsx.ms,
      unit: `ms (${(written.xlsx.bytes / MIB).toFixed(2)} MiB)`,
    });
  }
  printTable(
    `Scenarios benchmark (${new Date().toISOString().slice(0, 10)}, node ${process.version}, a fresh process per size)`,
    figures,
  );
  saveResults('scenarios', figures);
}

const at = process.argv.indexOf('--worker');
if (at >= 0) {
  process.stdout.write(`${JSON.stringify(worker(Number(process.argv[at + 1])))}\n`);
} else {
  await main();
}
