import { randomUUID } from 'node:crypto';
import type { Selectable, Transaction } from 'kysely';
import type { PublicContext, RequestContext } from '../../core/context.js';
import { ConflictError, ForbiddenError, invalidField, notFound } from '../../core/errors.js';
import { decodeCursor, pageOf } from '../../core/paging.js';
import { assertCouncilVisible, councilsInView, type Principal } from '../../core/principal.js';
import type { Database, FeeSchedulesTable } from '../../db/schema.js';
import { compareExact, exact } from '../../domain/money.js';
import { type CostModel, explainFeeChange } from '../../domain/pricing/index.js';
import { documentHash, signHash } from '../../domain/proofs.js';
import {
  type IndexValue,
  type NoticeSchedule,
  type UpliftFormula,
  type UpliftNoticeDocument,
  upliftAt,
  upliftNotice,
} from '../../domain/uplifts/index.js';
import { upliftFormulaSchema } from '../../domain/uplifts/schema.js';
import { recordAudit } from '../audit/index.js';
import { findCouncil, visibleCouncil } from '../councils/index.js';
import type { SigningKey } from '../fee-schedules/index.js';
import { currentPlacements } from '../placements/index.js';
import { rateTables } from '../rates/index.js';
import { nationalLivingWage } from './indices.js';
import {
  findIndexValue,
  findNotice,
  formulasOf,
  formulaVersions,
  homeAndProvider,
  type IndexValueRow,
  insertAcknowledgement,
  insertFormula,
  insertIndexValue,
  insertNotice,
  listNotices,
  type NoticeRow,
  recordedIndexValues,
} from './repository.js';
import type { IndexValueInput, NoticeSummary } from './schemas.js';

// ── index figures ───────────────────────────────────────────────────────────────────────────────

function fromRow(row: IndexValueRow): IndexValue {
  return {
    series: row.series,
    date: row.date,
    value: row.value,
    source: row.source,
    sourceUrl: row.source_url,
  };
}

/** Every index figure: the statutory NLW history and the CPI and RLW figures recorded here. */
export async function allIndexValues(db: PublicContext['database']['db']): Promise<IndexValue[]> {
  return [...nationalLivingWage(), ...(await recordedIndexValues(db)).map(fromRow)];
}

export async function listIndexValues(ctx: PublicContext, series?: 'NLW' | 'RLW' | 'CPI') {
  const statutory =
    series === undefined || series === 'NLW'
      ? nationalLivingWage().map((value) => ({
          ...value,
          statutory: true,
          recordedBy: null,
          recordedAt: null,
        }))
      : [];
  const recorded =
    series === 'NLW'
      ? []
      : (await recordedIndexValues(ctx.database.db, series)).map((row) => ({
          ...fromRow(row),
          statutory: false,
          recordedBy: row.recorded_by,
          recordedAt: row.recorded_at.toISOString(),
        }));
  return { items: [...statutory, ...recorded] };
}

const RLW_VALUE = /^\d{1,3}\.\d{2}$/;
const CPI_VALUE = /^-?0\.\d{1,6}$/;

/** Records a CPI or RLW figure (admin; audited). The same figure again is a no-op; a different one, a conflict. */
export async function recordIndexValue(
  ctx: RequestContext,
  series: 'RLW' | 'CPI',
  input: IndexValueInput,
): Promise<{ created: boolean; value: IndexValue }> {
  if (series === 'RLW' && !RLW_VALUE.test(input.value))
    throw invalidField('/value', 'must be pounds an hour with two decimals, e.g. "13.45"');
  if (series === 'CPI' && !CPI_VALUE.test(input.value))
    throw invalidField('/value', 'must be the 12-month rate as a fraction, e.g. "0.021" for 2.1%');
  const recorded = await ctx.database.db.transaction().execute(async (trx) => {
    const row = await insertIndexValue(trx, { series, ...input, recordedBy: ctx.principal.actor });
    if (row) {
      await recordAudit(trx, {
        principal: ctx.principal,
        requestId: ctx.requestId,
        action: 'create',
        resourceType: 'index_value',
        resourceId: `${series}/${input.date}`,
        after: { series, ...input },
      });
    }
    return row;
  });
  if (recorded) return { created: true, value: fromRow(recorded) };
  const existing = await findIndexValue(ctx.database.db, series, input.date);
  const same =
    existing !== undefined &&
    compareExact(exact(existing.value), exact(input.value)) === 0 &&
    existing.source === input.source &&
    existing.source_url === input.sourceUrl;
  if (same) {
    return { created: false, value: fromRow(existing) };
  }
  throw new ConflictError(
    `A ${series} figure for ${input.date} is recorded already (${existing?.value ?? 'another value'}); figures are never changed: a notice keeps the figures it used`,
  );
}

