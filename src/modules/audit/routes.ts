import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contextOf } from '../../http/context.js';
import { isoInstant } from '../../http/dates.js';
import { page, pageQuery } from '../../http/paging.js';
import { pageAuditEvents } from './service.js';

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
    before: z.unknown().describe('The resource before the change (null when it was created)'),
    after: z.unknown().describe('The resource after the change (null when it was deleted)'),
  })
  .meta({ id: 'AuditEvent' });

export const auditRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/v1/audit-events',
    {
      config: { access: { roles: ['admin', 'finance'] } },
      schema: {
        operationId: 'listAuditEvents',
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
    async (request) => pageAuditEvents(contextOf(app, request), request.query),
  );
};
