import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import type { Figure } from './harness.js';
import { root } from './harness.js';

/**
 * npm run bench — every `bench:*` script of package.json in turn (each as `npm run`, with this
 * environment), then one table of the figures they wrote to bench-results/ during this run, also
 * written as bench-results/summary.md. Exits 1 when a script fails (the others still run).
 *
 * BENCH_PROFILE=short (or `npm run bench -- --short`) runs each for a few seconds: BENCH_SECONDS=5,
 * BENCH_ROUNDS=1, BENCH_RUNS=1 and BENCH_RETURNS_SCALE=0.2 (a fifth of the national data set) unless
 * those are set. CI runs this profile. Names after the options run only those scripts:
 * `npm run bench -- --short load api`.
 */
const args = process.argv.slice(2);
const profile = args.includes('--short') ? 'short' : (process.env.BENCH_PROFILE ?? 'full');
if (profile !== 'short' && profile !== 'full') {
  process.stderr.write(`BENCH_PROFILE must be short or full, not ${profile}\n`);
  process.exit(2);
}
const profileEnv: Record<string, string> =
  profile === 'short'
    ? { BENCH_SECONDS: '5', BENCH_ROUNDS: '1', BENCH_RUNS: '1', BENCH_RETURNS_SCALE: '0.2' }
    : {};
// Settings given explicitly win over the profile's.
const env = { ...process.env, ...profileEnv, ...definedOnly(process.env, Object.keys(profileEnv)) };
env.BENCH_PROFILE = profile;

