import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { annualReturnJsonSchema } from '../../domain/returns/schema.js';
import { assertOrganisation, principalOf } from '../../http/auth.js';
import { attachment } from '../../http/csv.js';
import { ProblemError } from '../../http/errors.js';
import { negotiate } from '../../http/negotiate.js';
import { problem, problemSchema, problemTypes } from '../../http/problem.js';
import { todayInEngland } from '../fee-schedules/service.js';
import {
  exportPieces,
  financialYearPeriod,
  hashing,
  isFinancialYear,
  RETURN_FORMATS,
  RETURN_TABLES,
  type ReturnFormat,
  type ReturnProof,
  type ReturnScope,
  type ReturnVersion,
  registerReturnKey,
  rememberHash,
  returnVersion,
  signReturn,
} from './service.js';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const MEDIA: Record<ReturnFormat, string> = {
  json: 'application/json',
  csv: 'text/csv',
  xlsx: XLSX,
};
const FORMAT_OF: Record<string, ReturnFormat> = {
  'application/json': 'json',
  'text/csv': 'csv',
  [XLSX]: 'xlsx',
};
/** The JSON Schema of the document, relative to the OpenAPI document (served and committed alike). */
export const ANNUAL_RETURN_SCHEMA_PATH = 'returns/annual-return.v2.schema.json';
/** Version 1 (before the settlement rule of method §7), still served for documents made under it. */
const ANNUAL_RETURN_V1_SCHEMA_PATH = 'returns/annual-return.v1.schema.json';

const PROOF_HEADERS = ['digest', 'return-hash', 'return-signature', 'return-signing-key'] as const;

function proofHeaders(proof: ReturnProof): Record<(typeof PROOF_HEADERS)[number], string> {
  return {
    digest: `sha-256=${Buffer.from(proof.hash, 'hex').toString('base64')}`,
    'return-hash': proof.hash,
    'return-signature': proof.signature,
    'return-signing-key': proof.keyId,
  };
}

