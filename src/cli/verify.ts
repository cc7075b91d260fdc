import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { type Proof, type PublicKeyEntry, verifyEntries } from '../domain/proofs.js';

interface Entry {
  schedule: { id: string; organisationId: string; homeId?: string; version?: number; effectiveFrom?: string };
  proof: Proof;
}

/**
 * `verify CHAIN.json` — an organisation's chain from GET /v1/organisations/{id}/fee-schedule-chain;
 * `verify SCHEDULE.json PROOF.json --keys KEYS.json` — one schedule, its proof and the published keys.
 * Offline: reads only the files. Exit 0 when everything checks out, 1 naming what does not, 2 for bad input.
 */
export async function verifyCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { keys: { type: 'string' } },
  });
  let entries: Entry[];
  let keys: PublicKeyEntry[];
  try {
    if (positionals.length === 1) {
      const chain = JSON.parse(await readFile(positionals[0]!, 'utf8')) as {
        entries?: Entry[];
        keys?: PublicKeyEntry[];
      };
      if (!Array.isArray(chain.entries) || !Array.isArray(chain.keys))
        throw new Error('not a fee schedule chain: it needs "entries" and "keys"');
      entries = chain.entries;
      keys = chain.keys;
    } else if (positionals.length === 2 && values.keys) {
      const schedule = JSON.parse(await readFile(positionals[0]!, 'utf8'));
      const proof = JSON.parse(await readFile(positionals[1]!, 'utf8'));
      keys = (JSON.parse(await readFile(values.keys, 'utf8')) as { keys: PublicKeyEntry[] }).keys;
      entries = [{ schedule, proof }];
    } else {
      process.stderr.write(
        'Usage: npm run cli -- verify CHAIN.json | verify SCHEDULE.json PROOF.json --keys KEYS.json\n',
      );
      return 64;
    }
  } catch (error) {
    process.stderr.write(
      `Cannot read the files: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 2;
  }

  const checks = verifyEntries(entries, keys, { checkLinks: entries.length > 1 });
  let firstBad: number | undefined;
  checks.forEach((check, index) => {
    const schedule = entries[index]!.schedule;
    const label = `#${check.sequence} schedule ${check.scheduleId}${schedule.homeId ? ` (home ${schedule.homeId}, version ${schedule.version}, from ${schedule.effectiveFrom})` : ''}`;
    if (check.ok) process.stdout.write(`ok       ${label}\n`);
    else {
      firstBad ??= check.sequence;
      process.stdout.write(`ALTERED  ${label}\n${check.problems.map((p) => `         - ${p}\n`).join('')}`);
    }
  });
  if (firstBad === undefined) {
    process.stdout.write(
      `\nAll ${checks.length} schedule${checks.length === 1 ? '' : 's'} check out: hashes, signatures${entries.length > 1 ? ' and links' : ''}.\n`,
    );
    return 0;
  }
  process.stdout.write(
    `\nNot intact: the chain breaks at #${firstBad}; what follows it rests on an altered link.\n`,
  );
  return 1;
}
