import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningService, startService } from '../helpers/service.js';

/**
 * docs/verifying.md as a reader uses it: its ```sh blocks pasted, in order, into `sh` (dash) in an
 * empty folder, with its ```js script saved under the name the script gives itself, against a
 * running service with two published schedules of one organisation. Every block must exit 0 and
 * print its success; then, with one figure of schedule.json altered, every check of the content
 * must fail (the signature, over the proof's own hash, still holds: that is what the hash is for).
 *
 * `npm run cli -- …` runs the CLI from its sources (a stand-in `npm` first on PATH) so as not to
 * build dist/; the real command builds first (precli) and then runs the same main.
 */

const root = fileURLToPath(new URL('../..', import.meta.url));
const doc = readFileSync(path.join(root, 'docs/verifying.md'), 'utf8');
const ADMIN_KEY = 'verifying-doc-admin-key-0123456789abcdef';
const wirral = JSON.parse(
  readFileSync(path.join(root, 'fixtures/examples/wirral-four-bed-2026-27.model.json'), 'utf8'),
);

interface Block {
  lang: string;
  text: string;
}

/** The fenced blocks of a Markdown document, in order, with their language. */
function fencedBlocks(markdown: string): Block[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({
    lang: m[1] ?? '',
    text: m[2] ?? '',
  }));
}

const blocks = fencedBlocks(doc);
const shBlocks = blocks.filter((b) => b.lang === 'sh').map((b) => b.text);
const scripts = blocks
  .filter((b) => b.lang === 'js')
  .map((b) => ({ name: /^\/\/ (\S+\.m?js)\b/.exec(b.text)?.[1], text: b.text }));
/** The blocks that download (run once per folder) and the ones that check what was downloaded. */
const fetchBlocks = shBlocks.filter((b) => /\bcurl\b/.test(b));
const checkBlocks = shBlocks.filter((b) => !/\bcurl\b/.test(b));

/** dash where it is installed (a plain POSIX shell, whatever `sh` is here), else `sh`. */
const shell = ['/usr/bin/dash', '/bin/dash'].find((file) => existsSync(file)) ?? 'sh';

interface Run {
  block: string;
  code: number;
  output: string;
}

function run(block: string, cwd: string, env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      shell,
      ['-c', block],
      { cwd, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ block, code, output: `${stdout}${stderr}` });
      },
    );
  });
}

const describeRun = (runs: Run[]) =>
  runs.map((r) => `$ ${r.block.trim().replaceAll('\n', '\n$ ')}\n[exit ${r.code}]\n${r.output}`).join('\n');