// ── formulas ────────────────────────────────────────────────────────────────────────────────────

/** Who may set it: admin, and that council's commissioners (who alone, with finance and the regulator, read it). */
function assertMaySet(principal: Principal, councilCode: string) {
  assertCouncilVisible(principal, councilCode);
  if (principal.role !== 'admin' && principal.role !== 'commissioner')
    throw new ForbiddenError("Only an admin or the council's commissioner sets its uplift formula");
}

function toFormulaRecord(row: {
  council_code: string;
  version: number;
  formula: UpliftFormula;
  recorded_by: string;
  recorded_at: Date;
}) {
  return {
    councilCode: row.council_code,
    version: row.version,
    formula: row.formula,
    recordedBy: row.recorded_by,
    recordedAt: row.recorded_at.toISOString(),
  };
}

/** The council's formula in force and its earlier versions, newest first. */
export async function councilFormula(ctx: RequestContext, councilCode: string) {
  await visibleCouncil(ctx, councilCode);
  const versions = (await formulaVersions(ctx.database.db, councilCode)).map(toFormulaRecord);
  if (versions.length === 0) throw notFound(`No uplift formula recorded for council ${councilCode}: formula`);
  return { current: versions[0]!, history: versions };
}

/**
 * Records a new version of the council's formula (audited). `expectedVersion`, when given, must be the
 * version in force (0 for none), so that two editors never overwrite each other unseen.
 */
export async function setCouncilFormula(
  ctx: RequestContext,
  councilCode: string,
  input: { formula: UpliftFormula; expectedVersion?: number | undefined },
) {
  assertMaySet(ctx.principal, councilCode);
  await visibleCouncil(ctx, councilCode);
  const formula = upliftFormulaSchema.parse(input.formula);
  return ctx.database.db.transaction().execute(async (trx) => {
    const [current] = await formulaVersions(trx, councilCode, 1);
    const currentVersion = current?.version ?? 0;
    const stale = () =>
      new ConflictError(
        `The council's formula has changed since you read it: it is at version ${currentVersion}. Read it again.`,
      );
    if (input.expectedVersion !== undefined && input.expectedVersion !== currentVersion) throw stale();
    const row = await insertFormula(trx, {
      councilCode,
      version: currentVersion + 1,
      formula,
      recordedBy: ctx.principal.actor,
    });
    if (!row) throw stale();
    await recordAudit(trx, {
      principal: ctx.principal,
      requestId: ctx.requestId,
      action: current ? 'update' : 'create',
      resourceType: 'uplift_formula',
      resourceId: councilCode,
      before: current ? { version: current.version, formula: current.formula } : undefined,
      after: { version: row.version, formula },
    });
    return toFormulaRecord(row);
  });
}

/** The council's framework uplift as at a day (an anniversary), worked out from the figures recorded. */
export async function councilUplift(ctx: RequestContext, councilCode: string, on: string) {
  const { current } = await councilFormula(ctx, councilCode);
  return {
    councilCode,
    formulaVersion: current.version,
    uplift: upliftAt(current.formula, await allIndexValues(ctx.database.db), on),
  };
}

// ── notices ─────────────────────────────────────────────────────────────────────────────────────

