import type { Kysely, Selectable, Transaction } from 'kysely';
import type { DatabaseHandle } from '../../db/database.js';
import type { CentralCostPoolsTable, Database } from '../../db/schema.js';
import { DomainValidationError, type FieldIssue } from '../../domain/errors.js';
import { Dec } from '../../domain/money.js';
import { centralPoolShares } from '../../domain/pricing/index.js';
import { QUANTITY_PATTERN, relatedPartyFieldIssues } from '../../domain/pricing/schema.js';
import { assertOrganisation, notFound, type Principal } from '../../http/auth.js';
import { invalidField } from '../../http/errors.js';
import { recordAudit } from '../audit/repository.js';
import { homesOpenIn } from '../homes/repository.js';
import { findOrganisation } from '../organisations/repository.js';
import { quote } from '../quotes/service.js';
import { partiesByReference, type RelatedPartyRow } from '../related-parties/repository.js';
import { modelPartyOf } from '../related-parties/service.js';
import type { CentralBlock, Pool, PoolInput } from './schemas.js';

type Db = Kysely<Database> | Transaction<Database>;

export function toPool(row: Selectable<CentralCostPoolsTable>): Pool {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    period: { label: row.period_label, start: row.period_start, end: row.period_end },
    basis: row.basis,
    lines: row.lines as Pool['lines'],
    totalAnnual: row.total_annual,
    version: row.version,
    updatedAt: row.updated_at.toISOString(),
  };
}

export async function findPool(db: Db, organisationId: string, periodStart: string) {
  return db
    .selectFrom('central_cost_pools')
    .selectAll()
    .where('organisation_id', '=', organisationId)
    .where('period_start', '=', periodStart)
    .executeTakeFirst();
}

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
 * A home's `central` block from its organisation's pool for the period: the pool's total, the
 * home's units against the units of all the organisation's homes open in the period — registered
 * places, staff FTE (from each home's latest draft for the period, this home's from `document`) or
 * one each — and its penny share of the pool, worked out for all those homes at once so that the
 * shares add up to the pool (§7).
 */
export async function centralFromPool(
  db: Db,
  pool: Selectable<CentralCostPoolsTable>,
  homeId: string,
  document: unknown,
): Promise<CentralBlock> {
  const homes = await homesOpenIn(db, pool.organisation_id, pool.period_start, pool.period_end);
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
    const others = await db
      .selectFrom('cost_models')
      .select(['home_id', 'document', 'updated_at'])
      .where('organisation_id', '=', pool.organisation_id)
      .where('period_start', '=', pool.period_start)
      .where('home_id', '!=', homeId)
      .orderBy('updated_at', 'desc')
      .execute();
    const latest = new Map<string, unknown>();
    for (const row of others) if (!latest.has(row.home_id)) latest.set(row.home_id, row.document);
    units = homes.map((h) =>
      h.id === homeId ? homeFte : latest.has(h.id) ? staffFte(latest.get(h.id)) : new Dec(0),
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
  const charges = (pool.lines as Pool['lines']).flatMap((line) =>
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

/** Creates or replaces the pool; refreshes the central block of every draft that takes it from the pool. */
export async function putPool(
  database: DatabaseHandle,
  principal: Principal,
  requestId: string,
  organisationId: string,
  input: PoolInput,
) {
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
    const row = before
      ? await trx
          .updateTable('central_cost_pools')
          .set({
            period_label: input.period.label,
            period_end: input.period.end,
            basis: input.basis,
            lines: JSON.stringify(input.lines),
            total_annual: total,
            version: before.version + 1,
            updated_at: new Date(),
          })
          .where('id', '=', before.id)
          .returningAll()
          .executeTakeFirstOrThrow()
      : await trx
          .insertInto('central_cost_pools')
          .values({
            organisation_id: organisationId,
            period_label: input.period.label,
            period_start: input.period.start,
            period_end: input.period.end,
            basis: input.basis,
            lines: JSON.stringify(input.lines),
            total_annual: total,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
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

    const drafts = await trx
      .selectFrom('cost_models')
      .innerJoin('homes', 'homes.id', 'cost_models.home_id')
      .select([
        'cost_models.id',
        'cost_models.home_id',
        'cost_models.document',
        'cost_models.version',
        'homes.name',
      ])
      .where('cost_models.organisation_id', '=', organisationId)
      .where('cost_models.period_start', '=', input.period.start)
      .where('cost_models.central_source', '=', 'pool')
      .orderBy('homes.name')
      .orderBy('cost_models.id')
      .execute();
    const movedCostModels = [];
    for (const draft of drafts) {
      const document = draft.document as Record<string, unknown>;
      const centralBefore = (document.central ?? null) as CentralBlock | null;
      const centralAfter = await centralFromPool(trx, row, draft.home_id, document);
      if (JSON.stringify(centralBefore) === JSON.stringify(centralAfter)) continue;
      const updated = withPoolParties(document, centralAfter, register, true);
      await trx
        .updateTable('cost_models')
        .set({
          document: JSON.stringify(updated),
          version: draft.version + 1,
          updated_at: new Date(),
          updated_by: principal.actor,
        })
        .where('id', '=', draft.id)
        .execute();
      await recordAudit(trx, {
        principal,
        requestId,
        action: 'update',
        resourceType: 'cost_model',
        resourceId: draft.id,
        organisationId,
        before: { central: centralBefore, version: draft.version },
        after: { central: centralAfter, version: draft.version + 1 },
      });
      movedCostModels.push({
        costModelId: draft.id,
        homeId: draft.home_id,
        homeName: draft.name,
        centralBefore,
        centralAfter,
        weeklyFeeBefore: feeOrNull(document),
        weeklyFeeAfter: feeOrNull(updated),
      });
    }
    return { pool, movedCostModels };
  });
}

function feeOrNull(document: unknown): string | null {
  try {
    return quote(document as Parameters<typeof quote>[0]).weeklyFeePerChild;
  } catch {
    return null;
  }
}
