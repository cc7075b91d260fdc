import type { DatabaseHandle } from '../../db/database.js';
import { type ChargeSchedule, computeCharges, occupancy } from '../../domain/charges/index.js';
import type { CostModel } from '../../domain/pricing/index.js';
import { notFound, type Principal } from '../../http/auth.js';
import { invalidField } from '../../http/errors.js';
import { scheduleInForce } from '../fee-schedules/repository.js';
import { visibleHome } from '../homes/service.js';
import { currentPlacements } from '../placements/repository.js';
import type { PlacementEnhancement } from '../placements/schemas.js';
import { rateTables } from '../rates/repository.js';
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
  const scheduleRows = homeIds.length
    ? await database.db
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
        ])
        .where('home_id', 'in', homeIds)
        .where('effective_from', '<=', to)
        .execute()
    : [];
  const schedules: ChargeSchedule[] = scheduleRows.map((row) => ({
    id: row.id,
    homeId: row.home_id,
    version: row.version,
    periodLabel: row.period_label,
    effectiveFrom: row.effective_from,
    publishedAt: row.published_at.toISOString(),
    weeklyFeePerChild: row.weekly_fee_per_child,
    model: row.model as CostModel,
  }));
  const charges = computeCharges({
    from,
    to,
    rateTables: rateTables(),
    schedules,
    placements: rows.map((row) => ({
      id: row.id,
      homeId: row.home_id,
      councilCode: row.council_code,
      reference: row.reference,
      start: row.start_date,
      end: row.end_date,
      enhancements: row.enhancements as PlacementEnhancement[],
    })),
  });
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
