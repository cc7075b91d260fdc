import type { Kysely, Transaction } from 'kysely';
import type { RequestContext } from '../../core/context.js';
import { invalidField, notFound } from '../../core/errors.js';
import { assertOrganisation } from '../../core/principal.js';
import type { Database } from '../../db/schema.js';
import { DomainValidationError, type FieldIssue } from '../../domain/errors.js';
import { Dec } from '../../domain/money.js';
import { centralPoolShares } from '../../domain/pricing/index.js';
import { QUANTITY_PATTERN, relatedPartyFieldIssues } from '../../domain/pricing/schema.js';
import { recordAudit } from '../audit/index.js';
import { homesOpenIn } from '../homes/index.js';
import { findOrganisation } from '../organisations/index.js';
import { quote } from '../quotes/index.js';
import { modelPartyOf, partiesByReference, type RelatedPartyRow } from '../related-parties/index.js';
import {
  draftDocumentsOfPeriod,
  findPool,
  insertPool,
  type PoolRow,
  poolSourcedDrafts,
  rewriteDraftDocuments,
  toPool,
  updatePool,
} from './repository.js';
import type { CentralBlock, Pool, PoolInput } from './schemas.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Σ headcount × ftePerPerson over a cost model's staffing lines. */
function staffFte(document: unknown): InstanceType<typeof Dec> {
  const staffing =
    (document as { staffing?: Array<{ headcount?: unknown; ftePerPerson?: unknown }> }).staffing ?? [];
  if (!Array.isArray(staffing)) return new Dec(0);
  // A malformed line counts for nothing here: the model's own checks then name it (a 422, not a 500).
  return staffing.reduce((sum, line) => {
    const headcount = (line as { headcount?: unknown } | null)?.headcount;
    const fte = (line as { ftePerPerson?: unknown } | null)?.ftePerPerson;
    if (!Number.isSafeInteger(headcount) || typeof fte !== 'string' || !QUANTITY_PATTERN.test(fte))
      return sum;
    return sum.plus(new Dec(headcount as number).times(new Dec(fte)));
  }, new Dec(0));
}

/**
 * What a pool is shared by: the organisation's homes open in its period and, for the staff FTE
 * basis, the latest draft of each home for the period (by home id).
 */
interface Sharing {
  homes: Awaited<ReturnType<typeof homesOpenIn>>;
  latestDrafts: Map<string, unknown>;
}

async function sharingOf(db: Db, pool: PoolRow, exceptHomeId?: string): Promise<Sharing> {
  const homes = await homesOpenIn(db, pool.organisation_id, pool.period_start, pool.period_end);
  const latestDrafts = new Map<string, unknown>();
  if (pool.basis === 'staff_fte') {
    const drafts = await draftDocumentsOfPeriod(db, {
      organisationId: pool.organisation_id,
      periodStart: pool.period_start,
      exceptHomeId,
    });
    for (const row of drafts) if (!latestDrafts.has(row.home_id)) latestDrafts.set(row.home_id, row.document);
  }
  return { homes, latestDrafts };
}

/** A home's `central` block from the pool (pure): see centralFromPool. */
function centralShare(pool: PoolRow, sharing: Sharing, homeId: string, document: unknown): CentralBlock {
  const { homes, latestDrafts } = sharing;
  const home = homes.find((h) => h.id === homeId);
  if (!home)
    throw invalidField(
      '/period',
      'the home is not open in this period, so it has no share of the central pool',
    );
  // every open home's units, in the order of `homes`
  let units: InstanceType<typeof Dec>[];
  if (pool.basis === 'places') {
    units = homes.map((h) => new Dec(h.registered_places));
  } else if (pool.basis === 'equal') {
    units = homes.map(() => new Dec(1));
  } else {
    const homeFte = staffFte(document);
    units = homes.map((h) =>
      h.id === homeId ? homeFte : latestDrafts.has(h.id) ? staffFte(latestDrafts.get(h.id)) : new Dec(0),
    );
  }
  const totalUnits = units.reduce((sum, value) => sum.plus(value), new Dec(0));
  if (totalUnits.isZero()) throw invalidField('/staffing', 'no staff FTE in the period to share the pool by');
  const homeUnits = units[homes.indexOf(home)]!;
  // §7 the homes' shares add up to the pool to the penny (largest remainder, ties to the earlier id)
  const shares = centralPoolShares(
    pool.total_annual,
    homes.map((h, i) => ({ homeId: h.id, units: units[i]!.toFixed() })),
  );
  // §6 components paid to related parties go into every home's block; the engine takes the home's share
  const charges = pool.lines.flatMap((line) =>
    line.relatedPartyId === undefined
      ? []
      : [
          {
            relatedPartyId: line.relatedPartyId,
            description: line.description,
            amountAnnual: line.amount,
            marketAmountAnnual: line.marketAmount ?? '0',
            marketEvidence: line.marketEvidence ?? '',
          },
        ],
  );
  return {
    poolAnnual: pool.total_annual,
    basis: pool.basis,
    homeUnits: homeUnits.toFixed(),
    totalUnits: totalUnits.toFixed(),
    annualAmount: shares.find((share) => share.homeId === homeId)!.annualAmount,
    ...(charges.length === 0 ? {} : { relatedPartyCharges: charges }),
  };
}

