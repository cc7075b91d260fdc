import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface Running {
  child: ChildProcess;
  address: string;
  lines: string[];
  exited: Promise<number | null>;
}

/** Starts the real service (`src/server.ts`) as a new user would, and waits until it listens. */
function startService(env: Record<string, string>): Promise<Running> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`service did not start:\n${lines.join('\n')}`)), 30_000);
    child.stderr?.on('data', (chunk) => lines.push(String(chunk)));
    child.stdout?.on('data', (chunk) => {
      buffer += String(chunk);
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve({ child, address: match[1], lines, exited });
        }
      }
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code}:\n${lines.join('\n')}`));
    });
  });
}

describe('the service process', () => {
  let dataDir: string | undefined;
  afterEach(() => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    dataDir = undefined;
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'stops cleanly on %s and leaves the PGlite folder re-openable',
    async (signal) => {
      dataDir = mkdtempSync(path.join(tmpdir(), 'care-pricing-'));
      const service = await startService({ DATA_DIR: dataDir });
      const ready = await fetch(`${service.address}/health/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready', database: 'pglite' });

      service.child.kill(signal);
      expect(await service.exited).toBe(0);
      expect(service.lines.join('\n')).toContain('"msg":"stopped"');
      expect(existsSync(path.join(dataDir, 'service.lock'))).toBe(false);

      const reopened = await openDatabase({ dataDir });
      try {
        const applied = await reopened.db.selectFrom('app_meta').select('value').execute();
        expect(applied).toEqual([{ value: '1' }]);
      } finally {
        await reopened.close();
      }
    },
    60_000,
  );

  it('refuses to start with a bad setting, naming it in one line', async () => {
    await expect(startService({ PORT: 'not-a-port' })).rejects.toThrow(
      /service exited with 1:\nInvalid configuration: PORT must be a port number/,
    );
  });
});

describe('the PGlite data folder', () => {
  it('is locked while open: a second opener is told which process holds it', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'care-lock-'));
    try {
      const first = await openDatabase({ dataDir });
      // a lock held by another live process (this test's parent stands in for it)
      await first.close();
      writeFileSync(path.join(dataDir, 'service.lock'), String(process.ppid));
      await expect(openDatabase({ dataDir })).rejects.toThrow(`in use by process ${process.ppid}`);
      // a lock left by a process that has gone is taken over
      writeFileSync(path.join(dataDir, 'service.lock'), '999999999');
      const reopened = await openDatabase({ dataDir });
      await reopened.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
