import type { DatabaseHandle } from '../../db/database.js';
import { assertOrganisation, notFound, type Principal } from '../../http/auth.js';
import { conflictOnUniqueViolation, invalidField } from '../../http/errors.js';
import { decodeCursor, pageOf } from '../../http/paging.js';
import { recordAudit } from '../audit/repository.js';
import { findOrganisation } from '../organisations/repository.js';
import { findHome, listHomes, toHome } from './repository.js';
import type { Home, HomeInput, HomePatch } from './schemas.js';

/** Loads a home the principal may see, or answers 404 (for a missing one and another tenant's alike). */
export async function visibleHome(database: DatabaseHandle, principal: Principal | undefined, id: string) {
  const row = await findHome(database.db, id);
  if (!row) throw notFound('Home');
  assertOrganisation(principal, row.organisation_id, 'Home');
  return row;
}

export async function createHome(
  database: DatabaseHandle,
  principal: Principal,
  requestId: string,
  input: HomeInput,
) {
  const organisationId = input.organisationId ?? principal.organisationId;
  if (!organisationId) throw invalidField('/organisationId', 'is required');
  if (principal.role === 'finance' && organisationId !== principal.organisationId) {
    throw invalidField('/organisationId', 'a finance key adds homes to its own organisation only');
  }
  if (!(await findOrganisation(database.db, organisationId)))
    throw invalidField('/organisationId', 'is not an organisation known here');
  const council = await database.db
    .selectFrom('councils')
    .select('ons_code')
    .where('ons_code', '=', input.hostCouncil)
    .executeTakeFirst();
  if (!council)
    throw invalidField(
      '/hostCouncil',
      'is not a council known here (an admin can add it: POST /v1/councils)',
    );
  if (input.closedOn && input.closedOn < input.openedOn)
    throw invalidField('/closedOn', 'must not be before openedOn');
  try {
    return await database.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('homes')
        .values({
          organisation_id: organisationId,
          name: input.name,
          ofsted_urn: input.ofstedUrn ?? null,
          host_council: input.hostCouncil,
          registered_places: input.registeredPlaces,
          opened_on: input.openedOn,
          closed_on: input.closedOn ?? null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const home = toHome(row);
      await recordAudit(trx, {
        principal,
        requestId,
        action: 'create',
        resourceType: 'home',
        resourceId: home.id,
        organisationId,
        after: home,
      });
      return home;
    });
  } catch (error) {
    conflictOnUniqueViolation(error, 'A home with this Ofsted URN exists already');
  }
}

export async function updateHome(
  database: DatabaseHandle,
  principal: Principal,
  requestId: string,
  id: string,
  patch: HomePatch,
): Promise<Home> {
  const before = await visibleHome(database, principal, id);
  const closedOn = patch.closedOn === undefined ? before.closed_on : patch.closedOn;
  if (closedOn && closedOn < before.opened_on)
    throw invalidField('/closedOn', 'must not be before the home opened');
  try {
    return await database.db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('homes')
        .set({
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.ofstedUrn !== undefined ? { ofsted_urn: patch.ofstedUrn } : {}),
          ...(patch.registeredPlaces !== undefined ? { registered_places: patch.registeredPlaces } : {}),
          ...(patch.closedOn !== undefined ? { closed_on: patch.closedOn } : {}),
          updated_at: new Date(),
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const home = toHome(row);
      await recordAudit(trx, {
        principal,
        requestId,
        action: 'update',
        resourceType: 'home',
        resourceId: id,
        organisationId: home.organisationId,
        before: toHome(before),
        after: home,
      });
      return home;
    });
  } catch (error) {
    conflictOnUniqueViolation(error, 'A home with this Ofsted URN exists already');
  }
}

export async function pageHomes(
  database: DatabaseHandle,
  principal: Principal,
  query: {
    organisationId?: string | undefined;
    hostCouncil?: string | undefined;
    cursor?: string | undefined;
    limit: number;
  },
) {
  const organisationId =
    principal.role === 'finance' ? (principal.organisationId ?? undefined) : query.organisationId;
  const afterId = query.cursor ? decodeCursor(query.cursor, ['uuid'])[0] : undefined;
  const rows = await listHomes(database.db, {
    organisationId,
    hostCouncil: query.hostCouncil,
    afterId,
    limit: query.limit,
  });
  return pageOf(rows, query.limit, toHome, (home) => [home.id]);
}
