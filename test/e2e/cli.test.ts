import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const wirral = path.resolve(root, 'fixtures/examples/wirral-four-bed-2026-27.model.json');

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, LOG_LEVEL: 'silent' },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('npm run cli', () => {
  it('lists its commands with --help', () => {
    const { code, stdout } = cli('--help');
    expect(code).toBe(0);
    for (const command of ['migrate', 'quote', 'openapi']) expect(stdout).toContain(command);
  });

  it('prints a quote as an aligned table with the fee at the bottom', () => {
    const { code, stdout } = cli('quote', wirral);
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    const header = lines.find((line) => line.startsWith('Code'));
    const manager = lines.find((line) => line.startsWith('STAFF_PAY') && line.includes('Registered Manager'));
    expect(header).toBeDefined();
    expect(manager).toMatch(/48,000\.00\s+255\.71\s+4\.65%$/);
    // columns line up: every amount ends at the same column as its header
    expect(manager!.indexOf('255.71') + '255.71'.length).toBe(
      header!.indexOf('Weekly per child £') + 'Weekly per child £'.length,
    );
    expect(stdout).toMatch(/Weekly fee per child:\s+£5,495\.78/);
  });

  it('prints JSON and CSV on request', () => {
    const json = cli('quote', wirral, '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).weeklyFeePerChild).toBe('5495.78');
    const csv = cli('quote', wirral, '--csv');
    expect(csv.code).toBe(0);
    expect(csv.stdout.split('\r\n')[0]).toBe(
      'code,category,description,annual_amount,weekly_per_child,share_of_fee,basis',
    );
  });

  it('exits 2 with the problem list for an invalid model', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'quote-'));
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ period: { label: 'x', start: '2026-04-01', end: '2026-12-31' } }));
    const { code, stderr } = cli('quote', file);
    expect(code).toBe(2);
    expect(stderr).toContain('is not a valid cost model');
    expect(stderr).toMatch(/\/home: /);
  });

  it('exits 2 for a file that is not JSON', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'quote-'));
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, '{ not json');
    expect(cli('quote', file).code).toBe(2);
  });
});
