import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { rateTableSchema } from '../../domain/pricing/rates.js';
import { taxYear } from '../../http/dates.js';
import { problemSchema } from '../../http/problem.js';
import { rateTable, taxYears } from './service.js';

const taxYearParams = z.object({
  taxYear: taxYear.describe('UK tax year, 6 April to 5 April, written as 2026-27'),
});

export const rateRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/v1/rates',
    {
      config: { access: { public: true } },
      schema: {
        operationId: 'listRateTables',
        tags: ['pricing'],
        summary: 'List the statutory rate tables',
        description:
          'Open to every caller. The tax years whose rate tables a cost model may name in `ratesFrom`.',
        response: { 200: z.object({ taxYears: z.array(z.string()) }) },
      },
    },
    async () => taxYears(),
  );

  app.get(
    '/v1/rates/:taxYear',
    {
      config: { access: { public: true } },
      schema: {
        operationId: 'getRateTable',
        tags: ['pricing'],
        summary: "One tax year's statutory rates, with their public sources",
        description:
          'Employer NI rate and secondary threshold, the auto-enrolment qualifying earnings band and minimum employer rate, the apprenticeship levy rate and the National Living Wage, each with its source.',
        params: taxYearParams,
        response: { 200: rateTableSchema, 404: problemSchema },
      },
    },
    async (request) => rateTable(request.params.taxYear),
  );
};
