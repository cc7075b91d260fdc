import type { Selectable } from 'kysely';
import type { PublicContext } from '../core/context.js';
import { notFound } from '../core/errors.js';
import { assertOrganisation, type Principal } from '../core/principal.js';
import type { HomesTable, OrganisationsTable } from '../db/schema.js';
import type { FeeChange } from '../domain/pricing/index.js';
import type { FeeSchedule, FeeScheduleSummary } from '../modules/fee-schedules/index.js';
import {
  compareSchedules,
  getProof,
  listSchedules,
  plainRate,
  type ScheduleCache,
  type ScheduleProof,
  scheduleInForce,
  todayInEngland,
  toFeeSchedule,
} from '../modules/fee-schedules/index.js';
import { visibleHome } from '../modules/homes/index.js';
import { findOrganisation } from '../modules/organisations/index.js';
import { findReconciliation } from '../modules/reconciliations/index.js';
import type { ReconciliationSummary } from './reconciliation-page.js';
import { firstSchedule, homeName, homeNamesOf, listedOrganisations, organisationName } from './repository.js';

/**
 * What a transparency page is served with: the public context, and the key presented if any (the
 * pages are public unless PUBLIC_TRANSPARENCY=false; a finance key sees its own organisation only).
 */
export interface TransparencyContext extends PublicContext {
  principal: Principal | undefined;
}

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

export interface IndexPage {
  organisations: IndexOrganisation[];
  /** Today in England: the day the fees in force are shown for. */
  today: string;
}

export interface IndexOrganisation {
  id: string;
  name: string;
  surplusCapRate: string;
  capScope: 'organisation' | 'home';
  homes: IndexHome[];
}

/** The organisations the principal may see (a finance key: its own), each with its homes and current fee. */
export async function transparencyIndex(ctx: TransparencyContext): Promise<IndexPage> {
  const { database, principal } = ctx;
  const today = todayInEngland(ctx.clock());
  // a finance key without an organisation sees nothing rather than everything
  const only =
    principal?.role === 'finance'
      ? (principal.organisationId ?? '00000000-0000-0000-0000-000000000000')
      : undefined;
  const { organisations, homes } = await listedOrganisations(database.db, only);
  const result: IndexOrganisation[] = [];
  for (const organisation of organisations) {
    const entries: IndexHome[] = [];
    for (const home of homes.filter((h) => h.organisation_id === organisation.id)) {
      entries.push(await indexHome(ctx, home, today));
    }
    result.push({
      id: organisation.id,
      name: organisation.name,
      surplusCapRate: plainRate(organisation.surplus_cap_rate),
      capScope: organisation.cap_scope,
      homes: entries,
    });
  }
  return { organisations: result, today };
}

async function indexHome(
  ctx: PublicContext,
  home: Selectable<HomesTable>,
  today: string,
): Promise<IndexHome> {
  const current = await scheduleInForce(ctx.database.db, home.id, today);
  const row = current ?? (await firstSchedule(ctx.database.db, home.id));
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

/** A home's page: the fee schedule in force on `on` (today when left out), its proof and the versions. */
export async function transparencyHome(
  ctx: TransparencyContext,
  { homeId, on }: { homeId: string; on?: string | undefined },
): Promise<HomePage> {
  const { database } = ctx;
  const today = todayInEngland(ctx.clock());
  const home = await visibleHome(ctx, homeId);
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

/** Why a fee changed: a schedule against the one before it (or the one named by `fromId`). */
export async function transparencyChanges(
  ctx: TransparencyContext,
  { cache, id, fromId }: { cache: ScheduleCache; id: string; fromId?: string | undefined },
): Promise<ChangesPage> {
  const { database, principal } = ctx;
  const { from, to, change } = await compareSchedules(cache, database, principal, id, fromId);
  const name = await homeName(database.db, to.homeId);
  return { from, to, homeName: name ?? 'Unknown home', change };
}

/** A frozen reconciliation as its public page shows it, with the names of its organisation and homes. */
export async function transparencyReconciliation(
  ctx: TransparencyContext,
  id: string,
): Promise<ReconciliationSummary> {
  const frozen = await findReconciliation(ctx, id);
  if (!frozen) throw notFound('Reconciliation');
  assertOrganisation(ctx.principal, frozen.organisationId, 'Reconciliation');
  const { db } = ctx.database;
  const name = await organisationName(db, frozen.organisationId);
  const homeNames = await homeNamesOf(db, frozen.organisationId);
  return {
    id: frozen.id,
    period: frozen.period,
    hash: frozen.hash,
    keyId: frozen.keyId,
    ruleVersion: frozen.ruleVersion,
    supersedes: frozen.supersedes,
    supersededBy: frozen.supersededBy,
    organisationName: name,
    homeName: frozen.homeId ? (homeNames.get(frozen.homeId) ?? null) : null,
    homeNames,
    reconciliation: frozen.reconciliation,
  };
}
