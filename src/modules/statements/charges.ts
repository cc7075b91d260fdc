import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { type ChargeSchedule, type Charges, computeCharges } from '../../domain/charges/index.js';
import type { Breakdown } from '../../domain/pricing/index.js';
import { toChargeSchedule } from '../fee-schedules/repository.js';
import { type currentPlacements, toChargePlacement } from '../placements/repository.js';
import { rateTables } from '../rates/repository.js';

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
  const rows = homeIds.length
    ? await db
        .selectFrom('fee_schedules')
        .select([
          'id',
          'home_id',
          'version',
          'period_label',
          'effective_from',
          'published_at',
          'weekly_fee_per_child',
          'model',
          'breakdown',
        ])
        .where('home_id', 'in', [...homeIds])
        .where('effective_from', '<=', to)
        .execute()
    : [];
  const schedules: LoadedSchedule[] = rows.map((row) => ({
    ...toChargeSchedule(row),
    breakdown: row.breakdown as Breakdown,
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
