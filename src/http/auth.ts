import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { type Principal, sha256 } from '../core/principal.js';
import type { Role } from '../db/schema.js';
import { DEFAULT_FAILURE_LIMIT, type FailureLimit, FailureLimiter } from './auth-failures.js';
import { ProblemError } from './errors.js';
import { problem, problemSchema, problemTypes } from './problem.js';

/**
 * Who may call a route, declared once in the route's `config.access`:
 * - `{ public: true }`: anyone, no key (health, the API description, statutory rates);
 * - `{ transparency: true }`: published figures, public unless PUBLIC_TRANSPARENCY=false, then any valid key;
 * - `{ roles: [...] }`: a valid key with one of these roles. Tenant scoping (a finance key sees its own
 *   organisation, a commissioner its councils) is then the service's job, answering 404 for others.
 */
export type Access = { public: true } | { transparency: true } | { roles: readonly Role[] };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyInstance {
    /** Every route with its declared access, for the docs and the authorisation matrix test. */
    accessTable: Array<{ method: string; url: string; access: Access }>;
  }
}

/**
 * Looks a presented key up; null when it is unknown, revoked or expired. A verifier that knows the
 * answer without asking the database (a key it holds in memory) may give it at once, not as a promise.
 */
export type KeyVerifier = (presented: string) => Principal | null | Promise<Principal | null>;

/** The principal of ADMIN_API_KEY: one object, frozen, shared by every request that presents it. */
const ADMIN: Principal = Object.freeze({
  keyId: null,
  actor: 'env:ADMIN_API_KEY',
  role: 'admin',
  organisationId: null,
  councils: Object.freeze([]),
});

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * The key presented in an Authorization header, however it is spaced or cased (`Bearer  KEY`,
 * `bearer KEY`, a tab, trailing blanks: one key); null when the header is there but not
 * "Bearer <key>"; undefined when there is none. The one parser of the header: authentication and the
 * rate limit's buckets both read the key through it.
 */
export function presentedKey(header: string | undefined): string | null | undefined {
  if (header === undefined) return undefined;
  return BEARER.exec(header)?.[1] ?? null;
}

export function describeAccess(access: Access): string {
  if ('public' in access) return 'Public: no key needed.';
  if ('transparency' in access) {
    return 'Public transparency data: no key needed unless the service runs with PUBLIC_TRANSPARENCY=false, then any valid key.';
  }
  return `Roles: ${access.roles.map((role) => `\`${role}\``).join(', ')} (API key as \`Authorization: Bearer <key>\`).`;
}

const unauthorised = (detail: string) =>
  new ProblemError(problem(401, detail, { type: '/problems/unauthorized', title: 'Unauthorized' }));

/** The principal of a route that declared roles (the auth hook has already made sure there is one). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw unauthorised('An API key is required');
  return request.principal;
}

export interface AuthOptions {
  adminApiKey?: string | undefined;
  publicTransparency: boolean;
  verifyKey: KeyVerifier;
  /** Failed authentications allowed per client address before 429 (default 20 a minute). */
  failureLimit?: FailureLimit;
}

