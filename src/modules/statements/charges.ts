import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { type ChargeSchedule, type Charges, computeCharges } from '../../domain/charges/index.js';
import type { Breakdown } from '../../domain/pricing/index.js';
import { toChargeSchedule } from '../fee-schedules/index.js';
import { type currentPlacements, toChargePlacement } from '../placements/index.js';
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