describe('docs/verifying.md, pasted into sh', () => {
  let service: RunningService | undefined;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'verifying-doc-data-'));
  const scratch = mkdtempSync(path.join(tmpdir(), 'verifying-doc-'));
  let env: Record<string, string> = {};
  let scheduleId = '';

  /** A fresh folder with the doc's script in it and the doc's downloads done; fails if a download does. */
  async function fetched(name: string): Promise<string> {
    const dir = path.join(scratch, name);
    mkdirSync(dir);
    for (const script of scripts) writeFileSync(path.join(dir, script.name!), script.text);
    const runs: Run[] = [];
    for (const block of fetchBlocks) runs.push(await run(block, dir, env));
    expect(
      runs.filter((r) => r.code !== 0),
      describeRun(runs),
    ).toEqual([]);
    return dir;
  }

  async function checks(dir: string, which: string[] = checkBlocks): Promise<Run[]> {
    const runs: Run[] = [];
    for (const block of which) runs.push(await run(block, dir, env));
    return runs;
  }

  beforeAll(async () => {
    service = await startService({ DATA_DIR: dataDir, ADMIN_API_KEY: ADMIN_KEY });
    const address = service.address;
    const post = async (url: string, body: unknown, headers: Record<string, string> = {}) => {
      const response = await fetch(`${address}${url}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      if (response.status !== 201) throw new Error(`POST ${url}: ${response.status} ${text}`);
      return JSON.parse(text) as { id: string };
    };
    const organisation = await post('/v1/organisations', {
      name: 'Verifying Doc CIC',
      legalForm: 'community_interest_company',
    });
    const home = await post('/v1/homes', {
      organisationId: organisation.id,
      name: 'Verifying House',
      hostCouncil: 'E08000015',
      registeredPlaces: 4,
      openedOn: '2020-01-01',
    });
    // Two schedules, so that the one checked has a previous hash and the chain has a link.
    for (const [index, effectiveFrom] of ['2026-04-01', '2026-10-01'].entries()) {
      const draft = await post(`/v1/homes/${home.id}/cost-models`, wirral);
      const schedule = await post(
        `/v1/cost-models/${draft.id}/publish`,
        { effectiveFrom },
        { 'idempotency-key': `verifying-doc-${index}` },
      );
      scheduleId = schedule.id;
    }

    // `npm run cli -- ARGS`, as the doc writes it, from the sources in this folder (no build).
    const bin = path.join(scratch, 'bin');
    mkdirSync(bin);
    const loader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    writeFileSync(
      path.join(bin, 'npm'),
      [
        '#!/bin/sh',
        `if [ "$1 $2 $3" != 'run cli --' ]; then echo "this test's npm runs only 'npm run cli -- ...', not: npm $*" >&2; exit 127; fi`,
        'shift 3',
        `exec '${process.execPath}' --import '${loader}' '${path.join(root, 'src/cli/main.ts')}' "$@"`,
        '',
      ].join('\n'),
    );
    chmodSync(path.join(bin, 'npm'), 0o755);
    env = {
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      BASE: address,
      ID: scheduleId,
      ORG: organisation.id,
      LOG_LEVEL: 'silent',
    };
  }, 120_000);

  afterAll(async () => {
    if (service && service.child.exitCode === null && service.child.signalCode === null) {
      service.child.kill('SIGTERM');
      await service.exited;
    }
    rmSync(scratch, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('has shell blocks that download, shell blocks that check, and the Node script', () => {
    expect(fetchBlocks.length).toBeGreaterThan(0);
    expect(checkBlocks.length).toBeGreaterThanOrEqual(4);
    expect(scripts.length).toBe(1);
    expect(scripts[0]!.name).toBe('check.mjs');
    expect(checkBlocks.some((b) => b.includes('node check.mjs'))).toBe(true);
    // plain POSIX sh: no bash here-strings, arrays or [[ ]]
    for (const block of shBlocks) expect(block).not.toMatch(/<<<|\[\[|\$\{[A-Za-z_]+\[/);
  });

  it('runs block by block and every check passes', async () => {
    const dir = await fetched('intact');
    const runs = await checks(dir);
    const report = describeRun(runs);
    expect(
      runs.map((r) => r.code),
      report,
    ).toEqual(runs.map(() => 0));
    const output = runs.map((r) => r.output).join('\n');
    expect(output, report).toContain('All 2 schedules check out: hashes, signatures and links.');
    expect(output, report).toMatch(/^All 1 schedule check out: hashes, signatures\.$/m);
    expect(output, report).toContain('hash matches: true');
    expect(output, report).toContain('signature valid: true');
    expect(output, report).toMatch(/^hash matches$/m);
    expect(output, report).toContain('Signature Verified Successfully');

    // content.json is the signed content itself: no trailing newline, its SHA-256 the proof's hash
    const proof = JSON.parse(readFileSync(path.join(dir, 'proof.json'), 'utf8'));
    expect(proof.sequence).toBe(2);
    expect(proof.previousHash).toMatch(/^[0-9a-f]{64}$/);
    const content = readFileSync(path.join(dir, 'content.json'));
    expect(content.at(-1)).not.toBe(0x0a);
    expect(createHash('sha256').update(content).digest('hex')).toBe(proof.hash);
  }, 120_000);

  it('fails every check of the content when one figure of the schedule is altered', async () => {
    const dir = await fetched('altered');
    const alter = (text: string) => {
      const altered = text.replace(
        /"weeklyFeePerChild":"(\d+)\.(\d\d)"/,
        (_, pounds: string, pence: string) => {
          const next = Number(pence) + 1;
          return `"weeklyFeePerChild":"${pounds}.${String(next % 100).padStart(2, '0')}"`;
        },
      );
      expect(altered).not.toBe(text);
      return altered;
    };
    const scheduleFile = path.join(dir, 'schedule.json');
    writeFileSync(scheduleFile, alter(readFileSync(scheduleFile, 'utf8')));
    // the same figure of the same schedule in the chain
    const chainFile = path.join(dir, 'chain.json');
    const chain = JSON.parse(readFileSync(chainFile, 'utf8'));
    const entry = chain.entries.find((e: { schedule: { id: string } }) => e.schedule.id === scheduleId);
    entry.schedule = JSON.parse(alter(JSON.stringify(entry.schedule)));
    writeFileSync(chainFile, JSON.stringify(chain));

    const runs = await checks(dir);
    const report = describeRun(runs);
    for (const r of runs) {
      // openssl checks the signature of the proof's hash, which nobody altered; the hash check fails
      if (r.block.includes('pkeyutl')) expect(r.code, report).toBe(0);
      else expect(r.code, report).not.toBe(0);
    }
    const output = runs.map((r) => r.output).join('\n');
    expect(output, report).toContain('ALTERED');
    expect(output, report).toContain('hash matches: false');
    expect(output, report).toMatch(/^hash DIFFERS$/m);
  }, 120_000);

  it('fails the signature when the proof is given the altered content’s hash', async () => {
    const dir = await fetched('forged');
    const scheduleFile = path.join(dir, 'schedule.json');
    const schedule = JSON.parse(readFileSync(scheduleFile, 'utf8'));
    schedule.weeklyFeePerChild = '9999.99';
    writeFileSync(scheduleFile, JSON.stringify(schedule));
    const nodeBlock = checkBlocks.find((b) => b.includes('node check.mjs'))!;
    await run(nodeBlock, dir, env); // writes content.json from the altered schedule
    const proofFile = path.join(dir, 'proof.json');
    const proof = JSON.parse(readFileSync(proofFile, 'utf8'));
    proof.hash = createHash('sha256')
      .update(readFileSync(path.join(dir, 'content.json')))
      .digest('hex');
    writeFileSync(proofFile, JSON.stringify(proof));

    // Node's script and openssl only: the command line's own checks are test/api/proofs.test.ts's
    const runs = await checks(
      dir,
      checkBlocks.filter((b) => !b.includes('npm run cli')),
    );
    const report = describeRun(runs);
    const output = runs.map((r) => r.output).join('\n');
    expect(output, report).toContain('hash matches: true');
    expect(output, report).toContain('signature valid: false');
    expect(output, report).toContain('Signature Verification Failure');
    const openssl = runs.find((r) => r.block.includes('pkeyutl'))!;
    expect(openssl.code, report).not.toBe(0);
  }, 120_000);
});
