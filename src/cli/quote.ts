import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { DomainValidationError, type FieldIssue, zodIssuesToFieldIssues } from '../domain/errors.js';
import { Dec, groupThousands } from '../domain/money.js';
import { type Breakdown, costModelSchema } from '../domain/pricing/index.js';
import { quote, quoteCsv } from '../modules/quotes/index.js';

/** `quote FILE.json [--json | --csv]`: exit 0 with the breakdown, 2 with the problem list. */
export async function quoteCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, csv: { type: 'boolean' } },
  });
  const file = positionals[0];
  if (!file || positionals.length > 1 || (values.json && values.csv)) {
    process.stderr.write('Usage: npm run cli -- quote FILE.json [--json | --csv]\n');
    return 64;
  }

  let document: unknown;
  try {
    const text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
    document = JSON.parse(text);
  } catch (error) {
    process.stderr.write(`Cannot read ${file}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }

  const parsed = costModelSchema.safeParse(document);
  if (!parsed.success) return reportIssues(file, zodIssuesToFieldIssues(parsed.error));
  let breakdown: Breakdown;
  try {
    breakdown = quote(parsed.data);
  } catch (error) {
    if (error instanceof DomainValidationError) return reportIssues(file, error.issues);
    throw error;
  }

  if (values.json) process.stdout.write(`${JSON.stringify(breakdown, null, 2)}\n`);
  else if (values.csv) process.stdout.write(quoteCsv(breakdown).body);
  else process.stdout.write(formatTable(breakdown));
  return 0;
}

function reportIssues(file: string, issues: FieldIssue[]): number {
  process.stderr.write(
    `${file} is not a valid cost model (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n`,
  );
  for (const issue of issues) process.stderr.write(`  ${issue.pointer || '/'}: ${issue.message}\n`);
  return 2;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const money = groupThousands;

/** The breakdown as an aligned table, the fee at the bottom. */
export function formatTable(breakdown: Breakdown): string {
  const header = ['Code', 'Description', 'Annual £', 'Weekly per child £', 'Share'];
  const rows = breakdown.lines.map((line) => [
    line.code,
    line.description,
    money(line.annualAmount),
    money(line.weeklyPerChild),
    `${new Dec(line.shareOfFee).times(100).toFixed(2)}%`,
  ]);
  const total = [
    '',
    'Weekly fee per child',
    money(breakdown.totals.annualAmount),
    money(breakdown.weeklyFeePerChild),
    '100.00%',
  ];
  const widths = header.map((_, i) => Math.max(...[header, ...rows, total].map((row) => row[i]!.length)));
  const numeric = [false, false, true, true, true];
  const render = (row: string[]) =>
    row
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const b = breakdown;
  const intro = [
    `Period ${b.period.label} (${b.period.start} to ${b.period.end}): ${b.daysInPeriod} days, ${b.weeksInPeriod} weeks`,
    `Planned occupied places: ${b.plannedOccupiedPlaces} (${b.registeredPlaces} registered × ${b.plannedOccupancy} occupancy)`,
    '',
  ];
  const outro = [
    '',
    `Weekly fee per child:  £${money(b.weeklyFeePerChild)}`,
    `  of which cost:       £${money(b.weeklyCostPerChild)}`,
    `  of which surplus:    £${money(b.weeklySurplusPerChild)} (${b.surplusRate} of cost, cap ${b.capRate})`,
    `Annual income at planned occupancy: £${money(b.annualIncomeAtPlannedOccupancy)}`,
    ...b.enhancements.map(
      (e) =>
        `Enhancement "${e.description}": ${e.hoursPerWeek} h/week × £${e.loadedHourlyCost} loaded hourly cost → £${money(e.weeklyCharge)} a week`,
    ),
  ];
  return `${[...intro, render(header), rule, ...rows.map(render), rule, render(total), ...outro].join('\n')}\n`;
}
