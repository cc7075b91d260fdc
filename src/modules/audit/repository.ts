import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Principal } from '../../core/principal.js';
import type { AuditEventsTable, Database } from '../../db/schema.js';

export interface AuditEntry {
  principal: Principal | { actor: string; keyId: null; role: string };
  requestId?: string | undefined;
  action: string;
  resourceType: string;
  resourceId: string;
  organisationId?: string | null | undefined;
  before?: unknown;
  after?: unknown;
}

/** Appends one event to the audit trail, inside the caller's transaction. */
export async function recordAudit(
  trx: Transaction<Database> | Kysely<Database>,
  entry: AuditEntry,
): Promise<void> {
  await trx
    .insertInto('audit_events')
    .values({
      actor: entry.principal.actor,
      actor_key_id: entry.principal.keyId,
      actor_role: entry.principal.role,
      organisation_id: entry.organisationId ?? null,
      action: entry.action,
      resource_type: entry.resourceType,
      resource_id: entry.resourceId,
      request_id: entry.requestId ?? null,
      before: entry.before === undefined ? null : JSON.stringify(entry.before),
      after: entry.after === undefined ? null : JSON.stringify(entry.after),
    })
    .execute();
}

export type AuditEventRow = Selectable<AuditEventsTable>;

export interface AuditFilter {
  organisationId?: string | undefined;
  resourceType?: string | undefined;
  resourceId?: string | undefined;
  action?: string | undefined;
  actor?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  afterId?: string | undefined;
  limit: number;
}

export async function listAuditEvents(db: Kysely<Database>, filter: AuditFilter) {
  let query = db
    .selectFrom('audit_events')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(filter.limit + 1);
  if (filter.organisationId) query = query.where('organisation_id', '=', filter.organisationId);
  if (filter.resourceType) query = query.where('resource_type', '=', filter.resourceType);
  if (filter.resourceId) query = query.where('resource_id', '=', filter.resourceId);
  if (filter.action) query = query.where('action', '=', filter.action);
  if (filter.actor) query = query.where('actor', '=', filter.actor);
  if (filter.from) query = query.where('occurred_at', '>=', new Date(filter.from));
  if (filter.to) query = query.where('occurred_at', '<', new Date(filter.to));
  if (filter.afterId) query = query.where('id', '<', filter.afterId);
  return query.execute();
}
