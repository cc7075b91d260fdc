import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { ChargeSchedule } from '../../domain/charges/index.js';
import { formatPennies, penniesOf } from '../../domain/money.js';
import type { Breakdown } from '../../domain/pricing/index.js';
import type { OrganisationFacts } from '../../domain/returns/index.js';
import type { Books } from '../../domain/settlement/books.js';
import { finishedImport } from '../actuals/index.js';
import { deferredFor, plainRate, toChargeSchedule } from '../fee-schedules/index.js';
import { currentPlacements, toChargePlacement } from '../placements/index.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface Period {
  start: string;
  end: string;
}

export interface LoadedSchedule extends ChargeSchedule {
  surplusRate: string;
  /** The schedule's SHA-256 in its organisation's hash chain (null if published before proofs). */
  hash: string | null;
  /** Only when asked for (the variance's budget): the national return does without. */
  breakdown?: Breakdown;
}

export interface LoadedHome {
  id: string;
  name: string;
  ofstedUrn: string | null;
  hostCouncil: string;
  registeredPlaces: number;
  openedOn: string;
  closedOn: string | null;
  schedules: LoadedSchedule[];
}

/** An organisation's books for a period (see src/domain/settlement/books.ts), with what the return adds. */
export interface OrganisationBooks extends Books {
  organisation: OrganisationFacts;
  homes: LoadedHome[];
}

/**
 * The books of some organisations for a period: their homes open in it (by name, then id), every fee
 * schedule of those homes effective by its end, the placements overlapping it (latest versions), the
 * actual spending by home and code, what the rows naming a related party paid it by home, party and
 * code, and the months imported (latest version of each month), and the organisations' registers of
 * related parties. Seven queries for the whole chunk, so that a national export costs a few round
 * trips per chunk, not per home. The reconciliation and the annual return both read their books here.
 */
export async function loadBooks(
  db: Db,
  organisationIds: readonly string[],
  period: Period,
  options: { withBreakdowns?: boolean } = {},
): Promise<OrganisationBooks[]> {
  if (organisationIds.length === 0) return [];
  const ids = [...organisationIds];
  const [organisations, homes, register] = await Promise.all([
    db
      .selectFrom('organisations')
      .select(['id', 'name', 'legal_form', 'companies_house_number', 'surplus_cap_rate', 'cap_scope'])
      .where('id', 'in', ids)
      .orderBy('id')
      .execute(),
    db
      .selectFrom('homes')
      .select([
        'id',
        'organisation_id',
        'name',
        'ofsted_urn',
        'host_council',
        'registered_places',
        'opened_on',
        'closed_on',
      ])
      .where('organisation_id', 'in', ids)
      .where('opened_on', '<=', period.end)
      .where((eb) => eb.or([eb('closed_on', 'is', null), eb('closed_on', '>=', period.start)]))
      .orderBy('organisation_id')
      .orderBy('name')
      .orderBy('id')
      .execute(),
    db
      .selectFrom('related_parties')
      .select(['organisation_id', 'reference', 'name', 'relationship'])
      .where('organisation_id', 'in', ids)
      .orderBy('organisation_id')
      .orderBy('reference')
      .execute(),
  ]);
  const homeIds = homes.map((home) => home.id);
  const [schedules, placements, { months, actuals, related }] =
    homeIds.length === 0
      ? [[], [], { months: [], actuals: [], related: [] }]
      : await Promise.all([
          db
            .selectFrom('fee_schedules as s')
            .leftJoin('fee_schedule_proofs as p', 'p.schedule_id', 's.id')
            .select([
              's.id',
              's.home_id',
              's.version',
              's.period_label',
              's.effective_from',
              's.published_at',
              's.weekly_fee_per_child',
              's.surplus_rate',
              's.model',
              'p.hash',
              deferredFor('s'),
            ])
            .$if(options.withBreakdowns === true, (qb) => qb.select('s.breakdown'))
            .where('s.home_id', 'in', homeIds)
            .where('s.effective_from', '<=', period.end)
            .orderBy('s.home_id')
            .orderBy('s.effective_from')
            .orderBy('s.published_at')
            .execute(),
          currentPlacements(db, {
            organisationIds: ids,
            homeIds,
            overlapping: { from: period.start, to: period.end },
          }),
          monthlyActuals(db, homeIds, period),
        ]);

  const schedulesByHome = groupBy(schedules, (row) => row.home_id);
  const homesByOrganisation = groupBy(homes, (row) => row.organisation_id);
  const homeOrganisation = new Map(homes.map((home) => [home.id, home.organisation_id]));
  const organisationOf = (row: { home_id: string }) => homeOrganisation.get(row.home_id)!;
  const placementsByOrganisation = groupBy(placements, organisationOf);
  const actualsByOrganisation = groupBy(actuals, organisationOf);
  const monthsByOrganisation = groupBy(months, organisationOf);
  const relatedByOrganisation = groupBy(related, organisationOf);
  const registerByOrganisation = groupBy(register, (row) => row.organisation_id);

  return organisations.map((organisation) => ({
    organisation: {
      id: organisation.id,
      name: organisation.name,
      legalForm: organisation.legal_form,
      companiesHouseNumber: organisation.companies_house_number,
      capRate: plainRate(organisation.surplus_cap_rate),
      capScope: organisation.cap_scope,
    },
    period,
    homes: (homesByOrganisation.get(organisation.id) ?? []).map((home) => ({
      id: home.id,
      name: home.name,
      ofstedUrn: home.ofsted_urn,
      hostCouncil: home.host_council,
      registeredPlaces: home.registered_places,
      openedOn: home.opened_on,
      closedOn: home.closed_on,
      schedules: (schedulesByHome.get(home.id) ?? []).map((row) => ({
        ...toChargeSchedule(row),
        surplusRate: plainRate(row.surplus_rate),
        hash: row.hash,
        ...(row.breakdown !== undefined ? { breakdown: row.breakdown } : {}),
      })),
    })),
    placements: (placementsByOrganisation.get(organisation.id) ?? []).map(toChargePlacement),
    actualCosts: (actualsByOrganisation.get(organisation.id) ?? []).map((row) => ({
      homeId: row.home_id,
      code: row.code,
      amount: row.amount,
    })),
    monthsImported: (monthsByOrganisation.get(organisation.id) ?? []).map((row) => ({
      homeId: row.home_id,
      month: row.month.slice(0, 7),
    })),
    relatedPartyPaid: (relatedByOrganisation.get(organisation.id) ?? []).map((row) => ({
      homeId: row.home_id,
      partyId: row.related_party!,
      code: row.code,
      amount: row.amount,
    })),
    relatedParties: (registerByOrganisation.get(organisation.id) ?? []).map((row) => ({
      id: row.reference,
      name: row.name,
      relationship: row.relationship,
    })),
  }));
}

