import type { DatabaseHandle } from '../db/database.js';
import type { Principal } from './principal.js';

/**
 * What a service needs to know about the request it serves, as one value: the database, the
 * request's id (for the audit trail and logs) and the clock (so that "today" can be fixed in tests).
 * Routes build it (src/http/context.ts); services never see HTTP.
 */
export interface PublicContext {
  database: DatabaseHandle;
  requestId: string;
  clock: () => Date;
}

/** A request made with an API key: who asks, beside the rest. */
export interface RequestContext extends PublicContext {
  principal: Principal;
}
