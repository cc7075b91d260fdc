import type { DatabaseHandle } from '../../db/database.js';
import type { Principal } from '../../http/auth.js';
import { assertOrganisation, notFound } from '../../http/auth.js';
import { conflictOnUniqueViolation } from '../../http/errors.js';
import { decodeCursor, pageOf } from '../../http/paging.js';
import { recordAudit } from '../audit/repository.js';
import {
  findOrganisation,
  insertOrganisation,
  listOrganisations,
  toOrganisation,
  updateOrganisationPolicy,
} from './repository.js';
import type { Organisation, OrganisationInput, OrganisationPolicy } from './schemas.js';

export async function createOrganisation(
  database: DatabaseHandle,
  principal: Principal,
  requestId: string,
  input: OrganisationInput,
): Promise<Organisation> {
  try {
    return await database.db.transaction().execute(async (trx) => {
      const organisation = toOrganisation(await insertOrganisation(trx, input));
      await recordAudit(trx, {
        principal,
        requestId,
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

export async function getOrganisation(
  database: DatabaseHandle,
  principal: Principal,
  id: string,
): Promise<Organisation> {
  assertOrganisation(principal, id, 'Organisation');
  const row = await findOrganisation(database.db, id);
  if (!row) throw notFound('Organisation');
  return toOrganisation(row);
}

export async function pageOrganisations(
  database: DatabaseHandle,
  principal: Principal,
  cursor: string | undefined,
  limit: number,
): Promise<{ items: Organisation[]; nextCursor: string | null }> {
  const after = cursor ? decodeCursor(cursor, ['text', 'uuid']) : undefined;
  const onlyId = principal.role === 'finance' ? (principal.organisationId ?? undefined) : undefined;
  const rows = await listOrganisations(database.db, { onlyId, limit, ...(after ? { after } : {}) });
  return pageOf(rows, limit, toOrganisation, (organisation) => [organisation.name, organisation.id]);
}

/** Sets the organisation's policy (the scope of its cap), audited with the policy before and after. */
export async function setOrganisationPolicy(
  database: DatabaseHandle,
  principal: Principal,
  requestId: string,
  id: string,
  policy: OrganisationPolicy,
): Promise<Organisation> {
  return database.db.transaction().execute(async (trx) => {
    const changed = await updateOrganisationPolicy(trx, id, policy);
    if (!changed) throw notFound('Organisation');
    const organisation = toOrganisation(changed.after);
    await recordAudit(trx, {
      principal,
      requestId,
      action: 'update',
      resourceType: 'organisation',
      resourceId: id,
      organisationId: id,
      before: { capScope: changed.before.cap_scope },
      after: { capScope: organisation.capScope },
    });
    return organisation;
  });
}