export const authPlugin = fp<AuthOptions>(
  async (app: FastifyInstance, options) => {
    const adminKeyHash = options.adminApiKey ? sha256(options.adminApiKey) : undefined;
    const failures = new FailureLimiter(options.failureLimit ?? DEFAULT_FAILURE_LIMIT);
    app.decorate('accessTable', []);

    // Every route must declare who may call it; the declaration is written into the OpenAPI document.
    app.addHook('onRoute', (route: RouteOptions) => {
      if (route.url.startsWith('/docs')) {
        route.config = { ...(route.config as object), access: { public: true } };
      }
      const access = (route.config as { access?: Access } | undefined)?.access;
      if (!access)
        throw new Error(`Route ${String(route.method)} ${route.url} declares no access (config.access)`);
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const method of methods)
        if (method !== 'HEAD') app.accessTable.push({ method, url: route.url, access });
      if (!route.schema || route.schema.hide) return;
      documentAccess(route.schema as RouteSchema, access);
    });

    // A callback, and synchronous unless a key must be looked up: a public request, the admin key and
    // a key the store holds in memory cost no promise.
    app.addHook('onRequest', (request, reply, done) => {
      const access = request.routeOptions.config?.access;
      const header = request.headers.authorization;
      try {
        const principal = header === undefined ? undefined : identify(header, request, reply);
        if (principal instanceof Promise) {
          principal
            .then((found) => {
              request.principal = found;
              enforceAccess(access, options.publicTransparency, request, reply);
            })
            .then(() => done(), done);
          return;
        }
        if (principal) request.principal = principal;
        enforceAccess(access, options.publicTransparency, request, reply);
      } catch (error) {
        done(error as Error);
        return;
      }
      done();
    });

    /** The principal of the key in an Authorization header; a failure counts against the address. */
    function identify(
      header: string,
      request: FastifyRequest,
      reply: FastifyReply,
    ): Principal | Promise<Principal> {
      // An address that keeps failing is refused before any key is looked up (no database query).
      refuseWhileBlocked(failures.blockedFor(request.ip), reply);
      const presented = presentedKey(header);
      if (!presented) {
        failures.recordFailure(request.ip);
        reply.header('www-authenticate', 'Bearer');
        throw unauthorised('The Authorization header must be "Bearer <key>"');
      }
      const refuse = (): never => {
        failures.recordFailure(request.ip);
        reply.header('www-authenticate', 'Bearer error="invalid_token"');
        throw unauthorised('The API key is not valid: unknown, revoked or expired');
      };
      const found = authenticate(presented);
      if (found instanceof Promise) return found.then((principal) => principal ?? refuse());
      return found ?? refuse();
    }

    function authenticate(presented: string): Principal | null | Promise<Principal | null> {
      if (adminKeyHash) {
        const presentedHash = sha256(presented);
        // constant-time: the comparison takes as long whether the first byte or the last differs
        if (timingSafeEqual(presentedHash, adminKeyHash)) {
          return ADMIN;
        }
      }
      return options.verifyKey(presented);
    }
  },
  { name: 'auth' },
);

type RouteSchema = Record<string, unknown> & { response?: Record<string, unknown> };

/** Writes who may call a route into its OpenAPI schema: the access sentence, security and error responses. */
function documentAccess(schema: RouteSchema, access: Access): void {
  // A GET's HEAD route shares its schema object: say who may call it once.
  const said = `**Access.** ${describeAccess(access)}`;
  if (typeof schema.description !== 'string' || !schema.description.includes(said))
    schema.description = [schema.description, said].filter(Boolean).join('\n\n');
  if ('roles' in access) {
    schema.security = [{ apiKey: [] }];
    schema.response = { ...schema.response, 401: problemSchema, 403: problemSchema, 429: problemSchema };
  } else if ('transparency' in access) {
    schema.security = [{}, { apiKey: [] }];
  }
}

/** 429 with Retry-After while an address that keeps failing is blocked (`blockedMs` > 0). */
function refuseWhileBlocked(blockedMs: number, reply: FastifyReply): void {
  if (blockedMs <= 0) return;
  const seconds = Math.max(1, Math.ceil(blockedMs / 1000));
  reply.header('retry-after', String(seconds));
  throw new ProblemError(
    problem(
      429,
      `Too many failed authentications from this address; try again in ${seconds} s`,
      problemTypes.rateLimited,
    ),
  );
}

/** Refuses a request its route's access does not let through: 401 without a key, 403 for the wrong role. */
function enforceAccess(
  access: Access | undefined,
  publicTransparency: boolean,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  if (!access || 'public' in access) return;
  if ('transparency' in access && publicTransparency) return;
  if (!request.principal) {
    reply.header('www-authenticate', 'Bearer');
    throw unauthorised('An API key is required: send "Authorization: Bearer <key>"');
  }
  if ('roles' in access && !access.roles.includes(request.principal.role)) {
    throw new ProblemError(
      problem(
        403,
        `A ${request.principal.role} key may not do this; it needs one of: ${access.roles.join(', ')}`,
        { type: '/problems/forbidden', title: 'Forbidden' },
      ),
    );
  }
}
