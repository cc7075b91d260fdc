import { randomUUID } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import helmet from 'helmet';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { DatabaseHandle } from '../db/database.js';
import { actualsRoutes } from '../modules/actuals/routes.js';
import { apiKeyRoutes } from '../modules/api-keys/routes.js';
import { KeyStore } from '../modules/api-keys/service.js';
import { auditRoutes } from '../modules/audit/routes.js';
import { centralCostPoolRoutes } from '../modules/central-cost-pools/routes.js';
import { costModelRoutes } from '../modules/cost-models/routes.js';
import { councilRoutes } from '../modules/councils/routes.js';
import { proofRoutes } from '../modules/fee-schedules/proof-routes.js';
import { feeScheduleRoutes } from '../modules/fee-schedules/routes.js';
import { ephemeralSigningKey, type SigningKey } from '../modules/fee-schedules/signing.js';
import { healthRoutes } from '../modules/health/routes.js';
import { homeRoutes } from '../modules/homes/routes.js';
import { organisationRoutes } from '../modules/organisations/routes.js';
import { placementRoutes } from '../modules/placements/routes.js';
import { quoteRoutes } from '../modules/quotes/routes.js';
import { rateRoutes } from '../modules/rates/routes.js';
import { reconciliationRoutes } from '../modules/reconciliations/routes.js';
import { relatedPartyRoutes } from '../modules/related-parties/routes.js';
import { ANNUAL_RETURN_SCHEMA_PATH, returnRoutes } from '../modules/returns/routes.js';
import { statementRoutes } from '../modules/statements/routes.js';
import { transparencyRoutes } from '../web/routes.js';
import { authPlugin, presentedKey, sha256 } from './auth.js';
import { DEFAULT_FAILURE_LIMIT } from './auth-failures.js';
import { errorHandlerPlugin, ProblemError, sendProblem, toProblem } from './errors.js';
import { loggerOptions } from './logger.js';
import { problem, problemTypes } from './problem.js';
import { clientErrorHandler, expectationFailed, missingHost } from './server-errors.js';
import { validatorCompiler } from './validation.js';

export interface AppDependencies {
  config: Config;
  database: DatabaseHandle;
  /** A logger made by the caller (server.ts shares it with the database pool); else one is made. */
  logger?: Logger;
  /** The key that signs published schedules; an ephemeral one when not given (tests, tools). */
  signingKey?: SigningKey;
  /** Close the database when the app closes (default true: the app owns it). */
  closeDatabase?: boolean;
  /** What time it is (tests fix it); the domain never reads a clock, the services ask this one. */
  clock?: () => Date;
}

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    database: DatabaseHandle;
    keyStore: KeyStore;
    signingKey: SigningKey;
    clock: () => Date;
  }
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export const apiVersion = '0.1.0';

