import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../../http/auth.js';
import { isoInstant } from '../../http/dates.js';
import { decodeCursor, page, pageOf, pageQuery } from '../../http/paging.js';
import { listAuditEvents } from './repository.js';

const auditEventSchema = z
  .object({
    id: z.string(),
    occurredAt: z.string().describe('ISO 8601 timestamp'),
    actor: z.string().describe('The key prefix that acted, or env:ADMIN_API_KEY, or cli'),
    actorKeyId: z.string().nullable(),
    actorRole: z.string(),
    organisationId: z.string().nullable(),
    action: z.string(),
    resourceType: z.string(),
    resourceId: z.string(),
    requestId: z.string().nullable(),
    before: z.unknown().nullable(),
    after: z.unknown().nullable(),
  })
  .meta({ id: 'AuditEvent' });

export const auditRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/v1/audit-events',
    {
      config: { access: { roles: ['admin', 'finance'] } },
      schema: {
        tags: ['access'],
        summary: 'The audit trail: who changed what, when',
        description:
          "Newest first, with cursor paging. A finance key sees its own organisation's events only. Events are append-only: the database refuses to change or delete them.",
        querystring: z.object({
          organisationId: z.uuid().optional(),
          resourceType: z.string().max(100).optional(),
          resourceId: z.string().max(200).optional(),
          action: z.string().max(100).optional(),
          actor: z.string().max(100).optional(),
          from: isoInstant.optional().describe('Events at or after this instant'),
          to: isoInstant.optional().describe('Events before this instant'),
          ...pageQuery,
        }),
        response: { 200: page(auditEventSchema) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { cursor, limit, ...filter } = request.query;
      // A finance key is held to its own organisation whatever it asks for.
      const organisationId =
        principal.role === 'finance' ? (principal.organisationId ?? undefined) : filter.organisationId;
      const afterId = cursor ? decodeCursor(cursor, ['int'])[0] : undefined;
      const rows = await listAuditEvents(app.database.db, { ...filter, organisationId, afterId, limit });
      const toEvent = (row: (typeof rows)[number]) => ({
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
      });
      return pageOf(rows, limit, toEvent, (event) => [event.id]);
    },
  );
};
