import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contextOf } from '../../http/context.js';
import { page, pageQuery } from '../../http/paging.js';
import { problemSchema } from '../../http/problem.js';
import {
  placementChangeSchema,
  placementInputSchema,
  placementMoveSchema,
  placementSchema,
} from './schemas.js';
import { changePlacement, createPlacement, getPlacement, movePlacement, pagePlacements } from './service.js';

const idParams = z.object({ id: z.uuid({ message: 'must be a UUID' }) });
const writers = { access: { roles: ['admin', 'finance'] as const } };
const readers = { access: { roles: ['admin', 'finance', 'commissioner'] as const } };
const summary = placementSchema.omit({ history: true });

export const placementRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/v1/placements',
    {
      config: writers,
      schema: {
        operationId: 'createPlacement',
        tags: ['placements'],
        summary: 'Record a placement',
        description:
          "A council's child in a home, known only by the council's pseudonymous reference: no names, dates of birth or other identifying fields (unknown fields are refused).",
        body: placementInputSchema,
        response: { 201: placementSchema, 404: problemSchema, 422: problemSchema },
      },
    },
    async (request, reply) => {
      const placement = await createPlacement(contextOf(app, request), request.body);
      return reply.code(201).header('location', `/v1/placements/${placement.id}`).send(placement);
    },
  );

  app.get(
    '/v1/placements',
    {
      config: readers,
      schema: {
        operationId: 'listPlacements',
        tags: ['placements'],
        summary: 'List placements (current state)',
        description: "A commissioner sees its councils' placements only; finance its organisation's.",
        querystring: z.object({
          councilCode: z.string().max(9).optional(),
          homeId: z.uuid().optional(),
          ...pageQuery,
        }),
        response: { 200: page(summary) },
      },
    },
    async (request) => pagePlacements(contextOf(app, request), request.query),
  );

  app.get(
    '/v1/placements/:id',
    {
      config: readers,
      schema: {
        operationId: 'getPlacement',
        tags: ['placements'],
        summary: 'One placement, with every recorded version',
        params: idParams,
        response: { 200: placementSchema, 404: problemSchema },
      },
    },
    async (request) => getPlacement(contextOf(app, request), request.params.id),
  );

  app.post(
    '/v1/placements/:id/versions',
    {
      config: writers,
      schema: {
        operationId: 'createPlacementVersion',
        tags: ['placements'],
        summary: 'Record an end, a correction or a change of enhancements',
        description: 'Appends a version; nothing recorded before is changed.',
        params: idParams,
        body: placementChangeSchema,
        response: { 201: placementSchema, 404: problemSchema, 422: problemSchema },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          await changePlacement(contextOf(app, request), { id: request.params.id, change: request.body }),
        ),
  );

  app.post(
    '/v1/placements/:id/move',
    {
      config: writers,
      schema: {
        operationId: 'movePlacement',
        tags: ['placements'],
        summary: 'Move the child to another home of the same provider',
        description:
          'The placement ends the day before `date`; a new placement, linked by `movedFrom`, starts in the new home.',
        params: idParams,
        body: placementMoveSchema,
        response: { 201: placementSchema, 404: problemSchema, 422: problemSchema },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await movePlacement(contextOf(app, request), { id: request.params.id, move: request.body })),
  );
};
