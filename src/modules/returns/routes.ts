import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { annualReturnJsonSchema } from '../../domain/returns/schema.js';
import { attachment } from '../../formats/download.js';
import { contextOf } from '../../http/context.js';
import { financialYear } from '../../http/dates.js';
import { ProblemError } from '../../http/errors.js';
import { requestLifetime } from '../../http/lifetime.js';
import { FORMAT_MEDIA_TYPES, formatNameOf, formatParameter, negotiate, XLSX } from '../../http/negotiate.js';
import type { OpenApiDocument } from '../../http/openapi-document.js';
import { problem, problemSchema, problemTypes } from '../../http/problem.js';
import { Slots } from '../../http/slots.js';
import { projectPath } from '../../paths.js';
import {
  isFinancialYear,
  produceReturn,
  RETURN_TABLES,
  type ReturnFormat,
  type ReturnOutcome,
  type ReturnProof,
  type ReturnTable,
  type ReturnVersion,
  registerReturnKey,
  returnScope,
} from './service.js';

/** The return's media types, JSON first (the default). */
const RETURN_MEDIA_TYPES = ['application/json', 'text/csv', XLSX] as const;
/** Where the JSON Schema of the document is served (and committed, under openapi/). */
export const ANNUAL_RETURN_SCHEMA_PATH = 'returns/annual-return.v3.schema.json';
/**
 * Earlier versions, published and frozen, still served as committed for documents made under them:
 * 1 before the year-end settlement of method §7, 2 before related-party excess (§7).
 */
const SUPERSEDED_SCHEMA_PATHS: Array<[path: string, version: number]> = [
  ['returns/annual-return.v2.schema.json', 2],
  ['returns/annual-return.v1.schema.json', 1],
];

/** All-providers exports produced at once, in this process. */
const exportSlots = new Slots(Math.max(1, availableParallelism()), 'exports of every provider are');

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

/**
 * The format asked for: `?format=`, else the Accept header (406 when it accepts none); a 400 when
 * `?table=` is given for another format than CSV.
 */
function exportFormat(
  query: { format?: ReturnFormat | undefined; table?: ReturnTable | undefined },
  accept: string | undefined,
): ReturnFormat {
  const format: ReturnFormat = formatNameOf(negotiate(accept, RETURN_MEDIA_TYPES, query.format));
  if (query.table !== undefined && format !== 'csv') {
    throw new ProblemError(
      problem(400, '/table: applies to the CSV export only', problemTypes.validation, {
        errors: [{ pointer: '/table', message: 'applies to the CSV export only', in: 'query' }],
      }),
    );
  }
  return format;
}

/** The download's name without extension: the year, the organisation if one, the table of a CSV. */
function returnFileName(
  financialYear: string,
  organisationId: string | null,
  format: ReturnFormat,
  table: ReturnTable,
): string {
  const organisation = organisationId ? `-${organisationId}` : '';
  const tablePart = format === 'csv' ? `-${table}` : '';
  return `annual-return-${financialYear}${organisation}${tablePart}`;
}

/** Sends a produced return with its ETag, proof headers, content type and, but for JSON, as a download. */
function sendReturn(
  reply: FastifyReply,
  produced: Extract<ReturnOutcome, { outcome: 'produced' }>,
  format: ReturnFormat,
  name: string,
): FastifyReply {
  const { proof, data } = produced;
  reply.header('etag', `"${proof.hash}"`).headers(proofHeaders(proof));
  reply.header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : FORMAT_MEDIA_TYPES[format]);
  if (format !== 'json') reply.header('content-disposition', attachment(`${name}.${format}`));
  if (Buffer.isBuffer(data)) return reply.send(data);
  reply.header('content-length', String(data.bytes));
  return reply.send(data.open());
}

