import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { attachment } from '../../formats/download.js';
import { contextOf } from '../../http/context.js';
import { isoDate } from '../../http/dates.js';
import { formatParameter, negotiate } from '../../http/negotiate.js';
import { problemSchema } from '../../http/problem.js';
import { placementCostsCsv } from './export.js';
import { placementCostsSchema } from './schemas.js';
import { councilPlacementCosts } from './service.js';

const FORMATS = ['application/json', 'text/csv'] as const;

export const placementCostRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/v1/councils/:code/placement-costs',
    {
      config: { access: { roles: ['admin', 'finance', 'commissioner'] } },
      schema: {
        operationId: 'getCouncilPlacementCosts',
        tags: ['placements'],
        summary: "A council's placement costs in the SocialCareData placements standard's shape",
        description:
          "Per placement of the council and per span of days over which its weekly costs are constant (the same fee schedule in force, the same enhancements charged, the same held-over status, as the charging rule's lines give them): the standard's `actualPlacement` block (`coreWeeklyCost`, `additionalSupportWeeklyCost`, `educationWeeklyCost`, `otherWeeklyCost`, `totalWeeklyCost`, `providerURN`, `placementType`, `placementStartDate`, `placementSource`), whose parts add up to the total to the penny. Days with no fee schedule in force are listed as unpriced. Give `on` (one day; default today in England) or both `from` and `to` (at most three years), never both kinds (422). No child-level data beyond the council's pseudonymous reference; `placementSource` is not recorded here (null). JSON (its JSON Schema: `openapi/placement-costs.schema.json`) or CSV (`Accept: text/csv` or `?format=csv`), whose headers are the standard's field names. A commissioner sees its own councils only; finance sees its organisation's homes.",
        params: z.object({ code: z.string().max(9) }),
        querystring: z.object({
          on: isoDate.optional().describe('One day (default: today in England); not with from/to'),
          from: isoDate.optional().describe('The first day of a period, with to'),
          to: isoDate.optional().describe('The last day of a period, with from'),
          format: formatParameter(FORMATS),
        }),
        response: {
          200: {
            description: 'The placement costs',
            content: {
              'application/json': { schema: placementCostsSchema },
              'text/csv': { schema: z.string() },
            },
          },
          404: problemSchema,
          422: problemSchema,
        },
      },
    },
    async (request, reply) => {
      const format = negotiate(request.headers.accept, FORMATS, request.query.format);
      const { on, from, to } = request.query;
      const costs = await councilPlacementCosts(contextOf(app, request), {
        councilCode: request.params.code,
        on,
        from,
        to,
      });
      if (format === 'text/csv') {
        return reply
          .type('text/csv; charset=utf-8')
          .header(
            'content-disposition',
            attachment(`placement-costs-${costs.council.onsCode}-${costs.from}-${costs.to}.csv`),
          )
          .send(placementCostsCsv(costs));
      }
      return costs;
    },
  );
};
