import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { breakdownSchema } from '../../domain/pricing/index.js';
import { costModelTemplate, draftWorkbook } from '../../formats/cost-model-workbook.js';
import { attachment } from '../../formats/download.js';
import { requireIfMatch, versionTag } from '../../http/conditional.js';
import { contextOf } from '../../http/context.js';
import { isoDate } from '../../http/dates.js';
import { idempotencyKeyOf } from '../../http/idempotency.js';
import { formatParameter, negotiate, XLSX } from '../../http/negotiate.js';
import { page, pageQuery } from '../../http/paging.js';
import { problemSchema } from '../../http/problem.js';
import { acceptWorkbookBodies, workbookBody } from '../../http/workbook-body.js';
import { feeScheduleSchema } from '../fee-schedules/index.js';
import { quoteCsv } from '../quotes/index.js';
import { publish } from './publish.js';
import {
  type CostModelDraft,
  costModelBodySchema,
  costModelDraftSchema,
  publishInputSchema,
} from './schemas.js';
import {
  createCostModel,
  draftQuoteWorkbook,
  getCostModel,
  mergePatch,
  pageCostModels,
  quoteCostModel,
  replaceCostModel,
  visibleCostModel,
} from './service.js';

const idParams = z.object({ id: z.uuid({ message: 'must be a UUID' }) });
const finance = { access: { roles: ['admin', 'finance'] as const } };
const QUOTE_FORMATS = ['application/json', 'text/csv', XLSX] as const;
const DRAFT_FORMATS = ['application/json', XLSX] as const;
const ifMatch = z.object({
  'if-match': z.string().optional().describe('The ETag of the draft as you read it'),
});

function sendDraft(reply: FastifyReply, draft: CostModelDraft, status = 200) {
  return reply.code(status).header('etag', versionTag(draft.version)).send(draft);
}

// What a change of a draft (PUT or PATCH, both under If-Match) may answer.
const draftChangeResponses = {
  200: costModelDraftSchema,
  404: problemSchema,
  412: problemSchema,
  422: problemSchema,
  428: problemSchema,
};

