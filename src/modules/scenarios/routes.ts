import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { attachment } from '../../formats/download.js';
import { scenarioWorkbook } from '../../formats/scenario-workbook.js';
import { contextOf } from '../../http/context.js';
import { requestLifetime } from '../../http/lifetime.js';
import { formatParameter, negotiate, XLSX } from '../../http/negotiate.js';
import { problemSchema } from '../../http/problem.js';
import { renderScenarioPage } from '../../web/scenario-page.js';
import { costModelDraftSchema } from '../cost-models/schemas.js';
import { scenarioCsv, scenarioJson } from './export.js';
import {
  savedScenarioSchema,
  saveScenarioSchema,
  scenarioReportSchema,
  scenarioRequestSchema,
  toDraftSchema,
} from './schemas.js';
import {
  collectReport,
  listScenarios,
  runSavedScenario,
  runScenario,
  type ScenarioRun,
  saveScenario,
  scenarioToDraft,
} from './service.js';

const FORMATS = ['application/json', 'text/csv', XLSX, 'text/html'] as const;
type Format = (typeof FORMATS)[number];
const finance = { access: { roles: ['admin', 'finance'] as const } };
const idParams = z.object({ id: z.uuid({ message: 'must be a UUID' }) });
const formatQuery = z.object({ format: formatParameter([...FORMATS]) });

const FORMAT_WORDS =
  'JSON (streamed as the grids are priced), CSV (`Accept: text/csv` or `?format=csv`: the base, the point, then a row per combination), a workbook (`?format=xlsx`: a summary, the sensitivity table and a sheet per grid) or a page for the finance team (`?format=html`, with the sensitivity chart).';

const reportResponse = {
  200: {
    description: 'The scenario priced',
    content: {
      'application/json': { schema: scenarioReportSchema },
      'text/csv': { schema: z.string() },
      [XLSX]: { schema: z.string() },
      'text/html': { schema: z.string() },
    },
  },
  404: problemSchema,
  406: problemSchema,
  422: problemSchema,
};

/** Sends a run in the format asked for: JSON and CSV as they are priced, the workbook and page whole. */
async function sendRun(reply: FastifyReply, run: ScenarioRun, format: Format, name: string) {
  reply.header('cache-control', 'no-store');
  switch (format) {
    case 'text/csv':
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', attachment(`${name}.csv`))
        .send(Readable.from(scenarioCsv(run)));
    case XLSX:
      return reply
        .type(XLSX)
        .header('content-disposition', attachment(`${name}.xlsx`))
        .send(await scenarioWorkbook(await collectReport(run)));
    case 'text/html':
      return reply.type('text/html; charset=utf-8').send(renderScenarioPage(await collectReport(run)));
    default:
      return reply.type('application/json; charset=utf-8').send(Readable.from(scenarioJson(run)));
  }
}

export const scenarioRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/v1/scenarios',
    {
      config: finance,
      schema: {
        operationId: 'runScenario',
        tags: ['scenarios'],
        summary: 'What if: price a base with levers moved, over grids of combinations',
        description: [
          'Prices a base (a cost model sent inline, a draft, or a published schedule of your organisation) with `changes` applied, over `grids` of combinations (at most 10,000 in all: more is a 422 naming the count), by the same engine and method as a quote. Nothing is stored, signed or chained.',
          '',
          'Gives the base and the point (the base with the changes), the exact break-even occupancy at `breakEven.weeklyFee` (default: the base’s own fee), the sensitivity of the fee to each lever at ±5% and ±10% (widest swing first) and each grid’s rows. The rule: docs/scenarios.md.',
          '',
          FORMAT_WORDS,
        ].join('\n'),
        querystring: formatQuery,
        body: scenarioRequestSchema,
        response: reportResponse,
      },
    },
    async (request, reply) => {
      const format = negotiate(request.headers.accept, FORMATS, request.query.format);
      const { base, ...spec } = request.body;
      const signal = requestLifetime(reply, app.config.REQUEST_TIMEOUT_MS, 'The scenario');
      const run = await runScenario(contextOf(app, request), { base, spec }, signal);
      return sendRun(reply, run, format, 'scenario');
    },
  );

  app.post(
    '/v1/cost-models/:id/scenarios',
    {
      config: finance,
      schema: {
        operationId: 'saveScenario',
        tags: ['scenarios'],
        summary: 'Save a named scenario on a draft, for later',
        description:
          'Saves the changes, grids and break-even fee under a name (checked against the draft now: the same 422s as POST /v1/scenarios). The figures are never stored: reading the scenario prices it against the draft as it is then. Audited; a saved scenario is never changed.',
        params: idParams,
        body: saveScenarioSchema,
        response: { 201: savedScenarioSchema, 404: problemSchema, 422: problemSchema },
      },
    },
    async (request, reply) => {
      const { name, ...spec } = request.body;
      const saved = await saveScenario(contextOf(app, request), request.params.id, { name, spec });
      return reply.code(201).header('location', `/v1/scenarios/${saved.id}`).send(saved);
    },
  );

  app.get(
    '/v1/cost-models/:id/scenarios',
    {
      config: finance,
      schema: {
        operationId: 'listScenarios',
        tags: ['scenarios'],
        summary: "A draft's saved scenarios",
        params: idParams,
        response: { 200: z.object({ items: z.array(savedScenarioSchema) }), 404: problemSchema },
      },
    },
    async (request) => ({ items: await listScenarios(contextOf(app, request), request.params.id) }),
  );

  app.get(
    '/v1/scenarios/:id',
    {
      config: finance,
      schema: {
        operationId: 'getScenario',
        tags: ['scenarios'],
        summary: 'A saved scenario, priced against its draft as it is now',
        description: `\`scenario.savedAgainstVersion\` and \`base.version\` differ when the draft has changed since it was saved. ${FORMAT_WORDS}`,
        params: idParams,
        querystring: formatQuery,
        response: reportResponse,
      },
    },
    async (request, reply) => {
      const format = negotiate(request.headers.accept, FORMATS, request.query.format);
      const signal = requestLifetime(reply, app.config.REQUEST_TIMEOUT_MS, 'The scenario');
      const run = await runSavedScenario(contextOf(app, request), request.params.id, signal);
      return sendRun(reply, run, format, `scenario-${request.params.id}`);
    },
  );

  app.post(
    '/v1/scenarios/:id/draft',
    {
      config: finance,
      schema: {
        operationId: 'scenarioToDraft',
        tags: ['scenarios'],
        summary: 'Turn a saved scenario into a new draft',
        description:
          "A new draft for the same home and period: the scenario's draft as it is now with its changes applied, and, given `grid` and `combination`, that combination too. A draft taking its central block from the pool keeps doing so. Nothing else changes.",
        params: idParams,
        body: toDraftSchema,
        response: { 201: costModelDraftSchema, 404: problemSchema, 422: problemSchema },
      },
    },
    async (request, reply) => {
      const draft = await scenarioToDraft(contextOf(app, request), request.params.id, request.body ?? {});
      return reply.code(201).header('location', `/v1/cost-models/${draft.id}`).send(draft);
    },
  );
};
