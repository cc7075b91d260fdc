import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf } from '../../http/auth.js';
import { ProblemError } from '../../http/errors.js';
import { problem, problemSchema } from '../../http/problem.js';
import { ONS_COUNCIL_CODE } from '../api-keys/schemas.js';
import { recordAudit } from '../audit/repository.js';

const councilSchema = z
  .object({ onsCode: z.string(), name: z.string() })
  .meta({ id: 'Council', description: 'An English local authority, by its ONS code' });

export const councilRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/v1/councils',
    {
      config: { access: { public: true } },
      schema: {
        tags: ['organisations'],
        summary: 'The councils known here',
        description: 'Seeded with the six Liverpool City Region councils; an admin adds more.',
        response: { 200: z.object({ items: z.array(councilSchema) }) },
      },
    },
    async () => {
      const rows = await app.database.db
        .selectFrom('councils')
        .select(['ons_code', 'name'])
        .orderBy('name')
        .execute();
      return { items: rows.map((row) => ({ onsCode: row.ons_code, name: row.name })) };
    },
  );

  app.post(
    '/v1/councils',
    {
      config: { access: { roles: ['admin'] } },
      schema: {
        tags: ['organisations'],
        summary: 'Add a council',
        body: z.strictObject({
          onsCode: z
            .string()
            .regex(ONS_COUNCIL_CODE, { message: 'must be an ONS local authority code such as E08000015' }),
          name: z.string().trim().min(1).max(200),
        }),
        response: { 201: councilSchema, 409: problemSchema },
      },
    },
    async (request, reply) => {
      const { onsCode, name } = request.body;
      const inserted = await app.database.db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('councils')
          .values({ ons_code: onsCode, name })
          .onConflict((oc) => oc.doNothing())
          .returning('ons_code')
          .executeTakeFirst();
        if (row) {
          await recordAudit(trx, {
            principal: principalOf(request),
            requestId: request.id,
            action: 'create',
            resourceType: 'council',
            resourceId: onsCode,
            after: { onsCode, name },
          });
        }
        return row;
      });
      if (!inserted) {
        throw new ProblemError(
          problem(409, `Council ${onsCode} exists already`, {
            type: '/problems/conflict',
            title: 'Conflict',
          }),
        );
      }
      return reply.code(201).send({ onsCode, name });
    },
  );
};
