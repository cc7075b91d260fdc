import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { DatabaseHandle } from '../../db/database.js';
import { type CostModel, explainFeeChange, type FeeChange } from '../../domain/pricing/index.js';
import { assertOrganisation, notFound, type Principal } from '../../http/auth.js';
import { stale } from '../../http/conditional.js';
import { invalidField, ProblemError } from '../../http/errors.js';
import { claimIdempotencyKey, requestHash } from '../../http/idempotency.js';
import { decodeCursor, pageOf } from '../../http/paging.js';
import { problem, problemTypes } from '../../http/problem.js';
import { recordAudit } from '../audit/repository.js';
import { findCostModel } from '../cost-models/repository.js';
import { priceDraft } from '../cost-models/service.js';
import { rateTables } from '../rates/repository.js';
import { assertRegisterAgrees } from '../related-parties/service.js';
import { chainSchedule, registerSigningKey } from './proofs.js';
import {
  findFeeSchedule,
  listSchedules,
  nextVersion,
  previousSchedule,
  type ScheduleFilter,
  scheduleInForce,
  toFeeSchedule,
} from './repository.js';
import type { FeeSchedule } from './schemas.js';
import type { SigningKey } from './signing.js';

/** Today in England, for "in force" and "current". */
export function todayInEngland(now = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(now);
}

export interface Published {
  schedule: FeeSchedule;
  replayed: boolean;
}

/**
 * Publishes a draft as an immutable fee schedule: the model frozen as it is now, its breakdown, the
 * next version for the home and period. Idempotent per (caller, Idempotency-Key); publishes of one
 * home queue on a row lock of the home, so no two get the same version.
 */
