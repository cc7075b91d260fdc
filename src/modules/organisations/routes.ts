import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../../core/principal.js';
import { contextOf } from '../../http/context.js';
import { page, pageQuery } from '../../http/paging.js';
import { problemSchema } from '../../http/problem.js';
import { organisationInputSchema, organisationPolicySchema, organisationSchema } from './schemas.js';
import { createOrganisation, getOrganisation, pageOrganisations, setOrganisationPolicy } from './service.js';

const idParams = z.object({ id: z.uuid({ message: 'must be a UUID' }) });

export const organisationRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/v1/organisations',
    {
      config: { access: { roles: ['admin'] } },
      schema: {
        operationId: 'createOrganisation',
        tags: ['organisations'],
        summary: 'Register a provider organisation',
        body: organisationInputSchema,
        response: { 201: organisationSchema, 409: problemSchema, 422: problemSchema },
      },
    },
    async (request, reply) => {
      const organisation = await createOrganisation(contextOf(app, request), request.body);
      return reply.code(201).header('location', `/v1/organisations/${organisation.id}`).send(organisation);
    },
  );

  app.get(
    '/v1/organisations',
    {
      config: { access: { roles: ROLES } },
      schema: {
        operationId: 'listOrganisations',
        tags: ['organisations'],
        summary: 'List provider organisations',
        description: 'By name. A finance key sees its own organisation only.',
        querystring: z.object(pageQuery),
        response: { 200: page(organisationSchema) },
      },
    },
    async (request) => pageOrganisations(contextOf(app, request), request.query),
  );

  app.get(
    '/v1/organisations/:id',
    {
      config: { access: { roles: ROLES } },
      schema: {
        operationId: 'getOrganisation',
        tags: ['organisations'],
        summary: 'One provider organisation',
        description: 'A finance key gets 404 for any organisation but its own.',
        params: idParams,
        response: { 200: organisationSchema, 404: problemSchema },
      },
    },
    async (request) => getOrganisation(contextOf(app, request), request.params.id),
  );

  app.patch(
    '/v1/organisations/:id',
    {
      config: { access: { roles: ['admin'] } },
      schema: {
        operationId: 'updateOrganisation',
        tags: ['organisations'],
        summary: "Set an organisation's policy: the scope its surplus cap is tested on",
        description:
          'Admin only, audited. The settlement of every period not yet frozen follows the new scope; frozen reconciliations keep theirs (a new one of the same period supersedes them).',
        params: idParams,
        body: organisationPolicySchema,
        response: { 200: organisationSchema, 404: problemSchema, 422: problemSchema },
      },
    },
    async (request) => setOrganisationPolicy(contextOf(app, request), request.params.id, request.body),
  );
};
