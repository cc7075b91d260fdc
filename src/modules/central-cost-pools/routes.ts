import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { assertOrganisation, notFound, principalOf, ROLES } from '../../http/auth.js';
import { isoDate } from '../../http/dates.js';
import { invalidField } from '../../http/errors.js';
import { problemSchema } from '../../http/problem.js';
import { poolChangeSchema, poolInputSchema, poolSchema } from './schemas.js';
import { findPool, putPool, toPool } from './service.js';

const params = z.object({ id: z.uuid({ message: 'must be a UUID' }), periodStart: isoDate });

export const centralCostPoolRoutes: FastifyPluginAsyncZod = async (app) => {
  app.put(
    '/v1/organisations/:id/central-cost-pools/:periodStart',
    {
      config: { access: { roles: ['admin', 'finance'] } },
      schema: {
        tags: ['cost-models'],
        summary: 'Set the central cost pool for a period',
        description:
          'Leadership, finance, HR, quality … and how they are shared among the homes open in the period. Every draft that takes its central block from the pool is refreshed; the answer lists those whose price moved.',
        params,
        body: poolInputSchema,
        response: { 200: poolChangeSchema, 404: problemSchema, 422: problemSchema },
      },
    },
    async (request) => {
      if (request.body.period.start !== request.params.periodStart) {
        throw invalidField('/period/start', 'must match the period start in the path');
      }
      return putPool(app.database, principalOf(request), request.id, request.params.id, request.body);
    },
  );

  app.get(
    '/v1/organisations/:id/central-cost-pools/:periodStart',
    {
      config: { access: { roles: ROLES } },
      schema: {
        tags: ['cost-models'],
        summary: 'The central cost pool for a period',
        params,
        response: { 200: poolSchema, 404: problemSchema },
      },
    },
    async (request) => {
      assertOrganisation(principalOf(request), request.params.id, 'Central cost pool');
      const row = await findPool(app.database.db, request.params.id, request.params.periodStart);
      if (!row) throw notFound('Central cost pool');
      return toPool(row);
    },
  );
};