/**
 * A home's `central` block from its organisation's pool for the period: the pool's total, the
 * home's units against the units of all the organisation's homes open in the period — registered
 * places, staff FTE (from each home's latest draft for the period, this home's from `document`) or
 * one each — and its penny share of the pool, worked out for all those homes at once so that the
 * shares add up to the pool (§7).
 */
export async function centralFromPool(
  db: Db,
  pool: PoolRow,
  homeId: string,
  document: unknown,
): Promise<CentralBlock> {
  return centralShare(pool, await sharingOf(db, pool, homeId), homeId, document);
}

/**
 * §6 a draft whose central block comes from the pool pays the pool's related parties too: the
 * register's entries for the parties its central components name are added to `relatedParties`.
 * When a pool change (`pruneUnnamed`) leaves an entry named by no line or component, it goes.
 */
export function withPoolParties(
  document: Record<string, unknown>,
  central: CentralBlock,
  register: ReadonlyMap<string, RelatedPartyRow>,
  pruneUnnamed: boolean,
): Record<string, unknown> {
  const listed = Array.isArray(document.relatedParties)
    ? (document.relatedParties as Array<Record<string, unknown>>)
    : undefined;
  const named = new Set<unknown>((central.relatedPartyCharges ?? []).map((charge) => charge.relatedPartyId));
  for (const kind of ['property', 'running']) {
    const lines = document[kind];
    if (Array.isArray(lines))
      for (const line of lines) named.add((line as { relatedPartyId?: unknown })?.relatedPartyId);
  }
  const parties = (listed ?? []).filter((party) => !pruneUnnamed || named.has(party.id));
  for (const charge of central.relatedPartyCharges ?? []) {
    if (parties.some((party) => party.id === charge.relatedPartyId)) continue;
    const row = register.get(charge.relatedPartyId);
    if (row) parties.push(modelPartyOf(row));
  }
  if (listed === undefined && parties.length === 0) return { ...document, central };
  return { ...document, central, relatedParties: parties };
}

/** The pool of an organisation's period, if the principal may see the organisation's. */
export async function getPool(
  ctx: RequestContext,
  key: { organisationId: string; periodStart: string },
): Promise<Pool> {
  assertOrganisation(ctx.principal, key.organisationId, 'Central cost pool');
  const row = await findPool(ctx.database.db, key.organisationId, key.periodStart);
  if (!row) throw notFound('Central cost pool');
  return toPool(row);
}

