import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { publicContextOf } from '../http/context.js';
import { ScheduleCache } from '../modules/fee-schedules/index.js';
import { isoDate } from '../modules/homes/index.js';
import { FAVICON_ICO } from './favicon.js';
import { renderChanges, renderHome, renderIndex } from './pages.js';
import { renderReconciliation } from './reconciliation-page.js';
import {
  type TransparencyContext,
  transparencyChanges,
  transparencyHome,
  transparencyIndex,
  transparencyReconciliation,
} from './service.js';

const HTML = 'text/html; charset=utf-8';
// Public unless PUBLIC_TRANSPARENCY=false; a finance key sees its own organisation only.
const published = { access: { transparency: true } } as const;
const idParams = z.object({ id: z.uuid({ message: 'must be a UUID' }) });

/** The context of a transparency page: public, with the key presented if any. */
function transparencyContextOf(app: FastifyInstance, request: FastifyRequest): TransparencyContext {
  return { ...publicContextOf(app, request), principal: request.principal };
}

/**
 * Server-rendered transparency pages: HTML and inline SVG, no scripts (Helmet's CSP forbids inline
 * scripts; inline styles are allowed). Hidden from the OpenAPI document: the API serves the same data.
 */
export const transparencyRoutes: FastifyPluginAsyncZod = async (app) => {
  const cache = new ScheduleCache();

  // Browsers ask for /favicon.ico by themselves (the pages name theirs inline): an icon, not a 404.
  app.get(
    '/favicon.ico',
    { config: { access: { public: true } }, schema: { hide: true } },
    async (_request, reply) =>
      reply.type('image/x-icon').header('cache-control', 'public, max-age=86400').send(FAVICON_ICO),
  );

  app.get('/transparency', { config: published, schema: { hide: true } }, async (request, reply) => {
    const { organisations, today } = await transparencyIndex(transparencyContextOf(app, request));
    return reply.type(HTML).header('vary', 'authorization').send(renderIndex(organisations, today));
  });

  app.get(
    '/transparency/homes/:id',
    {
      config: published,
      schema: { hide: true, params: idParams, querystring: z.object({ on: isoDate.optional() }) },
    },
    async (request, reply) => {
      const page = await transparencyHome(transparencyContextOf(app, request), {
        homeId: request.params.id,
        on: request.query.on,
      });
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
      const page = await transparencyChanges(transparencyContextOf(app, request), {
        cache,
        id: request.params.id,
        fromId: request.query.from,
      });
      return reply.type(HTML).header('vary', 'authorization').send(renderChanges(page));
    },
  );

  app.get(
    '/transparency/reconciliations/:id',
    { config: published, schema: { hide: true, params: idParams } },
    async (request, reply) => {
      const summary = await transparencyReconciliation(
        transparencyContextOf(app, request),
        request.params.id,
      );
      return reply.type(HTML).header('vary', 'authorization').send(renderReconciliation(summary));
    },
  );
};
