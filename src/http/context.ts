import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PublicContext, RequestContext } from '../core/context.js';
import { principalOf } from './auth.js';

/** The context a service is given for a route that declared roles: the database, the key's principal, the request id, the clock. */
export function contextOf(app: FastifyInstance, request: FastifyRequest): RequestContext {
  return { ...publicContextOf(app, request), principal: principalOf(request) };
}

/** The context of a public or transparency route (no principal is needed, or there may be none). */
export function publicContextOf(app: FastifyInstance, request: FastifyRequest): PublicContext {
  return { database: app.database, requestId: request.id, clock: app.clock };
}
