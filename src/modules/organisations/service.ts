import type { DatabaseHandle } from '../../db/database.js';
import type { Principal } from '../../http/auth.js';
import { assertOrganisation, notFound } from '../../http/auth.js';
import { conflictOnUniqueViolation } from '../../http/errors.js';
import { decodeCursor, pageOf } from '../../http/paging.js';
import { recordAudit } from '../audit/repository.js';
import { findOrganisation, insertOrganisation, listOrganisations, toOrganisation } from './repository.js';
import type { Organisation, OrganisationInput } from './schemas.js';

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
  const after = cursor ? (decodeCursor(cursor, 2) as [string, string]) : undefined;
  const onlyId = principal.role === 'finance' ? (principal.organisationId ?? undefined) : undefined;
  const rows = await listOrganisations(database.db, { onlyId, limit, ...(after ? { after } : {}) });
  return pageOf(rows, limit, toOrganisation, (organisation) => [organisation.name, organisation.id]);
}
