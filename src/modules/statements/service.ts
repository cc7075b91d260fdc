import type { DatabaseHandle } from '../../db/database.js';
import { occupancy } from '../../domain/charges/index.js';
import type { CostModel } from '../../domain/pricing/index.js';
import { notFound, type Principal } from '../../http/auth.js';
import { invalidField } from '../../http/errors.js';
import { scheduleInForce } from '../fee-schedules/repository.js';
import { visibleHome } from '../homes/service.js';
import { currentPlacements } from '../placements/repository.js';
import { chargePlacements } from './charges.js';
import type { Statement } from './schemas.js';

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
  database: DatabaseHandle,
  principal: Principal,
  councilCode: string,
  from: string,
  to: string,
): Promise<Statement> {
  if (principal.role === 'commissioner' && !principal.councils.includes(councilCode))
    throw notFound('Council');
  const council = await database.db
    .selectFrom('councils')
    .selectAll()
    .where('ons_code', '=', councilCode)
    .executeTakeFirst();
  if (!council) throw notFound('Council');
  checkRange(from, to);
  const organisationId = principal.role === 'finance' ? (principal.organisationId ?? undefined) : undefined;
  const rows = await currentPlacements(database.db, {
    councilCodes: [councilCode],
    organisationId,
    overlapping: { from, to },
  });
  const homeIds = [...new Set(rows.map((row) => row.home_id))];
  const homes = homeIds.length
    ? await database.db.selectFrom('homes').select(['id', 'name']).where('id', 'in', homeIds).execute()
    : [];
  const { charges, schedules } = await chargePlacements(database.db, rows, homeIds, from, to);
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
  database: DatabaseHandle,
  principal: Principal,
  homeId: string,
  from: string,
  to: string,
) {
  const home = await visibleHome(database, principal, homeId);
  checkRange(from, to);
  const placements = await currentPlacements(database.db, { homeId, overlapping: { from, to } });
  const schedule = await scheduleInForce(database.db, homeId, to);
  const planned = schedule ? (schedule.model as CostModel).home.plannedOccupancy : null;
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
