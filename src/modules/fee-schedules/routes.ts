import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { breakdownRows, feeChangeSchema } from '../../domain/pricing/index.js';
import { toCsv } from '../../formats/csv.js';
import { attachment } from '../../formats/download.js';
import { notModified } from '../../http/conditional.js';
import { publicContextOf } from '../../http/context.js';
import { isoDate } from '../../http/dates.js';
import { formatParameter, negotiate, XLSX } from '../../http/negotiate.js';
import { page, pageQuery } from '../../http/paging.js';
import { problemSchema } from '../../http/problem.js';
import { feeScheduleSchema, feeScheduleSummarySchema } from './schemas.js';
import {
  compareSchedules,
  currentSchedule,
  pageHomeSchedules,
  pageSchedules,
  ScheduleCache,
  type ScheduleReader,
  scheduleWorkbook,
  visibleSchedule,
} from './service.js';

const idParams = z.object({ id: z.uuid({ message: 'must be a UUID' }) });
const published = { access: { transparency: true } } as const;
const SCHEDULE_FORMATS = ['application/json', 'text/csv', XLSX] as const;
const listQuery = {
  organisationId: z.uuid().optional(),
  period: isoDate.optional().describe('The period start, e.g. 2026-04-01'),
  status: z.enum(['current', 'superseded', 'scheduled']).optional(),
  ...pageQuery,
};

export const feeScheduleRoutes: FastifyPluginAsyncZod = async (app) => {
  const cache = new ScheduleCache();
  // published figures: the caller's key is optional, and scopes what a finance key sees
  const readerOf = (request: FastifyRequest): ScheduleReader => ({
    ...publicContextOf(app, request),
    principal: request.principal,
  });

  app.get(
    '/v1/fee-schedules',
    {
      config: published,
      schema: {
        operationId: 'listFeeSchedules',
        tags: ['fee-schedules'],
        summary: 'Published fee schedules',
        description: 'Newest effectiveFrom first; filter by organisation, home, period and status.',
        querystring: z.object({ ...listQuery, homeId: z.uuid().optional() }),
        response: { 200: page(feeScheduleSummarySchema) },
      },
    },
    async (request) =>
      pageSchedules(readerOf(request), { ...request.query, periodStart: request.query.period }),
  );

  app.get(
    '/v1/fee-schedules/:id',
    {
      config: published,
      schema: {
        operationId: 'getFeeSchedule',
        tags: ['fee-schedules'],
        summary: 'One published fee schedule: the frozen model and its breakdown',
        description:
          "Immutable: served with a strong ETag (304 on If-None-Match). `Accept: text/csv` gives the breakdown's lines as CSV; the XLSX media type (or `?format=xlsx`) gives the live workbook: the frozen model on input sheets, every figure worked out by spreadsheet formulas, and the schedule's hash on its About sheet (docs/workbooks.md).",
        params: idParams,
        querystring: z.object({ format: formatParameter(SCHEDULE_FORMATS) }),
        response: {
          200: {
            description: 'The fee schedule',
            content: {
              'application/json': { schema: feeScheduleSchema },
              'text/csv': { schema: z.string() },
              [XLSX]: { schema: z.string().describe('The live workbook') },
            },
          },
          304: z.null().describe('Not modified'),
          404: problemSchema,
        },
      },
    },
    async (request, reply) => {
      const format = negotiate(request.headers.accept, SCHEDULE_FORMATS, request.query.format);
      const served = await visibleSchedule(readerOf(request), cache, request.params.id);
      const etag =
        format === 'application/json'
          ? served.etag
          : `${served.etag.slice(0, -1)}-${format === XLSX ? 'xlsx' : 'csv'}"`;
      reply
        .header('etag', etag)
        .header('cache-control', 'public, max-age=300')
        .header('vary', 'accept, authorization');
      // no payload at all: a 304 has no body (`null` would be sent as 4 bytes)
      if (notModified(request, etag)) return (reply as FastifyReply).code(304).send();
      if (format === XLSX) {
        const workbook = await scheduleWorkbook(readerOf(request), served);
        return (reply as FastifyReply)
          .type(XLSX)
          .header('content-disposition', attachment(workbook.filename))
          .send(workbook.body);
      }
      if (format === 'text/csv') {
        const { schedule } = served;
        return reply
          .type('text/csv; charset=utf-8')
          .header(
            'content-disposition',
            attachment(
              `fee-schedule-${schedule.homeId.slice(0, 8)}-${schedule.period.label}-v${schedule.version}.csv`,
            ),
          )
          .send(toCsv(breakdownRows(schedule.breakdown)));
      }
      return reply.type('application/json; charset=utf-8').send(served.body as unknown as string);
    },
  );

  app.get(
    '/v1/fee-schedules/:id/changes',
    {
      config: published,
      schema: {
        operationId: 'getFeeScheduleChanges',
        tags: ['fee-schedules'],
        summary: 'Why the fee changed: line by line, and the inputs that moved',
        description:
          'Compares this schedule with `from` (by default the one published for the same home just before it). The effects of the inputs that moved add up to the whole change in the weekly fee.',
        params: idParams,
        querystring: z.object({ from: z.uuid().optional().describe('The schedule to compare with') }),
        response: {
          200: feeChangeSchema.extend({ fromScheduleId: z.uuid(), toScheduleId: z.uuid() }),
          404: problemSchema,
        },
      },
    },
    async (request) => {
      const { from, to, change } = await compareSchedules(
        cache,
        app.database,
        request.principal,
        request.params.id,
        request.query.from,
      );
      return { fromScheduleId: from.id, toScheduleId: to.id, ...change };
    },
  );

  app.get(
    '/v1/homes/:id/fee-schedules',
    {
      config: published,
      schema: {
        operationId: 'listHomeFeeSchedules',
        tags: ['fee-schedules'],
        summary: "A home's fee schedule history",
        params: idParams,
        querystring: z.object(listQuery),
        response: { 200: page(feeScheduleSummarySchema), 404: problemSchema },
      },
    },
    async (request) =>
      pageHomeSchedules(readerOf(request), request.params.id, {
        ...request.query,
        periodStart: request.query.period,
      }),
  );

  app.get(
    '/v1/homes/:id/fee-schedules/current',
    {
      config: published,
      schema: {
        operationId: 'getCurrentFeeSchedule',
        tags: ['fee-schedules'],
        summary: 'The fee schedule in force for a home on a day',
        description:
          'The schedule with the latest effectiveFrom on or before `on` (today in England by default); of two with the same day, the later published.',
        params: idParams,
        querystring: z.object({ on: isoDate.optional() }),
        response: { 200: feeScheduleSchema, 404: problemSchema },
      },
    },
    async (request) =>
      currentSchedule(readerOf(request), { homeId: request.params.id, on: request.query.on }),
  );
};