const only = args.filter((arg) => !arg.startsWith('--')).map((name) => name.replace(/^bench:/, ''));
const scripts = Object.keys(
  (JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts,
).filter((name) => name.startsWith('bench:') && (only.length === 0 || only.includes(name.slice(6))));
if (scripts.length === 0) {
  process.stderr.write(`no bench:* script matches ${only.join(', ')}\n`);
  process.exit(2);
}

const resultsDir = `${root}/bench-results`;
mkdirSync(resultsDir, { recursive: true });

interface Outcome {
  script: string;
  code: number;
  seconds: number;
  files: string[];
}

/** Modification times of bench-results/*.json, to see which files a script wrote. */
function snapshot(): Map<string, number> {
  const times = new Map<string, number>();
  for (const file of readdirSync(resultsDir)) {
    if (file.endsWith('.json')) times.set(file, statSync(`${resultsDir}/${file}`).mtimeMs);
  }
  return times;
}

function runScript(script: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', script], { cwd: root, env, stdio: 'inherit' });
    child.once('error', (error) => {
      process.stderr.write(`${script}: ${error.message}\n`);
      resolve(127);
    });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

const startedAt = new Date();
const settings = [
  'BENCH_SECONDS',
  'BENCH_ROUNDS',
  'BENCH_RUNS',
  'BENCH_RETURNS_SCALE',
  'BENCH_CONNECTIONS',
  'BENCH_DATABASE_URL',
]
  .filter((name) => env[name] !== undefined)
  .map((name) => `${name}=${env[name]}`)
  .join(' ');
process.stdout.write(
  `npm run bench: ${profile} profile${settings ? ` (${settings})` : ''}, ${scripts.length} scripts: ${scripts.join(', ')}\n`,
);

const outcomes: Outcome[] = [];
for (const script of scripts) {
  process.stdout.write(`\n=== ${script} ===\n`);
  const before = snapshot();
  const start = performance.now();
  const code = await runScript(script);
  const after = snapshot();
  const files = [...after].filter(([file, mtime]) => before.get(file) !== mtime).map(([file]) => file);
  outcomes.push({ script, code, seconds: (performance.now() - start) / 1000, files });
  if (code !== 0) process.stderr.write(`\n${script} failed with exit code ${code}\n`);
}

interface Row {
  bench: string;
  figure: string;
  value: string;
  baseline: string;
  ratio: string;
  inServer: string;
  sameBytes: string;
  aim: string;
  met: string;
}
const rows: Row[] = [];
const blank = { value: '', baseline: '', ratio: '', inServer: '', sameBytes: '', aim: '', met: '' };
for (const outcome of outcomes) {
  for (const file of outcome.files) {
    let saved: { name?: string; figures?: Figure[] };
    try {
      saved = JSON.parse(readFileSync(`${resultsDir}/${file}`, 'utf8'));
    } catch (error) {
      rows.push({ bench: file, figure: `(unreadable: ${(error as Error).message})`, ...blank });
      continue;
    }
    for (const f of saved.figures ?? []) {
      rows.push({
        bench: saved.name ?? file.replace(/\.json$/, ''),
        figure: f.figure,
        value: `${round(f.value)} ${f.unit}`.trim(),
        baseline: f.baseline ? `${f.baseline.figure}: ${round(f.baseline.value)}` : '',
        ratio: f.ratio === undefined ? '' : f.ratio.toFixed(3),
        inServer: f.inServer ? f.inServer.ratio.toFixed(3) : '',
        sameBytes: f.ceiling ? f.ceiling.ratio.toFixed(3) : '',
        aim: f.aim ?? '',
        met: f.met === undefined ? '—' : f.met ? 'yes' : 'no',
      });
    }
  }
  const name = outcome.script.replace(/^bench:/, '');
  if (outcome.code !== 0) {
    rows.push({ bench: name, figure: `(${outcome.script} failed: exit code ${outcome.code})`, ...blank });
  } else if (outcome.files.length === 0) {
    rows.push({ bench: name, figure: '(no results written)', ...blank });
  }
}

const header: Row = {
  bench: 'bench',
  figure: 'figure',
  value: 'value',
  baseline: 'baseline (same run)',
  ratio: 'ratio',
  inServer: 'ratio to in-server route',
  sameBytes: 'ratio to same bytes (bare)',
  aim: 'aim',
  met: 'met',
};
const columns = Object.keys(header) as (keyof Row)[];
const widths = columns.map((c) => Math.max(...[header, ...rows].map((r) => r[c].length)));
const line = (r: Row) =>
  columns
    .map((c, i) => r[c].padEnd(widths[i]!))
    .join(' | ')
    .trimEnd();
const failed = outcomes.filter((o) => o.code !== 0);
const notMet = rows.filter((r) => r.met === 'no').length;
const title = `Benchmarks (${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${profile} profile, node ${process.version})`;
const verdict = `${outcomes.length - failed.length} of ${outcomes.length} scripts passed${
  failed.length ? ` (failed: ${failed.map((o) => o.script).join(', ')})` : ''
}; ${notMet} aim${notMet === 1 ? '' : 's'} not met`;
process.stdout.write(
  `\n${title}\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('-|-')}\n${rows.map((r) => `${line(r)}\n`).join('')}\n${verdict}\n`,
);

const cell = (text: string) => text.replaceAll('|', '\\|');
const cpu = cpus();
const markdown = [
  `# ${title}`,
  '',
  `Machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB.` +
    `${settings ? ` Settings: \`${settings}\`.` : ''} ${verdict}.`,
  '',
  '| script | exit code | time |',
  '|---|---|---|',
  ...outcomes.map((o) => `| \`npm run ${o.script}\` | ${o.code} | ${o.seconds.toFixed(0)} s |`),
  '',
  `| ${columns.map((c) => header[c]).join(' | ')} |`,
  `|${columns.map(() => '---').join('|')}|`,
  ...rows.map((r) => `| ${columns.map((c) => cell(r[c])).join(' | ')} |`),
  '',
].join('\n');
writeFileSync(`${resultsDir}/summary.md`, markdown);
process.stdout.write('written to bench-results/summary.md\n');

process.exit(failed.length > 0 ? 1 : 0);

function round(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return value >= 100 ? value.toFixed(0) : value.toFixed(2);
}

function definedOnly(source: NodeJS.ProcessEnv, names: string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of names) {
    const value = source[name];
    if (value !== undefined && value !== '') picked[name] = value;
  }
  return picked;
}
