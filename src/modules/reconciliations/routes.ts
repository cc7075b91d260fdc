import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound, principalOf } from '../../http/auth.js';
import { attachment } from '../../http/csv.js';
import { ProblemError } from '../../http/errors.js';
import { negotiate } from '../../http/negotiate.js';
import { problem, problemSchema, problemTypes } from '../../http/problem.js';
import { isoDate } from '../homes/schemas.js';
import { visibleHome } from '../homes/service.js';
import { freezeReconciliation, getReconciliation, previewReconciliation, reconcileScope } from './service.js';
import { councilStatementCsv, councilStatementOf, councilStatementXlsx } from './statements.js';

function invalidQuery(pointer: string, message: string): ProblemError {
  return new ProblemError(
    problem(400, `${pointer}: ${message}`, problemTypes.validation, {
      errors: [{ pointer, message, in: 'query' }],
    }),
  );
}

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

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
        querystring: z.object({
          period: z
            .string()
            .max(40)
            .optional()
            .describe("A pricing period label of the home's fee schedules, e.g. 2026-27"),
          from: isoDate.optional(),
          to: isoDate.optional(),
        }),
        response: { 200: z.record(z.string(), z.unknown()), 404: problemSchema, 422: problemSchema },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const home = await visibleHome(app.database, principal, request.params.id);
      let { from, to } = request.query;
      if (request.query.period) {
        const period = await app.database.db
          .selectFrom('fee_schedules')
          .select(['period_start', 'period_end'])
          .where('home_id', '=', home.id)
          .where('period_label', '=', request.query.period)
          .executeTakeFirst();
        if (!period) throw notFound(`No fee schedule for period ${request.query.period}: period`);
        from = period.period_start;
        to = period.period_end;
      }
      if (!from || !to) throw invalidQuery('/period', 'give a period (e.g. 2026-27), or from and to');
      const scope = { organisationId: home.organisation_id, homeId: home.id, from, to };
      const { reconciliation, figures } = await reconcileScope(app.database, principal, scope);
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

  app.get(
    '/v1/reconciliations/:id/statements/:councilCode',
    {
      config: { access: { roles: ['admin', 'finance', 'commissioner', 'regulator'] } },
      schema: {
        tags: ['actuals'],
        summary:
          "One council's statement of a frozen reconciliation: what it was charged, its share and its rebate",
        description: `JSON, CSV (\`Accept: text/csv\`) or XLSX (\`Accept: ${XLSX}\`).`,
        params: z.object({ id: z.uuid(), councilCode: z.string().max(9) }),
        response: {
          200: {
            description: "The council's statement",
            content: {
              'application/json': { schema: z.unknown() },
              'text/csv': { schema: z.string() },
              [XLSX]: { schema: z.string().describe('An XLSX workbook') },
            },
          },
          404: problemSchema,
        },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const format = negotiate(request.headers.accept, ['application/json', 'text/csv', XLSX]);
      if (principal.role === 'commissioner' && !principal.councils.includes(request.params.councilCode)) {
        throw notFound('Statement');
      }
      const frozen = await getReconciliation(app.database, principal, request.params.id);
      const statement = councilStatementOf(frozen, request.params.councilCode);
      if (!statement) throw notFound('Statement');
      const filename = `reconciliation-${statement.councilCode}-${statement.period.start}-${statement.period.end}`;
      if (format === 'text/csv') {
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', attachment(`${filename}.csv`))
          .send(councilStatementCsv(statement));
      }
      if (format === XLSX) {
        return (reply as FastifyReply)
          .type(XLSX)
          .header('content-disposition', attachment(`${filename}.xlsx`))
          .send(await councilStatementXlsx(statement));
      }
      return statement;
    },
  );
};
