import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { RequestContext } from '../../core/context.js';
import { invalidField, notFound } from '../../core/errors.js';
import { decodeCursor, pageOf } from '../../core/paging.js';
import { assertOrganisation, councilsInView, type Principal } from '../../core/principal.js';
import type { Database } from '../../db/schema.js';
import { recordAudit } from '../audit/index.js';
import { visibleHome } from '../homes/index.js';
import type { PlacementVersion } from './repository.js';
import {
  councilExists,
  currentPlacements,
  findPlacement,
  insertPlacement,
  insertVersion,
  versionsOf,
} from './repository.js';
import type { Placement, PlacementChange, PlacementEnhancement, PlacementInput } from './schemas.js';

type Db = Kysely<Database> | Transaction<Database>;
type EnhancementInput = Omit<PlacementEnhancement, 'id' | 'end'> & {
  id?: string | undefined;
  end?: string | null | undefined;
};

/** A commissioner sees its councils' placements only; finance its organisation's; others all. */
export function assertPlacementVisible(
  principal: Principal | undefined,
  placement: { organisation_id: string; council_code: string },
) {
  assertOrganisation(principal, placement.organisation_id, 'Placement');
  if (principal?.role === 'commissioner' && !principal.councils.includes(placement.council_code))
    throw notFound('Placement');
}

function normaliseEnhancements(
  list: readonly EnhancementInput[],
  start: string,
  end: string | null,
): PlacementEnhancement[] {
  return list.map((enhancement, index) => {
    const enhancementEnd = enhancement.end ?? null;
    if (enhancementEnd !== null && enhancementEnd < enhancement.start) {
      throw invalidField(`/enhancements/${index}/end`, 'must not be before its start');
    }
    if (enhancement.start < start || (end !== null && enhancement.start > end)) {
      throw invalidField(`/enhancements/${index}/start`, 'must fall within the placement');
    }
    return {
      id: enhancement.id ?? randomUUID().slice(0, 8),
      description: enhancement.description,
      roleId: enhancement.roleId,
      hoursPerWeek: enhancement.hoursPerWeek,
      start: enhancement.start,
      end: enhancementEnd,
    };
  });
}

async function toPlacement(db: Db, id: string): Promise<Placement> {
  const placement = await findPlacement(db, id);
  if (!placement) throw notFound('Placement');
  const versions = await versionsOf(db, id);
  const current = versions.at(-1)!;
  const history = versions.map((v) => ({
    version: v.version,
    action: v.action,
    homeId: v.home_id,
    start: v.start_date,
    end: v.end_date,
    enhancements: v.enhancements,
    note: v.note,
    recordedAt: v.recorded_at.toISOString(),
    recordedBy: v.recorded_by,
  }));
  return {
    id,
    organisationId: placement.organisation_id,
    councilCode: placement.council_code,
    reference: placement.reference,
    movedFrom: placement.moved_from,
    homeId: current.home_id,
    start: current.start_date,
    end: current.end_date,
    enhancements: current.enhancements,
    version: current.version,
    history,
  };
}

/** Appends one version of a placement: the whole state from now on, and what changed it. */
async function appendVersion(
  trx: Transaction<Database>,
  principal: Principal,
  version: Omit<PlacementVersion, 'note' | 'recordedBy'> & { note?: string | undefined },
): Promise<void> {
  await insertVersion(trx, { ...version, note: version.note ?? null, recordedBy: principal.actor });
}

async function recordPlacement(
  trx: Transaction<Database>,
  principal: Principal,
  fields: {
    organisationId: string;
    homeId: string;
    councilCode: string;
    reference: string;
    start: string;
    end: string | null;
    enhancements: PlacementEnhancement[];
    note?: string | undefined;
    movedFrom?: string;
  },
  action: 'create' | 'move',
) {
  if (!(await councilExists(trx, fields.councilCode)))
    throw invalidField('/councilCode', 'is not a council known here');
  const id = await insertPlacement(trx, {
    organisationId: fields.organisationId,
    councilCode: fields.councilCode,
    reference: fields.reference,
    movedFrom: fields.movedFrom ?? null,
    createdBy: principal.actor,
  });
  await appendVersion(trx, principal, {
    placementId: id,
    version: 1,
    homeId: fields.homeId,
    start: fields.start,
    end: fields.end,
    enhancements: fields.enhancements,
    action,
    note: fields.note,
  });
  return id;
}

export async function createPlacement(ctx: RequestContext, input: PlacementInput) {
  const { database, principal, requestId } = ctx;
  const home = await visibleHome(ctx, input.homeId);
  const end = input.end ?? null;
  if (end !== null && end < input.start) throw invalidField('/end', 'must not be before the start');
  const enhancements = normaliseEnhancements(input.enhancements, input.start, end);
  return database.db.transaction().execute(async (trx) => {
    const id = await recordPlacement(
      trx,
      principal,
      {
        organisationId: home.organisation_id,
        homeId: home.id,
        councilCode: input.councilCode,
        reference: input.reference,
        start: input.start,
        end,
        enhancements,
        note: input.note,
      },
      'create',
    );
    const placement = await toPlacement(trx, id);
    await recordAudit(trx, {
      principal,
      requestId,
      action: 'create',
      resourceType: 'placement',
      resourceId: id,
      organisationId: home.organisation_id,
      after: placement,
    });
    return placement;
  });
}

