import { randomUUID } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import helmet from 'helmet';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { Deadlines } from './deadlines.js';
import { errorHandlerPlugin, ProblemError, sendProblem, toProblem } from './errors.js';
import { loggerOptions } from './logger.js';
import { problem, problemTypes } from './problem.js';
import { sharedRateLimitStore } from './rate-limit-store.js';
import { serializerCompilerFor } from './serialization.js';
import { clientErrorHandler, expectationFailed, missingHost } from './server-errors.js';
import { validatorCompiler } from './validation.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** How long the route's handler has to answer (src/http/deadlines.ts); set for every route. */
    handlerTimeoutMs?: number;
  }
}

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
    // No handlerTimeout here: src/http/deadlines.ts does its work with one timer (below).
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
  app.setSerializerCompiler(serializerCompilerFor(config.NODE_ENV));
  // JSON only, unless a route's own plugin adds a parser (text/csv imports, later).
  app.removeContentTypeParser(['text/plain']);

  // Hooks are callbacks, not async functions, and there is one of each kind: every request runs
  // them, and a promise per hook per request is time the answer does not need (docs/benchmarks.md).
  //
  // One line per request, through a child of the logger without its redaction: the line's fields
  // are named here and hold no secret, and matching every redaction path against every request's
  // line cost more than writing it.
  const accessLog = app.log.child({}, { redact: { paths: [] } });
  app.addHook('onResponse', (request, reply, done) => {
    deadlines.settle(reply);
    accessLog.info(
      {
        reqId: request.id,
        method: request.method,
        route: request.routeOptions.url ?? null,
        url: request.url,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 100) / 100,
      },
      'request',
    );
    done();
  });

  await app.register(errorHandlerPlugin);
  // Security headers: Helmet's defaults, worked out once (they are the same for every response)
  // and set with the request id.
  const headers = securityHeaders();
  // An Expect header other than 100-continue: a 417 problem document, not Node's empty 417.
  app.server.on('checkExpectation', expectationFailed);
  // While the app closes, a request that still arrives (pipelined, or on a busy keep-alive connection)
  // is a 503 problem document with Retry-After (Fastify adds Connection: close); and an HTTP/1.1
  // request without Host is a 400 problem document. Both before any key is looked up.
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  // Every request is answered within REQUEST_TIMEOUT_MS, with a 503 problem document when the
  // handler has not finished (a database that stops answering without closing its connections would
  // otherwise hold the request as long as it does). Streamed exports and imports set their own
  // (a route's `handlerTimeout`, EXPORT_TIMEOUT_MS), taken here from Fastify, which would otherwise
  // run its own per-request timer for them as well.
  const deadlines = new Deadlines((reply) => {
    const ms = reply.request.routeOptions.config.handlerTimeoutMs ?? config.REQUEST_TIMEOUT_MS;
    const late = new ProblemError(
      problem(503, `The request did not finish within ${ms} ms; try again shortly`, problemTypes.unavailable),
    );
    if (reply.raw.headersSent) reply.raw.destroy(late);
    else reply.send(late);
  });
  app.addHook('onRoute', (route) => {
    const ms = route.handlerTimeout ?? config.REQUEST_TIMEOUT_MS;
    route.handlerTimeout = undefined;
    route.config = { ...(route.config as object), handlerTimeoutMs: ms };
  });
  app.addHook('onClose', (_instance, done) => {
    deadlines.stop();
    done();
  });
  app.addHook('onRequest', (request, reply, done) => {
    deadlines.track(reply, request.routeOptions.config.handlerTimeoutMs ?? config.REQUEST_TIMEOUT_MS);
    reply.headers(headers).header('x-request-id', request.id);
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
  // 401, counted by the auth hook's own per-address limit on failures), so its bucket is the key's
  // principal (its id, or ADMIN_API_KEY's actor): every spelling of the header is one bucket, and
  // no key is hashed again for it. Anonymous callers are limited per address.
  await app.register(rateLimit, {
    global: true,
    timeWindow: 60_000,
    keyGenerator: (request) => {
      const principal = request.principal;
      return principal ? `key:${principal.keyId ?? principal.actor}` : `ip:${request.ip}`;
    },
    // 0 turns a limit off
    max: (_request, key) =>
      (key.startsWith('key:') ? config.RATE_LIMIT_PER_MINUTE : config.RATE_LIMIT_ANONYMOUS_PER_MINUTE) ||
      Number.MAX_SAFE_INTEGER,
    // REDIS_URL: the counters in Redis, shared by every instance (per instance while it does not answer)
    ...sharedRateLimitStore(app, config),
  });
  return app;
}

/**
 * The headers Helmet's defaults set on every response (Content-Security-Policy, Strict-Transport-
 * Security, X-Content-Type-Options …), read off the middleware once: they depend on nothing in the
 * request, so running it per request only repeated the same work.
 */
export function securityHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader() {},
  };
  helmet()({} as never, response as never, (error?: unknown) => {
    if (error) throw error;
  });
  return Object.freeze(headers);
}

export type HttpApp = Awaited<ReturnType<typeof createHttpApp>>;
export type { FastifyInstance };
