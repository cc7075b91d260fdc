import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { attachment } from '../../formats/download.js';
import { contextOf } from '../../http/context.js';
import { isoDate } from '../../http/dates.js';
import { formatParameter, negotiate, XLSX } from '../../http/negotiate.js';
import { problemSchema } from '../../http/problem.js';
import { statementCsv, statementXlsx } from './export.js';
import { statementSchema } from './schemas.js';
import { councilStatement, homeOccupancy } from './service.js';

const DOCUMENT_FORMATS = ['application/json', 'text/csv', XLSX] as const;
const range = z.object({ from: isoDate, to: isoDate });

export const statementRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/v1/councils/:code/statements',
    {
      config: { access: { roles: ['admin', 'finance', 'commissioner'] } },
      schema: {
        operationId: 'getCouncilStatement',
        tags: ['placements'],
        summary: "A council's statement of charges for a date range",
        description:
          'Per placement and per home: days, the fee schedule versions and weekly fees in force, enhancement charges, totals that add up to the penny. JSON, CSV (`Accept: text/csv` or `?format=csv`) or XLSX (`Accept: ' +
          XLSX +
          "` or `?format=xlsx`). A commissioner sees its own councils only; finance sees its organisation's homes.",
        params: z.object({ code: z.string().max(9) }),
        querystring: range.extend({ format: formatParameter(DOCUMENT_FORMATS) }),
        response: {
          200: {
            description: 'The statement',
            content: {
              'application/json': { schema: statementSchema },
              'text/csv': { schema: z.string() },
              [XLSX]: { schema: z.string().describe('An XLSX workbook') },
            },
          },
          404: problemSchema,
          422: problemSchema,
        },
      },
    },
    async (request, reply) => {
      const format = negotiate(request.headers.accept, DOCUMENT_FORMATS, request.query.format);
      const { from, to } = request.query;
      const statement = await councilStatement(contextOf(app, request), {
        councilCode: request.params.code,
        from,
        to,
      });
      const filename = `statement-${statement.council.onsCode}-${from}-${to}`;
      if (format === 'text/csv') {
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', attachment(`${filename}.csv`))
          .send(statementCsv(statement));
      }
      if (format === XLSX) {
        const body = await statementXlsx(statement);
        return (reply as FastifyReply)
          .type(XLSX)
          .header('content-disposition', attachment(`${filename}.xlsx`))
          .send(body);
      }
      return statement;
    },
  );

  app.get(
    '/v1/homes/:id/occupancy',
    {
      config: { access: { roles: ['admin', 'finance', 'regulator'] } },
      schema: {
        operationId: 'getHomeOccupancy',
        tags: ['placements'],
        summary: 'Occupancy achieved, beside the occupancy the fee planned for',
        description:
          'Occupied days ÷ (registered places × days), from the placements recorded; planned occupancy from the fee schedule in force on `to`.',
        params: z.object({ id: z.uuid() }),
        querystring: range,
        response: {
          200: z.object({
            homeId: z.string(),
            from: z.string(),
            to: z.string(),
            registeredPlaces: z.number().int(),
            days: z.number().int(),
            placeDays: z.number().int(),
            occupiedDays: z.number().int(),
            occupancy: z.string(),
            plannedOccupancy: z.string().nullable(),
          }),
          404: problemSchema,
        },
      },
    },
    async (request) =>
      homeOccupancy(contextOf(app, request), { homeId: request.params.id, ...request.query }),
  );
};
