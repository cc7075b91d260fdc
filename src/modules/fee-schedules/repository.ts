import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type { Database, FeeScheduleProofsTable, FeeSchedulesTable } from '../../db/schema.js';
import type { ChargeSchedule } from '../../domain/charges/index.js';
import type { Breakdown, CostModel } from '../../domain/pricing/index.js';
import type { FeeSchedule, FeeScheduleSummary } from './schemas.js';

type Db = Kysely<Database> | Transaction<Database>;

export type FeeScheduleRow = Selectable<FeeSchedulesTable>;
export type ProofRow = Selectable<FeeScheduleProofsTable>;

/** numeric(9, 6) "0.040000" → "0.04", as the model gave it. */
export const plainRate = (value: string) => value.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');

export function toFeeSchedule(row: Selectable<FeeSchedulesTable>): FeeSchedule {
  return {
    id: row.id,
    homeId: row.home_id,
    organisationId: row.organisation_id,
    costModelId: row.cost_model_id,
    costModelVersion: row.cost_model_version,
    period: { label: row.period_label, start: row.period_start, end: row.period_end },
    version: row.version,
    effectiveFrom: row.effective_from,
    weeklyFeePerChild: row.weekly_fee_per_child,
    surplusRate: plainRate(row.surplus_rate),
    methodVersion: row.method_version,
    publishedBy: row.published_by,
    publishedAt: row.published_at.toISOString(),
    model: row.model,
    breakdown: row.breakdown,
  };
}

/** A schedule as the charging rule reads it (src/domain/charges), from the columns it needs. */
export function toChargeSchedule(
  row: Pick<
    Selectable<FeeSchedulesTable>,
    | 'id'
    | 'home_id'
    | 'version'
    | 'period_label'
    | 'effective_from'
    | 'published_at'
    | 'weekly_fee_per_child'
    | 'model'
  > & { deferred_for?: Record<string, string> | null },
): ChargeSchedule {
  return {
    id: row.id,
    homeId: row.home_id,
    version: row.version,
    periodLabel: row.period_label,
    effectiveFrom: row.effective_from,
    publishedAt: row.published_at.toISOString(),
    weeklyFeePerChild: row.weekly_fee_per_child,
    model: row.model,
    ...(row.deferred_for ? { deferredFor: row.deferred_for } : {}),
  };
}

/**
 * The `deferred_for` column charging reads beside a schedule (`schedules`: the fee_schedules table or
 * its alias in the query, e.g. `s`): council → the day its uplift notice lets a rise apply from, where
 * that is after the schedule's own effective date (charging rule 2); null when no notice defers it.
 */
export function deferredFor(schedules: string) {
  return sql<Record<string, string> | null>`(
    select jsonb_object_agg(n.council_code, to_char(n.applies_from, 'YYYY-MM-DD'))
    from uplift_notices n
    where n.schedule_id = ${sql.ref(`${schedules}.id`)}
      and n.applies_from > ${sql.ref(`${schedules}.effective_from`)}
  )`.as('deferred_for');
}

export async function findFeeSchedule(db: Db, id: string) {
  return db.selectFrom('fee_schedules').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The schedules of an organisation's chain (those its proofs name), in no particular order. */
export async function chainSchedules(db: Db, organisationId: string): Promise<FeeScheduleRow[]> {
  return db
    .selectFrom('fee_schedules')
    .selectAll()
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('fee_schedule_proofs')
        .select('schedule_id')
        .where('organisation_id', '=', organisationId),
    )
    .execute();
}

/**
 * Queues behind any other publish of this organisation, then of this home: the chain head (its
 * sequence and previous hash) and the home's version number are read and used under these row
 * locks, so two homes of one organisation published at once still make one unbroken chain.
 * Organisation first, then home: always in that order.
 */
