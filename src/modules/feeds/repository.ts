import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Which homes' schedules a feed lists: an organisation's, or those of the homes in a council's area
 * (`hostCouncil`, narrowed to one organisation's for a finance key) together with any homes named.
 */
export type FeedHomes =
  | { organisationId: string }
  | { hostCouncil: string; organisationId?: string | undefined; alsoHomeIds?: readonly string[] | undefined };

/** A published schedule as a feed lists it: the home's and provider's names, and the schedule before it. */
export interface FeedScheduleRow {
  id: string;
  homeId: string;
  homeName: string;
  hostCouncil: string;
  organisationId: string;
  organisationName: string;
  periodLabel: string;
  periodStart: string;
  periodEnd: string;
  version: number;
  effectiveFrom: string;
  weeklyFeePerChild: string;
  publishedAt: Date;
  /** The schedule published for the same home just before it (by effectiveFrom, then publication). */
  previous: { weeklyFeePerChild: string; effectiveFrom: string } | null;
}

/**
 * The latest `limit` schedules published for these homes, newest publication first. The previous
 * schedule of each is found over the home's whole history (the window runs before the limit), in the
 * order of GET /v1/fee-schedules/{id}/changes: effectiveFrom, then publication.
 */
export async function publishedSchedules(
  db: Db,
  homes: FeedHomes,
  limit: number,
): Promise<FeedScheduleRow[]> {
  const window = sql`over (partition by fs.home_id order by fs.effective_from, fs.published_at, fs.id)`;
  let query = db
    .selectFrom('fee_schedules as fs')
    .innerJoin('homes as h', 'h.id', 'fs.home_id')
    .innerJoin('organisations as o', 'o.id', 'fs.organisation_id')
    .select([
      'fs.id',
      'fs.home_id',
      'h.name as home_name',
      'h.host_council',
      'fs.organisation_id',
      'o.name as organisation_name',
      'fs.period_label',
      'fs.period_start',
      'fs.period_end',
      'fs.version',
      'fs.effective_from',
      'fs.weekly_fee_per_child',
      'fs.published_at',
      sql<string | null>`lag(fs.weekly_fee_per_child) ${window}`.as('previous_fee'),
      sql<string | null>`lag(fs.effective_from) ${window}`.as('previous_effective_from'),
    ])
    .orderBy('fs.published_at', 'desc')
    .orderBy('fs.id', 'desc')
    .limit(limit);
  if ('hostCouncil' in homes) {
    const { hostCouncil, organisationId, alsoHomeIds = [] } = homes;
    query = query.where((eb) =>
      eb.or([
        eb('h.host_council', '=', hostCouncil),
        ...(alsoHomeIds.length > 0 ? [eb('fs.home_id', 'in', [...alsoHomeIds])] : []),
      ]),
    );
    if (organisationId !== undefined) query = query.where('fs.organisation_id', '=', organisationId);
  } else {
    query = query.where('fs.organisation_id', '=', homes.organisationId);
  }
  const rows = await query.execute();
  return rows.map((row) => ({
    id: row.id,
    homeId: row.home_id,
    homeName: row.home_name,
    hostCouncil: row.host_council,
    organisationId: row.organisation_id,
    organisationName: row.organisation_name,
    periodLabel: row.period_label,
    periodStart: row.period_start,
    periodEnd: row.period_end,
    version: row.version,
    effectiveFrom: row.effective_from,
    weeklyFeePerChild: row.weekly_fee_per_child,
    publishedAt: row.published_at,
    previous:
      row.previous_fee === null || row.previous_effective_from === null
        ? null
        : { weeklyFeePerChild: row.previous_fee, effectiveFrom: row.previous_effective_from },
  }));
}
