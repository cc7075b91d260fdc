import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { startService } from '../helpers/service.js';

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
      // the signing key was made on first start, readable by its owner only
      expect(statSync(path.join(dataDir, 'signing-key.pem')).mode & 0o777).toBe(0o600);

      const reopened = await openDatabase({ dataDir });
      try {
        const applied = await reopened.db.selectFrom('app_meta').select('value').execute();
        expect(applied).toEqual([{ value: '2' }]);
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
