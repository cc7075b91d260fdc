import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../../core/principal.js';
import { breakdownSchema, costModelSchema } from '../../domain/pricing/index.js';
import { formatParameter, negotiate, XLSX } from '../../http/negotiate.js';
import { problemSchema } from '../../http/problem.js';
import { projectPath } from '../../paths.js';
import { QUOTE_CACHE_MAX_BODY_BYTES, type QuoteAnswer, QuoteCache } from './cache.js';
import { quote, quoteAnswer, quoteWorkbook } from './service.js';

const formats = ['application/json', 'text/csv', XLSX] as const;
const formatQuery = z.object({ format: formatParameter(formats) });

declare module 'fastify' {
  interface FastifyRequest {
    quoteCacheKey?: string;
  }
}

export const quoteRoutes: FastifyPluginAsyncZod = async (app) => {
  const cache = new QuoteCache();

  // A repeated quote (same body, same format) is answered from the cache before the body is parsed
  // (kept from its second request: src/modules/quotes/cache.ts).
  // Only bodies with a declared length within the cache's limit are considered; others stream on as usual.
  app.addHook('preParsing', async (request, reply, payload) => {
    const length = Number(request.headers['content-length']);
    const isJson = /^application\/json\s*(;|$)/i.test(request.headers['content-type'] ?? '');
    if (
      !isJson ||
      !(length > 0 && length <= Math.min(QUOTE_CACHE_MAX_BODY_BYTES, app.config.BODY_LIMIT_BYTES))
    ) {
      return payload;
    }
    // the query is validated after this hook: one that would be refused never meets the cache
    const query = formatQuery.safeParse(request.query);
    if (!query.success) return payload;
    const format = negotiate(request.headers.accept, formats, query.data.format);
    // a workbook is built afresh: only the JSON and CSV answers are kept
    if (format === XLSX) return payload;
    const raw = await readUpTo(payload, length);
    const key = QuoteCache.key(format, raw);
    const hit = cache.get(key);
    if (hit) return sendQuote(reply, hit, 'hit');
    if (cache.admits(key)) request.quoteCacheKey = key;
    // Hand the bytes on; Fastify checks their length against Content-Length and the body limit.
    return Object.assign(Readable.from([raw]), { receivedEncodedLength: raw.length });
  });

  app.post(
    '/v1/quotes',
    {
      config: { access: { roles: ROLES } },
      schema: {
        operationId: 'createQuote',
        tags: ['pricing'],
        querystring: formatQuery,
        summary: 'Price a cost model',
        description: [
          'Prices a cost model by the published cost-plus method (docs/pricing.md) and returns the line-item breakdown. Nothing is stored.',
          '',
          'Send `Accept: text/csv` for the lines as RFC 4180 CSV (a header row, one row per line, then a total row).',
          '',
          'Send the XLSX media type (or `?format=xlsx`) for the live workbook: the model on input sheets and every figure of the breakdown worked out by spreadsheet formulas (docs/workbooks.md).',
          '',
          'A model that breaks a rule of the method gets a 422 problem document naming every offending field by JSON pointer.',
        ].join('\n'),
        body: costModelSchema,
        response: {
          200: {
            description:
              'The breakdown: every line with its annual amount, weekly amount per child, share and basis',
            content: {
              'application/json': { schema: breakdownSchema },
              'text/csv': {
                schema: z.string().describe('RFC 4180 CSV: header, one row per line, total row'),
              },
              [XLSX]: { schema: z.string().describe('The live workbook (docs/workbooks.md)') },
            },
          },
          406: problemSchema,
          422: problemSchema,
        },
      },
    },
    async (request, reply) => {
      const format = negotiate(request.headers.accept, formats, request.query.format);
      if (format === XLSX) {
        const workbook = await quoteWorkbook(request.body);
        return (reply as FastifyReply)
          .type(XLSX)
          .header('content-disposition', workbook.disposition)
          .send(workbook.body);
      }
      const answer = quoteAnswer(request.body, format);
      if (!request.quoteCacheKey) return sendQuote(reply, answer, 'miss');
      // kept as bytes (encoded once); an answer not kept is sent as text, never copied into a Buffer
      const kept = { ...answer, body: Buffer.from(answer.body) };
      cache.set(request.quoteCacheKey, kept);
      return sendQuote(reply, kept, 'miss');
    },
  );
};

/** Sends the answer as it is (a string or a Buffer with its content type skips the response serializer). */
function sendQuote(reply: FastifyReply, answer: QuoteAnswer, cache: 'hit' | 'miss'): FastifyReply {
  reply.header('content-type', answer.contentType).header('x-quote-cache', cache);
  if (answer.disposition) reply.header('content-disposition', answer.disposition);
  return reply.send(answer.body);
}

/** Reads a request stream, stopping one byte past `limit` so that an over-long body is still caught. */
function readUpTo(stream: NodeJS.ReadableStream, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = () => {
      stream.removeListener('data', onData);
      stream.removeListener('end', finish);
      stream.removeListener('error', reject);
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    };
    const onData = (chunk: Buffer | string) => {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      chunks.push(buffer);
      size += buffer.length;
      if (size > limit) {
        stream.pause();
        finish();
      }
    };
    stream.on('data', onData);
    stream.once('end', finish);
    stream.once('error', reject);
  });
}

/** The worked example the OpenAPI document shows for a cost model and its breakdown (fixtures/examples). */
const EXAMPLE = 'wirral-four-bed-2026-27';

/**
 * Real examples in the OpenAPI document for the cost model a quote takes and the breakdown it gives:
 * the project's worked example, priced by the engine, rather than what a viewer would make up from
 * the schemas' patterns.
 */
export function addQuoteExamples<T>(document: T): T {
  const schemas = (document as { components?: { schemas?: Record<string, Record<string, unknown>> } })
    .components?.schemas;
  if (!schemas?.CostModelInput || !schemas.Breakdown) return document;
  const model = JSON.parse(
    readFileSync(projectPath('fixtures', 'examples', `${EXAMPLE}.model.json`), 'utf8'),
  ) as unknown;
  schemas.CostModelInput.examples = [model];
  schemas.Breakdown.examples = [JSON.parse(JSON.stringify(quote(costModelSchema.parse(model))))];
  return document;
}
