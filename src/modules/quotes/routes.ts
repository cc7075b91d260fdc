import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { breakdownSchema, costModelSchema } from '../../domain/pricing/index.js';
import { negotiate } from '../../http/negotiate.js';
import { problemSchema } from '../../http/problem.js';
import { quote, quoteCsv } from './service.js';

export const quoteRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/v1/quotes',
    {
      schema: {
        tags: ['pricing'],
        summary: 'Price a cost model',
        description: [
          'Prices a cost model by the published method (shared/spec/pricing-method.md) and returns the line-item breakdown. Nothing is stored.',
          '',
          'Send `Accept: text/csv` for the lines as RFC 4180 CSV (a header row, one row per line, then a total row).',
          '',
          'A model that breaks a rule of the method gets a 422 problem document naming every offending field by JSON pointer.',
        ].join('\n'),
        body: costModelSchema,
        response: {
          200: {
            description:
              'The breakdown: every line with its annual amount, weekly amount per child, share and basis',
            content: {
              'application/json': { schema: breakdownSchema },
              'text/csv': {
                schema: z.string().describe('RFC 4180 CSV: header, one row per line, total row'),
              },
            },
          },
          406: problemSchema,
          422: problemSchema,
        },
      },
    },
    async (request, reply) => {
      const format = negotiate(request.headers.accept, ['application/json', 'text/csv']);
      const breakdown = quote(request.body);
      if (format === 'text/csv') {
        const csv = quoteCsv(breakdown);
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', csv.disposition)
          .send(csv.body);
      }
      return breakdown;
    },
  );
};