/** Creates or replaces the pool; refreshes the central block of every draft that takes it from the pool. */
export async function putPool(
  ctx: RequestContext,
  { organisationId, periodStart, input }: { organisationId: string; periodStart: string; input: PoolInput },
) {
  const { database, principal, requestId } = ctx;
  if (input.period.start !== periodStart) {
    throw invalidField('/period/start', 'must match the period start in the path');
  }
  assertOrganisation(principal, organisationId, 'Organisation');
  if (!(await findOrganisation(database.db, organisationId))) throw notFound('Organisation');
  if (input.period.end <= input.period.start) throw invalidField('/period/end', 'must be after the start');
  const codes = new Set<string>();
  input.lines.forEach((line, index) => {
    if (codes.has(`${line.code}/${line.description}`))
      throw invalidField(`/lines/${index}`, 'repeats another line');
    codes.add(`${line.code}/${line.description}`);
  });
  const register = await partiesByReference(database.db, organisationId);
  const issues: FieldIssue[] = [];
  input.lines.forEach((line, index) => {
    if (line.relatedPartyId !== undefined && !register.has(line.relatedPartyId)) {
      issues.push({
        pointer: `/lines/${index}/relatedPartyId`,
        message: `is not in the organisation's register of related parties: add it first (POST /v1/related-parties)`,
      });
    }
    for (const { field, message } of relatedPartyFieldIssues(line)) {
      issues.push({ pointer: `/lines/${index}/${field}`, message });
    }
  });
  if (issues.length > 0) throw new DomainValidationError(issues);
  const total = input.lines.reduce((sum, line) => sum.plus(line.amount), new Dec(0)).toFixed(2);
  return database.db.transaction().execute(async (trx) => {
    const before = await findPool(trx, organisationId, input.period.start);
    const values = {
      periodLabel: input.period.label,
      periodEnd: input.period.end,
      basis: input.basis,
      lines: input.lines,
      totalAnnual: total,
    };
    const row = before
      ? await updatePool(trx, before.id, { ...values, version: before.version + 1 })
      : await insertPool(trx, { organisationId, periodStart: input.period.start }, values);
    const pool = toPool(row);
    await recordAudit(trx, {
      principal,
      requestId,
      action: before ? 'update' : 'create',
      resourceType: 'central_cost_pool',
      resourceId: pool.id,
      organisationId,
      before: before ? toPool(before) : undefined,
      after: pool,
    });
    const movedCostModels = await refreshPoolDrafts(trx, ctx, row, register);
    return { pool, movedCostModels };
  });
}

/**
 * Gives every draft of the pool's period that takes its central block from the pool the block of
 * the pool as it is now (and the register's parties it names): the new documents are worked out
 * first, then written in one statement, each draft's version up by one, with an audit event each.
 * Returns the drafts whose block moved, by home name, with their fees before and after.
 */
async function refreshPoolDrafts(
  trx: Transaction<Database>,
  ctx: RequestContext,
  pool: PoolRow,
  register: ReadonlyMap<string, RelatedPartyRow>,
) {
  const drafts = await poolSourcedDrafts(trx, pool.organisation_id, pool.period_start);
  if (drafts.length === 0) return [];
  const sharing = await sharingOf(trx, pool);
  const moved = [];
  for (const draft of drafts) {
    // the block the draft holds: the pool's as an earlier change wrote it (or none yet)
    const centralBefore = (draft.document.central ?? null) as CentralBlock | null;
    const centralAfter = centralShare(pool, sharing, draft.home_id, draft.document);
    if (JSON.stringify(centralBefore) === JSON.stringify(centralAfter)) continue;
    const document = withPoolParties(draft.document, centralAfter, register, true);
    // A draft refreshed here counts as its home's latest for the drafts after it (it is the one
    // changed last), as when the drafts were written one at a time.
    if (pool.basis === 'staff_fte') sharing.latestDrafts.set(draft.home_id, document);
    moved.push({ draft, document, centralBefore, centralAfter });
  }
  await rewriteDraftDocuments(
    trx,
    moved.map(({ draft, document }) => ({ id: draft.id, document })),
    { actor: ctx.principal.actor },
  );
  for (const { draft, centralBefore, centralAfter } of moved) {
    await recordAudit(trx, {
      principal: ctx.principal,
      requestId: ctx.requestId,
      action: 'update',
      resourceType: 'cost_model',
      resourceId: draft.id,
      organisationId: pool.organisation_id,
      before: { central: centralBefore, version: draft.version },
      after: { central: centralAfter, version: draft.version + 1 },
    });
  }
  return moved.map(({ draft, document, centralBefore, centralAfter }) => ({
    costModelId: draft.id,
    homeId: draft.home_id,
    homeName: draft.name,
    centralBefore,
    centralAfter,
    weeklyFeeBefore: feeOrNull(draft.document),
    weeklyFeeAfter: feeOrNull(document),
  }));
}

function feeOrNull(document: unknown): string | null {
  try {
    // a stored draft as the engine takes it: what it cannot price makes it throw, and the fee is null
    return quote(document as Parameters<typeof quote>[0]).weeklyFeePerChild;
  } catch {
    return null;
  }
}
