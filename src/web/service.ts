import type { Selectable } from 'kysely';
import type { DatabaseHandle } from '../db/database.js';
import type { HomesTable, OrganisationsTable } from '../db/schema.js';
import type { FeeChange } from '../domain/pricing/index.js';
import { notFound, type Principal } from '../http/auth.js';
import { getProof, type ScheduleProof } from '../modules/fee-schedules/proofs.js';
import {
  listSchedules,
  plainRate,
  scheduleInForce,
  toFeeSchedule,
} from '../modules/fee-schedules/repository.js';
import type { FeeSchedule, FeeScheduleSummary } from '../modules/fee-schedules/schemas.js';
import { compareSchedules, type ScheduleCache } from '../modules/fee-schedules/service.js';
import { visibleHome } from '../modules/homes/service.js';
import { findOrganisation } from '../modules/organisations/repository.js';

/** How many versions the home page lists; the API pages through all of them. */
export const HISTORY_LIMIT = 100;

export interface IndexHome {
  id: string;
  name: string;
  closedOn: string | null;
  /** The schedule in force today, or else the first one to come into force. */
  schedule: { id: string; weeklyFeePerChild: string; surplusRate: string; effectiveFrom: string } | null;
  inForce: boolean;
}

export interface IndexOrganisation {
  id: string;
  name: string;
  surplusCapRate: string;
  capScope: 'organisation' | 'home';
  homes: IndexHome[];
}

/** The organisations the principal may see (a finance key: its own), each with its homes and current fee. */
export async function transparencyIndex(
  database: DatabaseHandle,
  principal: Principal | undefined,
  today: string,
): Promise<IndexOrganisation[]> {
  const { db } = database;
  const own = principal?.role === 'finance' ? principal.organisationId : undefined;
  let organisationsQuery = db.selectFrom('organisations').selectAll().orderBy('name').orderBy('id');
  let homesQuery = db.selectFrom('homes').selectAll().orderBy('name').orderBy('id');
  if (principal?.role === 'finance') {
    // a finance key without an organisation sees nothing rather than everything
    organisationsQuery = organisationsQuery.where('id', '=', own ?? '00000000-0000-0000-0000-000000000000');
    homesQuery = homesQuery.where('organisation_id', '=', own ?? '00000000-0000-0000-0000-000000000000');
  }
  const organisations = await organisationsQuery.execute();
  const homes = await homesQuery.execute();
  const result: IndexOrganisation[] = [];
  for (const organisation of organisations) {
    const entries: IndexHome[] = [];
    for (const home of homes.filter((h) => h.organisation_id === organisation.id)) {
      entries.push(await indexHome(database, home, today));
    }
    result.push({
      id: organisation.id,
      name: organisation.name,
      surplusCapRate: plainRate(organisation.surplus_cap_rate),
      capScope: organisation.cap_scope,
      homes: entries,
    });
  }
  return result;
}

async function indexHome(database: DatabaseHandle, home: Selectable<HomesTable>, today: string) {
  const current = await scheduleInForce(database.db, home.id, today);
  const row =
    current ??
    (await database.db
      .selectFrom('fee_schedules')
      .selectAll()
      .where('home_id', '=', home.id)
      .orderBy('effective_from', 'asc')
      .orderBy('published_at', 'desc')
      .limit(1)
      .executeTakeFirst());
  return {
    id: home.id,
    name: home.name,
    closedOn: home.closed_on,
    inForce: current !== undefined,
    schedule: row
      ? {
          id: row.id,
          weeklyFeePerChild: row.weekly_fee_per_child,
          surplusRate: plainRate(row.surplus_rate),
          effectiveFrom: row.effective_from,
        }
      : null,
  };
}

export interface HomePage {
  home: Selectable<HomesTable>;
  organisation: Selectable<OrganisationsTable> & { surplusCapRate: string };
  on: string;
  today: string;
  schedule: FeeSchedule | null;
  /** The schedule is in force on `on` after its own period's end: the last agreed fee, held over (method §7). */
  heldOver: boolean;
  proof: ScheduleProof | undefined;
  history: FeeScheduleSummary[];
  /** More versions than the page lists. */
  moreHistory: boolean;
}

export async function transparencyHome(
  database: DatabaseHandle,
  principal: Principal | undefined,
  homeId: string,
  on: string | undefined,
  today: string,
): Promise<HomePage> {
  const home = await visibleHome(database, principal, homeId);
  const organisation = await findOrganisation(database.db, home.organisation_id);
  if (!organisation) throw notFound('Home');
  const day = on ?? today;
  const row = await scheduleInForce(database.db, home.id, day);
  const schedule = row ? toFeeSchedule(row) : null;
  const proof = schedule ? await getProof(database.db, schedule.id) : undefined;
  const history = await listSchedules(database.db, { homeId: home.id, today, limit: HISTORY_LIMIT });
  return {
    home,
    organisation: { ...organisation, surplusCapRate: plainRate(organisation.surplus_cap_rate) },
    on: day,
    today,
    schedule,
    // ISO dates compare as text
    heldOver: schedule !== null && day > schedule.period.end,
    proof,
    history: history.slice(0, HISTORY_LIMIT),
    moreHistory: history.length > HISTORY_LIMIT,
  };
}

export interface ChangesPage {
  from: FeeSchedule;
  to: FeeSchedule;
  homeName: string;
  change: FeeChange;
}

export async function transparencyChanges(
  cache: ScheduleCache,
  database: DatabaseHandle,
  principal: Principal | undefined,
  id: string,
  fromId: string | undefined,
): Promise<ChangesPage> {
  const { from, to, change } = await compareSchedules(cache, database, principal, id, fromId);
  const home = await database.db
    .selectFrom('homes')
    .select('name')
    .where('id', '=', to.homeId)
    .executeTakeFirst();
  return { from, to, homeName: home?.name ?? 'Unknown home', change };
}