export async function publish(
  database: DatabaseHandle,
  signingKey: SigningKey,
  principal: Principal,
  requestId: string,
  costModelId: string,
  idempotencyKey: string,
  input: { effectiveFrom: string; costModelVersion?: number | undefined },
): Promise<Published> {
  const draft = await findCostModel(database.db, costModelId);
  if (!draft) throw notFound('Cost model');
  assertOrganisation(principal, draft.organisation_id, 'Cost model');
  const hash = requestHash(`publish ${costModelId}`, input);
  const result = await database.db.transaction().execute(async (trx) => {
    const claim = await claimIdempotencyKey(trx, principal.actor, idempotencyKey, 'publish', hash);
    if (claim.replayOf) {
      const existing = await findFeeSchedule(trx, claim.replayOf);
      if (!existing) throw notFound('Fee schedule');
      return { row: existing, replayed: true };
    }
    // Queue behind any other publish of this organisation: the chain head (its sequence and previous
    // hash) and the home's version number are read and used under the lock, so two homes of one
    // organisation published at once still make one unbroken chain. Organisation first, then home:
    // always in that order.
    await trx
      .selectFrom('organisations')
      .select('id')
      .where('id', '=', draft.organisation_id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    await trx
      .selectFrom('homes')
      .select('id')
      .where('id', '=', draft.home_id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const current = await findCostModel(trx, costModelId);
    if (!current) throw notFound('Cost model');
    if (input.costModelVersion !== undefined && input.costModelVersion !== current.version)
      throw stale(current.version);
    if (input.effectiveFrom < current.period_start || input.effectiveFrom > current.period_end) {
      throw invalidField(
        '/effectiveFrom',
        `must be within the cost model's period, ${current.period_start} to ${current.period_end}`,
      );
    }
    const breakdown = priceDraft(current);
    const model = current.document as CostModel;
    // §6 the register may have changed since the draft was saved (a party ended, renamed)
    await assertRegisterAgrees(trx, current.organisation_id, model);
    const row = await trx
      .insertInto('fee_schedules')
      .values({
        id: claim.resourceId,
        home_id: current.home_id,
        organisation_id: current.organisation_id,
        cost_model_id: current.id,
        cost_model_version: current.version,
        period_label: current.period_label,
        period_start: current.period_start,
        period_end: current.period_end,
        version: await nextVersion(trx, current.home_id, current.period_start),
        effective_from: input.effectiveFrom,
        weekly_fee_per_child: breakdown.weeklyFeePerChild,
        surplus_rate: model.surplus.rate,
        method_version: breakdown.methodVersion, // §7 2 when the model gives its central share
        model: JSON.stringify(model),
        breakdown: JSON.stringify(breakdown),
        published_by: principal.actor,
        published_by_key_id: principal.keyId,
        published_at: new Date(), // set here, at the precision it is served with, as it is hashed
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await registerSigningKey(trx, signingKey);
    await chainSchedule(trx, toFeeSchedule(row), signingKey);
    await recordAudit(trx, {
      principal,
      requestId,
      action: 'publish',
      resourceType: 'fee_schedule',
      resourceId: row.id,
      organisationId: row.organisation_id,
      after: {
        homeId: row.home_id,
        costModelId: row.cost_model_id,
        costModelVersion: row.cost_model_version,
        version: row.version,
        effectiveFrom: row.effective_from,
        weeklyFeePerChild: row.weekly_fee_per_child,
      },
    });
    return { row, replayed: false };
  });
  return { schedule: toFeeSchedule(result.row), replayed: result.replayed };
}

export interface ServedSchedule {
  body: Buffer;
  etag: string;
  organisationId: string;
  schedule: FeeSchedule;
}

/**
 * Published schedules never change, so each is serialised once and served from memory with a
 * strong ETag (the SHA-256 of its bytes). Bounded by bytes.
 */
export class ScheduleCache {
  private readonly entries = new LRUCache<string, ServedSchedule>({
    maxSize: 64 * 1024 * 1024,
    sizeCalculation: (entry) => entry.body.length * 3 + 500,
  });

  async get(database: DatabaseHandle, id: string): Promise<ServedSchedule | undefined> {
    const cached = this.entries.get(id);
    if (cached) return cached;
    const row = await findFeeSchedule(database.db, id);
    if (!row) return undefined;
    const schedule = toFeeSchedule(row);
    const body = Buffer.from(JSON.stringify(schedule));
    const served = {
      body,
      etag: `"${createHash('sha256').update(body).digest('base64url')}"`,
      organisationId: schedule.organisationId,
      schedule,
    };
    this.entries.set(id, served);
    return served;
  }
}

export async function visibleSchedule(
  cache: ScheduleCache,
  database: DatabaseHandle,
  principal: Principal | undefined,
  id: string,
): Promise<ServedSchedule> {
  const served = await cache.get(database, id);
  if (!served) throw notFound('Fee schedule');
  assertOrganisation(principal, served.organisationId, 'Fee schedule');
  return served;
}

export async function currentSchedule(
  database: DatabaseHandle,
  homeId: string,
  on: string,
): Promise<FeeSchedule> {
  const row = await scheduleInForce(database.db, homeId, on);
  if (!row) throw notFound(`No fee schedule in force on ${on}: fee schedule`);
  return toFeeSchedule(row);
}

export async function previousOf(database: DatabaseHandle, schedule: FeeSchedule) {
  const row = await findFeeSchedule(database.db, schedule.id);
  if (!row) return undefined;
  const previous = await previousSchedule(database.db, row);
  return previous ? toFeeSchedule(previous) : undefined;
}

export async function pageSchedules(
  database: DatabaseHandle,
  principal: Principal | undefined,
  query: Omit<ScheduleFilter, 'today' | 'after'> & { cursor?: string | undefined },
) {
  const organisationId =
    principal?.role === 'finance' ? (principal.organisationId ?? undefined) : query.organisationId;
  const after = query.cursor ? decodeCursor(query.cursor, ['date', 'uuid']) : undefined;
  const rows = await listSchedules(database.db, {
    ...query,
    organisationId,
    today: todayInEngland(),
    after: after ? { effectiveFrom: after[0], id: after[1] } : undefined,
  });
  return pageOf(
    rows,
    query.limit,
    (row) => row,
    (schedule) => [schedule.effectiveFrom, schedule.id],
  );
}

/**
 * A schedule beside the one it is compared with (`fromId`, or by default the one published for the
 * same home just before it), and the explanation of the change between them.
 */
export async function compareSchedules(
  cache: ScheduleCache,
  database: DatabaseHandle,
  principal: Principal | undefined,
  id: string,
  fromId: string | undefined,
): Promise<{ from: FeeSchedule; to: FeeSchedule; change: FeeChange }> {
  const to = (await visibleSchedule(cache, database, principal, id)).schedule;
  const from = fromId
    ? (await visibleSchedule(cache, database, principal, fromId)).schedule
    : await previousOf(database, to);
  if (!from) {
    throw new ProblemError(
      problem(
        404,
        'This is the first schedule for its home: give `from` to compare with another',
        problemTypes.notFound,
      ),
    );
  }
  const change = explainFeeChange(
    { model: from.model as CostModel, breakdown: from.breakdown },
    { model: to.model as CostModel, breakdown: to.breakdown },
    { rateTables: rateTables() },
  );
  return { from, to, change };
}
