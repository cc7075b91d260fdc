import type { RequestContext } from '../../core/context.js';
import { conflictOnUniqueViolation, invalidField, notFound } from '../../core/errors.js';
import { decodeCursor, pageOf } from '../../core/paging.js';
import { assertOrganisation, type Principal } from '../../core/principal.js';
import type { DatabaseHandle } from '../../db/database.js';
import { recordAudit } from '../audit/index.js';
import { findCouncil } from '../councils/index.js';
import { findOrganisation } from '../organisations/index.js';
import { findHome, insertHome, listHomes, toHome, updateHomeRow } from './repository.js';
import type { Home, HomeInput, HomePatch } from './schemas.js';

/** The database and who asks (none on a public page): a RequestContext or a PublicContext will do. */
export interface HomeReader {
  database: DatabaseHandle;
  principal?: Principal | undefined;
}

/** Loads a home the principal may see, or answers 404 (for a missing one and another tenant's alike). */
export async function visibleHome(ctx: HomeReader, homeId: string) {
  const row = await findHome(ctx.database.db, homeId);
  if (!row) throw notFound('Home');
  assertOrganisation(ctx.principal, row.organisation_id, 'Home');
  return row;
}

export async function getHome(ctx: RequestContext, homeId: string): Promise<Home> {
  return toHome(await visibleHome(ctx, homeId));
}

export async function createHome(ctx: RequestContext, input: HomeInput): Promise<Home> {
  const { database, principal } = ctx;
  const organisationId = input.organisationId ?? principal.organisationId;
  if (!organisationId) throw invalidField('/organisationId', 'is required');
  if (principal.role === 'finance' && organisationId !== principal.organisationId) {
    throw invalidField('/organisationId', 'a finance key adds homes to its own organisation only');
  }
  if (!(await findOrganisation(database.db, organisationId)))
    throw invalidField('/organisationId', 'is not an organisation known here');
  if (!(await findCouncil(database.db, input.hostCouncil)))
    throw invalidField(
      '/hostCouncil',
      'is not a council known here (an admin can add it: POST /v1/councils)',
    );
  if (input.closedOn && input.closedOn < input.openedOn)
    throw invalidField('/closedOn', 'must not be before openedOn');
  try {
    return await database.db.transaction().execute(async (trx) => {
      const row = await insertHome(trx, {
        organisation_id: organisationId,
        name: input.name,
        ofsted_urn: input.ofstedUrn ?? null,
        host_council: input.hostCouncil,
        registered_places: input.registeredPlaces,
        opened_on: input.openedOn,
        closed_on: input.closedOn ?? null,
      });
      const home = toHome(row);
      await recordAudit(trx, {
        principal,
        requestId: ctx.requestId,
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

export async function updateHome(ctx: RequestContext, homeId: string, patch: HomePatch): Promise<Home> {
  const before = await visibleHome(ctx, homeId);
  const closedOn = patch.closedOn === undefined ? before.closed_on : patch.closedOn;
  if (closedOn && closedOn < before.opened_on)
    throw invalidField('/closedOn', 'must not be before the home opened');
  try {
    return await ctx.database.db.transaction().execute(async (trx) => {
      const row = await updateHomeRow(trx, homeId, {
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.ofstedUrn !== undefined ? { ofsted_urn: patch.ofstedUrn } : {}),
        ...(patch.registeredPlaces !== undefined ? { registered_places: patch.registeredPlaces } : {}),
        ...(patch.closedOn !== undefined ? { closed_on: patch.closedOn } : {}),
      });
      const home = toHome(row);
      await recordAudit(trx, {
        principal: ctx.principal,
        requestId: ctx.requestId,
        action: 'update',
        resourceType: 'home',
        resourceId: homeId,
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
  ctx: RequestContext,
  query: {
    organisationId?: string | undefined;
    hostCouncil?: string | undefined;
    cursor?: string | undefined;
    limit: number;
  },
) {
  const { principal } = ctx;
  const organisationId =
    principal.role === 'finance' ? (principal.organisationId ?? undefined) : query.organisationId;
  const afterId = query.cursor ? decodeCursor(query.cursor, ['uuid'])[0] : undefined;
  const rows = await listHomes(ctx.database.db, {
    organisationId,
    hostCouncil: query.hostCouncil,
    afterId,
    limit: query.limit,
  });
  return pageOf(rows, query.limit, toHome, (home) => [home.id]);
}
