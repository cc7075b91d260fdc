import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { ChargePlacement } from '../../domain/charges/index.js';
import type { CostModel } from '../../domain/pricing/index.js';
import type { ReturnInput } from '../../domain/returns/index.js';
import type { PlacementEnhancement } from '../placements/schemas.js';

type Db = Kysely<Database>;

export interface Period {
  start: string;
  end: string;
}

/** Organisation ids in id order, a page at a time (keyset: after `afterId`). */
export async function organisationIdsAfter(db: Db, afterId: string | null, limit: number): Promise<string[]> {
  let query = db.selectFrom('organisations').select('id').orderBy('id').limit(limit);
  if (afterId !== null) query = query.where('id', '>', afterId);
  return (await query.execute()).map((row) => row.id);
}

export async function councilNames(db: Db): Promise<Record<string, string>> {
  const rows = await db.selectFrom('councils').select(['ons_code', 'name']).execute();
  return Object.fromEntries(rows.map((row) => [row.ons_code, row.name]));
}

/**
 * The rows the returns of some organisations are built from: five queries for the whole chunk, so
 * that a national export costs a few round trips per chunk, not per home.
 */
export async function returnInputs(
  db: Db,
  organisationIds: readonly string[],
  period: Period,
  financialYear: string,
  names: Readonly<Record<string, string>>,
): Promise<Omit<ReturnInput, 'rateTables'>[]> {
  if (organisationIds.length === 0) return [];
  const ids = [...organisationIds];
  const [organisations, homes] = await Promise.all([
    db
      .selectFrom('organisations')
      .select(['id', 'name', 'legal_form', 'companies_house_number', 'surplus_cap_rate'])
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
  ]);
  const homeIds = homes.map((home) => home.id);
  const [schedules, placements, actuals] =
    homeIds.length === 0
      ? [[], [], []]
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
            ])
            .where('s.home_id', 'in', homeIds)
            .where('s.effective_from', '<=', period.end)
            .orderBy('s.home_id')
            .orderBy('s.effective_from')
            .orderBy('s.published_at')
            .execute(),
          db
            .with('latest', (qb) =>
              qb
                .selectFrom('placement_versions')
                .distinctOn('placement_id')
                .selectAll()
                .where('placement_id', 'in', (sub) =>
                  sub.selectFrom('placements').select('id').where('organisation_id', 'in', ids),
                )
                .orderBy('placement_id')
                .orderBy('version', 'desc'),
            )
            .selectFrom('placements as p')
            .innerJoin('latest as v', 'v.placement_id', 'p.id')
            .select([
              'p.id',
              'p.council_code',
              'p.reference',
              'v.home_id',
              'v.start_date',
              'v.end_date',
              'v.enhancements',
            ])
            .where('v.home_id', 'in', homeIds)
            .where('v.start_date', '<=', period.end)
            .where((eb) => eb.or([eb('v.end_date', 'is', null), eb('v.end_date', '>=', period.start)]))
            .orderBy('p.id')
            .execute(),
          actualSums(db, homeIds, period),
        ]);

  const schedulesByHome = groupBy(schedules, (row) => row.home_id);
  const homesByOrganisation = groupBy(homes, (row) => row.organisation_id);
  const homeOrganisation = new Map(homes.map((home) => [home.id, home.organisation_id]));
  const placementsByOrganisation = groupBy(placements, (row) => homeOrganisation.get(row.home_id)!);
  const actualsByOrganisation = groupBy(actuals, (row) => homeOrganisation.get(row.home_id)!);

  return organisations.map((organisation) => ({
    financialYear,
    period,
    organisation: {
      id: organisation.id,
      name: organisation.name,
      legalForm: organisation.legal_form,
      companiesHouseNumber: organisation.companies_house_number,
      capRate: organisation.surplus_cap_rate,
    },
    councilNames: names,
    homes: (homesByOrganisation.get(organisation.id) ?? []).map((home) => ({
      id: home.id,
      name: home.name,
      ofstedUrn: home.ofsted_urn,
      hostCouncil: { code: home.host_council, name: names[home.host_council] ?? home.host_council },
      registeredPlaces: home.registered_places,
      openedOn: home.opened_on,
      closedOn: home.closed_on,
      schedules: (schedulesByHome.get(home.id) ?? []).map((row) => ({
        id: row.id,
        homeId: row.home_id,
        version: row.version,
        periodLabel: row.period_label,
        effectiveFrom: row.effective_from,
        publishedAt: row.published_at.toISOString(),
        weeklyFeePerChild: row.weekly_fee_per_child,
        surplusRate: trimRate(row.surplus_rate),
        hash: row.hash,
        model: row.model as CostModel,
      })),
    })),
    placements: (placementsByOrganisation.get(organisation.id) ?? []).map(
      (row): ChargePlacement => ({
        id: row.id,
        homeId: row.home_id,
        councilCode: row.council_code,
        reference: row.reference,
        start: row.start_date,
        end: row.end_date,
        enhancements: row.enhancements as PlacementEnhancement[],
      }),
    ),
    actualCosts: (actualsByOrganisation.get(organisation.id) ?? []).map((row) => ({
      homeId: row.home_id,
      code: row.code,
      amount: normaliseMoney(String(row.amount)),
    })),
  }));
}

