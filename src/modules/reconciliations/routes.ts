import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { attachment } from '../../formats/download.js';
import { contextOf } from '../../http/context.js';
import { isoDate } from '../../http/dates.js';
import { formatParameter, negotiate, XLSX } from '../../http/negotiate.js';
import { problemSchema } from '../../http/problem.js';
import { councilReconciliationStatementSchema } from './schemas.js';
import {
  councilReconciliationStatement,
  freezeReconciliation,
  getReconciliation,
  homeVariance,
  previewReconciliation,
} from './service.js';
import { councilStatementCsv, councilStatementXlsx } from './statements.js';

const DOCUMENT_FORMATS = ['application/json', 'text/csv', XLSX] as const;

const scopeQuery = z.object({
  organisationId: z.uuid(),
  homeId: z.uuid().optional().describe('One home; the whole organisation when left out'),
  from: isoDate,
  to: isoDate,
});
const reconciliationDocument = z
  .unknown()
  .describe(
    "The year-end settlement (method §7): rule version, scope of the cap, status (provisional, incomplete or final) and the months of actuals missing, income by council, actual cost by category and code, realised surplus and its rates, what was paid to each related party by code against its allowance (the market amounts of the fee schedules in force, pro rata by days) with the related-party excess and the adjusted cost and surplus (settlement rule 3), the cap, allowed surplus (on the adjusted cost), excess (of the adjusted surplus) and each council's rebate (only once final), each home's figures (its own cap test under the home scope; for information under the organisation scope), and the variance by code",
  );
const frozenSchema = z
  .object({
    id: z.uuid(),
    organisationId: z.uuid(),
    homeId: z.uuid().nullable(),
    period: z.object({ start: z.string(), end: z.string() }),
    ruleVersion: z
      .number()
      .int()
      .describe(
        'The settlement rule that made it: 3 (method §7 with related-party excess); 2 for reconciliations frozen before related-party excess, 1 for those frozen before the year-end settlement',
      ),
    supersedes: z
      .uuid()
      .nullable()
      .describe('The earlier reconciliation of this scope and period it replaces'),
    supersededBy: z
      .uuid()
      .nullable()
      .describe('The later reconciliation of this scope and period that replaces it: read that one instead'),
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
        operationId: 'getVariance',
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
    async (request) => homeVariance(contextOf(app, request), { homeId: request.params.id, ...request.query }),
  );

  app.get(
    '/v1/reconciliations/preview',
    {
      config: { access: { roles: ['admin', 'finance'] } },
      schema: {
        operationId: 'previewReconciliation',
        tags: ['actuals'],
        summary: 'Work out a reconciliation without freezing it',
        querystring: scopeQuery,
        response: { 200: reconciliationDocument, 404: problemSchema, 422: problemSchema },
      },
    },
    async (request) => previewReconciliation(contextOf(app, request), request.query),
  );

  app.post(
    '/v1/reconciliations',
    {
      config: { access: { roles: ['admin', 'finance'] } },
      schema: {
        operationId: 'createReconciliation',
        tags: ['actuals'],
        summary: 'Freeze a reconciliation: stored immutably, hashed and signed',
        description:
          "Only a final settlement can be frozen: a period that has not ended (provisional) or one with a month of actuals missing (incomplete) is a 422 listing what is missing. Under the organisation cap scope only the organisation's reconciliation can be frozen. A reconciliation of a scope and period frozen before is superseded by the new one (`supersedes`, and `supersededBy` on the old).",
        body: z.strictObject({
          organisationId: z.uuid(),
          homeId: z.uuid().optional(),
          from: isoDate,
          to: isoDate,
        }),
        response: { 201: frozenSchema, 404: problemSchema, 409: problemSchema, 422: problemSchema },
      },
    },
    async (request, reply) => {
      const frozen = await freezeReconciliation(contextOf(app, request), {
        scope: request.body,
        signingKey: app.signingKey,
      });
      return reply.code(201).header('location', `/v1/reconciliations/${frozen.id}`).send(frozen);
    },
  );

  app.get(
    '/v1/reconciliations/:id',
    {
      config: { access: { roles: ['admin', 'finance', 'commissioner', 'regulator'] } },
      schema: {
        operationId: 'getReconciliation',
        tags: ['actuals'],
        summary: 'A frozen reconciliation',
        description:
          "A commissioner sees its own councils' income and rebates only (404 when none of them paid anything).",
        params: z.object({ id: z.uuid() }),
        response: { 200: frozenSchema, 404: problemSchema },
      },
    },
    async (request) => getReconciliation(contextOf(app, request), request.params.id),
  );

  app.get(
    '/v1/reconciliations/:id/statements/:councilCode',
    {
      config: { access: { roles: ['admin', 'finance', 'commissioner', 'regulator'] } },
      schema: {
        operationId: 'getReconciliationStatement',
        tags: ['actuals'],
        summary:
          "One council's statement of a frozen reconciliation: what it was charged, its share and its rebate",
        description: `JSON, CSV (\`Accept: text/csv\` or \`?format=csv\`) or XLSX (\`Accept: ${XLSX}\` or \`?format=xlsx\`).`,
        params: z.object({ id: z.uuid(), councilCode: z.string().max(9) }),
        querystring: z.object({ format: formatParameter(DOCUMENT_FORMATS) }),
        response: {
          200: {
            description: "The council's statement",
            content: {
              'application/json': { schema: councilReconciliationStatementSchema },
              'text/csv': { schema: z.string() },
              [XLSX]: { schema: z.string().describe('An XLSX workbook') },
            },
          },
          404: problemSchema,
        },
      },
    },
    async (request, reply) => {
      const format = negotiate(request.headers.accept, DOCUMENT_FORMATS, request.query.format);
      const statement = await councilReconciliationStatement(contextOf(app, request), request.params);
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
