import { hash } from 'node:crypto';
import type { Role } from '../db/schema.js';
import { notFound } from './errors.js';

export const ROLES: readonly Role[] = ['admin', 'finance', 'commissioner', 'regulator'];

/** Who is asking: the API key's role and the tenant it is bound to. */
export interface Principal {
  /** The api_keys row, or null for the ADMIN_API_KEY from the environment. */
  keyId: string | null;
  /** What the audit trail records as the actor: the key's prefix, or `env:ADMIN_API_KEY`. */
  actor: string;
  role: Role;
  organisationId: string | null;
  councils: readonly string[];
}

/** Throws NotFound unless the principal may see this organisation's data (finance: its own only). */
export function assertOrganisation(
  principal: Principal | undefined,
  organisationId: string,
  what: string,
): void {
  if (principal?.role === 'finance' && principal.organisationId !== organisationId) throw notFound(what);
}

/** Throws NotFound when a commissioner asks for another council's data (others are scoped elsewhere). */
export function assertCouncilVisible(principal: Principal | undefined, councilCode: string): void {
  if (principal?.role === 'commissioner' && !principal.councils.includes(councilCode))
    throw notFound('Council');
}

/**
 * The councils a list is narrowed to: a commissioner's own (the one asked for, if it is one of them),
 * else the one asked for, else undefined (every council).
 */
export function councilsInView(principal: Principal, councilCode: string | undefined): string[] | undefined {
  if (principal.role === 'commissioner')
    return principal.councils.filter((code) => !councilCode || code === councilCode);
  return councilCode ? [councilCode] : undefined;
}

export function sha256(value: string): Buffer {
  // one-shot: no Hash object per call (every request that presents a key hashes it)
  return hash('sha256', value, 'buffer');
}
