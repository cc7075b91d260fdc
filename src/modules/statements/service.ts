import type { RequestContext } from '../../core/context.js';
import { invalidField } from '../../core/errors.js';
import { occupancy } from '../../domain/charges/index.js';
import { visibleCouncil } from '../councils/index.js';
import { scheduleInForce } from '../fee-schedules/index.js';
import { visibleHome } from '../homes/index.js';
import { currentPlacements } from '../placements/index.js';
import { chargeCouncil } from './charges.js';
import type { Statement } from './schemas.js';

/** A date range of a statement or an occupancy figure. */
export interface DateRange {
  from: string;
  to: string;
}

function checkRange(from: string, to: string) {
  if (to < from) throw invalidField('/to', 'must not be before from');
  const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000 + 1;
  if (days > 3 * 366) throw invalidField('/to', 'a statement covers at most three years');
}

/**
 * A council's statement of charges: its placements (a finance key: in its organisation's homes)
 * charged day by day at the fee schedule in force, by the rule of src/domain/charges.
 */
export async function councilStatement(
  ctx: RequestContext,
  { councilCode, from, to }: DateRange & { councilCode: string },
): Promise<Statement> {
  const council = await visibleCouncil(ctx, councilCode);
  checkRange(from, to);
  const { homes, charges, schedules } = await chargeCouncil(ctx, councilCode, from, to);
  const homeName = new Map(homes.map((home) => [home.id, home.name]));
  const used = new Set(charges.placements.flatMap((p) => p.lines.map((line) => line.scheduleId)));
  return {
    council: { onsCode: council.ons_code, name: council.name },
    from,
    to,
    rule: charges.rule,
    total: charges.total,
    homes: charges.homes.map((home) => ({ ...home, homeName: homeName.get(home.homeId) ?? '' })),
    placements: charges.placements.map((placement) => ({
      ...placement,
      homeName: homeName.get(placement.homeId) ?? '',
    })),
    feeSchedules: schedules
      .filter((schedule) => used.has(schedule.id))
      .sort((a, b) => a.homeId.localeCompare(b.homeId) || a.version - b.version)
      .map(({ id, homeId, version, periodLabel, effectiveFrom, weeklyFeePerChild }) => ({
        id,
        homeId,
        version,
        periodLabel,
        effectiveFrom,
        weeklyFeePerChild,
      })),
  };
}

export async function homeOccupancy(
  ctx: RequestContext,
  { homeId, from, to }: DateRange & { homeId: string },
) {
  const { database } = ctx;
  const home = await visibleHome(ctx, homeId);
  checkRange(from, to);
  const placements = await currentPlacements(database.db, { homeId, overlapping: { from, to } });
  const schedule = await scheduleInForce(database.db, homeId, to);
  const planned = schedule ? schedule.model.home.plannedOccupancy : null;
  return {
    homeId,
    from,
    to,
    registeredPlaces: home.registered_places,
    ...occupancy({
      from,
      to,
      registeredPlaces: home.registered_places,
      plannedOccupancy: planned,
      placements: placements.map((p) => ({ start: p.start_date, end: p.end_date })),
    }),
  };
}