/**
 * Actual spending by home and code over the period, from the latest version of each month's import.
 * The imports are picked first and their lines then read by primary key: one join in one query lets
 * the planner hash the whole ledger for every chunk of homes.
 */
async function actualSums(db: Db, homeIds: readonly string[], period: Period) {
  const imports = await db
    .selectFrom('actuals_imports')
    .distinctOn(['home_id', 'month'])
    .select('id')
    .where('home_id', 'in', [...homeIds])
    .where('month', '>=', period.start)
    .where('month', '<=', period.end)
    .orderBy('home_id')
    .orderBy('month')
    .orderBy('version', 'desc')
    .execute();
  if (imports.length === 0) return [];
  return db
    .selectFrom('actual_amounts as a')
    .innerJoin('actuals_imports as i', 'i.id', 'a.import_id')
    .select(['i.home_id', 'a.code', sql<string>`sum(a.amount)`.as('amount')])
    .where(sql<boolean>`a.import_id = any(${imports.map((row) => row.id)}::uuid[])`)
    .groupBy(['i.home_id', 'a.code'])
    .orderBy('i.home_id')
    .orderBy('a.code')
    .execute();
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

/** numeric(9,6) "0.040000" → "0.04" (the rate as the cost model wrote it). */
function trimRate(rate: string): string {
  return rate.includes('.') ? rate.replace(/0+$/, '').replace(/\.$/, '') : rate;
}

/** A numeric sum as pennies text: "12.5" → "12.50". */
function normaliseMoney(amount: string): string {
  const [whole = '0', fraction = ''] = amount.split('.');
  return `${whole}.${fraction.padEnd(2, '0').slice(0, 2)}`;
}

/**
 * A fingerprint of everything a return is built from (and when it last changed), read in one
 * statement: append-only tables by count and latest time, mutable ones by a digest of their rows.
 * The same fingerprint always gives the same return, so a client can poll with If-None-Match.
 */
export async function returnFingerprint(
  db: Db,
  organisationId: string | null,
): Promise<{ fingerprint: string; lastModified: Date | null }> {
  const org = organisationId;
  const result = await sql<{ parts: string; last_modified: Date | null }>`
    with
      o as (select count(*) as n, md5(coalesce(string_agg(id::text || '|' || name || '|' || legal_form || '|' ||
              coalesce(companies_house_number, '') || '|' || surplus_cap_rate::text || '|' || updated_at::text, ',' order by id), '')) as d,
              max(updated_at) as t
            from organisations where ${org}::uuid is null or id = ${org}::uuid),
      h as (select count(*) as n, md5(coalesce(string_agg(id::text || '|' || name || '|' || coalesce(ofsted_urn, '') || '|' ||
              host_council || '|' || registered_places || '|' || opened_on || '|' || coalesce(closed_on::text, '') || '|' ||
              updated_at::text, ',' order by id), '')) as d, max(updated_at) as t
            from homes where ${org}::uuid is null or organisation_id = ${org}::uuid),
      s as (select count(*) as n, max(published_at) as t
            from fee_schedules where ${org}::uuid is null or organisation_id = ${org}::uuid),
      pr as (select count(*) as n, max(created_at) as t
            from fee_schedule_proofs where ${org}::uuid is null or organisation_id = ${org}::uuid),
      pv as (select count(*) as n, max(v.recorded_at) as t
            from placement_versions v join placements p on p.id = v.placement_id
            where ${org}::uuid is null or p.organisation_id = ${org}::uuid),
      a as (select count(*) as n, max(imported_at) as t
            from actuals_imports where ${org}::uuid is null or organisation_id = ${org}::uuid),
      c as (select count(*) as n, md5(coalesce(string_agg(ons_code || '|' || name, ',' order by ons_code), '')) as d,
              max(created_at) as t from councils)
    select
      concat_ws(';', o.n, o.d, h.n, h.d, s.n, s.t, pr.n, pr.t, pv.n, pv.t, a.n, a.t, c.n, c.d) as parts,
      greatest(o.t, h.t, s.t, pr.t, pv.t, a.t, c.t) as last_modified
    from o, h, s, pr, pv, a, c
  `.execute(db);
  const row = result.rows[0]!;
  return {
    fingerprint: row.parts,
    lastModified: row.last_modified === null ? null : new Date(row.last_modified),
  };
}
