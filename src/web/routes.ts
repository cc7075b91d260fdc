import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { assertOrganisation, notFound } from '../http/auth.js';
import { ScheduleCache, todayInEngland } from '../modules/fee-schedules/service.js';
import { isoDate } from '../modules/homes/schemas.js';
import { findReconciliation } from '../modules/reconciliations/service.js';
import { renderChanges, renderHome, renderIndex } from './pages.js';
import { renderReconciliation } from './reconciliation-page.js';
import { transparencyChanges, transparencyHome, transparencyIndex } from './service.js';

const HTML = 'text/html; charset=utf-8';
// Public unless PUBLIC_TRANSPARENCY=false; a finance key sees its own organisation only.
const published = { access: { transparency: true } } as const;
const idParams = z.object({ id: z.uuid({ message: 'must be a UUID' }) });

/**
 * Server-rendered transparency pages: HTML and inline SVG, no scripts (Helmet's CSP forbids inline
 * scripts; inline styles are allowed). Hidden from the OpenAPI document: the API serves the same data.
 */
export const transparencyRoutes: FastifyPluginAsyncZod = async (app) => {
  const cache = new ScheduleCache();

  app.get('/transparency', { config: published, schema: { hide: true } }, async (request, reply) => {
    const today = todayInEngland(app.clock());
    const organisations = await transparencyIndex(app.database, request.principal, today);
    return reply.type(HTML).header('vary', 'authorization').send(renderIndex(organisations, today));
  });

  app.get(
    '/transparency/homes/:id',
    {
      config: published,
      schema: { hide: true, params: idParams, querystring: z.object({ on: isoDate.optional() }) },
    },
    async (request, reply) => {
      const page = await transparencyHome(
        app.database,
        request.principal,
        request.params.id,
        request.query.on,
        todayInEngland(app.clock()),
      );
      return reply.type(HTML).header('vary', 'authorization').send(renderHome(page));
    },
  );

  app.get(
    '/transparency/fee-schedules/:id/changes',
    {
      config: published,
      schema: { hide: true, params: idParams, querystring: z.object({ from: z.uuid().optional() }) },
    },
    async (request, reply) => {
      const page = await transparencyChanges(
        cache,
        app.database,
        request.principal,
        request.params.id,
        request.query.from,
      );
      return reply.type(HTML).header('vary', 'authorization').send(renderChanges(page));
    },
  );

  app.get(
    '/transparency/reconciliations/:id',
    { config: published, schema: { hide: true, params: idParams } },
    async (request, reply) => {
      const frozen = await findReconciliation(app.database, request.params.id);
      if (!frozen) throw notFound('Reconciliation');
      assertOrganisation(request.principal, frozen.organisationId, 'Reconciliation');
      const { db } = app.database;
      const organisation = await db
        .selectFrom('organisations')
        .select('name')
        .where('id', '=', frozen.organisationId)
        .executeTakeFirstOrThrow();
      const homes = await db
        .selectFrom('homes')
        .select(['id', 'name'])
        .where('organisation_id', '=', frozen.organisationId)
        .execute();
      const homeNames = new Map(homes.map((home) => [home.id, home.name]));
      const page = renderReconciliation({
        id: frozen.id,
        period: frozen.period,
        hash: frozen.hash,
        keyId: frozen.keyId,
        ruleVersion: frozen.ruleVersion,
        supersedes: frozen.supersedes,
        supersededBy: frozen.supersededBy,
        organisationName: organisation.name,
        homeName: frozen.homeId ? (homeNames.get(frozen.homeId) ?? null) : null,
        homeNames,
        reconciliation: frozen.reconciliation,
      });
      return reply.type(HTML).header('vary', 'authorization').send(page);
    },
  );
};
