import type { RequestContext } from '../../core/context.js';
import { decodeCursor, pageOf } from '../../core/paging.js';
import { type AuditEventRow, type AuditFilter, listAuditEvents } from './repository.js';

/** What a caller asks of the audit trail: the repository's filter, with a cursor instead of its position. */
export interface AuditQuery extends Omit<AuditFilter, 'afterId'> {
  cursor?: string | undefined;
  limit: number;
}

function toEvent(row: AuditEventRow) {
  return {
    id: row.id,
    occurredAt: row.occurred_at.toISOString(),
    actor: row.actor,
    actorKeyId: row.actor_key_id,
    actorRole: row.actor_role,
    organisationId: row.organisation_id,
    action: row.action,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
    requestId: row.request_id,
    before: row.before ?? null,
    after: row.after ?? null,
  };
}

/** A page of the audit trail, newest first; a finance key is held to its own organisation whatever it asks for. */
export async function pageAuditEvents(ctx: RequestContext, query: AuditQuery) {
  const { principal } = ctx;
  const { cursor, limit, ...filter } = query;
  const organisationId =
    principal.role === 'finance' ? (principal.organisationId ?? undefined) : filter.organisationId;
  const afterId = cursor ? decodeCursor(cursor, ['int'])[0] : undefined;
  const rows = await listAuditEvents(ctx.database.db, { ...filter, organisationId, afterId, limit });
  return pageOf(rows, limit, toEvent, (event) => [event.id]);
}
