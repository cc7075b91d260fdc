import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type RunningService, startService } from '../helpers/service.js';

// `npm start` runs what `npm run build` compiles. This compiles the same project (tsconfig.build.json)
// into a folder of its own inside the repository, starts that server.js with the start script's
// flags, and asks it for what it reads from the project at run time: the rate tables (fixtures/) and
// a frozen return schema (openapi/). Inside the repository so that the compiled files find
// node_modules and the project's root as dist/ does.

const root = fileURLToPath(new URL('../..', import.meta.url));
const outDir = `test-artifacts/build-${process.pid}`;
const dataDir = mkdtempSync(join(tmpdir(), 'build-test-'));

describe('the compiled service', () => {
  let service: RunningService | undefined;
  afterAll(async () => {
    service?.child.kill('SIGTERM');
    await service?.exited;
    rmSync(`${root}/${outDir}`, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('compiles with tsc, starts without tsx and serves fixtures and schemas from the project', async () => {
    const tsc = spawnSync(
      process.execPath,
      [
        'node_modules/typescript/bin/tsc',
        '-p',
        'tsconfig.build.json',
        '--outDir',
        outDir,
        '--incremental',
        'false',
      ],
      { cwd: root, encoding: 'utf8' },
    );
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
    const entry = `${outDir}/src/server.js`;
    expect(existsSync(`${root}/${entry}`)).toBe(true);
    expect(existsSync(`${root}/${outDir}/migrations/index.js`)).toBe(true);
    // compiled JavaScript: no TypeScript syntax left, imports of .js files only
    expect(readFileSync(`${root}/${entry}`, 'utf8')).not.toMatch(/from '[^']+\.ts'/);

    service = await startService({ DATA_DIR: dataDir }, entry);
    const rates = await fetch(`${service.address}/v1/rates/2026-27`);
    expect(rates.status).toBe(200);
    expect(((await rates.json()) as { taxYear: string }).taxYear).toBe('2026-27');
    const schema = await fetch(`${service.address}/returns/annual-return.v1.schema.json`);
    expect(schema.status).toBe(200);
    expect(await schema.text()).toBe(
      readFileSync(`${root}/openapi/returns/annual-return.v1.schema.json`, 'utf8'),
    );
  }, 120_000);
});
