import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import fp from 'fastify-plugin';
import { isResponseSerializationError } from 'fastify-type-provider-zod';
import {
  ApplicationError,
  BusyError,
  ConflictError,
  describeIssues,
  ForbiddenError,
  InvalidError,
  NotFoundError,
  PreconditionRequiredError,
  StaleError,
  TooLargeError,
} from '../core/errors.js';
import { ClientGoneError, WorkTimeoutError } from '../core/lifetime.js';
import { DatabaseUnavailableError } from '../db/database.js';
import { DomainValidationError } from '../domain/errors.js';
import {
  type IssueLocation,
  PROBLEM_CONTENT_TYPE,
  type Problem,
  type ProblemIssue,
  problem,
  problemTypes,
} from './problem.js';

/** Thrown by the HTTP layer for an expected failure that the client should see as it is (404, 409 …). */
export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }
}

/**
 * The problem document of an application error (src/core/errors.ts): the one place where the
 * application's words become HTTP statuses and problem types.
 */
export function applicationProblem(error: ApplicationError): Problem {
  const { message: detail, details } = error;
  if (error instanceof NotFoundError) return problem(404, detail, problemTypes.notFound, details);
  if (error instanceof InvalidError) {
    // a rule broken by the body is unprocessable (422); by the query, path or a header, a bad request
    const status = error.issues.every((issue) => (issue.in ?? 'body') === 'body') ? 422 : 400;
    return problem(status, detail, problemTypes.validation, { errors: [...error.issues], ...details });
  }
  if (error instanceof ConflictError) {
    return error.reason === 'exists'
      ? problem(409, detail, problemTypes.conflict, details)
      : problem(422, detail, problemTypes.idempotencyKeyReused, details);
  }
  if (error instanceof StaleError) return problem(412, detail, problemTypes.preconditionFailed, details);
  if (error instanceof PreconditionRequiredError)
    return problem(428, detail, problemTypes.preconditionRequired, details);
  if (error instanceof ForbiddenError) return problem(403, detail, problemTypes.forbidden, details);
  if (error instanceof TooLargeError) return problem(413, detail, problemTypes.tooLarge, details);
  if (error instanceof BusyError) return problem(503, detail, problemTypes.busy, details);
  return problem(500, detail, problemTypes.internal, details);
}

const locations: Record<string, IssueLocation> = {
  body: 'body',
  querystring: 'query',
  params: 'path',
  headers: 'header',
};

// Connection failures from pg and PGlite that mean "the database is not there", not "the query is wrong".
const unavailableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08006',
  '53300',
]);
const unavailableMessages = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /cannot use a pool after calling end/i,
  /client has encountered a connection error/i,
  /pglite is closed/i,
  /database is closed/i,
];

export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && unavailableCodes.has(code)) return true;
  if (error instanceof AggregateError) return error.errors.some(isDatabaseUnavailable);
  return typeof message === 'string' && unavailableMessages.some((pattern) => pattern.test(message));
}

