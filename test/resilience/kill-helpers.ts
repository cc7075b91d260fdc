import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { expect } from 'vitest';
import type { DatabaseHandle } from '../../src/db/database.js';
import { verifyEntries } from '../../src/domain/proofs.js';
import type { RunningService } from '../helpers/service.js';

/** What the kill tests share: calls to a running service, and the checks that nothing is half written. */

const root = fileURLToPath(new URL('../..', import.meta.url));
const execFileAsync = promisify(execFile);

export const wirral = JSON.parse(
  readFileSync(
    new URL('../../fixtures/examples/wirral-four-bed-2026-27.model.json', import.meta.url),
    'utf8',
  ),
);

export interface Answer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: parsed JSON of many shapes, which the tests check field by field
  body: any;
}

export function client(address: () => string, adminKey: string) {
  const auth = { authorization: `Bearer ${adminKey}` };
  async function call(
    method: string,
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const response = await fetch(`${address()}${url}`, {
      method,
      headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      // a string is sent as it is (with its own content-type header), anything else as JSON
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: response.status, headers: response.headers, body: parsed };
  }
  async function created(url: string, body: unknown, headers: Record<string, string> = {}) {
    const answer = await call('POST', url, body, headers);
    if (answer.status !== 201)
      throw new Error(`POST ${url}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body as { id: string; [key: string]: unknown };
  }
  return { call, created };
}

/** An organisation with one home and a draft for it (all through the API). */
export async function seedHome(api: ReturnType<typeof client>, name: string) {
  const organisation = await api.created('/v1/organisations', {
    name: `${name} CIC`,
    legalForm: 'community_interest_company',
  });
  const home = await api.created('/v1/homes', {
    organisationId: organisation.id,
    name,
    hostCouncil: 'E08000015',
    registeredPlaces: 4,
    openedOn: '2020-01-01',
  });
  const draft = await api.created(`/v1/homes/${home.id}/cost-models`, wirral);
  return { organisationId: organisation.id, homeId: home.id, draftId: draft.id };
}

export async function stopService(service: RunningService | undefined, signal: NodeJS.Signals = 'SIGTERM') {
  if (!service || service.child.exitCode !== null || service.child.signalCode !== null) return;
  service.child.kill(signal);
  const stopped = await Promise.race([
    service.exited.then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 15_000)),
  ]);
  if (!stopped) {
    service.child.kill('SIGKILL');
    await service.exited;
  }
}

/**
 * The organisation's published schedules as the API serves them, checked against each other: every
 * schedule is in the chain with a proof, the chain is whole (sequences 1…n, each link and signature
 * good), every schedule has its publish audit event and no audit event names a schedule that is not
 * there; a home's versions are 1…n.
 */
export async function publishedState(api: ReturnType<typeof client>, organisationId: string) {
  const listed = await api.call('GET', `/v1/fee-schedules?organisationId=${organisationId}&limit=100`);
  expect(listed.status).toBe(200);
  const schedules = listed.body.items as Array<{ id: string; homeId: string; version: number }>;
  const chain = await api.call('GET', `/v1/organisations/${organisationId}/fee-schedule-chain`);
  expect(chain.status).toBe(200);
  const entries = chain.body.entries as Array<{ schedule: { id: string }; proof: { sequence: number } }>;
  expect(entries.map((e) => e.proof.sequence)).toEqual(entries.map((_, i) => i + 1));
  expect(verifyEntries(chain.body.entries, chain.body.keys).filter((check) => !check.ok)).toEqual([]);
  const ids = schedules.map((s) => s.id).sort();
  expect(entries.map((e) => e.schedule.id).sort()).toEqual(ids);
  const audit = await api.call(
    'GET',
    `/v1/audit-events?organisationId=${organisationId}&resourceType=fee_schedule&action=publish&limit=100`,
  );
  expect(audit.status).toBe(200);
  expect(audit.body.items.map((e: { resourceId: string }) => e.resourceId).sort()).toEqual(ids);
  const byHome = new Map<string, number[]>();
  for (const s of schedules) byHome.set(s.homeId, [...(byHome.get(s.homeId) ?? []), s.version]);
  for (const versions of byHome.values())
    expect(versions.sort((a, b) => a - b)).toEqual(versions.map((_, i) => i + 1));
  return { schedules, chain: chain.body };
}

/** The same, in SQL over the whole database: nothing of a publish without the rest of it. */
export async function expectNothingHalfWritten(handle: DatabaseHandle) {
  const { rows } = await sql<{ check: string; n: string }>`
    select 'schedule without proof' as check, count(*) as n from fee_schedules s
      where not exists (select 1 from fee_schedule_proofs p where p.schedule_id = s.id)
    union all
    select 'schedule without one publish audit event', count(*) from fee_schedules s
      where (select count(*) from audit_events a
              where a.resource_id = s.id::text and a.action = 'publish' and a.resource_type = 'fee_schedule') <> 1
    union all
    select 'publish audit event without schedule', count(*) from audit_events a
      where a.action = 'publish' and a.resource_type = 'fee_schedule'
        and not exists (select 1 from fee_schedules s where s.id::text = a.resource_id)
    union all
    select 'publish idempotency key without schedule', count(*) from idempotency_keys k
      where k.operation = 'publish' and not exists (select 1 from fee_schedules s where s.id = k.resource_id::uuid)
    union all
    select 'chain gap', count(*) from fee_schedule_proofs p
      where p.sequence > 1 and not exists (
        select 1 from fee_schedule_proofs q
         where q.organisation_id = p.organisation_id and q.sequence = p.sequence - 1 and q.hash = p.previous_hash)
  `.execute(handle.db);
  expect(Object.fromEntries(rows.map((row) => [row.check, Number(row.n)]))).toEqual({
    'schedule without proof': 0,
    'schedule without one publish audit event': 0,
    'publish audit event without schedule': 0,
    'publish idempotency key without schedule': 0,
    'chain gap': 0,
  });
}

/** `npm run cli -- verify CHAIN.json` on a chain the API served: exit 0 and every entry ok. */
export async function verifyWithCli(chain: unknown, dir: string) {
  const file = path.join(dir, `chain-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify(chain));
  const { stdout } = await execFileAsync(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'verify', file],
    { cwd: root, encoding: 'utf8', timeout: 60_000 },
  );
  expect(stdout).toMatch(/check out/);
  expect(stdout).not.toMatch(/ALTERED/);
  return stdout;
}
