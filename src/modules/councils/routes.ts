import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contextOf, publicContextOf } from '../../http/context.js';
import { problemSchema } from '../../http/problem.js';
import { councilInputSchema, councilSchema } from './schemas.js';
import { addCouncil, councils } from './service.js';

export const councilRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/v1/councils',
    {
      config: { access: { public: true } },
      schema: {
        operationId: 'listCouncils',
        tags: ['organisations'],
        summary: 'The councils known here',
        description: 'Seeded with the six Liverpool City Region councils; an admin adds more.',
        response: { 200: z.object({ items: z.array(councilSchema) }) },
      },
    },
    async (request) => councils(publicContextOf(app, request)),
  );

  app.post(
    '/v1/councils',
    {
      config: { access: { roles: ['admin'] } },
      schema: {
        operationId: 'createCouncil',
        tags: ['organisations'],
        summary: 'Add a council',
        body: councilInputSchema,
        response: { 201: councilSchema, 409: problemSchema },
      },
    },
    async (request, reply) => reply.code(201).send(await addCouncil(contextOf(app, request), request.body)),
  );
};
