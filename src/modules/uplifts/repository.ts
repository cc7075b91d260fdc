import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import type {
  Database,
  IndexValuesTable,
  UpliftNoticeAcknowledgementsTable,
  UpliftNoticesTable,
} from '../../db/schema.js';
import type { UpliftFormula, UpliftNoticeDocument } from '../../domain/uplifts/index.js';

type Db = Kysely<Database> | Transaction<Database>;

export type IndexValueRow = Selectable<IndexValuesTable>;
export type NoticeRow = Selectable<UpliftNoticesTable> & {
  acknowledged_by: string | null;
  acknowledged_at: Date | null;
  acknowledgement_note: string | null;
};
export type AcknowledgementRow = Selectable<UpliftNoticeAcknowledgementsTable>;

/** The index figures recorded here (CPI, RLW), by series then date. */
export async function recordedIndexValues(db: Db, series?: 'RLW' | 'CPI'): Promise<IndexValueRow[]> {
  let query = db.selectFrom('index_values').selectAll().orderBy('series').orderBy('date');
  if (series) query = query.where('series', '=', series);
  return query.execute();
}

export async function findIndexValue(db: Db, series: 'RLW' | 'CPI', date: string) {
  return db
    .selectFrom('index_values')
    .selectAll()
    .where('series', '=', series)
    .where('date', '=', date)
    .executeTakeFirst();
}

export async function insertIndexValue(
  db: Db,
  value: {
    series: 'RLW' | 'CPI';
    date: string;
    value: string;
    source: string;
    sourceUrl: string;
    recordedBy: string;
  },
): Promise<IndexValueRow | undefined> {
  return db
    .insertInto('index_values')
    .values({
      series: value.series,
      date: value.date,
      value: value.value,
      source: value.source,
      source_url: value.sourceUrl,
      recorded_by: value.recordedBy,
    })
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
}

/** A council's formula versions, newest first (the first is the one in force). */
export async function formulaVersions(db: Db, councilCode: string, limit = 100) {
  return db
    .selectFrom('uplift_formulas')
    .selectAll()
    .where('council_code', '=', councilCode)
    .orderBy('version', 'desc')
    .limit(limit)
    .execute();
}

/** The formula in force for each of these councils (the latest version), by council code. */
export async function formulasOf(db: Db, councilCodes: readonly string[]) {
  if (councilCodes.length === 0) return [];
  return db
    .selectFrom('uplift_formulas')
    .distinctOn('council_code')
    .selectAll()
    .where('council_code', 'in', [...councilCodes])
    .orderBy('council_code')
    .orderBy('version', 'desc')
    .execute();
}

/** Appends a formula version; undefined when that version exists already (a concurrent change). */
export async function insertFormula(
  db: Db,
  row: { councilCode: string; version: number; formula: UpliftFormula; recordedBy: string },
) {
  return db
    .insertInto('uplift_formulas')
    .values({
      council_code: row.councilCode,
      version: row.version,
      formula: JSON.stringify(row.formula),
      recorded_by: row.recordedBy,
    })
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
}

/** A home's name and Ofsted URN, and its provider's name, for a notice. */
export async function homeAndProvider(db: Db, homeId: string) {
  return db
    .selectFrom('homes as h')
    .innerJoin('organisations as o', 'o.id', 'h.organisation_id')
    .select(['h.name as home_name', 'h.ofsted_urn', 'o.name as organisation_name'])
    .where('h.id', '=', homeId)
    .executeTakeFirstOrThrow();
}

export async function insertNotice(
  trx: Transaction<Database>,
  row: {
    document: UpliftNoticeDocument;
    organisationId: string;
    scheduleId: string;
    previousScheduleId: string;
    hash: string;
    signature: string;
    keyId: string;
  },
): Promise<void> {
  const { document } = row;
  await trx
    .insertInto('uplift_notices')
    .values({
      id: document.id,
      council_code: document.council.onsCode,
      organisation_id: row.organisationId,
      home_id: document.home.id,
      schedule_id: row.scheduleId,
      previous_schedule_id: row.previousScheduleId,
      issued_on: document.issuedOn,
      applies_from: document.appliesFrom,
      document: JSON.stringify(document),
      hash: row.hash,
      signature: row.signature,
      key_id: row.keyId,
    })
    .execute();
}

function noticesWithAcknowledgement(db: Db) {
  return db
    .selectFrom('uplift_notices as n')
    .leftJoin('uplift_notice_acknowledgements as a', 'a.notice_id', 'n.id')
    .selectAll('n')
    .select(['a.acknowledged_by', 'a.acknowledged_at', 'a.note as acknowledgement_note']);
}

export async function findNotice(db: Db, id: string): Promise<NoticeRow | undefined> {
  return noticesWithAcknowledgement(db).where('n.id', '=', id).executeTakeFirst();
}

export interface NoticeFilter {
  councilCodes?: readonly string[] | undefined;
  organisationId?: string | undefined;
  homeId?: string | undefined;
  status?: 'outstanding' | 'acknowledged' | undefined;
  /** Keyset: notices issued before this (created_at, id). */
  before?: { createdAt: string; id: string } | undefined;
  limit: number;
}

/** Notices newest first, with their acknowledgement if any. */
export async function listNotices(db: Db, filter: NoticeFilter): Promise<NoticeRow[]> {
  // at the millisecond a cursor can carry (timestamptz holds microseconds)
  const issued = sql<Date>`date_trunc('milliseconds', n.created_at)`;
  let query = noticesWithAcknowledgement(db).orderBy(issued, 'desc').orderBy('n.id', 'desc');
  if (filter.councilCodes) query = query.where('n.council_code', 'in', [...filter.councilCodes, '']);
  if (filter.organisationId) query = query.where('n.organisation_id', '=', filter.organisationId);
  if (filter.homeId) query = query.where('n.home_id', '=', filter.homeId);
  if (filter.status === 'outstanding') query = query.where('a.notice_id', 'is', null);
  if (filter.status === 'acknowledged') query = query.where('a.notice_id', 'is not', null);
  if (filter.before) {
    const { createdAt, id } = filter.before;
    query = query.where((eb) =>
      eb.or([
        eb(issued, '<', new Date(createdAt)),
        eb.and([eb(issued, '=', new Date(createdAt)), eb('n.id', '<', id)]),
      ]),
    );
  }
  return query.limit(filter.limit + 1).execute();
}

/** Records the acknowledgement; undefined when the notice was acknowledged already. */
export async function insertAcknowledgement(
  db: Db,
  row: { noticeId: string; by: string; keyId: string | null; note: string | null },
) {
  return db
    .insertInto('uplift_notice_acknowledgements')
    .values({
      notice_id: row.noticeId,
      acknowledged_by: row.by,
      acknowledged_by_key_id: row.keyId,
      note: row.note,
    })
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
}

/**
 * The later days from which schedules of these homes apply to a council (its uplift notices that
 * defer a rise to the end of the notice period): schedule id → council → day.
 */
export async function deferrals(db: Db, homeIds: readonly string[]) {
  if (homeIds.length === 0) return [];
  return db
    .selectFrom('uplift_notices as n')
    .innerJoin('fee_schedules as s', 's.id', 'n.schedule_id')
    .select(['n.schedule_id', 'n.council_code', 'n.applies_from'])
    .where('n.home_id', 'in', [...homeIds])
    .whereRef('n.applies_from', '>', 's.effective_from')
    .execute();
}
