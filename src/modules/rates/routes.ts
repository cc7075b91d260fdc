import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { rateTableSchema } from '../../domain/pricing/rates.js';
import { taxYear } from '../../http/dates.js';
import { ProblemError } from '../../http/errors.js';
import { problem, problemSchema, problemTypes } from '../../http/problem.js';
import { rateTables } from './repository.js';

const taxYearParams = z.object({
  taxYear: taxYear.describe('UK tax year, 6 April to 5 April, written as 2026-27'),
});

export const rateRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/v1/rates',
    {
      config: { access: { public: true } },
      schema: {
        tags: ['pricing'],
        summary: 'List the statutory rate tables',
        description:
          'Open to every caller. The tax years whose rate tables a cost model may name in `ratesFrom`.',
        response: { 200: z.object({ taxYears: z.array(z.string()) }) },
      },
    },
    async () => ({ taxYears: [...rateTables().keys()] }),
  );

  app.get(
    '/v1/rates/:taxYear',
    {
      config: { access: { public: true } },
      schema: {
        tags: ['pricing'],
        summary: "One tax year's statutory rates, with their public sources",
        description:
          'Employer NI rate and secondary threshold, the auto-enrolment qualifying earnings band and minimum employer rate, the apprenticeship levy rate and the National Living Wage, each with its source.',
        params: taxYearParams,
        response: { 200: rateTableSchema, 404: problemSchema },
      },
    },
    async (request) => {
      const table = rateTables().get(request.params.taxYear);
      if (!table) {
        throw new ProblemError(
          problem(
            404,
            `No rate table for tax year ${request.params.taxYear}; known: ${[...rateTables().keys()].join(', ')}`,
            problemTypes.notFound,
          ),
        );
      }
      return table;
    },
  );
};
