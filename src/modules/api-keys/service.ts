import { type Kysely, sql, type Transaction } from 'kysely';
import { LRUCache } from 'lru-cache';
import { invalidField, notFound } from '../../core/errors.js';
import { decodeCursor, pageOf } from '../../core/paging.js';
import { type Principal, sha256 } from '../../core/principal.js';
import type { DatabaseHandle } from '../../db/database.js';
import type { Database, Role } from '../../db/schema.js';
import { recordAudit } from '../audit/index.js';
import { findOrganisation } from '../organisations/index.js';
import { generateKey, matchesHash, prefixOf } from './keys.js';
import {
  findKey,
  findKeyByPrefix,
  insertKey,
  listKeys,
  markKeyRevoked,
  toApiKey,
  touchKey,
} from './repository.js';
import type { ApiKey, ApiKeyInput } from './schemas.js';

interface CachedPrincipal {
  principal: Principal;
  expiresAt: number | null;
}

/**
 * The channel a change to a key is announced on (`NOTIFY`, payload the key's id), in the transaction
 * that makes it, so that it is delivered when, and only if, the change commits. Every instance LISTENs
 * (src/db/notifications.ts, wired in app.ts) and forgets the key. Any change that would make a cached
 * principal wrong (today a revocation: nothing else changes a key's row but its last use) must send it.
 */
export const KEY_CHANGES_CHANNEL = 'api_keys_changed';

async function announceKeyChange(trx: Transaction<Database>, keyId: string): Promise<void> {
  await sql`select pg_notify(${KEY_CHANGES_CHANNEL}, ${keyId})`.execute(trx);
}

/**
 * Verifies presented keys against the database, remembering a verified key for `cacheSeconds`
 * (0: never) so that every request is not a query. A revocation forgets the key at once in the
 * process that made it; on PostgreSQL every other process forgets it when the revocation's
 * notification arrives (KEY_CHANGES_CHANNEL), and within `cacheSeconds` at the latest should that
 * never happen (the listener's connection down: it forgets everything when it connects again).
 */
export class KeyStore {
  private readonly verified: LRUCache<string, CachedPrincipal> | undefined;
  /** Counts forgets: a lookup that began before one does not cache what it read (it may be stale). */
  private forgets = 0;

  constructor(
    private readonly database: DatabaseHandle,
    cacheSeconds: number,
    private readonly onError: (error: unknown) => void = () => {},
  ) {
    this.verified = cacheSeconds > 0 ? new LRUCache({ max: 10_000, ttl: cacheSeconds * 1000 }) : undefined;
  }

  /** Looks a presented key up; null when it is unknown, revoked or expired (the auth plugin's KeyVerifier). */
  readonly verify = async (presented: string): Promise<Principal | null> => {
    const prefix = prefixOf(presented);
    if (!prefix) return null;
    const cacheKey = sha256(presented).toString('base64url');
    const cached = this.verified?.get(cacheKey);
    if (cached && (cached.expiresAt === null || cached.expiresAt > Date.now())) return cached.principal;
    const forgetsBefore = this.forgets;
    const row = await findKeyByPrefix(this.database.db, prefix);
    if (!row || !matchesHash(presented, row.secret_hash) || row.revoked_at) return null;
    const expiresAt = row.expires_at ? new Date(row.expires_at).getTime() : null;
    if (expiresAt !== null && expiresAt <= Date.now()) return null;
    const principal: Principal = {
      keyId: row.id,
      actor: `cpk_${row.prefix}`,
      role: row.role,
      organisationId: row.organisation_id,
      councils: row.councils,
    };
    // A revocation that committed while this read was in flight has been forgotten already: caching
    // what was read before it would honour the key again until the entry expires.
    if (this.forgets === forgetsBefore) this.verified?.set(cacheKey, { principal, expiresAt });
    touchKey(this.database.db, row.id).catch(this.onError);
    return principal;
  };

  /** Forgets one key (by its id): it is looked up in the database the next time it is presented. */
  forget(keyId: string): void {
    this.forgets += 1;
    if (!this.verified) return;
    const stale: string[] = [];
    for (const [cacheKey, entry] of this.verified.entries()) {
      if (entry.principal.keyId === keyId) stale.push(cacheKey);
    }
    for (const cacheKey of stale) this.verified.delete(cacheKey);
  }

  forgetAll(): void {
    this.forgets += 1;
    this.verified?.clear();
  }
}

/** Who changes the keys: a request's context (RequestContext fits) or the command line's actor, which has no request. */
export interface Actor {
  principal: Principal | { actor: string; keyId: null; role: Role };
  requestId?: string;
}

export async function createApiKey(
  db: Kysely<Database>,
  actor: Actor,
  input: ApiKeyInput,
): Promise<ApiKey & { key: string }> {
  // against the time of day, as KeyStore.verify holds the expiry (not a clock fixed for a test)
  if (input.expiresAt && new Date(input.expiresAt).getTime() <= Date.now()) {
    throw invalidField('/expiresAt', 'must be in the future');
  }
  if (input.organisationId && !(await findOrganisation(db, input.organisationId))) {
    throw invalidField('/organisationId', 'is not an organisation known here');
  }
  const { key, prefix, secretHash } = generateKey();
  const created = await db.transaction().execute(async (trx) => {
    const row = await insertKey(trx, {
      prefix,
      secret_hash: secretHash,
      role: input.role,
      organisation_id: input.organisationId ?? null,
      councils: input.councils ?? [],
      label: input.label,
      created_by: actor.principal.actor,
      expires_at: input.expiresAt ?? null,
    });
    const apiKey = toApiKey(row);
    await recordAudit(trx, {
      principal: actor.principal,
      requestId: actor.requestId,
      action: 'create',
      resourceType: 'api_key',
      resourceId: apiKey.id,
      organisationId: apiKey.organisationId,
      after: apiKey,
    });
    return apiKey;
  });
  return { ...created, key };
}

export async function revokeApiKey(db: Kysely<Database>, actor: Actor, id: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const before = await findKey(trx, id);
    if (!before) throw notFound('API key');
    if (before.revoked_at) return; // revoking twice changes nothing
    const after = await markKeyRevoked(trx, id);
    await announceKeyChange(trx, id);
    await recordAudit(trx, {
      principal: actor.principal,
      requestId: actor.requestId,
      action: 'revoke',
      resourceType: 'api_key',
      resourceId: id,
      organisationId: before.organisation_id,
      before: toApiKey(before),
      after: toApiKey(after),
    });
  });
}

export async function pageApiKeys(db: Kysely<Database>, cursor: string | undefined, limit: number) {
  const afterId = cursor ? decodeCursor(cursor, ['uuid'])[0] : undefined;
  const rows = await listKeys(db, { afterId, limit });
  return pageOf(rows, limit, toApiKey, (key) => [key.id]);
}
