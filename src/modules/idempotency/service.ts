import { createHash, randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { ConflictError } from '../../core/errors.js';
import type { Database } from '../../db/schema.js';
import { findKey, insertKey } from './repository.js';

type Db = Transaction<Database> | Kysely<Database>;

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
 * must take, or `{ replayOf }` when the same request ran before. The same key with another request is
 * a ConflictError. A concurrent first use holds the key's row until it commits, so the second waits
 * and then replays.
 */
export async function claimIdempotencyKey(
  trx: Db,
  actor: string,
  key: string,
  operation: string,
  hash: string,
  resourceId: string = randomUUID(),
): Promise<{ resourceId: string; replayOf?: undefined } | { replayOf: string; resourceId?: undefined }> {
  if (await insertKey(trx, { actor, key, operation, requestHash: hash, resourceId })) return { resourceId };
  const replayOf = await priorUse(trx, actor, key, operation, hash);
  if (replayOf === undefined) throw new Error('An idempotency key claimed by another was not found');
  return { replayOf };
}

/**
 * Looks the key up without claiming it: the resource of the earlier request when this same request
 * ran before, undefined when the key is new; the same key with another request is a ConflictError.
 * For work too long for one transaction (an import), checked before it starts; the claim at its end
 * still decides.
 */
export async function priorUse(
  db: Db,
  actor: string,
  key: string,
  operation: string,
  hash: string,
): Promise<string | undefined> {
  const existing = await findKey(db, actor, key);
  if (!existing) return undefined;
  if (existing.operation !== operation || existing.request_hash !== hash) {
    throw new ConflictError(
      'This Idempotency-Key was used for a different request; use a new key for a new request',
      'idempotency-key-reused',
    );
  }
  return existing.resource_id;
}