type ScheduleRow = Selectable<FeeSchedulesTable>;

function noticeSchedule(row: ScheduleRow): NoticeSchedule {
  return {
    id: row.id,
    version: row.version,
    periodLabel: row.period_label,
    effectiveFrom: row.effective_from,
    weeklyFeePerChild: row.weekly_fee_per_child,
  };
}

/**
 * Issues the uplift notices of a schedule being published, inside its publishing transaction: one per
 * council with a placement at the home that the new fee reaches, each comparing the framework's uplift
 * (the council's formula in force) with the cost-plus change and its causes, hashed (SHA-256 of the
 * RFC 8785 canonical JSON) and signed with `signingKey`, which storeSchedule has listed in the same
 * transaction. None when the home had no schedule before (nothing moved).
 */
export async function issueUpliftNotices(
  trx: Transaction<Database>,
  input: {
    schedule: ScheduleRow;
    previous: ScheduleRow | undefined;
    issuedOn: string;
    signingKey: SigningKey;
  },
): Promise<UpliftNoticeDocument[]> {
  const { schedule, previous, signingKey } = input;
  if (!previous) return [];
  // the placements the new fee reaches: open on its effective date or after it, by council then reference
  const placements = (
    await currentPlacements(trx, { homeId: schedule.home_id, overlapping: { from: schedule.effective_from } })
  ).sort(
    (a, b) =>
      a.council_code.localeCompare(b.council_code) ||
      a.reference.localeCompare(b.reference) ||
      a.id.localeCompare(b.id),
  );
  if (placements.length === 0) return [];
  const byCouncil = new Map<string, { name: string; placements: Array<{ id: string; reference: string }> }>();
  for (const placement of placements) {
    let entry = byCouncil.get(placement.council_code);
    if (entry === undefined) {
      const council = await findCouncil(trx, placement.council_code);
      entry = { name: council?.name ?? placement.council_code, placements: [] };
      byCouncil.set(placement.council_code, entry);
    }
    entry.placements.push({ id: placement.id, reference: placement.reference });
  }
  const context = await homeAndProvider(trx, schedule.home_id);
  const formulas = new Map(
    (await formulasOf(trx, [...byCouncil.keys()])).map((row) => [row.council_code, row]),
  );
  const indexValues = await allIndexValues(trx);
  const change = explainFeeChange(
    { model: previous.model as CostModel, breakdown: previous.breakdown },
    { model: schedule.model as CostModel, breakdown: schedule.breakdown },
    { rateTables: rateTables() },
  );
  const causes = change.causes.map((cause) => ({
    section: cause.section,
    description: cause.description,
    effectOnWeeklyFee: cause.effectOnWeeklyFee,
  }));
  const documents: UpliftNoticeDocument[] = [];
  for (const [councilCode, council] of byCouncil) {
    const formula = formulas.get(councilCode);
    const document = upliftNotice({
      id: randomUUID(),
      council: { onsCode: councilCode, name: council.name },
      organisation: { id: schedule.organisation_id, name: context.organisation_name },
      home: { id: schedule.home_id, name: context.home_name, ofstedUrn: context.ofsted_urn },
      issuedOn: input.issuedOn,
      schedule: noticeSchedule(schedule),
      previousSchedule: noticeSchedule(previous),
      formula: formula ? { version: formula.version, formula: formula.formula } : null,
      indexValues,
      causes,
      placements: council.placements,
    });
    const hash = documentHash(document);
    await insertNotice(trx, {
      document,
      organisationId: schedule.organisation_id,
      scheduleId: schedule.id,
      previousScheduleId: previous.id,
      hash,
      signature: signHash(hash, signingKey.privateKey),
      keyId: signingKey.keyId,
    });
    documents.push(document);
  }
  return documents;
}

