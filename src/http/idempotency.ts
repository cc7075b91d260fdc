import { createHash, randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import { ProblemError } from './errors.js';
import { problem, problemTypes } from './problem.js';

const KEY = /^[A-Za-z0-9._:-]{8,200}$/;

/** The request's Idempotency-Key header: required, 8–200 safe characters. */
export function idempotencyKeyOf(request: FastifyRequest): string {
  const key = request.headers['idempotency-key'];
  if (typeof key !== 'string' || !KEY.test(key)) {
    throw new ProblemError(
      problem(
        400,
        'Send an Idempotency-Key header (8–200 letters, digits, . _ : -), unique to this operation',
        problemTypes.validation,
        {
          errors: [
            {
              pointer: '/idempotency-key',
              message: 'is required: 8–200 letters, digits, . _ : -',
              in: 'header',
            },
          ],
        },
      ),
    );
  }
  return key;
}

/** A hash of what the request asks for, to tell a true retry from a reuse of the key. */
export function requestHash(operation: string, body: unknown): string {
  return createHash('sha256')
    .update(operation)
    .update('\n')
    .update(JSON.stringify(body ?? null))
    .digest('hex');
}

/**
 * Claims the key for this operation inside the caller's transaction. Returns the id the new resource
 * must take, or `{ replayOf }` when the same request ran before. The same key with another request → 422.
 * A concurrent first use holds the key's row until it commits, so the second waits and then replays.
 */
export async function claimIdempotencyKey(
  trx: Transaction<Database> | Kysely<Database>,
  actor: string,
  key: string,
  operation: string,
  hash: string,
  resourceId: string = randomUUID(),
): Promise<{ resourceId: string; replayOf?: undefined } | { replayOf: string; resourceId?: undefined }> {
  const claimed = await trx
    .insertInto('idempotency_keys')
    .values({ actor, key, operation, request_hash: hash, resource_id: resourceId })
    .onConflict((oc) => oc.columns(['actor', 'key']).doNothing())
    .returning('resource_id')
    .executeTakeFirst();
  if (claimed) return { resourceId };
  const replayOf = await priorUse(trx, actor, key, operation, hash);
  if (replayOf === undefined) throw new Error('An idempotency key claimed by another was not found');
  return { replayOf };
}

/**
 * Looks the key up without claiming it: the resource of the earlier request when this same request
 * ran before, undefined when the key is new; the same key with another request → 422. For work too
 * long for one transaction (an import), checked before it starts; the claim at its end still decides.
 */
export async function priorUse(
  db: Transaction<Database> | Kysely<Database>,
  actor: string,
  key: string,
  operation: string,
  hash: string,
): Promise<string | undefined> {
  const existing = await db
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('actor', '=', actor)
    .where('key', '=', key)
    .executeTakeFirst();
  if (!existing) return undefined;
  if (existing.operation !== operation || existing.request_hash !== hash) {
    throw new ProblemError(
      problem(422, 'This Idempotency-Key was used for a different request; use a new key for a new request', {
        type: '/problems/idempotency-key-reused',
        title: 'Idempotency key reused',
      }),
    );
  }
  return existing.resource_id;
}
