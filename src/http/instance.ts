import { randomUUID } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { serializerCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import helmet from 'helmet';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { sha256 } from '../core/principal.js';
import { presentedKey } from './auth.js';
import { errorHandlerPlugin, ProblemError, sendProblem, toProblem } from './errors.js';
import { loggerOptions } from './logger.js';
import { problem, problemTypes } from './problem.js';
import { clientErrorHandler, expectationFailed, missingHost } from './server-errors.js';
import { validatorCompiler } from './validation.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The HTTP shell every route runs in, before any route is added: Fastify's limits and timeouts, zod
 * validation and serialisation, the request id and the one log line per request, the one error
 * handler, security headers, the answers to malformed and late requests, and the rate limit.
 */
export async function createHttpApp(config: Config, logger?: Logger) {
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
  return app;
}

export type HttpApp = Awaited<ReturnType<typeof createHttpApp>>;
export type { FastifyInstance };