/** True when the client's copy is current: If-None-Match names one of our tags, else If-Modified-Since. */
function clientIsCurrent(request: FastifyRequest, version: ReturnVersion): boolean {
  const match = request.headers['if-none-match'];
  if (match) {
    const tags = match.split(',').map((tag) => tag.trim().replace(/^W\//, ''));
    return (
      tags.includes('*') ||
      tags.includes(`"${version.tag}"`) ||
      (version.knownHash !== undefined && tags.includes(`"${version.knownHash}"`))
    );
  }
  const since = request.headers['if-modified-since'];
  if (!since || version.lastModified === null) return false;
  const sinceMs = Date.parse(since);
  return Number.isFinite(sinceMs) && Math.floor(version.lastModified.getTime() / 1000) * 1000 <= sinceMs;
}

export const returnRoutes: FastifyPluginAsyncZod = async (app) => {
  const schemaTexts: Array<[path: string, version: number, text: string]> = [
    [ANNUAL_RETURN_SCHEMA_PATH, 2, `${JSON.stringify(annualReturnJsonSchema(), null, 2)}\n`],
    // version 1 is published and frozen: served as committed, never regenerated
    [
      ANNUAL_RETURN_V1_SCHEMA_PATH,
      1,
      await readFile(new URL(`../../../openapi/${ANNUAL_RETURN_V1_SCHEMA_PATH}`, import.meta.url), 'utf8'),
    ],
  ];
  for (const [path, version, text] of schemaTexts) {
    app.get(
      `/${path}`,
      {
        config: { access: { public: true } },
        schema: {
          tags: ['returns'],
          summary: `The JSON Schema (2020-12) of the annual return, version ${version}${version === 1 ? ' (superseded)' : ''}`,
          response: { 200: z.unknown().describe('A JSON Schema document') },
        },
      },
      async (_request, reply) =>
        (reply as FastifyReply)
          .type('application/schema+json')
          .header('cache-control', 'public, max-age=3600')
          .send(text),
    );
  }

  app.get(
    '/v1/returns/:financialYear',
    {
      config: { access: { roles: ['admin', 'finance', 'regulator'] } },
      handlerTimeout: app.config.EXPORT_TIMEOUT_MS, // the all-providers export streams for seconds
      schema: {
        tags: ['returns'],
        summary: 'The annual financial return for government, for one provider or every provider',
        description: [
          'Per organisation and financial year: the provider with its cap and the scope the cap is tested on, the year-end settlement (method §7: status, outcome, missing months of actuals, allowed surplus, excess and rebates by council, the same figures as the organisation-wide reconciliation of the year), and per home its Ofsted URN, host council, places, occupancy achieved vs planned, days charged at a held-over fee, every fee version in force with dates, income by council, actual costs by code and category, realised surplus with its rate on cost and share of income, staff headcount and FTE by group and the agency share of cover; income and costs of the organisation are the sums of its homes to the penny.',
          '',
          `JSON (\`application/json\`, RFC 8785 canonical, validated by the JSON Schema \`${ANNUAL_RETURN_SCHEMA_PATH}\`), CSV (\`text/csv\`: \`?table=costs\`, the default, is the long format with one row per home × code; \`homes\`, \`fees\`, \`councils\` and \`rebates\` are the home facts, fee versions, income by home and council, and what the provider owes each council) or XLSX (sheets summary, homes, fees, councils, rebates, costs). \`?format=\` overrides the Accept header.`,
          '',
          'Without `organisation` (regulator and admin only) every provider is exported, streamed an organisation at a time from one consistent snapshot of the database. A finance key gets its own organisation.',
          '',
          'Reproducible: the same data gives the same bytes. `Digest` (`sha-256=`, base64) and `Return-Hash` (hex) are the SHA-256 of the body, without the `generatedAt` member for JSON; `Return-Signature` is the Ed25519 signature of that hex hash by the key `Return-Signing-Key` (published at `/.well-known/fee-schedule-keys.json`). A streamed export that has not been produced from this data before sends them as HTTP trailers. Poll with `If-None-Match` (the ETag) or `If-Modified-Since`: 304 when nothing changed.',
        ].join('\n'),
        params: z.object({
          financialYear: z
            .string()
            .max(7)
            .refine(isFinancialYear, { message: 'must be a financial year such as 2026-27' }),
        }),
        querystring: z.object({
          organisation: z.uuid().optional(),
          table: z.enum(RETURN_TABLES).optional(),
          format: z.enum(RETURN_FORMATS).optional(),
        }),
        response: {
          200: {
            description: 'The return',
            content: {
              'application/json': { schema: z.unknown().describe('ANNUAL_RETURN_SCHEMA') },
              'text/csv': { schema: z.string() },
              [XLSX]: { schema: z.string().describe('An XLSX workbook') },
            },
          },
          304: z.null().describe('Not modified since the ETag or date sent'),
          400: problemSchema,
          403: problemSchema,
          404: problemSchema,
          406: problemSchema,
        },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { financialYear } = request.params;
      const query = request.query;
      const format: ReturnFormat =
        query.format ?? FORMAT_OF[negotiate(request.headers.accept, ['application/json', 'text/csv', XLSX])]!;
      if (query.table !== undefined && format !== 'csv') {
        throw new ProblemError(
          problem(400, '/table: applies to the CSV export only', problemTypes.validation, {
            errors: [{ pointer: '/table', message: 'applies to the CSV export only', in: 'query' }],
          }),
        );
      }
      let organisationId = query.organisation ?? null;
      if (principal.role === 'finance') organisationId ??= principal.organisationId;
      if (organisationId !== null) assertOrganisation(principal, organisationId, 'Organisation');
      if (organisationId === null && principal.role !== 'admin' && principal.role !== 'regulator') {
        throw new ProblemError(
          problem(403, 'Only the regulator may export every provider: name an organisation'),
        );
      }
      const table = query.table ?? 'costs';
      const scope: ReturnScope = {
        financialYear,
        period: financialYearPeriod(financialYear),
        asOf: todayInEngland(app.clock()),
        organisationId,
      };

      await registerReturnKey(app.database, app.signingKey);
      // One consistent snapshot for the version check and every row of the export.
      const trx = await app.database.db
        .startTransaction()
        .setIsolationLevel('repeatable read')
        .setAccessMode('read only')
        .execute();
      let streaming = false;
      try {
        if (organisationId !== null) {
          const exists = await trx
            .selectFrom('organisations')
            .select('id')
            .where('id', '=', organisationId)
            .executeTakeFirst();
          if (!exists) throw new ProblemError(problem(404, 'Organisation not found'));
        }
        const version = await returnVersion(trx, scope, format, table);
        const name = `annual-return-${financialYear}${organisationId ? `-${organisationId}` : ''}${format === 'csv' ? `-${table}` : ''}`;
        reply.header('vary', 'Accept').header('cache-control', 'private, no-cache');
        if (version.lastModified) reply.header('last-modified', version.lastModified.toUTCString());
        if (clientIsCurrent(request, version)) {
          reply.header('etag', version.knownHash ? `"${version.knownHash}"` : `W/"${version.tag}"`);
          return (reply as FastifyReply).code(304).send();
        }
        reply.header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : MEDIA[format]);
        if (format !== 'json') reply.header('content-disposition', attachment(`${name}.${format}`));
        const generatedAt = new Date().toISOString();
        const { body, result } = hashing(exportPieces(trx, scope, format, table, generatedAt));
        result.then((hash) => rememberHash(version.tag, hash)).catch(() => undefined);

        if (organisationId !== null) {
          // One provider: small enough to produce first, so its hash leads the headers.
          const chunks: Buffer[] = [];
          for await (const chunk of body) chunks.push(chunk);
          const proof = signReturn(app.signingKey, await result);
          reply.header('etag', `"${proof.hash}"`).headers(proofHeaders(proof));
          return (reply as FastifyReply).send(Buffer.concat(chunks));
        }

        // Every provider: streamed. The hash is in the headers when this export has been produced
        // from the same data before, and always in the trailers.
        if (version.knownHash) {
          const proof = signReturn(app.signingKey, version.knownHash);
          reply.header('etag', `"${proof.hash}"`).headers(proofHeaders(proof));
        } else {
          reply.header('etag', `W/"${version.tag}"`);
          for (const name of PROOF_HEADERS) {
            reply.trailer(name, async () => {
              const proof = signReturn(app.signingKey, await result);
              return proofHeaders(proof)[name];
            });
          }
        }
        // The snapshot ends when the body has been written, or the client has gone.
        let open = true;
        const end = async () => {
          if (!open) return;
          open = false;
          await trx.commit().execute();
        };
        async function* release() {
          try {
            yield* body;
          } catch (error) {
            // Past the headers there is no problem document to send: the client sees the connection
            // close before the body's end (and no trailers); the cause goes in the log.
            request.log.error({ err: error }, 'the streamed return failed mid-body');
            throw error;
          } finally {
            await end();
          }
        }
        reply.raw.once('close', () => void end().catch(() => undefined));
        streaming = true;
        return (reply as FastifyReply).send(Readable.from(release()));
      } finally {
        if (!streaming) await trx.commit().execute();
      }
    },
  );
};
