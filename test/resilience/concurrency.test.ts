import { readFileSync } from 'node:fs';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyEntries } from '../../src/domain/proofs.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { engines } from '../helpers/database.js';
import { bearer, createHome, createKey, createOrganisation } from '../helpers/keys.js';

/**
 * Fifty clients at once against one draft and one publish, on each engine. test/api/fee-schedules
 * covers the single-client contract and 20 concurrent publishes of one draft; this takes it to 50
 * and checks what the database holds afterwards: no update lost, no version given twice, one
 * schedule per Idempotency-Key with one proof and one audit event, and an unbroken chain.
 */
const CLIENTS = 50;
const wirral = JSON.parse(
  readFileSync(
    new URL('../../fixtures/examples/wirral-four-bed-2026-27.model.json', import.meta.url),
    'utf8',
  ),
);
// Each client adds one enhancement of its own: 50 is also the method's limit on enhancements.
const baseModel = { ...wirral, enhancements: [] };
const mine = (client: number) => ({
  description: `Client ${String(client).padStart(2, '0')} extra hour`,
  roleId: 'rcw',
  hoursPerWeek: '1',
});
type Enhancement = ReturnType<typeof mine>;
type Document = Record<string, unknown> & { enhancements: Enhancement[] };

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(engines)('fifty concurrent clients on %s', (engine) => {
  let testApp: TestApp;
  let finance: Record<string, string>;
  let organisationId: string;

  const count = async (
    table: 'fee_schedules' | 'fee_schedule_proofs' | 'idempotency_keys',
    where: object,
  ) => {
    let query = testApp.database.handle.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .$castTo<{ n: string }>();
    for (const [column, value] of Object.entries(where)) query = query.where(column as never, '=', value);
    return Number((await query.executeTakeFirstOrThrow()).n);
  };
  const auditCount = async (resourceId: string, action: string) =>
    Number(
      (
        await testApp.database.handle.db
          .selectFrom('audit_events')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('resource_id', '=', resourceId)
          .where('action', '=', action)
          .executeTakeFirstOrThrow()
      ).n,
    );
  const newDraft = async (homeId: string, document: object = baseModel): Promise<string> => {
    const response = await testApp.app.inject({
      method: 'POST',
      url: `/v1/homes/${homeId}/cost-models`,
      headers: finance,
      payload: document,
    });
    if (response.statusCode !== 201) throw new Error(`could not create draft: ${response.body}`);
    return response.json().id;
  };
  const expectProblem = (response: LightMyRequestResponse, status: number, type: string) => {
    expect(response.statusCode, response.body).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json().type).toBe(type);
  };

  beforeAll(async () => {
    // 50 clients retrying would pass the default 1,200 requests a minute of one key.
    testApp = await createTestApp(engine, { env: { RATE_LIMIT_PER_MINUTE: '0' } });
    organisationId = await createOrganisation(testApp.app, 'Fifty Clients CIC');
    finance = bearer((await createKey(testApp.app, { role: 'finance', organisationId })).key);
  });
  afterAll(() => testApp?.close());

  it('gives each version of a draft to exactly one writer, and loses no update when the others retry', async () => {
    const homeId = await createHome(testApp.app, finance, 'Many Hands House');
    const draftId = await newDraft(homeId);
    const url = `/v1/cost-models/${draftId}`;
    // Even clients replace the document (PUT), odd ones send a JSON merge patch of the array.
    const write = (client: number, ifMatch: string, document: Document) => {
      const enhancements = [...document.enhancements, mine(client)];
      return client % 2 === 0
        ? testApp.app.inject({
            method: 'PUT',
            url,
            headers: { ...finance, 'if-match': ifMatch },
            payload: { ...document, enhancements },
          })
        : testApp.app.inject({
            method: 'PATCH',
            url,
            headers: { ...finance, 'if-match': ifMatch, 'content-type': 'application/merge-patch+json' },
            payload: JSON.stringify({ enhancements }),
          });
    };
    const read = async () => {
      const response = await testApp.app.inject({ url, headers: finance });
      expect(response.statusCode).toBe(200);
      return { etag: response.headers.etag as string, document: response.json().document as Document };
    };

    // Round one: everyone read version 1 and writes with If-Match "1" at the same moment.
    const first = await read();
    expect(first.etag).toBe('"1"');
    const clients = Array.from({ length: CLIENTS }, (_, client) => client);
    const round = await Promise.all(clients.map((client) => write(client, first.etag, first.document)));
    const winners = clients.filter((client) => round[client]!.statusCode === 200);
    expect(winners).toHaveLength(1);
    expect(round[winners[0]!]!.headers.etag).toBe('"2"');
    for (const response of round)
      if (response.statusCode !== 200) expectProblem(response, 412, '/problems/precondition-failed');

    // Then each loser reads again and retries with the fresh ETag until its change is in.
    const granted = [round[winners[0]!]!.headers.etag as string];
    const rejected = { count: 0 };
    const retry = async (client: number) => {
      for (let attempt = 1; attempt <= 500; attempt++) {
        const { etag, document } = await read();
        const response = await write(client, etag, document);
        if (response.statusCode === 200) {
          granted.push(response.headers.etag as string);
          return attempt;
        }
        expectProblem(response, 412, '/problems/precondition-failed');
        rejected.count += 1;
        await pause(Math.random() * 5); // a little jitter, as a real client would back off
      }
      throw new Error(`client ${client} never got its change in`);
    };
    await Promise.all(clients.filter((client) => client !== winners[0]).map(retry));

    // Every version from 2 to 51 was granted once and only once…
    expect(granted.map((tag) => Number(tag.slice(1, -1))).sort((a, b) => a - b)).toEqual(
      Array.from({ length: CLIENTS }, (_, i) => i + 2),
    );
    expect(rejected.count).toBeGreaterThan(0);
    // …and the draft holds all fifty changes, at version 1 + 50, each with one audit event.
    const final = await read();
    expect(final.etag).toBe(`"${1 + CLIENTS}"`);
    expect(final.document.enhancements.map((e) => e.description).sort()).toEqual(
      clients.map((client) => mine(client).description).sort(),
    );
    expect(await auditCount(draftId, 'update')).toBe(CLIENTS);
    const quote = await testApp.app.inject({ url: `${url}/quote`, headers: finance });
    expect(quote.statusCode).toBe(200);
  }, 120_000);

  it('publishes one schedule for fifty concurrent requests with the same Idempotency-Key', async () => {
    const homeId = await createHome(testApp.app, finance, 'Same Key House');
    const draftId = await newDraft(homeId, wirral);
    const publish = () =>
      testApp.app.inject({
        method: 'POST',
        url: `/v1/cost-models/${draftId}/publish`,
        headers: { ...finance, 'idempotency-key': 'fifty-clients-same-key' },
        payload: { effectiveFrom: '2026-04-01' },
      });
    const responses = await Promise.all(Array.from({ length: CLIENTS }, publish));

    const statuses = responses.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(CLIENTS - 1);
    const created = responses.find((r) => r.statusCode === 201)!;
    expect(created.headers['idempotent-replayed']).toBeUndefined();
    for (const replay of responses.filter((r) => r.statusCode === 200)) {
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body).toBe(created.body); // the same schedule, byte for byte
    }
    const schedule = created.json();
    expect(schedule).toMatchObject({ homeId, version: 1, effectiveFrom: '2026-04-01' });

    expect(await count('fee_schedules', { home_id: homeId })).toBe(1);
    expect(await count('fee_schedule_proofs', { schedule_id: schedule.id })).toBe(1);
    expect(await count('idempotency_keys', { key: 'fifty-clients-same-key' })).toBe(1);
    expect(await auditCount(schedule.id, 'publish')).toBe(1);
    // A fifty-first retry after the fact is a replay too.
    const late = await publish();
    expect(late.statusCode).toBe(200);
    expect(late.json().id).toBe(schedule.id);
  }, 60_000);

  // Two homes of one organisation published at once read the chain head under the organisation's
  // row lock: without it the second insert of sequence n into fee_schedule_proofs fails (a 500).
  it('publishes fifty homes of one organisation at once as one unbroken chain', async () => {
    const { organisationId: orgId, headers } = await (async () => {
      const id = await createOrganisation(testApp.app, 'Fifty Homes CIC');
      return {
        organisationId: id,
        headers: bearer((await createKey(testApp.app, { role: 'finance', organisationId: id })).key),
      };
    })();
    const drafts: string[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const homeId = await createHome(testApp.app, headers, `Home ${i}`);
      const response = await testApp.app.inject({
        method: 'POST',
        url: `/v1/homes/${homeId}/cost-models`,
        headers,
        payload: wirral,
      });
      drafts.push(response.json().id);
    }
    const responses = await Promise.all(
      drafts.map((draftId, i) =>
        testApp.app.inject({
          method: 'POST',
          url: `/v1/cost-models/${draftId}/publish`,
          headers: { ...headers, 'idempotency-key': `fifty-homes-${i}-key` },
          payload: { effectiveFrom: '2026-04-01' },
        }),
      ),
    );
    expect(responses.map((r) => r.statusCode)).toEqual(Array(CLIENTS).fill(201));

    const chain = await testApp.app.inject({ url: `/v1/organisations/${orgId}/fee-schedule-chain` });
    const { entries, keys } = chain.json();
    expect(entries.map((e: { proof: { sequence: number } }) => e.proof.sequence)).toEqual(
      Array.from({ length: CLIENTS }, (_, i) => i + 1),
    );
    expect(verifyEntries(entries, keys).filter((check) => !check.ok)).toEqual([]);
  }, 120_000);
});