/** Commissioners see their councils' notices; finance its organisation's; admin and the regulator all. */
function assertNoticeVisible(principal: Principal, row: { council_code: string; organisation_id: string }) {
  if (principal.role === 'commissioner' && !principal.councils.includes(row.council_code))
    throw notFound('Uplift notice');
  if (principal.role === 'finance' && principal.organisationId !== row.organisation_id)
    throw notFound('Uplift notice');
}

function acknowledgementOf(row: NoticeRow) {
  return row.acknowledged_at === null
    ? null
    : {
        by: row.acknowledged_by ?? '',
        at: row.acknowledged_at.toISOString(),
        note: row.acknowledgement_note,
      };
}

function toSummary(row: NoticeRow): NoticeSummary {
  const { comparison } = row.document;
  return {
    id: row.id,
    councilCode: row.council_code,
    organisationId: row.organisation_id,
    homeId: row.home_id,
    scheduleId: row.schedule_id,
    previousScheduleId: row.previous_schedule_id,
    issuedOn: row.issued_on,
    appliesFrom: row.applies_from,
    oldFee: comparison.oldFee,
    frameworkFee: comparison.frameworkFee,
    newFee: comparison.newFee,
    acknowledged: acknowledgementOf(row),
  };
}

/** A notice the principal may see, as signed, with its acknowledgement. */
export async function getNotice(ctx: RequestContext, id: string) {
  const row = await findNotice(ctx.database.db, id);
  if (!row) throw notFound('Uplift notice');
  assertNoticeVisible(ctx.principal, row);
  return {
    notice: row.document,
    hash: row.hash,
    signature: row.signature,
    keyId: row.key_id,
    acknowledged: acknowledgementOf(row),
  };
}

/** Notices newest first: a commissioner's councils', finance's organisation's, or all (admin, regulator). */
export async function pageNotices(
  ctx: RequestContext,
  query: {
    councilCode?: string | undefined;
    homeId?: string | undefined;
    status?: 'outstanding' | 'acknowledged' | undefined;
    cursor?: string | undefined;
    limit: number;
  },
) {
  const { principal } = ctx;
  const councilCodes = councilsInView(principal, query.councilCode);
  const organisationId = principal.role === 'finance' ? (principal.organisationId ?? '') : undefined;
  const before = query.cursor ? decodeCursor(query.cursor, ['timestamp', 'uuid']) : undefined;
  const rows = await listNotices(ctx.database.db, {
    councilCodes,
    organisationId,
    homeId: query.homeId,
    status: query.status,
    before: before ? { createdAt: before[0], id: before[1] } : undefined,
    limit: query.limit,
  });
  return pageOf(
    rows,
    query.limit,
    (row) => ({ row, summary: toSummary(row) }),
    ({ row }) => [row.created_at.toISOString(), row.id],
  );
}

/**
 * A council's commissioner acknowledges a notice (who, when; audited). Acknowledging again changes
 * nothing and answers with the first acknowledgement.
 */
export async function acknowledgeNotice(ctx: RequestContext, id: string, note: string | undefined) {
  const { principal } = ctx;
  const row = await findNotice(ctx.database.db, id);
  if (!row) throw notFound('Uplift notice');
  assertNoticeVisible(principal, row);
  if (principal.role !== 'commissioner')
    throw new ForbiddenError("Only the council's commissioner acknowledges its notices");
  const created = await ctx.database.db.transaction().execute(async (trx) => {
    const ack = await insertAcknowledgement(trx, {
      noticeId: id,
      by: principal.actor,
      keyId: principal.keyId,
      note: note ?? null,
    });
    if (ack) {
      await recordAudit(trx, {
        principal,
        requestId: ctx.requestId,
        action: 'acknowledge',
        resourceType: 'uplift_notice',
        resourceId: id,
        organisationId: row.organisation_id,
        after: { councilCode: row.council_code, note: note ?? null },
      });
    }
    return ack !== undefined;
  });
  const after = await getNotice(ctx, id);
  return { created, acknowledged: after.acknowledged! };
}

/** The applies-from days of notices that defer a rise, for the charging rule (rule 4). */
export { deferrals } from './repository.js';