export async function lockForPublishing(
  trx: Transaction<Database>,
  organisationId: string,
  homeId: string,
): Promise<void> {
  await trx
    .selectFrom('organisations')
    .select('id')
    .where('id', '=', organisationId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  await trx.selectFrom('homes').select('id').where('id', '=', homeId).forUpdate().executeTakeFirstOrThrow();
}

/** A schedule as it is published: everything but its version, which the store gives it. */
export interface NewFeeSchedule {
  id: string;
  homeId: string;
  organisationId: string;
  costModelId: string;
  costModelVersion: number;
  period: { label: string; start: string; end: string };
  effectiveFrom: string;
  weeklyFeePerChild: string;
  surplusRate: string;
  methodVersion: number;
  model: CostModel;
  breakdown: Breakdown;
  publishedBy: string;
  publishedByKeyId: string | null;
  /** Set by the caller, at the precision it is served with, as it is hashed. */
  publishedAt: Date;
}

export async function insertFeeSchedule(
  trx: Transaction<Database>,
  schedule: NewFeeSchedule & { version: number },
): Promise<FeeScheduleRow> {
  return trx
    .insertInto('fee_schedules')
    .values({
      id: schedule.id,
      home_id: schedule.homeId,
      organisation_id: schedule.organisationId,
      cost_model_id: schedule.costModelId,
      cost_model_version: schedule.costModelVersion,
      period_label: schedule.period.label,
      period_start: schedule.period.start,
      period_end: schedule.period.end,
      version: schedule.version,
      effective_from: schedule.effectiveFrom,
      weekly_fee_per_child: schedule.weeklyFeePerChild,
      surplus_rate: schedule.surplusRate,
      method_version: schedule.methodVersion,
      model: JSON.stringify(schedule.model),
      breakdown: JSON.stringify(schedule.breakdown),
      published_by: schedule.publishedBy,
      published_by_key_id: schedule.publishedByKeyId,
      published_at: schedule.publishedAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function nextVersion(db: Db, homeId: string, periodStart: string): Promise<number> {
  const row = await db
    .selectFrom('fee_schedules')
    .select(sql<number>`coalesce(max(version), 0) + 1`.as('next'))
    .where('home_id', '=', homeId)
    .where('period_start', '=', periodStart)
    .executeTakeFirstOrThrow();
  return Number(row.next);
}

/** When the home's latest schedule was published (null before its first), read under lockForPublishing. */
export async function lastPublishedAt(db: Db, homeId: string): Promise<Date | null> {
  const row = await db
    .selectFrom('fee_schedules')
    .select((eb) => eb.fn.max('published_at').as('last'))
    .where('home_id', '=', homeId)
    .executeTakeFirst();
  return row?.last ? new Date(row.last) : null;
}

/** The schedule in force for a home on a day: the latest effectiveFrom on or before it, then the latest published. */
export async function scheduleInForce(db: Db, homeId: string, on: string) {
  return db
    .selectFrom('fee_schedules')
    .selectAll()
    .where('home_id', '=', homeId)
    .where('effective_from', '<=', on)
    .orderBy('effective_from', 'desc')
    .orderBy('published_at', 'desc')
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** The schedule published for the same home just before this one (by effectiveFrom, then publication). */
export async function previousSchedule(db: Db, schedule: Selectable<FeeSchedulesTable>) {
  return db
    .selectFrom('fee_schedules')
    .selectAll()
    .where('home_id', '=', schedule.home_id)
    .where('id', '!=', schedule.id)
    .where((eb) =>
      eb.or([
        eb('effective_from', '<', schedule.effective_from),
        eb.and([
          eb('effective_from', '=', schedule.effective_from),
          eb('published_at', '<', schedule.published_at),
        ]),
      ]),
    )
    .orderBy('effective_from', 'desc')
    .orderBy('published_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export interface ScheduleFilter {
  organisationId?: string | undefined;
  homeId?: string | undefined;
  periodStart?: string | undefined;
  status?: FeeScheduleSummary['status'] | undefined;
  today: string;
  after?: { effectiveFrom: string; id: string } | undefined;
  limit: number;
}

/** Summaries with their status on `today`, newest effectiveFrom first. */
export async function listSchedules(db: Db, filter: ScheduleFilter) {
  const status = sql<FeeScheduleSummary['status']>`case
      when fs.effective_from > ${filter.today} then 'scheduled'
      when fs.id in (select id from in_force) then 'current'
      else 'superseded' end`;
  let query = db
    .with('in_force', (qb) =>
      qb
        .selectFrom('fee_schedules')
        .distinctOn('home_id')
        .select('id')
        .where('effective_from', '<=', filter.today)
        .orderBy('home_id')
        .orderBy('effective_from', 'desc')
        .orderBy('published_at', 'desc')
        .orderBy('version', 'desc'),
    )
    .selectFrom('fee_schedules as fs')
    .select([
      'fs.id',
      'fs.home_id',
      'fs.organisation_id',
      'fs.period_label',
      'fs.period_start',
      'fs.period_end',
      'fs.version',
      'fs.effective_from',
      'fs.weekly_fee_per_child',
      'fs.surplus_rate',
      'fs.published_by',
      'fs.published_at',
    ])
    .select(status.as('status'))
    .orderBy('fs.effective_from', 'desc')
    .orderBy('fs.id', 'desc')
    .limit(filter.limit + 1);
  if (filter.organisationId) query = query.where('fs.organisation_id', '=', filter.organisationId);
  if (filter.homeId) query = query.where('fs.home_id', '=', filter.homeId);
  if (filter.periodStart) query = query.where('fs.period_start', '=', filter.periodStart);
  if (filter.status) query = query.where(status, '=', filter.status);
  if (filter.after) {
    const { effectiveFrom, id } = filter.after;
    query = query.where((eb) =>
      eb.or([
        eb('fs.effective_from', '<', effectiveFrom),
        eb.and([eb('fs.effective_from', '=', effectiveFrom), eb('fs.id', '<', id)]),
      ]),
    );
  }
  const rows = await query.execute();
  return rows.map(
    (row): FeeScheduleSummary => ({
      id: row.id,
      homeId: row.home_id,
      organisationId: row.organisation_id,
      period: { label: row.period_label, start: row.period_start, end: row.period_end },
      version: row.version,
      effectiveFrom: row.effective_from,
      weeklyFeePerChild: row.weekly_fee_per_child,
      surplusRate: plainRate(row.surplus_rate),
      publishedBy: row.published_by,
      publishedAt: row.published_at.toISOString(),
      status: row.status,
    }),
  );
}

export async function findProof(db: Db, scheduleId: string): Promise<ProofRow | undefined> {
  return db
    .selectFrom('fee_schedule_proofs')
    .selectAll()
    .where('schedule_id', '=', scheduleId)
    .executeTakeFirst();
}

/** An organisation's chain, from its first link. */
export async function proofsOf(db: Db, organisationId: string): Promise<ProofRow[]> {
  return db
    .selectFrom('fee_schedule_proofs')
    .selectAll()
    .where('organisation_id', '=', organisationId)
    .orderBy('sequence')
    .execute();
}

/** The last link of an organisation's chain, if it has one. */
export async function chainHead(db: Db, organisationId: string) {
  return db
    .selectFrom('fee_schedule_proofs')
    .select(['sequence', 'hash'])
    .where('organisation_id', '=', organisationId)
    .orderBy('sequence', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function insertProof(
  db: Db,
  proof: {
    scheduleId: string;
    organisationId: string;
    sequence: number;
    hash: string;
    previousHash: string | null;
    signature: string;
    keyId: string;
  },
): Promise<ProofRow> {
  return db
    .insertInto('fee_schedule_proofs')
    .values({
      schedule_id: proof.scheduleId,
      organisation_id: proof.organisationId,
      sequence: proof.sequence,
      hash: proof.hash,
      previous_hash: proof.previousHash,
      signature: proof.signature,
      key_id: proof.keyId,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Lists a public key once (a key already listed is left as it is). */
export async function insertSigningKey(db: Db, key: { keyId: string; publicKeyPem: string }): Promise<void> {
  await db
    .insertInto('signing_keys')
    .values({ key_id: key.keyId, public_key: key.publicKeyPem })
    .onConflict((oc) => oc.column('key_id').doNothing())
    .execute();
}

/** Every signing key ever listed, oldest first. */
export async function signingKeyRows(db: Db) {
  return db.selectFrom('signing_keys').selectAll().orderBy('created_at').execute();
}
