import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../../core/principal.js';
import { requireIfMatch, versionTag } from '../../http/conditional.js';
import { contextOf } from '../../http/context.js';
import { page, pageQuery } from '../../http/paging.js';
import { problemSchema } from '../../http/problem.js';
import { relatedPartyInputSchema, relatedPartyPatchSchema, relatedPartySchema } from './schemas.js';
import {
  changeRelatedParty,
  createRelatedParty,
  pageRelatedParties,
  visibleRelatedParty,
} from './service.js';

const idParams = z.object({ id: z.uuid({ message: 'must be a UUID' }) });

/** Method v2 §6: the register of related parties. */
export const relatedPartyRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/v1/related-parties',
    {
      config: { access: { roles: ['admin', 'finance'] } },
      schema: {
        operationId: 'createRelatedParty',
        tags: ['related-parties'],
        summary: 'Add a related party to an organisation’s register',
        description:
          'Method v2 §6. The reference is what cost models (`relatedParties[].id`, `relatedPartyId`) and actual spending rows (`relatedParty`, CSV `related_party`) name. Audited. A party is never deleted: end it with PATCH `to`.',
        body: relatedPartyInputSchema,
        response: { 201: relatedPartySchema, 409: problemSchema, 422: problemSchema },
      },
    },
    async (request, reply) => {
      const party = await createRelatedParty(contextOf(app, request), request.body);
      return reply
        .code(201)
        .header('location', `/v1/related-parties/${party.id}`)
        .header('etag', versionTag(party.version))
        .send(party);
    },
  );

  app.get(
    '/v1/related-parties',
    {
      config: { access: { roles: ROLES } },
      schema: {
        operationId: 'listRelatedParties',
        tags: ['related-parties'],
        summary: 'List related parties',
        description:
          "An organisation's register (`organisation`), or every register. Commissioners and the regulator see every organisation's; a finance key its own.",
        querystring: z.object({
          organisation: z.uuid({ message: 'must be a UUID' }).optional(),
          ...pageQuery,
        }),
        response: { 200: page(relatedPartySchema), 404: problemSchema },
      },
    },
    async (request) => pageRelatedParties(contextOf(app, request), request.query),
  );

  app.get(
    '/v1/related-parties/:id',
    {
      config: { access: { roles: ROLES } },
      schema: {
        operationId: 'getRelatedParty',
        tags: ['related-parties'],
        summary: 'One related party',
        params: idParams,
        response: { 200: relatedPartySchema, 404: problemSchema },
      },
    },
    async (request, reply) => {
      const party = await visibleRelatedParty(contextOf(app, request), request.params.id);
      return reply.header('etag', versionTag(party.version)).send(party);
    },
  );

  app.patch(
    '/v1/related-parties/:id',
    {
      config: { access: { roles: ['admin', 'finance'] } },
      schema: {
        operationId: 'updateRelatedParty',
        tags: ['related-parties'],
        summary: 'Change or end a related party',
        description:
          'Send the ETag you read as If-Match. The reference never changes; a party is ended (`to`), never deleted. Audited with the party before and after.',
        params: idParams,
        body: relatedPartyPatchSchema,
        response: {
          200: relatedPartySchema,
          404: problemSchema,
          412: problemSchema,
          422: problemSchema,
          428: problemSchema,
        },
      },
    },
    async (request, reply) => {
      const ctx = contextOf(app, request);
      // 404 before 428/412, so that another tenant's party stays unseen
      const current = await visibleRelatedParty(ctx, request.params.id);
      const expectedVersion = requireIfMatch(request, current.version);
      const party = await changeRelatedParty(ctx, {
        id: request.params.id,
        expectedVersion,
        patch: request.body,
      });
      return reply.header('etag', versionTag(party.version)).send(party);
    },
  );
};
