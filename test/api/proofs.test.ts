import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { verifyEntries } from '../../src/domain/proofs.js';
import { ephemeralSigningKey } from '../../src/modules/fee-schedules/signing.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { engines } from '../helpers/database.js';
import { bearer, createHome, createKey, createOrganisation } from '../helpers/keys.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const wirral = JSON.parse(
  readFileSync(
    new URL('../../fixtures/examples/wirral-four-bed-2026-27.model.json', import.meta.url),
    'utf8',
  ),
);

function verifyCli(...files: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'verify', ...files], {
    cwd: root,
    encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe.each(engines)('tamper evidence on %s', (engine) => {
  let testApp: TestApp;
  const dir = mkdtempSync(path.join(tmpdir(), 'chain-'));
  /** The key a rotated service signs with: one for the file, so that the database lists two keys in all. */
  const rotatedKey = ephemeralSigningKey();

  /** A chain of three that the tests only read (the two that add to or alter a chain make their own). */
  let readOnly: Chained;

  beforeAll(async () => {
    testApp = await createTestApp(engine);
    readOnly = await chainedOrganisation();
  });
  afterAll(() => testApp.close());

  /**
   * An organisation of its own whose draft is published three times (1 April, 1 July, 1 October
   * 2026): a chain of three schedules. `publishWith` publishes the draft again through any app.
   */
  async function chainedOrganisation() {
    const organisationId = await createOrganisation(testApp.app, 'Chained Homes CIC');
    const finance = bearer((await createKey(testApp.app, { role: 'finance', organisationId })).key);
    const homeId = await createHome(testApp.app, finance, 'Chain House');
    const draft = await testApp.app.inject({
      method: 'POST',
      url: `/v1/homes/${homeId}/cost-models`,
      headers: finance,
      payload: wirral,
    });
    if (draft.statusCode !== 201) throw new Error(`could not create the draft: ${draft.body}`);
    const draftId: string = draft.json().id;
    const scheduleIds: string[] = [];
    const publishWith = async (app: FastifyInstance, effectiveFrom: string) => {
      const response = await app.inject({
        method: 'POST',
        url: `/v1/cost-models/${draftId}/publish`,
        headers: { ...finance, 'idempotency-key': `proof-${engine}-${effectiveFrom}-${scheduleIds.length}` },
        payload: { effectiveFrom },
      });
      expect(response.statusCode).toBe(201);
      scheduleIds.push(response.json().id);
      return response.json();
    };
    for (const day of ['2026-04-01', '2026-07-01', '2026-10-01']) await publishWith(testApp.app, day);
    const chain = async () =>
      (await testApp.app.inject({ url: `/v1/organisations/${organisationId}/fee-schedule-chain` })).json();
    return { scheduleIds, publishWith, chain };
  }
  type Chained = Awaited<ReturnType<typeof chainedOrganisation>>;

  /** The service restarted with another signing key, which publishes the draft a fourth time (1 December). */
  async function publishAfterRotation(books: Chained) {
    const rotated = await buildApp({
      config: testApp.config,
      database: testApp.database.handle,
      signingKey: rotatedKey,
      closeDatabase: false,
    });
    await rotated.ready();
    try {
      await books.publishWith(rotated, '2026-12-01');
    } finally {
      await rotated.close();
    }
  }

  it('gives every published schedule a signed proof chained to the one before', async () => {
    const { scheduleIds } = readOnly;
    const proofs = [];
    for (const id of scheduleIds) {
      const response = await testApp.app.inject({ url: `/v1/fee-schedules/${id}/proof` });
      expect(response.statusCode).toBe(200);
      proofs.push(response.json());
    }
    expect(proofs.map((p) => p.sequence)).toEqual([1, 2, 3]);
    expect(proofs[0].previousHash).toBeNull();
    expect(proofs[1].previousHash).toBe(proofs[0].hash);
    expect(proofs[2].previousHash).toBe(proofs[1].hash);
    expect(proofs[0]).toMatchObject({
      algorithm: 'Ed25519',
      hashAlgorithm: 'SHA-256',
      keyId: testApp.app.signingKey.keyId,
    });
    const keys = (await testApp.app.inject({ url: '/.well-known/fee-schedule-keys.json' })).json().keys;
    expect(keys.map((k: { keyId: string }) => k.keyId)).toContain(testApp.app.signingKey.keyId);
  });

  it('verifies offline: the chain, and one schedule with its proof and the keys', async () => {
    const { scheduleIds, chain } = readOnly;
    const document = await chain();
    expect(verifyEntries(document.entries, document.keys).every((c) => c.ok)).toBe(true);
    const file = path.join(dir, `chain-${engine}.json`);
    writeFileSync(file, JSON.stringify(document));
    const result = verifyCli(file);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('All 3 schedules check out');

    const schedule = (await testApp.app.inject({ url: `/v1/fee-schedules/${scheduleIds[1]}` })).body;
    const proof = (await testApp.app.inject({ url: `/v1/fee-schedules/${scheduleIds[1]}/proof` })).body;
    const keys = (await testApp.app.inject({ url: '/.well-known/fee-schedule-keys.json' })).body;
    for (const [name, body] of [
      ['s.json', schedule],
      ['p.json', proof],
      ['k.json', keys],
    ] as const)
      writeFileSync(path.join(dir, name), body);
    expect(
      verifyCli(path.join(dir, 's.json'), path.join(dir, 'p.json'), '--keys', path.join(dir, 'k.json')).code,
    ).toBe(0);
  });

  it('refuses a forged signature', async () => {
    const { chain } = readOnly;
    const document = await chain();
    const forged = ephemeralSigningKey();
    document.entries[0].proof.signature = Buffer.from('x'.repeat(64)).toString('base64');
    document.entries[1].proof.keyId = forged.keyId;
    const checks = verifyEntries(document.entries, document.keys);
    expect(checks[0]!.problems).toContain('its signature does not match its hash');
    expect(checks[1]!.problems[0]).toMatch(/not among the published keys/);
    expect(checks[2]!.ok).toBe(true);
  });

  it('keeps old signatures valid after the signing key is rotated', async () => {
    // a chain of its own, to add to
    const books = await chainedOrganisation();
    await publishAfterRotation(books);
    const document = await books.chain();
    expect(document.keys).toHaveLength(2);
    expect(new Set(document.entries.map((e: { proof: { keyId: string } }) => e.proof.keyId)).size).toBe(2);
    expect(verifyEntries(document.entries, document.keys).every((c) => c.ok)).toBe(true);
  });

  it("names the schedule whose published figures were altered behind the service's back", async () => {
    // a chain of four, the last signed after the key was rotated
    const books = await chainedOrganisation();
    await publishAfterRotation(books);
    const { scheduleIds, chain } = books;
    const { db } = testApp.database.handle;
    const victim = scheduleIds[1]!;
    await sql`alter table fee_schedules disable trigger fee_schedules_immutable`.execute(db);
    await sql`
      update fee_schedules
      set breakdown = jsonb_set(breakdown, '{lines,0,weeklyPerChild}', to_jsonb(((breakdown #>> '{lines,0,weeklyPerChild}')::numeric + 0.01)::text))
      where id = ${victim}
    `.execute(db);
    await sql`alter table fee_schedules enable trigger fee_schedules_immutable`.execute(db);

    const document = await chain();
    const checks = verifyEntries(document.entries, document.keys);
    expect(checks.map((c) => c.ok)).toEqual([true, false, true, true]);
    expect(checks[1]!.problems[0]).toMatch(/does not match its published hash/);
    const file = path.join(dir, `tampered-${engine}.json`);
    writeFileSync(file, JSON.stringify(document));
    const result = verifyCli(file);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`ALTERED  #2 schedule ${victim}`);
    expect(result.stdout).toContain('the chain breaks at #2');
  });
});
