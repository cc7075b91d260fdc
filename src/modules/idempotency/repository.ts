import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';

type Db = Transaction<Database> | Kysely<Database>;

export interface IdempotencyClaim {
  actor: string;
  key: string;
  operation: string;
  requestHash: string;
  resourceId: string;
}

/** Inserts the key's row; false when the actor used this key before (the row is left as it was). */
export async function insertKey(db: Db, claim: IdempotencyClaim): Promise<boolean> {
  const claimed = await db
    .insertInto('idempotency_keys')
    .values({
      actor: claim.actor,
      key: claim.key,
      operation: claim.operation,
      request_hash: claim.requestHash,
      resource_id: claim.resourceId,
    })
    .onConflict((oc) => oc.columns(['actor', 'key']).doNothing())
    .returning('resource_id')
    .executeTakeFirst();
  return claimed !== undefined;
}

export async function findKey(db: Db, actor: string, key: string) {
  return db
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('actor', '=', actor)
    .where('key', '=', key)
    .executeTakeFirst();
}
