import type { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { invalidField } from '../../core/errors.js';
import { contextOf } from '../../http/context.js';
import { isoMonth } from '../../http/dates.js';
import { idempotencyKeyOf } from '../../http/idempotency.js';
import { requestLifetime } from '../../http/lifetime.js';
import { problemSchema } from '../../http/problem.js';
import { findUnstorable } from '../../http/validation.js';
import { MAX_ROWS, type RawRow } from './importer.js';
import {
  type ActualsInput,
  actualsForMonth,
  getNominalCodeMapping,
  importActuals,
  MAX_CSV_BYTES,
  replaceNominalCodeMapping,
} from './service.js';

const finance = { access: { roles: ['admin', 'finance'] as const } };
const summarySchema = z
  .object({
    homeId: z.uuid(),
    batchId: z.uuid(),
    replayed: z.boolean(),
    months: z.array(
      z.object({
        month: z.string(),
        version: z.number().int(),
        rows: z.number().int(),
        nil: z.boolean().describe('Imported as a month with no spending (a `NIL` row)'),
      }),
    ),
  })
  .meta({ id: 'ActualsImport' });
const mappingSchema = z.object({
  mappings: z
    .array(z.strictObject({ nominalCode: z.string().trim().min(1).max(50), code: z.string().min(1).max(50) }))
    .max(2000),
});

export const actualsRoutes: FastifyPluginAsyncZod = async (app) => {
  // A CSV body is handed on as a stream and parsed row by row: never held whole.
  app.addContentTypeParser(['text/csv', 'application/csv'], (_request, payload, done) => done(null, payload));

  app.put(
    '/v1/organisations/:id/nominal-codes',
    {
      config: finance,
      schema: {
        operationId: 'putNominalCodes',
        tags: ['actuals'],
        summary: "Map the provider's own nominal codes to the method's codes",
        description: 'Replaces the whole mapping. Imports may then give `nominal_code` instead of `code`.',
        params: z.object({ id: z.uuid() }),
        body: mappingSchema,
        response: { 200: mappingSchema, 404: problemSchema, 422: problemSchema },
      },
    },
    async (request) =>
      replaceNominalCodeMapping(contextOf(app, request), {
        organisationId: request.params.id,
        mappings: request.body.mappings,
      }),
  );

  app.get(
    '/v1/organisations/:id/nominal-codes',
    {
      config: finance,
      schema: {
        operationId: 'getNominalCodes',
        tags: ['actuals'],
        summary: 'The nominal code mapping',
        params: z.object({ id: z.uuid() }),
        response: { 200: mappingSchema, 404: problemSchema },
      },
    },
    async (request) => getNominalCodeMapping(contextOf(app, request), request.params.id),
  );

  app.post(
    '/v1/homes/:id/actuals',
    {
      config: finance,
      // A 100,000-row file is read as it arrives, then written in slices: EXPORT_TIMEOUT_MS bounds it all.
      handlerTimeout: app.config.EXPORT_TIMEOUT_MS,
      schema: {
        operationId: 'importActuals',
        tags: ['actuals'],
        summary: "Import a home's actual spending (JSON or CSV), all or nothing",
        description: [
          `Up to ${MAX_ROWS} rows. JSON (within the service's body limit, 1 MiB by default, about 10,000 rows: send larger imports as CSV): \`{"rows": [{"month": "2026-04", "code": "PROPERTY_LEASE", "amount": "2400.00", "description": "…", "relatedParty": "jpl"}]}\`.`,
          `CSV (\`Content-Type: text/csv\`, streamed, at most ${MAX_CSV_BYTES / 1024 / 1024} MiB): a header row \`month,code,amount,description\` (or \`nominal_code\` in place of \`code\`, mapped by the organisation's nominal codes), and optionally \`related_party\`, comma-separated, UTF-8; amounts with at most 2 decimal places.`,
          "A row paying a related party (method §7) names it by its reference in the organisation's register (`relatedParty` in JSON, the column `related_party` in CSV; empty for none): a reference the register does not have, or a party the register does not have as related in any day of the row's month, is refused at that row. The year-end settlement tests what each home paid each party, by code, against the market amounts of its fee schedules.",
          'A month with no spending is imported as a nil month: one row with code `NIL` and an empty or zero amount (`{"month": "2026-05", "code": "NIL"}`, or `2026-05,NIL,0,` in CSV), and no other row for that month. The year-end settlement needs every month of every home imported (method §7).',
          'Each month in the import becomes a new version of that month; earlier versions are kept. Needs an `Idempotency-Key`. A refused import lists each bad row and column as `/rows/N/column` (N from 1; 0 is the header) and stores nothing.',
          'The whole file is read and checked before anything is written, then written in short steps and shown at once when the last has been written: an upload cut off by its client stores nothing (400), and one that takes longer than the export time limit is stopped (503).',
        ].join('\n\n'),
        params: z.object({ id: z.uuid() }),
        headers: z.object({ 'idempotency-key': z.string().optional() }),
        response: { 200: summarySchema, 201: summarySchema, 404: problemSchema, 422: problemSchema },
      },
    },
    async (request, reply) => {
      const key = idempotencyKeyOf(request);
      const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      let input: ActualsInput;
      if (type === 'text/csv' || type === 'application/csv') {
        input = { kind: 'csv', stream: request.body as Readable };
      } else {
        const body = request.body as { rows?: unknown } | undefined;
        if (!body || !Array.isArray(body.rows)) throw invalidField('/rows', 'must be an array of rows');
        // No schema reads this body: the checks a schema's validation makes of every other body.
        const unstorable = findUnstorable(body);
        if (unstorable) throw invalidField(unstorable.pointer, unstorable.message);
        // the rows as the client sent them: the checker reads each field as unknown
        input = { kind: 'json', rows: body.rows as RawRow[] };
      }
      const summary = await importActuals(contextOf(app, request), {
        homeId: request.params.id,
        idempotencyKey: key,
        input,
        signal: requestLifetime(reply, app.config.EXPORT_TIMEOUT_MS, 'The import'),
      });
      return reply.code(summary.replayed ? 200 : 201).send(summary);
    },
  );

  app.get(
    '/v1/homes/:id/actuals',
    {
      config: { access: { roles: ['admin', 'finance', 'regulator'] } },
      schema: {
        operationId: 'getActuals',
        tags: ['actuals'],
        summary: "A home's actual spending for a month (the latest version), by code",
        params: z.object({ id: z.uuid() }),
        querystring: z.object({
          month: isoMonth,
        }),
        response: {
          200: z.object({
            homeId: z.uuid(),
            month: z.string(),
            version: z.number().int(),
            importedAt: z.string(),
            importedBy: z.string(),
            total: z.string(),
            nil: z.boolean().describe('The month was imported as having no spending'),
            byCode: z.array(z.object({ code: z.string(), amount: z.string() })),
            byRelatedParty: z
              .array(z.object({ relatedParty: z.string(), code: z.string(), amount: z.string() }))
              .describe(
                'Of byCode, what the rows naming a related party (its register reference) paid it, by party and code (method §7); empty when no row names one',
              ),
          }),
          404: problemSchema,
        },
      },
    },
    async (request) =>
      actualsForMonth(contextOf(app, request), { homeId: request.params.id, month: request.query.month }),
  );
};
