import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../../core/principal.js';
import { contextOf } from '../../http/context.js';
import { isoDate } from '../../http/dates.js';
import { problemSchema } from '../../http/problem.js';
import { poolChangeSchema, poolInputSchema, poolSchema } from './schemas.js';
import { getPool, putPool } from './service.js';

const params = z.object({ id: z.uuid({ message: 'must be a UUID' }), periodStart: isoDate });

export const centralCostPoolRoutes: FastifyPluginAsyncZod = async (app) => {
  app.put(
    '/v1/organisations/:id/central-cost-pools/:periodStart',
    {
      config: { access: { roles: ['admin', 'finance'] } },
      schema: {
        operationId: 'putCentralCostPool',
        tags: ['cost-models'],
        summary: 'Set the central cost pool for a period',
        description:
          'Leadership, finance, HR, quality … and how they are shared among the homes open in the period. Every draft that takes its central block from the pool is refreshed; the answer lists those whose price moved.',
        params,
        body: poolInputSchema,
        response: { 200: poolChangeSchema, 404: problemSchema, 422: problemSchema },
      },
    },
    async (request) =>
      putPool(contextOf(app, request), {
        organisationId: request.params.id,
        periodStart: request.params.periodStart,
        input: request.body,
      }),
  );

  app.get(
    '/v1/organisations/:id/central-cost-pools/:periodStart',
    {
      config: { access: { roles: ROLES } },
      schema: {
        operationId: 'getCentralCostPool',
        tags: ['cost-models'],
        summary: 'The central cost pool for a period',
        params,
        response: { 200: poolSchema, 404: problemSchema },
      },
    },
    async (request) =>
      getPool(contextOf(app, request), {
        organisationId: request.params.id,
        periodStart: request.params.periodStart,
      }),
  );
};
