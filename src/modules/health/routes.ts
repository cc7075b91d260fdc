import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sendProblem } from '../../http/errors.js';
import { problem, problemSchema, problemTypes } from '../../http/problem.js';

const liveSchema = z.object({ status: z.literal('live') });
const readySchema = z.object({ status: z.literal('ready'), database: z.enum(['pglite', 'postgres']) });

export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/health/live',
    {
      config: { access: { public: true } },
      schema: {
        operationId: 'getLiveness',
        tags: ['health'],
        summary: 'The process is up',
        description: 'Answers while the process runs, whatever the database does.',
        response: { 200: liveSchema },
      },
    },
    async () => ({ status: 'live' as const }),
  );

  app.get(
    '/health/ready',
    {
      config: { access: { public: true } },
      schema: {
        operationId: 'getReadiness',
        tags: ['health'],
        summary: 'The service can take traffic',
        description:
          'Public. 200 when the database answers a query; 503 with a problem document when it does not.',
        response: { 200: readySchema, 503: problemSchema },
      },
    },
    async (request, reply) => {
      try {
        await app.database.ping(2000);
        return { status: 'ready' as const, database: app.database.engine };
      } catch (error) {
        request.log.warn({ err: error }, 'readiness check failed');
        return sendProblem(
          reply,
          problem(503, 'The database does not answer', problemTypes.unavailable, {
            instance: request.url,
            requestId: request.id,
          }),
        );
      }
    },
  );
};
