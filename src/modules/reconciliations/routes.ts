import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../../http/auth.js';
import { problemSchema } from '../../http/problem.js';
import { isoDate } from '../homes/schemas.js';
import { visibleHome } from '../homes/service.js';
import { freezeReconciliation, getReconciliation, periodFigures, previewReconciliation } from './service.js';

const scopeQuery = z.object({
  organisationId: z.uuid(),
  homeId: z.uuid().optional().describe('One home; the whole organisation when left out'),
  from: isoDate,
  to: isoDate,
});
const reconciliationDocument = z
  .unknown()
  .describe(
    "Income by council, actual cost by category, realised surplus and its rates, the cap, the excess and each council's rebate, variance by code",
  );
const frozenSchema = z
  .object({
    id: z.uuid(),
    organisationId: z.uuid(),
    homeId: z.uuid().nullable(),
    period: z.object({ start: z.string(), end: z.string() }),
    reconciliation: reconciliationDocument,
    hash: z.string().describe('SHA-256 (hex) of the RFC 8785 canonical JSON of `reconciliation`'),
    signature: z.string().describe("Ed25519 signature (base64) of the hash's hex text"),
    keyId: z.string(),
    createdBy: z.string(),
    createdAt: z.string(),
  })
  .meta({ id: 'FrozenReconciliation' });

export const reconciliationRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/v1/homes/:id/variance',
    {
      config: { access: { roles: ['admin', 'finance', 'regulator'] } },
      schema: {
        tags: ['actuals'],
        summary: 'Budget against actual spending, by code, and the income actually charged',
        description:
          'The budget is the cost lines of the fee schedules in force, pro rata by days; actuals are the latest version of each month.',
        params: z.object({ id: z.uuid() }),
        querystring: z.object({ from: isoDate, to: isoDate }),
        response: { 200: z.record(z.string(), z.unknown()), 404: problemSchema, 422: problemSchema },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const home = await visibleHome(app.database, principal, request.params.id);
      const scope = {
        organisationId: home.organisation_id,
        homeId: home.id,
        from: request.query.from,
        to: request.query.to,
      };
      const reconciliation = await previewReconciliation(app.database, principal, scope);
      const figures = await periodFigures(app.database, principal, scope);
      return {
        homeId: home.id,
        from: scope.from,
        to: scope.to,
        income: reconciliation.income,
        incomeByCouncil: reconciliation.incomeByCouncil,
        budget: figures.budget,
        actualCost: reconciliation.actualCost,
        variance: reconciliation.variance,
      };
    },
  );

  app.get(
    '/v1/reconciliations/preview',
    {
      config: { access: { roles: ['admin', 'finance'] } },
      schema: {
        tags: ['actuals'],
        summary: 'Work out a reconciliation without freezing it',
        querystring: scopeQuery,
        response: { 200: reconciliationDocument, 404: problemSchema, 422: problemSchema },
      },
    },
    async (request) => previewReconciliation(app.database, principalOf(request), request.query),
  );

  app.post(
    '/v1/reconciliations',
    {
      config: { access: { roles: ['admin', 'finance'] } },
      schema: {
        tags: ['actuals'],
        summary: 'Freeze a reconciliation: stored immutably, hashed and signed',
        body: z.strictObject({
          organisationId: z.uuid(),
          homeId: z.uuid().optional(),
          from: isoDate,
          to: isoDate,
        }),
        response: { 201: frozenSchema, 404: problemSchema, 422: problemSchema },
      },
    },
    async (request, reply) => {
      const frozen = await freezeReconciliation(
        app.database,
        app.signingKey,
        principalOf(request),
        request.id,
        request.body,
      );
      return reply.code(201).header('location', `/v1/reconciliations/${frozen.id}`).send(frozen);
    },
  );

  app.get(
    '/v1/reconciliations/:id',
    {
      config: { access: { roles: ['admin', 'finance', 'commissioner', 'regulator'] } },
      schema: {
        tags: ['actuals'],
        summary: 'A frozen reconciliation',
        description:
          "A commissioner sees its own councils' income and rebates only (404 when none of them paid anything).",
        params: z.object({ id: z.uuid() }),
        response: { 200: frozenSchema, 404: problemSchema },
      },
    },
    async (request) => getReconciliation(app.database, principalOf(request), request.params.id),
  );
};
