import { createHash } from 'node:crypto';
import type { Transaction } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { PublicContext } from '../../core/context.js';
import { NotFoundError, notFound } from '../../core/errors.js';
import { decodeCursor, pageOf } from '../../core/paging.js';
import { assertOrganisation, type Principal } from '../../core/principal.js';
import type { DatabaseHandle } from '../../db/database.js';
import type { Database } from '../../db/schema.js';
import { type CostModel, explainFeeChange, type FeeChange } from '../../domain/pricing/index.js';
import { scheduleAbout } from '../../formats/breakdown-about.js';
import { breakdownWorkbook } from '../../formats/breakdown-workbook.js';
import { visibleHome } from '../homes/index.js';
import { findOrganisation } from '../organisations/index.js';
import { rateTables } from '../rates/index.js';
import { chainSchedule, getProof, organisationProofs, publishedKeys, registerSigningKey } from './proofs.js';
import {
  chainSchedules,
  type FeeScheduleRow,
  findFeeSchedule,
  insertFeeSchedule,
  lastPublishedAt,
  listSchedules,
  type NewFeeSchedule,
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

/**
 * Who reads published figures: a PublicContext with the principal of the key sent, if one was (a
 * finance key sees its own organisation's only; anyone else, all).
 */
export type ScheduleReader = PublicContext & { principal?: Principal | undefined };

/**
 * Stores a schedule being published, inside the publishing transaction (which must hold
 * lockForPublishing): the next version for its home and period, then its proof, appended to the
 * organisation's chain and signed with `signingKey` (whose public half is listed first).
 */
export async function storeSchedule(
  trx: Transaction<Database>,
  schedule: NewFeeSchedule,
  signingKey: SigningKey,
): Promise<FeeScheduleRow> {
  // The publishing process's clock orders two schedules of one home with the same effectiveFrom (the
  // later published is in force). Several instances' clocks differ a little: never earlier than the
  // home's last publication, so that the order is the one the home's lock gave, whichever instance
  // published.
  const last = await lastPublishedAt(trx, schedule.homeId);
  const publishedAt =
    last && last.getTime() >= schedule.publishedAt.getTime()
      ? new Date(last.getTime() + 1)
      : schedule.publishedAt;
  const row = await insertFeeSchedule(trx, {
    ...schedule,
    publishedAt,
    version: await nextVersion(trx, schedule.homeId, schedule.period.start),
  });
  await registerSigningKey(trx, signingKey);
  await chainSchedule(trx, toFeeSchedule(row), signingKey);
  return row;
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

/** A published schedule the reader may see, as served (from the cache). */
export async function visibleSchedule(
  ctx: Pick<ScheduleReader, 'database' | 'principal'>,
  cache: ScheduleCache,
  id: string,
): Promise<ServedSchedule> {
  const served = await cache.get(ctx.database, id);
  if (!served) throw notFound('Fee schedule');
  assertOrganisation(ctx.principal, served.organisationId, 'Fee schedule');
  return served;
}

/** A published schedule as its live workbook (docs/workbooks.md): its model, formulas, figures and proof. */
export async function scheduleWorkbook(
  ctx: Pick<ScheduleReader, 'database' | 'principal'>,
  served: ServedSchedule,
): Promise<{ body: Buffer; filename: string }> {
  const { schedule } = served;
  const proof = await getProof(ctx.database.db, schedule.id);
  return {
    body: await breakdownWorkbook(schedule.model, schedule.breakdown, scheduleAbout(schedule, proof)),
    filename: `fee-schedule-${schedule.homeId.slice(0, 8)}-${schedule.period.label}-v${schedule.version}.xlsx`,
  };
}

/** The schedule in force for a home the reader may see on a day (today in England by default). */
export async function currentSchedule(
  ctx: ScheduleReader,
  { homeId, on = todayInEngland(ctx.clock()) }: { homeId: string; on?: string | undefined },
): Promise<FeeSchedule> {
  await visibleHome(ctx, homeId);
  const row = await scheduleInForce(ctx.database.db, homeId, on);
  if (!row) throw notFound(`No fee schedule in force on ${on}: fee schedule`);
  return toFeeSchedule(row);
}

export async function previousOf(database: DatabaseHandle, schedule: FeeSchedule) {
  const row = await findFeeSchedule(database.db, schedule.id);
  if (!row) return undefined;
  const previous = await previousSchedule(database.db, row);
  return previous ? toFeeSchedule(previous) : undefined;
}

/** Summaries with their status today, newest effectiveFrom first (a finance key: its organisation's). */
export async function pageSchedules(
  ctx: ScheduleReader,
  query: Omit<ScheduleFilter, 'today' | 'after'> & { cursor?: string | undefined },
) {
  const { principal } = ctx;
  const organisationId =
    principal?.role === 'finance' ? (principal.organisationId ?? undefined) : query.organisationId;
  const after = query.cursor ? decodeCursor(query.cursor, ['date', 'uuid']) : undefined;
  const rows = await listSchedules(ctx.database.db, {
    ...query,
    organisationId,
    today: todayInEngland(ctx.clock()),
    after: after ? { effectiveFrom: after[0], id: after[1] } : undefined,
  });
  return pageOf(
    rows,
    query.limit,
    (row) => row,
    (schedule) => [schedule.effectiveFrom, schedule.id],
  );
}

/** A home's schedule history, when the reader may see the home. */
export async function pageHomeSchedules(
  ctx: ScheduleReader,
  homeId: string,
  query: Omit<ScheduleFilter, 'today' | 'after' | 'homeId'> & { cursor?: string | undefined },
) {
  await visibleHome(ctx, homeId);
  return pageSchedules(ctx, { ...query, homeId });
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
  const reader = { database, principal };
  const to = (await visibleSchedule(reader, cache, id)).schedule;
  const from = fromId
    ? (await visibleSchedule(reader, cache, fromId)).schedule
    : await previousOf(database, to);
  if (!from) {
    throw new NotFoundError('This is the first schedule for its home: give `from` to compare with another');
  }
  const change = explainFeeChange(
    // FeeSchedule (the API's type) holds the model as any record; it is the CostModel that was priced
    { model: from.model as CostModel, breakdown: from.breakdown },
    { model: to.model as CostModel, breakdown: to.breakdown },
    { rateTables: rateTables() },
  );
  return { from, to, change };
}

/** The proof of a published schedule the reader may see. */
export async function visibleProof(ctx: ScheduleReader, scheduleId: string) {
  const proof = await getProof(ctx.database.db, scheduleId);
  if (!proof) throw notFound('Proof');
  assertOrganisation(ctx.principal, proof.organisationId, 'Proof');
  return proof;
}

/** The public keys that sign published schedules, old ones too. */
export async function signingKeys(ctx: PublicContext) {
  return { keys: await publishedKeys(ctx.database.db) };
}

/** An organisation's whole chain of published schedules, with their proofs and the keys, to check offline. */
export async function organisationChain(ctx: ScheduleReader, organisationId: string) {
  const { db } = ctx.database;
  assertOrganisation(ctx.principal, organisationId, 'Organisation');
  if (!(await findOrganisation(db, organisationId))) throw notFound('Organisation');
  const proofs = await organisationProofs(db, organisationId);
  const rows = new Map((await chainSchedules(db, organisationId)).map((row) => [row.id, row]));
  const entries = [];
  for (const proof of proofs) {
    const row = rows.get(proof.scheduleId);
    if (row) entries.push({ schedule: toFeeSchedule(row), proof });
  }
  return { organisationId, keys: await publishedKeys(db), entries };
}
