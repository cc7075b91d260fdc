import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../../core/principal.js';
import { contextOf } from '../../http/context.js';
import { page, pageQuery } from '../../http/paging.js';
import { problemSchema } from '../../http/problem.js';
import { homeInputSchema, homePatchSchema, homeSchema } from './schemas.js';
import { createHome, getHome, pageHomes, updateHome } from './service.js';

export const idParams = z.object({ id: z.uuid({ message: 'must be a UUID' }) });

export const homeRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/v1/homes',
    {
      config: { access: { roles: ['admin', 'finance'] } },
      schema: {
        operationId: 'createHome',
        tags: ['homes'],
        summary: 'Register a home',
        body: homeInputSchema,
        response: { 201: homeSchema, 409: problemSchema, 422: problemSchema },
      },
    },
    async (request, reply) => {
      const home = await createHome(contextOf(app, request), request.body);
      return reply.code(201).header('location', `/v1/homes/${home.id}`).send(home);
    },
  );

  app.get(
    '/v1/homes',
    {
      config: { access: { roles: ROLES } },
      schema: {
        operationId: 'listHomes',
        tags: ['homes'],
        summary: 'List homes',
        description: "A finance key sees its own organisation's homes only.",
        querystring: z.object({
          organisationId: z.uuid().optional(),
          hostCouncil: z.string().max(9).optional(),
          ...pageQuery,
        }),
        response: { 200: page(homeSchema) },
      },
    },
    async (request) => pageHomes(contextOf(app, request), request.query),
  );

  app.get(
    '/v1/homes/:id',
    {
      config: { access: { roles: ROLES } },
      schema: {
        operationId: 'getHome',
        tags: ['homes'],
        summary: 'One home',
        params: idParams,
        response: { 200: homeSchema, 404: problemSchema },
      },
    },
    async (request) => getHome(contextOf(app, request), request.params.id),
  );

  app.patch(
    '/v1/homes/:id',
    {
      config: { access: { roles: ['admin', 'finance'] } },
      schema: {
        operationId: 'updateHome',
        tags: ['homes'],
        summary: 'Change a home (rename, places, close)',
        params: idParams,
        body: homePatchSchema,
        response: { 200: homeSchema, 404: problemSchema, 422: problemSchema },
      },
    },
    async (request) => updateHome(contextOf(app, request), request.params.id, request.body),
  );
};
