import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { publicContextOf } from '../../http/context.js';
import { problemSchema } from '../../http/problem.js';
import { feeScheduleSchema } from './schemas.js';
import { organisationChain, type ScheduleReader, signingKeys, visibleProof } from './service.js';

const published = { access: { transparency: true } } as const;

const proofSchema = z
  .object({
    scheduleId: z.uuid(),
    organisationId: z.uuid(),
    sequence: z.number().int().describe("Position in the organisation's chain, from 1"),
    hash: z.string().describe('SHA-256 (hex) of the RFC 8785 canonical JSON of {chain, schedule}'),
    previousHash: z
      .string()
      .nullable()
      .describe("The hash of the organisation's previous schedule; null for its first"),
    signature: z.string().describe("Ed25519 signature (base64) of the hash's hex text"),
    keyId: z.string().describe('The signing key, as listed at /.well-known/fee-schedule-keys.json'),
    algorithm: z.literal('Ed25519'),
    hashAlgorithm: z.literal('SHA-256'),
    canonicalization: z.literal('RFC 8785 (JCS)'),
  })
  .meta({ id: 'FeeScheduleProof' });

const keysSchema = z
  .object({
    keys: z.array(
      z.object({
        keyId: z.string(),
        algorithm: z.string(),
        publicKey: z.string().describe('SPKI PEM'),
        createdAt: z.string(),
      }),
    ),
  })
  .meta({ id: 'FeeScheduleKeys' });

export const proofRoutes: FastifyPluginAsyncZod = async (app) => {
  // published figures: the caller's key is optional, and scopes what a finance key sees
  const readerOf = (request: FastifyRequest): ScheduleReader => ({
    ...publicContextOf(app, request),
    principal: request.principal,
  });

  app.get(
    '/v1/fee-schedules/:id/proof',
    {
      config: published,
      schema: {
        operationId: 'getFeeScheduleProof',
        tags: ['fee-schedules'],
        summary: 'The tamper-evidence proof of a published schedule',
        description: 'Hash, previous hash, signature and key id; how to check them is in docs/verifying.md.',
        params: z.object({ id: z.uuid() }),
        response: { 200: proofSchema, 404: problemSchema },
      },
    },
    async (request) => visibleProof(readerOf(request), request.params.id),
  );

  app.get(
    '/.well-known/fee-schedule-keys.json',
    {
      config: published,
      schema: {
        operationId: 'listSigningKeys',
        tags: ['fee-schedules'],
        summary: 'The public keys that sign published fee schedules',
        description: 'Every key the service has signed with, old ones kept after a rotation.',
        response: { 200: keysSchema },
      },
    },
    async (request) => signingKeys(publicContextOf(app, request)),
  );

  app.get(
    '/v1/organisations/:id/fee-schedule-chain',
    {
      config: published,
      schema: {
        operationId: 'getFeeScheduleChain',
        tags: ['fee-schedules'],
        summary:
          "An organisation's whole chain of published schedules, with proofs and keys, to check offline",
        description:
          'Save it and run `npm run cli -- verify FILE`, or check it by hand as docs/verifying.md shows.',
        params: z.object({ id: z.uuid() }),
        response: {
          200: z.object({
            organisationId: z.uuid(),
            keys: keysSchema.shape.keys,
            entries: z.array(z.object({ schedule: feeScheduleSchema, proof: proofSchema })),
          }),
          404: problemSchema,
        },
      },
    },
    async (request) => organisationChain(readerOf(request), request.params.id),
  );
};