export async function getPlacement(ctx: RequestContext, id: string): Promise<Placement> {
  const { database, principal } = ctx;
  const placement = await findPlacement(database.db, id);
  if (!placement) throw notFound('Placement');
  assertPlacementVisible(principal, placement);
  return toPlacement(database.db, id);
}

/** Appends a version: an end, a correction of the dates, or a new list of enhancements. */
export async function changePlacement(
  ctx: RequestContext,
  { id, change }: { id: string; change: PlacementChange },
) {
  const { database, principal, requestId } = ctx;
  const before = await getPlacement(ctx, id);
  let start = before.start;
  let end = before.end;
  let enhancements = before.enhancements;
  if (change.action === 'end') end = change.end;
  if (change.action === 'correct') {
    start = change.start ?? start;
    end = change.end === undefined ? end : change.end;
  }
  if (change.action === 'enhance') enhancements = normaliseEnhancements(change.enhancements, start, end);
  if (end !== null && end < start) throw invalidField('/end', 'must not be before the start');
  return database.db.transaction().execute(async (trx) => {
    await appendVersion(trx, principal, {
      placementId: id,
      version: before.version + 1,
      homeId: before.homeId,
      start,
      end,
      enhancements,
      action: change.action,
      note: change.note,
    });
    const after = await toPlacement(trx, id);
    await recordAudit(trx, {
      principal,
      requestId,
      action: change.action,
      resourceType: 'placement',
      resourceId: id,
      organisationId: after.organisationId,
      before: { ...before, history: undefined },
      after: { ...after, history: undefined },
    });
    return after;
  });
}

/** A move: the placement ends the day before `date`, and a new one (linked to it) starts in the new home. */
export async function movePlacement(
  ctx: RequestContext,
  { id, move }: { id: string; move: { homeId: string; date: string; note?: string | undefined } },
) {
  const { database, principal, requestId } = ctx;
  const before = await getPlacement(ctx, id);
  const home = await visibleHome(ctx, move.homeId);
  if (home.organisation_id !== before.organisationId)
    throw invalidField('/homeId', 'must be a home of the same organisation');
  if (move.date <= before.start || (before.end !== null && move.date > before.end)) {
    throw invalidField('/date', "must fall after the placement's start and within it");
  }
  const dayBefore = new Date(Date.parse(`${move.date}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
  return database.db.transaction().execute(async (trx) => {
    await appendVersion(trx, principal, {
      placementId: id,
      version: before.version + 1,
      homeId: before.homeId,
      start: before.start,
      end: dayBefore,
      enhancements: before.enhancements
        .filter((e) => e.start <= dayBefore)
        .map((e) => ({ ...e, end: e.end === null || e.end > dayBefore ? dayBefore : e.end })),
      action: 'move',
      note: move.note,
    });
    const newId = await recordPlacement(
      trx,
      principal,
      {
        organisationId: before.organisationId,
        homeId: home.id,
        councilCode: before.councilCode,
        reference: before.reference,
        start: move.date,
        end: before.end,
        enhancements: [],
        note: move.note,
        movedFrom: id,
      },
      'move',
    );
    const moved = await toPlacement(trx, newId);
    await recordAudit(trx, {
      principal,
      requestId,
      action: 'move',
      resourceType: 'placement',
      resourceId: id,
      organisationId: before.organisationId,
      before: { homeId: before.homeId },
      after: { placementId: newId, homeId: home.id, start: move.date },
    });
    return moved;
  });
}

export async function pagePlacements(
  ctx: RequestContext,
  query: {
    councilCode?: string | undefined;
    homeId?: string | undefined;
    cursor?: string | undefined;
    limit: number;
  },
) {
  const { database, principal } = ctx;
  const councilCodes = councilsInView(principal, query.councilCode);
  const organisationId = principal.role === 'finance' ? (principal.organisationId ?? undefined) : undefined;
  const afterId = query.cursor ? decodeCursor(query.cursor, ['uuid'])[0] : undefined;
  const rows = await currentPlacements(database.db, {
    councilCodes,
    organisationId,
    homeId: query.homeId,
    afterId,
    limit: query.limit,
  });
  return pageOf(
    rows,
    query.limit,
    (row) => ({
      id: row.id,
      organisationId: row.organisation_id,
      councilCode: row.council_code,
      reference: row.reference,
      movedFrom: row.moved_from,
      homeId: row.home_id,
      start: row.start_date,
      end: row.end_date,
      enhancements: row.enhancements,
      version: row.version,
    }),
    (placement) => [placement.id],
  );
}