/**
 * The latest import of each month of the homes that touches the period (from the month of its start),
 * the spending in those imports by home and code, and of it what the rows naming a related party paid
 * by home, party and code (§7). The imports are picked first and their lines then read by primary
 * key: one join in one query lets the planner hash the whole ledger for every chunk of homes. A month
 * imported with no lines (a nil month) is in `months` with nothing in `actuals`.
 */
async function monthlyActuals(db: Db, homeIds: readonly string[], period: Period) {
  const months = await db
    .selectFrom('actuals_imports')
    .distinctOn(['home_id', 'month'])
    .select(['id', 'home_id', 'month'])
    .where('home_id', 'in', [...homeIds])
    .where('month', '>=', `${period.start.slice(0, 7)}-01`)
    .where('month', '<=', period.end)
    .where(finishedImport('actuals_imports'))
    .orderBy('home_id')
    .orderBy('month')
    .orderBy('version', 'desc')
    .execute();
  if (months.length === 0) return { months, actuals: [], related: [] };
  // one scan of the lines: by home, code and party, then added up by home and code here
  const lines = await db
    .selectFrom('actual_amounts as a')
    .innerJoin('actuals_imports as i', 'i.id', 'a.import_id')
    .select(['i.home_id', 'a.code', 'a.related_party', sql<string>`sum(a.amount)`.as('amount')])
    .where(sql<boolean>`a.import_id = any(${months.map((row) => row.id)}::uuid[])`)
    .groupBy(['i.home_id', 'a.code', 'a.related_party'])
    .orderBy('i.home_id')
    .orderBy('a.code')
    .orderBy('a.related_party')
    .execute();
  const actuals: Array<{ home_id: string; code: string; amount: string }> = [];
  const related: Array<{ home_id: string; code: string; related_party: string; amount: string }> = [];
  for (const line of lines) {
    const amount = penniesOf(String(line.amount));
    const last = actuals.at(-1);
    if (last !== undefined && last.home_id === line.home_id && last.code === line.code) {
      last.amount = formatPennies(penniesOf(last.amount) + amount);
    } else actuals.push({ home_id: line.home_id, code: line.code, amount: formatPennies(amount) });
    if (line.related_party !== null) {
      related.push({
        home_id: line.home_id,
        code: line.code,
        related_party: line.related_party,
        amount: formatPennies(amount),
      });
    }
  }
  return { months, actuals, related };
}

function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    const list = groups.get(k);
    if (list) list.push(row);
    else groups.set(k, [row]);
  }
  return groups;
}
