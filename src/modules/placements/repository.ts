import type { Kysely, Transaction } from 'kysely';
import type { Database, StoredEnhancement } from '../../db/schema.js';
import type { ChargePlacement } from '../../domain/charges/index.js';

type Db = Kysely<Database> | Transaction<Database>;

export async function findPlacement(db: Db, id: string) {
  return db.selectFrom('placements').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function versionsOf(db: Db, placementId: string) {
  return db
    .selectFrom('placement_versions')
    .selectAll()
    .where('placement_id', '=', placementId)
    .orderBy('version')
    .execute();
}

/** True when the council is one known here. */
export async function councilExists(db: Db, councilCode: string): Promise<boolean> {
  const council = await db
    .selectFrom('councils')
    .select('ons_code')
    .where('ons_code', '=', councilCode)
    .executeTakeFirst();
  return council !== undefined;
}

/** Inserts a placement's identity (its versions follow); returns its id. */
export async function insertPlacement(
  trx: Transaction<Database>,
  fields: {
    organisationId: string;
    councilCode: string;
    reference: string;
    movedFrom: string | null;
    createdBy: string;
  },
): Promise<string> {
  const row = await trx
    .insertInto('placements')
    .values({
      organisation_id: fields.organisationId,
      council_code: fields.councilCode,
      reference: fields.reference,
      moved_from: fields.movedFrom,
      created_by: fields.createdBy,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** One version of a placement: the whole state from then on, and what changed it. */
export interface PlacementVersion {
  placementId: string;
  version: number;
  homeId: string;
  start: string;
  end: string | null;
  enhancements: StoredEnhancement[];
  action: 'create' | 'end' | 'move' | 'correct' | 'enhance';
  note: string | null;
  recordedBy: string;
}

/** Appends one version of a placement. */
export async function insertVersion(trx: Transaction<Database>, version: PlacementVersion): Promise<void> {
  await trx
    .insertInto('placement_versions')
    .values({
      placement_id: version.placementId,
      version: version.version,
      home_id: version.homeId,
      start_date: version.start,
      end_date: version.end,
      enhancements: JSON.stringify(version.enhancements),
      action: version.action,
      note: version.note,
      recorded_by: version.recordedBy,
    })
    .execute();
}

/**
 * Each placement's latest version, with its identity. With organisations named, only their
 * placements' versions are read (a national export reads a chunk of organisations at a time).
 */
export async function currentPlacements(
  db: Db,
  filter: {
    councilCodes?: readonly string[] | undefined;
    organisationId?: string | undefined;
    organisationIds?: readonly string[] | undefined;
    homeId?: string | undefined;
    homeIds?: readonly string[] | undefined;
    /** Placements with a day in from..to (no `to`: open on `from` or after it). */
    overlapping?: { from: string; to?: string | undefined } | undefined;
    afterId?: string | undefined;
    limit?: number | undefined;
  },
) {
  let query = db
    .with('latest', (qb) =>
      qb
        .selectFrom('placement_versions')
        .distinctOn('placement_id')
        .selectAll()
        .$if(filter.organisationIds !== undefined, (sub) =>
          sub.where('placement_id', 'in', (placements) =>
            placements
              .selectFrom('placements')
              .select('id')
              .where('organisation_id', 'in', [...(filter.organisationIds ?? [])]),
          ),
        )
        .orderBy('placement_id')
        .orderBy('version', 'desc'),
    )
    .selectFrom('placements as p')
    .innerJoin('latest as v', 'v.placement_id', 'p.id')
    .select([
      'p.id',
      'p.organisation_id',
      'p.council_code',
      'p.reference',
      'p.moved_from',
      'v.version',
      'v.home_id',
      'v.start_date',
      'v.end_date',
      'v.enhancements',
    ])
    .orderBy('p.id');
  if (filter.councilCodes) query = query.where('p.council_code', 'in', [...filter.councilCodes, '']);
  if (filter.organisationId) query = query.where('p.organisation_id', '=', filter.organisationId);
  if (filter.homeId) query = query.where('v.home_id', '=', filter.homeId);
  if (filter.homeIds) query = query.where('v.home_id', 'in', [...filter.homeIds]);
  if (filter.overlapping) {
    const { from, to } = filter.overlapping;
    if (to !== undefined) query = query.where('v.start_date', '<=', to);
    query = query.where((eb) => eb.or([eb('v.end_date', 'is', null), eb('v.end_date', '>=', from)]));
  }
  if (filter.afterId) query = query.where('p.id', '>', filter.afterId);
  if (filter.limit) query = query.limit(filter.limit + 1);
  return query.execute();
}

/** A placement row (its latest version) as the charging rule of src/domain/charges takes it. */
export function toChargePlacement(row: {
  id: string;
  home_id: string;
  council_code: string;
  reference: string;
  start_date: string;
  end_date: string | null;
  enhancements: StoredEnhancement[];
}): ChargePlacement {
  return {
    id: row.id,
    homeId: row.home_id,
    councilCode: row.council_code,
    reference: row.reference,
    start: row.start_date,
    end: row.end_date,
    enhancements: row.enhancements,
  };
}
