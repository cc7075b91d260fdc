import type { Kysely } from 'kysely';
import type { RequestContext } from '../../core/context.js';
import type { Database } from '../../db/schema.js';
import { type ChargeSchedule, type Charges, computeCharges } from '../../domain/charges/index.js';
import type { Breakdown } from '../../domain/pricing/index.js';
import { toChargeSchedule } from '../fee-schedules/index.js';
import { homesById } from '../homes/index.js';
import { currentPlacements, toChargePlacement } from '../placements/index.js';
import { rateTables } from '../rates/index.js';
import { schedulesEffectiveBy } from './repository.js';

type PlacementRow = Awaited<ReturnType<typeof currentPlacements>>[number];

export interface LoadedSchedule extends ChargeSchedule {
  breakdown: Breakdown;
}

/**
 * Charges placements over [from, to] by the rule of src/domain/charges, at the fee schedules of
 * `homeIds` published for any day up to `to`. Statements and reconciliations both charge this way.
 */
export async function chargePlacements(
  db: Kysely<Database>,
  placements: readonly PlacementRow[],
  homeIds: readonly string[],
  from: string,
  to: string,
): Promise<{ charges: Charges; schedules: LoadedSchedule[] }> {
  const rows = await schedulesEffectiveBy(db, homeIds, to);
  const schedules: LoadedSchedule[] = rows.map((row) => ({
    ...toChargeSchedule(row),
    breakdown: row.breakdown,
  }));
  const charges = computeCharges({
    from,
    to,
    rateTables: rateTables(),
    schedules,
    placements: placements.map(toChargePlacement),
  });
  return { charges, schedules };
}

/**
 * A council's placements over [from, to] (a finance key: in its organisation's homes only), their
 * homes, and their charges: what a council's statement and its placement costs are both read from.
 */
export async function chargeCouncil(ctx: RequestContext, councilCode: string, from: string, to: string) {
  const { database, principal } = ctx;
  const organisationId = principal.role === 'finance' ? (principal.organisationId ?? undefined) : undefined;
  const placements = await currentPlacements(database.db, {
    councilCodes: [councilCode],
    organisationId,
    overlapping: { from, to },
  });
  const homeIds = [...new Set(placements.map((row) => row.home_id))];
  const homes = await homesById(database.db, homeIds);
  return { placements, homes, ...(await chargePlacements(database.db, placements, homeIds, from, to)) };
}
