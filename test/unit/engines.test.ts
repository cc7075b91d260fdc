import { readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

// `npm ci` on the oldest Node the project promises must not warn EBADENGINE: every installed package
// (the lock file records each one's `engines`) accepts Node 20.19, the floor of package.json's range.

const root = new URL('../../', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8'));

describe('the Node versions the project promises', () => {
  it("start at 20.19 and run on this machine's Node", () => {
    expect(semver.minVersion(manifest.engines.node)?.version).toBe('20.19.0');
    expect(semver.satisfies(process.versions.node, manifest.engines.node)).toBe(true);
  });

  it('are accepted by every package in the lock file, down to Node 20.19', () => {
    const refusing: string[] = [];
    for (const [path, entry] of Object.entries<{ version?: string; engines?: { node?: string } }>(
      lock.packages,
    )) {
      const range = entry.engines?.node;
      if (!path || !range) continue;
      for (const node of ['20.19.0', process.versions.node])
        if (!semver.satisfies(node, range))
          refusing.push(`${path}@${entry.version} wants node ${range} (not ${node})`);
    }
    expect(refusing).toEqual([]);
  });
});