export const costModelRoutes: FastifyPluginAsyncZod = async (app) => {
  /** PUT and PATCH alike: the caller's If-Match must name the current version. */
  async function changeDraft(
    request: FastifyRequest,
    reply: FastifyReply,
    id: string,
    submitted: Parameters<typeof replaceCostModel>[1]['submitted'],
  ) {
    const ctx = contextOf(app, request);
    const current = await visibleCostModel(ctx, id);
    const expectedVersion = requireIfMatch(request, current.version);
    return sendDraft(reply, await replaceCostModel(ctx, { id, expectedVersion, submitted }));
  }

  // A cost model may come as a workbook (docs/workbooks.md): read into its document before validation.
  acceptWorkbookBodies(app);

  // RFC 7396 merge patches are JSON too.
  app.addContentTypeParser(
    'application/merge-patch+json',
    { parseAs: 'string' },
    app.getDefaultJsonParser('error', 'error'),
  );

  app.post(
    '/v1/homes/:id/cost-models',
    {
      config: finance,
      preValidation: workbookBody,
      schema: {
        operationId: 'createCostModel',
        tags: ['cost-models'],
        summary: 'Start a draft cost model for a home and period',
        description:
          'The body is the cost model as JSON, or a filled cost model workbook (the template at GET /v1/cost-models/template.xlsx) with the XLSX content type: a problem then names each cell at fault (`cell`, e.g. `Staffing!F3`) beside its JSON pointer (docs/workbooks.md).',
        params: idParams,
        body: costModelBodySchema,
        response: { 201: costModelDraftSchema, 404: problemSchema, 422: problemSchema },
      },
    },
    async (request, reply) => {
      const draft = await createCostModel(contextOf(app, request), {
        homeId: request.params.id,
        document: request.body,
      });
      reply.header('location', `/v1/cost-models/${draft.id}`);
      return sendDraft(reply, draft, 201);
    },
  );

  app.get(
    '/v1/cost-models',
    {
      config: finance,
      schema: {
        operationId: 'listCostModels',
        tags: ['cost-models'],
        summary: 'List draft cost models',
        querystring: z.object({
          organisationId: z.uuid().optional(),
          homeId: z.uuid().optional(),
          period: isoDate.optional().describe('The period start, e.g. 2026-04-01'),
          ...pageQuery,
        }),
        response: { 200: page(costModelDraftSchema) },
      },
    },
    async (request) =>
      pageCostModels(contextOf(app, request), {
        ...request.query,
        periodStart: request.query.period,
      }),
  );

  app.get(
    '/v1/cost-models/template.xlsx',
    {
      config: finance,
      schema: {
        operationId: 'costModelTemplate',
        tags: ['cost-models'],
        summary: 'The blank cost model workbook, to fill in and send as a draft',
        description:
          'Every sheet and field of the cost model (method §1) with notes and drop-down lists; send it filled to POST /v1/homes/{id}/cost-models (docs/workbooks.md).',
        response: { 200: { description: 'The template', content: { [XLSX]: { schema: z.string() } } } },
      },
    },
    async (_request, reply) =>
      (reply as FastifyReply)
        .type(XLSX)
        .header('content-disposition', attachment('cost-model-template.xlsx'))
        .header('cache-control', 'public, max-age=3600')
        .send(await costModelTemplate()),
  );

  app.get(
    '/v1/cost-models/:id',
    {
      config: finance,
      schema: {
        operationId: 'getCostModel',
        tags: ['cost-models'],
        summary: 'One draft, with its ETag',
        description:
          'As JSON, or with the XLSX media type (or `?format=xlsx`) as the cost model workbook to fill in and send back with PUT and If-Match (docs/workbooks.md).',
        params: idParams,
        querystring: z.object({ format: formatParameter(DRAFT_FORMATS) }),
        response: {
          200: {
            description: 'The draft',
            content: {
              'application/json': { schema: costModelDraftSchema },
              [XLSX]: { schema: z.string().describe('The cost model workbook') },
            },
          },
          404: problemSchema,
        },
      },
    },
    async (request, reply) => {
      const format = negotiate(request.headers.accept, DRAFT_FORMATS, request.query.format);
      const draft = await getCostModel(contextOf(app, request), request.params.id);
      if (format === XLSX) {
        return (reply as FastifyReply)
          .header('etag', versionTag(draft.version))
          .type(XLSX)
          .header('content-disposition', attachment(`draft-${draft.id.slice(0, 8)}-v${draft.version}.xlsx`))
          .send(await draftWorkbook(draft));
      }
      return sendDraft(reply, draft);
    },
  );

  app.put(
    '/v1/cost-models/:id',
    {
      config: finance,
      preValidation: workbookBody,
      schema: {
        operationId: 'replaceCostModel',
        tags: ['cost-models'],
        summary: 'Replace a draft (If-Match required)',
        description:
          'Send the ETag you read as If-Match: 428 without it, 412 when someone changed the draft since. The body is the cost model as JSON, or the filled cost model workbook (GET /v1/cost-models/{id} as XLSX) with the XLSX content type; a problem then names each cell at fault beside its JSON pointer (docs/workbooks.md).',
        params: idParams,
        headers: ifMatch,
        body: costModelBodySchema,
        response: draftChangeResponses,
      },
    },
    async (request, reply) => changeDraft(request, reply, request.params.id, request.body),
  );

  app.patch(
    '/v1/cost-models/:id',
    {
      config: finance,
      schema: {
        operationId: 'patchCostModel',
        tags: ['cost-models'],
        summary: 'Change part of a draft (JSON merge patch, If-Match required)',
        description:
          'An RFC 7396 merge patch of the document (`application/merge-patch+json` or `application/json`); arrays are replaced whole.',
        params: idParams,
        headers: ifMatch,
        body: costModelBodySchema,
        response: draftChangeResponses,
      },
    },
    async (request, reply) =>
      changeDraft(
        request,
        reply,
        request.params.id,
        (document) => mergePatch(document, request.body) as Record<string, unknown>,
      ),
  );

  app.get(
    '/v1/cost-models/:id/quote',
    {
      config: finance,
      schema: {
        operationId: 'quoteCostModel',
        tags: ['cost-models'],
        summary: 'Price a draft without publishing it',
        description:
          'As JSON, or CSV with `Accept: text/csv` (or `?format=csv`), or the live workbook with the XLSX media type (or `?format=xlsx`): the draft on input sheets and every figure worked out by formulas (docs/workbooks.md).',
        params: idParams,
        querystring: z.object({ format: formatParameter(QUOTE_FORMATS) }),
        response: {
          200: {
            description: 'The breakdown of the draft as it is now',
            content: {
              'application/json': { schema: breakdownSchema },
              'text/csv': { schema: z.string() },
              [XLSX]: { schema: z.string().describe('The live workbook') },
            },
          },
          404: problemSchema,
        },
      },
    },
    async (request, reply) => {
      const format = negotiate(request.headers.accept, QUOTE_FORMATS, request.query.format);
      if (format === XLSX) {
        const workbook = await draftQuoteWorkbook(contextOf(app, request), request.params.id);
        return (reply as FastifyReply)
          .header('etag', versionTag(workbook.version))
          .type(XLSX)
          .header('content-disposition', attachment(workbook.filename))
          .send(workbook.body);
      }
      const { version, breakdown } = await quoteCostModel(contextOf(app, request), request.params.id);
      reply.header('etag', versionTag(version));
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

  app.post(
    '/v1/cost-models/:id/publish',
    {
      config: finance,
      schema: {
        operationId: 'publishCostModel',
        tags: ['cost-models'],
        summary: 'Publish a draft as an immutable fee schedule',
        description:
          'Needs an `Idempotency-Key` header: a retry with the same key and body returns the same schedule (200, `Idempotent-Replayed: true`); the same key with another body is a 422. Each publish gets the next version for the home and period.',
        params: idParams,
        headers: z.object({
          'idempotency-key': z.string().optional().describe('Unique to this publish: 8–200 characters'),
        }),
        body: publishInputSchema,
        response: {
          200: feeScheduleSchema,
          201: feeScheduleSchema,
          404: problemSchema,
          412: problemSchema,
          422: problemSchema,
        },
      },
    },
    async (request, reply) => {
      const { schedule, replayed } = await publish(contextOf(app, request), {
        costModelId: request.params.id,
        idempotencyKey: idempotencyKeyOf(request),
        input: request.body,
        signingKey: app.signingKey,
      });
      reply.header('location', `/v1/fee-schedules/${schedule.id}`);
      if (replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(replayed ? 200 : 201).send(schedule);
    },
  );
};