/** Maps any error to the problem document the client sees; never exposes a 5xx's message. */
export function toProblem(error: FastifyError | Error, request: FastifyRequest): Problem {
  const extra = { instance: request.url, requestId: request.id };
  if (error instanceof ProblemError) return { ...error.problem, ...extra };
  if (error instanceof ApplicationError) return { ...applicationProblem(error), ...extra };
  // Work bounded by requestLifetime (imports, exports): its time was up, or its client went away.
  if (error instanceof WorkTimeoutError)
    return problem(503, `${error.message} and was stopped; nothing was stored`, problemTypes.timeout, extra);
  if (error instanceof ClientGoneError) return problem(400, error.message, problemTypes.malformed, extra);
  if (error instanceof DomainValidationError) {
    // a body sent as a workbook: each field also by the cell it was read from
    const cellOf = request.workbookCells;
    const errors = error.issues.map((issue) => {
      const cell = issue.cell ?? cellOf?.(issue.pointer);
      return { ...issue, in: 'body' as const, ...(cell === undefined ? {} : { cell }) };
    });
    return problem(422, describeIssues(errors), problemTypes.validation, { ...extra, errors });
  }
  const fastifyError = error as FastifyError;
  if (Array.isArray(fastifyError.validation)) {
    const where = locations[fastifyError.validationContext ?? 'body'] ?? 'body';
    const errors: ProblemIssue[] = fastifyError.validation.map((issue) => ({
      pointer: issue.instancePath,
      message: issue.message ?? 'is not valid',
      in: where,
    }));
    // A well-formed body that breaks the rules is unprocessable (422); a bad query, path or header is a bad request.
    const status = where === 'body' ? 422 : 400;
    return problem(status, describeIssues(errors), problemTypes.validation, { ...extra, errors });
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return problem(
        415,
        `Content-Type ${request.headers['content-type'] ?? '(none)'} is not accepted here; send application/json`,
        problemTypes.unsupportedMediaType,
        extra,
      );
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem(413, fastifyError.message, problemTypes.payloadTooLarge, extra);
    // From the router (frameworkErrors in app.ts): the URL is not echoed back, it may be huge.
    case 'FST_ERR_BAD_URL':
      return problem(400, 'The URL path is not valid percent-encoded UTF-8', problemTypes.malformed, {
        requestId: request.id,
      });
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return problem(414, 'A part of the URL path is too long', undefined, { requestId: request.id });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return problem(400, fastifyError.message, problemTypes.malformed, extra);
  }
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) {
    return problem(400, `The body is not valid JSON: ${error.message}`, problemTypes.malformed, extra);
  }
  if (fastifyError.statusCode === 429) {
    return problem(429, fastifyError.message, problemTypes.rateLimited, extra);
  }
  if (isDatabaseUnavailable(error)) {
    return problem(503, 'The database is not answering; try again shortly', problemTypes.unavailable, extra);
  }
  const status = fastifyError.statusCode ?? 500;
  if (status >= 400 && status < 500 && !isResponseSerializationError(error)) {
    return problem(status, fastifyError.message, undefined, extra);
  }
  if (status === 503)
    return problem(503, 'The service is not available; try again shortly', problemTypes.unavailable, extra);
  return problem(
    500,
    `Something went wrong on our side. Quote request id ${request.id} when reporting it.`,
    problemTypes.internal,
    extra,
  );
}

export function sendProblem(reply: FastifyReply, body: Problem): FastifyReply {
  if (body.status === 503) reply.header('retry-after', '5');
  // Fastify clears content-type before the error handler runs: set it here, every time.
  return reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
}

/** One error handler for the whole app (fastify-plugin so that it covers every route). */
export const errorHandlerPlugin = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const body = toProblem(error, request);
      if (body.status >= 500) {
        request.log.error({ err: error, reqId: request.id }, 'request failed');
      } else if (body.status !== 404) {
        request.log.info({ status: body.status, problem: body.type }, body.detail);
      }
      return sendProblem(reply, body);
    });

    // No route for this method at this URL: 405 with Allow when another method is served there, else
    // 404. Answered before the body is read (preParsing), so that what the method would ask of a body
    // (QUERY's Content-Type, a DELETE's malformed JSON) cannot turn either into a 400 first.
    app.addHook('preParsing', (request, reply, payload, done) => {
      if (request.is404) done(noRoute(app, request, reply));
      else done(null, payload);
    });
    // What reaches the handler all the same (reply.callNotFound()) is answered alike.
    app.setNotFoundHandler((request, reply) => {
      throw noRoute(app, request, reply);
    });
  },
  { name: 'error-handler' },
);

// The order methods are listed in Allow; any others the router knows follow, alphabetically.
const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'QUERY'];
const methodRank = (method: string) => {
  const rank = METHOD_ORDER.indexOf(method);
  return rank === -1 ? METHOD_ORDER.length : rank;
};

/** The methods some route serves at this concrete URL (HEAD wherever GET is), in METHOD_ORDER. */
export function allowedMethods(app: FastifyInstance, url: string): string[] {
  const allowed = new Set(
    app.supportedMethods.filter(
      (method) =>
        // findRoute matches a concrete URL as the router does (typed non-null, but null when none)
        (app.findRoute({ method: method as HTTPMethods, url }) as unknown) !== null,
    ),
  );
  if (allowed.has('GET')) allowed.add('HEAD');
  return [...allowed].sort((a, b) => methodRank(a) - methodRank(b) || a.localeCompare(b));
}

/** 405 with Allow when the URL is served with other methods than this one; else 404. */
function noRoute(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply): ProblemError {
  const path = request.url.split('?')[0];
  const allowed = allowedMethods(app, request.url);
  if (allowed.length === 0 || allowed.includes(request.method)) {
    return new ProblemError(problem(404, `No route ${request.method} ${path}`, problemTypes.notFound));
  }
  const allow = allowed.join(', ');
  reply.header('allow', allow);
  return new ProblemError(
    problem(
      405,
      `${request.method} is not served at ${path}; it serves ${allow}`,
      problemTypes.methodNotAllowed,
    ),
  );
}