export async function buildApp({
  config,
  database,
  logger,
  signingKey,
  closeDatabase = true,
  clock = () => new Date(),
}: AppDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    ...(logger ? { loggerInstance: logger as FastifyBaseLogger } : { logger: loggerOptions(config) }),
    logController: new LogController({ disableRequestLogging: true }), // one line per request, written below
    bodyLimit: config.BODY_LIMIT_BYTES,
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    // Every request is answered within REQUEST_TIMEOUT_MS, with a 503 problem document when the
    // handler has not finished (a database that stops answering without closing its connections
    // would otherwise hold the request as long as it does). Streamed exports and imports set their
    // own, EXPORT_TIMEOUT_MS.
    handlerTimeout: config.REQUEST_TIMEOUT_MS,
    // While closing, new requests get a 503 problem document from the hook below: Fastify's own
    // (return503OnClosing) is plain JSON, not a problem document.
    return503OnClosing: false,
    // What Node's HTTP parser refuses (a malformed request line or header, headers too large, a
    // request too slow to arrive) is a problem document too, not Fastify's own JSON.
    clientErrorHandler,
    // Node answers a Host-less HTTP/1.1 request with an empty 400 by itself: the hook below answers.
    http: { requireHostHeader: false },
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // What the router refuses before any route or hook runs (a path that is not valid percent-encoded
    // UTF-8, a path parameter over maxParamLength) is a problem document too, not Fastify's own JSON.
    frameworkErrors: (error, request, reply) => sendProblem(reply, toProblem(error, request)),
    // Honour a caller's request id when it is safe to log; otherwise make one.
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    routerOptions: { ignoreTrailingSlash: true },
  }).withTypeProvider<ZodTypeProvider>();

  app.decorate('config', config);
  app.decorate('database', database);
  app.decorate('signingKey', signingKey ?? ephemeralSigningKey());
  app.decorate('clock', clock);
  if (closeDatabase) app.addHook('onClose', async () => database.close());
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // JSON only, unless a route's own plugin adds a parser (text/csv imports, later).
  app.removeContentTypeParser(['text/plain']);

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? null,
        url: request.url,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 100) / 100,
      },
      'request',
    );
  });

  await app.register(errorHandlerPlugin);
  // Security headers (Helmet's defaults). The middleware is built once: @fastify/helmet rebuilt it,
  // CSP parsing and all, on every request, which cost more than a small route itself.
  const securityHeaders = helmet();
  app.addHook('onRequest', (request, reply, done) => {
    securityHeaders(request.raw, reply.raw, (error?: unknown) => done(error as Error | undefined));
  });
  // An Expect header other than 100-continue: a 417 problem document, not Node's empty 417.
  app.server.on('checkExpectation', expectationFailed);
  // While the app closes, a request that still arrives (pipelined, or on a busy keep-alive connection)
  // is a 503 problem document with Retry-After (Fastify adds Connection: close); and an HTTP/1.1
  // request without Host is a 400 problem document. Both before any key is looked up.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', (request, _reply, done) => {
    if (closing) {
      done(
        new ProblemError(
          problem(503, 'The service is shutting down; try again shortly', problemTypes.unavailable),
        ),
      );
      return;
    }
    const noHost = missingHost(request.raw);
    done(noHost ? new ProblemError(problem(400, noHost, problemTypes.malformed)) : undefined);
  });
  // The rate limit runs as a route-level onRequest hook, so after the instance-level ones: after the
  // auth hook below. A request that presents a key has been authenticated by then (or refused with a
  // 401, counted by the auth hook's own per-address limit on failures), so its bucket is the key it
  // presented, parsed as auth parses it: every spelling of the header (`bearer`, two spaces, a tab,
  // trailing blanks) is one bucket, and since one key is one principal, the bucket is the principal's.
  // Anonymous callers (and a malformed header, should one ever get here) are limited per address.
  await app.register(rateLimit, {
    global: true,
    timeWindow: 60_000,
    keyGenerator: (request) => {
      const presented = presentedKey(request.headers.authorization);
      return presented ? `key:${sha256(presented).toString('base64url').slice(0, 22)}` : `ip:${request.ip}`;
    },
    // 0 turns a limit off
    max: (_request, key) =>
      (key.startsWith('key:') ? config.RATE_LIMIT_PER_MINUTE : config.RATE_LIMIT_ANONYMOUS_PER_MINUTE) ||
      Number.MAX_SAFE_INTEGER,
  });

  const keyStore = new KeyStore(database, config.API_KEY_CACHE_SECONDS, (error) =>
    app.log.warn({ err: error }, 'could not record when an API key was last used'),
  );
  app.decorate('keyStore', keyStore);
  // Before swagger and the routes: its onRoute hook writes each route's access into the OpenAPI document.
  await app.register(authPlugin, {
    adminApiKey: config.ADMIN_API_KEY,
    publicTransparency: config.PUBLIC_TRANSPARENCY,
    // looked up on the store at each call, so that a test can watch it
    verifyKey: (presented) => app.keyStore.verify(presented),
    // Failed authentications per client address before 429, checked before any key is looked up. A
    // failed authentication is anonymous traffic: never more of it than RATE_LIMIT_ANONYMOUS_PER_MINUTE
    // allows, and none of this limit when that one is off (0: e.g. behind a proxy that limits, where
    // every caller has the proxy's address).
    failureLimit: {
      ...DEFAULT_FAILURE_LIMIT,
      max: Math.min(DEFAULT_FAILURE_LIMIT.max, config.RATE_LIMIT_ANONYMOUS_PER_MINUTE),
    },
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Cost-plus care pricing API',
        version: apiVersion,
        description:
          "An open, auditable price engine for children's residential care: cost models in, per-child weekly fees with a capped surplus out, every line checkable. Errors are RFC 9457 problem documents (application/problem+json).",
        license: { name: 'MIT', identifier: 'MIT' },
      },
      tags: [
        { name: 'health', description: 'Liveness and readiness' },
        { name: 'pricing', description: 'Price a cost model by the published method' },
        { name: 'organisations', description: 'Provider organisations' },
        { name: 'access', description: 'API keys and the audit trail' },
        { name: 'homes', description: "Children's homes" },
        {
          name: 'related-parties',
          description:
            'The register of related parties a provider pays (method v2 §6): landlords, parents, companies under common control',
        },
        {
          name: 'cost-models',
          description: "Draft cost models and central cost pools: the finance team's work",
        },
        { name: 'fee-schedules', description: 'Published, immutable fee schedules and why they changed' },
        { name: 'placements', description: 'Placements, statements of charges and occupancy' },
        { name: 'actuals', description: "Open-book actual spending, imported from the provider's ledger" },
        { name: 'returns', description: 'The annual financial return for government, by API export' },
      ],
      components: {
        securitySchemes: {
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            description: 'An API key: `Authorization: Bearer <key>`',
          },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: (document) => referenceReturnSchema(jsonSchemaTransformObject(document)),
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });

  app.get('/openapi.json', { config: { access: { public: true } }, schema: { hide: true } }, async () =>
    app.swagger(),
  );

  await app.register(healthRoutes);
  await app.register(quoteRoutes);
  await app.register(rateRoutes);
  await app.register(organisationRoutes);
  await app.register(apiKeyRoutes);
  await app.register(auditRoutes);
  await app.register(councilRoutes);
  await app.register(homeRoutes);
  await app.register(relatedPartyRoutes);
  await app.register(centralCostPoolRoutes);
  await app.register(costModelRoutes);
  await app.register(feeScheduleRoutes);
  await app.register(proofRoutes);
  await app.register(placementRoutes);
  await app.register(statementRoutes);
  await app.register(actualsRoutes);
  await app.register(reconciliationRoutes);
  await app.register(returnRoutes);
  await app.register(transparencyRoutes);

  return app;
}

/**
 * The annual return's JSON body is described by its own versioned JSON Schema (openapi/returns/),
 * which the OpenAPI document references rather than repeats.
 */
function referenceReturnSchema<T>(document: T): T {
  const paths = (document as { paths?: Record<string, Record<string, unknown>> }).paths;
  const operation = paths?.['/v1/returns/{financialYear}']?.get as
    | { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> }
    | undefined;
  const content = operation?.responses?.['200']?.content?.['application/json'];
  if (content) content.schema = { $ref: ANNUAL_RETURN_SCHEMA_PATH };
  return document;
}
