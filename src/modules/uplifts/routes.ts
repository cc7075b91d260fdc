import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { attachment } from '../../formats/download.js';
import { contextOf, publicContextOf } from '../../http/context.js';
import { isoDate } from '../../http/dates.js';
import { formatParameter, negotiate } from '../../http/negotiate.js';
import { page, pageQuery } from '../../http/paging.js';
import { problemSchema } from '../../http/problem.js';
import { renderNotice } from '../../web/notice-page.js';
import { noticeCsv } from './export.js';
import {
  formulaRecordSchema,
  indexValueInputSchema,
  indexValueSchema,
  noticeSchema,
  noticeSummarySchema,
  upliftFormulaSchema,
} from './schemas.js';
import {
  acknowledgeNotice,
  councilFormula,
  councilUplift,
  getNotice,
  listIndexValues,
  pageNotices,
  recordIndexValue,
  setCouncilFormula,
} from './service.js';

const NOTICE_FORMATS = ['application/json', 'text/csv', 'text/html'] as const;
const councilParams = z.object({ code: z.string().max(9) });

export const upliftRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/v1/indices',
    {
      config: { access: { public: true } },
      schema: {
        operationId: 'listIndexValues',
        tags: ['uplifts'],
        summary: 'The index figures framework uplifts are worked out from',
        description:
          'The statutory National Living Wage history (shipped with the service, fixtures/indices) and the CPI and Real Living Wage figures an admin has recorded, each with its source.',
        querystring: z.object({ series: z.enum(['NLW', 'RLW', 'CPI']).optional() }),
        response: { 200: z.object({ items: z.array(indexValueSchema) }) },
      },
    },
    async (request) => listIndexValues(publicContextOf(app, request), request.query.series),
  );

  app.post(
    '/v1/indices/:series',
    {
      config: { access: { roles: ['admin'] } },
      schema: {
        operationId: 'recordIndexValue',
        tags: ['uplifts'],
        summary: 'Record a CPI or Real Living Wage figure, with its source',
        description:
          'Figures are never changed: the same figure again answers 200, another value for the same series and date 409. The NLW is statutory and ships with the service.',
        params: z.object({ series: z.enum(['RLW', 'CPI']) }),
        body: indexValueInputSchema,
        response: {
          200: indexValueSchema.omit({ statutory: true, recordedBy: true, recordedAt: true }),
          201: indexValueSchema.omit({ statutory: true, recordedBy: true, recordedAt: true }),
          409: problemSchema,
          422: problemSchema,
        },
      },
    },
    async (request, reply) => {
      const { created, value } = await recordIndexValue(
        contextOf(app, request),
        request.params.series,
        request.body,
      );
      return reply.code(created ? 201 : 200).send(value);
    },
  );

  app.get(
    '/v1/councils/:code/uplift-formula',
    {
      config: { access: { roles: ['admin', 'finance', 'commissioner', 'regulator'] } },
      schema: {
        operationId: 'getUpliftFormula',
        tags: ['uplifts'],
        summary: "A council's framework uplift formula, and its earlier versions",
        description: 'A commissioner reads its own councils’ only.',
        params: councilParams,
        response: {
          200: z.object({ current: formulaRecordSchema, history: z.array(formulaRecordSchema) }),
          404: problemSchema,
        },
      },
    },
    async (request) => councilFormula(contextOf(app, request), request.params.code),
  );

  app.put(
    '/v1/councils/:code/uplift-formula',
    {
      config: { access: { roles: ['admin', 'commissioner'] } },
      schema: {
        operationId: 'setUpliftFormula',
        tags: ['uplifts'],
        summary: "Record a new version of a council's framework uplift formula",
        description:
          "An admin or the council's own commissioner (audited). A weighted sum of index changes (NLW, RLW, CPI or a fixed rate), optional 'lower of' alternatives, a floor, a cap, a review clause, the notice period and the anniversary. `expectedVersion` (0 when none is recorded) guards against overwriting a change you have not seen (409).",
        params: councilParams,
        body: z.strictObject({
          formula: upliftFormulaSchema,
          expectedVersion: z.number().int().min(0).optional(),
        }),
        response: { 200: formulaRecordSchema, 404: problemSchema, 409: problemSchema, 422: problemSchema },
      },
    },
    async (request) => setCouncilFormula(contextOf(app, request), request.params.code, request.body),
  );

  app.get(
    '/v1/councils/:code/uplift',
    {
      config: { access: { roles: ['admin', 'finance', 'commissioner', 'regulator'] } },
      schema: {
        operationId: 'getFrameworkUplift',
        tags: ['uplifts'],
        summary: "The council's framework uplift as at a day, worked out",
        description:
          'Each term with the index figures used (their sources and dates), the lower-of rule, floor and cap, and the rate; the figures missing, if any.',
        params: councilParams,
        querystring: z.object({ on: isoDate }),
        response: {
          200: z.object({ councilCode: z.string(), formulaVersion: z.number().int(), uplift: z.unknown() }),
        },
      },
    },
    async (request) => councilUplift(contextOf(app, request), request.params.code, request.query.on),
  );

  app.get(
    '/v1/uplift-notices',
    {
      config: { access: { roles: ['admin', 'finance', 'commissioner', 'regulator'] } },
      schema: {
        operationId: 'listUpliftNotices',
        tags: ['uplifts'],
        summary: 'Uplift notices, newest first',
        description:
          "A commissioner sees its councils' notices; finance its organisation's (`status=outstanding`: those no council has acknowledged yet); admin and the regulator all.",
        querystring: z.object({
          councilCode: z.string().max(9).optional(),
          homeId: z.uuid().optional(),
          status: z.enum(['outstanding', 'acknowledged']).optional(),
          ...pageQuery,
        }),
        response: { 200: page(noticeSummarySchema) },
      },
    },
    async (request) => {
      const result = await pageNotices(contextOf(app, request), request.query);
      return { items: result.items.map((item) => item.summary), nextCursor: result.nextCursor };
    },
  );

  app.get(
    '/v1/uplift-notices/:id',
    {
      config: { access: { roles: ['admin', 'finance', 'commissioner', 'regulator'] } },
      schema: {
        operationId: 'getUpliftNotice',
        tags: ['uplifts'],
        summary: 'An uplift notice as signed: JSON, CSV or a printable page',
        description:
          'JSON (the signed notice, its hash, signature and key, and its acknowledgement), CSV (`Accept: text/csv` or `?format=csv`) or a printable page (`Accept: text/html` or `?format=html`).',
        params: z.object({ id: z.uuid() }),
        querystring: z.object({ format: formatParameter([...NOTICE_FORMATS]) }),
        response: {
          200: {
            description: 'The notice',
            content: {
              'application/json': { schema: noticeSchema },
              'text/csv': { schema: z.string() },
              'text/html': { schema: z.string() },
            },
          },
          404: problemSchema,
        },
      },
    },
    async (request, reply) => {
      const format = negotiate(request.headers.accept, NOTICE_FORMATS, request.query.format);
      const served = await getNotice(contextOf(app, request), request.params.id);
      if (format === 'text/csv') {
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', attachment(`uplift-notice-${served.notice.id}.csv`))
          .send(noticeCsv(served.notice, served));
      }
      if (format === 'text/html')
        return reply.type('text/html; charset=utf-8').send(renderNotice(served.notice, served));
      return served;
    },
  );

  app.post(
    '/v1/uplift-notices/:id/acknowledgement',
    {
      config: { access: { roles: ['commissioner'] } },
      schema: {
        operationId: 'acknowledgeUpliftNotice',
        tags: ['uplifts'],
        summary: 'Acknowledge an uplift notice for your council',
        description:
          "The council's commissioner records that it has the notice (who, when; audited). Again: 200 with the first acknowledgement.",
        params: z.object({ id: z.uuid() }),
        body: z.strictObject({ note: z.string().trim().max(500).optional() }),
        response: {
          200: noticeSummarySchema.shape.acknowledged.unwrap(),
          201: noticeSummarySchema.shape.acknowledged.unwrap(),
          404: problemSchema,
        },
      },
    },
    async (request, reply) => {
      const { created, acknowledged } = await acknowledgeNotice(
        contextOf(app, request),
        request.params.id,
        request.body.note,
      );
      return reply.code(created ? 201 : 200).send(acknowledged);
    },
  );
};