export const returnRoutes: FastifyPluginAsyncZod = async (app) => {
  const schemaTexts: Array<[path: string, version: number, text: string]> = [
    [ANNUAL_RETURN_SCHEMA_PATH, 3, `${JSON.stringify(annualReturnJsonSchema(), null, 2)}\n`],
    // earlier versions are published and frozen: served as committed, never regenerated
    ...(await Promise.all(
      SUPERSEDED_SCHEMA_PATHS.map(
        async ([path, version]): Promise<[string, number, string]> => [
          path,
          version,
          await readFile(projectPath('openapi', path), 'utf8'),
        ],
      ),
    )),
  ];
  for (const [path, version, text] of schemaTexts) {
    app.get(
      `/${path}`,
      {
        config: { access: { public: true } },
        schema: {
          operationId: `getAnnualReturnSchemaV${version}`,
          tags: ['returns'],
          summary: `The JSON Schema (2020-12) of the annual return, version ${version}${path === ANNUAL_RETURN_SCHEMA_PATH ? '' : ' (superseded)'}`,
          response: {
            200: {
              description: 'A JSON Schema (2020-12) document',
              content: { 'application/schema+json': { schema: z.record(z.string(), z.unknown()) } },
            },
          },
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
        operationId: 'getAnnualReturn',
        tags: ['returns'],
        summary: 'The annual financial return for government, for one provider or every provider',
        description: [
          'Per organisation and financial year: the provider with its cap and the scope the cap is tested on, the year-end settlement (method §7: status, outcome, missing months of actuals, allowed surplus, excess and rebates by council, the same figures as the organisation-wide reconciliation of the year), and per home its Ofsted URN, host council, places, occupancy achieved vs planned, days charged at a held-over fee, every fee version in force with dates, income by council, actual costs by code and category, realised surplus with its rate on cost and share of income, staff headcount and FTE by group and the agency share of cover; income and costs of the organisation are the sums of its homes to the penny. Related-party transactions (method §7): per home, party and code what the actuals paid, the allowance (the market amounts of the fee schedules in force, pro rata by days) and the excess, the related-party excess and the adjusted cost and surplus the cap is tested on.',
          '',
          `JSON (\`application/json\`, RFC 8785 canonical, validated by the JSON Schema \`${ANNUAL_RETURN_SCHEMA_PATH}\`), CSV (\`text/csv\`: \`?table=costs\`, the default, is the long format with one row per home × code; \`homes\`, \`fees\`, \`councils\`, \`rebates\` and \`related-parties\` are the home facts, fee versions, income by home and council, what the provider owes each council, and its related-party transactions by home, party and code) or XLSX (sheets summary, homes, fees, councils, rebates, related-parties, costs). \`?format=\` overrides the Accept header.`,
          '',
          'Without `organisation` (regulator and admin only) every provider is exported. The body is produced whole before it is sent (on PostgreSQL from one consistent snapshot of the database; on the embedded database each organisation from a consistent snapshot of its own), so that a slow reader holds nothing in the database; a few such exports are produced at once, and one more is a 503 with `Retry-After`. A finance key gets its own organisation.',
          '',
          'Reproducible: the same data gives the same bytes. `Digest` (`sha-256=`, base64) and `Return-Hash` (hex) are the SHA-256 of the body, without the `generatedAt` member for JSON; `Return-Signature` is the Ed25519 signature of that hex hash by the key `Return-Signing-Key` (published at `/.well-known/fee-schedule-keys.json`). Poll with `If-None-Match` (the ETag) or `If-Modified-Since`: 304 when nothing changed.',
        ].join('\n'),
        params: z.object({
          financialYear: financialYear.refine(isFinancialYear, {
            message: 'must be a financial year from 2000-01 to 2098-99: the years a return is made for',
            when: (payload) => payload.issues.length === 0,
          }),
        }),
        querystring: z.object({
          organisation: z.uuid().optional(),
          table: z.enum(RETURN_TABLES).optional(),
          format: formatParameter(RETURN_MEDIA_TYPES),
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
      const ctx = contextOf(app, request);
      const { financialYear } = request.params;
      const query = request.query;
      const format = exportFormat(query, request.headers.accept);
      const scope = returnScope(ctx, { financialYear, organisationId: query.organisation });
      if (!scope) {
        throw new ProblemError(
          problem(403, 'Only the regulator may export every provider: name an organisation'),
        );
      }
      const { organisationId } = scope;
      const table = query.table ?? 'costs';

      // before the export's snapshot: on PGlite the snapshot holds the only connection
      await registerReturnKey(ctx, app.signingKey);
      const signal = requestLifetime(reply as FastifyReply, app.config.EXPORT_TIMEOUT_MS);
      const name = returnFileName(financialYear, organisationId, format, table);
      reply.header('vary', 'Accept').header('cache-control', 'private, no-cache');

      const produced = await produceReturn(ctx, {
        scope,
        format,
        table,
        signingKey: app.signingKey,
        signal,
        slots: exportSlots,
        clientHas: (version) => {
          if (version.lastModified) reply.header('last-modified', version.lastModified.toUTCString());
          return clientIsCurrent(request, version);
        },
      });
      if (produced.outcome === 'unknown-organisation') {
        throw new ProblemError(problem(404, 'Organisation not found'));
      }
      if (produced.outcome === 'not-modified') {
        const { version } = produced;
        reply.header('etag', version.knownHash ? `"${version.knownHash}"` : `W/"${version.tag}"`);
        return (reply as FastifyReply).code(304).send();
      }
      return sendReturn(reply as FastifyReply, produced, format, name);
    },
  );
};

/**
 * The annual return's JSON body is described by its own versioned JSON Schema (also served, and
 * committed, at openapi/returns/), bundled into the OpenAPI document as the component
 * `AnnualReturn` so that the document stands alone: a saved copy and /docs need no other file.
 */
export function bundleReturnSchema<T>(document: T): T {
  const doc = document as OpenApiDocument;
  const operation = doc.paths?.['/v1/returns/{financialYear}']?.get;
  const content = operation?.responses?.['200']?.content?.['application/json'];
  if (!content) return document;
  const { $schema: _dialect, $id: id, ...schema } = annualReturnJsonSchema() as Record<string, unknown>;
  const served = `/${ANNUAL_RETURN_SCHEMA_PATH}`;
  doc.components = { ...doc.components };
  doc.components.schemas = {
    ...doc.components.schemas,
    AnnualReturn: {
      ...schema,
      description: `${String(schema.description)} Its id is ${String(id)}; served at ${served}.`,
    },
  };
  content.schema = { $ref: '#/components/schemas/AnnualReturn' };
  return document;
}
