import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contextOf } from '../../http/context.js';
import { page, pageQuery } from '../../http/paging.js';
import { problemSchema } from '../../http/problem.js';
import { apiKeyInputSchema, apiKeySchema, createdApiKeySchema } from './schemas.js';
import { createApiKey, pageApiKeys, revokeApiKey } from './service.js';

export const apiKeyRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/v1/api-keys',
    {
      config: { access: { roles: ['admin'] } },
      schema: {
        operationId: 'createApiKey',
        tags: ['access'],
        summary: 'Create an API key',
        description:
          'The secret `key` is in this response only; the service keeps its SHA-256. A finance key needs `organisationId`; a commissioner key needs `councils`.',
        body: apiKeyInputSchema,
        response: { 201: createdApiKeySchema, 422: problemSchema },
      },
    },
    async (request, reply) => {
      const created = await createApiKey(app.database.db, contextOf(app, request), request.body);
      return reply
        .code(201)
        .header('location', `/v1/api-keys/${created.id}`)
        .header('cache-control', 'no-store')
        .send(created);
    },
  );

  app.get(
    '/v1/api-keys',
    {
      config: { access: { roles: ['admin'] } },
      schema: {
        operationId: 'listApiKeys',
        tags: ['access'],
        summary: 'List API keys',
        description:
          'Newest first: prefix, role, scope, when created, last used, expiry and revocation. Never the secret.',
        querystring: z.object(pageQuery),
        response: { 200: page(apiKeySchema) },
      },
    },
    async (request) => pageApiKeys(app.database.db, request.query.cursor, request.query.limit),
  );

  app.delete(
    '/v1/api-keys/:id',
    {
      config: { access: { roles: ['admin'] } },
      schema: {
        operationId: 'revokeApiKey',
        tags: ['access'],
        summary: 'Revoke an API key',
        description:
          'The key stops working at once: on this instance before the answer, on every other instance of the service on the same PostgreSQL as soon as the revocation commits (LISTEN/NOTIFY; at the latest API_KEY_CACHE_SECONDS later should that notification be lost). Revoking twice is harmless.',
        params: z.object({ id: z.uuid({ message: 'must be a UUID' }) }),
        response: { 204: z.null().describe('Revoked'), 404: problemSchema },
      },
    },
    async (request, reply) => {
      await revokeApiKey(app.database.db, contextOf(app, request), request.params.id);
      // At once here, before the answer; other instances forget it when the revocation's notification
      // arrives (PostgreSQL: app.ts). PGlite is one process: this is all there is to do.
      app.keyStore.forget(request.params.id);
      return reply.code(204).send(null);
    },
  );
};
