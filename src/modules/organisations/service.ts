import type { RequestContext } from '../../core/context.js';
import { conflictOnUniqueViolation, notFound } from '../../core/errors.js';
import { decodeCursor, pageOf } from '../../core/paging.js';
import { assertOrganisation } from '../../core/principal.js';
import { recordAudit } from '../audit/index.js';
import {
  findOrganisation,
  insertOrganisation,
  listOrganisations,
  toOrganisation,
  updateOrganisationPolicy,
} from './repository.js';
import type { Organisation, OrganisationInput, OrganisationPolicy } from './schemas.js';

export async function createOrganisation(
  ctx: RequestContext,
  input: OrganisationInput,
): Promise<Organisation> {
  try {
    return await ctx.database.db.transaction().execute(async (trx) => {
      const organisation = toOrganisation(await insertOrganisation(trx, input));
      await recordAudit(trx, {
        principal: ctx.principal,
        requestId: ctx.requestId,
        action: 'create',
        resourceType: 'organisation',
        resourceId: organisation.id,
        organisationId: organisation.id,
        after: organisation,
      });
      return organisation;
    });
  } catch (error) {
    conflictOnUniqueViolation(error, 'An organisation with this Companies House number exists already');
  }
}

export async function getOrganisation(ctx: RequestContext, organisationId: string): Promise<Organisation> {
  assertOrganisation(ctx.principal, organisationId, 'Organisation');
  const row = await findOrganisation(ctx.database.db, organisationId);
  if (!row) throw notFound('Organisation');
  return toOrganisation(row);
}

export async function pageOrganisations(
  ctx: RequestContext,
  query: { cursor?: string | undefined; limit: number },
): Promise<{ items: Organisation[]; nextCursor: string | null }> {
  const { principal } = ctx;
  const { cursor, limit } = query;
  const after = cursor ? decodeCursor(cursor, ['text', 'uuid']) : undefined;
  const onlyId = principal.role === 'finance' ? (principal.organisationId ?? undefined) : undefined;
  const rows = await listOrganisations(ctx.database.db, { onlyId, limit, ...(after ? { after } : {}) });
  return pageOf(rows, limit, toOrganisation, (organisation) => [organisation.name, organisation.id]);
}

/** Sets the organisation's policy (the scope of its cap), audited with the policy before and after. */
export async function setOrganisationPolicy(
  ctx: RequestContext,
  organisationId: string,
  policy: OrganisationPolicy,
): Promise<Organisation> {
  return ctx.database.db.transaction().execute(async (trx) => {
    const changed = await updateOrganisationPolicy(trx, organisationId, policy);
    if (!changed) throw notFound('Organisation');
    const organisation = toOrganisation(changed.after);
    await recordAudit(trx, {
      principal: ctx.principal,
      requestId: ctx.requestId,
      action: 'update',
      resourceType: 'organisation',
      resourceId: organisationId,
      organisationId,
      before: { capScope: changed.before.cap_scope },
      after: { capScope: organisation.capScope },
    });
    return organisation;
  });
}
