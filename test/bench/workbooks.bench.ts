import { type CostModel, costModelSchema, priceCostModel } from '../../src/domain/pricing/index.js';
import { quoteAbout } from '../../src/formats/breakdown-about.js';
import { breakdownWorkbook, planBreakdownWorkbook } from '../../src/formats/breakdown-workbook.js';
import { toXlsx } from '../../src/formats/workbook-plan.js';
import { withStaffingLines } from '../helpers/books.js';
import { type Figure, printTable, saveResults } from './harness.js';

/**
 * npm run bench:workbooks — the live breakdown workbook (docs/workbooks.md) of the Wirral example with
 * 5 (as it is), 50 and 200 staffing lines (its lines repeated, each with an id of its own), priced and
 * written as the service writes it: priceCostModel, then breakdownWorkbook (the plan, every formula
 * worked out in 40-digit decimals for its cached result, then exceljs). The median of BENCH_RUNS (5)
 * runs after a warm-up, split into its parts: pricing, planning and working out, writing the XLSX.
 * The quote as JSON (priceCostModel + JSON.stringify) is the baseline the ratio is to.
 *
 * Aim: a 50-line staffing model's workbook in < 1 s.
 */
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 5));
const AIM_MS = 1_000;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function measure(lines: number) {
  const input = withStaffingLines(lines);
  const model: CostModel = costModelSchema.parse(input);
  const whole: number[] = [];
  const parts = { price: [] as number[], plan: [] as number[], write: [] as number[] };
  const json: number[] = [];
  let bytes = 0;
  for (let run = -1; run < RUNS; run += 1) {
    const t0 = performance.now();
    const breakdown = priceCostModel(model);
    const t1 = performance.now();
    const plan = planBreakdownWorkbook(input, breakdown, quoteAbout(breakdown));
    const t2 = performance.now();
    const written = await toXlsx(plan, breakdown.period.start);
    const t3 = performance.now();
    const j0 = performance.now();
    JSON.stringify(priceCostModel(model));
    const j1 = performance.now();
    // the route's own call, end to end
    const e0 = performance.now();
    bytes = (await breakdownWorkbook(input, priceCostModel(model), quoteAbout(breakdown))).length;
    const e1 = performance.now();
    if (run < 0) continue; // warm-up
    parts.price.push(t1 - t0);
    parts.plan.push(t2 - t1);
    parts.write.push(t3 - t2);
    json.push(j1 - j0);
    whole.push(e1 - e0);
    if (written.length !== bytes) throw new Error('the two ways of writing the workbook differ');
  }
  return {
    lines,
    ms: median(whole),
    price: median(parts.price),
    plan: median(parts.plan),
    write: median(parts.write),
    json: median(json),
    bytes,
  };
}

async function main() {
  const figures: Figure[] = [];
  for (const lines of [5, 50, 200]) {
    const r = await measure(lines);
    figures.push({
      figure: `${lines} staffing lines: the live workbook (median of ${RUNS})`,
      value: r.ms,
      unit: `ms (${(r.bytes / 1024).toFixed(0)} KiB; price ${r.price.toFixed(1)}, plan and work out ${r.plan.toFixed(1)}, write XLSX ${r.write.toFixed(1)} ms)`,
      baseline: { figure: 'the same quote as JSON, ms', value: r.json },
      ratio: r.ms / r.json,
      ...(lines === 50 ? { aim: `< ${AIM_MS / 1000} s for 50 staffing lines`, met: r.ms < AIM_MS } : {}),
    });
  }
  printTable('Live breakdown workbooks', figures);
  saveResults('workbooks', figures);
}

await main();
