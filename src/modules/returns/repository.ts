import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/schema.js';
import { finishedImport } from '../actuals/index.js';

type Db = Kysely<Database>;

/** Organisation ids in id order, a page at a time (keyset: after `afterId`). */
export async function organisationIdsAfter(db: Db, afterId: string | null, limit: number): Promise<string[]> {
  let query = db.selectFrom('organisations').select('id').orderBy('id').limit(limit);
  if (afterId !== null) query = query.where('id', '>', afterId);
  return (await query.execute()).map((row) => row.id);
}

/** True when the organisation exists. */
export async function organisationExists(db: Db, organisationId: string): Promise<boolean> {
  const row = await db
    .selectFrom('organisations')
    .select('id')
    .where('id', '=', organisationId)
    .executeTakeFirst();
  return row !== undefined;
}

export async function councilNames(db: Db): Promise<Record<string, string>> {
  const rows = await db.selectFrom('councils').select(['ons_code', 'name']).execute();
  return Object.fromEntries(rows.map((row) => [row.ons_code, row.name]));
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
              coalesce(companies_house_number, '') || '|' || surplus_cap_rate::text || '|' || cap_scope || '|' || updated_at::text, ',' order by id), '')) as d,
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
            from actuals_imports i where (${org}::uuid is null or organisation_id = ${org}::uuid)
              and ${finishedImport('i')}),
      c as (select count(*) as n, md5(coalesce(string_agg(ons_code || '|' || name, ',' order by ons_code), '')) as d,
              max(created_at) as t from councils),
      rp as (select count(*) as n, md5(coalesce(string_agg(id::text || '|' || version || '|' || updated_at::text, ',' order by id), '')) as d,
              max(updated_at) as t
            from related_parties where ${org}::uuid is null or organisation_id = ${org}::uuid)
    select
      concat_ws(';', o.n, o.d, h.n, h.d, s.n, s.t, pr.n, pr.t, pv.n, pv.t, a.n, a.t, c.n, c.d, rp.n, rp.d) as parts,
      greatest(o.t, h.t, s.t, pr.t, pv.t, a.t, c.t, rp.t) as last_modified
    from o, h, s, pr, pv, a, c, rp
  `.execute(db);
  const row = result.rows[0]!;
  return {
    fingerprint: row.parts,
    lastModified: row.last_modified === null ? null : new Date(row.last_modified),
  };
}
